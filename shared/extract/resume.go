package extract

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/results"
)

// Resumable pulls. An object whose pull does not fit in one invocation
// (a first load of tens of millions of records, a full resync) is pulled
// over several, each one ending cleanly before the deadline:
//
//   - the REST pull reads the window ordered by (SystemModstamp, Id) and
//     stops only between two different SystemModstamps, so a checkpoint
//     never splits a group of records that share one (PITFALLS: cursor
//     ties). The checkpoint's cursor C means "every record of the window
//     stamped at or before C was received"; the next invocation queries
//     SystemModstamp >= C (whole seconds, SOQL's precision) and skips the
//     records stamped at or before C. No Id order is assumed, so no record
//     is lost or received twice whatever order the org gives equal stamps;
//   - the rows an invocation pulled are kept as its staged segment: the
//     sorter's sorted change runs, uploaded as they are (staging/pulls/...,
//     outside every lake table), and its rejects. The checkpoint (results
//     store, PK "PULL", SK the object) names each segment's files with
//     their size and SHA-256, and is written with a version condition, so
//     it is the segment's commit: files of an invocation that crashed
//     before writing it are never read;
//   - when the window is read to its end, the invocation that has the time
//     merges every segment with the base snapshot exactly as a single pull
//     would (the sorter resolves duplicates the same way), commits the
//     snapshot, marks the checkpoint done and only then advances the
//     watermark. Readers never see a partial partition: nothing is visible
//     before the manifest, as for a single pull.
//
// A checkpoint is resumed only by a pull of the same kind (nightly,
// resync, backfill window), the same selected fields and the same merge
// base; anything else (another run committed the object meanwhile, the
// org dropped a field) starts the pull over, which is always safe.
//
// A Bulk API 2.0 pull (above BulkThreshold) is resumable too when the
// source is a BulkResumer (the Salesforce client): the checkpoint keeps the
// job id and the results locator (Checkpoint.Bulk). An invocation stops
// before a status poll that would run into the deadline (Salesforce may
// take longer than one invocation to prepare a job) or before a results
// page; the next one polls the same job or reads from the locator, never
// creating another job. Every record before the locator is staged, none
// after, so nothing is skipped or read twice. A job that failed, or that
// Salesforce no longer knows (results expire after 7 days), fails the run
// and marks the checkpoint failed: the next invocation starts a new job.

// PullPK is the results-store partition of the resumable pulls'
// checkpoints; the sort key is the object name.
const PullPK = "PULL"

// StagingPrefix is where resumed pulls keep their staged segments until
// the merge. It is under no lake table; a lifecycle rule expires it.
const StagingPrefix = "staging/pulls/"

// PullState is a checkpoint's state.
type PullState string

// Checkpoint states.
const (
	// PullPulling: the window is read up to Cursor.
	PullPulling PullState = "pulling"
	// PullPulled: the window is read; the merge remains.
	PullPulled PullState = "pulled"
	// PullDone: the pull was merged and committed as Manifest.
	PullDone PullState = "done"
	// PullFailed: its Bulk job failed; the next pull starts over.
	PullFailed PullState = "failed"
)

// Checkpoint is a resumable pull's progress.
type Checkpoint struct {
	State  PullState `json:"state"`
	PullID string    `json:"pull_id"` // the first invocation's run id; names the staging folder
	Kind   string    `json:"kind"`    // what was asked: nightly, full_resync, backfill <from>/<to>
	Mode   Mode      `json:"mode"`
	// From and To are the window (From zero: unbounded), fixed by the
	// first invocation.
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to"`
	// Base is the merge base's manifest key ("" for a full pull).
	Base   string   `json:"base,omitempty"`
	Fields []string `json:"fields"`
	// Cursor (µs, 0 = none yet): every record of the window stamped at or
	// before it was received.
	Cursor int64 `json:"cursor"`
	// Bulk is a Bulk API pull's job and results locator (nil: REST).
	Bulk     *BulkCursor `json:"bulk,omitempty"`
	MaxStamp int64       `json:"max_stamp"`
	// NextSeq continues the sorter's arrival sequence across invocations.
	NextSeq  uint64    `json:"next_seq"`
	Received int64     `json:"received"`
	Segments []Segment `json:"segments"`
	// Invocations counts the invocations that checkpointed; Started is the
	// wall clock of the first.
	Invocations int       `json:"invocations"`
	Started     time.Time `json:"started"`
	Manifest    string    `json:"manifest,omitempty"` // the commit, once done
	// MergesCut counts the merges that did not finish in their invocation
	// (cut by the deadline's margin, or given up early). Each one writes
	// the checkpoint again, so the next invocation is a new run (the run
	// ledger keys runs by the checkpoint's version), not a replay.
	MergesCut int `json:"merges_cut,omitempty"`
	// Result is a slice's merged part of a sliced load, once done (load.go).
	Result *SliceResult `json:"result,omitempty"`
}

// Segment is one invocation's staged rows and rejects.
type Segment struct {
	Runs     []lake.File   `json:"runs"`
	Rejects  []lake.File   `json:"rejects,omitempty"`
	Received int64         `json:"received"`
	Rejected []stuckNote   `json:"rejected,omitempty"`
	Idless   []StuckRecord `json:"idless,omitempty"`
	Hold     int64         `json:"hold,omitempty"`
	HoldAll  bool          `json:"hold_all,omitempty"`
}

// stuckNote is a reject with a usable Id, for the stuck list at the merge.
type stuckNote struct {
	ID     string `json:"id"`
	Stamp  int64  `json:"stamp"`
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// maxCheckpointBytes keeps the checkpoint item below DynamoDB's 400 KB.
const maxCheckpointBytes = 350 << 10

// errMore: the object's pull is checkpointed and goes on in the next
// invocation.
var errMore = errors.New("pull checkpointed; more to do")

// errStopSegment stops a pull between two SystemModstamps.
var errStopSegment = errors.New("stop the pull here: the deadline is near")

// storedCheckpoint is a checkpoint with its item version (0 = absent).
type storedCheckpoint struct {
	Checkpoint
	version int64
}

// ReadCheckpoint returns the object's checkpoint and its version (0: none).
func ReadCheckpoint(ctx context.Context, s results.Store, object string) (Checkpoint, int64, error) {
	it, err := s.Get(ctx, PullPK, object)
	if errors.Is(err, results.ErrNotFound) {
		return Checkpoint{}, 0, nil
	}
	if err != nil {
		return Checkpoint{}, 0, fmt.Errorf("read pull checkpoint of %s: %w", object, err)
	}
	var cp Checkpoint
	if err := json.Unmarshal(it.Body, &cp); err != nil {
		return Checkpoint{}, 0, fmt.Errorf("decode pull checkpoint of %s: %w", object, err)
	}
	return cp, it.Version, nil
}

// InProgress reports whether the pull still has work.
func (cp Checkpoint) InProgress() bool { return cp.State == PullPulling || cp.State == PullPulled }

// writeCheckpoint stores cp over the version read; losing the condition
// means another invocation is pulling the same object (or slice: key).
func writeCheckpoint(ctx context.Context, s results.Store, key string, sc *storedCheckpoint) error {
	body, err := json.Marshal(sc.Checkpoint)
	if err != nil {
		return fmt.Errorf("encode pull checkpoint of %s: %w", key, err)
	}
	if len(body) > maxCheckpointBytes {
		return fmt.Errorf("pull checkpoint of %s is %d bytes, above %d: too many rejects in one resumed pull (see the reject files); fix the records or pull in one invocation", key, len(body), maxCheckpointBytes)
	}
	if err := putVersioned(ctx, s, PullPK, key, "pull", body, sc.version); err != nil {
		return fmt.Errorf("write pull checkpoint of %s (version %d): %w", key, sc.version+1, err)
	}
	sc.version++
	return nil
}

// pullKind names what the run asks of the object; a checkpoint is resumed
// only by the same kind.
func (c Config) pullKind() string {
	switch {
	case c.Slice != nil:
		return sliceKind(c.Slice.Load, c.Slice.Index)
	case c.Backfill != nil:
		return "backfill " + c.Backfill.From.UTC().Format(time.RFC3339) + "/" + c.Backfill.To.UTC().Format(time.RFC3339)
	case c.FullResync:
		return "full_resync"
	}
	return "nightly"
}

// segmenter is the resumable state of one invocation's REST pull.
type segmenter struct {
	cp       *storedCheckpoint
	cursor   int64 // skip records stamped at or before (µs; 0: none)
	last     int64 // stamp of the last record taken (-1: none)
	accepted int64 // records taken by this invocation
	staged   bool  // this invocation wrote a segment
}

// resumeOrStart returns the checkpoint this invocation continues, or a new
// one for win when none applies.
func (r *objectRun) resumeOrStart(ctx context.Context, base *lake.Manifest) (*storedCheckpoint, bool, error) {
	cp, v, err := ReadCheckpoint(ctx, r.d.Store, r.cpKey)
	if err != nil {
		return nil, false, err
	}
	sc := &storedCheckpoint{Checkpoint: cp, version: v}
	if !cp.InProgress() {
		return sc, false, nil
	}
	baseKey := ""
	if base != nil {
		baseKey = base.Key()
	}
	why := ""
	switch {
	case cp.Kind != r.cfg.pullKind():
		why = "this run is a " + r.cfg.pullKind() + ", the checkpoint a " + cp.Kind
	case cp.Base != baseKey:
		why = fmt.Sprintf("the merge base changed (%q, now %q): another run committed the object", cp.Base, baseKey)
	case !equalStrings(cp.Fields, r.selected):
		why = "the selected fields changed"
	}
	if why != "" {
		r.log.Warn("pull checkpoint not resumed; pulling again from the start", "pull_id", cp.PullID, "reason", why, "segments", len(cp.Segments))
		return sc, false, nil
	}
	return sc, true, nil
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// newCheckpoint starts a checkpoint for this pull (written only when the
// pull must stop).
func (r *objectRun) newCheckpoint(prev *storedCheckpoint, win window, base *lake.Manifest) {
	cp := Checkpoint{State: PullPulling, PullID: r.cfg.RunID, Kind: r.cfg.pullKind(), Mode: r.sum.Mode, From: win.from, To: win.to, Fields: r.selected, Started: r.d.Wall().UTC()}
	if base != nil {
		cp.Base = base.Key()
	}
	r.seg = &segmenter{cp: &storedCheckpoint{Checkpoint: cp, version: prev.version}, last: -1}
}

// stopNow reports whether the pull must stop before waiting wait: the
// deadline is closer than the margin plus the wait plus the time to upload
// what was pulled.
func (r *objectRun) stopNow(wait time.Duration) bool {
	dl, ok := r.ctx.Deadline()
	if !ok {
		return false
	}
	return dl.Sub(r.d.Wall()) < r.cfg.DeadlineMargin+r.stageTime()+wait
}

// stageUploadRate is the assumed upload speed of staged runs (bytes/s):
// a conservative figure for one Lambda's S3 PUTs.
const stageUploadRate = 50 << 20

func (r *objectRun) stageTime() time.Duration {
	b := r.sort.spilled + int64(len(r.sort.arena))
	return time.Duration(b * int64(time.Second) / stageUploadRate)
}

// mergeRowsPerSecond is the assumed merge speed (base rows plus changes,
// read, merged and written), a third of the bench's single-core figure
// (scripts/checks/extractbench).
const mergeRowsPerSecond = 150_000

// mergeRate is the merge speed this invocation expects (rows/s): the
// assumed figure, or twice its own pull's speed when that is slower, once
// it has pulled enough to tell. A profile of a single pull (extractbench,
// 300,000 leads) spends 3.2 s of CPU pulling and 1.3 s merging the same
// rows, so twice the pull's speed is a cautious guess for the merge's, and
// it follows the machine: a loaded or smaller one slows both. The assumed
// figure alone started merges a loaded machine could not finish and that
// the next invocation did again (docs/scale.md).
func (r *objectRun) mergeRate() int64 {
	elapsed := r.pullTime
	if r.pulledHere < 10_000 || elapsed < time.Second {
		return mergeRowsPerSecond
	}
	return max(1, min(mergeRowsPerSecond, int64(2*float64(r.pulledHere)/elapsed.Seconds())))
}

// mergeFits reports whether the merge of rows can finish before the
// deadline's margin.
func (r *objectRun) mergeFits(rows int64) bool {
	dl, ok := r.ctx.Deadline()
	if !ok {
		return true
	}
	need := time.Duration(float64(rows) / float64(r.mergeRate()) * float64(time.Second))
	return dl.Sub(r.d.Wall()) >= r.cfg.DeadlineMargin+need
}

// errMergeLate: the merge gave up early, as it would not finish before the
// deadline's margin.
var errMergeLate = errors.New("merge abandoned: it would not finish before the deadline's margin")

// mergeCheckRows is how often (snapshot rows written) a merge that may
// give up checks its pace.
var mergeCheckRows int64 = 1 << 16

// mergeLate reports whether a merge begun at began, done rows written of
// about r.mergeRows, should give up: at its pace so far it would not
// finish before the deadline's margin. Only an invocation that pulled
// records and staged everything gives up (the next invocation, with all
// its time, merges without pulling); an invocation that only merges goes
// on to the end, its best chance.
func (r *objectRun) mergeLate(done int64, began time.Time) bool {
	if done%mergeCheckRows != 0 || r.pulledHere == 0 || r.seg == nil || r.seg.cp.version == 0 || r.seg.cp.State != PullPulled {
		return false
	}
	dl, ok := r.ctx.Deadline()
	if !ok {
		return false
	}
	now := r.d.Wall()
	left := max(r.mergeRows-done, 0)
	need := time.Duration(float64(now.Sub(began)) * float64(left) / float64(done))
	return dl.Sub(now) < r.cfg.DeadlineMargin+need
}

// take decides one received upsert record of a resumable pull: skip it
// (stamped at or before the cursor: an earlier invocation has it), stop
// before it (the deadline is near and it starts a new SystemModstamp), or
// take it. stamp is -1 when unreadable (then it is always taken).
func (r *objectRun) take(stamp int64) (bool, error) {
	s := r.seg
	if stamp >= 0 {
		if s.cursor > 0 && stamp <= s.cursor {
			return false, nil
		}
		if stamp != s.last && s.last >= 0 && r.stopNow(0) {
			return false, errStopSegment
		}
		s.last = stamp
	}
	s.accepted++
	return true, nil
}

// recordStamp is a received record's SystemModstamp (µs; an append-only
// object's CreatedDate, field), -1 unreadable.
func recordStamp(field string, row *crm.Row, decodeErr error, rec Record) int64 {
	if decodeErr == nil && rec.Err == nil {
		return row.Modstamp()
	}
	if s, ok := crm.RawString(rec.Raw, field); ok {
		if t, err := crm.ParseDateTime(s); err == nil {
			return crm.Micros(t)
		}
	}
	return -1
}

// stage uploads this invocation's pulled rows and rejects as a segment and
// writes the checkpoint: its commit.
func (r *objectRun) stage(ctx context.Context, state PullState) error {
	s := r.seg
	cp := &s.cp.Checkpoint
	if err := r.sort.spill(); err != nil {
		return err
	}
	var tok [4]byte
	rand.Read(tok[:])
	folder := fmt.Sprintf("%sobject=%s/pull=%s/seg-%05d-%s", StagingPrefix, r.o.Name, cp.PullID, len(cp.Segments), hex.EncodeToString(tok[:]))
	seg := Segment{Received: s.accepted}
	for i, f := range r.sort.runs {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("stage pulled rows: %w", err)
		}
		h := sha256.New()
		cw := &countWriter{}
		key := fmt.Sprintf("%s/run-%05d.bin", folder, i)
		if err := r.d.Blob.Put(ctx, key, io.TeeReader(f, io.MultiWriter(h, cw))); err != nil {
			return fmt.Errorf("stage pulled rows: upload %s: %w", key, err)
		}
		seg.Runs = append(seg.Runs, lake.File{Key: key, Bytes: cw.n, SHA256: hex.EncodeToString(h.Sum(nil))})
	}
	rej, err := r.rejects.Close()
	if err != nil {
		return err
	}
	seg.Rejects = rej
	st := &r.stuck
	for id, ri := range st.rejected {
		seg.Rejected = append(seg.Rejected, stuckNote{ID: id, Stamp: ri.stamp, Field: ri.field, Reason: ri.reason})
	}
	seg.Idless, seg.Hold, seg.HoldAll = st.idless, st.hold, st.holdAll
	cp.Segments = append(cp.Segments, seg)
	cp.Received += s.accepted
	cp.MaxStamp = max(cp.MaxStamp, r.maxStamp)
	cp.NextSeq = r.sort.seq
	if s.last > cp.Cursor {
		cp.Cursor = s.last
	}
	cp.State = state
	cp.Invocations++
	s.staged = true
	if err := writeCheckpoint(ctx, r.d.Store, r.cpKey, s.cp); err != nil {
		return err
	}
	r.sum.Pending, r.sum.Invocations, r.sum.Staged = state != PullDone, cp.Invocations, cp.Received
	r.log.Info("pull checkpointed", "pull_id", cp.PullID, "state", cp.State, "segment", len(cp.Segments), "received", s.accepted, "staged", cp.Received, "cursor", crm.TimeOfMicros(cp.Cursor), "runs", len(seg.Runs))
	return nil
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// loadSegments brings the earlier invocations' staged segments into this
// one: their sorted runs into the sorter, their rejects into tonight's
// reject files, their stuck notes, stamps and counts.
func (r *objectRun) loadSegments(ctx context.Context, segs []Segment) error {
	for _, seg := range segs {
		for _, f := range seg.Runs {
			if err := r.loadRun(ctx, f); err != nil {
				return err
			}
		}
		if err := r.rejects.Include(seg.Rejects); err != nil {
			return fmt.Errorf("staged rejects: %w", err)
		}
		r.noteSegment(seg)
		r.sum.ReceivedUpserts += seg.Received
	}
	return nil
}

// noteSegment adds a staged segment's stuck notes to this run's.
func (r *objectRun) noteSegment(seg Segment) {
	st := &r.stuck
	for _, n := range seg.Rejected {
		if old, ok := st.rejected[n.ID]; !ok || n.Stamp >= old.stamp {
			st.rejected[n.ID] = rejectInfo{stamp: n.Stamp, field: n.Field, reason: n.Reason}
		}
		if _, ok := st.watch[n.ID]; !ok {
			st.watch[n.ID] = -1
		}
	}
	st.idless = append(st.idless, seg.Idless...)
	st.holdAll = st.holdAll || seg.HoldAll
	if seg.Hold > 0 && (st.hold == 0 || seg.Hold < st.hold) {
		st.hold = seg.Hold
	}
}

// loadRun downloads one staged run into an unlinked temp file, checking
// its size and SHA-256, and adds it to the sorter.
func (r *objectRun) loadRun(ctx context.Context, f lake.File) error {
	body, err := r.d.Blob.Get(ctx, f.Key)
	if err != nil {
		return fmt.Errorf("staged rows %s: %w", f.Key, err)
	}
	defer body.Close()
	tmp, err := os.CreateTemp(r.cfg.TempDir, "venn-sort-*.run")
	if err != nil {
		return fmt.Errorf("staged rows %s: %w", f.Key, err)
	}
	os.Remove(tmp.Name())
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), body)
	if err == nil && (n != f.Bytes || !bytes.Equal([]byte(hex.EncodeToString(h.Sum(nil))), []byte(f.SHA256))) {
		err = fmt.Errorf("got %d bytes with SHA-256 %x, the checkpoint says %d bytes, %s", n, h.Sum(nil), f.Bytes, f.SHA256)
	}
	if err != nil {
		tmp.Close()
		return fmt.Errorf("staged rows %s: %w", f.Key, err)
	}
	r.sort.runs = append(r.sort.runs, tmp)
	r.sort.spilled += n
	return nil
}
