// Package runledger makes job invocations idempotent. Each run is keyed by
// job, period and the hash of its input manifests; a conditional lock in the
// results table lets exactly one delivery do the work, and the stored result
// answers every duplicate (Lambda async retries and EventBridge redeliveries
// arrive concurrently or up to 6 hours later).
//
// The ledger item is PK "RUN#<job>", SK "<period>#<inputHash>" (see
// docs/dynamodb.md). Its states:
//
//	running  Expires = the holder's deadline + margin; retaken once expired
//	done     Expires = 0 (or now + retention): the result, replayed to duplicates
//	failed   Expires in the past: fn returned an error; the next delivery retries
package runledger

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/venn-revops/venn/shared/results"
)

// ErrPayloadMismatch: the key was run before with a different payload. The
// same job, period and input hash must mean the same request; anything else
// is a caller bug that would silently replay the wrong result.
var ErrPayloadMismatch = errors.New("runledger: same run key, different payload")

// ErrInProgress: another delivery holds the run's lock and did not finish
// before this invocation's own deadline. Nothing was done; a later delivery
// replays its result.
var ErrInProgress = errors.New("runledger: run in progress in another invocation")

// ErrLockLost: fn finished after its lock expired and another delivery took
// the run over, so this result was not recorded. The lock expiry (deadline
// plus margin) was too short for fn; the other delivery's result stands.
var ErrLockLost = errors.New("runledger: lock expired and was taken over before the result was recorded")

// Key names one run. InputHash is the hash of the run's input manifests, so
// a rerun over changed inputs is a new run.
type Key struct {
	Job       string // "extract", "kpi", "payouts", "approve"
	Period    string // "2026Q3", "2026-11-20", …
	InputHash string
}

func (k Key) String() string { return k.Job + "/" + k.Period + "/" + k.InputHash }

// PK and SK are the ledger item's keys.
func (k Key) PK() string { return "RUN#" + k.Job }

// SK is "<period>#<inputHash>".
func (k Key) SK() string { return k.Period + "#" + k.InputHash }

func (k Key) validate() error {
	if k.Job == "" || k.Period == "" || k.InputHash == "" {
		return fmt.Errorf("runledger: incomplete key %+v: job, period and input hash are all required", k)
	}
	if strings.Contains(k.Job, "#") || strings.Contains(k.Period, "#") {
		return fmt.Errorf("runledger: key %s: job and period must not contain '#'", k)
	}
	return nil
}

// Status is a ledger entry's state.
type Status string

// The ledger states.
const (
	Running Status = "running"
	Done    Status = "done"
	Failed  Status = "failed"
)

// Entry is the ledger item's body.
type Entry struct {
	Status      Status    `json:"status"`
	PayloadHash string    `json:"payloadHash"` // sha256 of the payload, hex
	Owner       string    `json:"owner"`       // random id of the delivery holding or finishing the run
	Attempt     int       `json:"attempt"`     // 1 for the first delivery that took the lock
	StartedAt   time.Time `json:"startedAt"`
	FinishedAt  time.Time `json:"finishedAt,omitzero"`
	Result      []byte    `json:"result,omitempty"`
	Error       string    `json:"error,omitempty"`
}

// Ledger runs functions at most once per Key (to completion).
type Ledger struct {
	store     results.Store
	now       func() time.Time
	margin    time.Duration
	maxRun    time.Duration
	retention time.Duration
	poll      time.Duration
	log       *slog.Logger
}

// Option configures a Ledger.
type Option func(*Ledger)

// WithMargin is added to the invocation's deadline to get the lock expiry,
// covering clock skew between Lambda and DynamoDB. Default 1 minute.
func WithMargin(d time.Duration) Option { return func(l *Ledger) { l.margin = d } }

// WithMaxRun is the lock duration when ctx has no deadline (local runs,
// tests). Default 15 minutes, Lambda's maximum timeout.
func WithMaxRun(d time.Duration) Option { return func(l *Ledger) { l.maxRun = d } }

// WithRetention makes finished entries expire (DynamoDB TTL) after d, after
// which the same key runs again. Zero (the default) keeps them forever as the
// audit trail. Keep it well above the 6-hour async retry window.
func WithRetention(d time.Duration) Option { return func(l *Ledger) { l.retention = d } }

// WithPoll sets how often a duplicate re-reads a run another delivery is
// holding. Default 2 seconds.
func WithPoll(d time.Duration) Option { return func(l *Ledger) { l.poll = d } }

// WithClock replaces time.Now (tests that move time past a lock's expiry).
func WithClock(now func() time.Time) Option { return func(l *Ledger) { l.now = now } }

// WithLogger sets the logger for takeovers and replays. Default slog.Default().
func WithLogger(log *slog.Logger) Option { return func(l *Ledger) { l.log = log } }

// New returns a Ledger over store.
func New(store results.Store, opts ...Option) *Ledger {
	l := &Ledger{store: store, now: time.Now, margin: time.Minute, maxRun: 15 * time.Minute, poll: 2 * time.Second, log: slog.Default()}
	for _, o := range opts {
		o(l)
	}
	return l
}

// LockExpiry is the Unix second at which a lock taken now expires: the
// context's deadline plus the margin, or now plus the maximum run time plus
// the margin when ctx has no deadline. It is always after now, never zero
// (zero would mean "never expires" and a crash would wedge the run forever).
func (l *Ledger) LockExpiry(ctx context.Context) int64 {
	now := l.now()
	end := now.Add(l.maxRun)
	if d, ok := ctx.Deadline(); ok {
		end = d
	}
	end = end.Add(l.margin)
	exp := ceilUnix(end)
	if floor := now.Unix() + 1; exp < floor {
		exp = floor
	}
	return exp
}

// Do runs fn once for key. A duplicate delivery, concurrent or later, does not
// run fn: it waits for a running delivery (until its own ctx ends) and returns
// the stored result with replayed = true. The same key with a different
// payload is ErrPayloadMismatch. A run whose holder crashed is retaken once
// its lock expires; a run whose fn failed is retried by the next delivery.
//
// fn's result is stored in the ledger item, so it must stay small (a summary
// with counts and manifest keys, at most MaxResult bytes; a larger result
// fails the run).
func (l *Ledger) Do(ctx context.Context, key Key, payload []byte, fn func(ctx context.Context) ([]byte, error)) (result []byte, replayed bool, err error) {
	if err := key.validate(); err != nil {
		return nil, false, err
	}
	sum := sha256.Sum256(payload)
	payloadHash := hex.EncodeToString(sum[:])
	owner, err := newOwner()
	if err != nil {
		return nil, false, err
	}
	log := l.log.With("job", key.Job, "period", key.Period, "input_hash", key.InputHash, "owner", owner)

	var heldBy *Entry // the holder we last waited on
	races := 0        // lock puts lost to another delivery
	inProgress := func(e *Entry) error {
		return fmt.Errorf("run %s: held by %s since %s: %w", key, e.Owner, e.StartedAt.Format(time.RFC3339), ErrInProgress)
	}
	for {
		prev, entry, err := l.read(ctx, key)
		if err != nil && !errors.Is(err, results.ErrNotFound) {
			if heldBy != nil && ctx.Err() != nil {
				return nil, false, inProgress(heldBy) // our deadline hit mid-read
			}
			return nil, false, err
		}
		found := err == nil
		if found && entry.PayloadHash != payloadHash {
			return nil, false, fmt.Errorf("run %s: stored payload sha256 %s, this delivery's %s: %w", key, entry.PayloadHash, payloadHash, ErrPayloadMismatch)
		}
		now := l.now().Unix()
		if found && entry.Status == Done {
			log.Info("run already done: replaying its result", "attempt", entry.Attempt, "finished_at", entry.FinishedAt)
			return entry.Result, true, nil
		}
		if found && prev.Expires == 0 {
			// Only a done entry may lack an expiry; anything else could never
			// be retaken, so say so instead of spinning on the condition.
			return nil, false, fmt.Errorf("run %s: ledger entry %s/%s is %q without an expiry: inspect it and delete it by hand to rerun", key, prev.PK, prev.SK, entry.Status)
		}
		if found && prev.Expires >= now {
			// Held by another delivery that is still within its deadline.
			heldBy = &entry
			if err := l.wait(ctx); err != nil {
				return nil, false, inProgress(heldBy)
			}
			continue
		}

		lock := Entry{Status: Running, PayloadHash: payloadHash, Owner: owner, Attempt: 1, StartedAt: l.now().UTC()}
		version := int64(1)
		if found {
			lock.Attempt, version = entry.Attempt+1, prev.Version+1
			if entry.Status == Running {
				log.Warn("taking over a run whose holder did not finish before its lock expired", "previous_owner", entry.Owner, "attempt", lock.Attempt)
			}
		}
		// Taken only if absent or expired as of now.
		err = l.write(ctx, key, lock, version, l.LockExpiry(ctx), results.Condition{IfAbsent: true, ExpiredBefore: now})
		if errors.Is(err, results.ErrConditionFailed) {
			if races++; races > 100 {
				return nil, false, fmt.Errorf("run %s: lost the lock race %d times in a row", key, races)
			}
			continue // another delivery took it first: re-read
		}
		if err != nil {
			return nil, false, err
		}
		return l.run(ctx, key, lock, version, fn, log)
	}
}

// MaxResult bounds fn's result: it is stored in the ledger item, under the
// store's 350 KiB body budget with room for the entry's other fields.
const MaxResult = 300 << 10

func (l *Ledger) run(ctx context.Context, key Key, lock Entry, version int64, fn func(context.Context) ([]byte, error), log *slog.Logger) ([]byte, bool, error) {
	result, fnErr := fn(ctx)
	if fnErr == nil && len(result) > MaxResult {
		// Recorded as a failure, so a redelivery is not stuck behind the lock.
		fnErr = fmt.Errorf("run %s: result is %d bytes, over the ledger's %d-byte limit: return a summary and keep the data in the lake", key, len(result), MaxResult)
	}
	end := lock
	end.FinishedAt = l.now().UTC()
	expires := int64(0)
	if fnErr != nil {
		// Expired at once, so the next delivery retries; TTL clears it.
		end.Status, end.Error = Failed, fnErr.Error()
		expires = max(l.now().Unix()-1, 1)
	} else {
		end.Status, end.Result = Done, result
		if l.retention > 0 {
			expires = ceilUnix(l.now().Add(l.retention))
		}
	}
	// Use a context that outlives a cancelled ctx: recording the outcome of
	// work already done matters more than stopping promptly.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err := l.write(wctx, key, end, version+1, expires, results.Condition{IfVersion: version})
	switch {
	case errors.Is(err, results.ErrConditionFailed):
		return nil, false, fmt.Errorf("run %s attempt %d: %w", key, lock.Attempt, ErrLockLost)
	case err != nil && fnErr != nil:
		return nil, false, fmt.Errorf("run %s: %w (and recording the failure: %v)", key, fnErr, err)
	case err != nil:
		return nil, false, fmt.Errorf("run %s: recording the result: %w", key, err)
	case fnErr != nil:
		return nil, false, fnErr
	}
	log.Info("run done", "attempt", lock.Attempt, "result_bytes", len(result))
	return result, false, nil
}

func (l *Ledger) read(ctx context.Context, key Key) (results.Item, Entry, error) {
	it, err := l.store.Get(ctx, key.PK(), key.SK())
	if err != nil {
		if errors.Is(err, results.ErrNotFound) {
			return it, Entry{}, err
		}
		return it, Entry{}, fmt.Errorf("run %s: read ledger: %w", key, err)
	}
	var e Entry
	if err := json.Unmarshal(it.Body, &e); err != nil {
		return it, Entry{}, fmt.Errorf("run %s: ledger entry %s/%s is not valid JSON: %w", key, it.PK, it.SK, err)
	}
	return it, e, nil
}

func (l *Ledger) write(ctx context.Context, key Key, e Entry, version, expires int64, cond results.Condition) error {
	body, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("run %s: encode ledger entry: %w", key, err)
	}
	err = l.store.Put(ctx, results.Item{PK: key.PK(), SK: key.SK(), Kind: "run", Version: version, Expires: expires, Body: body}, cond)
	if err != nil && !errors.Is(err, results.ErrConditionFailed) {
		return fmt.Errorf("run %s: write ledger entry (%s): %w", key, e.Status, err)
	}
	return err
}

func (l *Ledger) wait(ctx context.Context) error {
	t := time.NewTimer(l.poll)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func ceilUnix(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

func newOwner() (string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("runledger: owner id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}
