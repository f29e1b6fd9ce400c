package kpi

import (
	"bytes"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

// The org line of an influenced KPI is the same under every model (each
// distributes 100% of every amount) and prints once; a campaign's credit
// differs by model and prints one line per model.
func TestScorecardCollapsesIdenticalModels(t *testing.T) {
	res := &Result{Quarter: "2026Q3"}
	for i, m := range Models {
		res.Values = append(res.Values,
			Value{KPI: "mktg_influenced_bookings", Dimension: DimOrg, Key: KeyAll, Model: m, Unit: UnitCurrency, Value: decimal.NewFromInt(12000), Defined: true},
			Value{KPI: "mktg_influenced_bookings", Dimension: "campaign", Key: "Webinar A", Model: m, Unit: UnitCurrency, Value: decimal.NewFromInt(int64(1000 + i)), Defined: true},
		)
	}
	var out bytes.Buffer
	if err := WriteScorecard(&out, res, nil, DimOrg, "campaign"); err != nil {
		t.Fatal(err)
	}
	org, campaign, ok := strings.Cut(out.String(), "== campaign: Webinar A ==")
	if !ok {
		t.Fatalf("no campaign section:\n%s", out.String())
	}
	if n := strings.Count(org, "mktg_influenced_bookings"); n != 1 || !strings.Contains(org, "[every model]") {
		t.Errorf("org: %d lines for identical models, want one [every model] line:\n%s", n, org)
	}
	for _, m := range Models {
		if !strings.Contains(campaign, "mktg_influenced_bookings ["+m+"]") {
			t.Errorf("campaign: no line for model %s:\n%s", m, campaign)
		}
	}
	if strings.Contains(campaign, "every model") {
		t.Errorf("campaign values differ by model but were collapsed:\n%s", campaign)
	}
}
