package comp

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/period"
)

// planSrc is a plan with a bookings bonus (curve with threshold and an
// accelerator), a meetings bonus and a capped marginal commission; id,
// version and dates are filled in.
const planSrc = `id: %s
version: %d
name: Split test
effective_from: %s
%s
currency: USD
target_variable: 10000
clawback_days: 90
components:
  - id: bookings_bonus
    kind: attainment_bonus
    weight: 0.6
    metric: {kpi: bookings, scope: individual}
    target: 300000
    curve:
      threshold: 0.5
      cap: 1.5
      points: [{attainment: 0.5, payout: 0.25}, {attainment: 1.0, payout: 1.0}, {attainment: 1.5, payout: 2.0}]
  - id: meetings_bonus
    kind: attainment_bonus
    weight: 0.4
    metric: {kpi: meetings, scope: individual}
    target: 60
    curve:
      threshold: 0.3
      cap: 1.2
      points: [{attainment: 0.3, payout: 0.1}, {attainment: 1.2, payout: 1.4}]
  - id: comm
    kind: commission
    credit: own
    tier_by: attainment
    quota: 300000
    mode: marginal
    boundary: upper
    tiers: [{from: 0, to: 1, rate: 0.05}, {from: 1, to: 1.5, rate: 0.08}, {from: 1.5, rate: 0.1}]
    cap_amount: 30000
`

func mustPlan(t *testing.T, id string, version int, from, to string) *Plan {
	t.Helper()
	end := ""
	if to != "" {
		end = "effective_to: " + to
	}
	p, err := ParsePlan(fmt.Sprintf("%s-v%d.yaml", id, version), []byte(fmt.Sprintf(planSrc, id, version, from, end)))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// onePerson runs 2026Q3 for person P1 on plans, with deals, activities and
// quotas.
func onePerson(t *testing.T, plans []*Plan, assign []PersonAssignment, deals []Deal, acts []Activity, quotas []Quota) *Statement {
	t.Helper()
	out, err := Run(RunInput{
		Quarter: period.MustParse("2026Q3"), Plans: plans, KnownKPI: knownKPIs,
		People:      []Person{{ID: "P1", EmployeeID: "E1", Name: "Pat", Currency: "USD"}},
		Assignments: &Assignments{File: "a.yaml", People: assign},
		Deals:       deals, Activities: acts, Quotas: quotas, CodeVersion: "t",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Statements) != 1 {
		t.Fatalf("want 1 statement, got %d", len(out.Statements))
	}
	return &out.Statements[0]
}

// bySum sums a statement's line amounts by component.
func bySum(st *Statement) map[string]string {
	sums := map[string]Money{}
	for _, l := range st.Lines {
		s := sums[l.Component]
		s.Decimal = s.Add(l.Amount.Decimal)
		sums[l.Component] = s
	}
	out := map[string]string{}
	for k, v := range sums {
		out[k] = v.StringFixed(2)
	}
	return out
}

// TestSplitIntoIdenticalVersionsChangesNothing is the property of issue 13:
// cutting a person's span into two plan versions with identical content
// (any day, any deals, meetings and hire/leave dates) never changes what a
// component pays by more than a cent per line. Venn measures a component
// over the whole run of days in which it is unchanged, so the payouts are
// in fact identical; the test allows the cent the property allows.
func TestSplitIntoIdenticalVersionsChangesNothing(t *testing.T) {
	rng := rand.New(rand.NewSource(13))
	q := period.MustParse("2026Q3")
	dayN := func(n int) time.Time { return q.Start().AddDate(0, 0, n) }
	for trial := 0; trial < 200; trial++ {
		hire, leave := rng.Intn(40), 50+rng.Intn(42) // on the plan days hire..leave
		var deals []Deal
		for i := 0; i < rng.Intn(8); i++ {
			deals = append(deals, Deal{ID: fmt.Sprintf("D%02d", i), Name: "d", OwnerID: "P1", Currency: "USD", Won: true,
				Amount: dec(fmt.Sprintf("%d.%02d", 1000+rng.Intn(250000), rng.Intn(100))), CloseDate: dayN(rng.Intn(92))})
		}
		var acts []Activity
		for i := 0; i < rng.Intn(90); i++ {
			acts = append(acts, Activity{KPI: "meetings", PersonID: "P1", Date: dayN(rng.Intn(92)), Ref: fmt.Sprintf("T%03d", i)})
		}
		assign := []PersonAssignment{{Person: "P1", Plan: "x", From: Day{dayN(hire)}, To: Day{dayN(leave)}}}
		whole := onePerson(t, []*Plan{mustPlan(t, "x", 1, "2026-01-01", "")}, assign, deals, acts, nil)
		cut := hire + 1 + rng.Intn(leave-hire) // first day of v2, inside the span
		v1 := mustPlan(t, "x", 1, "2026-01-01", dayN(cut-1).Format(time.DateOnly))
		v2 := mustPlan(t, "x", 2, dayN(cut).Format(time.DateOnly), "")
		split := onePerson(t, []*Plan{v1, v2}, assign, deals, acts, nil)
		if len(split.Plans) != 2 {
			t.Fatalf("trial %d: want two spans, got %+v", trial, split.Plans)
		}
		a, b := bySum(whole), bySum(split)
		for comp, amount := range a {
			lines := 0
			for _, l := range split.Lines {
				if l.Component == comp {
					lines++
				}
			}
			if diff := dec(amount).Sub(dec(b[comp])).Abs(); diff.GreaterThan(dec("0.01").Mul(dec(fmt.Sprint(lines)))) {
				t.Fatalf("trial %d (hire day %d, leave day %d, v2 from day %d): %s pays %s whole, %s split", trial, hire, leave, cut, comp, amount, b[comp])
			}
		}
	}
}

// A quota record equal to the plan's default changes nothing; one that
// changes the amount mid-quarter is prorated by days.
func TestQuotaRecords(t *testing.T) {
	plans := []*Plan{mustPlan(t, "x", 1, "2026-01-01", "")}
	assign := []PersonAssignment{{Person: "P1", Plan: "x", From: Day{day("2026-01-01")}}}
	deals := []Deal{{ID: "D1", Name: "d", OwnerID: "P1", Currency: "USD", Won: true, Amount: dec("330000"), CloseDate: day("2026-08-01")}}
	rec := func(amount, from string) Quota {
		return Quota{Person: "P1", Component: "bookings_bonus", Amount: D(amount), From: Day{day(from)}}
	}
	base := onePerson(t, plans, assign, deals, nil, nil)
	same := onePerson(t, plans, assign, deals, nil, []Quota{rec("300000", "2026-08-16")})
	if a, b := bySum(base)["bookings_bonus"], bySum(same)["bookings_bonus"]; a != b {
		t.Errorf("a quota record equal to the default changed the bonus: %s → %s", a, b)
	}
	// 300,000 for 46 days, 420,000 for 46: target (46 × 300,000 + 46 ×
	// 420,000) ÷ 92 = 360,000. 330,000 ÷ 360,000 = 91.666…%; payout 25% +
	// 41.666…% × 1.5 = 87.5%; 10,000 × 0.6 × 0.875 = 5,250.00.
	changed := onePerson(t, plans, assign, deals, nil, []Quota{rec("420000", "2026-08-16")})
	for _, l := range changed.Lines {
		if l.Component == "bookings_bonus" {
			if l.Target.String() != "360000" || l.Amount.StringFixed(2) != "5250.00" {
				t.Errorf("quota change: target %s amount %s, want 360000 5250.00", l.Target, l.Amount.StringFixed(2))
			}
		}
	}
	// The same change as a new plan version (content changed) instead
	// measures each part on its own days: v1 07-01..08-15 with no deal
	// (0%), v2 08-16..09-30 with none either; a deal of 08-01 counts for v1
	// only.
	v1 := mustPlan(t, "x", 1, "2026-01-01", "2026-08-15")
	v2src := strings.Replace(fmt.Sprintf(planSrc, "x", 2, "2026-08-16", ""), "target: 300000", "target: 420000", 1)
	v2, err := ParsePlan("x-v2.yaml", []byte(v2src))
	if err != nil {
		t.Fatal(err)
	}
	st := onePerson(t, []*Plan{v1, v2}, assign, deals, nil, nil)
	var got []string
	for _, l := range st.Lines {
		if l.Component == "bookings_bonus" {
			got = append(got, l.Plan+" "+l.Actual.String()+" "+l.Amount.StringFixed(2))
		}
	}
	// v1: 330,000 ÷ (300,000 × 46/92 = 150,000) = 220%, capped at 150% →
	// payout 200%; 10,000 × 0.6 × 2 × 46/92 = 6,000.00. v2: 0 → 0.00.
	if strings.Join(got, "; ") != "x@v1 330000 6000.00; x@v2 0 0.00" {
		t.Errorf("versions: %v", got)
	}
}

// Under marginal tiers a clawback takes back what the cancelled deal
// earned in close order; under original_rate the credited amount at the
// rate its last part was paid at.
func TestClawbackOfMarginalDeal(t *testing.T) {
	for _, tt := range []struct {
		basis, want, why string
	}{
		{"", "-9500.00", "amount_paid (the default): D2 added 50,000 × 15% + 10,000 × 20% = 9,500.00"},
		{"clawback_basis: original_rate\n", "-12000.00", "original_rate: D2's last part fell in the 20% tier: 60,000 × 20% = 12,000.00"},
	} {
		t.Run(tt.why, func(t *testing.T) {
			src := strings.Replace(commissionPlanSrc("marginal", "upper", ""), "clawback_basis: amount_paid\n", tt.basis, 1)
			p, err := ParsePlan("wx.yaml", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			q3 := runOne(t, p, "100000", "60000") // D1, D2, closed 2026-08-01
			in := RunInput{
				Quarter: period.MustParse("2026Q4"), Plans: []*Plan{p}, KnownKPI: knownKPIs,
				People:        []Person{{ID: "P1", EmployeeID: "E1", Name: "Pat", Currency: "USD"}},
				Assignments:   &Assignments{File: "a.yaml", People: []PersonAssignment{{Person: "P1", Plan: p.ID, From: Day{day("2026-01-01")}}}},
				Previous:      []Statement{*q3},
				Cancellations: []Cancellation{{"D2", day("2026-10-15")}},
				CodeVersion:   "t",
			}
			out, err := Run(in)
			if err != nil {
				t.Fatal(err)
			}
			var claws []string
			for _, l := range out.Statements[0].Lines {
				if l.Kind == LineClawback {
					claws = append(claws, l.Ref+" "+l.Amount.StringFixed(2))
				}
			}
			if strings.Join(claws, ",") != "D2 "+tt.want {
				t.Errorf("clawbacks %v, want D2 %s (%s)", claws, tt.want, tt.why)
			}
		})
	}
}

// Rounding unit and mode, with half cents: three deals of 0.25, 0.35 and
// 0.05 at 10% earn 0.025, 0.035 and 0.005 (0.065 together).
func TestRoundingConventions(t *testing.T) {
	for _, tt := range []struct {
		rounding, lines, total, why string
	}{
		{"", "0.07", "0.07", "default line/half_up: one line of 0.065 → 0.07"},
		{"rounding: {unit: line, mode: half_even}\n", "0.06", "0.06", "0.065 → 0.06 (6 is even)"},
		{"rounding: {unit: deal, mode: half_up}\n", "0.03 0.04 0.01", "0.08", "one line per deal: 0.025 → 0.03, 0.035 → 0.04, 0.005 → 0.01"},
		{"rounding: {unit: deal, mode: half_even}\n", "0.02 0.04 0.00", "0.06", "0.025 → 0.02, 0.035 → 0.04, 0.005 → 0.00"},
	} {
		t.Run(tt.why, func(t *testing.T) {
			p, err := ParsePlan("r.yaml", []byte(`id: r
version: 1
name: Rounding
effective_from: 2026-01-01
currency: USD
clawback_days: 0
`+tt.rounding+`components:
  - id: comm
    kind: commission
    credit: own
    tier_by: amount
    mode: marginal
    boundary: upper
    tiers: [{from: 0, rate: 0.1}]
`))
			if err != nil {
				t.Fatal(err)
			}
			if err := Validate([]*Plan{p}, knownKPIs); err != nil {
				t.Fatal(err)
			}
			st := runOne(t, p, "0.25", "0.35", "0.05")
			if got := strings.Join(amounts(st), " "); got != tt.lines || st.Total.StringFixed(2) != tt.total {
				t.Errorf("lines %s total %s, want %s %s", got, st.Total.StringFixed(2), tt.lines, tt.total)
			}
		})
	}
}

// A retroactive base and a marginal accelerator stacked on the same
// credits (quota 100,000; deals D1 100,000 then D2 60,000, 160%):
//
//	base 5% retroactive on everything:   160,000 × 5%              = 8,000.00
//	accelerator, marginal, stack: true:  50,000 × 3% + 10,000 × 5%  = 2,000.00
//
// D1 is paid 5,000.00 (base only), D2 3,000.00 + 2,000.00 = 5,000.00.
func TestStackedBaseAndAccelerator(t *testing.T) {
	src := `id: st
version: 1
name: Base and accelerator
effective_from: 2026-01-01
currency: USD
clawback_days: 90
components:
  - id: base
    kind: commission
    credit: own
    tier_by: attainment
    quota: 100000
    mode: retroactive
    boundary: upper
    tiers: [{from: 0, rate: 0.05}]
  - id: accelerator
    kind: commission
    credit: own
    stack: true
    tier_by: attainment
    quota: 100000
    mode: marginal
    boundary: upper
    tiers: [{from: 0, to: 1, rate: 0}, {from: 1, to: 1.5, rate: 0.03}, {from: 1.5, rate: 0.05}]
`
	p, err := ParsePlan("st.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate([]*Plan{p}, knownKPIs); err != nil {
		t.Fatal(err)
	}
	st := runOne(t, p, "100000", "60000")
	if got := strings.Join(amounts(st), " "); got != "8000.00 0.00 1500.00 500.00" || st.Total.StringFixed(2) != "10000.00" {
		t.Errorf("lines %s total %s", got, st.Total.StringFixed(2))
	}
	var paid []string
	for _, c := range st.Credits {
		var parts []string
		for _, p := range c.Payments {
			parts = append(parts, p.Component+"="+p.Paid.StringFixed(2))
		}
		paid = append(paid, c.DealID+" "+c.Paid.StringFixed(2)+" ("+strings.Join(parts, " ")+")")
	}
	if want := "D1 5000.00 (base=5000.00 accelerator=0.00); D2 5000.00 (base=3000.00 accelerator=2000.00)"; strings.Join(paid, "; ") != want {
		t.Errorf("paid %s, want %s", strings.Join(paid, "; "), want)
	}
	// Without stack: true the second component is refused.
	p2, err := ParsePlan("st.yaml", []byte(strings.Replace(src, "    stack: true\n", "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate([]*Plan{p2}, knownKPIs); err == nil || !strings.Contains(err.Error(), "base and accelerator would both pay") {
		t.Errorf("want the overlap refused, got %v", err)
	}
}

// The team bonus and the team commission count the same credits: the
// reports' on each close date (a move between managers), split shares.
func TestTeamBonusFollowsTeamDates(t *testing.T) {
	in := demoInput(t)
	in.Deals = append(in.Deals, Deal{ID: "006C03", Name: "Lena late", OwnerID: lena, Amount: dec("3000"), Currency: "USD", CloseDate: day("2026-09-05"), Won: true, Type: "new_business"})
	for i := range in.People {
		if in.People[i].ID == lena {
			in.People[i].Managers = []ManagerSpan{{ManagerID: sam, From: day("2023-08-21"), To: day("2026-08-31")}, {ManagerID: maria, From: day("2026-09-01")}}
		}
	}
	out, err := Run(in)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, st := range out.Statements {
		for _, l := range st.Lines {
			if l.Component == "team_bookings" || l.Component == "team_override" {
				got[st.PersonID+" "+l.Component] = l.Actual.String()
			}
		}
	}
	// Maria: 665,000 + Lena's 3,000 of 09-05 (after her move) = 668,000;
	// override 715,000 + 3,000. Sam keeps Lena's Stark of 08-28: 640,000.
	want := map[string]string{maria + " team_bookings": "668000", maria + " team_override": "718000", sam + " team_bookings": "640000", sam + " team_override": "640000"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %s, want %s", k, got[k], v)
		}
	}
}
