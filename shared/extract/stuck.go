package extract

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/results"
)

// Stuck rejects. A rejected record is never left behind: the watermark
// moves past it, so without more it would not be read again until someone
// edits it. Every object keeps a durable list of its stuck records in the
// results store, and each night:
//
//   - after the incremental pulls, the stuck Ids are asked for again by Id
//     (SELECT ... WHERE Id IN (...), through queryAll for objects with soft
//     delete, batched to stay far below the URL and SOQL length limits);
//   - an Id whose newest copy tonight decodes is merged into the snapshot
//     and leaves the list (recovered); one the org no longer returns was
//     deleted or purged and leaves the list (gone); one still bad stays,
//     with tonight's reason and its first-seen night;
//   - a record rejected without a usable Id (none, a bad checksum, another
//     object's key prefix) cannot be asked for by Id. It holds the
//     watermark instead: the snapshot's watermark stays at the record's
//     SystemModstamp when that could be read, else where it was, so the
//     next night's window covers it again. It is listed (by its raw Id and
//     stamp) while it stays bad, and the summary says "watermark held".
//
// The list is written after the snapshot commits and before the watermark
// advances: a crash between the two re-pulls the window and finds the
// same rejects again. Two runs of one object racing may overwrite each
// other's list; the next night rebuilds it from the records themselves.

// StuckPKPrefix is the results-store partition prefix of the stuck lists:
// "STUCK#<object>", one item per chunk of stuckChunk records, sort keys
// "00000", "00001", ...
const StuckPKPrefix = "STUCK#"

// stuckChunk keeps an item far below DynamoDB's 400 KB.
const stuckChunk = 500

// rereadBatch Ids per re-read query: 200 × 21 characters keeps the URL
// near 5 KB with the field list, far below the limits.
const rereadBatch = 200

// StuckRecord is one stuck reject.
type StuckRecord struct {
	// ID is the record's 18-character Id; empty when it had no usable Id.
	ID string `json:"id,omitempty"`
	// RawID is the unusable Id as received, and Stamp its SystemModstamp
	// as received, for a record without a usable Id.
	RawID string `json:"raw_id,omitempty"`
	Stamp string `json:"stamp,omitempty"`
	// FirstSeen and LastSeen are the nights (dt) it was first and last
	// rejected; Attempts the nights it was rejected.
	FirstSeen string `json:"first_seen"`
	LastSeen  string `json:"last_seen"`
	Attempts  int    `json:"attempts"`
	Field     string `json:"field"`
	Reason    string `json:"reason"`
}

type stuckChunkBody struct {
	Records []StuckRecord `json:"records"`
}

// ReadStuck returns the object's stuck rejects and the number of chunk
// items stored.
func ReadStuck(ctx context.Context, s results.Store, object string) ([]StuckRecord, int, error) {
	items, err := s.Query(ctx, StuckPKPrefix+object, "")
	if err != nil {
		return nil, 0, fmt.Errorf("read stuck rejects of %s: %w", object, err)
	}
	var out []StuckRecord
	for _, it := range items {
		var b stuckChunkBody
		if err := json.Unmarshal(it.Body, &b); err != nil {
			return nil, 0, fmt.Errorf("decode stuck rejects of %s (%s): %w", object, it.SK, err)
		}
		out = append(out, b.Records...)
	}
	return out, len(items), nil
}

// writeStuck replaces the object's list, blanking chunks it no longer
// needs (the store has no delete).
func writeStuck(ctx context.Context, s results.Store, object string, recs []StuckRecord, prevChunks int) error {
	var items []results.Item
	for i := 0; i*stuckChunk < len(recs) || i < prevChunks; i++ {
		var b stuckChunkBody
		if i*stuckChunk < len(recs) {
			b.Records = recs[i*stuckChunk : min((i+1)*stuckChunk, len(recs))]
		}
		body, err := json.Marshal(b)
		if err != nil {
			return err
		}
		items = append(items, results.Item{PK: StuckPKPrefix + object, SK: fmt.Sprintf("%05d", i), Kind: "stuck", Body: body})
	}
	if len(items) == 0 {
		return nil
	}
	if err := s.BatchPut(ctx, items); err != nil {
		return fmt.Errorf("write stuck rejects of %s: %w", object, err)
	}
	return nil
}

// rejectInfo is tonight's newest reject of one usable Id.
type rejectInfo struct {
	stamp         int64 // SystemModstamp in µs; -1 when unreadable
	field, reason string
}

// stuckState is one object run's view of its stuck records.
type stuckState struct {
	prev       []StuckRecord
	prevChunks int
	// watch: the Ids whose fate tonight decides (previously stuck or
	// rejected tonight) → the stamp of the copy merged tonight (-1: none).
	watch    map[string]int64
	rejected map[string]rejectInfo
	idless   []StuckRecord
	// hold is the SystemModstamp (µs) the watermark may not pass; holdAll
	// keeps it where it was (an Id-less reject whose stamp is unreadable).
	hold    int64
	holdAll bool
}

func (r *objectRun) loadStuck(ctx context.Context) error {
	prev, chunks, err := ReadStuck(ctx, r.d.Store, r.o.Name)
	if err != nil {
		return err
	}
	r.stuck = stuckState{prev: prev, prevChunks: chunks, watch: map[string]int64{}, rejected: map[string]rejectInfo{}}
	for _, s := range prev {
		if s.ID != "" {
			r.stuck.watch[s.ID] = -1
		}
	}
	return nil
}

// noteReject records a reject for the stuck list and the watermark rule.
func (r *objectRun) noteReject(fe *crm.FieldError, rec Record, header []string) {
	stampText := ""
	if header == nil {
		stampText, _ = crm.RawString(rec.Raw, r.o.StampField())
	} else if i := slices.Index(header, r.o.StampField()); i >= 0 && i < len(rec.Cells) {
		stampText = rec.Cells[i]
	} else if i == 1 && rec.Cells == nil {
		stampText = leadingCell(rec.Raw, 1)
	}
	stamp := int64(-1)
	if t, err := crm.ParseDateTime(stampText); err == nil {
		stamp = crm.Micros(t)
	}
	st := &r.stuck
	if crm.UsableID(r.o.Name, fe.ID) {
		if old, ok := st.rejected[fe.ID]; !ok || stamp >= old.stamp {
			st.rejected[fe.ID] = rejectInfo{stamp: stamp, field: fe.Field, reason: fe.Reason}
		}
		if _, ok := st.watch[fe.ID]; !ok {
			st.watch[fe.ID] = -1
		}
		return
	}
	if r.rereading {
		return // asked for by a usable Id: cannot come back without one
	}
	st.idless = append(st.idless, StuckRecord{RawID: fe.ID, Stamp: stampText, Field: fe.Field, Reason: fe.Reason})
	if stamp < 0 {
		st.holdAll = true
	} else if st.hold == 0 || stamp < st.hold {
		st.hold = stamp
	}
}

// noteMerged is called by the merge with the newest copy of each Id.
func (r *objectRun) noteMerged(id []byte, stamp int64) {
	if _, ok := r.stuck.watch[string(id)]; ok {
		r.stuck.watch[string(id)] = stamp
	}
}

// rereadStuck asks the org again for every stuck record with a usable Id.
func (r *objectRun) rereadStuck(ctx context.Context) error {
	var ids []string
	for _, s := range r.stuck.prev {
		// An Id the window already brought back bad tonight has nothing
		// new to say.
		if _, again := r.stuck.rejected[s.ID]; s.ID != "" && !again {
			ids = append(ids, s.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	r.rereading = true
	defer func() { r.rereading = false }()
	for start := 0; start < len(ids); start += rereadBatch {
		batch := ids[start:min(start+rereadBatch, len(ids))]
		soql := "SELECT " + strings.Join(r.selected, ", ") + " FROM " + r.o.Name + " WHERE Id IN ('" + strings.Join(batch, "', '") + "')"
		st, err := r.pullRecords(ctx, soql, r.o.SoftDelete, false, r.dec, &r.row, func() *crm.Row { return &r.row }, opUpsert)
		if err != nil {
			return fmt.Errorf("read stuck rejects again: %w", err)
		}
		r.sum.ReceivedReread += int64(st.Records)
	}
	r.log.Info("stuck rejects read again", "ids", len(ids), "received", r.sum.ReceivedReread)
	return nil
}

// nextStuck decides tonight's list: an Id stays stuck when its newest copy
// tonight was rejected (a reject whose stamp is unreadable counts as
// newest); it leaves when a copy at least as new merged (recovered) or
// when nothing came back (gone: deleted or purged).
func (r *objectRun) nextStuck(dt string) []StuckRecord {
	st := &r.stuck
	prevByID := map[string]StuckRecord{}
	prevIdless := map[string]StuckRecord{}
	for _, s := range st.prev {
		if s.ID != "" {
			prevByID[s.ID] = s
		} else {
			prevIdless[s.RawID+"|"+s.Stamp] = s
		}
	}
	var next []StuckRecord
	carry := func(old StuckRecord, had bool, fresh StuckRecord) StuckRecord {
		fresh.FirstSeen, fresh.LastSeen, fresh.Attempts = dt, dt, 1
		if had {
			fresh.FirstSeen, fresh.Attempts = old.FirstSeen, old.Attempts+1
		}
		return fresh
	}
	ids := make([]string, 0, len(st.watch))
	for id := range st.watch {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		merged := st.watch[id]
		rej, rejected := st.rejected[id]
		old, had := prevByID[id]
		switch {
		case rejected && (merged < 0 || rej.stamp < 0 || rej.stamp >= merged):
			next = append(next, carry(old, had, StuckRecord{ID: id, Field: rej.field, Reason: rej.reason}))
		case merged >= 0:
			if had {
				r.sum.Recovered++
				r.log.Info("stuck reject recovered", "id", id, "first_seen", old.FirstSeen)
			}
		case had:
			r.sum.Gone++
			r.log.Info("stuck reject no longer in the org", "id", id, "first_seen", old.FirstSeen)
		}
	}
	seen := map[string]bool{}
	for _, s := range st.idless {
		key := s.RawID + "|" + s.Stamp
		if seen[key] {
			continue
		}
		seen[key] = true
		old, had := prevIdless[key]
		next = append(next, carry(old, had, s))
	}
	return next
}

// heldWatermark applies the Id-less rule to the watermark the merge
// computed: never past an Id-less reject.
func (r *objectRun) heldWatermark(wm *lake.Manifest, base *lake.Manifest) {
	st := &r.stuck
	if !st.holdAll && st.hold == 0 {
		return
	}
	r.sum.WatermarkHeld = true
	if st.holdAll {
		wm.Watermark = nil
		if base != nil && base.Watermark != nil {
			w := *base.Watermark
			wm.Watermark = &w
		}
		return
	}
	if h := crm.TimeOfMicros(st.hold); wm.Watermark == nil || h.Before(*wm.Watermark) {
		wm.Watermark = &h
	}
}

// summarizeStuck fills the summary's stuck count and oldest night.
func (r *objectRun) summarizeStuck(next []StuckRecord) {
	r.sum.Stuck = len(next)
	r.sum.StuckSince = ""
	for _, s := range next {
		if r.sum.StuckSince == "" || s.FirstSeen < r.sum.StuckSince {
			r.sum.StuckSince = s.FirstSeen
		}
	}
}
