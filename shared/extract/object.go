package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/lake"
)

// soqlTime formats a SOQL datetime literal. SOQL literals have whole
// seconds: lower bounds are truncated down (a wider window, deduplicated
// later) and so is the upper bound (records in the cut second wait for the
// next run; the watermark never passes them).
func soqlTime(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format("2006-01-02T15:04:05Z")
}

// objectRun is the extract of one object.
type objectRun struct {
	d        Deps
	cfg      Config
	o        *crm.Object
	runStart time.Time
	log      *slog.Logger
	began    time.Time
	desc     described      // the preflight's describe of o
	skipped  bool           // optional and not in the org
	latest   *lake.Manifest // the latest snapshot before tonight's (nil: none)

	selected []string // Salesforce fields in the SELECT
	// removedIdx are the view's fields the org lacks tonight (null).
	removedIdx []int
	newField   []string
	removed    []string

	dec      *crm.Decoder
	tombDec  *crm.Decoder
	row      crm.Row
	scratch  crm.Row
	hashPII  func(*crm.Row)
	sort     *sorter
	rejects  *lake.RejectWriter
	maxStamp int64
	stats    Stats
	sum      ObjectSummary
	// For Deps.Progress: records received so far, and the current
	// pull's page (pages before it are in stats).
	progRows int64
	progPage int

	stuck     stuckState
	rereading bool // the stuck re-read pull is running

	// ctx is the invocation's context (its deadline decides where a
	// resumable pull stops); seg is the resumable REST pull's state (nil:
	// a pull that cannot stop midway, such as Bulk).
	ctx    context.Context
	seg    *segmenter
	prevCP *storedCheckpoint // the checkpoint as read (version 0: none)
	// pulledHere are the records this invocation's resumable pull took,
	// in pullTime; mergeRows the rows its merge reads (resume.go).
	pulledHere int64
	pullTime   time.Duration
	mergeRows  int64

	// cpKey is the checkpoint's sort key: the object, or a slice's
	// (SliceKey). snapFolder and snapFile are where the merge writes the
	// snapshot (default: the run folder of RunID, part-*.parquet).
	cpKey      string
	snapFolder string
	snapFile   string
	ids        IDRange // a slice's Ids: a record outside fails the pull
}

func (r *objectRun) run(ctx context.Context) (ObjectSummary, error) {
	r.began = r.d.Now()
	r.ctx = ctx
	r.sum = ObjectSummary{Object: r.o.Name}
	// A source that counts every request (the Salesforce client: describe,
	// count and token requests included) gives exact retries; otherwise
	// they are the pulls' own.
	totals, counted := r.d.Source.(interface{ Totals() Stats })
	var before Stats
	if counted {
		before = totals.Totals()
	}
	err := r.extract(ctx)
	r.sum.Pages, r.sum.Retries, r.sum.Requests = r.stats.Pages, r.stats.Retries, r.stats.Requests
	if r.d.Progress != nil {
		r.d.Progress(Progress{Object: r.o.Name, Rows: r.progRows, Pages: r.stats.Pages, Done: true})
	}
	if counted {
		after := totals.Totals()
		r.sum.Retries, r.sum.Requests = after.Retries-before.Retries, after.Requests-before.Requests
		// The describe ran earlier, in the preflight.
		r.sum.Retries += r.desc.st.Retries
		r.sum.Requests += r.desc.st.Requests
	}
	if err != nil {
		r.sum.Err = err.Error()
	}
	return r.sum, err
}

// window is the cursor (SystemModstamp) range of a pull, and for a slice
// of a sliced load its Id range.
type window struct {
	from, to time.Time // from zero = unbounded
	cursor   string    // the object's cursor field
	ids      IDRange   // zero: every Id
}

func (w window) where() string {
	var c []string
	if !w.from.IsZero() {
		c = append(c, w.cursor+" >= "+soqlTime(w.from))
	}
	c = append(c, w.cursor+" < "+soqlTime(w.to))
	return strings.Join(append(c, w.ids.where()...), " AND ")
}

func (r *objectRun) extract(ctx context.Context) error {
	if r.skipped {
		return r.skip(ctx)
	}
	if r.desc.err != nil {
		return r.desc.err
	}
	r.cpKey = r.o.Name
	if r.cfg.Slice != nil {
		return r.extractSlice(ctx)
	}
	if l, v, err := r.activeLoad(ctx); err != nil {
		return err
	} else if l != nil {
		return r.commitLoad(ctx, *l, v)
	}
	dt := lake.DateString(r.cfg.Night)
	snapPart := lake.SnapshotPartition(r.o.Name, dt)
	// The head is read before any input so a concurrent commit is detected.
	head, err := lake.Head(ctx, r.d.Blob, snapPart)
	if err != nil {
		return err
	}
	prevWM, err := readWatermark(ctx, r.d.Store, r.o.Name)
	if err != nil {
		return err
	}
	// The latest snapshot is the merge base (unless resyncing) and, in any
	// case, the schema tonight's must keep.
	latest, err := latestSnapshot(ctx, r.d.Blob, r.o.Name, r.cfg.Night)
	if err != nil {
		return err
	}
	r.latest = latest
	base := latest
	if r.cfg.FullResync {
		base = nil
	}
	if err := r.describe(r.desc.fields, latest); err != nil {
		return err
	}

	// Choose the window and mode.
	win := window{to: r.runStart, cursor: r.o.CursorField()}
	r.sum.Mode = ModeFull
	switch {
	case r.cfg.Backfill != nil:
		if base == nil {
			return errors.New("backfill needs a committed snapshot to merge into; run a full resync first")
		}
		win = window{from: r.cfg.Backfill.From, to: minTime(r.cfg.Backfill.To, r.runStart), cursor: win.cursor}
		r.sum.Mode = ModeBackfill
	case base != nil && (prevWM.version > 0 || base.Watermark != nil):
		// Merge what changed since the older of the two cursors: the
		// stored watermark and the base snapshot's own.
		from := prevWM.SystemModstamp
		if base.Watermark != nil && (prevWM.version == 0 || base.Watermark.Before(from)) {
			from = *base.Watermark
		}
		win.from = from.Add(-r.cfg.Overlap)
		r.sum.Mode = ModeIncremental
	default:
		base = nil // a full pull rebuilds the snapshot from scratch
	}

	defer r.closeSorter()
	bulk, err := r.pullWindow(ctx, &win, base, dt)
	if err != nil {
		return err
	}
	if r.o.SoftDelete && base != nil {
		if err := r.pullDeletes(ctx, win, bulk); err != nil {
			return err
		}
	}
	// A full pull has read every record; otherwise the stuck ones are
	// asked for by Id.
	if r.sum.Mode != ModeFull {
		if err := r.rereadStuck(ctx); err != nil {
			return err
		}
	}
	var del *deletions
	if base != nil {
		if del, err = r.findDeletes(ctx, base.CommittedAt); err != nil {
			return err
		}
	}

	m, err := r.mergeInTime(ctx, base, del, dt)
	if err != nil {
		return err
	}
	if err := lake.Commit(ctx, r.d.Blob, m, head); err != nil {
		return err
	}
	r.sum.Committed, r.sum.Manifest = true, m.Key()
	if r.seg != nil && r.seg.cp.version > 0 {
		// The pull is merged: the next one starts afresh.
		cp := r.seg.cp
		cp.State, cp.Manifest = PullDone, m.Key()
		if err := writeCheckpoint(ctx, r.d.Store, r.o.Name, cp); err != nil {
			return fmt.Errorf("snapshot committed as %s but %w", m.Key(), err)
		}
		r.sum.Invocations = cp.Invocations
		if !r.seg.staged {
			r.sum.Invocations++
		}
		r.log.Info("resumed pull merged", "pull_id", cp.PullID, "invocations", r.sum.Invocations, "segments", len(cp.Segments))
	}
	return r.afterCommit(ctx, m, base, del, prevWM, dt)
}

// afterCommit follows the commit of m: the reconciliation when the pull
// saw every record, the stuck list, and last the watermark.
func (r *objectRun) afterCommit(ctx context.Context, m *lake.Manifest, base *lake.Manifest, del *deletions, prevWM storedWatermark, dt string) error {
	// A full pull or an Id list is a complete view of the org's records.
	if base == nil || del.alive != nil {
		reason := r.sum.Reconciled
		if reason == "" {
			reason = "no soft delete: Ids compared every night"
		}
		if base == nil {
			reason = "full pull"
		}
		if err := recordReconciliation(ctx, r.d.Store, r.o.Name, Reconciliation{At: r.runStart, RunID: r.cfg.RunID, Reason: reason}); err != nil {
			return fmt.Errorf("snapshot committed as %s but %w", m.Key(), err)
		}
	}

	// The stuck list before the watermark: a crash between the two reads
	// the window again and finds the same rejects.
	next := r.nextStuck(dt)
	r.summarizeStuck(next)
	if err := writeStuck(ctx, r.d.Store, r.o.Name, next, r.stuck.prevChunks); err != nil {
		return fmt.Errorf("snapshot committed as %s but %w", m.Key(), err)
	}
	if len(next) > 0 {
		r.log.Warn("stuck rejects", "stuck", len(next), "since", r.sum.StuckSince, "recovered", r.sum.Recovered, "gone", r.sum.Gone, "watermark_held", r.sum.WatermarkHeld)
	}

	// Only now may the watermark move.
	if m.Watermark != nil {
		r.sum.Watermark = *m.Watermark
		next := Watermark{SystemModstamp: *m.Watermark, Manifest: m.Key(), RunID: r.cfg.RunID}
		if err := advanceWatermark(ctx, r.d.Store, r.o.Name, prevWM, next); err != nil {
			return fmt.Errorf("snapshot committed as %s but %w", m.Key(), err)
		}
	}
	return nil
}

// pullWindow pulls the window's upserts into the sorter: resumably (a REST
// pull checkpointed between invocations, resume.go) or in one go (Bulk).
// When it returns without error every record of the window is in the
// sorter (this invocation's and the staged ones); errMore means the pull
// was checkpointed for the next invocation. win takes the checkpoint's
// window when a pull resumes.
func (r *objectRun) pullWindow(ctx context.Context, win *window, base *lake.Manifest, dt string) (bool, error) {
	// A pull checkpointed by an earlier invocation goes on where it
	// stopped, over the window it started with (resume.go).
	prevCP, resuming, err := r.resumeOrStart(ctx, base)
	if err != nil {
		return false, err
	}
	r.prevCP = prevCP
	bulk := false
	_, bulkResumes := r.d.Source.(BulkResumer)
	if resuming {
		cp := prevCP.Checkpoint
		win.from, win.to, r.sum.Mode = cp.From, cp.To, cp.Mode
		r.seg = &segmenter{cp: prevCP, cursor: cp.Cursor, last: -1}
		bulk = cp.Bulk != nil
		if bulk && !bulkResumes {
			return false, fmt.Errorf("pull %s is a Bulk job (%s) and this source cannot resume one", cp.PullID, cp.Bulk.JobID)
		}
		r.log.Info("resuming pull", "pull_id", cp.PullID, "state", cp.State, "segments", len(cp.Segments), "staged", cp.Received, "cursor", crm.TimeOfMicros(cp.Cursor), "window", win.where())
	} else {
		pending, err := r.d.Source.Count(ctx, "SELECT COUNT() FROM "+r.o.Name+" WHERE "+win.where())
		if err != nil {
			return false, fmt.Errorf("count pending changes: %w", err)
		}
		bulk = pending > r.cfg.BulkThreshold
		if bulk && r.sum.Mode == ModeIncremental {
			r.sum.Mode = ModeBulk
		}
		if !bulk || bulkResumes {
			r.newCheckpoint(prevCP, *win, base)
			if bulk {
				r.seg.cp.Bulk = &BulkCursor{}
			}
		}
		r.log.Info("pulling", "mode", r.sum.Mode, "bulk", bulk, "pending", pending, "window", win.where())
	}

	r.hashPII = r.cfg.PII.Plan(r.o)
	r.sort = newSorter(r.cfg.SortBudget, r.cfg.TempDir) // closed by the caller, after the merge
	r.rejects = lake.NewRejectWriter(ctx, r.d.Blob, r.o, dt, r.cfg.RunID, &r.cfg.PII)
	if err := r.loadStuck(ctx); err != nil {
		return false, err
	}

	var earlier []Segment // segments staged by earlier invocations
	if r.seg != nil {
		r.sort.seq = r.seg.cp.NextSeq
		earlier = r.seg.cp.Segments
	}
	if !resuming || r.seg.cp.State == PullPulling {
		began := r.d.Wall()
		err := r.pullUpserts(ctx, *win, bulk)
		r.pullTime = r.d.Wall().Sub(began)
		if r.seg != nil {
			r.pulledHere = r.seg.accepted
		}
		if errors.Is(err, ErrBulkJobFailed) && r.seg != nil && r.seg.cp.version > 0 {
			// Resuming this job can only fail again: the next pull
			// starts over with a new one.
			r.seg.cp.State = PullFailed
			if werr := writeCheckpoint(ctx, r.d.Store, r.cpKey, r.seg.cp); werr != nil {
				return false, errors.Join(err, werr)
			}
			return false, err
		}
		if errors.Is(err, errStopSegment) {
			if err := r.stage(ctx, PullPulling); err != nil {
				return false, err
			}
			return false, errMore
		}
		if err != nil {
			return false, err
		}
	}
	if r.seg != nil {
		// The window is read. A pull already checkpointed keeps this
		// invocation's rows too, so a merge cut short by the deadline
		// does not pull them again; a merge that will not fit before the
		// deadline is left to the next invocation.
		rows := r.seg.cp.Received + r.seg.accepted
		if base != nil {
			rows += base.Rows
		}
		r.mergeRows = rows
		// An invocation that pulled nothing has all the time it will
		// ever have: it merges.
		fits := r.pulledHere == 0 || r.mergeFits(rows)
		if (resuming && r.seg.cp.State == PullPulling) || !fits {
			if err := r.stage(ctx, PullPulled); err != nil {
				return false, err
			}
			if !fits {
				return false, errMore
			}
			// This invocation's rows are in the sorter already (and
			// counted); its rejects were closed into the staged segment.
			r.seg.accepted = 0
			r.rejects = lake.NewRejectWriter(ctx, r.d.Blob, r.o, dt, r.cfg.RunID, &r.cfg.PII)
			if err := r.loadSegments(ctx, earlier); err != nil {
				return false, err
			}
			// The staged copy of this invocation's rejects, like the others.
			if err := r.rejects.Include(r.seg.cp.Segments[len(r.seg.cp.Segments)-1].Rejects); err != nil {
				return false, err
			}
		} else if err := r.loadSegments(ctx, earlier); err != nil {
			return false, err
		}
		r.maxStamp = max(r.maxStamp, r.seg.cp.MaxStamp)
	}
	return bulk, nil
}

// mergeInTime merges (merge) and checks the deadline's margin after: a
// merge that ran into it is not committed, and when everything pulled is
// staged the next invocation merges (errMore).
func (r *objectRun) mergeInTime(ctx context.Context, base *lake.Manifest, del *deletions, dt string) (*lake.Manifest, error) {
	m, err := r.merge(ctx, base, del, dt)
	if errors.Is(err, errMergeLate) {
		// Everything pulled is staged (mergeLate): the next invocation
		// merges with all its time.
		return nil, r.mergeCut(ctx, "merge abandoned early: at its pace it would not finish before the deadline's margin; the next invocation merges")
	}
	if err != nil {
		return nil, err
	}
	if err := checkDeadline(ctx, r.d.Wall, r.cfg.DeadlineMargin); err != nil {
		if r.seg != nil && r.seg.cp.version > 0 && r.seg.cp.State == PullPulled {
			// Everything pulled is staged: the next invocation merges.
			return nil, r.mergeCut(ctx, "merge did not finish before the deadline's margin; the next invocation merges")
		}
		return nil, fmt.Errorf("%s not committed: %w", r.o.Name, err)
	}
	return m, nil
}

// mergeCut records a merge that did not finish (everything pulled is
// staged) and answers errMore. The checkpoint is written again so the next
// invocation of the same event is a new run, not a replay of this one.
func (r *objectRun) mergeCut(ctx context.Context, why string) error {
	cp := r.seg.cp
	cp.MergesCut++
	if err := writeCheckpoint(ctx, r.d.Store, r.cpKey, cp); err != nil {
		return err
	}
	r.log.Warn(why, "pull_id", cp.PullID, "rows", r.mergeRows, "merges_cut", cp.MergesCut)
	r.sum.Pending, r.sum.Invocations, r.sum.Staged = true, cp.Invocations, cp.Received
	return errMore
}

func (r *objectRun) closeSorter() {
	if r.sort != nil {
		r.sort.close()
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// accept routes one received record: bad ones (split errors, decode
// errors, values the lake cannot hold) to rejects with where they were,
// good ones (PII hashed) into the sorter. header is nil for REST.
func (r *objectRun) accept(row *crm.Row, op byte, decodeErr error, rec Record, header []string) error {
	if rec.Err != nil {
		decodeErr = r.splitError(rec, header)
	}
	if decodeErr == nil {
		decodeErr = lake.CheckRow(r.o, row)
	}
	if decodeErr != nil {
		var fe *crm.FieldError
		if !errors.As(decodeErr, &fe) {
			return decodeErr
		}
		r.log.Debug("record rejected", "id", fe.ID, "field", fe.Field, "reason", fe.Reason, "page", rec.Page, "index", rec.Index)
		r.noteReject(fe, rec, header)
		at := lake.At{Page: rec.Page, Index: rec.Index}
		switch {
		case header == nil:
			return r.rejects.AddJSON(rec.Raw, at, decodeErr)
		case rec.Cells == nil:
			return r.rejects.AddRaw(rec.Raw, at, decodeErr)
		default:
			return r.rejects.AddCSV(header, rec.Cells, at, decodeErr)
		}
	}
	if r.ids != (IDRange{}) && !r.ids.contains(row.ID()) {
		// The filter was Salesforce's: its Id order is not the one the
		// slices were cut by, so slices could overlap or miss records.
		return fmt.Errorf("record %s is outside the slice's Ids %s: Salesforce orders Ids differently from the load's plan; nothing merged", row.ID(), r.ids)
	}
	if r.o.SoftDelete && op == opUpsert {
		if d := row.Values[3]; !d.Null && d.B { // IsDeleted seen on the upsert path
			op = opDelete
		}
	}
	// A stuck record read again by Id may be newer than tonight's window:
	// its stamp must not move the cursor past records not yet pulled.
	if s := row.Modstamp(); s > r.maxStamp && !r.rereading {
		r.maxStamp = s
	}
	r.hashPII(row)
	return r.sort.add(row, op)
}

// splitError is the reject reason of a record that could not be split
// out of the response, naming its Id when one can be read.
func (r *objectRun) splitError(rec Record, header []string) error {
	fe := &crm.FieldError{Object: r.o.Name, Field: "(record)", Reason: rec.Err.Error()}
	if header == nil {
		fe.ID, _ = crm.RawString(rec.Raw, "Id")
	} else if len(header) > 0 && header[0] == "Id" {
		fe.ID = leadingCell(rec.Raw, 0)
	}
	if id, err := crm.NormalizeID(fe.ID); err == nil {
		fe.ID = id
	}
	return fe
}

// leadingCell reads cell i of a CSV row that could not be split, for the
// first cells only: the Id and SystemModstamp lead every pull's SELECT and
// never hold a comma or a quote, so a naive split reaches them intact.
func leadingCell(raw []byte, i int) string {
	cells := strings.SplitN(string(raw), ",", i+2)
	if i >= len(cells) {
		return ""
	}
	return strings.Trim(cells[i], `"`)
}

func (r *objectRun) pullUpserts(ctx context.Context, win window, bulk bool) error {
	if r.seg != nil && r.seg.cursor > 0 {
		win.from = crm.TimeOfMicros(r.seg.cursor) // whole seconds: the rest is skipped in take
	}
	soql := "SELECT " + strings.Join(r.selected, ", ") + " FROM " + r.o.Name + " WHERE " + win.where()
	st, err := r.pullRecords(ctx, soql, false, bulk, r.dec, &r.row, func() *crm.Row { return &r.row }, opUpsert)
	if errors.Is(err, errStopSegment) {
		return err
	}
	if err != nil {
		return fmt.Errorf("query changes: %w", err)
	}
	if r.seg != nil {
		// Records an earlier invocation had are skipped, not received.
		r.sum.ReceivedUpserts += r.seg.accepted
		return nil
	}
	r.sum.ReceivedUpserts += int64(st.Records)
	return nil
}

// pullRecords runs one pull (REST ordered by the stamp, SystemModstamp or
// an append-only object's CreatedDate, then Id; or Bulk)
// and routes every record it returns through accept.
func (r *objectRun) pullRecords(ctx context.Context, soql string, all, bulk bool, dec *crm.Decoder, into *crm.Row, row func() *crm.Row, op byte) (Stats, error) {
	var st Stats
	var err error
	r.progPage = 0
	if bulk {
		// Only the window's upsert pull is resumable, as over REST.
		seg := r.seg
		if op != opUpsert || r.rereading {
			seg = nil
		}
		deliver := func(header []string, rec Record) error {
			r.progress(rec)
			var derr error
			if rec.Err == nil {
				derr = dec.DecodeCSV(header, rec.Cells, into)
			}
			if seg != nil {
				seg.accepted++
			}
			return r.accept(row(), op, derr, rec, header)
		}
		if seg != nil && seg.cp.Bulk != nil {
			st, err = r.d.Source.(BulkResumer).BulkQueryResume(ctx, soql, all, seg.cp.Bulk, r.stopNow, deliver)
			if errors.Is(err, ErrBulkPaused) {
				err = fmt.Errorf("%w: %w", errStopSegment, err)
			}
		} else {
			st, err = r.d.Source.BulkQuery(ctx, soql, all, deliver)
		}
	} else {
		// Only the window's upsert pull is resumable: deletes and re-reads
		// run whole in the invocation that merges.
		seg := r.seg
		if op != opUpsert || r.rereading {
			seg = nil
		}
		st, err = r.d.Source.QueryRecords(ctx, soql+" ORDER BY "+r.o.StampField()+", Id", all, func(rec Record) error {
			var derr error
			if rec.Err == nil {
				derr = dec.DecodeJSON(rec.Raw, into)
			}
			if seg != nil {
				if ok, err := r.take(recordStamp(r.o.StampField(), into, derr, rec)); !ok {
					return err
				}
			}
			r.progress(rec)
			return r.accept(row(), op, derr, rec, nil)
		})
	}
	r.stats.add(st)
	return st, err
}

// progress counts a received record and reports the pull at each new
// page (Record.Page counts a pull's pages from 1).
func (r *objectRun) progress(rec Record) {
	r.progRows++
	if r.d.Progress == nil || rec.Page == r.progPage {
		return
	}
	r.progPage = rec.Page
	r.d.Progress(Progress{Object: r.o.Name, Rows: r.progRows, Pages: r.stats.Pages + rec.Page})
}

// tombstone widens a decoded deletion (Id, stamps) to a full row.
func (r *objectRun) tombstone() *crm.Row {
	r.row.Reset(len(r.o.Fields))
	copy(r.row.Values, r.scratch.Values[:3])
	r.row.Values[3] = crm.Value{B: true} // IsDeleted: soft-delete objects only
	return &r.row
}

func (r *objectRun) pullDeletes(ctx context.Context, win window, bulk bool) error {
	stamps := "SystemModstamp, CreatedDate"
	if r.o.AppendOnly {
		stamps = "CreatedDate"
	}
	soql := "SELECT Id, " + stamps + " FROM " + r.o.Name + " WHERE IsDeleted = true AND " + win.where()
	st, err := r.pullRecords(ctx, soql, true, bulk, r.tombDec, &r.scratch, r.tombstone, opDelete)
	if err != nil {
		return fmt.Errorf("query deletions: %w", err)
	}
	r.sum.ReceivedDeletes += int64(st.Records)
	return nil
}

// pullIDs lists every live Id of an object without soft delete, to find
// hard deletes by difference with the previous snapshot. Memory: one map
// entry per live record (~60 bytes each; 1M CampaignMembers ≈ 60 MB).
func (r *objectRun) pullIDs(ctx context.Context) (map[string]struct{}, error) {
	idDec := crm.NewDecoder(&crm.Object{Name: r.o.Name, Fields: r.o.Fields[:1]})
	alive := map[string]struct{}{}
	st, err := r.d.Source.Query(ctx, "SELECT Id FROM "+r.o.Name, func(raw []byte) error {
		if err := idDec.DecodeJSON(raw, &r.scratch); err != nil {
			// Without a trustworthy Id set, deleting would be guessing.
			return fmt.Errorf("live Id list: %w", err)
		}
		alive[r.scratch.ID()] = struct{}{}
		return nil
	})
	r.stats.add(st)
	if err != nil {
		return nil, fmt.Errorf("query live Ids: %w", err)
	}
	return alive, nil
}

// newFields are the fields the org added (described or seen in records)
// that the configuration does not map, sorted.
func (r *objectRun) newFields() []string {
	newFields := slices.Clone(r.newField)
	for n := range r.dec.Unknown {
		if !slices.Contains(newFields, n) {
			newFields = append(newFields, n)
		}
	}
	sort.Strings(newFields)
	return newFields
}

// snapshotManifest is the manifest that commits a snapshot of files (rows
// in all) merged over base (nil: a full pull), with its change and reject
// files. Its watermark is the newest stamp pulled (r.maxStamp) or the
// base's, held back for Id-less rejects.
func (r *objectRun) snapshotManifest(dt string, base *lake.Manifest, files []lake.File, rows int64, chFiles, rejFiles []lake.File, c lake.Counts, newFields []string) *lake.Manifest {
	snapSchema := lake.NewObjectSchema(r.o, false)
	m := &lake.Manifest{
		Table:         "crm/snapshot",
		Partition:     lake.SnapshotPartition(r.o.Name, dt),
		Object:        r.o.Name,
		Dt:            dt,
		RunID:         r.cfg.RunID,
		SchemaVersion: snapSchema.Version,
		Schema:        snapSchema.Columns(),
		SchemaHistory: schemaHistory(r.latest, dt, snapSchema.Version, snapSchema.Columns(), r.removed),
		Files:         files,
		Rows:          rows,
		FieldsPresent: r.selected,
		NewFields:     newFields,
		RemovedFields: r.removed,
		Changes:       chFiles,
		Rejects:       rejFiles,
		Counts:        &c,
		Mode:          string(r.sum.Mode),
		PIIHashed:     r.cfg.PII.HashedFields(r.o),
		PIIKeyID:      r.cfg.PII.KeyID(),
		CommittedAt:   r.d.Now().UTC(),
	}
	if m.Files == nil {
		m.Files = []lake.File{}
	}
	if base != nil {
		m.Previous = base.Key()
	}
	// The snapshot reflects everything up to the newest stamp seen, or the
	// base's when nothing changed.
	var wm *time.Time
	if base != nil && base.Watermark != nil {
		w := *base.Watermark
		wm = &w
	}
	if r.maxStamp > 0 {
		if w := crm.TimeOfMicros(r.maxStamp); wm == nil || w.After(*wm) {
			wm = &w
		}
	}
	m.Watermark = wm
	r.heldWatermark(m, base)
	return m
}

// merge streams the previous snapshot (sorted by Id) against the sorted,
// deduplicated changes, writing change files and tonight's snapshot (also
// sorted by Id), and returns the manifest to commit.
func (r *objectRun) merge(ctx context.Context, base *lake.Manifest, del *deletions, dt string) (*lake.Manifest, error) {
	it, err := r.sort.iterate()
	if err != nil {
		return nil, err
	}
	snapSchema := lake.NewObjectSchema(r.o, false)
	folder, wopts := lake.RunFolder(lake.SnapshotPartition(r.o.Name, dt), r.cfg.RunID), r.cfg.Writer
	if r.snapFolder != "" {
		folder, wopts.FileName = r.snapFolder, r.snapFile
	}
	snapW := lake.NewRowWriter(ctx, r.d.Blob, folder, "crm/snapshot", snapSchema, wopts)
	defer snapW.Abort()
	// A full pull's change files would duplicate its snapshot; they are
	// written only for merges (the manifest's mode says which).
	var chW *lake.RowWriter
	if base != nil {
		chW = lake.NewRowWriter(ctx, r.d.Blob, lake.RunFolder(lake.ChangesPartition(r.o.Name, dt), r.cfg.RunID), "crm/changes", lake.NewObjectSchema(r.o, true), r.cfg.Writer)
		defer chW.Abort()
	}
	var (
		change  []byte
		chRow   crm.Row
		rows    int64
		counts  lake.Counts
		lastID  string
		hasLast bool
		// written counts the Ids the sorter yields (one per merged
		// record); unchangedN those identical to the base row.
		written, unchangedN int64
	)
	if change, err = it.next(); err != nil {
		return nil, err
	}
	began := r.d.Wall()
	writeSnap := func(row *crm.Row) error {
		rows++
		if r.mergeLate(rows, began) {
			return errMergeLate
		}
		return snapW.Write(row, "")
	}
	// applyChange writes the change and decides the snapshot row: the
	// newest SystemModstamp wins between the base row and the change. A
	// re-pulled record identical to the base row (the overlap window, a
	// rerun) is no change: it is neither written to the change files nor
	// counted, so change files hold real increments only.
	applyChange := func(b *crm.Row) error {
		if err := decodeEntry(change, &chRow); err != nil {
			return err
		}
		op := entryOp(change)
		r.noteMerged(entryID(change), chRow.Modstamp())
		written++
		if op == opUpsert && del.deleted(&chRow) {
			op = opDelete // changed, then removed from the org before tonight's Id list
			r.sum.ReconcileDeletes++
		}
		unchanged := op == opUpsert && b != nil && slices.Equal(b.Values, chRow.Values)
		if unchanged {
			unchangedN++
		}
		if !unchanged {
			opName := lake.OpUpsert
			if op == opDelete {
				opName = lake.OpDelete
				counts.Deletes++
			} else {
				counts.Upserts++
			}
			if chW != nil {
				if err := chW.Write(&chRow, opName); err != nil {
					return err
				}
			}
		}
		var next error
		change, next = it.next()
		switch {
		case b != nil && b.Modstamp() > chRow.Modstamp():
			return errors.Join(next, writeSnap(b))
		case op == opDelete:
			return next
		default:
			return errors.Join(next, writeSnap(&chRow))
		}
	}
	if base != nil {
		err = lake.ReadRows(ctx, r.d.Blob, r.o, base.Files, func(b *crm.Row, _ string) error {
			r.nullRemoved(b)
			id := b.ID()
			if hasLast && id <= lastID {
				return fmt.Errorf("previous snapshot %s is not sorted by Id (%s after %s)", base.Key(), id, lastID)
			}
			lastID, hasLast = id, true
			for change != nil && bytes.Compare(entryID(change), []byte(id)) < 0 {
				if err := applyChange(nil); err != nil {
					return err
				}
			}
			if change != nil && string(entryID(change)) == id {
				return applyChange(b)
			}
			if del.deleted(b) {
				counts.Deletes++
				r.sum.ReconcileDeletes++
				return chW.Write(b, lake.OpDelete)
			}
			return writeSnap(b)
		})
		if err != nil {
			return nil, fmt.Errorf("merge with %s: %w", base.Key(), err)
		}
	}
	for change != nil {
		if err := applyChange(nil); err != nil {
			return nil, err
		}
	}
	snapFiles, err := snapW.Close()
	if err != nil {
		return nil, err
	}
	var chFiles []lake.File
	if chW != nil {
		if chFiles, err = chW.Close(); err != nil {
			return nil, err
		}
	}
	rejFiles, err := r.rejects.Close()
	if err != nil {
		return nil, err
	}
	counts.Rejects = r.rejects.Count()

	m := r.snapshotManifest(dt, base, snapFiles, rows, chFiles, rejFiles, counts, r.newFields())
	r.sum.SnapshotRows, r.sum.Upserts, r.sum.Deletes, r.sum.Rejects = rows, counts.Upserts, counts.Deletes, counts.Rejects
	r.sum.Written, r.sum.Unchanged, r.sum.Duplicates, r.sum.Conflicts = written, unchangedN, it.duplicates, it.conflicts
	r.sum.Received = r.sum.ReceivedUpserts + r.sum.ReceivedDeletes + r.sum.ReceivedReread
	if it.conflicts > 0 {
		r.log.Warn("same-stamp duplicates with different values; the later one in the pull was kept", "conflicts", it.conflicts, "ids", it.conflictIDs)
	}
	if got := r.sum.Written + r.sum.Rejects + r.sum.Duplicates; got != r.sum.Received {
		return nil, fmt.Errorf("accounting: the source returned %d records but %d were written, %d rejected and %d resolved as duplicates (%d); nothing committed", r.sum.Received, r.sum.Written, r.sum.Rejects, r.sum.Duplicates, got)
	}
	r.sum.NewFields, r.sum.RemovedFields = m.NewFields, r.removed
	return m, nil
}
