package comp

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/period"
)

// payPlanSrc is a commission-only plan paying a flat 10% of every credited
// deal (tier by amount, retroactive), with a 90-day clawback, plus the
// payment-stage keys in extra. The arithmetic of every test below is
// worked by hand in its comments.
func payPlanSrc(extra string) string {
	return `id: pay
version: 1
name: Payment stage example
effective_from: 2026-01-01
currency: USD
clawback_days: 90
components:
  - id: comm
    kind: commission
    credit: own
    tier_by: amount
    mode: retroactive
    boundary: upper
    tiers:
      - {from: 0, rate: 0.10}
` + extra
}

// payDeal is a won deal of P1; invoice is its invoice_paid_date__c
// ("" = not set).
type payDeal struct{ id, closed, amount, invoice string }

// payQuarter is one quarter of a multi-quarter example.
type payQuarter struct {
	q        string
	deals    []payDeal
	cancel   []Cancellation
	adjust   string // a manual adjustment of P1 in the quarter ("" = none)
	lines    []string
	total    string
	pay      func(t *testing.T, p *PayStage)
	noOutput bool // no statement expected
}

// runPayQuarters computes P1's statements quarter after quarter on plan
// src, each quarter reading the earlier statements as the pipeline does
// (through their JSON, as stored), and checks each quarter's lines
// (kind:amount) and total. The deals of every quarter are known in every
// run (the CRM holds all of them); to is P1's last day ("" = open).
func runPayQuarters(t *testing.T, src, to string, quarters []payQuarter) []Statement {
	t.Helper()
	p, err := ParsePlan("pay.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var deals []Deal
	var cancels []Cancellation
	for _, pq := range quarters {
		for _, d := range pq.deals {
			deal := Deal{ID: d.id, Name: "deal " + d.id, OwnerID: "P1", Amount: dec(d.amount), Currency: "USD", CloseDate: day(d.closed), Won: true}
			if d.invoice != "" {
				deal.Dates = map[string]time.Time{"invoice_paid_date__c": day(d.invoice)}
			}
			deals = append(deals, deal)
		}
		cancels = append(cancels, pq.cancel...)
	}
	a := PersonAssignment{Person: "P1", Plan: "pay", From: Day{day("2026-01-01")}}
	if to != "" {
		a.To = Day{day(to)}
	}
	var previous, all []Statement
	for _, pq := range quarters {
		var adjs []Adjustment
		if pq.adjust != "" {
			adjs = []Adjustment{{ID: "A-" + pq.q, PersonID: "P1", Quarter: pq.q, Amount: D(pq.adjust), Currency: "USD", Reason: "r", Author: "a"}}
		}
		out, err := Run(RunInput{
			Quarter: period.MustParse(pq.q), Plans: []*Plan{p}, KnownKPI: knownKPIs, Metrics: MetricTable{},
			People:      []Person{{ID: "P1", EmployeeID: "E1", Name: "Pat", Currency: "USD"}},
			Assignments: &Assignments{File: "a.yaml", People: []PersonAssignment{a}},
			Deals:       deals, Cancellations: cancels, Adjustments: adjs, Previous: previous, CodeVersion: "t",
		})
		if err != nil {
			t.Fatalf("%s: %v", pq.q, err)
		}
		if pq.noOutput {
			if len(out.Statements) != 0 {
				t.Fatalf("%s: want no statement, got %d", pq.q, len(out.Statements))
			}
			continue
		}
		if len(out.Statements) != 1 {
			t.Fatalf("%s: want 1 statement, got %d", pq.q, len(out.Statements))
		}
		st := out.Statements[0]
		var got []string
		for _, l := range st.Lines {
			got = append(got, l.Kind+":"+l.Amount.StringFixed(2))
		}
		if strings.Join(got, " ") != strings.Join(pq.lines, " ") {
			t.Errorf("%s lines:\n got %s\nwant %s", pq.q, strings.Join(got, " "), strings.Join(pq.lines, " "))
			for _, l := range st.Lines {
				t.Logf("  %s", l.Explain)
			}
		}
		if st.Total.StringFixed(2) != pq.total {
			t.Errorf("%s total %s, want %s", pq.q, st.Total.StringFixed(2), pq.total)
		}
		if st.Pay == nil {
			t.Fatalf("%s: no payment stage on the statement", pq.q)
		}
		if !st.Pay.Payable.Equal(st.Total.Decimal) {
			t.Errorf("%s: payable %s is not the total %s", pq.q, st.Pay.Payable, st.Total)
		}
		if pq.pay != nil {
			pq.pay(t, st.Pay)
		}
		js, err := st.JSON()
		if err != nil {
			t.Fatal(err)
		}
		stored, err := ParseStatement(js)
		if err != nil {
			t.Fatal(err)
		}
		previous = append(previous, *stored)
		all = append(all, st)
	}
	return all
}

// drawIs checks a statement's draw state: opening, advanced, recovered,
// forgiven, closing.
func drawIs(want ...string) func(t *testing.T, p *PayStage) {
	return func(t *testing.T, p *PayStage) {
		t.Helper()
		if p.Draw == nil {
			t.Fatal("no draw state")
		}
		d := p.Draw
		got := []string{d.Opening.StringFixed(2), d.Advanced.StringFixed(2), d.Recovered.StringFixed(2), d.Forgiven.StringFixed(2), d.Closing.StringFixed(2)}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("draw opening/advanced/recovered/forgiven/closing = %v, want %v", got, want)
		}
	}
}

// openIs checks the keys and amounts of the pay still held after a
// statement.
func openIs(want ...string) func(t *testing.T, p *PayStage) {
	return func(t *testing.T, p *PayStage) {
		t.Helper()
		var got []string
		for _, h := range p.Open {
			got = append(got, h.Key+"="+h.Amount.StringFixed(2))
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("open holds %v, want %v", got, want)
		}
	}
}

// TestRecoverableDraw: a 3,000 recoverable draw per quarter, at most 1,500
// recovered a quarter, forgiven on leaving; P1 leaves on 2026-12-31.
func TestRecoverableDraw(t *testing.T) {
	src := payPlanSrc("draw: {kind: recoverable, amount: 3000, max_recovery: 1500, forgive_on_leaving: true}\n")
	runPayQuarters(t, src, "2026-12-31", []payQuarter{
		// Q1: commission 10% × 10,000 = 1,000 < 3,000: advance 2,000;
		// balance 0 + 2,000 = 2,000; paid 1,000 + 2,000 = 3,000.
		{q: "2026Q1", deals: []payDeal{{"D1", "2026-02-10", "10000", ""}},
			lines: []string{"commission:1000.00", "draw_advance:2000.00"}, total: "3000.00", pay: drawIs("0.00", "2000.00", "0.00", "0.00", "2000.00")},
		// Q2: commission 5,000 is 2,000 above the draw; recovery is
		// min(2,000, balance 2,000, max 1,500) = 1,500; balance 500; paid
		// 5,000 − 1,500 = 3,500.
		{q: "2026Q2", deals: []payDeal{{"D2", "2026-05-10", "50000", ""}},
			lines: []string{"commission:5000.00", "draw_recovery:-1500.00"}, total: "3500.00", pay: drawIs("2000.00", "0.00", "1500.00", "0.00", "500.00")},
		// Q3: commission 4,000 is 1,000 above; recovery min(1,000, 500,
		// 1,500) = 500; balance 0; paid 3,500.
		{q: "2026Q3", deals: []payDeal{{"D3", "2026-08-10", "40000", ""}},
			lines: []string{"commission:4000.00", "draw_recovery:-500.00"}, total: "3500.00", pay: drawIs("500.00", "0.00", "500.00", "0.00", "0.00")},
		// Q4: no deals: the whole draw 3,000 is advanced (balance 3,000);
		// P1 leaves on the quarter's last day and the plan forgives the
		// balance: closing 0, nothing deducted. Paid 3,000.
		{q: "2026Q4", lines: []string{"commission:0.00", "draw_advance:3000.00", "draw_forgiven:0.00"}, total: "3000.00",
			pay: drawIs("0.00", "3000.00", "0.00", "3000.00", "0.00")},
	})
}

// TestRecoverableDrawOwedOnLeaving: without forgive_on_leaving the balance
// stays on the leaver's last statement, and a part quarter's draw is
// prorated: P1 leaves on 2026-05-15, 45 of 2026Q2's 91 days.
func TestRecoverableDrawOwedOnLeaving(t *testing.T) {
	src := payPlanSrc("draw: {kind: recoverable, amount: 3000}\n")
	runPayQuarters(t, src, "2026-05-15", []payQuarter{
		// Q1: commission 500 < 3,000: advance 2,500, balance 2,500.
		{q: "2026Q1", deals: []payDeal{{"D1", "2026-02-10", "5000", ""}},
			lines: []string{"commission:500.00", "draw_advance:2500.00"}, total: "3000.00", pay: drawIs("0.00", "2500.00", "0.00", "0.00", "2500.00")},
		// Q2: draw 3,000 × 45/91 = 1,483.5164… → 1,483.52; commission
		// 2,000 is 516.48 above it, all recovered (no maximum): balance
		// 2,500 − 516.48 = 1,983.52, still owed; paid 1,483.52.
		{q: "2026Q2", deals: []payDeal{{"D2", "2026-04-10", "20000", ""}},
			lines: []string{"commission:2000.00", "draw_recovery:-516.48"}, total: "1483.52", pay: drawIs("2500.00", "0.00", "516.48", "0.00", "1983.52")},
	})
}

// TestNonRecoverableDraw: a 3,000 guarantee tops pay up and keeps no
// balance.
func TestNonRecoverableDraw(t *testing.T) {
	src := payPlanSrc("draw: {kind: non_recoverable, amount: 3000}\n")
	runPayQuarters(t, src, "", []payQuarter{
		// Q1: commission 1,000: 2,000 guaranteed on top; no balance.
		{q: "2026Q1", deals: []payDeal{{"D1", "2026-02-10", "10000", ""}},
			lines: []string{"commission:1000.00", "draw_advance:2000.00"}, total: "3000.00", pay: drawIs("0.00", "2000.00", "0.00", "0.00", "0.00")},
		// Q2: commission 5,000 ≥ 3,000: nothing added, nothing recovered.
		{q: "2026Q2", deals: []payDeal{{"D2", "2026-05-10", "50000", ""}},
			lines: []string{"commission:5000.00"}, total: "5000.00", pay: drawIs("0.00", "0.00", "0.00", "0.00", "0.00")},
	})
}

// TestHoldsAndReleases: commission held until the invoice is paid
// (invoice_paid_date__c), 10% held back until the Q4 statement, and a held
// deal cancelled (the hold dropped, nothing clawed back).
func TestHoldsAndReleases(t *testing.T) {
	src := payPlanSrc(`holds:
  - {id: invoice, until_date: invoice_paid_date__c}
holdback: {share: 0.10, release_quarter: 4}
`)
	runPayQuarters(t, src, "", []payQuarter{
		// Q1: A 20,000 (no invoice paid) and B 10,000 (paid 2026-03-20):
		// commission 10% × 30,000 = 3,000. A's 2,000 is held; B's 1,000 is
		// payable, less the holdback 10% × 1,000 = 100. Paid 900.
		{q: "2026Q1", deals: []payDeal{{"A", "2026-02-10", "20000", "2026-04-02"}, {"B", "2026-02-20", "10000", "2026-03-20"}},
			lines: []string{"commission:3000.00", "hold:-2000.00", "holdback:-100.00"}, total: "900.00",
			pay: openIs("hold/2026Q1/A/owner/comm=2000.00", "holdback/2026Q1/commission=100.00")},
		// Q2: A's invoice was paid 2026-04-02: its 2,000 is released. C
		// 30,000 closes 2026-06-01 unpaid: its 3,000 is held, leaving no
		// commission to hold back. Paid 2,000.
		{q: "2026Q2", deals: []payDeal{{"C", "2026-06-01", "30000", ""}},
			lines: []string{"commission:3000.00", "release:2000.00", "hold:-3000.00"}, total: "2000.00",
			pay: openIs("hold/2026Q2/C/owner/comm=3000.00", "holdback/2026Q1/commission=100.00")},
		// Q3: C is cancelled 2026-08-01, 61 days after close, inside the
		// clawback window: it was paid 3,000 but all 3,000 is still held,
		// so nothing is clawed back and the hold is dropped (a line of 0).
		// D 10,000 has its invoice paid on the quarter's last day: its
		// 1,000 is not held; holdback 10% = 100. Paid 900.
		{q: "2026Q3", deals: []payDeal{{"D", "2026-08-10", "10000", "2026-09-30"}}, cancel: []Cancellation{{"C", day("2026-08-01")}},
			lines: []string{"commission:1000.00", "hold_dropped:0.00", "holdback:-100.00"}, total: "900.00",
			pay: openIs("holdback/2026Q1/commission=100.00", "holdback/2026Q3/commission=100.00")},
		// Q4: both holdbacks released (200); E's 500 is paid (invoice
		// 2026-10-15) and Q4 holds nothing back. Paid 700.
		{q: "2026Q4", deals: []payDeal{{"E", "2026-10-05", "5000", "2026-10-15"}},
			lines: []string{"commission:500.00", "release:100.00", "release:100.00"}, total: "700.00", pay: openIs()},
	})
}

// TestHoldReleasedWithoutPlan: a person who left with held pay gets a
// statement for its release: P1 leaves on 2026-03-31 and A's invoice is
// paid in Q3; nothing happens to them in Q2.
func TestHoldReleasedWithoutPlan(t *testing.T) {
	src := payPlanSrc("holds: [{id: invoice, until_date: invoice_paid_date__c}]\n")
	runPayQuarters(t, src, "2026-03-31", []payQuarter{
		{q: "2026Q1", deals: []payDeal{{"A", "2026-02-10", "20000", "2026-08-20"}},
			lines: []string{"commission:2000.00", "hold:-2000.00"}, total: "0.00"},
		{q: "2026Q2", noOutput: true},
		{q: "2026Q3", lines: []string{"release:2000.00"}, total: "2000.00", pay: openIs()},
	})
}

// TestPayCap: at most 5,000 a quarter and 12,000 a calendar year.
func TestPayCap(t *testing.T) {
	src := payPlanSrc("pay_cap: {per_quarter: 5000, per_year: 12000}\n")
	capIs := func(limit, year string) func(t *testing.T, p *PayStage) {
		return func(t *testing.T, p *PayStage) {
			if p.CapLimit == nil || p.CapLimit.StringFixed(2) != limit || p.YearCapped.StringFixed(2) != year {
				t.Errorf("cap limit %v, year %s; want %s, %s", p.CapLimit, p.YearCapped.StringFixed(2), limit, year)
			}
		}
	}
	runPayQuarters(t, src, "", []payQuarter{
		// Q1: 8,000 commission + 500 adjustment = 8,500 earned, 3,500 over
		// the quarter's 5,000: taken from commission. Year so far 5,000.
		{q: "2026Q1", deals: []payDeal{{"D1", "2026-02-10", "80000", ""}}, adjust: "500",
			lines: []string{"commission:8000.00", "adjustment:500.00", "pay_cap:-3500.00"}, total: "5000.00", pay: capIs("5000.00", "5000.00")},
		// Q2: 4,000, under both caps. Year 9,000.
		{q: "2026Q2", deals: []payDeal{{"D2", "2026-05-10", "40000", ""}},
			lines: []string{"commission:4000.00"}, total: "4000.00", pay: capIs("5000.00", "9000.00")},
		// Q3: 6,000; the year's 12,000 less 9,000 leaves 3,000, below the
		// quarter's 5,000: 3,000 over. Year 12,000.
		{q: "2026Q3", deals: []payDeal{{"D3", "2026-08-10", "60000", ""}},
			lines: []string{"commission:6000.00", "pay_cap:-3000.00"}, total: "3000.00", pay: capIs("3000.00", "12000.00")},
		// Q4: 1,000 commission + 300 adjustment, nothing left in the year:
		// commission capped first (−1,000), then the adjustment (−300).
		{q: "2026Q4", deals: []payDeal{{"D4", "2026-11-10", "10000", ""}}, adjust: "300",
			lines: []string{"commission:1000.00", "adjustment:300.00", "pay_cap:-1000.00", "pay_cap:-300.00"}, total: "0.00", pay: capIs("0.00", "12000.00")},
		// 2027Q1: a new year, the quarter's cap again.
		{q: "2027Q1", deals: []payDeal{{"D5", "2027-02-10", "70000", ""}},
			lines: []string{"commission:7000.00", "pay_cap:-2000.00"}, total: "5000.00", pay: capIs("5000.00", "5000.00")},
	})
}

// TestPayCapClawback: a clawback takes back only what was paid after the
// pay cap. Worked by hand, cap 1,500 a quarter, 10% commission:
//
//	2026Q3: D1 10,000 (07-10) pays 1,000.00, D2 8,000 (08-10) 800.00: 1,800
//	  earned, 300.00 over the cap. The cap is filled in close order, so
//	  the cut falls on the latest deal first: D2 300.00 (D2 paid 500.00,
//	  D1 1,000.00).
//	2026Q4: D1 cancelled 10-05 (87 days), D2 10-20 (71 days), both within
//	  90: D1 −1,000.00, D2 −(800.00 − 300.00) = −500.00 (not −800.00).
//	2027Q1: D3 20,000 (01-10) pays 2,000.00, D4 3,000 (01-20) 300.00:
//	  800.00 over the 1,500 cap; latest first: D4 300.00 (all of it),
//	  then D3 500.00.
//	2027Q2: D4 cancelled 04-05 (75 days) is not clawed back at all: nothing
//	  of it was paid.
func TestPayCapClawback(t *testing.T) {
	sts := runPayQuarters(t, payPlanSrc("pay_cap: {per_quarter: 1500}\n"), "", []payQuarter{
		{q: "2026Q3", deals: []payDeal{{"D1", "2026-07-10", "10000", ""}, {"D2", "2026-08-10", "8000", ""}},
			lines: []string{"commission:1800.00", "pay_cap:-300.00"}, total: "1500.00"},
		{q: "2026Q4", cancel: []Cancellation{{"D1", day("2026-10-05")}, {"D2", day("2026-10-20")}},
			lines: []string{"commission:0.00", "clawback:-1000.00", "clawback:-500.00"}, total: "-1500.00"},
		{q: "2027Q1", deals: []payDeal{{"D3", "2027-01-10", "20000", ""}, {"D4", "2027-01-20", "3000", ""}},
			lines: []string{"commission:2300.00", "pay_cap:-800.00"}, total: "1500.00"},
		{q: "2027Q2", cancel: []Cancellation{{"D4", day("2027-04-05")}}, lines: []string{"commission:0.00"}, total: "0.00"},
	})
	capped := map[string]string{}
	for _, st := range sts {
		for _, cr := range st.Credits {
			for _, pm := range cr.Payments {
				if pm.Capped != nil {
					capped[cr.DealID] = pm.Capped.StringFixed(2)
				}
			}
		}
	}
	if want := map[string]string{"D2": "300.00", "D3": "500.00", "D4": "300.00"}; fmt.Sprint(capped) != fmt.Sprint(want) {
		t.Errorf("cut by the cap per deal %v, want %v", capped, want)
	}
	if l := sts[0].Lines[1]; !strings.HasSuffix(l.Explain, "(cut from the latest deals first: D2 comm USD 300.00)") {
		t.Errorf("cap line: %s", l.Explain)
	}
}

// TestHoldbackOnLeaving: 10% held back until Q4, 10% commission; P1
// leaves on 2026-08-31. Worked by hand:
//
//	2026Q1: D1 10,000 pays 1,000.00; holdback −100.00; total 900.00
//	2026Q2: D2 20,000 pays 2,000.00; holdback −200.00; total 1,800.00
//	2026Q3 (P1 leaves): D3 5,000 pays 500.00, and
//	  pay (the default): Q1's 100.00 and Q2's 200.00 are released, nothing
//	    is held back: 500 + 100 + 200 = 800.00
//	  forfeit: both are forfeited (0.00 lines), and Q3's 10% × 500 = 50.00
//	    is held back and forfeited too: 500 − 50 = 450.00
//	2026Q4: nothing is left open, so P1 gets no statement.
func TestHoldbackOnLeaving(t *testing.T) {
	early := []payQuarter{
		{q: "2026Q1", deals: []payDeal{{"D1", "2026-02-10", "10000", ""}}, lines: []string{"commission:1000.00", "holdback:-100.00"}, total: "900.00"},
		{q: "2026Q2", deals: []payDeal{{"D2", "2026-05-10", "20000", ""}}, lines: []string{"commission:2000.00", "holdback:-200.00"}, total: "1800.00",
			pay: openIs("holdback/2026Q1/commission=100.00", "holdback/2026Q2/commission=200.00")},
	}
	for _, c := range []struct {
		rule, total string
		lines       []string
	}{
		{"", "800.00", []string{"commission:500.00", "release:100.00", "release:200.00"}},
		{"on_leaving: pay, ", "800.00", []string{"commission:500.00", "release:100.00", "release:200.00"}},
		{"on_leaving: forfeit, ", "450.00", []string{"commission:500.00", "holdback_forfeited:0.00", "holdback_forfeited:0.00", "holdback:-50.00"}},
	} {
		t.Run(c.rule, func(t *testing.T) {
			src := payPlanSrc("holdback: {" + c.rule + "share: 0.10, release_quarter: 4}\n")
			runPayQuarters(t, src, "2026-08-31", append(append([]payQuarter{}, early...),
				payQuarter{q: "2026Q3", deals: []payDeal{{"D3", "2026-07-10", "5000", ""}}, lines: c.lines, total: c.total, pay: openIs()},
				payQuarter{q: "2026Q4", noOutput: true}))
		})
	}
}

// TestCapHoldDraw: the three in their order. Cap 5,000 a quarter, a deal
// hold on the invoice, a 3,000 recoverable draw.
func TestCapHoldDraw(t *testing.T) {
	src := payPlanSrc(`pay_cap: {per_quarter: 5000}
holds: [{id: invoice, until_date: invoice_paid_date__c}]
draw: {kind: recoverable, amount: 3000}
`)
	sts := runPayQuarters(t, src, "", []payQuarter{
		// Q1: A 80,000 → commission 8,000, all held (invoice unpaid):
		// payable 0, under the cap; the draw advances 3,000; balance 3,000.
		{q: "2026Q1", deals: []payDeal{{"A", "2026-02-10", "80000", "2026-05-05"}},
			lines: []string{"commission:8000.00", "hold:-8000.00", "draw_advance:3000.00"}, total: "3000.00",
			pay: drawIs("0.00", "3000.00", "0.00", "0.00", "3000.00")},
		// Q2: A's invoice paid 2026-05-05: 8,000 released; payable 8,000 is
		// capped to 5,000 (−3,000 of commission); 5,000 is 2,000 above the
		// draw, recovered: balance 1,000. Paid 3,000.
		{q: "2026Q2", lines: []string{"commission:0.00", "release:8000.00", "pay_cap:-3000.00", "draw_recovery:-2000.00"}, total: "3000.00",
			pay: drawIs("3000.00", "0.00", "2000.00", "0.00", "1000.00")},
	})
	// The payroll export pays only what is payable: Q1 is the draw only
	// (commission 8,000 − 3,000 − 5,000 = 0 gives no row); Q2 is the
	// released commission and the recovery on the draw code.
	p, err := ParsePayroll("payroll.yaml", []byte(payrollYAML))
	if err != nil {
		t.Fatal(err)
	}
	var recs []ExportRecord
	for i := range sts {
		recs = append(recs, ExportRecord{Statement: &sts[i], Status: StatusApproved, Version: 1})
	}
	rows, err := LongRows(recs, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%s %s %d", r.Quarter, r.EarningsCode, r.Amount))
	}
	if want := "2026Q1 DRW 300000,2026Q2 COM 500000,2026Q2 DRW -200000"; strings.Join(got, ",") != want {
		t.Errorf("long rows %v, want %s", got, want)
	}
	wide, err := ExportRows(recs)
	if err != nil {
		t.Fatal(err)
	}
	// Wide: draws count under adjustment; commission is what is paid.
	if w := wide[0]; w.Commission != 0 || w.Adjustment != 300000 || w.Amount != 300000 {
		t.Errorf("wide 2026Q1 %+v", w)
	}
	if w := wide[1]; w.Commission != 500000 || w.Adjustment != -200000 || w.Amount != 300000 {
		t.Errorf("wide 2026Q2 %+v", w)
	}
}

// TestHeldDealCancelled: a held deal cancelled is dropped, not clawed
// back, even when its invoice date arrives in the same quarter (the
// cancellation wins); a deal already paid is clawed back as usual.
func TestHeldDealCancelled(t *testing.T) {
	src := payPlanSrc("holds: [{id: invoice, until_date: invoice_paid_date__c}]\n")
	runPayQuarters(t, src, "", []payQuarter{
		// Q1: A 20,000 unpaid → 2,000 held; B 10,000 paid 2026-03-01 →
		// 1,000 paid. Total 1,000.
		{q: "2026Q1", deals: []payDeal{{"A", "2026-03-25", "20000", "2026-04-05"}, {"B", "2026-02-15", "10000", "2026-03-01"}},
			lines: []string{"commission:3000.00", "hold:-2000.00"}, total: "1000.00"},
		// Q2: both cancelled (A 2026-06-20, 87 days; B 2026-04-10, 54 days,
		// both in the 90-day window). B's 1,000 is clawed back; A's 2,000
		// was never paid: no clawback, the hold dropped though its invoice
		// date 2026-04-05 fell in the quarter. Total −1,000.
		{q: "2026Q2", cancel: []Cancellation{{"A", day("2026-06-20")}, {"B", day("2026-04-10")}},
			lines: []string{"commission:0.00", "clawback:-1000.00", "hold_dropped:0.00"}, total: "-1000.00", pay: openIs()},
	})
}

// TestReconcileCarriesPayState: a final statement reconciled by a
// correction carries the recomputed holdback into the next quarter.
// Worked by hand (10% commission, 10% held back until Q4):
//
//	2026Q1 final: D1 10,000 pays 1,000.00, holdback −100.00 (open 100.00)
//	D1 is corrected to 11,000 and 2026Q1 recomputed: 1,100.00, −110.00;
//	  the correction pays +100.00 and −10.00 in 2026Q2
//	2026Q2: the two prior-period lines (+90.00); the open holdback carried
//	  on is 110.00, the recomputed one (100.00 before: 10.00 withheld now
//	  and never released)
func TestReconcileCarriesPayState(t *testing.T) {
	p, err := ParsePlan("pay.yaml", []byte(payPlanSrc("holdback: {share: 0.10, release_quarter: 4}\n")))
	if err != nil {
		t.Fatal(err)
	}
	in := func(q, amount string) RunInput {
		return RunInput{Quarter: period.MustParse(q), Plans: []*Plan{p}, KnownKPI: knownKPIs, Metrics: MetricTable{}, CodeVersion: "t",
			People:      []Person{{ID: "P1", EmployeeID: "E1", Name: "Pat", Currency: "USD"}},
			Assignments: &Assignments{File: "a.yaml", People: []PersonAssignment{{Person: "P1", Plan: "pay", From: Day{day("2026-01-01")}}}},
			Deals:       []Deal{{ID: "D1", Name: "deal D1", OwnerID: "P1", Amount: dec(amount), Currency: "USD", CloseDate: day("2026-02-10"), Won: true}}}
	}
	final := storedFinal(t, mustRun(t, in("2026Q1", "10000")))
	again := mustRun(t, in("2026Q1", "11000"))
	corr, err := Reconcile(&final[0], &again.Statements[0], nil, period.MustParse("2026Q2"))
	if err != nil || corr == nil || !corr.Delta.Equal(dec("90")) {
		t.Fatalf("correction %+v %v", corr, err)
	}
	q2 := in("2026Q2", "11000")
	q2.Previous, q2.Corrections = final, []Correction{*corr}
	st := mustRun(t, q2).Statements[0]
	if !st.Total.Equal(dec("90")) {
		t.Errorf("2026Q2 total %s, want 90.00", st.Total)
	}
	openIs("holdback/2026Q1/commission=110.00")(t, st.Pay)
}

// mustRun is Run, failing the test on an error.
func mustRun(t *testing.T, in RunInput) *RunOutput {
	t.Helper()
	out, err := Run(in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestHoldHoldsTheDealsSPIF: a deal hold holds everything the deal paid,
// each as its own earnings kind. A 20,000 closes 2026-02-10, invoice paid
// 2026-04-02: commission 10% = 2,000 and a per-deal SPIF of 50 are both
// held in Q1 (paid 0) and both released in Q2 (paid 2,050). Payroll codes
// the two apart, so the SPIF's hold and release are SPIF earnings, never
// taken from (or paid back as) commission.
func TestHoldHoldsTheDealsSPIF(t *testing.T) {
	src := payPlanSrc(`  - id: big_deal
    kind: spif
    spif: {start: 2026-01-01, end: 2026-12-31, credit: own, match: {min_amount: 10000}, pay: per_deal, amount: 50}
holds:
  - {id: invoice, until_date: invoice_paid_date__c}
`)
	sts := runPayQuarters(t, src, "", []payQuarter{
		{q: "2026Q1", deals: []payDeal{{"A", "2026-02-10", "20000", "2026-04-02"}},
			lines: []string{"commission:2000.00", "spif:50.00", "hold:-2000.00", "hold:-50.00"}, total: "0.00",
			pay: openIs("hold/2026Q1/A/owner/big_deal=50.00", "hold/2026Q1/A/owner/comm=2000.00")},
		// The components pay nothing new in Q2 (lines of 0).
		{q: "2026Q2", lines: []string{"commission:0.00", "spif:0.00", "release:50.00", "release:2000.00"}, total: "2050.00", pay: openIs()},
	})
	// The hold and release lines' earnings kinds, in line order.
	for i, want := range [][]EarningsKind{{EarnCommission, EarnSPIF}, {EarnSPIF, EarnCommission}} {
		var got []EarningsKind
		for _, l := range sts[i].Lines {
			if l.Kind == LineHold || l.Kind == LineRelease {
				got = append(got, l.Earnings)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s earnings kinds %v, want %v", sts[i].Quarter, got, want)
		}
	}
}
