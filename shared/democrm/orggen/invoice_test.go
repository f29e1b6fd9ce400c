package orggen

import (
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/crm"
)

// The demo org's Invoice_Paid_Date__c, read as the wire serves it (the
// org's own Opportunity with the extra field): set only on won deals, 10
// to 80 days after the close date and before as-of; some won deals of
// 2026Q2 and 2026Q3 paid by their quarter's end, some after it, some not
// yet (the demo's invoice hold shows a held line and a released one).
func TestInvoicePaidDate(t *testing.T) {
	org := Generate(Config{Shape: WithInvoicePaidDate(Shape{})})
	obj, ok := org.Object("Opportunity")
	if !ok {
		t.Fatal("no Opportunity")
	}
	col := map[string]int{}
	for i, f := range obj.Fields {
		col[f.Name] = i
	}
	inv, ok := col["Invoice_Paid_Date__c"]
	if !ok || obj.Fields[inv].Type != crm.Date {
		t.Fatalf("Opportunity fields %v", obj.Fields)
	}
	asOf := dayOf(crm.Micros(DefaultAsOf))
	day := func(s string) int64 {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return dayOf(crm.Micros(d))
	}
	q2End, q3End := day("2026-06-30"), day("2026-09-30")
	var paidInQ, paidLater, unpaid, won int
	err := org.Each(obj, func(r *crm.Row) error {
		v, closed := r.Values[inv], r.Values[col["CloseDate"]].I
		if !r.Values[col["IsWon"]].B {
			if !v.Null {
				t.Errorf("%s: not won, invoice paid %d", r.ID(), v.I)
			}
			return nil
		}
		won++
		if v.Null {
			unpaid++
			return nil
		}
		if d := v.I - closed; d < 10 || d > 80 || v.I >= asOf {
			t.Errorf("%s: closed day %d, invoice paid day %d (as-of %d)", r.ID(), closed, v.I, asOf)
		}
		for _, end := range []int64{q2End, q3End} {
			if closed > end-92 && closed <= end {
				if v.I <= end {
					paidInQ++
				} else {
					paidLater++
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if paidInQ == 0 || paidLater == 0 || unpaid == 0 || unpaid > won/4 {
		t.Errorf("won %d: paid in their quarter %d, after it %d, unpaid %d", won, paidInQ, paidLater, unpaid)
	}
	t.Logf("won %d: paid in their quarter %d, after it %d, unpaid %d", won, paidInQ, paidLater, unpaid)
}
