package comp

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/venn-revops/venn/shared/period"
)

// Correction is what recomputing a quarter whose statement is final
// produces instead of an overwrite: a line-by-line diff against the final
// statement and prior_period_adjustment lines paid in ToQuarter (the quarter
// after the corrected one).
type Correction struct {
	ID          string     `json:"id"` // "<from quarter>/<person>/<new input hash[:12]>"
	PersonID    string     `json:"person_id"`
	FromQuarter string     `json:"from_quarter"`
	ToQuarter   string     `json:"to_quarter"`
	OldHash     string     `json:"old_input_hash"`
	NewHash     string     `json:"new_input_hash"`
	Diff        []LineDiff `json:"diff"`
	Lines       []Line     `json:"lines"`
	Delta       Money      `json:"delta"`
	Currency    string     `json:"currency,omitempty"` // of the amounts (the final statement's)
	// Pay is the recomputation's payment stage: the open holds, holdback
	// and draw balance the next statement carries from instead of the final
	// statement's (paystage.go, payState).
	Pay *PayStage `json:"pay,omitempty"`
	// After are the earlier corrections of the same final statement this
	// one builds on: the latest has the most.
	After []string `json:"after,omitempty"`
}

// LineDiff compares one line (by Key) between the final and the recomputed
// statement. A line only in one of them has the other amount at zero.
type LineDiff struct {
	Key     string `json:"key"`
	Kind    string `json:"kind"`
	Old     Money  `json:"old"`
	New     Money  `json:"new"`
	Delta   Money  `json:"delta"`
	OldNote string `json:"old_explain,omitempty"`
	NewNote string `json:"new_explain,omitempty"`
}

// Reconcile compares a final statement, plus the corrections already made
// to it (already), with a recomputation of the same quarter and person. A
// line's "old" amount is what has been paid for it so far: the final amount
// plus earlier corrections' deltas, so recomputing twice never pays a
// difference twice. It returns nil when nothing changed (a new input hash
// alone pays nothing). Otherwise one prior_period_adjustment line per
// changed line carries the delta into quarter to, which must come after
// final's: the first quarter whose statement for the person is not final
// yet (statementstore finds it), so a correction is never parked in a
// quarter nobody will pay again. The final statement itself is never
// rewritten.
func Reconcile(final, recomputed *Statement, already []Correction, to period.Quarter) (*Correction, error) {
	if final.Quarter != recomputed.Quarter || final.PersonID != recomputed.PersonID {
		return nil, fmt.Errorf("reconcile %s with %s: not the same quarter and person", final.ID, recomputed.ID)
	}
	if final.Currency != recomputed.Currency {
		return nil, fmt.Errorf("reconcile %s: currency changed from %s to %s", final.ID, final.Currency, recomputed.Currency)
	}
	q, err := period.Parse(final.Quarter)
	if err != nil {
		return nil, fmt.Errorf("reconcile %s: %w", final.ID, err)
	}
	if !q.Before(to) {
		return nil, fmt.Errorf("reconcile %s: a correction is paid after its quarter, not in %s", final.ID, to)
	}
	type pair struct {
		old, new *Line
		paid     decimal.Decimal // earlier corrections' deltas for the key
		kind     string
	}
	byKey := map[string]*pair{}
	at := func(key string) *pair {
		if byKey[key] == nil {
			byKey[key] = &pair{}
		}
		return byKey[key]
	}
	for i := range final.Lines {
		at(final.Lines[i].Key).old = &final.Lines[i]
	}
	for i := range recomputed.Lines {
		at(recomputed.Lines[i].Key).new = &recomputed.Lines[i]
	}
	var prior []string
	for _, c := range already {
		if c.PersonID != final.PersonID || c.FromQuarter != final.Quarter {
			continue
		}
		prior = append(prior, c.ID)
		for _, d := range c.Diff {
			p := at(d.Key)
			p.paid = p.paid.Add(d.Delta.Decimal)
			p.kind = d.Kind
		}
	}
	sort.Strings(prior)
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	c := &Correction{PersonID: final.PersonID, FromQuarter: final.Quarter, ToQuarter: to.String(), Currency: final.Currency,
		OldHash: final.InputHash, NewHash: recomputed.InputHash, Diff: []LineDiff{}, Lines: []Line{}}
	total := decimal.Zero
	for _, k := range keys {
		p := byKey[k]
		d := LineDiff{Key: k, Kind: p.kind, Old: Money{p.paid}}
		if p.old != nil {
			d.Kind, d.Old, d.OldNote = p.old.Kind, Money{p.old.Amount.Add(p.paid)}, p.old.Explain
		}
		if p.new != nil {
			d.Kind, d.New, d.NewNote = p.new.Kind, p.new.Amount, p.new.Explain
		}
		delta := d.New.Sub(d.Old.Decimal)
		if delta.IsZero() {
			continue
		}
		d.Delta = Money{delta}
		total = total.Add(delta)
		c.Diff = append(c.Diff, d)
		c.Lines = append(c.Lines, Line{
			Key: "prior/" + final.Quarter + "/" + k, Kind: LinePriorPeriod, Ref: final.ID,
			Exact: delta, Amount: Money{delta},
			Explain: fmt.Sprintf("correction to final statement %s, line %s: paid %s, recomputed %s, difference %s",
				final.ID, k, fmtMoney(d.Old.Decimal, final.Currency), fmtMoney(d.New.Decimal, final.Currency), fmtMoney(delta, final.Currency)),
		})
	}
	if len(c.Diff) == 0 {
		return nil, nil
	}
	c.Delta, c.Pay, c.After = Money{total}, recomputed.Pay, prior
	sum := sha256.Sum256([]byte(recomputed.InputHash + "|" + final.InputHash + "|" + strings.Join(prior, ",")))
	c.ID = fmt.Sprintf("%s/%s/%s", final.Quarter, final.PersonID, hex.EncodeToString(sum[:])[:12])
	for i := range c.Lines {
		c.Lines[i].Ref = c.ID
	}
	return c, nil
}
