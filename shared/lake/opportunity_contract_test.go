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
	old, rows, both := readWithout[kpi.Opportunity](t, crm.Opportunity, 500, 11, "contract_id")
	id, acct := old.Column("id"), old.Column("account_id")
	for i, got := range both {
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

// readWithout writes n random rows of o without the given columns (a
// snapshot written before the registry had them) and reads them back as T
// both ways (readBoth); it returns the object as written, its rows and the
// rows each reader returned (every row twice).
func readWithout[T any](t *testing.T, o *crm.Object, n int, seed uint64, columns ...string) (*crm.Object, []crm.Row, [2][]T) {
	t.Helper()
	old := *o
	old.Fields = slices.DeleteFunc(slices.Clone(old.Fields), func(f crm.Field) bool { return slices.Contains(columns, f.Column) })
	if len(old.Fields) != len(o.Fields)-len(columns) {
		t.Fatalf("the registry's %s lacks one of %v: %d fields of %d", o.Name, columns, len(old.Fields), len(o.Fields))
	}
	rows := randomRows(&old, n, seed)
	b := newBlob(t)
	fast, generic := readBoth[T](t, b, lakeFiles(t, b, &old, rows))
	if len(fast) != 2*len(rows) || len(generic) != len(fast) {
		t.Fatalf("read %d and %d rows, want %d", len(fast), len(generic), 2*len(rows))
	}
	return &old, rows, [2][]T{fast, generic}
}
