package kpigen

import (
	"reflect"
	"testing"

	"github.com/venn-revops/venn/shared/kpi"
)

func rows[T any](t *testing.T, s kpi.Source[T]) []T {
	t.Helper()
	var out []T
	if err := s(func(b []T) error { out = append(out, b...); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDeterministicAndConsistent: the same seed gives the same org at any
// batch size, counts follow the stated ratios, and references resolve.
func TestDeterministicAndConsistent(t *testing.T) {
	a, b := New(1, 2000), New(1, 2000)
	b.BatchSize = 3
	la, lb := rows(t, a.Inputs().Leads), rows(t, b.Inputs().Leads)
	if !reflect.DeepEqual(la, lb) || len(la) != 2000 {
		t.Fatal("leads differ by batch size")
	}
	opps := rows(t, a.Inputs().Opportunities)
	members := rows(t, a.Inputs().CampaignMembers)
	if len(opps) != 400 || len(members) != 8000 || len(rows(t, a.Inputs().ContactRoles)) != 800 {
		t.Fatalf("%d opps, %d members", len(opps), len(members))
	}
	ids := map[string]bool{}
	for _, o := range opps {
		ids[o.ID] = true
	}
	converted := 0
	for _, l := range la {
		if l.ConvertedOpportunityID != "" {
			converted++
			if !ids[l.ConvertedOpportunityID] || l.ConvertedDate == nil || l.SQLDate == nil {
				t.Fatalf("lead %s converts to %s without a known opportunity or dates", l.ID, l.ConvertedOpportunityID)
			}
		}
	}
	if converted != len(opps) {
		t.Fatalf("%d converted leads for %d opportunities", converted, len(opps))
	}
	if reflect.DeepEqual(la, rows(t, New(2, 2000).Inputs().Leads)) {
		t.Fatal("seed has no effect")
	}
}
