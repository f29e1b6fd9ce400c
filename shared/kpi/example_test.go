package kpi_test

import (
	"fmt"
	"os"
	"time"

	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/period"
)

// A won and a lost deal in 2026Q3, computed at quarter close.
func ExampleCompute() {
	at := func(s string) int64 { t, _ := time.Parse(time.RFC3339, s); return t.UnixMicro() }
	day := func(s string) int32 { return int32(at(s+"T00:00:00Z") / 86_400_000_000) }
	won, lost, closed := true, false, true
	amount := int64(1_250_000) // cents
	in := kpi.Inputs{
		Users: kpi.Rows([]kpi.User{{ID: "U1", Team: "East"}}),
		Opportunities: kpi.Rows([]kpi.Opportunity{
			{ID: "O1", OwnerID: "U1", CreatedDate: at("2026-07-02T09:00:00Z"), Amount: &amount, CloseDate: day("2026-08-14"), StageName: "Closed Won", IsWon: &won, IsClosed: &closed},
			{ID: "O2", OwnerID: "U1", CreatedDate: at("2026-07-09T09:00:00Z"), Amount: &amount, CloseDate: day("2026-09-01"), StageName: "Closed Lost", IsWon: &lost, IsClosed: &closed},
		}),
	}
	q := period.MustParse("2026Q3")
	res, err := kpi.Compute(kpi.DefaultConfig(), in, kpi.Period{Quarter: q, AsOf: q.End(), Final: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range []string{"bookings", "win_rate", "sales_cycle_days"} { // cycles: 43 and 54 days
		v, _ := res.Get(name, kpi.DimOrg, kpi.KeyAll, "")
		fmt.Println(name, v.Value, v.Unit)
	}
	// Output:
	// bookings 12500 currency
	// win_rate 0.5 ratio
	// sales_cycle_days 48.5 days
}

// The scorecard of a quarter to date against the same point of the
// previous quarter.
func ExampleWriteScorecard() {
	cfg := kpi.DefaultConfig()
	asOf := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
	q := period.Of(asOf)
	cur, _ := kpi.Compute(cfg, kpi.Inputs{}, kpi.Period{Quarter: q, AsOf: asOf})
	prev, _ := kpi.Compute(cfg, kpi.Inputs{}, kpi.Period{Quarter: q.Prev(), AsOf: q.SamePointIn(asOf, q.Prev())})
	_ = kpi.WriteScorecard(os.Stdout, cur, prev)
}
