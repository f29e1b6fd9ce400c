package kpi

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/money"
	"github.com/venn-revops/venn/shared/period"
)

// TestFXOrg checks fx-org.expect.yaml: opportunities in EUR and GBP
// converted into USD at the dated rate of their close date.
func TestFXOrg(t *testing.T) {
	checkExpect(t, loadTestConfig(t), "fx-org.yaml", "fx-org.expect.yaml")
}

var fxQ3 = Period{Quarter: period.MustParse("2026Q3"), AsOf: period.MustParse("2026Q3").End(), Final: true}

func fxValue(t *testing.T, res *Result, kpi string) string {
	t.Helper()
	v, ok := res.Get(kpi, DimOrg, KeyAll, "")
	if !ok {
		t.Fatalf("%s: missing", kpi)
	}
	return v.Value.StringFixed(2)
}

// An org without dated rates (no advanced currency management) converts
// at the static rates, by hand from fx-org.yaml: EUR 0.90, GBP 0.80.
func TestFXStaticRates(t *testing.T) {
	in := loadFixture(t, "fx-org.yaml")
	in.Rates.Dated = nil
	res, err := Compute(loadTestConfig(t), in, fxQ3)
	if err != nil {
		t.Fatal(err)
	}
	for kpi, want := range map[string]string{
		// F1 10,000 ÷ 0.9 = 11,111.11; F2 1,000 ÷ 0.9 = 1,111.11; F3 2,000;
		// F6 2,000 ÷ 0.9 = 2,222.22; F8 500.
		"bookings":      "16944.44",
		"lost_amount":   "62.53",   // F4 50.02 ÷ 0.80 = 62.525
		"open_pipeline": "3333.33", // F5 3,000 ÷ 0.9 = 3,333.33
	} {
		if got := fxValue(t, res, kpi); got != want {
			t.Errorf("%s = %s, want %s", kpi, got, want)
		}
	}
}

// A reporting currency that is not the corporate one converts through it:
// amount × rate(EUR) ÷ rate(deal currency), by hand from fx-org.yaml.
func TestFXCrossRate(t *testing.T) {
	cfg := *loadTestConfig(t)
	cfg.Currency = "EUR"
	res, err := Compute(&cfg, loadFixture(t, "fx-org.yaml"), fxQ3)
	if err != nil {
		t.Fatal(err)
	}
	for kpi, want := range map[string]string{
		// F1 10,000, F2 1,000 and F6 2,000 are in EUR; F3 USD 2,000 × 0.95
		// (09-01) = 1,900.00; F8's blank currency reads as EUR: 500.
		"bookings": "15400.00",
		// F4 GBP 50.02 × 0.95 ÷ 0.80 = 59.39875 → 59.40.
		"lost_amount": "59.40",
	} {
		if got := fxValue(t, res, kpi); got != want {
			t.Errorf("%s = %s, want %s", kpi, got, want)
		}
	}
	if v, _ := res.Get("bookings", DimOrg, KeyAll, ""); v.Currency != "EUR" {
		t.Errorf("bookings currency %q, want EUR", v.Currency)
	}
}

// A counted opportunity without a rate fails the run naming it, its
// currency and the day; bad rates fail it before anything is read.
func TestFXMissingRate(t *testing.T) {
	day := func(s string) time.Time { v, _ := time.Parse(time.DateOnly, s); return v }
	amount := int64(100_00)
	opp := func(id, cur, close string) Opportunity {
		c := int32(day(close).Unix() / 86400)
		return Opportunity{ID: id, CreatedDate: fxQ3.Quarter.Start().UnixMicro(), Amount: &amount, CurrencyIsoCode: cur, CloseDate: c, StageName: "Prospecting"}
	}
	tests := []struct {
		name string
		edit func(in *Inputs)
		want string
	}{
		{"currency without a rate", func(in *Inputs) {
			in.Opportunities = Rows([]Opportunity{opp("X1", "CHF", "2026-08-20")})
		}, "opportunity X1: CHF 100.00 on its close date 2026-08-20 into USD: no dated CHF rate (DatedConversionRate) in force on 2026-08-20"},
		{"close date before the first dated rate", func(in *Inputs) {
			in.Opportunities = Rows([]Opportunity{opp("X2", "EUR", "2026-03-15")})
		}, "opportunity X2: EUR 100.00 on its close date 2026-03-15 into USD: no dated EUR rate (DatedConversionRate) in force on 2026-03-15"},
		{"static only, currency without a rate", func(in *Inputs) {
			in.Rates.Dated = nil
			in.Opportunities = Rows([]Opportunity{opp("X3", "CHF", "2026-08-20")})
		}, "opportunity X3: CHF 100.00 on its close date 2026-08-20 into USD: no CHF rate on 2026-08-20"},
		{"single-currency org", func(in *Inputs) { in.Rates = money.Rates{} },
			"opportunity F1: currency EUR: the org has no exchange rates (no CurrencyType in the lake) to convert it into USD"},
		{"overlapping dated rates", func(in *Inputs) {
			in.Rates.Dated = append(in.Rates.Dated, money.DatedRate{Currency: "EUR", Rate: decimal.RequireFromString("0.93"), Start: day("2026-07-20"), Next: day("2026-08-10")})
		}, "exchange rates: dated[5] EUR: EUR rate from 2026-07-20 overlaps the one from 2026-07-01 (in force until 2026-08-01)"},
		{"rate at zero", func(in *Inputs) { in.Rates.Static[1].Rate = decimal.Zero }, "exchange rates: static[1] EUR: EUR rate 0 must be above 0"},
	}
	for _, tt := range tests {
		in := loadFixture(t, "fx-org.yaml")
		tt.edit(&in)
		_, err := Compute(loadTestConfig(t), in, fxQ3)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.want)
		}
	}
}
