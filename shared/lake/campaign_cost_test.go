package lake_test

import (
	"slices"
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
	old := *crm.Campaign
	old.Fields = slices.DeleteFunc(slices.Clone(old.Fields), func(f crm.Field) bool {
		return f.Column == "start_date" || f.Column == "end_date" || f.Column == "actual_cost"
	})
	if len(old.Fields) != len(crm.Campaign.Fields)-3 {
		t.Fatalf("the registry's Campaign lacks a cost column: %d fields of %d", len(old.Fields), len(crm.Campaign.Fields))
	}
	rows := randomRows(&old, 500, 9)
	b := newBlob(t)
	fast, generic := readBoth[kpi.Campaign](t, b, lakeFiles(t, b, &old, rows))
	if len(fast) != 2*len(rows) || len(generic) != len(fast) {
		t.Fatalf("read %d and %d rows, want %d", len(fast), len(generic), 2*len(rows))
	}
	id, typ := old.Column("id"), old.Column("type")
	for i, got := range [][]kpi.Campaign{fast, generic} {
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
