package comp

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/venn-revops/venn/shared/period"
)

// fxPlanSrc is a commission-only plan paying 10% of every credited amount
// (one retroactive tier, so each line is credited × 10%); currency,
// clawback basis and the conversion section are filled in.
const fxPlanSrc = `id: %s
version: 1
name: FX %s
effective_from: 2026-01-01
currency: %s
clawback_days: 90
clawback_basis: %s
%s
components:
  - id: comm
    kind: commission
    credit: own
    tier_by: amount
    mode: retroactive
    boundary: upper
    tiers: [{from: 0, rate: 0.1}]
`

// fxBonusSrc is a bookings bonus whose payout equals attainment (curve
// from 0% to 200%, slope 1), target variable 1,000.00, target 20,000.00.
const fxBonusSrc = `id: fx_bonus
version: 1
name: FX bonus
effective_from: 2026-01-01
currency: USD
target_variable: 1000
conversion: {rates: dated}
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
`

func fxPlan(t *testing.T, id, currency, basis, conversion string) *Plan {
	t.Helper()
	p, err := ParsePlan(id+".yaml", []byte(fmt.Sprintf(fxPlanSrc, id, id, currency, basis, conversion)))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// fxRates are the org's rates, corporate currency USD (units per 1 USD):
//
//	static (CurrencyType):        EUR 0.90, GBP 0.80, CHF 0.88
//	dated (DatedConversionRate):  EUR 0.92 from 2026-07-01, next 2026-08-01
//	                              EUR 0.95 from 2026-08-01, open
//	                              GBP 0.78 from 2026-07-01, open
func fxRates() Rates {
	return Rates{
		Corporate: "USD",
		Static:    []StaticRate{{Currency: "USD", Rate: dec("1")}, {Currency: "EUR", Rate: dec("0.90")}, {Currency: "GBP", Rate: dec("0.80")}, {Currency: "CHF", Rate: dec("0.88")}},
		Dated: []DatedRate{
			{Currency: "EUR", Rate: dec("0.92"), Start: day("2026-07-01"), Next: day("2026-08-01")},
			{Currency: "EUR", Rate: dec("0.95"), Start: day("2026-08-01")},
			{Currency: "GBP", Rate: dec("0.78"), Start: day("2026-07-01")},
		},
	}
}

// fxInput is 2026Q3 for five people, each on a plan that shows one rule.
// The expected amounts are worked by hand in TestFXWorkedExamples.
func fxInput(t *testing.T, basis string) RunInput {
	t.Helper()
	bonus, err := ParsePlan("fx_bonus.yaml", []byte(fxBonusSrc))
	if err != nil {
		t.Fatal(err)
	}
	plans := []*Plan{
		fxPlan(t, "fx_usd", "USD", basis, "conversion: {date: close_date, rates: dated}"),
		fxPlan(t, "fx_eur", "EUR", basis, "conversion: {rates: dated}"),
		fxPlan(t, "fx_table", "USD", basis, "conversion: {rates: plan, table: {EUR: 0.9}}"),
		fxPlan(t, "fx_fallback", "USD", basis, "conversion: {rates: dated, fallback: static}"),
		bonus,
	}
	people := []Person{
		{ID: "A", EmployeeID: "EA", Name: "Ada", Currency: "USD"},
		{ID: "B", EmployeeID: "EB", Name: "Bea", Currency: "EUR"},
		{ID: "C", EmployeeID: "EC", Name: "Cal", Currency: "USD"},
		{ID: "D", EmployeeID: "ED", Name: "Dan", Currency: "USD"},
		{ID: "E", EmployeeID: "EE", Name: "Eve", Currency: "USD"},
	}
	assign := []PersonAssignment{
		{Person: "A", Plan: "fx_usd", From: Day{day("2026-01-01")}},
		{Person: "B", Plan: "fx_eur", From: Day{day("2026-01-01")}},
		{Person: "C", Plan: "fx_table", From: Day{day("2026-01-01")}},
		{Person: "D", Plan: "fx_fallback", From: Day{day("2026-01-01")}},
		{Person: "E", Plan: "fx_bonus", From: Day{day("2026-01-01")}},
	}
	deal := fxDeal
	return RunInput{
		Quarter: period.MustParse("2026Q3"), People: people, Plans: plans, KnownKPI: knownKPIs,
		Assignments: &Assignments{File: "assignments.yaml", People: assign},
		Deals: []Deal{
			deal("D1", "A", "EUR", "9200.00", "2026-07-15"),
			deal("D2", "A", "EUR", "9500.00", "2026-08-01"),
			deal("D3", "A", "USD", "5000.00", "2026-08-10"),
			deal("D4", "B", "GBP", "1000.00", "2026-09-01"),
			deal("D5", "B", "USD", "1000.00", "2026-09-01"),
			deal("D6", "C", "EUR", "900.00", "2026-09-15"),
			deal("D7", "D", "CHF", "880.00", "2026-09-20"),
			deal("D8", "E", "EUR", "9500.00", "2026-08-20"),
		},
		// Eve's quota for the whole quarter is set in euros.
		Quotas:      []Quota{{Person: "E", Component: "bookings", Amount: D("18400"), Currency: "EUR", From: Day{day("2026-07-01")}}},
		Rates:       fxRates(),
		CodeVersion: "test",
	}
}

// storedFinal is out's statements read back from their JSON, as the
// payouts job reads final statements.
func storedFinal(t *testing.T, out *RunOutput) []Statement {
	t.Helper()
	var prev []Statement
	for _, s := range out.Statements {
		b, err := s.JSON()
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseStatement(b)
		if err != nil {
			t.Fatal(err)
		}
		prev = append(prev, *back)
	}
	return prev
}

// wantInvalid checks that ValidateRun refuses in with ValidationErrors
// containing want.
func wantInvalid(t *testing.T, in RunInput, want string) {
	t.Helper()
	err := ValidateRun(in)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v\nwant it to contain %q", err, want)
	}
	if _, ok := err.(ValidationErrors); !ok {
		t.Fatalf("%T is not ValidationErrors", err)
	}
}

// fxDeal is a won deal of owner in currency cur.
func fxDeal(id, owner, cur, amount, closed string) Deal {
	return Deal{ID: id, Name: "Deal " + id, OwnerID: owner, Currency: cur, Amount: dec(amount), CloseDate: day(closed), Won: true}
}

// nextQuarterClawbacks runs 2026Q3's in, then 2026Q4 with its statements
// final (read back from their JSON) and deal cancelled on day: person's
// clawback amounts.
func nextQuarterClawbacks(t *testing.T, in RunInput, person, deal, on string) string {
	t.Helper()
	out, err := Run(in)
	if err != nil {
		t.Fatal(err)
	}
	in.Quarter, in.Deals, in.Previous = period.MustParse("2026Q4"), nil, storedFinal(t, out)
	in.Cancellations = []Cancellation{{DealID: deal, Date: day(on)}}
	return clawbackAmounts(runByPerson(t, in)[person])
}

// clawbackAmounts are st's clawback lines' amounts, comma separated.
func clawbackAmounts(st *Statement) string {
	var claw []string
	for _, l := range st.Lines {
		if l.Kind == LineClawback {
			claw = append(claw, l.Amount.StringFixed(2))
		}
	}
	return strings.Join(claw, ",")
}

// runByPerson runs in and returns its statements by person Id.
func runByPerson(t *testing.T, in RunInput) map[string]*Statement {
	t.Helper()
	out, err := Run(in)
	if err != nil {
		t.Fatal(err)
	}
	return byPerson(t, out)
}

func byPerson(t *testing.T, out *RunOutput) map[string]*Statement {
	t.Helper()
	m := map[string]*Statement{}
	for i := range out.Statements {
		m[out.Statements[i].PersonID] = &out.Statements[i]
	}
	return m
}

// TestFXWorkedExamples checks each conversion rule against arithmetic done
// by hand (a rate r is units of the currency per 1 USD, so an amount a in
// X is a × r(pay) ÷ r(X) in the pay currency):
//
//	Ada, paid USD, dated rates, 10% of credited:
//	  D1 EUR 9,200.00 closed 2026-07-15: EUR 0.92 (2026-07-01 to 07-31) → 9,200 ÷ 0.92 = USD 10,000.00
//	  D2 EUR 9,500.00 closed 2026-08-01: NextStartDate 2026-08-01 ends the 0.92 range the day before,
//	     so EUR 0.95 applies → 9,500 ÷ 0.95 = USD 10,000.00 (at 0.92 it would be 10,326.09)
//	  D3 USD 5,000.00: no conversion
//	  commission 10% × 25,000.00 = USD 2,500.00
//	Bea, paid EUR, a GBP and a USD deal on 2026-09-01 (cross rate through USD):
//	  D4 GBP 1,000.00 × 0.95 ÷ 0.78 = EUR 1,217.948717948…
//	  D5 USD 1,000.00 × 0.95 ÷ 1    = EUR   950.00
//	  commission 10% × 2,167.948717948… = 216.794871794… → EUR 216.79
//	  (rounding the converted credit first, 1,217.95 + 950 = 2,167.95 → 216.795 → 216.80: one cent off)
//	Cal, plan table EUR 0.9 per USD: D6 EUR 900.00 ÷ 0.9 = USD 1,000.00 → 10% = USD 100.00
//	Dan, dated with fallback static: no dated CHF rate, static CHF 0.88:
//	  D7 CHF 880.00 ÷ 0.88 = USD 1,000.00 → USD 100.00
//	Eve, bonus 1,000.00 × attainment, quota EUR 18,400.00 converted day by day:
//	  31 July days at 0.92: 18,400 ÷ 0.92 = 20,000.00 a day-amount
//	  61 Aug–Sep days at 0.95: 18,400 ÷ 0.95 = 19,368.421052631…
//	  target = (31 × 20,000 + 61 × 19,368.421052631…) ÷ 92 = 8,557,000 ÷ 437 = 19,581.2356979…
//	  actual D8 EUR 9,500.00 ÷ 0.95 = USD 10,000.00
//	  attainment = 10,000 × 437 ÷ 8,557,000 = 4,370 ÷ 8,557 = 51.069…%
//	  bonus = 1,000 × 4,370 ÷ 8,557 = 510.69299… → USD 510.69
func TestFXWorkedExamples(t *testing.T) {
	st := runByPerson(t, fxInput(t, "amount_paid"))
	for _, c := range []struct {
		person, currency, total string
	}{
		{"A", "USD", "2500.00"}, {"B", "EUR", "216.79"}, {"C", "USD", "100.00"}, {"D", "USD", "100.00"}, {"E", "USD", "510.69"},
	} {
		s := st[c.person]
		if s == nil {
			t.Fatalf("%s: no statement", c.person)
		}
		if s.Currency != c.currency || !s.Total.Equal(dec(c.total)) {
			t.Errorf("%s: total %s %s, want %s %s", c.person, s.Currency, s.Total.StringFixed(2), c.currency, c.total)
		}
	}
	// The credits carry what was converted, at which rates and on which day.
	credit := func(person, deal string) DealCredit {
		for _, c := range st[person].Credits {
			if c.DealID == deal {
				return c
			}
		}
		t.Fatalf("%s has no credit for %s", person, deal)
		return DealCredit{}
	}
	for _, c := range []struct {
		person, deal, credited, fromCur, fromRate, fromRange, toRate string
		src                                                          RateSource
	}{
		{"A", "D1", "10000.00", "EUR", "0.92", "2026-07-01..2026-07-31", "1", RatesDated},
		{"A", "D2", "10000.00", "EUR", "0.95", "2026-08-01..", "1", RatesDated},
		{"B", "D4", "1217.95", "GBP", "0.78", "2026-07-01..", "0.95", RatesDated},
		{"B", "D5", "950.00", "USD", "1", "..", "0.95", ""},
		{"C", "D6", "1000.00", "EUR", "0.9", "..", "1", RatesPlan},
		{"D", "D7", "1000.00", "CHF", "0.88", "..", "1", RatesStatic},
	} {
		cr := credit(c.person, c.deal)
		x := cr.FX
		if x == nil {
			t.Errorf("%s %s: not converted", c.person, c.deal)
			continue
		}
		got := fmt.Sprintf("%s %s %s %s..%s %s %s", cr.Credited.StringFixed(2), x.Currency, x.From.Rate, x.From.From, x.From.To, x.To.Rate, x.From.Source)
		want := fmt.Sprintf("%s %s %s %s %s %s", c.credited, c.fromCur, c.fromRate, c.fromRange, c.toRate, c.src)
		if got != want {
			t.Errorf("%s %s: credit %s, want %s", c.person, c.deal, got, want)
		}
	}
	if cr := credit("A", "D3"); cr.FX != nil {
		t.Errorf("A D3 is in the pay currency but was converted: %+v", cr.FX)
	}
	if x := credit("B", "D4").FX; x.Date != "2026-09-01" || x.Base != "USD" {
		t.Errorf("B D4: date %s base %s, want 2026-09-01 USD", x.Date, x.Base)
	}
}

// TestFXClawbackAtPaidRate: a converted deal cancelled the next quarter is
// taken back at the rate it was paid at, not at the rate in force on the
// cancellation. Ada's D1 (EUR 9,200.00 at 0.92 = USD 10,000.00, paid
// 1,000.00) is cancelled on 2026-10-10, when EUR is at 0.95: today's rate
// would give 9,200 ÷ 0.95 × 10% = 968.42; the clawback is −1,000.00 under
// both bases (amount_paid: what was paid; original_rate: the recorded
// EUR 9,200.00 × 1 ÷ 0.92 × 10%). The earlier statement is read back from
// its JSON, as the payouts job reads final statements.
func TestFXClawbackAtPaidRate(t *testing.T) {
	for _, basis := range []string{"amount_paid", "original_rate"} {
		t.Run(basis, func(t *testing.T) {
			if claw := nextQuarterClawbacks(t, fxInput(t, basis), "A", "D1", "2026-10-10"); claw != "-1000.00" {
				t.Fatalf("clawbacks %s, want one of -1000.00", claw)
			}
		})
	}
}

// TestFXValidation: every problem with rates, conversion rules or a
// currency is a validation error that names the currency and the day,
// reported by ValidateRun before anything is computed.
func TestFXValidation(t *testing.T) {
	cases := []struct {
		name   string
		change func(in *RunInput)
		want   string
	}{
		{"missing dated rate, no fallback", func(in *RunInput) {
			in.Deals = append(in.Deals, Deal{ID: "X1", OwnerID: "A", Currency: "CHF", Amount: dec("100"), CloseDate: day("2026-09-20"), Won: true})
		}, "X1: credit to A: CHF to USD (plan fx_usd@v1): no dated CHF rate (DatedConversionRate) in force on 2026-09-20, and the plan states no fallback to static rates"},
		{"missing rate with fallback", func(in *RunInput) {
			in.Deals = append(in.Deals, Deal{ID: "X2", OwnerID: "D", Currency: "JPY", Amount: dec("100"), CloseDate: day("2026-09-20"), Won: true})
		}, "X2: credit to D: JPY to USD (plan fx_fallback@v1): no JPY rate on 2026-09-20: JPY has no dated rate in force and no static rate (CurrencyType)"},
		{"dated rates start too late", func(in *RunInput) {
			in.Rates.Dated[0].Start = day("2026-07-20")
		}, "D1: credit to A: EUR to USD (plan fx_usd@v1): no dated EUR rate (DatedConversionRate) in force on 2026-07-15"},
		{"currency missing from the plan table", func(in *RunInput) {
			in.Deals = append(in.Deals, Deal{ID: "X3", OwnerID: "C", Currency: "GBP", Amount: dec("100"), CloseDate: day("2026-09-02"), Won: true})
		}, "X3: credit to C: GBP to USD on 2026-09-02: plan fx_table@v1's conversion table has no GBP rate"},
		{"plan without a conversion section", func(in *RunInput) {
			in.Plans[0].Conversion = nil
		}, "D1: credit to A: EUR to USD on 2026-07-15: plan fx_usd@v1 states no currency conversion"},
		{"single-currency org", func(in *RunInput) { in.Rates = Rates{} }, "EUR to USD on 2026-07-15: the org has no exchange rates"},
		{"quota in a currency without rates", func(in *RunInput) { in.Quotas[0].Currency = "SEK" }, "quotas[0] E/bookings/2026-07-01: quota of E, on a plan in USD: SEK to USD (plan fx_bonus@v1): no dated SEK rate (DatedConversionRate) in force on 2026-07-01"},
		{"unknown currency", func(in *RunInput) {
			in.Rates.Static = append(in.Rates.Static, StaticRate{Currency: "EUX", Rate: dec("1.1")})
		}, `static[4] EUX: "EUX" is not an ISO 4217 currency code`},
		{"rate zero", func(in *RunInput) { in.Rates.Static[1].Rate = dec("0") }, "static[1] EUR: EUR rate 0 must be above 0"},
		{"rate negative", func(in *RunInput) { in.Rates.Dated[2].Rate = dec("-0.78") }, "dated[2] GBP: GBP rate -0.78 must be above 0"},
		{"overlapping dated ranges", func(in *RunInput) {
			in.Rates.Dated = append(in.Rates.Dated, DatedRate{Currency: "EUR", Rate: dec("0.93"), Start: day("2026-07-20"), Next: day("2026-08-10")})
		}, "dated[3] EUR: EUR rate from 2026-07-20 overlaps the one from 2026-07-01 (in force until 2026-08-01): two rates on 2026-07-20"},
		{"open range followed by another", func(in *RunInput) {
			in.Rates.Dated = append(in.Rates.Dated, DatedRate{Currency: "GBP", Rate: dec("0.79"), Start: day("2026-10-01")})
		}, "dated[3] GBP: GBP rate from 2026-10-01 overlaps the one from 2026-07-01 (in force until (open))"},
		{"range ending before it starts", func(in *RunInput) {
			in.Rates.Dated[0].Next = day("2026-06-01")
		}, "dated[0] EUR: next start date 2026-06-01 is not after the start date 2026-07-01"},
		{"corporate rate not 1", func(in *RunInput) { in.Rates.Static[0].Rate = dec("1.01") }, "static[0] USD: USD is the corporate currency: its rate is 1, not 1.01"},
		{"no corporate currency", func(in *RunInput) { in.Rates.Corporate = "" }, "rates: corporate: no corporate currency"},
		{"two static rates", func(in *RunInput) {
			in.Rates.Static = append(in.Rates.Static, StaticRate{Currency: "EUR", Rate: dec("0.91")})
		}, "static[4] EUR: EUR has two static rates"},
		{"quota currency not ISO", func(in *RunInput) { in.Quotas[0].Currency = "EURO" }, "quota of E, on a plan in USD: EURO to USD"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := fxInput(t, "amount_paid")
			c.change(&in)
			wantInvalid(t, in, c.want)
		})
	}
}

// TestFXPlanValidation: a plan's conversion section is checked with the
// plan, every problem named by its key.
func TestFXPlanValidation(t *testing.T) {
	cases := []struct{ conversion, want string }{
		{"conversion: {rates: weekly}", `conversion.rates: "weekly": want dated, static or plan`},
		{"conversion: {rates: dated, date: quarter_end}", `conversion.date: "quarter_end": want close_date`},
		{"conversion: {rates: plan}", "conversion.table: required with rates: plan (units of each currency per 1 USD)"},
		{"conversion: {rates: plan, table: {EUR: 0}}", "conversion.table.EUR: rate 0 must be above 0"},
		{"conversion: {rates: plan, table: {EUX: 1.1}}", `conversion.table.EUX: "EUX" is not an ISO 4217 currency code`},
		{"conversion: {rates: plan, table: {USD: 2}}", "conversion.table.USD: the plan's own currency has rate 1, not 2"},
		{"conversion: {rates: plan, table: {EUR: 0.9}, fallback: static}", "conversion.fallback: only used with rates: dated"},
		{"conversion: {rates: dated, fallback: plan}", `conversion.fallback: "plan": want static`},
		{"conversion: {rates: static, table: {EUR: 0.9}}", "conversion.table: only used with rates: plan"},
		{"conversion: {rates: dated, weekly: true}", "weekly"},
	}
	for _, c := range cases {
		t.Run(c.conversion, func(t *testing.T) {
			p, err := ParsePlan("p.yaml", []byte(fmt.Sprintf(fxPlanSrc, "p", "p", "USD", "amount_paid", c.conversion)))
			if err == nil {
				err = Validate([]*Plan{p}, knownKPIs)
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v\nwant it to contain %q", err, c.want)
			}
		})
	}
}

// TestFXGolden pins the statements of Ada (dated rates across a rate
// change), Bea (a cross rate, paid in EUR) and Eve (a quota in euros) as
// JSON and text. The amounts in them are the hand-worked ones of
// TestFXWorkedExamples; -update rewrites the files, which are then read
// by hand.
func TestFXGolden(t *testing.T) {
	st := runByPerson(t, fxInput(t, "amount_paid"))
	for _, id := range []string{"A", "B", "E"} {
		js, err := st[id].JSON()
		if err != nil {
			t.Fatal(err)
		}
		var txt bytes.Buffer
		if err := st[id].WriteText(&txt); err != nil {
			t.Fatal(err)
		}
		for ext, got := range map[string][]byte{".json": js, ".txt": txt.Bytes()} {
			path := filepath.Join("testdata", "golden", "fx-2026Q3-"+id+ext)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the golden file (rerun with -update and read the diff)", path)
			}
		}
	}
}

// TestFXFactorExact: the factor is the exact fraction of the two decimal
// rates, never a rounded quotient: 1 ÷ 0.3 × 0.3 is exactly 1.
func TestFXFactorExact(t *testing.T) {
	x := &FX{Amount: Money{decimal.NewFromInt(3)}, From: RateUsed{Rate: dec("0.3")}, To: RateUsed{Rate: dec("1")}}
	if got := mul(x.value(), rat(dec("0.3"))); got.Cmp(ratInt(3)) != 0 {
		t.Fatalf("3 ÷ 0.3 × 0.3 = %s, want exactly 3", got.RatString())
	}
}

// An org-scope bookings bonus lists every deal of the org; a converted
// one's item note is its conversion alone (it has no share to put before
// it), by hand: EUR 9,200.00 ÷ 0.92 = USD 10,000.00.
func TestFXOrgScopeItemNote(t *testing.T) {
	in := fxInput(t, "amount_paid")
	// Fallback static: the org's CHF deal D7 has only a static rate.
	org, err := ParsePlan("fx_org.yaml", []byte(strings.NewReplacer("id: fx_bonus", "id: fx_org", "scope: individual", "scope: org",
		"conversion: {rates: dated}", "conversion: {rates: dated, fallback: static}").Replace(fxBonusSrc)))
	if err != nil {
		t.Fatal(err)
	}
	in.Plans = append(in.Plans, org)
	in.People = append(in.People, Person{ID: "F", EmployeeID: "EF", Name: "Fay", Currency: "USD"})
	in.Assignments.People = append(in.Assignments.People, PersonAssignment{Person: "F", Plan: "fx_org", From: Day{day("2026-01-01")}})
	st := runByPerson(t, in)["F"]
	if st == nil || len(st.Lines) == 0 {
		t.Fatal("no statement line for F")
	}
	want := "EUR 9,200.00 × 1 ÷ 0.92 (EUR 0.92 per USD, dated rate from 2026-07-01 to 2026-07-31) on 2026-07-15"
	for _, it := range st.Lines[0].Items {
		if it.Ref == "D1" {
			if it.Note != want || it.Value.StringFixed(2) != "10000.00" {
				t.Errorf("D1 item: note %q value %s, want %q 10000.00", it.Note, it.Value, want)
			}
			return
		}
	}
	t.Errorf("no item for D1 on %+v", st.Lines[0])
}
