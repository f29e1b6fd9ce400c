package kpi

import (
	"slices"
	"testing"
)

func TestReadersOf(t *testing.T) {
	// Hand-picked from docs/kpis.md: MQL counts read the MQL date, every
	// lead KPI is broken down by the lead's segment, and no KPI reads a
	// user's cost center (comp does).
	if got := ReadersOf("Lead", "mql_date"); !slices.Contains(got, "mqls") || slices.Contains(got, "leads") {
		t.Errorf("Lead.mql_date readers %v: want mqls, not leads", got)
	}
	if got := ReadersOf("Lead", "segment"); !slices.Contains(got, "leads") || !slices.Contains(got, "mqls") {
		t.Errorf("Lead.segment readers %v", got)
	}
	if got := ReadersOf("User", "cost_center"); len(got) != 0 {
		t.Errorf("User.cost_center readers %v, want none", got)
	}
	if got := ReadersOf("Lead", "no_such_column"); got != nil {
		t.Errorf("unknown column readers %v", got)
	}
}
