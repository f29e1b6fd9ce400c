package lake_test

import (
	"testing"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/kpi"
)

// TestCampaignWithoutCostColumns: a Campaign snapshot written before the
// KPI engine read start_date, end_date and actual_cost (a registry or an
// org without them) still scans as kpi.Campaign, both ways: the columns
// read as null (an unknown cost, never 0) and the other columns as
// written.
func TestCampaignWithoutCostColumns(t *testing.T) {
	old, rows, both := readWithout[kpi.Campaign](t, crm.Campaign, 500, 9, "start_date", "end_date", "actual_cost")
	id, typ := old.Column("id"), old.Column("type")
	for i, got := range both {
		for j, c := range got {
			r := rows[j%len(rows)]
			if c.StartDate != nil || c.EndDate != nil || c.ActualCost != nil {
				t.Fatalf("reader %d row %d: cost columns %v %v %v, want null", i, j, c.StartDate, c.EndDate, c.ActualCost)
			}
			if c.ID != r.Values[id].S || c.Type != r.Values[typ].S {
				t.Fatalf("reader %d row %d: %q %q, want %q %q", i, j, c.ID, c.Type, r.Values[id].S, r.Values[typ].S)
			}
		}
	}
}
