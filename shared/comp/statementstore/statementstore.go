// Package statementstore keeps compensation statements through their
// lifecycle, draft → approved → final, in the results store (one item per
// person per quarter: PK "STMT#<quarter>", SK "<person id>", GSI1PK
// "PERSON#<person id>", GSI1SK "<quarter>").
//
// Every status change is a conditional single-item write on the item's
// Version (no transactions). Rules:
//   - Saving a draft again for the same statement is a no-op; a draft is
//     replaced by a newer draft. "Same" compares the statement JSON with the
//     code version left out, so a rebuild alone changes nothing.
//   - An approved statement that would change is not overwritten: the save
//     reports ErrApproved, and finance must Reopen it (back to draft) first.
//   - A final statement is never rewritten. Saving a different statement for
//     it stores a comp.Correction (a diff and prior-period adjustment lines)
//     for the next quarter's run to pay.
//   - A conditional write that fails although the stored item is exactly
//     what this call wrote (an SDK retry of a write whose response was lost)
//     counts as success.
package statementstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/period"
	"github.com/venn-revops/venn/shared/results"
)

// Errors callers branch on; outcomes wrap them with the statement id.
var (
	ErrFinal           = errors.New("statement is final and is never rewritten")
	ErrApproved        = errors.New("statement is approved and would change: reopen it first")
	ErrAlreadyApproved = errors.New("statement was already approved by someone else")
	ErrNotApproved     = errors.New("statement is not approved")
	ErrNotFound        = errors.New("no statement")
)

// maxAttempts bounds the read-modify-write loop under contention.
const maxAttempts = 5

// Record is the stored body: the statement, its status and who moved it.
type Record struct {
	Status    string          `json:"status"`
	Statement *comp.Statement `json:"statement"`
	// ApprovedBy and FinalBy are the Identity IDs of who approved and
	// finalized (comp.Identity); the identities in full, as authenticated,
	// are beside them.
	ApprovedBy       string         `json:"approved_by,omitempty"`
	ApprovedAt       string         `json:"approved_at,omitempty"`
	ApprovedIdentity *comp.Identity `json:"approved_identity,omitempty"`
	FinalBy          string         `json:"final_by,omitempty"`
	FinalAt          string         `json:"final_at,omitempty"`
	FinalIdentity    *comp.Identity `json:"final_identity,omitempty"`
	History          []Event        `json:"history"`
}

// Event is one status change, kept on the record for audit.
type Event struct {
	Status string `json:"status"`
	By     string `json:"by,omitempty"` // Identity ID
	At     string `json:"at,omitempty"`
	Note   string `json:"note,omitempty"`
	// Identity is who, as authenticated (the audit trail's principal).
	Identity *comp.Identity `json:"identity,omitempty"`
}

// Stored is a record with the store version it was read at.
type Stored struct {
	Record
	Version int64
}

// Outcome says what happened to one person's statement.
type Outcome struct {
	PersonID string
	Action   string // created, replaced, unchanged, approved, finalized, reopened, corrected
	Version  int64
	Err      error
}

// PK is the partition of a quarter's statements.
func PK(quarter string) string { return "STMT#" + quarter }

// CorrectionPK is the partition of corrections to be paid in a quarter.
func CorrectionPK(toQuarter string) string { return "CORR#" + toQuarter }

func item(rec Record, version int64) (results.Item, error) {
	body, err := json.Marshal(rec)
	if err != nil {
		return results.Item{}, fmt.Errorf("encode statement %s: %w", rec.Statement.ID, err)
	}
	st := rec.Statement
	return results.Item{PK: PK(st.Quarter), SK: st.PersonID, GSI1PK: "PERSON#" + st.PersonID, GSI1SK: st.Quarter,
		Kind: "statement", Version: version, Body: body}, nil
}

func decode(it results.Item) (*Stored, error) {
	var rec Record
	if err := json.Unmarshal(it.Body, &rec); err != nil {
		return nil, fmt.Errorf("decode statement %s/%s: %w", it.PK, it.SK, err)
	}
	if rec.Statement == nil {
		return nil, fmt.Errorf("decode statement %s/%s: no statement in body", it.PK, it.SK)
	}
	return &Stored{Record: rec, Version: it.Version}, nil
}

// Get reads one statement.
func Get(ctx context.Context, store results.Store, quarter, personID string) (*Stored, error) {
	it, err := store.Get(ctx, PK(quarter), personID)
	if errors.Is(err, results.ErrNotFound) {
		return nil, fmt.Errorf("%s/%s: %w", quarter, personID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get statement %s/%s: %w", quarter, personID, err)
	}
	return decode(it)
}

// List reads a quarter's statements in person Id order.
func List(ctx context.Context, store results.Store, quarter string) ([]Stored, error) {
	items, err := store.Query(ctx, PK(quarter), "")
	if err != nil {
		return nil, fmt.Errorf("list statements %s: %w", quarter, err)
	}
	return decodeAll(items)
}

// History reads all of a person's statements, oldest quarter first, through
// the person-history index.
func History(ctx context.Context, store results.Store, personID string) ([]Stored, error) {
	items, err := store.QueryIndex(ctx, "PERSON#"+personID, "")
	if err != nil {
		return nil, fmt.Errorf("statement history %s: %w", personID, err)
	}
	return decodeAll(items)
}

func decodeAll(items []results.Item) ([]Stored, error) {
	out := make([]Stored, 0, len(items))
	for _, it := range items {
		if it.Kind != "statement" {
			continue
		}
		s, err := decode(it)
		if err != nil {
			return nil, err
		}
		out = append(out, *s)
	}
	return out, nil
}

// sameStatement compares two statements ignoring the code version.
func sameStatement(a, b *comp.Statement) (bool, error) {
	x, y := *a, *b
	x.CodeVersion, y.CodeVersion = "", ""
	x.ConfigVersion, y.ConfigVersion = "", "" // recorded, not compared: see comp.Statement
	// Whether the plan was acknowledged is shown, not paid on: a new
	// acknowledgement alone does not replace a draft or refuse an approved
	// statement (the run's statement files show it as of that run).
	x.Plans, y.Plans = withoutAcks(x.Plans), withoutAcks(y.Plans)
	ja, err := x.JSON()
	if err != nil {
		return false, err
	}
	jb, err := y.JSON()
	if err != nil {
		return false, err
	}
	return bytes.Equal(ja, jb), nil
}

func withoutAcks(plans []comp.PlanUse) []comp.PlanUse {
	out := append([]comp.PlanUse(nil), plans...)
	for i := range out {
		out[i].Acknowledgement = nil
	}
	return out
}

// SaveDrafts stores freshly computed statements by the rules in the package
// comment. It returns one outcome per statement, the corrections stored for
// final statements that changed, and an error joining every failure.
func SaveDrafts(ctx context.Context, store results.Store, stmts []comp.Statement) ([]Outcome, []comp.Correction, error) {
	outcomes := make([]Outcome, len(stmts))
	found := make([]*comp.Correction, len(stmts))
	forEach(len(stmts), func(i int) { outcomes[i], found[i] = saveOne(ctx, store, &stmts[i]) })
	var corrections []comp.Correction
	var failed []error
	for i, o := range outcomes {
		if found[i] != nil {
			corrections = append(corrections, *found[i])
		}
		if o.Err != nil {
			failed = append(failed, o.Err)
		}
	}
	return outcomes, corrections, errors.Join(failed...)
}

// workers bounds the statements written at once: each is its own
// conditional item, so they are independent, and a quarter of a thousand
// people should not take a thousand sequential round trips.
const workers = 8

// forEach runs f(0..n-1) on up to workers goroutines; results go by index,
// so the outcome order does not depend on scheduling.
func forEach(n int, f func(i int)) {
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			f(i)
		}()
	}
	wg.Wait()
}

func saveOne(ctx context.Context, store results.Store, st *comp.Statement) (Outcome, *comp.Correction) {
	o := Outcome{PersonID: st.PersonID}
	fail := func(err error) (Outcome, *comp.Correction) {
		o.Err = fmt.Errorf("save statement %s: %w", st.ID, err)
		return o, nil
	}
	for attempt := 0; attempt < maxAttempts; attempt++ {
		cur, err := Get(ctx, store, st.Quarter, st.PersonID)
		if errors.Is(err, ErrNotFound) {
			rec := Record{Status: comp.StatusDraft, Statement: st, History: []Event{{Status: comp.StatusDraft, Note: "computed " + st.InputHash}}}
			ok, err := put(ctx, store, rec, 1, results.Condition{IfAbsent: true})
			if err != nil {
				return fail(err)
			}
			if ok {
				o.Action, o.Version = "created", 1
				return o, nil
			}
			continue
		}
		if err != nil {
			return fail(err)
		}
		same, err := sameStatement(cur.Statement, st)
		if err != nil {
			return fail(err)
		}
		// A final statement is compared with what was paid so far
		// (final plus corrections), not with the final alone.
		if same && cur.Status != comp.StatusFinal {
			o.Action, o.Version = "unchanged", cur.Version
			return o, nil
		}
		switch cur.Status {
		case comp.StatusDraft:
			rec := cur.Record
			rec.Statement = st
			rec.History = append(rec.History, Event{Status: comp.StatusDraft, Note: "recomputed " + st.InputHash})
			ok, err := put(ctx, store, rec, cur.Version+1, results.Condition{IfVersion: cur.Version})
			if err != nil {
				return fail(err)
			}
			if ok {
				o.Action, o.Version = "replaced", cur.Version+1
				return o, nil
			}
		case comp.StatusApproved:
			return fail(ErrApproved)
		case comp.StatusFinal:
			to, already, err := correctionTarget(ctx, store, cur.Statement)
			if err != nil {
				return fail(err)
			}
			corr, err := comp.Reconcile(cur.Statement, st, already, to)
			if err != nil {
				return fail(err)
			}
			o.Version = cur.Version
			if corr == nil {
				o.Action = "unchanged"
				return o, nil
			}
			if err := putCorrection(ctx, store, corr); err != nil {
				return fail(err)
			}
			o.Action = "corrected"
			return o, corr
		default:
			return fail(fmt.Errorf("unknown status %q", cur.Status))
		}
	}
	return fail(fmt.Errorf("still contended after %d attempts", maxAttempts))
}

// put writes rec at version with cond. It reports false (no error) when the
// condition failed and the stored item is not what this call wrote, so the
// caller re-reads and decides again; a failed condition over an identical
// stored item is a lost response to our own write, and counts as done.
func put(ctx context.Context, store results.Store, rec Record, version int64, cond results.Condition) (bool, error) {
	it, err := item(rec, version)
	if err != nil {
		return false, err
	}
	return putItem(ctx, store, it, cond)
}

// putItem is put of any item: true when written (or when the stored item
// is the one this call wrote, a lost response), false when someone
// else's write made the condition fail.
func putItem(ctx context.Context, store results.Store, it results.Item, cond results.Condition) (bool, error) {
	err := store.Put(ctx, it, cond)
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, results.ErrConditionFailed) {
		return false, err
	}
	got, gerr := store.Get(ctx, it.PK, it.SK)
	if gerr == nil && got.Version == it.Version && results.SameBody(got.Body, it.Body) {
		return true, nil
	}
	return false, nil
}

func putCorrection(ctx context.Context, store results.Store, c *comp.Correction) error {
	body, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode correction %s: %w", c.ID, err)
	}
	it := results.Item{PK: CorrectionPK(c.ToQuarter), SK: c.ID, Kind: "correction", Version: 1, Body: body}
	err = store.Put(ctx, it, results.Condition{IfAbsent: true})
	if errors.Is(err, results.ErrConditionFailed) {
		return nil // the same correction id means the same inputs: already stored
	}
	if err != nil {
		return fmt.Errorf("store correction %s: %w", c.ID, err)
	}
	return nil
}

// Corrections reads the corrections to pay in toQuarter, for RunInput.
func Corrections(ctx context.Context, store results.Store, toQuarter string) ([]comp.Correction, error) {
	return queryCorrections(ctx, store, toQuarter, "")
}

// maxCorrectionQuarters bounds correctionTarget's walk: ten years of final
// quarters after a statement means something else is wrong.
const maxCorrectionQuarters = 40

// correctionTarget walks the quarters after final's. It returns the first
// one in which the person's statement is not final (none yet, draft or
// approved): a new correction is paid there, never parked in a final
// quarter that nobody recomputes. On the way it collects the corrections
// already made to final: each went to the first open quarter of its day,
// and quarters only ever become final, so they all sit in the quarters
// walked.
func correctionTarget(ctx context.Context, store results.Store, final *comp.Statement) (period.Quarter, []comp.Correction, error) {
	q, err := period.Parse(final.Quarter)
	if err != nil {
		return period.Quarter{}, nil, fmt.Errorf("statement %s: %w", final.ID, err)
	}
	var already []comp.Correction
	to, _, err := firstOpenAfter(ctx, store, q, final.PersonID, func(q period.Quarter) error {
		cs, err := queryCorrections(ctx, store, q.String(), final.Quarter+"/"+final.PersonID+"/")
		already = append(already, cs...)
		return err
	})
	if err != nil {
		return period.Quarter{}, nil, fmt.Errorf("statement %s: %w", final.ID, err)
	}
	return to, already, nil
}

// firstOpenAfter is the first quarter after q whose statement for the
// person is not final, with that statement's status ("" for none yet);
// visit (when not nil) sees every quarter walked, that one included.
func firstOpenAfter(ctx context.Context, store results.Store, q period.Quarter, personID string, visit func(period.Quarter) error) (period.Quarter, string, error) {
	for range maxCorrectionQuarters {
		q = q.Next()
		if visit != nil {
			if err := visit(q); err != nil {
				return period.Quarter{}, "", err
			}
		}
		cur, err := Get(ctx, store, q.String(), personID)
		if errors.Is(err, ErrNotFound) {
			return q, "", nil
		}
		if err != nil {
			return period.Quarter{}, "", err
		}
		if cur.Status != comp.StatusFinal {
			return q, cur.Status, nil
		}
	}
	return period.Quarter{}, "", fmt.Errorf("no quarter open for %s within %d quarters", personID, maxCorrectionQuarters)
}

func queryCorrections(ctx context.Context, store results.Store, toQuarter, prefix string) ([]comp.Correction, error) {
	items, err := store.Query(ctx, CorrectionPK(toQuarter), prefix)
	if err != nil {
		return nil, fmt.Errorf("corrections for %s: %w", toQuarter, err)
	}
	out := make([]comp.Correction, 0, len(items))
	for _, it := range items {
		var c comp.Correction
		if err := json.Unmarshal(it.Body, &c); err != nil {
			return nil, fmt.Errorf("decode correction %s: %w", it.SK, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// transition applies change to each selected statement of the quarter
// (personIDs nil or empty means all of them) with a conditional write.
// change returns the action name, or "" for an idempotent no-op.
func transition(ctx context.Context, store results.Store, quarter string, personIDs []string,
	change func(rec *Record) (string, error)) ([]Outcome, error) {
	ids := personIDs
	if len(ids) == 0 {
		all, err := List(ctx, store, quarter)
		if err != nil {
			return nil, err
		}
		for _, s := range all {
			ids = append(ids, s.Statement.PersonID)
		}
	}
	ids = append([]string(nil), ids...)
	sort.Strings(ids)
	outcomes := make([]Outcome, len(ids))
	forEach(len(ids), func(i int) { outcomes[i] = transitionOne(ctx, store, quarter, ids[i], change) })
	var failed []error
	for _, o := range outcomes {
		if o.Err != nil {
			failed = append(failed, o.Err)
		}
	}
	return outcomes, errors.Join(failed...)
}

func transitionOne(ctx context.Context, store results.Store, quarter, id string, change func(rec *Record) (string, error)) Outcome {
	o := Outcome{PersonID: id}
	for attempt := 0; attempt < maxAttempts; attempt++ {
		cur, err := Get(ctx, store, quarter, id)
		if err != nil {
			o.Err = err
			return o
		}
		rec := cur.Record
		rec.History = append([]Event(nil), cur.History...)
		action, err := change(&rec)
		if err != nil {
			o.Err, o.Version = fmt.Errorf("statement %s/%s: %w", quarter, id, err), cur.Version
			return o
		}
		if action == "" {
			o.Action, o.Version = "unchanged", cur.Version
			return o
		}
		ok, err := put(ctx, store, rec, cur.Version+1, results.Condition{IfVersion: cur.Version})
		if err != nil {
			o.Err = fmt.Errorf("statement %s/%s: %w", quarter, id, err)
			return o
		}
		if ok {
			o.Action, o.Version = action, cur.Version+1
			return o
		}
	}
	o.Err = fmt.Errorf("statement %s/%s: still contended after %d attempts", quarter, id, maxAttempts)
	return o
}

func stamp(at time.Time) string { return at.UTC().Format(time.RFC3339Nano) }

// Guard is the approval policy applied to one statement just before it
// moves (action is comp.ActionApprove or comp.ActionFinalize); an error
// leaves the statement as it is. nil: no policy (tests of the lifecycle).
type Guard func(action string, rec *Record) error

func (g Guard) check(action string, rec *Record) error {
	if g == nil {
		return nil
	}
	return g(action, rec)
}

// Approve moves drafts to approved, recording who (an authenticated
// comp.Identity) and when, after guard allows it. Approving again by the
// same identity is a no-op; a statement approved by someone else fails
// with ErrAlreadyApproved (so of two concurrent approvers exactly one
// wins); a final statement fails with ErrFinal.
func Approve(ctx context.Context, store results.Store, quarter string, personIDs []string, by comp.Identity, at time.Time, guard Guard) ([]Outcome, error) {
	if by.IsZero() {
		return nil, errors.New("approve: an authenticated approver is required")
	}
	return transition(ctx, store, quarter, personIDs, func(rec *Record) (string, error) {
		switch rec.Status {
		case comp.StatusDraft:
			if err := guard.check(comp.ActionApprove, rec); err != nil {
				return "", err
			}
			who := by
			rec.Status, rec.ApprovedBy, rec.ApprovedAt, rec.ApprovedIdentity = comp.StatusApproved, by.ID, stamp(at), &who
			rec.History = append(rec.History, Event{Status: comp.StatusApproved, By: by.ID, At: stamp(at), Identity: &who})
			return "approved", nil
		case comp.StatusApproved:
			if rec.ApprovedBy == by.ID {
				return "", nil
			}
			return "", fmt.Errorf("%w (%s at %s)", ErrAlreadyApproved, rec.ApprovedBy, rec.ApprovedAt)
		case comp.StatusFinal:
			return "", ErrFinal
		}
		return "", fmt.Errorf("unknown status %q", rec.Status)
	})
}

// Finalize moves approved statements to final, recording who and when,
// after guard allows it; a final statement is never written again.
// Finalizing a draft fails with ErrNotApproved; a final one is a no-op.
func Finalize(ctx context.Context, store results.Store, quarter string, personIDs []string, by comp.Identity, at time.Time, guard Guard) ([]Outcome, error) {
	if by.IsZero() {
		return nil, errors.New("finalize: an authenticated caller is required")
	}
	return transition(ctx, store, quarter, personIDs, func(rec *Record) (string, error) {
		switch rec.Status {
		case comp.StatusApproved:
			if err := guard.check(comp.ActionFinalize, rec); err != nil {
				return "", err
			}
			who := by
			rec.Status, rec.FinalBy, rec.FinalAt, rec.FinalIdentity = comp.StatusFinal, by.ID, stamp(at), &who
			rec.History = append(rec.History, Event{Status: comp.StatusFinal, By: by.ID, At: stamp(at), Identity: &who})
			return "finalized", nil
		case comp.StatusFinal:
			return "", nil
		case comp.StatusDraft:
			return "", ErrNotApproved
		}
		return "", fmt.Errorf("unknown status %q", rec.Status)
	})
}

// Reopen moves approved statements back to draft so a changed statement can
// be saved; who and the reason are kept in the history. A final statement
// cannot be reopened (ErrFinal): corrections go to the next period instead.
func Reopen(ctx context.Context, store results.Store, quarter string, personIDs []string, by comp.Identity, reason string, at time.Time) ([]Outcome, error) {
	if by.IsZero() || reason == "" {
		return nil, errors.New("reopen: who and why are required")
	}
	return transition(ctx, store, quarter, personIDs, func(rec *Record) (string, error) {
		switch rec.Status {
		case comp.StatusApproved:
			who := by
			rec.Status, rec.ApprovedBy, rec.ApprovedAt, rec.ApprovedIdentity = comp.StatusDraft, "", "", nil
			rec.History = append(rec.History, Event{Status: comp.StatusDraft, By: by.ID, At: stamp(at), Note: "reopened: " + reason, Identity: &who})
			return "reopened", nil
		case comp.StatusDraft:
			return "", nil
		case comp.StatusFinal:
			return "", ErrFinal
		}
		return "", fmt.Errorf("unknown status %q", rec.Status)
	})
}

// Exportable returns the quarter's approved and final statements for the
// finance export (comp.WriteCSV, comp.WriteParquet); drafts are left out.
func Exportable(ctx context.Context, store results.Store, quarter string) ([]comp.ExportRecord, error) {
	all, err := List(ctx, store, quarter)
	if err != nil {
		return nil, err
	}
	var out []comp.ExportRecord
	for i := range all {
		if all[i].Status == comp.StatusApproved || all[i].Status == comp.StatusFinal {
			out = append(out, comp.ExportRecord{Statement: all[i].Statement, Status: all[i].Status, Version: all[i].Version})
		}
	}
	return out, nil
}

// PreviousFinal returns the final statements of the n quarters before
// quarter, oldest first: RunInput.Previous, from which clawbacks are found.
// n should cover the longest clawback window (a 90-day window needs 2).
func PreviousFinal(ctx context.Context, store results.Store, quarter string, n int) ([]comp.Statement, error) {
	q, err := period.Parse(quarter)
	if err != nil {
		return nil, fmt.Errorf("previous statements: %w", err)
	}
	var quarters []string
	for i := 0; i < n; i++ {
		q = q.Prev()
		quarters = append([]string{q.String()}, quarters...)
	}
	var out []comp.Statement
	for _, pq := range quarters {
		all, err := List(ctx, store, pq)
		if err != nil {
			return nil, err
		}
		for _, s := range all {
			if s.Status == comp.StatusFinal {
				out = append(out, *s.Statement)
			}
		}
	}
	return out, nil
}
