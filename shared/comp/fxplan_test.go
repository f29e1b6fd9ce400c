package comp

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/venn-revops/venn/shared/period"
)

// fxEURPlanSrc is a plan in EUR for people paid in USD: a bookings bonus
// (target variable EUR 1,000.00, target EUR 20,000.00, payout equal to
// attainment) and 10% commission on credited (one retroactive tier);
// conversion %s.
const fxEURPlanSrc = `id: %s
version: 1
name: EUR plan %[1]s
effective_from: 2026-01-01
currency: EUR
target_variable: 1000
clawback_days: 90
clawback_basis: %s
conversion: %s
components:
  - id: bookings
    kind: attainment_bonus
    weight: 1
    metric: {kpi: bookings, scope: individual}
    target: 20000
    curve:
      threshold: 0
      cap: 2
      points: [{attainment: 0, payout: 0}, {attainment: 2, payout: 2}]
  - id: comm
    kind: commission
    credit: own
    tier_by: amount
    mode: retroactive
    boundary: upper
    tiers: [{from: 0, rate: 0.1}]
`

// fxPlanInput is 2026Q3 for Fay, Gus and Hal, each paid in USD on a plan
// in EUR with another conversion date (fxRates: EUR 0.92 per USD in July,
// 0.95 from August; GBP 0.78).
func fxPlanInput(t *testing.T, basis string) RunInput {
	t.Helper()
	var plans []*Plan
	for _, p := range []struct{ id, conv string }{
		{"eu_close", "{rates: dated}"},
		{"eu_end", "{date: period_end, rates: dated}"},
		{"eu_fixed", "{date: 2026-07-01, rates: dated}"},
	} {
		plan, err := ParsePlan(p.id+".yaml", []byte(fmt.Sprintf(fxEURPlanSrc, p.id, basis, p.conv)))
		if err != nil {
			t.Fatal(err)
		}
		plans = append(plans, plan)
	}
	in := RunInput{
		Quarter: period.MustParse("2026Q3"), Plans: plans, KnownKPI: knownKPIs, Metrics: MetricTable{}, Rates: fxRates(), CodeVersion: "test",
		People: []Person{
			{ID: "F", EmployeeID: "EF", Name: "Fay", Currency: "USD"},
			{ID: "G", EmployeeID: "EG", Name: "Gus", Currency: "USD"},
			{ID: "H", EmployeeID: "EH", Name: "Hal", Currency: "USD"},
		},
		Assignments: &Assignments{File: "assignments.yaml", People: []PersonAssignment{
			{Person: "F", Plan: "eu_close", From: Day{day("2026-01-01")}},
			{Person: "G", Plan: "eu_end", From: Day{day("2026-01-01")}},
			{Person: "H", Plan: "eu_fixed", From: Day{day("2026-01-01")}},
		}},
	}
	for _, d := range []string{
		"F1 F EUR 10000.00 2026-07-15", "F2 F USD 9500.00 2026-08-20", "F3 F GBP 780.00 2026-09-10",
		"G1 G USD 9500.00 2026-07-10", "H1 H USD 10000.00 2026-09-10",
	} {
		f := strings.Fields(d)
		in.Deals = append(in.Deals, fxDeal(f[0], f[1], f[2], f[3], f[4]))
	}
	return in
}

// TestFXPlanCurrency: people paid in USD on plans in EUR. Credits and
// quota are in EUR, each line is computed and rounded in EUR as for a
// person paid in EUR, then converted into USD and rounded again. Worked by
// hand (a rate is EUR per 1 USD, so EUR a is a ÷ r USD):
//
//	Fay, close_date: credits at each close date, lines at 09-30 (0.95):
//	  F1 EUR 10,000.00
//	  F2 USD 9,500.00 on 08-20: × 0.95 = EUR 9,025.00
//	  F3 GBP 780.00 on 09-10: × 0.95 ÷ 0.78 = EUR 950.00
//	  credited EUR 19,975.00; attainment 19,975 ÷ 20,000 = 99.875%
//	  bonus EUR 1,000 × 0.99875 = 998.75 → ÷ 0.95 = 1,051.3157… → USD 1,051.32
//	  commission 10% × 19,975 = EUR 1,997.50 → ÷ 0.95 = 2,102.6315… → USD 2,102.63
//	  per deal (EUR 1,000.00, 902.50, 95.00) the USD 2,102.63 shared out:
//	    210,263 cents × 1,000/1,997.5 = 105,263.08, × 902.5/1,997.5 = 94,999.93,
//	    × 95/1,997.5 = 9,999.99: floors 210,261, the 2 cents left to the largest
//	    remainders (F3 .99, F2 .93): USD 1,052.63, 950.00, 100.00
//	  total USD 3,153.95
//	Gus, period_end: everything at 09-30's 0.95: G1 USD 9,500 on 07-10 =
//	  EUR 9,025.00 (at its close date's 0.92 it would be 8,740.00); bonus EUR
//	  451.25 → USD 475.00; commission EUR 902.50 → USD 950.00; total 1,425.00
//	Hal, fixed 2026-07-01: everything at 0.92: H1 USD 10,000 on 09-10 = EUR
//	  9,200.00; bonus EUR 460.00 → USD 500.00; commission EUR 920.00 → USD
//	  1,000.00; total 1,500.00
func TestFXPlanCurrency(t *testing.T) {
	st := runByPerson(t, fxPlanInput(t, "amount_paid"))
	for _, c := range []struct {
		person, bonus, comm, total, rate, date string
	}{
		{"F", "1051.32", "2102.63", "3153.95", "0.95", "2026-09-30"},
		{"G", "475.00", "950.00", "1425.00", "0.95", "2026-09-30"},
		{"H", "500.00", "1000.00", "1500.00", "0.92", "2026-07-01"},
	} {
		s := st[c.person]
		if s.Currency != "USD" || s.PlanCurrency != "EUR" || !s.Total.Equal(dec(c.total)) {
			t.Errorf("%s: %s (plans in %s) %s, want USD (EUR) %s", c.person, s.Currency, s.PlanCurrency, s.Total.StringFixed(2), c.total)
		}
		for _, l := range s.Lines {
			want := map[string]string{LineAttainmentBonus: c.bonus, LineCommission: c.comm}[l.Kind]
			if !l.Amount.Equal(dec(want)) {
				t.Errorf("%s %s: %s, want %s\n%s", c.person, l.Kind, l.Amount.StringFixed(2), want, l.Explain)
			}
			// The rate and its date are on the line.
			if l.FX == nil || l.FX.Currency != "EUR" || l.FX.Date != c.date || !l.FX.From.Rate.Equal(dec(c.rate)) || !l.FX.To.Rate.Equal(dec("1")) ||
				!strings.Contains(l.Explain, "; paid in USD: EUR ") || !strings.Contains(l.Explain, "on "+c.date+" = "+fmtMoney(dec(want), "USD")) {
				t.Errorf("%s %s: fx %+v\n%s", c.person, l.Kind, l.FX, l.Explain)
			}
		}
	}
	paid := map[string]string{}
	for _, cr := range st["F"].Credits {
		paid[cr.DealID] = cr.Credited.StringFixed(2) + " " + cr.Paid.StringFixed(2)
	}
	if want := map[string]string{"F1": "10000.00 1052.63", "F2": "9025.00 950.00", "F3": "950.00 100.00"}; fmt.Sprint(paid) != fmt.Sprint(want) {
		t.Errorf("Fay credited (EUR) and paid (USD) per deal %v, want %v", paid, want)
	}
	if l := st["G"].Credits[0]; !l.Credited.Equal(dec("9025.00")) || l.FX.Date != "2026-09-30" {
		t.Errorf("Gus G1 credited %s on %s, want EUR 9,025.00 on 2026-09-30", l.Credited, l.FX.Date)
	}
}

// TestFXPlanCurrencyClawback: Fay's F2 (paid USD 950.00 in 2026Q3) is
// cancelled on 2026-10-15, 56 days after it closed. amount_paid takes back
// USD 950.00; original_rate recomputes EUR 9,025.00 × 10% = EUR 902.50 at
// the rate the line was paid at (÷ 0.95) = USD 950.00, not at 2026Q4's.
func TestFXPlanCurrencyClawback(t *testing.T) {
	for _, basis := range []string{"amount_paid", "original_rate"} {
		t.Run(basis, func(t *testing.T) {
			in := fxPlanInput(t, basis)
			// EUR goes to 0.80 on 2026-10-01 (2026Q3's rates unchanged).
			in.Rates.Dated = append(in.Rates.Dated[:1], DatedRate{Currency: "EUR", Rate: dec("0.95"), Start: day("2026-08-01"), Next: day("2026-10-01")},
				DatedRate{Currency: "EUR", Rate: dec("0.80"), Start: day("2026-10-01")}, in.Rates.Dated[2])
			if claw := nextQuarterClawbacks(t, in, "F", "F2", "2026-10-15"); claw != "-950.00" {
				t.Fatalf("clawbacks %s, want -950.00", claw)
			}
		})
	}
}

// TestFXPlanCurrencyValidation: what a plan in another currency than the
// pay currency needs, each refused before anything is computed.
func TestFXPlanCurrencyValidation(t *testing.T) {
	cases := []struct {
		name   string
		change func(in *RunInput)
		want   string
	}{
		{"no conversion section", func(in *RunInput) { in.Plans[0].Conversion = nil },
			"person F is paid in USD but plan eu_close@v1 is in EUR and states no currency conversion"},
		{"pay cap in the plan's currency", func(in *RunInput) { in.Plans[1].PayCap = &PayCap{PerQuarter: D("5000")} },
			"person G is paid in USD but plan eu_end@v1 is in EUR: its pay_cap and draw amounts are not converted"},
		{"two plan currencies in a quarter", func(in *RunInput) {
			usd := *in.Plans[0]
			usd.ID, usd.Currency = "us_close", "USD"
			in.Plans = append(in.Plans, &usd)
			in.Assignments.People[0].To = Day{day("2026-08-15")}
			in.Assignments.People = append(in.Assignments.People, PersonAssignment{Person: "F", Plan: "us_close", From: Day{day("2026-08-16")}})
		}, "person F is on plan eu_close@v1 in EUR and plan us_close@v1 in USD in 2026Q3: one plan currency per quarter"},
		{"no rate for the lines", func(in *RunInput) { in.People[2].Currency = "CHF" },
			"H: paid in CHF on plan eu_fixed@v1 in EUR: lines: EUR to CHF (plan eu_fixed@v1): no dated CHF rate (DatedConversionRate) in force on 2026-07-01"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := fxPlanInput(t, "amount_paid")
			c.change(&in)
			wantInvalid(t, in, c.want)
		})
	}
	for conv, want := range map[string]string{
		"{date: 2026-13-01, rates: dated}":                   `conversion.date: "2026-13-01": want close_date, period_end or a fixed day YYYY-MM-DD`,
		"{date: period_end, rates: plan, table: {USD: 1.1}}": "conversion.date: period_end: rates: plan is one fixed table on every day (leave date out)",
		"{date: 2026-07-01, rates: plan, table: {USD: 1.1}}": "conversion.date: 2026-07-01: rates: plan is one fixed table on every day",
	} {
		p, err := ParsePlan("p.yaml", []byte(fmt.Sprintf(fxEURPlanSrc, "p", "amount_paid", conv)))
		if err == nil {
			err = Validate([]*Plan{p}, knownKPIs)
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v\nwant it to contain %q", conv, err, want)
		}
	}
}

// TestFXPlanCurrencyGolden pins Fay's statement (TestFXPlanCurrency's
// hand-worked amounts) as text; -update rewrites it, then it is read by
// hand.
func TestFXPlanCurrencyGolden(t *testing.T) {
	out, err := Run(fxPlanInput(t, "amount_paid"))
	if err != nil {
		t.Fatal(err)
	}
	var txt bytes.Buffer
	if err := byPerson(t, out)["F"].WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	golden(t, "fx-plan-eur-paid-usd.txt", txt.Bytes())
}
