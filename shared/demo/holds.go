package demo

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/money"
)

// holdLine is one deal-hold line of a statement: a hold, its release, or a
// held deal dropped on cancellation.
type holdLine struct {
	who, currency string
	seq           int
	line          comp.Line
}

// dealHolds are stmts' lines of the invoice hold (the account executive
// plan's holds, on the demo org's Invoice_Paid_Date__c), by kind: hold,
// release (of a deal hold, not a holdback) and hold_dropped.
func dealHolds(stmts []comp.Statement) map[string][]holdLine {
	out := map[string][]holdLine{}
	for _, s := range stmts {
		for i, l := range s.Lines {
			switch {
			case l.Kind == comp.LineHold, l.Kind == comp.LineHoldDropped,
				l.Kind == comp.LineRelease && strings.HasPrefix(l.Key, comp.LineRelease+"/"+comp.LineHold+"/"):
				out[l.Kind] = append(out[l.Kind], holdLine{s.Name, s.Currency, i + 1, l})
			}
		}
	}
	return out
}

// writeHolds prints what the invoice hold did on the closed quarter's
// statements: how much was held and released, and one line of each with
// its reason.
func writeHolds(w io.Writer, q string, stmts []comp.Statement) error {
	h := dealHolds(stmts)
	fmt.Fprintf(w, "\n== Invoice holds on the %s statements: new-business commission is paid once the deal's Invoice_Paid_Date__c is set ==\n", q)
	// sum is the lines' total per pay currency, as a positive amount.
	sum := func(ls []holdLine) string {
		by := map[string]decimal.Decimal{}
		var curs []string
		for _, l := range ls {
			if _, ok := by[l.currency]; !ok {
				curs = append(curs, l.currency)
			}
			by[l.currency] = by[l.currency].Add(l.line.Amount.Decimal)
		}
		sort.Strings(curs)
		parts := make([]string, len(curs))
		for i, c := range curs {
			parts[i] = c + " " + money.Format(by[c].Abs())
		}
		return strings.Join(parts, ", ")
	}
	fmt.Fprintf(w, "held: %d lines (%s); released, held on an earlier statement: %d lines (%s); dropped, cancelled while held: %d lines\n",
		len(h[comp.LineHold]), sum(h[comp.LineHold]), len(h[comp.LineRelease]), sum(h[comp.LineRelease]), len(h[comp.LineHoldDropped]))
	for _, kind := range []string{comp.LineHold, comp.LineRelease} {
		if ls := h[kind]; len(ls) > 0 {
			if _, err := fmt.Fprintf(w, "  %s, line %d: %s\n", ls[0].who, ls[0].seq, strings.TrimSpace(ls[0].line.Explain)); err != nil {
				return err
			}
		}
	}
	return nil
}
