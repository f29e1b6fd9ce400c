package comp

import (
	"bytes"
	"strings"
	"testing"

	"github.com/venn-revops/venn/shared/period"
)

// teamPlanSrc is a manager plan: 1% of the team's credited deals,
// retroactive, one tier.
const teamPlanSrc = `id: tm
version: 1
name: Team override
effective_from: 2026-01-01
currency: USD
target_variable: 1000
clawback_days: 0
components:
  - id: team_override
    kind: commission
    credit: team
    tier_by: amount
    mode: retroactive
    boundary: upper
    tiers:
      - {from: 0, rate: 0.01}
`

// whatIfInput is 2026Q3 (92 days) as of 2026-08-10 on the worked commission
// plan wx (quota 100,000; marginal 10% to 100%, 15% to 150%, 20% above;
// capped at 20,000 a quarter), for P1 and P2, and M, P1's manager, on tm.
//
//	won so far: D1 P1 60,000.00 closed 2026-07-15
//	open:       O1 P1 30,000.05 expected 2026-08-01 (past: assumed 2026-08-10)
//	            O2 P1 20,000.00 expected 2026-09-01, split P1 50% / P2 50%
//	            O3 P1 70,000.00 expected 2026-09-15
//	            O4 P1 50,000.00 expected 2026-10-05 (after the quarter: later)
//	            O5 P2 40,000.00 expected 2026-08-20
//	            O6 P2 10,000.00 expected 2026-08-25, splits 50% + 40% (refused)
func whatIfInput(t *testing.T) WhatIfInput {
	t.Helper()
	wx := commissionPlan(t, "marginal", "upper", "    cap_amount: 20000\n")
	tm, err := ParsePlan("tm.yaml", []byte(teamPlanSrc))
	if err != nil {
		t.Fatal(err)
	}
	from := Day{day("2026-01-01")}
	deal := func(id, owner, amount, close string, won bool, splits ...Split) Deal {
		return Deal{ID: id, Name: "deal " + id, OwnerID: owner, Amount: dec(amount), Currency: "USD", CloseDate: day(close), Won: won, Type: "new_business", Splits: splits}
	}
	open := []Deal{
		deal("O1", "P1", "30000.05", "2026-08-01", false),
		deal("O2", "P1", "20000.00", "2026-09-01", false, Split{"P1", dec("50")}, Split{"P2", dec("50")}),
		deal("O3", "P1", "70000.00", "2026-09-15", false),
		deal("O4", "P1", "50000.00", "2026-10-05", false),
		deal("O5", "P2", "40000.00", "2026-08-20", false),
		deal("O6", "P2", "10000.00", "2026-08-25", false, Split{"P2", dec("50")}, Split{"P1", dec("40")}),
	}
	return WhatIfInput{
		AsOf: day("2026-08-10"),
		Open: open,
		Run: RunInput{
			Quarter: period.MustParse("2026Q3"), Plans: []*Plan{wx, tm}, KnownKPI: knownKPIs, Metrics: MetricTable{}, CodeVersion: "t",
			People: []Person{
				{ID: "M", EmployeeID: "E0", Name: "Morgan", Currency: "USD"},
				{ID: "P1", EmployeeID: "E1", Name: "Pat", Currency: "USD", ManagerID: "M"},
				{ID: "P2", EmployeeID: "E2", Name: "Sam", Currency: "USD"},
			},
			Assignments: &Assignments{File: "a.yaml", People: []PersonAssignment{
				{Person: "M", Plan: "tm", From: from}, {Person: "P1", Plan: "wx", From: from}, {Person: "P2", Plan: "wx", From: from},
			}},
			// The quarter to date: the won deal, and the open ones as the
			// CRM has them (not won: not credited).
			Deals: append([]Deal{deal("D1", "P1", "60000.00", "2026-07-15", true)}, open...),
		},
	}
}

type whatIfRow struct{ deal, closes, inOrder, total, alone string }

// TestWhatIfWorked checks every figure of the what-if against arithmetic
// done by hand.
func TestWhatIfWorked(t *testing.T) {
	out, err := WhatIfs(whatIfInput(t))
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]*WhatIf{}
	for i := range out.People {
		by[out.People[i].PersonID] = &out.People[i]
	}
	cases := []struct {
		person, earned, ifAll, projected string
		rows                             []whatIfRow
		later                            []string
	}{
		// P1 earned: D1 60,000 × 10% = 6,000.00.
		// In order (basis = 60,000 + what has closed):
		//   O1 → 90,000.05: tier1 90,000.05 × 10% = 9,000.005 → 9,000.01; adds 3,000.01
		//   O2 → +10,000 (P1's half) = 100,000.05: tier1 100,000 × 10% = 10,000.00,
		//        tier2 0.05 × 15% = 0.0075 → 0.01; total 10,000.01; adds 1,000.00
		//   O3 → 170,000.05: 10,000 + 50,000 × 15% = 7,500 + 20,000.05 × 20% = 4,000.01
		//        = 21,500.01, over the 20,000 cap: a cap line of -1,500.01; total
		//        20,000.00; adds 9,999.99
		//   if all close: 3,000.01 + 1,000.00 + 9,999.99 = 14,000.00 = 20,000.00 - 6,000.00
		// Alone (from 60,000):
		//   O1: 90,000.05 → 9,000.01, adds 3,000.01
		//   O2: 70,000 → 7,000.00, adds 1,000.00
		//   O3: 130,000 → 10,000 + 30,000 × 15% = 14,500.00, adds 8,500.00 (the
		//       alone figures add up to 12,500.01, not 14,000.00: the tiers)
		// O4 closes in Q4: later. O6 is refused (splits 90%).
		{"P1", "6000.00", "14000.00", "20000.00", []whatIfRow{
			{"O1", "2026-08-10", "3000.01", "9000.01", "3000.01"},
			{"O2", "2026-09-01", "1000.00", "10000.01", "1000.00"},
			{"O3", "2026-09-15", "9999.99", "20000.00", "8500.00"},
		}, []string{"O4"}},
		// P2 earned nothing yet. O5 (08-20) before O2 (09-01):
		//   O5 → 40,000 × 10% = 4,000.00; O2 → +10,000 = 50,000 → 5,000.00, adds 1,000.00
		{"P2", "0.00", "5000.00", "5000.00", []whatIfRow{
			{"O5", "2026-08-20", "4000.00", "4000.00", "4000.00"},
			{"O2", "2026-09-01", "1000.00", "5000.00", "1000.00"},
		}, nil},
		// M: 1% retroactive of P1's credits (team). Earned 60,000 × 1% = 600.00.
		//   O1 → 90,000.05 × 1% = 900.0005 → 900.00, adds 300.00
		//   O2 → 100,000.05 × 1% = 1,000.0005 → 1,000.00, adds 100.00 (P1's half only)
		//   O3 → 170,000.05 × 1% = 1,700.0005 → 1,700.00, adds 700.00
		//   alone: O1 900.0005 → 900.00 (300.00); O2 700.00 (100.00); O3 1,300.00 (700.00)
		{"M", "600.00", "1100.00", "1700.00", []whatIfRow{
			{"O1", "2026-08-10", "300.00", "900.00", "300.00"},
			{"O2", "2026-09-01", "100.00", "1000.00", "100.00"},
			{"O3", "2026-09-15", "700.00", "1700.00", "700.00"},
		}, nil},
	}
	for _, c := range cases {
		w := by[c.person]
		if w == nil {
			t.Fatalf("no what-if for %s", c.person)
		}
		if w.Earned.StringFixed(2) != c.earned || w.IfAllClose.StringFixed(2) != c.ifAll || w.Projected.StringFixed(2) != c.projected {
			t.Errorf("%s: earned %s if all close %s projected %s, want %s %s %s", c.person, w.Earned.StringFixed(2), w.IfAllClose.StringFixed(2), w.Projected.StringFixed(2), c.earned, c.ifAll, c.projected)
		}
		var got []whatIfRow
		for _, d := range w.Deals {
			got = append(got, whatIfRow{d.DealID, d.AssumedClose, d.AddsInOrder.StringFixed(2), d.TotalInOrder.StringFixed(2), d.AddsAlone.StringFixed(2)})
		}
		if len(got) != len(c.rows) {
			t.Errorf("%s: deals %v, want %v", c.person, got, c.rows)
			continue
		}
		for i := range got {
			if got[i] != c.rows[i] {
				t.Errorf("%s deal %d: %v, want %v", c.person, i, got[i], c.rows[i])
			}
		}
		var later []string
		for _, l := range w.Later {
			later = append(later, l.DealID)
		}
		if strings.Join(later, ",") != strings.Join(c.later, ",") {
			t.Errorf("%s: later %v, want %v", c.person, later, c.later)
		}
	}
	if o1 := by["P1"].Deals[0]; o1.ExpectedClose != "2026-08-01" {
		t.Errorf("O1 expected close %s, want the CRM's 2026-08-01", o1.ExpectedClose)
	}
	if len(out.Refused) != 1 || out.Refused[0].DealID != "O6" || !strings.Contains(out.Refused[0].Reason, "90") {
		t.Errorf("refused %+v, want O6 (splits sum to 90%%)", out.Refused)
	}
	var txt bytes.Buffer
	if err := by["P1"].WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Earned so far", "USD 6,000.00", "If all 3 close: adds USD 14,000.00, quarter total USD 20,000.00", "expected 2026-08-01", "O4", "Compensation statement 2026Q3/P1"} {
		if !strings.Contains(txt.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, txt.String())
		}
	}
}

// TestWhatIfIsDifferenceOfRuns checks the what-if against two plain engine
// runs built here by hand, independently of how WhatIfs builds its
// scenarios: P1's statement total with the deals won, minus without.
func TestWhatIfIsDifferenceOfRuns(t *testing.T) {
	in := whatIfInput(t)
	out, err := WhatIfs(in)
	if err != nil {
		t.Fatal(err)
	}
	var p1 *WhatIf
	for i := range out.People {
		if out.People[i].PersonID == "P1" {
			p1 = &out.People[i]
		}
	}
	won := func(id, close string) Deal {
		for _, d := range in.Open {
			if d.ID == id {
				d.Won, d.CloseDate = true, day(close)
				return d
			}
		}
		t.Fatalf("no open deal %s", id)
		return Deal{}
	}
	total := func(deals ...Deal) string {
		r := in.Run
		r.Deals = append([]Deal{{ID: "D1", Name: "deal D1", OwnerID: "P1", Amount: dec("60000.00"), Currency: "USD", CloseDate: day("2026-07-15"), Won: true, Type: "new_business"}}, deals...)
		res, err := Run(r)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range res.Statements {
			if st.PersonID == "P1" {
				return st.Total.StringFixed(2)
			}
		}
		t.Fatal("no statement for P1")
		return ""
	}
	base := dec(total())
	o1, o2, o3 := won("O1", "2026-08-10"), won("O2", "2026-09-01"), won("O3", "2026-09-15")
	// O3 alone; O2 after O1; O3 after O1 and O2.
	for _, c := range []struct {
		name      string
		got       Money
		with, wo  []Deal
		fromEmpty bool
	}{
		{"O3 alone", p1.Deals[2].AddsAlone, []Deal{o3}, nil, true},
		{"O2 in order", p1.Deals[1].AddsInOrder, []Deal{o1, o2}, []Deal{o1}, false},
		{"O3 in order", p1.Deals[2].AddsInOrder, []Deal{o1, o2, o3}, []Deal{o1, o2}, false},
		{"all", p1.IfAllClose, []Deal{o1, o2, o3}, nil, true},
	} {
		after, before := dec(total(c.with...)), base
		if !c.fromEmpty {
			before = dec(total(c.wo...))
		}
		if want := after.Sub(before); !c.got.Equal(want) {
			t.Errorf("%s: what-if %s, two runs differ by %s", c.name, c.got.StringFixed(2), want.StringFixed(2))
		}
	}
}
