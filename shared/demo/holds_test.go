package demo

import (
	"strings"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/democrm"
)

// checkHolds: the closed quarter's statements hold commission on deals
// whose invoice the demo CRM has not seen paid by 2026-09-30, release what
// 2026Q2 held on deals whose invoice was paid in 2026Q3, and drop what was
// held on deals since lost; each checked against the invoice dates as the
// CRM serves them (which deals the plan holds at all is
// shared/pipeline/holds_test.go's).
func checkHolds(t *testing.T, r *Report, printed string) {
	t.Helper()
	obj, _ := r.Org.Object("Opportunity")
	inv, won := -1, -1
	for i, f := range obj.Fields {
		switch f.Name {
		case democrm.InvoicePaidDate.Name:
			inv = i
		case "IsWon":
			won = i
		}
	}
	if inv < 0 || won < 0 {
		t.Fatalf("the demo org's Opportunity has no %s", democrm.InvoicePaidDate.Name)
	}
	paid, isWon := map[string]string{}, map[string]bool{}
	if err := r.Org.Each(obj, func(row *crm.Row) error {
		if v := row.Values[inv]; !v.Null {
			paid[row.ID()] = crm.TimeOfDays(v.I).Format(time.DateOnly)
		}
		isWon[row.ID()] = row.Values[won].B
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	h := dealHolds(r.Payouts.Statements)
	for _, l := range h[comp.LineHold] {
		if d, ok := paid[l.line.Ref]; ok && d <= "2026-09-30" {
			t.Errorf("%s: deal %s held, its invoice paid %s", l.who, l.line.Ref, d)
		}
	}
	for _, l := range h[comp.LineRelease] {
		if d := paid[l.line.Ref]; d < "2026-07-01" || d > "2026-09-30" {
			t.Errorf("%s: deal %s released in 2026Q3, its invoice paid %q", l.who, l.line.Ref, d)
		}
	}
	for _, l := range h[comp.LineHoldDropped] {
		if isWon[l.line.Ref] || !l.line.Amount.IsZero() {
			t.Errorf("%s: deal %s dropped (%s), still won: %v", l.who, l.line.Ref, l.line.Amount, isWon[l.line.Ref])
		}
	}
	if len(h[comp.LineHold]) == 0 || len(h[comp.LineRelease]) == 0 {
		t.Errorf("the demo's statements have %d hold and %d release lines: it should show both", len(h[comp.LineHold]), len(h[comp.LineRelease]))
	}
	if !strings.Contains(printed, "== Invoice holds on the 2026Q3 statements") {
		t.Error("the demo did not print its invoice holds")
	}
}
