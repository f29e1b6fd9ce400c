package kpigen

import (
	"testing"

	"github.com/venn-revops/venn/shared/kpi"
)

// With Products, every opportunity has two lines of catalogue products
// summing to its amount; without, the sources are nil.
func TestLineItemsSumToAmount(t *testing.T) {
	o := New(7, 2000)
	if in := o.Inputs(); in.LineItems != nil || in.Products != nil {
		t.Fatal("line items or products without Org.Products")
	}
	o.Products = true
	in := o.Inputs()
	families := map[string]string{}
	collectRows(t, in.Products, func(p *kpi.Product) { families[p.ID] = p.Family })
	amounts := map[string]int64{}
	collectRows(t, in.Opportunities, func(r *kpi.Opportunity) { amounts[r.ID] = *r.Amount })
	sums, lines := map[string]int64{}, map[string]int{}
	collectRows(t, in.LineItems, func(l *kpi.LineItem) {
		if _, ok := families[l.Product2ID]; !ok {
			t.Fatalf("line %s: product %s not in the catalogue", l.ID, l.Product2ID)
		}
		if *l.TotalPrice <= 0 {
			t.Fatalf("line %s: total %d", l.ID, *l.TotalPrice)
		}
		sums[l.OpportunityID] += *l.TotalPrice
		lines[l.OpportunityID]++
	})
	if len(sums) != len(amounts) {
		t.Fatalf("%d opportunities with lines, %d opportunities", len(sums), len(amounts))
	}
	for id, a := range amounts {
		if sums[id] != a || lines[id] != 2 {
			t.Fatalf("opportunity %s: %d lines summing to %d, amount %d", id, lines[id], sums[id], a)
		}
	}
}

func collectRows[T any](t *testing.T, s kpi.Source[T], fn func(*T)) {
	t.Helper()
	if err := s(func(rows []T) error {
		for i := range rows {
			fn(&rows[i])
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
