package kpi_test

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/kpi/kpigen"
	"github.com/venn-revops/venn/shared/period"
)

// TestSpendSumsToCost: under the days spread, each campaign's final
// marketing_spend over the quarters its days meet sums exactly to its
// ActualCost, and each quarter's share is within a cent of cost × days in
// the quarter ÷ days (computed here independently).
func TestSpendSumsToCost(t *testing.T) {
	o := kpigen.New(3, 2000)
	var camps []kpi.Campaign
	if err := o.Inputs().Campaigns(func(rows []kpi.Campaign) error { camps = append(camps, rows...); return nil }); err != nil {
		t.Fatal(err)
	}
	cfg := kpi.DefaultConfig()
	cfg.Dimensions = []string{kpi.DimOrg, kpi.DimCampaign}
	got := map[string]decimal.Decimal{}
	for q := period.MustParse("2025Q3"); q.Before(period.MustParse("2027Q3")); q = q.Next() {
		res, err := kpi.Compute(cfg, o.Inputs(), kpi.Period{Quarter: q, AsOf: q.End(), Final: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range camps {
			v, ok := res.Get("marketing_spend", kpi.DimCampaign, c.ID, "")
			if !ok || !v.Defined {
				continue
			}
			got[c.ID] = got[c.ID].Add(v.Value)
			first, last := int64(*c.StartDate), int64(*c.EndDate)
			q0, q1 := q.Start().Unix()/86400, q.End().Unix()/86400-1
			in := min(last, q1) - max(first, q0) + 1
			exact := decimal.New(*c.ActualCost, -2).Mul(decimal.NewFromInt(in)).Div(decimal.NewFromInt(last - first + 1))
			if v.Value.Sub(exact).Abs().GreaterThanOrEqual(decimal.New(1, -2)) {
				t.Errorf("%s %s: spend %s, exact share %s", c.ID, q, v.Value, exact)
			}
		}
	}
	checked := 0
	for _, c := range camps {
		if c.ActualCost == nil || c.EndDate == nil || c.Type == "Partner" {
			continue
		}
		checked++
		if want := decimal.New(*c.ActualCost, -2); !got[c.ID].Equal(want) {
			t.Errorf("%s: quarters sum to %s, cost %s", c.ID, got[c.ID], want)
		}
	}
	if checked < 100 {
		t.Fatalf("only %d campaigns checked", checked)
	}
}
