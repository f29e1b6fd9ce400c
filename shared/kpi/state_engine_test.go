package kpi_test

import (
	"slices"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/kpi/kpigen"
	"github.com/venn-revops/venn/shared/period"
)

// TestStateAtAgreesWithEngine: the payouts read deals through StateAt, the
// engine streams the same rules. On a generated org, the won funnel deals
// closing in the quarter by StateAt are the engine's opps_won and
// bookings, at quarter close and mid-quarter.
func TestStateAtAgreesWithEngine(t *testing.T) {
	org := kpigen.New(3, 4000)
	in := org.Inputs()
	var opps []kpi.Opportunity
	hist := map[string][]kpi.OpportunityHistory{}
	if err := in.Opportunities(func(rows []kpi.Opportunity) error { opps = append(opps, rows...); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := in.OpportunityHistory(func(rows []kpi.OpportunityHistory) error {
		for _, h := range rows { // newest first: order must not matter
			hist[h.OpportunityID] = append([]kpi.OpportunityHistory{h}, hist[h.OpportunityID]...)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	cfg := kpi.DefaultConfig()
	for _, p := range []kpi.Period{
		{Quarter: period.MustParse("2026Q3"), AsOf: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Final: true},
		{Quarter: period.MustParse("2026Q3"), AsOf: time.Date(2026, 8, 21, 2, 0, 0, 0, time.UTC)},
	} {
		res, err := kpi.Compute(cfg, in, p)
		if err != nil {
			t.Fatal(err)
		}
		start, end := p.Quarter.Start().UnixMicro(), p.Quarter.End().UnixMicro()
		var n, cents int64
		for i := range opps {
			s, ok := cfg.StateAt(&opps[i], hist[opps[i].ID], p.AsOf.UnixMicro())
			closeAt := int64(s.CloseDay) * 86_400_000_000
			if ok && s.Won && closeAt >= start && closeAt < end && slices.Contains(cfg.FunnelClasses, cfg.Class(opps[i].Type)) {
				n++
				cents += s.Amount
			}
		}
		won, _ := res.Get("opps_won", kpi.DimOrg, kpi.KeyAll, "")
		book, _ := res.Get("bookings", kpi.DimOrg, kpi.KeyAll, "")
		if n == 0 || !won.Value.Equal(decimal.NewFromInt(n)) || !book.Value.Equal(decimal.New(cents, -2)) {
			t.Errorf("%s as of %s: StateAt gives %d won, %d¢; the engine %s won, %s", p.Quarter, p.AsOf.Format(time.DateOnly), n, cents, won.Value, book.Value)
		}
	}
}
