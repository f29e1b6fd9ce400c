package comp

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shopspring/decimal"
	"github.com/venn-revops/venn/shared/period"
)

// The rep's what-if: what the quarter to date has earned, and what closing
// each open deal would add. It is the engine itself, run again: no rule is
// restated here. Every figure is the difference between the totals of two
// real statements (Run over the same inputs, one with more deals won), so
// tiers, caps, accelerators, splits, team credits and rounding behave
// exactly as they will at close. The rules of the what-if itself:
//
//   - Earned so far is the quarter's statement over the deals won up to the
//     cut (RunInput as of the cut), as if the quarter ended with nothing
//     more closing: bonuses against the full-quarter target, plan spans as
//     assigned for the whole quarter.
//   - An open deal is assumed won at its amount on its expected close date,
//     or on the as-of day when that date is past. A deal expected after the
//     quarter's end is not in this quarter's what-if (listed as later).
//   - A person's pipeline is every open deal that would credit them if it
//     closed (owner, split or, for a manager, team), as the engine credits.
//   - In close order (assumed close date, then deal Id, the engine's order):
//     a deal's adds_in_order is the statement total with it and the deals
//     before it won, minus the total without it. These add up exactly to
//     if_all_close, the total with the whole pipeline won minus earned so
//     far: a deal that crosses a tier gets the crossing.
//   - adds_alone is the total with only that deal won, minus earned so far:
//     what the deal is worth by itself. Under tiers and caps these do not
//     add up to if_all_close.
//   - Rounding: each statement's total is the sum of its rounded lines, so
//     every figure is a difference of two such totals, in cents.

// WhatIfInput is a quarter to date and its open pipeline.
type WhatIfInput struct {
	// Run is the quarter to date: Deals as they stood at the cut (won
	// deals are those closed so far), metrics of the cut's night.
	Run RunInput
	// AsOf is the cut: an open deal expected before its day is assumed to
	// close on it.
	AsOf time.Time
	// Open are the deals neither won nor lost at the cut; CloseDate is the
	// expected close date and Amount the amount they would close at.
	Open []Deal
}

// WhatIfRun is every person's what-if for one cut.
type WhatIfRun struct {
	Quarter string
	AsOf    string
	People  []WhatIf
	// Refused are open deals the engine would refuse if they closed (a bad
	// split, another currency): left out of every what-if, with the reason.
	Refused []WhatIfRefused
}

// WhatIfRefused is an open deal left out, and why.
type WhatIfRefused struct {
	DealID string `json:"deal_id"`
	Reason string `json:"reason"`
}

// WhatIf is one person's quarter to date and open pipeline.
type WhatIf struct {
	Quarter    string `json:"quarter"`
	AsOf       string `json:"as_of"`
	PersonID   string `json:"person_id"`
	EmployeeID string `json:"employee_id"`
	Name       string `json:"name"`
	Team       string `json:"team"`
	Currency   string `json:"currency"`
	// Earned is the quarter-to-date statement's total; Statement explains
	// it line by line.
	Earned Money `json:"earned"`
	// Deals are the pipeline in close order.
	Deals []WhatIfDeal `json:"open_deals"`
	// IfAllClose is what the whole pipeline adds; Projected is Earned plus
	// it.
	IfAllClose Money `json:"if_all_close"`
	Projected  Money `json:"projected"`
	// Later are the person's own open deals (owner or split) expected
	// after the quarter's end: not in this quarter.
	Later     []WhatIfLater `json:"later"`
	Statement *Statement    `json:"statement"`
}

// WhatIfDeal is one open deal and what closing it would add.
type WhatIfDeal struct {
	DealID        string `json:"deal_id"`
	DealName      string `json:"deal_name"`
	Type          string `json:"type,omitempty"`
	Amount        Money  `json:"amount"`
	ExpectedClose string `json:"expected_close"`
	AssumedClose  string `json:"assumed_close"`
	// Credits are how the deal would credit the person (a manager can be
	// credited as owner and through a report).
	Credits []WhatIfCredit `json:"credits"`
	// AddsInOrder is what it adds after the deals before it in close
	// order; TotalInOrder is the statement total once it has.
	AddsInOrder  Money `json:"adds_in_order"`
	TotalInOrder Money `json:"total_in_order"`
	// AddsAlone is what it adds if it is the only one to close.
	AddsAlone Money `json:"adds_alone"`
}

// WhatIfCredit is one way a deal credits the person.
type WhatIfCredit struct {
	Role     CreditRole      `json:"role"`
	Via      string          `json:"via,omitempty"`
	Percent  decimal.Decimal `json:"percent"`
	Credited Money           `json:"credited"`
}

// WhatIfLater is an open deal expected after the quarter.
type WhatIfLater struct {
	DealID        string `json:"deal_id"`
	DealName      string `json:"deal_name"`
	Amount        Money  `json:"amount"`
	ExpectedClose string `json:"expected_close"`
}

// WhatIfs computes the quarter to date and every person's what-if. A
// problem in the quarter-to-date inputs fails it as Run does; an open deal
// the engine would refuse is left out and listed in Refused.
func WhatIfs(in WhatIfInput) (*WhatIfRun, error) {
	q := in.Run.Quarter
	asOf := period.Day(in.AsOf)
	if !q.Contains(asOf) {
		return nil, ValidationErrors{{File: "run", Path: "as_of", Reason: fmt.Sprintf("%s is not in %s", asOf.Format(time.DateOnly), q)}}
	}
	in.Run.Estimate = true
	base, err := Run(in.Run)
	if err != nil {
		return nil, err
	}
	out := &WhatIfRun{Quarter: q.String(), AsOf: asOf.Format(time.DateOnly)}
	// The hypothetical closes of the quarter.
	hypo, expected := map[string]Deal{}, map[string]string{}
	later := map[string][]WhatIfLater{}
	for _, d := range in.Open {
		exp := period.Day(d.CloseDate)
		if !exp.Before(q.End()) {
			l := WhatIfLater{DealID: d.ID, DealName: d.Name, Amount: Money{d.Amount}, ExpectedClose: exp.Format(time.DateOnly)}
			for _, id := range dealPeople(d) {
				later[id] = append(later[id], l)
			}
			continue
		}
		h := d
		h.Won, h.CloseDate = true, exp
		if exp.Before(asOf) {
			h.CloseDate = asOf
		}
		hypo[d.ID], expected[d.ID] = h, exp.Format(time.DateOnly)
	}
	// Everything closes at once: who each deal would credit, and which
	// deals the engine refuses (dropped, then once more).
	var all *RunOutput
	for attempt := 0; ; attempt++ {
		all, err = Run(withDeals(in.Run, hypo))
		var v ValidationErrors
		if err == nil || attempt > 0 || !errors.As(err, &v) {
			break
		}
		dropped := false
		for _, fe := range v {
			if _, ok := hypo[fe.Path]; ok && fe.File == "deals" {
				out.Refused = append(out.Refused, WhatIfRefused{DealID: fe.Path, Reason: fe.Reason})
				delete(hypo, fe.Path)
				dropped = true
			}
		}
		if !dropped {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("what-if with the open deals closed: %w", err)
	}
	sort.Slice(out.Refused, func(a, b int) bool { return out.Refused[a].DealID < out.Refused[b].DealID })
	pipeline := map[string][]DealCredit{}
	for _, st := range all.Statements {
		for _, c := range st.Credits {
			if _, ok := hypo[c.DealID]; ok {
				pipeline[st.PersonID] = append(pipeline[st.PersonID], c)
			}
		}
	}
	for i := range base.Statements {
		st := &base.Statements[i]
		w, err := whatIfFor(in.Run, st, hypo, expected, pipeline[st.PersonID])
		if err != nil {
			return nil, err
		}
		w.AsOf, w.Later = out.AsOf, append([]WhatIfLater{}, later[st.PersonID]...)
		out.People = append(out.People, *w)
	}
	return out, nil
}

// whatIfFor is one person's what-if over their pipeline credits.
func whatIfFor(in RunInput, st *Statement, hypo map[string]Deal, expected map[string]string, credits []DealCredit) (*WhatIf, error) {
	w := &WhatIf{Quarter: st.Quarter, PersonID: st.PersonID, EmployeeID: st.EmployeeID, Name: st.Name, Team: st.Team,
		Currency: st.Currency, Earned: st.Total, Deals: []WhatIfDeal{}, Statement: st}
	byDeal := map[string]*WhatIfDeal{}
	for _, c := range credits {
		d := byDeal[c.DealID]
		if d == nil {
			h := hypo[c.DealID]
			w.Deals = append(w.Deals, WhatIfDeal{DealID: h.ID, DealName: h.Name, Type: h.Type, Amount: Money{h.Amount}, AssumedClose: h.CloseDate.Format(time.DateOnly)})
			d = &w.Deals[len(w.Deals)-1]
			byDeal[c.DealID] = d
		}
		d.Credits = append(d.Credits, WhatIfCredit{Role: c.Role, Via: c.Via, Percent: c.Percent, Credited: c.Credited})
	}
	// Pointers into w.Deals moved as it grew: fill by index from here on.
	sort.SliceStable(w.Deals, func(a, b int) bool {
		x, y := w.Deals[a], w.Deals[b]
		if x.AssumedClose != y.AssumedClose {
			return x.AssumedClose < y.AssumedClose
		}
		return x.DealID < y.DealID
	})
	for i := range w.Deals {
		w.Deals[i].ExpectedClose = expected[w.Deals[i].DealID]
	}
	total := st.Total.Decimal
	won := map[string]Deal{}
	for i := range w.Deals {
		d := &w.Deals[i]
		won[d.DealID] = hypo[d.DealID]
		after, err := totalWith(in, st.PersonID, won)
		if err != nil {
			return nil, err
		}
		d.AddsInOrder, d.TotalInOrder = Money{after.Sub(total)}, Money{after}
		total = after
		alone, err := totalWith(in, st.PersonID, map[string]Deal{d.DealID: hypo[d.DealID]})
		if err != nil {
			return nil, err
		}
		d.AddsAlone = Money{alone.Sub(st.Total.Decimal)}
	}
	w.IfAllClose, w.Projected = Money{total.Sub(st.Total.Decimal)}, Money{total}
	return w, nil
}

// totalWith is person id's statement total with the deals in won closed.
func totalWith(in RunInput, id string, won map[string]Deal) (decimal.Decimal, error) {
	st, err := runFor(withDeals(in, won), id)
	if err != nil {
		return decimal.Zero, err
	}
	if st == nil {
		return decimal.Zero, nil
	}
	return st.Total.Decimal, nil
}

// withDeals is in with the deals of won in place of those with the same
// Id (or added).
func withDeals(in RunInput, won map[string]Deal) RunInput {
	deals := make([]Deal, 0, len(in.Deals)+len(won))
	seen := map[string]bool{}
	for _, d := range in.Deals {
		if h, ok := won[d.ID]; ok {
			d = h
			seen[d.ID] = true
		}
		deals = append(deals, d)
	}
	ids := make([]string, 0, len(won))
	for id := range won {
		if !seen[id] {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		deals = append(deals, won[id])
	}
	in.Deals = deals
	return in
}

// runFor is Run for one person: every input validated and credited as Run
// does, one statement computed (nil when the person gets none).
func runFor(in RunInput, id string) (*Statement, error) {
	r, err := prepare(in)
	if err != nil {
		return nil, err
	}
	for _, p := range r.payees() {
		if p == id {
			return r.statement(r.people[id])
		}
	}
	return nil, nil
}

// dealPeople are a deal's owner and split people.
func dealPeople(d Deal) []string {
	ids := []string{d.OwnerID}
	for _, s := range d.Splits {
		if s.PersonID != d.OwnerID {
			ids = append(ids, s.PersonID)
		}
	}
	return ids
}

// JSON is the what-if's canonical encoding (keys sorted, as Statement.JSON).
func (w *WhatIf) JSON() ([]byte, error) { return canonicalJSON(w) }

// WriteText writes the what-if for the person: earned so far, each open
// deal and what it would add, the total if all close; then the
// quarter-to-date statement that explains earned so far.
func (w *WhatIf) WriteText(out io.Writer) error {
	var b strings.Builder
	cur := w.Currency
	fmt.Fprintf(&b, "What-if %s/%s as of %s: %s (user %s)\n", w.Quarter, w.PersonID, w.AsOf, w.Name, w.PersonID)
	fmt.Fprintf(&b, "Earned so far (quarter to date, deals won up to %s): %s\n", w.AsOf, fmtMoney(w.Earned.Decimal, cur))
	if len(w.Deals) == 0 {
		b.WriteString("\nNo open deal that would credit you is expected to close this quarter.\n")
	} else {
		b.WriteString("\nOpen deals, in the order they are expected to close (each assumed won at its amount on its expected\n" +
			"close date, or today when that is past). \"Adds in order\" is what it adds after the deals above it have\n" +
			"closed (these add up to the total); \"adds alone\" is what it adds if it is the only one to close.\n\n")
		tw := tabwriter.NewWriter(&b, 2, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "Deal\tName\tCloses\tAmount\tCredited\tAdds in order\tTotal after\tAdds alone\t")
		for _, d := range w.Deals {
			credited := decimal.Zero
			for _, c := range d.Credits {
				credited = credited.Add(c.Credited.Decimal)
			}
			closes := d.AssumedClose
			if d.ExpectedClose != d.AssumedClose {
				closes += " (expected " + d.ExpectedClose + ")"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", d.DealID, clip(d.DealName, 32), closes, fmtMoney(d.Amount.Decimal, cur),
				fmtMoney(credited, cur), fmtMoney(d.AddsInOrder.Decimal, cur), fmtMoney(d.TotalInOrder.Decimal, cur), fmtMoney(d.AddsAlone.Decimal, cur))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(&b, "\nIf all %d close: adds %s, quarter total %s.\n", len(w.Deals), fmtMoney(w.IfAllClose.Decimal, cur), fmtMoney(w.Projected.Decimal, cur))
	}
	if len(w.Later) > 0 {
		fmt.Fprintf(&b, "\n%d open deal(s) of yours are expected after the quarter and are not counted here:\n", len(w.Later))
		for _, l := range w.Later {
			fmt.Fprintf(&b, "  %s %s, %s, expected %s\n", l.DealID, clip(l.DealName, 40), fmtMoney(l.Amount.Decimal, cur), l.ExpectedClose)
		}
	}
	b.WriteString("\nEvery figure is the difference between two statement totals computed by the pay engine (the sum of\n" +
		"their rounded lines), so tiers, caps, accelerators and splits apply as they will at the quarter's close.\n" +
		"Earned so far is the statement below: the quarter as if it ended today, against full-quarter targets.\n\n")
	if _, err := io.WriteString(out, b.String()); err != nil {
		return err
	}
	return w.Statement.WriteText(out)
}

// clip shortens s to at most n runes.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
