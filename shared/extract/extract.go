// Package extract is the nightly incremental extract: for each CRM object it
// pulls what changed since the object's watermark (minus an overlap), writes
// change files, merges them into that night's snapshot, commits the
// snapshot's manifest last, and only then advances the watermark.
//
// The job wiring (functions/extract) builds Deps from the Salesforce client,
// the lake's Blob and the results store; this package holds the logic.
//
// Bounds: memory is about SortBudget (64 MiB, up to twice that while the
// arena grows) plus two Parquet row groups being encoded plus, for objects
// without soft delete, one map entry per live Id. Disk (TempDir, /tmp in
// Lambda) holds the spilled sort runs, about 350 bytes per pulled lead, and
// one staged Parquet file per writer: size Lambda's ephemeral storage for
// the largest full pull (5M leads ≈ 2 GB). Measured: 5M leads full pull at
// 316 MiB peak RSS (scripts/checks/extractbench).
package extract

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/results"
)

// Stats are a source call's request counters.
type Stats struct{ Pages, Records, Retries, Requests int }

func (s *Stats) add(o Stats) {
	s.Pages += o.Pages
	s.Records += o.Records
	s.Retries += o.Retries
	s.Requests += o.Requests
}

// Record is one record of a pull as received: its raw text, where it was
// (page and position, for the reject), and, for Bulk CSV, its cells. Err
// is set when the record could not even be split out (a REST element that
// is not an object, a CSV row with bad quoting or the wrong number of
// cells): it is quarantined without being decoded.
type Record struct {
	Raw         []byte
	Cells       []string
	Page, Index int
	Err         error
}

// Source is what the extract needs from Salesforce. The real client
// (shared/salesforce) is adapted to it in the job's wiring; tests use an
// in-memory source or the demo CRM server.
type Source interface {
	// Query runs a REST query, following nextRecordsUrl, calling fn with
	// each raw JSON record.
	Query(ctx context.Context, soql string, fn func(record []byte) error) (Stats, error)
	// QueryAll is Query including deleted records (IsDeleted = true).
	QueryAll(ctx context.Context, soql string, fn func(record []byte) error) (Stats, error)
	// QueryRecords is Query (all: QueryAll) delivering each record with
	// its page and position. One bad record must not fail the page: only a
	// broken response (not JSON, cut short) is an error.
	QueryRecords(ctx context.Context, soql string, all bool, fn func(Record) error) (Stats, error)
	// Count runs a SELECT COUNT() query.
	Count(ctx context.Context, soql string) (int64, error)
	// BulkQuery runs a Bulk API 2.0 query job (all: include deleted) and
	// calls fn with each CSV record (a malformed row with Err set). A
	// failed job must return an error, never "success, 0 records".
	BulkQuery(ctx context.Context, soql string, all bool, fn func(header []string, rec Record) error) (Stats, error)
	// Describe lists the object's field names as the org has them now. An
	// object the org lacks is an error wrapping ErrNotInOrg, one the user
	// may not read ErrNoAccess. (A Source may also be a FieldDescriber and
	// a DeletedLister: see describe.go and deletes.go.)
	Describe(ctx context.Context, object string) ([]string, error)
}

// BulkCursor is where a resumable Bulk API 2.0 query stands: its job and
// the results read so far (the zero cursor starts a job). It is kept in
// the pull's checkpoint (resume.go).
type BulkCursor struct {
	JobID     string `json:"job_id"`
	Complete  bool   `json:"complete,omitempty"`  // the job reached JobComplete
	Processed int64  `json:"processed,omitempty"` // the job's record count
	Locator   string `json:"locator,omitempty"`   // the next results page ("": the first)
	Records   int64  `json:"records,omitempty"`   // records read before Locator
	Pages     int    `json:"pages,omitempty"`
}

// A BulkResumer is a Source whose Bulk queries stop and resume across
// invocations (the Salesforce client): BulkQueryResume goes on from cur
// (creating the job when cur is zero, never otherwise), advancing it page
// by page; before each status poll (with the wait it is about to make)
// and each results page it asks stop, and when stop answers true it
// returns an error wrapping ErrBulkPaused with every record before
// cur.Locator delivered to fn. A job that failed or that Salesforce no
// longer knows is an error wrapping ErrBulkJobFailed.
type BulkResumer interface {
	BulkQueryResume(ctx context.Context, soql string, all bool, cur *BulkCursor, stop func(wait time.Duration) bool, fn func(header []string, rec Record) error) (Stats, error)
}

// ErrBulkPaused and ErrBulkJobFailed are what a BulkResumer's errors wrap.
var (
	ErrBulkPaused    = errors.New("bulk query paused")
	ErrBulkJobFailed = errors.New("bulk query job failed")
)

// Deps are the extract's collaborators.
type Deps struct {
	Source Source
	Blob   lake.Blob
	Store  results.Store
	Logger *slog.Logger
	// Now is the job clock: it names the night and stamps commits (tests
	// and replays pin it).
	Now func() time.Time
	// Wall is the real clock the context's deadline is measured against
	// (default time.Now). It is separate from Now because a Lambda deadline
	// is wall time even when the job clock replays a past night.
	Wall func() time.Time
	// Progress, when set, is called as an object's pull goes on: at each
	// new results page and once when the object is done. It must be quick;
	// the caller keeps its own clock (rows/s) and throttles its printing.
	Progress func(Progress)
}

// Progress is an object's pull so far.
type Progress struct {
	Object string
	Rows   int64 // records received so far, every pull of the object
	Pages  int   // results pages received so far
	Done   bool  // the object is finished (committed, skipped or failed)
}

// Backfill re-pulls the records whose SystemModstamp is in [From, To),
// whatever the watermark says, and merges them into tonight's snapshot. It
// repairs a gap (a bad night, a field fixed at the source); it never moves a
// watermark backwards.
type Backfill struct {
	From, To time.Time
}

// Config is one extract run.
type Config struct {
	// Registry is the org's objects and field names (the extract
	// configuration's); nil means crm.Default.
	Registry *crm.Registry
	// Objects to extract, in order; nil means every object of Registry.
	Objects []*crm.Object
	// Deletes say when live Ids are reconciled (zero: 15-day Recycle
	// Bin, weekly reconciliation).
	Deletes DeleteOptions
	// Night is the snapshot partition date (dt, UTC); zero means the UTC
	// date of Deps.Now().
	Night time.Time
	// Overlap is subtracted from the watermark so late-committed records at
	// the cursor are not missed (default 10 minutes).
	Overlap time.Duration
	// FullResync ignores watermarks and previous snapshots: every object is
	// pulled whole and its snapshot rebuilt.
	FullResync bool
	// Backfill, when set, replaces the incremental window.
	Backfill *Backfill
	// BulkThreshold: above this many pending records, pull with Bulk API
	// 2.0 (default 1,000,000).
	BulkThreshold int64
	// PII is how emails and phones are stored.
	PII lake.PII
	// RunID names the run folders; default: the run's start time,
	// "20261120T020000.000000Z".
	RunID string
	// DeadlineMargin: no object or commit is started when ctx's deadline is
	// closer than this (default 30s).
	DeadlineMargin time.Duration
	// Writer bounds row groups and files.
	Writer lake.WriterOptions
	// SortBudget is the bytes of encoded changes kept in memory before
	// spilling a sorted run to TempDir (default 64 MiB).
	SortBudget int
	// TempDir stages Parquet files and sort runs ("" = os.TempDir()).
	TempDir string
	// Currencies are the org's active currency codes; a record in another
	// currency is rejected. Empty: any ISO 4217 code.
	Currencies []string
	// SliceMinRows: a first load (no watermark, no snapshot) of more
	// records than this is planned as a sliced load by PlanLoads (load.go;
	// default 5,000,000; negative: never). SliceRows is the records per
	// slice it aims at (default 1,000,000).
	SliceMinRows int64
	SliceRows    int64
	// Slice, when set, makes this run pull and merge one slice of the
	// object's sliced load (one object only).
	Slice *SliceRef
}

func (c Config) withDefaults(now time.Time) Config {
	if c.Registry == nil {
		c.Registry = crm.Default
	}
	if c.Objects == nil {
		c.Objects = c.Registry.Objects
	}
	c.Deletes = c.Deletes.withDefaults()
	if c.Night.IsZero() {
		c.Night = now
	}
	if c.Overlap == 0 {
		c.Overlap = 10 * time.Minute
	}
	if c.BulkThreshold == 0 {
		c.BulkThreshold = 1_000_000
	}
	if c.SliceMinRows == 0 {
		c.SliceMinRows = 5_000_000
	}
	if c.SliceRows <= 0 {
		c.SliceRows = 1_000_000
	}
	if c.RunID == "" {
		c.RunID = now.UTC().Format("20060102T150405.000000Z")
	}
	if c.DeadlineMargin == 0 {
		c.DeadlineMargin = 30 * time.Second
	}
	if c.SortBudget <= 0 {
		c.SortBudget = 64 << 20
	}
	if c.TempDir == "" {
		c.TempDir = os.TempDir()
	}
	c.Writer.TempDir = c.TempDir
	return c
}

func (c Config) validate() error {
	if c.Overlap < 0 {
		return fmt.Errorf("extract config: negative overlap %v", c.Overlap)
	}
	if strings.ContainsAny(c.RunID, "/= ") {
		return fmt.Errorf("extract config: run id %q must not contain '/', '=' or spaces", c.RunID)
	}
	if c.Backfill != nil && !c.Backfill.From.Before(c.Backfill.To) {
		return fmt.Errorf("extract config: backfill from %v is not before to %v", c.Backfill.From, c.Backfill.To)
	}
	if c.FullResync && c.Backfill != nil {
		return errors.New("extract config: full resync and backfill are exclusive")
	}
	if c.Slice != nil && (len(c.Objects) != 1 || c.FullResync || c.Backfill != nil) {
		return errors.New("extract config: a slice run pulls one object's slice, nothing else")
	}
	if _, err := crm.NewCurrencies(c.Currencies); err != nil {
		return fmt.Errorf("extract config: %w", err)
	}
	return c.PII.Validate(c.Objects)
}

// ErrDeadline is returned (wrapped, naming the committed objects) when the
// run stopped early because ctx's deadline was within the margin.
var ErrDeadline = errors.New("deadline within the safety margin")

// Run extracts every configured object. Objects are independent: one
// failing does not stop the others, and its watermark does not move. The
// returned Summary covers every object attempted; the error joins the
// failures.
func Run(ctx context.Context, d Deps, cfg Config) (Summary, error) {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Wall == nil {
		d.Wall = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	start := d.Now().UTC()
	cfg = cfg.withDefaults(start)
	if err := cfg.validate(); err != nil {
		return Summary{}, err
	}
	sum := Summary{RunID: cfg.RunID, Night: lake.DateString(cfg.Night)}
	log := d.Logger.With("job", "extract", "run_id", cfg.RunID, "dt", sum.Night)
	desc, skipped, err := preflight(ctx, d.Source, cfg.Objects, log)
	if err != nil {
		return sum, err
	}
	var errs []error
	for _, o := range cfg.Objects {
		if err := checkDeadline(ctx, d.Wall, cfg.DeadlineMargin); err != nil {
			errs = append(errs, fmt.Errorf("stopped before %s: %w; committed: %s", o.Name, err, sum.committed()))
			break
		}
		r := &objectRun{d: d, cfg: cfg, o: o, runStart: start, log: log.With("object", o.Name), desc: desc[o.Name], skipped: skipped[o.Name]}
		objSum, err := r.run(ctx)
		objSum.Duration = d.Now().Sub(r.began)
		if errors.Is(err, errMore) {
			// Checkpointed, not failed: the deadline is near, so the
			// objects after it wait for the next invocation too.
			objSum.Err = ""
			sum.Objects = append(sum.Objects, objSum)
			sum.More = true
			log.Info("object checkpointed; invoke again to resume", "staged", objSum.Staged, "invocations", objSum.Invocations)
			break
		}
		sum.Objects = append(sum.Objects, objSum)
		if err != nil {
			if errors.Is(err, ErrDeadline) || ctx.Err() != nil {
				errs = append(errs, fmt.Errorf("%w; committed: %s", err, sum.committed()))
				break
			}
			errs = append(errs, fmt.Errorf("extract %s: %w", o.Name, err))
			continue
		}
		log.Info("object committed", "mode", objSum.Mode, "rows", objSum.SnapshotRows, "upserts", objSum.Upserts, "deletes", objSum.Deletes, "rejects", objSum.Rejects, "manifest", objSum.Manifest)
	}
	sum.Duration = d.Now().Sub(start)
	return sum, errors.Join(errs...)
}

// checkDeadline fails when ctx is done or its deadline is within margin.
func checkDeadline(ctx context.Context, now func() time.Time, margin time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok && dl.Sub(now()) < margin {
		return ErrDeadline
	}
	return nil
}
