package runledger_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/dynamo"
	"github.com/venn-revops/venn/shared/dynamo/dynamotest"
	"github.com/venn-revops/venn/shared/results"
	"github.com/venn-revops/venn/shared/results/localstore"
	"github.com/venn-revops/venn/shared/runledger"
)

// Every behaviour runs against both stores: the embedded one the demo uses
// and DynamoDB (dynalite).
func stores(t *testing.T) map[string]func(t *testing.T) results.Store {
	return map[string]func(t *testing.T) results.Store{
		"localstore": func(t *testing.T) results.Store {
			s, err := localstore.Open("")
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		"dynalite": func(t *testing.T) results.Store {
			srv := dynamotest.Start(t)
			return dynamo.New(srv.Client(), srv.NewTable(t))
		},
	}
}

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

var t0 = time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)

var key = runledger.Key{Job: "kpi", Period: "2026Q4", InputHash: "sha256:ab12"}

func entry(t *testing.T, s results.Store, k runledger.Key) (results.Item, runledger.Entry) {
	t.Helper()
	it, err := s.Get(context.Background(), k.PK(), k.SK())
	if err != nil {
		t.Fatalf("ledger item %s/%s: %v", k.PK(), k.SK(), err)
	}
	var e runledger.Entry
	if err := json.Unmarshal(it.Body, &e); err != nil {
		t.Fatal(err)
	}
	return it, e
}

func TestLedger(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			t.Run("sequential duplicate replays", func(t *testing.T) { sequentialDuplicate(t, s) })
			t.Run("concurrent duplicates run once", func(t *testing.T) { concurrentDuplicates(t, s) })
			t.Run("payload mismatch", func(t *testing.T) { payloadMismatch(t, s) })
			t.Run("crash then retake after expiry", func(t *testing.T) { crashThenRetake(t, s) })
			t.Run("failed run is retried", func(t *testing.T) { failedRetried(t, s) })
			t.Run("lock expiry", func(t *testing.T) { lockExpiry(t, s) })
			t.Run("oversized result fails and releases", func(t *testing.T) { oversized(t, s) })
			t.Run("entry without expiry is reported", func(t *testing.T) { noExpiry(t, s) })
		})
	}
}

func sequentialDuplicate(t *testing.T, s results.Store) {
	c := &clock{now: t0}
	l := runledger.New(s, runledger.WithClock(c.Now))
	k := runledger.Key{Job: "kpi", Period: "2026Q4", InputHash: "seq"}
	var calls int
	fn := func(context.Context) ([]byte, error) { calls++; return []byte(`{"rows":42}`), nil }
	res, replayed, err := l.Do(context.Background(), k, []byte(`{"job":"kpi","mode":"qtd"}`), fn)
	if err != nil || replayed || string(res) != `{"rows":42}` {
		t.Fatalf("first: %q %v %v", res, replayed, err)
	}
	c.Add(5*time.Hour + 59*time.Minute) // an async retry, hours later
	res, replayed, err = l.Do(context.Background(), k, []byte(`{"job":"kpi","mode":"qtd"}`), fn)
	if err != nil || !replayed || string(res) != `{"rows":42}` {
		t.Fatalf("duplicate: %q %v %v", res, replayed, err)
	}
	if calls != 1 {
		t.Fatalf("fn ran %d times", calls)
	}
	it, e := entry(t, s, k)
	if e.Status != runledger.Done || e.Attempt != 1 || it.Version != 2 || it.Expires != 0 || it.Kind != "run" {
		t.Fatalf("stored %+v %+v", it, e)
	}
}

func concurrentDuplicates(t *testing.T, s results.Store) {
	l := runledger.New(s, runledger.WithPoll(5*time.Millisecond))
	k := runledger.Key{Job: "payouts", Period: "2026Q3", InputHash: "conc"}
	var calls atomic.Int32
	release := make(chan struct{})
	fn := func(context.Context) ([]byte, error) {
		calls.Add(1)
		<-release // hold the lock while the duplicates arrive
		return []byte("statements:17"), nil
	}
	const deliveries = 6
	type outcome struct {
		res      string
		replayed bool
		err      error
	}
	out := make([]outcome, deliveries)
	var wg sync.WaitGroup
	for i := range deliveries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, replayed, err := l.Do(context.Background(), k, []byte("p"), fn)
			out[i] = outcome{string(res), replayed, err}
		}()
	}
	// Release once one delivery holds the lock; the others must wait on it.
	for {
		if calls.Load() > 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Fatalf("fn ran %d times for %d concurrent deliveries", n, deliveries)
	}
	var fresh int
	for i, o := range out {
		if o.err != nil || o.res != "statements:17" {
			t.Fatalf("delivery %d: %+v", i, o)
		}
		if !o.replayed {
			fresh++
		}
	}
	if fresh != 1 {
		t.Fatalf("%d deliveries claim to have run fn", fresh)
	}
}

func payloadMismatch(t *testing.T, s results.Store) {
	l := runledger.New(s)
	k := runledger.Key{Job: "approve", Period: "2026Q3", InputHash: "mm"}
	ok := func(context.Context) ([]byte, error) { return []byte("ok"), nil }
	if _, _, err := l.Do(context.Background(), k, []byte(`{"action":"approve","people":["005A"]}`), ok); err != nil {
		t.Fatal(err)
	}
	ran := false
	_, _, err := l.Do(context.Background(), k, []byte(`{"action":"approve","people":["005B"]}`), func(context.Context) ([]byte, error) { ran = true; return nil, nil })
	if !errors.Is(err, runledger.ErrPayloadMismatch) || ran {
		t.Fatalf("want ErrPayloadMismatch without running, got %v (ran %v)", err, ran)
	}
}

func crashThenRetake(t *testing.T, s results.Store) {
	// Real time: the stores honour context deadlines.
	base := time.Now().Truncate(time.Second)
	c := &clock{now: base}
	l := runledger.New(s, runledger.WithClock(c.Now), runledger.WithMargin(time.Minute), runledger.WithPoll(time.Millisecond))
	k := runledger.Key{Job: "extract", Period: "2026-11-20", InputHash: "crash"}

	// The first delivery takes the lock with a 15-minute Lambda deadline and
	// "crashes": fn never returns until the test lets it.
	ctx1, cancel1 := context.WithDeadline(context.Background(), base.Add(15*time.Minute))
	defer cancel1()
	started, unblock := make(chan struct{}), make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		_, _, err := l.Do(ctx1, k, []byte("p"), func(context.Context) ([]byte, error) {
			close(started)
			<-unblock
			return []byte("late"), nil
		})
		errc <- err
	}()
	select {
	case <-started:
	case err := <-errc:
		t.Fatalf("first delivery did not start: %v", err)
	}
	it, e := entry(t, s, k)
	if e.Status != runledger.Running || it.Expires != base.Add(16*time.Minute).Unix() {
		t.Fatalf("lock: %+v %+v, want expiry %d", it, e, base.Add(16*time.Minute).Unix())
	}

	// Before expiry a redelivery cannot take over: it gives up at its deadline.
	ctxShort, cancelShort := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancelShort()
	if _, _, err := l.Do(ctxShort, k, []byte("p"), func(context.Context) ([]byte, error) {
		t.Error("fn ran while the lock was held")
		return nil, nil
	}); !errors.Is(err, runledger.ErrInProgress) {
		t.Fatalf("held lock: want ErrInProgress, got %v", err)
	}

	// After expiry the next delivery retakes the run.
	c.Add(16*time.Minute + time.Second)
	res, replayed, err := l.Do(context.Background(), k, []byte("p"), func(context.Context) ([]byte, error) { return []byte("retaken"), nil })
	if err != nil || replayed || string(res) != "retaken" {
		t.Fatalf("retake: %q %v %v", res, replayed, err)
	}
	if _, e := entry(t, s, k); e.Status != runledger.Done || e.Attempt != 2 || string(e.Result) != "retaken" {
		t.Fatalf("after retake: %+v", e)
	}
	// The crashed holder wakes up: its result must not overwrite the retake.
	close(unblock)
	if err := <-errc; !errors.Is(err, runledger.ErrLockLost) {
		t.Fatalf("late holder: want ErrLockLost, got %v", err)
	}
	if _, e := entry(t, s, k); string(e.Result) != "retaken" {
		t.Fatalf("late holder overwrote the result: %+v", e)
	}
}

func failedRetried(t *testing.T, s results.Store) {
	c := &clock{now: t0}
	l := runledger.New(s, runledger.WithClock(c.Now))
	k := runledger.Key{Job: "kpi", Period: "2026Q3", InputHash: "fail"}
	boom := errors.New("snapshot manifest missing for Lead")
	_, _, err := l.Do(context.Background(), k, []byte("p"), func(context.Context) ([]byte, error) { return nil, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("want fn's error, got %v", err)
	}
	if it, e := entry(t, s, k); e.Status != runledger.Failed || e.Error != boom.Error() || it.Expires == 0 || it.Expires >= t0.Unix() {
		t.Fatalf("failed entry %+v %+v", it, e)
	}
	res, replayed, err := l.Do(context.Background(), k, []byte("p"), func(context.Context) ([]byte, error) { return []byte("ok"), nil })
	if err != nil || replayed || string(res) != "ok" {
		t.Fatalf("retry after failure: %q %v %v", res, replayed, err)
	}
	if _, e := entry(t, s, k); e.Attempt != 2 {
		t.Fatalf("attempt %d, want 2", e.Attempt)
	}
}

func lockExpiry(t *testing.T, s results.Store) {
	base := time.Now().Truncate(time.Second) // real time: the stores honour deadlines
	tests := []struct {
		name     string
		deadline time.Time // zero: no deadline
		opts     []runledger.Option
		want     int64
	}{
		{"lambda deadline plus margin", base.Add(14*time.Minute + 500*time.Millisecond), nil, base.Add(15*time.Minute + time.Second).Unix()},
		{"no deadline: max run plus margin", time.Time{}, nil, base.Add(16 * time.Minute).Unix()},
		{"configured max run", time.Time{}, []runledger.Option{runledger.WithMaxRun(time.Hour), runledger.WithMargin(0)}, base.Add(time.Hour).Unix()},
		{"deadline already passed, no margin: still after now", base.Add(-time.Hour), []runledger.Option{runledger.WithMargin(0)}, base.Unix() + 1},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := append([]runledger.Option{runledger.WithClock(func() time.Time { return base })}, tc.opts...)
			l := runledger.New(s, opts...)
			ctx := context.Background()
			if !tc.deadline.IsZero() {
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, tc.deadline)
				defer cancel()
			}
			if got := l.LockExpiry(ctx); got != tc.want {
				t.Fatalf("LockExpiry = %d, want %d", got, tc.want)
			}
			// And what Do stores while fn runs is that expiry, never zero.
			k := runledger.Key{Job: "kpi", Period: "2026Q4", InputHash: fmt.Sprint("exp", i)}
			_, _, err := l.Do(ctx, k, nil, func(context.Context) ([]byte, error) {
				if it, _ := entry(t, s, k); it.Expires != tc.want {
					t.Errorf("stored lock expiry %d, want %d", it.Expires, tc.want)
				}
				return nil, nil
			})
			if err != nil && !errors.Is(err, context.DeadlineExceeded) {
				t.Fatal(err)
			}
		})
	}
}

func oversized(t *testing.T, s results.Store) {
	l := runledger.New(s)
	k := runledger.Key{Job: "kpi", Period: "2026Q4", InputHash: "big"}
	_, _, err := l.Do(context.Background(), k, nil, func(context.Context) ([]byte, error) {
		return make([]byte, runledger.MaxResult+1), nil
	})
	if err == nil || !strings.Contains(err.Error(), "over the ledger's") {
		t.Fatalf("want a result-size error, got %v", err)
	}
	if _, e := entry(t, s, k); e.Status != runledger.Failed {
		t.Fatalf("oversized run left %s, want failed (retakeable)", e.Status)
	}
	res, _, err := l.Do(context.Background(), k, nil, func(context.Context) ([]byte, error) { return []byte("summary"), nil })
	if err != nil || string(res) != "summary" {
		t.Fatalf("retry after oversized: %q %v", res, err)
	}
}

func noExpiry(t *testing.T, s results.Store) {
	k := runledger.Key{Job: "kpi", Period: "2026Q4", InputHash: "noexp"}
	body, _ := json.Marshal(runledger.Entry{Status: runledger.Running, PayloadHash: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}) // sha256 of no payload
	if err := s.Put(context.Background(), results.Item{PK: k.PK(), SK: k.SK(), Kind: "run", Version: 1, Body: body}, results.Condition{}); err != nil {
		t.Fatal(err)
	}
	_, _, err := runledger.New(s).Do(context.Background(), k, nil, func(context.Context) ([]byte, error) {
		t.Error("fn ran")
		return nil, nil
	})
	if err == nil || !strings.Contains(err.Error(), "without an expiry") {
		t.Fatalf("want a clear error, got %v", err)
	}
}

func TestKeyValidation(t *testing.T) {
	l := runledger.New(nil)
	for _, k := range []runledger.Key{{}, {Job: "kpi", Period: "2026Q3"}, {Job: "k#1", Period: "2026Q3", InputHash: "h"}} {
		if _, _, err := l.Do(context.Background(), k, nil, nil); err == nil {
			t.Errorf("key %+v accepted", k)
		}
	}
	if key.PK() != "RUN#kpi" || key.SK() != "2026Q4#sha256:ab12" {
		t.Fatalf("keys %s %s", key.PK(), key.SK())
	}
}
