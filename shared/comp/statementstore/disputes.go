package statementstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/period"
	"github.com/venn-revops/venn/shared/results"
)

// Disputes (comp.Dispute) live beside the statements: one item per
// dispute, PK "DISP#<quarter of the disputed statement>", SK
// "<person id>/<n, 4 digits>", GSI1 "PERSON#<person id>" /
// "<quarter>#dispute/<n>" (the person's history index: their statements
// and their disputes). Every change is a conditional write on the item's
// Version, and the new body must extend the stored history
// (comp.Dispute.Extends): nothing is ever rewritten or removed.

// ErrStaleDispute is an action sent for a dispute version that is no
// longer current: someone else acted in between. Read it again.
var ErrStaleDispute = errors.New("dispute changed since it was read")

// ErrNoDispute is an unknown dispute id.
var ErrNoDispute = errors.New("no such dispute")

// disputeLookback is how many quarters before a payouts run are searched
// for disputes it pays: a dispute is paid on the person's first statement
// that is not final after the disputed one, which a resolve refuses to put
// further out than this.
const disputeLookback = 8

// raiseAttempts bounds RaiseDispute's allocation loop: each lost race
// means another raise on the statement landed, so it is at most the number
// of people raising at once.
const raiseAttempts = 16

// StoredDispute is a dispute with the store version it was read at.
type StoredDispute struct {
	comp.Dispute
	Version int64 `json:"version"`
}

// DisputePK is the partition of the disputes on a quarter's statements.
func DisputePK(quarter string) string { return "DISP#" + quarter }

func disputeSK(personID string, n int) string { return fmt.Sprintf("%s/%04d", personID, n) }

// parseDisputeID splits "<quarter>/<person>/<n>" into its item key.
func parseDisputeID(id string) (pk, sk string, err error) {
	parts := strings.Split(id, "/")
	if len(parts) == 3 {
		if _, qerr := period.Parse(parts[0]); qerr == nil && parts[1] != "" {
			if n, nerr := strconv.Atoi(parts[2]); nerr == nil && n > 0 && strconv.Itoa(n) == parts[2] {
				return DisputePK(parts[0]), disputeSK(parts[1], n), nil
			}
		}
	}
	return "", "", fmt.Errorf("%w: dispute id %q: want <quarter>/<person id>/<n>, e.g. 2026Q2/005000000000002AAA/1", comp.ErrDisputeInvalid, id)
}

func disputeItem(d *comp.Dispute, version int64) (results.Item, error) {
	body, err := json.Marshal(d)
	if err != nil {
		return results.Item{}, fmt.Errorf("encode dispute %s: %w", d.ID, err)
	}
	pk, sk, err := parseDisputeID(d.ID)
	if err != nil {
		return results.Item{}, err
	}
	n := sk[strings.LastIndex(sk, "/")+1:]
	return results.Item{PK: pk, SK: sk, GSI1PK: "PERSON#" + d.PersonID, GSI1SK: d.Quarter + "#dispute/" + n,
		Kind: "dispute", Version: version, Body: body}, nil
}

func decodeDispute(it results.Item) (*StoredDispute, error) {
	var d comp.Dispute
	if err := json.Unmarshal(it.Body, &d); err != nil {
		return nil, fmt.Errorf("decode dispute %s/%s: %w", it.PK, it.SK, err)
	}
	return &StoredDispute{Dispute: d, Version: it.Version}, nil
}

// GetDispute reads one dispute by id.
func GetDispute(ctx context.Context, store results.Store, id string) (*StoredDispute, error) {
	pk, sk, err := parseDisputeID(id)
	if err != nil {
		return nil, err
	}
	it, err := store.Get(ctx, pk, sk)
	if errors.Is(err, results.ErrNotFound) {
		return nil, fmt.Errorf("dispute %s: %w", id, ErrNoDispute)
	}
	if err != nil {
		return nil, fmt.Errorf("get dispute %s: %w", id, err)
	}
	return decodeDispute(it)
}

// Disputes reads the disputes on a quarter's statements, of one person
// ("" for everyone), in person then number order.
func Disputes(ctx context.Context, store results.Store, quarter, personID string) ([]StoredDispute, error) {
	prefix := ""
	if personID != "" {
		prefix = personID + "/"
	}
	items, err := store.Query(ctx, DisputePK(quarter), prefix)
	if err != nil {
		return nil, fmt.Errorf("disputes of %s: %w", quarter, err)
	}
	out := make([]StoredDispute, 0, len(items))
	for _, it := range items {
		d, err := decodeDispute(it)
		if err != nil {
			return nil, err
		}
		out = append(out, *d)
	}
	return out, nil
}

// putDispute writes d at version with cond; false (no error) when the
// condition failed over someone else's write. A failed condition over the
// very item this call wrote is a lost response to our own write: done.
func putDispute(ctx context.Context, store results.Store, d *comp.Dispute, version int64, cond results.Condition) (bool, error) {
	it, err := disputeItem(d, version)
	if err != nil {
		return false, err
	}
	ok, err := putItem(ctx, store, it, cond)
	if err != nil {
		return false, fmt.Errorf("store dispute %s: %w", d.ID, err)
	}
	return ok, nil
}

// RaiseFunc builds a new dispute on the stored statement st, given the
// disputes already raised on it (comp.ApprovalPolicy.RaiseDispute).
type RaiseFunc func(st *Stored, existing []comp.Dispute) (*comp.Dispute, error)

// RaiseDispute stores a new dispute on the statement of personID in
// quarter. Its number is allocated with a conditional put (the key must be
// absent): of two raised at once, one gets the next number and the other
// reads again and is decided afresh (a second open dispute on the same
// line is then refused by raise).
func RaiseDispute(ctx context.Context, store results.Store, quarter, personID string, raise RaiseFunc) (*StoredDispute, error) {
	for attempt := 0; attempt < raiseAttempts; attempt++ {
		st, err := Get(ctx, store, quarter, personID)
		if err != nil {
			return nil, err
		}
		stored, err := Disputes(ctx, store, quarter, personID)
		if err != nil {
			return nil, err
		}
		existing := make([]comp.Dispute, len(stored))
		for i := range stored {
			existing[i] = stored[i].Dispute
		}
		d, err := raise(st, existing)
		if err != nil {
			return nil, err
		}
		ok, err := putDispute(ctx, store, d, 1, results.Condition{IfAbsent: true})
		if err != nil {
			return nil, err
		}
		if ok {
			return &StoredDispute{Dispute: *d, Version: 1}, nil
		}
	}
	return nil, fmt.Errorf("raise dispute on %s/%s: still contended after %d attempts", quarter, personID, raiseAttempts)
}

// ApplyFunc returns the dispute after an action (comp.ApprovalPolicy.Apply).
type ApplyFunc func(cur *StoredDispute) (*comp.Dispute, error)

// UpdateDispute applies an action to dispute id with a conditional write
// on its version. With expect > 0 the caller acted on that version: if the
// dispute has moved on, the action fails with ErrStaleDispute and nothing
// is written. With expect 0 a write that loses a race reads the dispute
// again and decides afresh, so two people acting at once never lose an
// update (the second may then find the action illegal, e.g. resolving a
// dispute just resolved).
func UpdateDispute(ctx context.Context, store results.Store, id string, expect int64, apply ApplyFunc) (*StoredDispute, error) {
	for attempt := 0; attempt < maxAttempts; attempt++ {
		cur, err := GetDispute(ctx, store, id)
		if err != nil {
			return nil, err
		}
		if expect > 0 && cur.Version != expect {
			return nil, fmt.Errorf("dispute %s is at version %d, the action was for version %d: %w (read it again)", id, cur.Version, expect, ErrStaleDispute)
		}
		next, err := apply(cur)
		if err != nil {
			return nil, err
		}
		if err := cur.Extends(next); err != nil {
			return nil, err
		}
		ok, err := putDispute(ctx, store, next, cur.Version+1, results.Condition{IfVersion: cur.Version})
		if err != nil {
			return nil, err
		}
		if ok {
			return &StoredDispute{Dispute: *next, Version: cur.Version + 1}, nil
		}
		if expect > 0 {
			return nil, fmt.Errorf("dispute %s changed while the action was written (version %d is no longer current): %w (read it again)", id, cur.Version, ErrStaleDispute)
		}
	}
	return nil, fmt.Errorf("dispute %s: still contended after %d attempts", id, maxAttempts)
}

// Payable is where a resolved adjustment is paid: the quarter and the
// status of the person's statement there ("" when there is none yet).
type Payable struct {
	Quarter string
	Status  string
}

// NextPayable is the person's next payable statement after quarter: the
// first later quarter whose statement is not final (none yet, draft or
// approved), as for corrections. Within disputeLookback quarters, or an
// error: the payouts run looks no further back for disputes to pay.
func NextPayable(ctx context.Context, store results.Store, quarter, personID string) (Payable, error) {
	from, err := period.Parse(quarter)
	if err != nil {
		return Payable{}, fmt.Errorf("next payable statement: %w", err)
	}
	q, status, err := firstOpenAfter(ctx, store, from, personID, nil)
	if err != nil {
		return Payable{}, err
	}
	if n := quartersBetween(from, q); n > disputeLookback {
		return Payable{}, fmt.Errorf("%w: the next payable statement of %s after %s is %s, %d quarters later: over the %d a payouts run looks back for disputes",
			comp.ErrDisputeInvalid, personID, quarter, q, n, disputeLookback)
	}
	return Payable{Quarter: q.String(), Status: status}, nil
}

func quartersBetween(a, b period.Quarter) int { return (b.Year-a.Year)*4 + (b.Q - a.Q) }

// DisputeAdjustments are the resolved disputes' adjustments paid in
// quarter (comp.RunInput.Disputes), from the disputes on the statements of
// the disputeLookback quarters before it. The quarter a resolution names
// (paid_in, fixed when it was resolved) may be final by the time payouts
// run without the adjustment (finalized before a rerun): then it is paid
// on the person's next payable statement instead (payableIn).
func DisputeAdjustments(ctx context.Context, store results.Store, quarter string) ([]comp.DisputeAdjustment, error) {
	q, err := period.Parse(quarter)
	if err != nil {
		return nil, fmt.Errorf("dispute adjustments: %w", err)
	}
	var out []comp.DisputeAdjustment
	from := q
	for range disputeLookback {
		from = from.Prev()
		ds, err := Disputes(ctx, store, from.String(), "")
		if err != nil {
			return nil, err
		}
		for i := range ds {
			a := ds[i].Adjustment()
			if a == nil {
				continue
			}
			ok, err := payableIn(ctx, store, a, q)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, *a)
			}
		}
	}
	return out, nil
}

// payableIn reports whether adjustment a is paid on the person's statement
// of quarter q. From the quarter it names (paid_in), each quarter's
// statement in turn: one not final (or none yet) is where it is paid, and
// so is a final one that carries its line; a final one without it is
// passed over for the next. So it is paid exactly once, and a rerun of a
// final quarter that did not carry it does not add it there (that would
// be paid again as a correction).
func payableIn(ctx context.Context, store results.Store, a *comp.DisputeAdjustment, q period.Quarter) (bool, error) {
	due, err := period.Parse(a.PaidIn)
	if err != nil {
		return false, fmt.Errorf("dispute %s: paid_in: %w", a.DisputeID, err)
	}
	for ; !q.Before(due); due = due.Next() {
		st, err := Get(ctx, store, due.String(), a.PersonID)
		switch {
		case errors.Is(err, ErrNotFound):
			return due == q, nil
		case err != nil:
			return false, err
		case st.Status != comp.StatusFinal || carries(st.Statement, "dispute/"+a.DisputeID):
			return due == q, nil
		}
	}
	return false, nil
}

// carries reports whether st has a line with key.
func carries(st *comp.Statement, key string) bool {
	for _, l := range st.Lines {
		if l.Key == key {
			return true
		}
	}
	return false
}
