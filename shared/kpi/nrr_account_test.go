package kpi

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/period"
)

// NRR's expansion term counts won expansions "on accounts with a renewal
// up in the window" (docs/kpis.md §2.11). An opportunity without an
// account is on no account: a renewal and an expansion that both lack
// one do not share an account. Hand-worked: on account 001A a renewal of
// 200.00 and an expansion of 30.00, both won in Q3; without an account a
// renewal of 100.00 and an expansion of 50.00, both won in Q3. NRR =
// (200 + 100 + 30) ÷ (200 + 100) = 1.1, not (… + 50) ÷ 300 = 1.266667.
func TestNRRExpansionNeedsAnAccount(t *testing.T) {
	q := period.MustParse("2026Q3")
	created := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	closeDay := int32(time.Date(2026, 8, 15, 0, 0, 0, 0, time.UTC).Unix() / 86400)
	yes := true
	won := func(id, account, typ string, cents int64) Opportunity {
		return Opportunity{ID: id, CreatedDate: created, AccountID: account, OwnerID: "005A", StageName: "Closed Won",
			Amount: &cents, CloseDate: closeDay, IsWon: &yes, IsClosed: &yes, Type: typ}
	}
	opps := []Opportunity{
		won("006R1", "001A", "Renewal", 20000), won("006X1", "001A", "Expansion", 3000),
		won("006R2", "", "Renewal", 10000), won("006X2", "", "Expansion", 5000),
	}
	res, err := Compute(DefaultConfig(), Inputs{Opportunities: batches(nil, opps), Accounts: batches(nil, []Account{{ID: "001A"}})},
		Period{Quarter: q, AsOf: q.End(), Final: true})
	if err != nil {
		t.Fatal(err)
	}
	v, ok := res.Get("nrr", DimOrg, KeyAll, "")
	if want := decimal.RequireFromString("1.1"); !ok || !v.Value.Equal(want) {
		t.Fatalf("nrr = %s (present %v), want %s", v.Value, ok, want)
	}
}
