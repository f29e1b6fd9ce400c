package money

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// Each conversion is worked by hand: cents × to ÷ from, exact, then
// rounded once to the cent half away from zero.
func TestConvertCents(t *testing.T) {
	d := decimal.RequireFromString
	tests := []struct {
		cents    int64
		from, to string
		want     int64
	}{
		{1_000_000, "0.92", "1", 1_086_957}, // EUR 10,000.00 ÷ 0.92 = 10,869.5652… USD
		{5002, "0.80", "1", 6253},           // GBP 50.02 ÷ 0.80 = 62.525: the half goes up
		{-5002, "0.80", "1", -6253},         // a negative amount: the half goes away from zero too
		{5002, "0.80", "0.95", 5940},        // GBP to EUR through USD: 50.02 × 0.95 ÷ 0.80 = 59.39875
		{200_000, "1", "0.95", 190_000},     // USD 2,000.00 into EUR at 0.95
		{0, "0.92", "1", 0},
		{123, "1", "1", 123},
		{1, "3", "1", 0}, // 0.00333… → 0.00
		{2, "4", "1", 1}, // 0.005 → 0.01
	}
	for _, tt := range tests {
		if got := ConvertCents(tt.cents, d(tt.from), d(tt.to)); got != tt.want {
			t.Errorf("ConvertCents(%d, %s, %s) = %d, want %d", tt.cents, tt.from, tt.to, got, tt.want)
		}
	}
}

func TestRateTableOn(t *testing.T) {
	day := func(s string) time.Time { v, _ := time.Parse(time.DateOnly, s); return v }
	d := decimal.RequireFromString
	r := Rates{Corporate: "USD",
		Static: []StaticRate{{Currency: "USD", Rate: d("1")}, {Currency: "EUR", Rate: d("0.90")}, {Currency: "CHF", Rate: d("0.88")}},
		Dated: []DatedRate{
			{Currency: "EUR", Rate: d("0.95"), Start: day("2026-08-01")}, // out of order on purpose
			{Currency: "EUR", Rate: d("0.92"), Start: day("2026-07-01"), Next: day("2026-08-01")},
		}}
	if ps := r.Problems(); len(ps) > 0 {
		t.Fatal(ps)
	}
	tab := NewRateTable(r)
	tests := []struct {
		code, day string
		source    RateSource
		fallback  bool
		want      string // rate and range, or the error
	}{
		{"USD", "1999-01-01", RatesDated, false, "1  "},                        // the corporate currency is 1 on every day
		{"EUR", "2026-07-01", RatesDated, false, "0.92 2026-07-01 2026-07-31"}, // first day of a range
		{"EUR", "2026-07-31", RatesDated, false, "0.92 2026-07-01 2026-07-31"}, // last day
		{"EUR", "2026-08-01", RatesDated, false, "0.95 2026-08-01 "},           // next range, open
		{"EUR", "2030-01-01", RatesDated, false, "0.95 2026-08-01 "},
		{"EUR", "2026-06-30", RatesDated, false, "no dated EUR rate (DatedConversionRate) in force on 2026-06-30"},
		{"EUR", "2026-06-30", RatesDated, true, "0.9  "}, // static fallback
		{"EUR", "2026-07-15", RatesStatic, false, "0.9  "},
		{"CHF", "2026-07-15", RatesDated, true, "0.88  "},
		{"GBP", "2026-07-15", RatesStatic, false, "no GBP rate on 2026-07-15: GBP has no dated rate in force and no static rate (CurrencyType)"},
	}
	for _, tt := range tests {
		u, err := tab.On(tt.code, day(tt.day), tt.source, tt.fallback)
		got := u.Rate.String() + " " + u.From + " " + u.To
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("On(%s, %s, %s, %v) = %q, want %q", tt.code, tt.day, tt.source, tt.fallback, got, tt.want)
		}
	}
}

func TestRatesProblems(t *testing.T) {
	day := func(s string) time.Time { v, _ := time.Parse(time.DateOnly, s); return v }
	d := decimal.RequireFromString
	r := Rates{Corporate: "USD",
		Static: []StaticRate{{Currency: "USD", Rate: d("1.1")}, {Currency: "EUX", Rate: d("1")}, {Currency: "EUR", Rate: d("0.9")}, {Currency: "EUR", Rate: d("0.91")}},
		Dated: []DatedRate{
			{Currency: "EUR", Rate: d("0.92"), Start: day("2026-07-01"), Next: day("2026-08-01")},
			{Currency: "EUR", Rate: d("0.93"), Start: day("2026-07-20")},
			{Currency: "GBP", Rate: d("0"), Start: day("2026-07-01")},
			{Currency: "GBP", Rate: d("0.8"), Start: day("2026-09-01"), Next: day("2026-09-01")},
		}}
	var got []string
	for _, p := range r.Problems() {
		got = append(got, p.At+": "+p.Reason)
	}
	want := []string{
		"static[0] USD: USD is the corporate currency: its rate is 1, not 1.1",
		`static[1] EUX: "EUX" is not an ISO 4217 currency code`,
		"static[3] EUR: EUR has two static rates (CurrencyType rows)",
		"dated[2] GBP: GBP rate 0 must be above 0",
		"dated[3] GBP: next start date 2026-09-01 is not after the start date 2026-09-01",
		"dated[1] EUR: EUR rate from 2026-07-20 overlaps the one from 2026-07-01 (in force until 2026-08-01): two rates on 2026-07-20",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if ps := (Rates{Static: []StaticRate{{Currency: "EUR", Rate: d("0.9")}}}).Problems(); len(ps) != 1 || ps[0].At != "corporate" {
		t.Errorf("rates without a corporate currency: %v", ps)
	}
}
