package kpi

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/period"
)

// costTestConfig is testdata/config.yaml with the marketing targets of
// cost-org.yaml: 2025Q1 sets sales and marketing targets, 2025Q2 only a
// bookings target (its marketing targets are n/a).
func costTestConfig(t *testing.T, spread string) *Config {
	cfg := loadTestConfig(t)
	cfg.CostSpread = spread
	dec := func(s string) *decimal.Decimal { d := decimal.RequireFromString(s); return &d }
	cfg.Targets = append(cfg.Targets,
		Target{Quarter: period.MustParse("2025Q1"), Dimension: DimOrg, Key: KeyAll, Bookings: decimal.RequireFromString("20000.00"),
			MQLs: dec("3"), SourcedPipeline: dec("8000.00")},
		Target{Quarter: period.MustParse("2025Q2"), Dimension: DimOrg, Key: KeyAll, Bookings: decimal.RequireFromString("5000.00")})
	return cfg
}

// TestCostKPIs checks the hand-worked cost-org expectations under both
// spread rules.
func TestCostKPIs(t *testing.T) {
	t.Run("days", func(t *testing.T) {
		checkExpect(t, costTestConfig(t, CostSpreadDays), "cost-org.yaml", "cost-org.expect.yaml")
	})
	t.Run("start_date", func(t *testing.T) {
		checkExpect(t, costTestConfig(t, CostSpreadStart), "cost-org.yaml", "cost-org.start.expect.yaml")
	})
}

// TestCostUnplaced: C7 has a cost and no StartDate, so it lands in no
// period; C6 (Partner) is not a marketing campaign and is not counted.
func TestCostUnplaced(t *testing.T) {
	res, err := Compute(costTestConfig(t, CostSpreadDays), loadFixture(t, "cost-org.yaml"),
		Period{Quarter: period.MustParse("2025Q1"), AsOf: period.Date(2025, 4, 1), Final: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.UnplacedCampaignCosts != 1 {
		t.Errorf("UnplacedCampaignCosts = %d, want 1 (C7)", res.Stats.UnplacedCampaignCosts)
	}
	for _, key := range []string{"C6", "C7"} {
		if v, ok := res.Get("marketing_spend", DimCampaign, key, ""); ok {
			t.Errorf("campaign %s has a marketing_spend (%v); want none", key, v.Value)
		}
	}
}
