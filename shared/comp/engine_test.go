package comp

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/venn-revops/venn/shared/period"
	"gopkg.in/yaml.v3"
)

// commissionPlan is a one-component commission plan: quota 100,000 with
// tiers 0–100% at 10%, 100–150% at 15%, 150%+ at 20%.
func commissionPlan(t *testing.T, mode, boundary, extra string) *Plan {
	t.Helper()
	p, err := ParsePlan("wx.yaml", []byte(commissionPlanSrc(mode, boundary, extra)))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// commissionPlanSrc is commissionPlan's file.
func commissionPlanSrc(mode, boundary, extra string) string {
	return fmt.Sprintf(`id: wx
version: 1
name: Worked example
effective_from: 2026-01-01
currency: USD
target_variable: 1000
clawback_days: 90
clawback_basis: amount_paid
components:
  - id: comm
    kind: commission
    credit: own
    tier_by: attainment
    quota: 100000
    mode: %s
    boundary: %s
    tiers:
      - {from: 0, to: 1.0, rate: 0.10}
      - {from: 1.0, to: 1.5, rate: 0.15}
      - {from: 1.5, rate: 0.20}
%s`, mode, boundary, extra)
}

// runOne computes P1's 2026Q3 statement on plan p with the given deals.
func runOne(t *testing.T, p *Plan, amounts ...string) *Statement {
	t.Helper()
	var deals []Deal
	for i, a := range amounts {
		deals = append(deals, Deal{ID: fmt.Sprintf("D%d", i+1), Name: "deal", OwnerID: "P1", Amount: dec(a), Currency: "USD",
			CloseDate: day("2026-08-01"), Won: true})
	}
	out, err := Run(RunInput{
		Quarter: period.MustParse("2026Q3"), Plans: []*Plan{p}, KnownKPI: knownKPIs, Metrics: MetricTable{},
		People:      []Person{{ID: "P1", EmployeeID: "E1", Name: "Pat", Currency: "USD"}},
		Assignments: &Assignments{File: "a.yaml", People: []PersonAssignment{{Person: "P1", Plan: p.ID, From: Day{day("2026-01-01")}}}},
		Deals:       deals, CodeVersion: "t",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Statements) != 1 {
		t.Fatalf("want 1 statement, got %d", len(out.Statements))
	}
	return &out.Statements[0]
}

func amounts(st *Statement) []string {
	var out []string
	for _, l := range st.Lines {
		out = append(out, l.Amount.StringFixed(2))
	}
	return out
}

// TestCommissionWorkedExamples runs testdata/worked/commission.yaml: cases
// a finance person can redo with a calculator, each with its arithmetic.
func TestCommissionWorkedExamples(t *testing.T) {
	b, err := os.ReadFile("testdata/worked/commission.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []struct {
			Name, Why, Mode, Boundary string
			CapAmount                 string   `yaml:"cap_amount"`
			Deals                     []string `yaml:"deals"`
			Lines                     []string `yaml:"lines"`
			Total                     string   `yaml:"total"`
			Paid                      []string `yaml:"paid"`
		} `yaml:"cases"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil {
		t.Fatal(err)
	}
	if len(file.Cases) < 9 {
		t.Fatalf("only %d cases read", len(file.Cases))
	}
	for _, tt := range file.Cases {
		t.Run(tt.Name, func(t *testing.T) {
			extra := ""
			if tt.CapAmount != "" {
				extra = "    cap_amount: " + tt.CapAmount + "\n"
			}
			st := runOne(t, commissionPlan(t, tt.Mode, tt.Boundary, extra), tt.Deals...)
			if got := amounts(st); strings.Join(got, " ") != strings.Join(tt.Lines, " ") {
				t.Errorf("lines %v, want %v (%s)", got, tt.Lines, tt.Why)
			}
			if st.Total.StringFixed(2) != tt.Total {
				t.Errorf("total %s, want %s", st.Total.StringFixed(2), tt.Total)
			}
			if tt.Paid != nil {
				var paid []string
				for _, c := range st.Credits {
					paid = append(paid, c.Paid.StringFixed(2))
				}
				if strings.Join(paid, " ") != strings.Join(tt.Paid, " ") {
					t.Errorf("paid per deal %v, want %v", paid, tt.Paid)
				}
			}
		})
	}
}

// The total is the sum of the rounded lines, not the rounded sum: two
// marginal parts of 5,000.005 each give 5,000.01 + 5,000.01 = 10,000.02,
// where rounding the exact 10,000.01 once would give 10,000.01.
func TestTotalIsSumOfRoundedLines(t *testing.T) {
	src := `id: hc
version: 1
name: Half cents
effective_from: 2026-01-01
currency: USD
target_variable: 1
clawback_days: 0
components:
  - id: comm
    kind: commission
    credit: own
    tier_by: amount
    mode: marginal
    boundary: upper
    tiers:
      - {from: 0, to: 50000.05, rate: 0.1}
      - {from: 50000.05, rate: 0.1}
`
	p, err := ParsePlan("hc.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	st := runOne(t, p, "100000.10")
	if got := strings.Join(amounts(st), " "); got != "5000.01 5000.01" || st.Total.StringFixed(2) != "10000.02" {
		t.Fatalf("lines %s total %s", got, st.Total.StringFixed(2))
	}
}

// TestDemoWorkedExamples checks the demo quarter (demoInput) against
// amounts worked by hand; the arithmetic is in each row. 2026Q3 has 92 days.
func TestDemoWorkedExamples(t *testing.T) {
	out, err := Run(demoInput(t))
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*Statement{}
	for i := range out.Statements {
		byID[out.Statements[i].PersonID] = &out.Statements[i]
	}
	line := func(person, key string) *Line {
		for i, l := range byID[person].Lines {
			if strings.HasSuffix(l.Key, key) {
				return &byID[person].Lines[i]
			}
		}
		t.Fatalf("%s has no line %s", person, key)
		return nil
	}
	// Marketing ops and the integration user are never paid.
	for _, id := range []string{emma, integration} {
		if byID[id] != nil {
			t.Errorf("%s got a statement", id)
		}
	}
	for _, c := range []struct {
		person, key, actual, amount, why string
	}{
		{alex, "bookings_bonus", "345000", "13000.00", "new business 200,000 + expansion 145,000 (the 50,000 renewal is not counted) ÷ 300,000 = 115%; 100% + 15% × 2 = 130%; 10,000 × 1.30"},
		{alex, "new_business_commission/tier1", "345000", "15000.00", "300,000 × 5%"},
		{alex, "new_business_commission/tier2", "345000", "3600.00", "45,000 × 8%"},
		{alex, "renewal_commission", "50000", "1000.00", "renewal 50,000 × 2%, outside quota"},
		{priya, "bookings_bonus", "150000", "2500.00", "split 60,000.01 + 89,999.99 = 150,000 = 50%, exactly on the first point: 25% × 10,000"},
		{priya, "new_business_commission/tier1", "150000", "7500.00", "150,000 × 5%"},
		{priya, "clawback/2026Q2/006Z01/owner/new_business_commission", "", "-2500.00", "paid 2,500 in 2026Q2, cancelled 42 days after close"},
		{tom, "bookings_bonus", "130000", "0.00", "split 40,000 + 90,000 = 130,000 ÷ 300,000 = 43.33%, below the 50% threshold"},
		{tom, "new_business_commission/tier1", "130000", "6500.00", "130,000 × 5%"},
		{hana, "bookings_bonus", "120000", "3554.35", "joined 08-17, 45 days: target 300,000 × 45/92 = 146,739.13; 81.78% → 25% + 31.78% × 1.5 = 72.67%; 10,000 × 0.7267 × 45/92"},
		{hana, "new_business_commission/tier1", "120000", "6000.00", "120,000 × 5% (quota 146,739.13, still tier 1)"},
		{hana, "holdback/2026Q3/bonus", "", "-355.44", "ramp plan: 10% of the bonus 3,554.35 = 355.435, half up, held back to 2026Q4"},
		{hana, "holdback/2026Q3/commission", "", "-600.00", "10% of the commission 6,000"},
		{hana, "draw/advance", "", "1183.70", "draw 20,000 × 45/92 = 9,782.61; payable 9,554.35 − 955.44 = 8,598.91; 9,782.61 − 8,598.91 advanced (the balance)"},
		{diego, "bookings_bonus", "210000", "4545.45", "quota 300,000 for 46 days then 360,000 for 46: target (46 × 300,000 + 46 × 360,000) ÷ 92 = 330,000; 63.64% → 25% + 13.64% × 1.5 = 45.45%; 10,000 × 0.454545…"},
		{diego, "new_business_commission/tier1", "210000", "10500.00", "210,000 × 5% (quota 330,000)"},
		{lena, "bookings_bonus", "310000", "10666.67", "103.33% → 100% + 3.33% × 2 = 106.67%"},
		{lena, "new_business_commission/tier2", "310000", "800.00", "10,000 × 8%"},
		{lena, "ADJ-2026Q3-001", "", "500.00", "manual"},
		{jordan, "sdr@v1/2026-07-01/sqls_bonus", "14", "2520.00", "SDR 62 days: 14 SQLs ÷ (30 × 62/92) = 69.25%, on the slope-1 segment through (50%, 50%); 9,000 × 0.6 × 0.6925 × 62/92 = 5,400 × 14/30"},
		{jordan, "sdr@v1/2026-07-01/meetings_bonus", "30", "1800.00", "30 meetings ÷ (60 × 62/92); 3,600 × 30/60 (the 11 held as an AE do not count)"},
		{jordan, "ae@v1/2026-09-01/bookings_bonus", "40000", "0.00", "AE 30 days: 40,000 ÷ (300,000 × 30/92 = 97,826.09) = 40.89%, below threshold"},
		{jordan, "ae@v1/2026-09-01/new_business_commission/tier1", "40000", "2000.00", "40,000 × 5%"},
		{chris, "sqls_bonus", "16", "2880.00", "left after 09-15, 77 days: the 2 SQLs after leaving do not count; 16 ÷ (30 × 77/92) = 63.72%; 5,400 × 16/30"},
		{chris, "meetings_bonus", "28", "1680.00", "28 ÷ (60 × 77/92); 3,600 × 28/60"},
		{nina, "sqls_bonus", "33", "6210.00", "33 ÷ 30 = 110% → 100% + 10% × 1.5 = 115%; 9,000 × 0.6 × 1.15"},
		{nina, "meetings_bonus", "66", "3960.00", "66 ÷ 60 = 110%; 9,000 × 0.4 × 1.10"},
		{nina, "ADJ-2026Q3-002", "", "-120.50", "manual, negative"},
		// analytics_spif: USD 40 per ANL-SUB unit of new business or
		// expansion closed 2026-08-01..10-31, the rep's credited share.
		{alex, "analytics_spif", "20", "800.00", "006A01 closed 07-20, before the SPIF; 006A02 (expansion, 09-30) 20 units × 40; the 006A11 renewal is not in it"},
		{priya, "analytics_spif", "9", "360.00", "006A03 15 units × 60% = 9 × 40"},
		{tom, "analytics_spif", "6", "240.00", "006A03 15 units × 40% = 6 × 40"},
		{jordan, "ae@v1/2026-09-01/analytics_spif", "3", "120.00", "AE from 09-01: 006A06 3 units × 40"},
		{lena, "analytics_spif", "0", "0.00", "006A07 sold no ANL-SUB"},
		{diego, "analytics_spif", "0", "0.00", "006A08 closed 07-15, before the SPIF"},
		{maria, "team_bookings", "665000", "6387.50", "reports' new business on each close date: Alex 345,000 + Priya 150,000 + Tom 130,000 + Jordan 40,000 = 665,000 ÷ 900,000 = 73.89% → 40% + 13.89% × 1.5 = 60.83%; 15,000 × 0.7 × 0.608333…"},
		{maria, "org_bookings_shared", "1305000", "2936.25", "1,305,000 ÷ 2,000,000 = 65.25%; 15,000 × 0.3 × 0.6525"},
		{maria, "team_override", "715000", "7150.00", "665,000 + Alex's 50,000 renewal = 715,000, at the 1% tier"},
		{sam, "team_bookings", "640000", "5950.00", "Lena 310,000 + Diego 210,000 + Hana 120,000 = 640,000 → 71.11% → 56.67%; 15,000 × 0.7 × 0.566667"},
		{sam, "team_override", "640000", "6400.00", "640,000 × 1%"},
		{olivia, "sourced_pipeline", "1650000", "5280.00", "quarter KPI 1,650,000 ÷ 1,500,000 = 110%; 12,000 × 0.4 × 1.10"},
		{olivia, "influenced_bookings", "610000.5", "2745.00", "610,000.50 ÷ 800,000 = 76.25006%; 12,000 × 0.3 × 0.7625006 = 2,745.002"},
		{olivia, "org_bookings_shared", "1305000", "2349.00", "the same org number as the sales managers; 12,000 × 0.3 × 0.6525"},
	} {
		l := line(c.person, c.key)
		if l.Amount.StringFixed(2) != c.amount || (c.actual != "" && l.Actual.String() != c.actual) {
			t.Errorf("%s %s: actual %s amount %s, want %s %s (%s)", c.person, c.key, l.Actual, l.Amount.StringFixed(2), c.actual, c.amount, c.why)
		}
	}
	// Marginal per-deal paid (close order): Alex's 006A01 closed first, all
	// 200,000 in tier 1 = 10,000.00; 006A02 added 100,000 × 5% + 45,000 × 8%
	// = 8,600.00 (pro rata would have said 10,782.61 and 7,817.39), and the
	// analytics SPIF 800.00 on top: 9,400.00.
	paid := func(person, deal string) string {
		for _, c := range byID[person].Credits {
			if c.DealID == deal && c.Role != RoleTeam {
				return c.Paid.StringFixed(2)
			}
		}
		return "none"
	}
	if paid(alex, "006A01") != "10000.00" || paid(alex, "006A02") != "9400.00" || paid(alex, "006A11") != "1000.00" {
		t.Errorf("Alex paid per deal: %s %s %s", paid(alex, "006A01"), paid(alex, "006A02"), paid(alex, "006A11"))
	}
	// Split deal 100,000.01 at 60/40: 60,000.01 to Priya, 40,000.00 to Tom.
	credit := func(person, deal string) string {
		for _, c := range byID[person].Credits {
			if c.DealID == deal && c.Role != RoleTeam {
				return c.Credited.StringFixed(2)
			}
		}
		return "none"
	}
	if credit(priya, "006A03") != "60000.01" || credit(tom, "006A03") != "40000.00" {
		t.Errorf("split credits %s / %s", credit(priya, "006A03"), credit(tom, "006A03"))
	}
	// Cancelled in the quarter it closed: Diego is not credited for 006A09.
	if credit(diego, "006A09") != "none" {
		t.Error("cancelled deal credited")
	}
	if l := line(lena, "ADJ-2026Q3-001"); l.Author != "finance.ops@example.com" || l.Reason == "" {
		t.Errorf("adjustment %+v", l)
	}
	if l := line(olivia, "influenced_bookings"); l.Model != "w_shaped" {
		t.Errorf("influenced %+v", l)
	}
	// The bonus actual is itemised: Jordan's SQL items are the 14 of his SDR
	// days; Maria's team items name the report each deal came through.
	if l := line(jordan, "sqls_bonus"); len(l.Items) != 14 || l.Items[13].Date > "2026-08-31" {
		t.Errorf("Jordan SQL items %d, last %+v", len(l.Items), l.Items[len(l.Items)-1])
	}
	if l := line(maria, "team_bookings"); len(l.Items) != 7 || l.Items[0].Via != tom || l.Items[0].Ref != "006A04" || l.Items[2].Ref != "006A03" {
		t.Errorf("Maria team items %+v", l.Items)
	}
	// Promotion: Jordan has an SDR span of 62 days and an AE span of 30.
	if st := byID[jordan]; len(st.Plans) != 2 || st.Plans[0].Days != 62 || st.Plans[1].Days != 30 || st.Plans[0].Plan != "sdr@v1" {
		t.Errorf("Jordan spans %+v", st.Plans)
	}
	// Totals are the sums of the rounded lines.
	for _, st := range out.Statements {
		sum := dec("0")
		for _, l := range st.Lines {
			sum = sum.Add(l.Amount.Decimal)
		}
		if !sum.Equal(st.Total.Decimal) {
			t.Errorf("%s total %s != sum of lines %s", st.ID, st.Total, sum)
		}
	}
}

func TestRollupRespectsTeamDates(t *testing.T) {
	in := demoInput(t)
	// Chris (Sam's SDR) leaves 2026-09-15: his deal of 09-10 rolls up to
	// Sam, the one of 09-20 does not. Lena moves to Maria on 2026-09-01.
	in.Deals = append(in.Deals,
		Deal{ID: "006C01", Name: "before leaving", OwnerID: chris, Amount: dec("1000"), Currency: "USD", CloseDate: day("2026-09-10"), Won: true},
		Deal{ID: "006C02", Name: "after leaving", OwnerID: chris, Amount: dec("2000"), Currency: "USD", CloseDate: day("2026-09-20"), Won: true},
		Deal{ID: "006C03", Name: "Lena late", OwnerID: lena, Amount: dec("3000"), Currency: "USD", CloseDate: day("2026-09-05"), Won: true})
	for i := range in.People {
		if in.People[i].ID == lena {
			in.People[i].Managers = []ManagerSpan{{ManagerID: sam, From: day("2023-08-21"), To: day("2026-08-31")}, {ManagerID: maria, From: day("2026-09-01")}}
		}
	}
	out, err := Run(in)
	if err != nil {
		t.Fatal(err)
	}
	team := func(person string) map[string]bool {
		got := map[string]bool{}
		for _, st := range out.Statements {
			if st.PersonID == person {
				for _, c := range st.Credits {
					if c.Role == "team" {
						got[c.DealID] = true
					}
				}
			}
		}
		return got
	}
	sam, maria := team(sam), team(maria)
	if !sam["006C01"] || sam["006C02"] || sam["006C03"] || !sam["006A07"] || !maria["006C03"] {
		t.Errorf("sam %v maria %v", sam, maria)
	}
}

func TestClawbackWindowEdges(t *testing.T) {
	in := demoInput(t)
	paid := func(deal, closed, amt string) DealCredit {
		return DealCredit{DealID: deal, DealName: deal, CloseDate: closed, Role: "owner", Percent: dec("100"), Credited: Money{dec("10000")},
			Plan: "ae@v1", Component: "new_business_commission", Paid: Money{dec(amt)}, Clawback: 90}
	}
	in.Previous = []Statement{{ID: "2026Q2/" + alex, Quarter: "2026Q2", PersonID: alex, Credits: []DealCredit{
		paid("D90", "2026-06-20", "100.00"),  // cancelled 2026-09-18: 90 days, inside the window
		paid("D91", "2026-06-19", "50.00"),   // cancelled 2026-09-18: 91 days, outside
		paid("DLATE", "2026-06-20", "70.00"), // cancelled 2026-10-02: next quarter's business
	}}}
	in.Cancellations = []Cancellation{{"D90", day("2026-09-18")}, {"D91", day("2026-09-18")}, {"DLATE", day("2026-10-02")}}
	out, err := Run(in)
	if err != nil {
		t.Fatal(err)
	}
	var claws []string
	for _, st := range out.Statements {
		for _, l := range st.Lines {
			if l.Kind == LineClawback {
				claws = append(claws, st.PersonID+" "+l.Ref+" "+l.Amount.StringFixed(2))
			}
		}
	}
	if strings.Join(claws, ",") != alex+" D90 -100.00" {
		t.Fatalf("clawbacks %v", claws)
	}
}

func TestCorrectionPaidNextQuarter(t *testing.T) {
	in := demoInput(t)
	q3, err := Run(in)
	if err != nil {
		t.Fatal(err)
	}
	final := q3.Statements[1] // Alex
	// A deal restated after final: Alex's 006A02 145,000 → 130,000, so his
	// new business is 330,000.
	for i := range in.Deals {
		if in.Deals[i].ID == "006A02" {
			in.Deals[i].Amount = dec("130000")
		}
	}
	again, err := Run(in)
	if err != nil {
		t.Fatal(err)
	}
	corr, err := Reconcile(&final, &again.Statements[1], nil, period.MustParse("2026Q4"))
	if err != nil || corr == nil {
		t.Fatalf("reconcile: %v %v", corr, err)
	}
	// Bonus: 115% → 110% attainment, payout 130% → 120%: 13,000 → 12,000;
	// commission tier 2: 45,000 × 8% = 3,600 → 30,000 × 8% = 2,400.
	if corr.Delta.StringFixed(2) != "-2200.00" || len(corr.Diff) != 2 || corr.ToQuarter != "2026Q4" {
		t.Fatalf("correction %+v", corr)
	}
	var diff bytes.Buffer
	if err := corr.WriteText(&diff); err != nil {
		t.Fatal(err)
	}
	golden(t, "correction-2026Q3-alex.txt", diff.Bytes())
	q4 := RunInput{Quarter: period.MustParse("2026Q4"), People: in.People, Plans: in.Plans, Assignments: in.Assignments,
		Metrics: MetricTable{}, KnownKPI: knownKPIs, Corrections: []Correction{*corr}, Products: in.Products, CodeVersion: "t",
		Previous: q3.Statements} // final: the SPIF running count carries from them
	// Q4 needs KPI values for everyone on a bonus plan; give them zeros.
	for _, st := range q3.Statements {
		for _, l := range st.Lines {
			if l.Kind == LineAttainmentBonus {
				q4.Metrics.(MetricTable)[MetricKey{l.Metric, l.Scope, l.ScopeKey, l.Model}] = dec("0")
			}
		}
	}
	out, err := Run(q4)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range out.Statements {
		if st.PersonID == alex {
			bonus := st.Lines[len(st.Lines)-2]
			if bonus.Kind != LinePriorPeriod || bonus.Amount.StringFixed(2) != "-1000.00" || !strings.Contains(bonus.Explain, "paid USD 13,000.00, recomputed USD 12,000.00") {
				t.Fatalf("Q4 correction line %+v", bonus)
			}
			return
		}
	}
	t.Fatal("no Q4 statement for Alex")
}

func TestExportCSVAndParquet(t *testing.T) {
	st := runOne(t, commissionPlan(t, ModeMarginal, BoundaryUpper, ""), "160000")
	st.Name = "=HYPERLINK(\"http://x\")"
	st.CostCenter = "+CC"
	st.Lines = append(st.Lines, Line{Key: "clawback/x", Kind: LineClawback, Amount: Money{dec("-2500")}})
	st.Total = Money{st.Total.Sub(dec("2500"))}
	recs := []ExportRecord{{Statement: st, Status: StatusFinal, Version: 3}}
	var csvOut bytes.Buffer
	if err := WriteCSV(&csvOut, recs); err != nil {
		t.Fatal(err)
	}
	want := "employee_id,name,period,period_start,attainment_bonus,commission,clawback,adjustment,amount,currency,cost_center,statement_id,statement_version,status\r\n" +
		"E1,\"'=HYPERLINK(\"\"http://x\"\")\",2026Q3,2026-07-01,0.00,19500.00,-2500.00,0.00,17000.00,USD,'+CC,2026Q3/P1,3,final\r\n"
	if csvOut.String() != want {
		t.Errorf("csv:\n%q\nwant\n%q", csvOut.String(), want)
	}
	var p1, p2 bytes.Buffer
	if err := WriteParquet(&p1, recs); err != nil {
		t.Fatal(err)
	}
	if err := WriteParquet(&p2, recs); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(p1.Bytes(), p2.Bytes()) {
		t.Error("parquet export is not byte-identical on rerun")
	}
	rows, err := parquet.Read[ExportRow](bytes.NewReader(p1.Bytes()), int64(p1.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Amount != 1700000 || rows[0].Clawback != -250000 || rows[0].PeriodStart != 20635 || rows[0].StatementVersion != 3 {
		t.Errorf("parquet rows %+v", rows)
	}
	schema := parquet.SchemaOf(ExportRow{}).String()
	for _, want := range []string{"DECIMAL(18,2)", "DATE"} {
		if !strings.Contains(strings.ToUpper(schema), want) {
			t.Errorf("schema lacks %s:\n%s", want, schema)
		}
	}
	if err := WriteCSV(&bytes.Buffer{}, []ExportRecord{{Statement: st, Status: StatusDraft}}); err == nil {
		t.Error("draft exported")
	}
}

// Exactness: 60.03 × weight 0.5 × payout ⅓ is exactly 10.005, which rounds
// half away from zero to 10.01. Carrying ⅓ as 0.333333333333 would give
// 10.004999… and pay 10.00.
func TestBonusRoundsTheExactValue(t *testing.T) {
	src := `id: third
version: 1
name: One third
effective_from: 2026-01-01
currency: USD
target_variable: 60.03
components:
  - id: a
    kind: attainment_bonus
    weight: 0.5
    metric: {kpi: leads, scope: org}
    target: 3
    curve: {threshold: 0, cap: 1, points: [{attainment: 0, payout: 0}, {attainment: 1, payout: 1}]}
  - id: b
    kind: attainment_bonus
    weight: 0.5
    metric: {kpi: leads, scope: org}
    target: 3
    curve: {threshold: 0, cap: 1, points: [{attainment: 0, payout: 0}, {attainment: 1, payout: 1}]}
`
	p, err := ParsePlan("third.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	out, err := Run(RunInput{
		Quarter: period.MustParse("2026Q3"), Plans: []*Plan{p}, KnownKPI: knownKPIs,
		Metrics:     MetricTable{{"leads", "org", "all", ""}: dec("1")},
		People:      []Person{{ID: "P1", EmployeeID: "E1", Name: "Pat", Currency: "USD"}},
		Assignments: &Assignments{People: []PersonAssignment{{Person: "P1", Plan: "third", From: Day{day("2026-01-01")}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	st := out.Statements[0]
	if got := strings.Join(amounts(&st), " "); got != "10.01 10.01" || st.Total.StringFixed(2) != "20.02" {
		t.Fatalf("lines %s total %s", got, st.Total.StringFixed(2))
	}
}

// A commission limited to deal types pays only those deals; the others are
// listed on the statement as credited but unpaid, with the reason.
func TestCommissionDealTypes(t *testing.T) {
	p := commissionPlan(t, ModeRetroactive, BoundaryUpper, "    deal_types: [new_business]\n")
	out, err := Run(RunInput{
		Quarter: period.MustParse("2026Q3"), Plans: []*Plan{p}, KnownKPI: knownKPIs, Metrics: MetricTable{},
		People:      []Person{{ID: "P1", EmployeeID: "E1", Name: "Pat", Currency: "USD"}},
		Assignments: &Assignments{People: []PersonAssignment{{Person: "P1", Plan: p.ID, From: Day{day("2026-01-01")}}}},
		Deals: []Deal{
			{ID: "N1", OwnerID: "P1", Amount: dec("50000"), Currency: "USD", CloseDate: day("2026-08-01"), Won: true, Type: "new_business"},
			{ID: "R1", OwnerID: "P1", Amount: dec("80000"), Currency: "USD", CloseDate: day("2026-08-02"), Won: true, Type: "renewal"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	st := out.Statements[0]
	// Only N1: 50,000 = 50% of quota, tier 1 at 10% = 5,000.00.
	if got := strings.Join(amounts(&st), " "); got != "5000.00" {
		t.Fatalf("lines %s", got)
	}
	if st.Credits[1].DealID != "R1" || st.Credits[1].Unpaid == "" || !st.Credits[1].Paid.IsZero() {
		t.Fatalf("renewal credit %+v", st.Credits[1])
	}
}
