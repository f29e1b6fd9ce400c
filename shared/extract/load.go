package extract

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/results"
)

// Sliced first loads. A resumed pull (resume.go) survives any number of
// invocations, but its merge rewrites the whole snapshot in one: a first
// load is bounded by one Lambda's disk and 15 minutes of merging (about
// 25M records, docs/scale.md). An object without a watermark whose
// records number more than SliceMinRows is loaded in slices instead:
//
//   - the plan (PlanLoads) cuts the object's Ids into ranges of about
//     SliceRows records each, as Salesforce's own PK chunking does (Id >=
//     a AND Id < b, 15-character base62 bounds: the Ids of one object
//     share their key prefix, and base62 in ASCII order sorts as the
//     numbers it writes). It finds the bounds by halving the Id range
//     between the smallest and largest Id and counting each half with
//     SELECT COUNT(); the first slice has no lower bound and the last no
//     upper one, so every Id belongs to exactly one slice. The load is
//     recorded in the results store (PK "LOAD", SK the object) with the
//     window's end (records stamped before the plan), the snapshot
//     partition and the run folder it commits;
//   - each slice is a resumable pull of its Id range over that window,
//     with its own checkpoint (SliceKey). The invocation that reads the
//     slice's end merges only the slice's records, written as the slice's
//     own files of the load's run folder (slice-0003-00000.parquet, …),
//     sorted by Id; the checkpoint, marked done with the files and the
//     counts, is the slice's commit. No invocation reads another slice's
//     records, so no invocation rewrites the whole snapshot;
//   - the slices' Id ranges are disjoint and ordered, so their files in
//     slice order are the snapshot sorted by Id, exactly the files a
//     single pull would have split differently. The object's next nightly
//     invocation (commitLoad) checks every slice is done, writes the
//     manifest listing them all (readers see nothing before it, as for a
//     single pull), and only then advances the watermark.
//
// The nightly state machine runs the slices as a Distributed Map between
// the plan and the objects (infra/statemachine/nightly.asl.json).

// LoadPK is the results-store partition of sliced loads; the sort key is
// the object name.
const LoadPK = "LOAD"

// LoadState is a sliced load's state.
type LoadState string

// Load states.
const (
	// LoadPulling: the slices are being pulled and merged.
	LoadPulling LoadState = "pulling"
	// LoadCommitted: the snapshot was committed as Manifest.
	LoadCommitted LoadState = "committed"
	// LoadAbandoned: another run committed the object meanwhile.
	LoadAbandoned LoadState = "abandoned"
)

// Load is a sliced first load of one object.
type Load struct {
	// ID is the planning run's id: it names the snapshot's run folder and
	// keys the slices' checkpoints.
	ID    string    `json:"id"`
	State LoadState `json:"state"`
	// Dt is the snapshot partition the load commits; To the window's end
	// (records stamped before it; the plan's clock).
	Dt string    `json:"dt"`
	To time.Time `json:"to"`
	// Count is the records counted when planned.
	Count    int64     `json:"count"`
	Slices   []Slice   `json:"slices"`
	Planned  time.Time `json:"planned"`
	Manifest string    `json:"manifest,omitempty"`
}

// Slice is one Id range of a load and the records counted in it.
type Slice struct {
	IDs   IDRange `json:"ids"`
	Count int64   `json:"count"`
}

// IDRange is the half-open range of Salesforce Ids [From, To), bounds in
// the 15-character form; "" is unbounded.
type IDRange struct {
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// where is the range as SOQL conditions.
func (g IDRange) where() []string {
	var c []string
	if g.From != "" {
		c = append(c, "Id >= '"+g.From+"'")
	}
	if g.To != "" {
		c = append(c, "Id < '"+g.To+"'")
	}
	return c
}

// contains reports whether an (18-character) Id is in the range. Byte
// order on the Ids is Salesforce's: a 15-character bound sorts before
// every 18-character Id it prefixes.
func (g IDRange) contains(id string) bool {
	return (g.From == "" || id >= g.From) && (g.To == "" || id < g.To)
}

func (g IDRange) String() string { return "[" + g.From + ", " + g.To + ")" }

// SliceRef names the slice one run pulls: the load's id and the slice's
// number (from 1).
type SliceRef struct {
	Load  string
	Index int
}

// SliceKey is the checkpoint key of slice n (from 1) of object's load.
func SliceKey(object string, n int) string { return fmt.Sprintf("%s#slice-%04d", object, n) }

func sliceKind(load string, n int) string { return fmt.Sprintf("slice %s#%04d", load, n) }

// SliceResult is a merged slice: its part of the snapshot and what the
// commit needs to account for it.
type SliceResult struct {
	Files   []lake.File `json:"files"`
	Rows    int64       `json:"rows"`
	Counts  lake.Counts `json:"counts"`
	Rejects []lake.File `json:"rejects,omitempty"`
	// Accounting, as ObjectSummary's.
	Received   int64 `json:"received"`
	Written    int64 `json:"written"`
	Unchanged  int64 `json:"unchanged"`
	Duplicates int64 `json:"duplicates"`
	Conflicts  int64 `json:"conflicts"`
	// MaxStamp is the newest stamp merged (µs).
	MaxStamp  int64    `json:"max_stamp"`
	NewFields []string `json:"new_fields,omitempty"`
	// The stuck-reject notes: tonight's rejects with an Id, the Id-less
	// ones and their watermark hold, and the stamps merged of the Ids the
	// stuck list watches (stuck.go).
	Rejected []stuckNote      `json:"rejected,omitempty"`
	Idless   []StuckRecord    `json:"idless,omitempty"`
	Hold     int64            `json:"hold,omitempty"`
	HoldAll  bool             `json:"hold_all,omitempty"`
	Merged   map[string]int64 `json:"merged,omitempty"`
}

// ReadLoad returns the object's load and its version (0: none).
func ReadLoad(ctx context.Context, s results.Store, object string) (Load, int64, error) {
	it, err := s.Get(ctx, LoadPK, object)
	if errors.Is(err, results.ErrNotFound) {
		return Load{}, 0, nil
	}
	if err != nil {
		return Load{}, 0, fmt.Errorf("read sliced load of %s: %w", object, err)
	}
	var l Load
	if err := json.Unmarshal(it.Body, &l); err != nil {
		return Load{}, 0, fmt.Errorf("decode sliced load of %s: %w", object, err)
	}
	return l, it.Version, nil
}

func writeLoad(ctx context.Context, s results.Store, object string, l Load, version int64) error {
	body, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("encode sliced load of %s: %w", object, err)
	}
	if err := putVersioned(ctx, s, LoadPK, object, "load", body, version); err != nil {
		return fmt.Errorf("write sliced load of %s (version %d): %w", object, version+1, err)
	}
	return nil
}

// putVersioned writes body as version+1 of the item, on condition that
// the stored one is version (0: absent). A write whose response was lost
// reads back as ours.
func putVersioned(ctx context.Context, s results.Store, pk, sk, kind string, body []byte, version int64) error {
	cond := results.Condition{IfAbsent: version == 0, IfVersion: version}
	err := s.Put(ctx, results.Item{PK: pk, SK: sk, Kind: kind, Version: version + 1, Body: body}, cond)
	if errors.Is(err, results.ErrConditionFailed) {
		if it, gerr := s.Get(ctx, pk, sk); gerr == nil && it.Version == version+1 && results.SameBody(it.Body, body) {
			err = nil
		}
	}
	return err
}

// LoadPlan is one object's sliced load, as planned or still in progress.
type LoadPlan struct {
	Object string
	Load   Load
}

// PlanLoads plans a sliced load for every object of cfg that has no
// watermark nor snapshot and more than SliceMinRows records, and returns
// those loads with the ones still in progress. It pulls nothing.
func PlanLoads(ctx context.Context, d Deps, cfg Config) ([]LoadPlan, error) {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	now := d.Now().UTC()
	cfg = cfg.withDefaults(now) // not validated: planning reads no record (the runs validate)
	if cfg.SliceMinRows < 0 || cfg.FullResync || cfg.Backfill != nil {
		return nil, nil
	}
	var out []LoadPlan
	for _, o := range cfg.Objects {
		l, v, err := ReadLoad(ctx, d.Store, o.Name)
		if err != nil {
			return nil, err
		}
		if v > 0 && l.State == LoadPulling {
			out = append(out, LoadPlan{o.Name, l})
			continue
		}
		l, planned, err := planLoad(ctx, d, cfg, o, now, v)
		if err != nil {
			return nil, fmt.Errorf("plan the sliced load of %s: %w", o.Name, err)
		}
		if planned {
			out = append(out, LoadPlan{o.Name, l})
		}
	}
	return out, nil
}

// maxSlices bounds a load's slices (the state machine's item list stays far
// below Step Functions' 256 KB payload); past it the slices grow.
const maxSlices = 1000

func planLoad(ctx context.Context, d Deps, cfg Config, o *crm.Object, now time.Time, version int64) (Load, bool, error) {
	wm, err := readWatermark(ctx, d.Store, o.Name)
	if err != nil || wm.version > 0 {
		return Load{}, false, err
	}
	latest, err := lake.LatestSnapshot(ctx, d.Blob, o.Name, cfg.Night)
	if err != nil && !errors.Is(err, lake.ErrNoSnapshot) {
		return Load{}, false, err
	}
	if latest != nil && latest.Mode != string(ModeSkipped) {
		return Load{}, false, nil
	}
	if _, err := describeFields(ctx, d.Source, o.Name); err != nil {
		// Missing or unreadable: the object's own run says so.
		return Load{}, false, nil
	}
	s := &slicer{ctx: ctx, log: d.Logger, src: d.Source, o: o, win: window{to: now, cursor: o.CursorField()}}
	total, err := s.count(IDRange{})
	if err != nil || total <= cfg.SliceMinRows {
		return Load{}, false, err
	}
	target := max(cfg.SliceRows, (total+maxSlices-1)/maxSlices)
	slices, err := s.split(total, target)
	if err != nil {
		return Load{}, false, err
	}
	l := Load{ID: cfg.RunID, State: LoadPulling, Dt: lake.DateString(cfg.Night), To: now, Count: total, Slices: slices, Planned: now}
	if err := writeLoad(ctx, d.Store, o.Name, l, version); err != nil {
		return Load{}, false, err
	}
	d.Logger.Info("sliced load planned", "object", o.Name, "load", l.ID, "records", total, "slices", len(l.Slices), "count_queries", s.counts)
	return l, true, nil
}

// slicer finds a load's Id bounds by counting.
type slicer struct {
	ctx    context.Context
	log    *slog.Logger
	src    Source
	o      *crm.Object
	win    window
	counts int // COUNT() queries sent
}

func (s *slicer) count(ids IDRange) (int64, error) {
	w := s.win
	w.ids = ids
	s.counts++
	n, err := s.src.Count(s.ctx, "SELECT COUNT() FROM "+s.o.Name+" WHERE "+w.where())
	if err != nil {
		return 0, fmt.Errorf("count %s %s: %w", s.o.Name, ids, err)
	}
	return n, nil
}

// edgeID is the smallest (desc: largest) Id of the window.
func (s *slicer) edgeID(desc bool) (string, error) {
	order := "Id"
	if desc {
		order = "Id DESC"
	}
	var id string
	_, err := s.src.Query(s.ctx, "SELECT Id FROM "+s.o.Name+" WHERE "+s.win.where()+" ORDER BY "+order+" LIMIT 1", func(raw []byte) error {
		id, _ = crm.RawString(raw, "Id") // "" when absent: unusable below
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("the %s Id of %s: %w", order, s.o.Name, err)
	}
	n, err := crm.NormalizeID(id)
	if err != nil || crm.CheckIDPrefix(s.o.Name, "Id", n) != nil {
		// A record served with a broken Id (it will be rejected): the
		// edge is only where halving starts, so the widest one will do.
		s.log.Warn("sliced load: an edge Id is unusable; halving from the widest range", "object", s.o.Name, "order", order, "id", id)
		return "", nil
	}
	return n[:15], nil
}

// split cuts the window's Ids into slices of at most target records (as
// counted): the range between the smallest and the largest Id is halved
// until each part counts few enough, or holds a single Id.
func (s *slicer) split(total, target int64) ([]Slice, error) {
	lo, err := s.edgeID(false)
	if err != nil {
		return nil, err
	}
	hi, err := s.edgeID(true)
	if err != nil {
		return nil, err
	}
	switch {
	case lo == "" && hi == "":
		return nil, fmt.Errorf("neither the smallest nor the largest Id of %s is usable", s.o.Name)
	case lo == "":
		lo = hi[:3] + strings.Repeat("0", 12)
	case hi == "":
		hi = lo[:3] + strings.Repeat("z", 12)
	}
	prefix := lo[:3]
	if hi[:3] != prefix {
		return nil, fmt.Errorf("the smallest and largest Ids of %s (%s, %s) have different key prefixes", s.o.Name, lo, hi)
	}
	a, err := base62Value(lo[3:])
	if err != nil {
		return nil, err
	}
	b, err := base62Value(hi[3:])
	if err != nil {
		return nil, err
	}
	b.Add(b, big.NewInt(1))
	var out []Slice
	var rec func(a, b *big.Int, n int64) error
	rec = func(a, b *big.Int, n int64) error {
		width := new(big.Int).Sub(b, a)
		if n <= target || width.Cmp(big.NewInt(1)) <= 0 {
			out = append(out, Slice{IDs: IDRange{From: prefix + base62Digits(a, 12), To: prefix + base62Digits(b, 12)}, Count: n})
			return nil
		}
		mid := new(big.Int).Add(a, width.Rsh(width, 1))
		left, err := s.count(IDRange{From: prefix + base62Digits(a, 12), To: prefix + base62Digits(mid, 12)})
		if err != nil {
			return err
		}
		if err := rec(a, mid, left); err != nil {
			return err
		}
		return rec(mid, b, max(n-left, 0))
	}
	if err := rec(a, b, total); err != nil {
		return nil, err
	}
	// An empty range joins the slice before it (the first one, the slice
	// after it), so the slices stay contiguous; both ends are opened, so
	// an Id outside the counted range (created while planning) still
	// belongs to a slice.
	var joined []Slice
	from := ""
	for _, sl := range out {
		switch {
		case sl.Count > 0:
			if len(joined) > 0 {
				sl.IDs.From = joined[len(joined)-1].IDs.To
			} else {
				sl.IDs.From = from
			}
			joined = append(joined, sl)
		case len(joined) > 0:
			joined[len(joined)-1].IDs.To = sl.IDs.To
		}
	}
	if len(joined) == 0 {
		return nil, fmt.Errorf("%s: %d records counted, none between its smallest and largest Id", s.o.Name, total)
	}
	joined[len(joined)-1].IDs.To = ""
	return joined, nil
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// base62Value reads base62 digits (an Id after its key prefix).
func base62Value(digits string) (*big.Int, error) {
	v := new(big.Int)
	for i := 0; i < len(digits); i++ {
		k := strings.IndexByte(base62, digits[i])
		if k < 0 {
			return nil, fmt.Errorf("%q is not a base62 Id", digits)
		}
		v.Mul(v, big.NewInt(62)).Add(v, big.NewInt(int64(k)))
	}
	return v, nil
}

// base62Digits writes v as n base62 digits.
func base62Digits(v *big.Int, n int) string {
	b := make([]byte, n)
	x := new(big.Int).Set(v)
	m := new(big.Int)
	for i := n - 1; i >= 0; i-- {
		x.DivMod(x, big.NewInt(62), m)
		b[i] = base62[m.Int64()]
	}
	return string(b)
}

// extractSlice pulls one slice of the object's load (resumably) and
// merges it into the slice's files of the load's run folder; the slice's
// checkpoint, marked done with its result, commits it.
func (r *objectRun) extractSlice(ctx context.Context) error {
	ref := r.cfg.Slice
	r.sum.Mode = ModeFull
	l, _, err := ReadLoad(ctx, r.d.Store, r.o.Name)
	if err != nil {
		return err
	}
	switch {
	case l.ID != ref.Load:
		return fmt.Errorf("slice %d of load %s: the object's load is %q now; the event is stale", ref.Index, ref.Load, l.ID)
	case l.State == LoadCommitted:
		r.log.Info("slice of a committed load: nothing to do", "load", l.ID, "slice", ref.Index)
		return nil
	case l.State != LoadPulling:
		return fmt.Errorf("slice %d of load %s: the load is %s", ref.Index, l.ID, l.State)
	case ref.Index < 1 || ref.Index > len(l.Slices):
		return fmt.Errorf("slice %d of load %s: the load has %d slices", ref.Index, l.ID, len(l.Slices))
	}
	sl := l.Slices[ref.Index-1]
	r.cpKey = SliceKey(r.o.Name, ref.Index)
	cp, _, err := ReadCheckpoint(ctx, r.d.Store, r.cpKey)
	if err != nil {
		return err
	}
	if cp.State == PullDone && cp.Kind == r.cfg.pullKind() {
		r.sum.Invocations = cp.Invocations
		r.log.Info("slice already merged", "load", l.ID, "slice", ref.Index)
		return nil
	}
	// Concurrent slices write their rejects in folders of their own.
	r.cfg.RunID = fmt.Sprintf("%s-slice%04d", r.cfg.RunID, ref.Index)
	if r.latest, err = latestSnapshot(ctx, r.d.Blob, r.o.Name, r.cfg.Night); err != nil {
		return err
	}
	if err := r.describe(r.desc.fields, r.latest); err != nil {
		return err
	}
	dt := l.Dt
	r.ids = sl.IDs
	r.snapFolder = lake.RunFolder(lake.SnapshotPartition(r.o.Name, dt), l.ID)
	r.snapFile = fmt.Sprintf("slice-%04d", ref.Index)
	win := window{to: l.To, cursor: r.o.CursorField(), ids: sl.IDs}
	defer r.closeSorter()
	if _, err := r.pullWindow(ctx, &win, nil, dt); err != nil {
		return err
	}
	m, err := r.mergeInTime(ctx, nil, nil, dt)
	if err != nil {
		return err
	}
	sc := r.prevCP
	if r.seg != nil {
		sc = r.seg.cp
	} else {
		// A pull in one go (Bulk) checkpointed nothing yet.
		sc.Checkpoint = Checkpoint{PullID: r.cfg.RunID, Kind: r.cfg.pullKind(), Mode: ModeFull, To: win.to, Fields: r.selected, Started: r.d.Wall().UTC()}
	}
	sc.State, sc.Result = PullDone, r.sliceResult(m)
	if r.seg == nil || !r.seg.staged {
		sc.Invocations++
	}
	if err := writeCheckpoint(ctx, r.d.Store, r.cpKey, sc); err != nil {
		return err
	}
	r.sum.Invocations = sc.Invocations
	r.sum.Notes = append(r.sum.Notes, fmt.Sprintf("slice %d of %d of load %s merged (Ids %s); committed with the object's nightly run once every slice is", ref.Index, len(l.Slices), l.ID, sl.IDs))
	r.log.Info("slice merged", "load", l.ID, "slice", ref.Index, "ids", sl.IDs.String(), "rows", m.Rows, "files", len(m.Files), "invocations", sc.Invocations)
	return nil
}

// latestSnapshot is the object's latest committed snapshot (nil: none, or
// the object was absent).
func latestSnapshot(ctx context.Context, b lake.Blob, object string, night time.Time) (*lake.Manifest, error) {
	latest, err := lake.LatestSnapshot(ctx, b, object, night)
	if errors.Is(err, lake.ErrNoSnapshot) || latest != nil && latest.Mode == string(ModeSkipped) {
		return nil, nil
	}
	return latest, err
}

// sliceResult is the merged slice as its checkpoint keeps it.
func (r *objectRun) sliceResult(m *lake.Manifest) *SliceResult {
	st := &r.stuck
	res := &SliceResult{Files: m.Files, Rows: m.Rows, Counts: *m.Counts, Rejects: m.Rejects,
		Received: r.sum.Received, Written: r.sum.Written, Unchanged: r.sum.Unchanged, Duplicates: r.sum.Duplicates, Conflicts: r.sum.Conflicts,
		MaxStamp: r.maxStamp, NewFields: m.NewFields, Idless: st.idless, Hold: st.hold, HoldAll: st.holdAll}
	for id, ri := range st.rejected {
		res.Rejected = append(res.Rejected, stuckNote{ID: id, Stamp: ri.stamp, Field: ri.field, Reason: ri.reason})
	}
	sort.Slice(res.Rejected, func(i, j int) bool { return res.Rejected[i].ID < res.Rejected[j].ID })
	for id, stamp := range st.watch {
		if stamp >= 0 {
			if res.Merged == nil {
				res.Merged = map[string]int64{}
			}
			res.Merged[id] = stamp
		}
	}
	return res
}

// commitLoad commits a sliced load whose slices are all merged: one
// manifest listing every slice's files in slice (Id) order, then the
// reconciliation, the stuck list and the watermark, as a full pull would.
func (r *objectRun) commitLoad(ctx context.Context, l Load, version int64) error {
	r.sum.Mode = ModeFull
	r.cfg.RunID = l.ID // the run folder the slices wrote
	var (
		missing []string
		res     []*SliceResult
		cps     []Checkpoint
	)
	for i := range l.Slices {
		cp, _, err := ReadCheckpoint(ctx, r.d.Store, SliceKey(r.o.Name, i+1))
		if err != nil {
			return err
		}
		if cp.State != PullDone || cp.Kind != sliceKind(l.ID, i+1) || cp.Result == nil {
			missing = append(missing, fmt.Sprint(i+1))
			continue
		}
		res, cps = append(res, cp.Result), append(cps, cp)
	}
	if len(missing) > 0 {
		return fmt.Errorf("sliced load %s: slices %s of %d are not merged yet; the next run resumes them (docs/runbook.md#sliced-first-loads)", l.ID, strings.Join(missing, ", "), len(l.Slices))
	}
	dt := l.Dt
	part := lake.SnapshotPartition(r.o.Name, dt)
	head, err := lake.Head(ctx, r.d.Blob, part)
	if err != nil {
		return err
	}
	prevWM, err := readWatermark(ctx, r.d.Store, r.o.Name)
	if err != nil {
		return err
	}
	if r.latest, err = latestSnapshot(ctx, r.d.Blob, r.o.Name, r.cfg.Night); err != nil {
		return err
	}
	if err := r.describe(r.desc.fields, r.latest); err != nil {
		return err
	}
	for i, cp := range cps {
		if !equalStrings(cp.Fields, r.selected) {
			return fmt.Errorf("sliced load %s: slice %d pulled fields %v, the org's are %v now: the fields changed during the load; plan it again (docs/runbook.md#sliced-first-loads)", l.ID, i+1, cp.Fields, r.selected)
		}
	}
	if err := r.loadStuck(ctx); err != nil {
		return err
	}
	var (
		files, rejects []lake.File
		rows           int64
		counts         lake.Counts
		newFields      []string
	)
	st := &r.stuck
	s := &r.sum
	for i, x := range res {
		files = append(files, x.Files...)
		rejects = append(rejects, x.Rejects...)
		rows += x.Rows
		counts.Upserts += x.Counts.Upserts
		counts.Deletes += x.Counts.Deletes
		counts.Rejects += x.Counts.Rejects
		for _, f := range x.NewFields {
			if !slices.Contains(newFields, f) {
				newFields = append(newFields, f)
			}
		}
		r.maxStamp = max(r.maxStamp, x.MaxStamp)
		s.ReceivedUpserts += x.Received
		s.Written += x.Written
		s.Unchanged += x.Unchanged
		s.Duplicates += x.Duplicates
		s.Conflicts += x.Conflicts
		s.Invocations += cps[i].Invocations
		r.noteSegment(Segment{Rejected: x.Rejected, Idless: x.Idless, Hold: x.Hold, HoldAll: x.HoldAll})
		for id, stamp := range x.Merged {
			st.watch[id] = stamp
		}
	}
	sort.Strings(newFields)
	m := r.snapshotManifest(dt, nil, files, rows, nil, rejects, counts, newFields)
	s.SnapshotRows, s.Upserts, s.Deletes, s.Rejects = rows, counts.Upserts, counts.Deletes, counts.Rejects
	s.Received = s.ReceivedUpserts
	s.NewFields, s.RemovedFields = newFields, r.removed
	if got := s.Written + s.Rejects + s.Duplicates; got != s.Received {
		return fmt.Errorf("accounting: the slices received %d records but %d were written, %d rejected and %d resolved as duplicates (%d); nothing committed", s.Received, s.Written, s.Rejects, s.Duplicates, got)
	}
	if err := checkDeadline(ctx, r.d.Wall, r.cfg.DeadlineMargin); err != nil {
		return fmt.Errorf("sliced load of %s not committed: %w", r.o.Name, err)
	}
	if err := lake.Commit(ctx, r.d.Blob, m, head); err != nil {
		return err
	}
	s.Committed, s.Manifest = true, m.Key()
	l.State, l.Manifest = LoadCommitted, m.Key()
	if err := writeLoad(ctx, r.d.Store, r.o.Name, l, version); err != nil {
		return fmt.Errorf("snapshot committed as %s but %w", m.Key(), err)
	}
	r.log.Info("sliced load committed", "load", l.ID, "slices", len(l.Slices), "rows", rows, "manifest", m.Key())
	r.runStart = l.To // the reconciliation's view of the org is the window's
	return r.afterCommit(ctx, m, nil, nil, prevWM, dt)
}

// abandonLoad marks a load another run overtook (a snapshot committed
// after it was planned): its slices are never committed.
func (r *objectRun) abandonLoad(ctx context.Context, l Load, version int64, why string) error {
	r.log.Warn("sliced load abandoned", "load", l.ID, "reason", why)
	l.State = LoadAbandoned
	return writeLoad(ctx, r.d.Store, r.o.Name, l, version)
}

// activeLoad is the object's sliced load when one is in progress and this
// run commits it (nil: none, or a resync or backfill run).
func (r *objectRun) activeLoad(ctx context.Context) (*Load, int64, error) {
	if r.cfg.FullResync || r.cfg.Backfill != nil {
		return nil, 0, nil
	}
	l, v, err := ReadLoad(ctx, r.d.Store, r.o.Name)
	if err != nil || v == 0 || l.State != LoadPulling {
		return nil, 0, err
	}
	latest, err := latestSnapshot(ctx, r.d.Blob, r.o.Name, r.cfg.Night)
	if err != nil {
		return nil, 0, err
	}
	if latest != nil && latest.CommittedAt.After(l.Planned) {
		return nil, 0, r.abandonLoad(ctx, l, v, "the object was committed by "+latest.Key()+" after the load was planned")
	}
	return &l, v, nil
}
