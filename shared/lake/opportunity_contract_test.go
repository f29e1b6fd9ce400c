package lake_test

import (
	"slices"
	"testing"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/kpi"
)

// TestOpportunityWithoutContractColumn: an Opportunity snapshot written
// before the registry had contract_id still scans as kpi.Opportunity, both
// ways: ContractID reads as "" (no linked contract) and the other columns
// as written.
func TestOpportunityWithoutContractColumn(t *testing.T) {
	old := *crm.Opportunity
	old.Fields = slices.DeleteFunc(slices.Clone(old.Fields), func(f crm.Field) bool { return f.Column == "contract_id" })
	if len(old.Fields) != len(crm.Opportunity.Fields)-1 {
		t.Fatalf("the registry's Opportunity lacks contract_id: %d fields of %d", len(old.Fields), len(crm.Opportunity.Fields))
	}
	rows := randomRows(&old, 500, 11)
	b := newBlob(t)
	fast, generic := readBoth[kpi.Opportunity](t, b, lakeFiles(t, b, &old, rows))
	if len(fast) != 2*len(rows) || len(generic) != len(fast) {
		t.Fatalf("read %d and %d rows, want %d", len(fast), len(generic), 2*len(rows))
	}
	id, acct := old.Column("id"), old.Column("account_id")
	for i, got := range [][]kpi.Opportunity{fast, generic} {
		for j, o := range got {
			r := rows[j%len(rows)]
			if o.ContractID != "" {
				t.Fatalf("reader %d row %d: contract %q, want none", i, j, o.ContractID)
			}
			if o.ID != r.Values[id].S || o.AccountID != r.Values[acct].S {
				t.Fatalf("reader %d row %d: %q %q, want %q %q", i, j, o.ID, o.AccountID, r.Values[id].S, r.Values[acct].S)
			}
		}
	}
}
