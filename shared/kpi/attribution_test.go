package kpi

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"

	"github.com/venn-revops/venn/shared/period"
)

var q3Close = Period{Quarter: period.MustParse("2026Q3"), AsOf: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Final: true}

// TestAttributionWindows checks every model on the window boundaries of
// attribution-org.yaml against the hand-worked attribution-org.expect.yaml.
func TestAttributionWindows(t *testing.T) {
	checkExpect(t, loadTestConfig(t), "attribution-org.yaml", "attribution-org.expect.yaml")
}

// TestAttributionLeadCreationLast: the same org with the lead-creation
// touch read as the last touch at or before the lead's creation, no grace
// (attribution-org.last.expect.yaml, worked by hand).
func TestAttributionLeadCreationLast(t *testing.T) {
	cfg := testConfigWith(t, "lead_creation: {pick: first, grace: 1m}", "lead_creation: {pick: last, grace: 0s}")
	checkExpect(t, cfg, "attribution-org.yaml", "attribution-org.last.expect.yaml")
}

// TestLeadCreationPosition: the lead-creation candidates end at the lead's
// CreatedDate + grace, inclusive; pick chooses the first or the last.
// Touches (microseconds from the lead's creation): −1 s, 0, +5 ms (the
// creating member Salesforce writes just after the lead), +60 s, +60 s +
// 1 µs.
func TestLeadCreationPosition(t *testing.T) {
	const sec = int64(1_000_000)
	lead := int64(1_000_000) * sec
	at := []int64{lead - sec, lead, lead + 5_000, lead + 60*sec, lead + 60*sec + 1}
	ts := make([]touch, len(at))
	for i, a := range at {
		ts[i] = touch{at: a}
	}
	o := &opp{hasLead: true, leadCreated: lead, created: lead + 3600*sec}
	for _, c := range []struct {
		pick  LCPick
		grace time.Duration
		ts    []touch
		want  int
	}{
		{LCFirst, time.Minute, ts, 0}, // touched before the lead existed: FT = LC
		{LCLast, time.Minute, ts, 3},  // +60 s is inside, +60 s + 1 µs is not
		{LCLast, 0, ts, 1},            // exactly at creation counts, +5 ms does not
		{LCLast, 5 * time.Millisecond, ts, 2},
		{LCFirst, 0, ts[2:], -1},           // only the +5 ms member: no LC without grace
		{LCFirst, time.Minute, ts[2:], 0},  // with grace it is the LC
		{LCFirst, time.Minute, ts[4:], -1}, // one microsecond past the grace
	} {
		p := positionsOf(c.ts, o, WindowOppCreation, LeadCreation{Pick: c.pick, Grace: c.grace})
		if p.lc != c.want {
			t.Errorf("pick %s grace %s over %d touches: lc %d, want %d", c.pick, c.grace, len(c.ts), p.lc, c.want)
		}
	}
	noLead := &opp{created: o.created}
	if p := positionsOf(ts, noLead, WindowOppCreation, LeadCreation{Pick: LCFirst, Grace: time.Minute}); p.lc != -1 {
		t.Errorf("no converted lead: lc %d, want -1", p.lc)
	}
}

// testConfigWith is testdata/config.yaml with one edit.
func testConfigWith(t *testing.T, old, new string) *Config {
	t.Helper()
	data, err := os.ReadFile("testdata/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("testdata/config.yaml has no %q", old)
	}
	cfg, err := LoadConfig("testdata/config.yaml", []byte(strings.Replace(string(data), old, new, 1)))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func expectValues(t *testing.T, res *Result, want map[[3]string]string) {
	t.Helper()
	for k, w := range want {
		v, ok := res.Get(k[0], DimCampaign, k[2], k[1])
		if !ok {
			v.Value = decimal.Zero
		}
		if !v.Value.Equal(decimal.RequireFromString(w)) {
			t.Errorf("%s %s campaign %s: %s, want %s", k[0], k[1], k[2], v.Value, w)
		}
	}
}

// Half up, leftover to the largest share (ties: the earliest touch): P3's
// 1,000.01 over two equal touches is 500.005 each, both round up to 500.01,
// and the cent too many comes back from the earliest of the tied largest
// shares (N8, C4). Full path's thirds: 333.3367 each round to 333.34, the
// cent comes back from N8 again. P1's full path (N1 FT+LC .45, N2, N3, N5
// middle 1/30 = 333.3333 each round down to 333.33, N4 OC and N6 CW .225):
// 4,500 + 3 × 333.33 + 2 × 2,250 = 9,999.99, the missing cent goes to the
// largest share, N1 (C1): 4,500.01. C1 = 4,500.01 + N5 333.33 + N9 333.34 =
// 5,166.68; C2 = N2 333.33 + N6 2,250.00 + N10 333.34 = 2,916.67; C4 = N4
// 2,250.00 + N8 333.33 = 2,583.33. P1's w_shaped (.6/.05/.05/.3) is exact:
// C1 = 6,000.00 + N9 500.01 = 6,500.01; C4 = 3,000.00 + N8 500.00.
func TestAttributionHalfUpRounding(t *testing.T) {
	cfg := testConfigWith(t, "rounding: largest_remainder", "rounding: half_up_largest_share")
	res, err := Compute(cfg, loadFixture(t, "attribution-org.yaml"), q3Close)
	if err != nil {
		t.Fatal(err)
	}
	p := "mktg_influenced_pipeline"
	expectValues(t, res, map[[3]string]string{
		{p, ModelEven, "C1"}: "3000.01", {p, ModelEven, "C4"}: "3000.00",
		{p, ModelWShaped, "C1"}: "6500.01", {p, ModelWShaped, "C4"}: "3500.00",
		{p, ModelFullPath, "C1"}: "5166.68", {p, ModelFullPath, "C2"}: "2916.67", {p, ModelFullPath, "C4"}: "2583.33",
		{p, ModelTimeDecay, "C1"}: "1643.61", {p, ModelTimeDecay, "C4"}: "5006.72",
	})
}

// FirstRespondedDate is a date: N4 (14:59:59) and N5 (15:00:01) both
// responded on 2026-07-20, so both are dated 00:00 that day, before P1's
// creation at 15:00; the tie goes by member Id and N5 becomes the
// opportunity-creation touch (C1). Members without the date fall back to
// created_date.
func TestAttributionTouchTimeFirstResponded(t *testing.T) {
	cfg := testConfigWith(t, "touch_time: [created_date]", "touch_time: [first_responded_date, created_date]")
	res, err := Compute(cfg, loadFixture(t, "attribution-org.yaml"), q3Close)
	if err != nil {
		t.Fatal(err)
	}
	p := "mktg_influenced_pipeline"
	expectValues(t, res, map[[3]string]string{
		{p, ModelLastTouch, "C1"}: "11000.01", {p, ModelLastTouch, "C4"}: "0",
		// Even now has five touches on P1: 2,000.00 each; N1 and N5 are C1.
		{p, ModelEven, "C1"}: "4500.00", {p, ModelEven, "C4"}: "2500.01",
	})
}

// P1's full-path credit rows, worked by hand: positions, weights, cents
// and the window rule, one row per admitted touch (N7 is after the close
// day and has none). N1 is FT and LC (.45); N2, N3, N5 share the middle
// .1 (1/30 = 0.033333333333 in 10⁻¹² units; 33,333.33 cents each, the
// leftover cent to the earliest of the tied remainders, N2).
func TestCreditRowsFullPath(t *testing.T) {
	res, err := Compute(loadTestConfig(t), loadFixture(t, "attribution-org.yaml"), q3Close, WithCredits())
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		touch, campaign, channel, position string
		weight, cents                      int64
	}
	want := []row{
		{"N1", "C1", "Webinar", "first_touch+lead_creation", 450_000_000_000, 450_000},
		{"N2", "C2", "Email", "middle", 33_333_333_333, 33_334},
		{"N3", "C3", "Event", "middle", 33_333_333_333, 33_333},
		{"N4", "C4", "Content", "opp_creation", 225_000_000_000, 225_000},
		{"N5", "C1", "Webinar", "middle", 33_333_333_333, 33_333},
		{"N6", "C2", "Email", "closed_won", 225_000_000_000, 225_000},
	}
	var got []row
	for _, c := range res.Credits {
		if c.Opportunity != "P1" || c.Model != ModelFullPath {
			continue
		}
		got = append(got, row{c.Touch, c.Campaign, c.Channel, c.Position, c.Weight, c.Cents})
		if c.Window != "from 180 days before opportunity creation to the end of the close day" || !c.Pipeline || !c.Bookings || c.Amount != 1_000_000 {
			t.Errorf("%s: window %q, pipeline %v, bookings %v, amount %d", c.Touch, c.Window, c.Pipeline, c.Bookings, c.Amount)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("P1 full path rows %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	// P2 has no touch: one unattributed row per model with the whole amount.
	n := 0
	for _, c := range res.Credits {
		if c.Opportunity == "P2" {
			n++
			if c.Touch != "" || c.Campaign != KeyUnattributed || c.Cents != 500_000 {
				t.Errorf("P2 %s: %+v", c.Model, c)
			}
		}
	}
	if n != len(Models) {
		t.Errorf("P2: %d rows, want one per model (%d)", n, len(Models))
	}
	// Under u_shaped the touches after LC are admitted with no weight.
	for _, c := range res.Credits {
		if c.Opportunity == "P1" && c.Model == ModelUShaped && c.Touch == "N4" && (c.Position != "none" || c.Cents != 0 || c.Weight != 0) {
			t.Errorf("P1 u_shaped N4: %+v", c)
		}
	}
}

// credit_rows: false keeps a model's rows out of the gold table; its
// values are unchanged.
func TestCreditRowsOptOut(t *testing.T) {
	cfg := testConfigWith(t, "    time_decay:\n      window: opp_creation\n", "    time_decay:\n      window: opp_creation\n      credit_rows: false\n")
	res, err := Compute(cfg, loadFixture(t, "attribution-org.yaml"), q3Close, WithCredits())
	if err != nil {
		t.Fatal(err)
	}
	models := map[string]int{}
	for _, c := range res.Credits {
		models[c.Model]++
	}
	if models[ModelTimeDecay] != 0 || models[ModelFullPath] == 0 {
		t.Fatalf("rows by model %v: want none for time_decay, some for the rest", models)
	}
	if v, _ := res.Get("mktg_influenced_pipeline", DimCampaign, "C4", ModelTimeDecay); !v.Value.Equal(decimal.RequireFromString("5006.72")) {
		t.Errorf("time_decay C4: %s", v.Value)
	}
}

// TestBoundaries checks every catalog KPI of the engine before issue 12's
// new KPIs, and every model, on the window boundaries of
// boundaries-org.yaml (worked by hand in boundaries-org.expect.yaml).
func TestBoundaries(t *testing.T) {
	covered := checkExpect(t, loadTestConfig(t), "boundaries-org.yaml", "boundaries-org.expect.yaml")
	for _, k := range boundaryKPIs {
		if _, ok := Lookup(k); !ok {
			t.Errorf("%s is no longer in the catalog: update boundaryKPIs and the fixture", k)
		}
		if !covered[k] {
			t.Errorf("boundaries-org.expect.yaml has no expectation for %s", k)
		}
	}
	data, err := os.ReadFile("testdata/boundaries-org.expect.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var ef expectFile
	if err := yaml.Unmarshal(data, &ef); err != nil {
		t.Fatal(err)
	}
	models := map[string]bool{}
	for _, c := range ef.Cases {
		for _, x := range c.Expect {
			models[x.Model] = true
		}
	}
	for _, m := range Models {
		if !models[m] {
			t.Errorf("boundaries-org.expect.yaml has no expectation under model %s", m)
		}
	}
}

// boundaryKPIs are the catalog KPIs boundaries-org.yaml must cover: every
// KPI the engine had before issue 12's new ones (those come with their own
// fixtures; TestEveryKPIHasAFixture covers the whole catalog).
var boundaryKPIs = []string{
	"leads", "mqls", "sqls", "opps_created", "opps_won", "opps_lost", "bookings", "pipeline_created",
	"open_pipeline", "win_rate", "avg_deal_size", "sales_cycle_days", "conv_lead_mql", "conv_mql_sql",
	"conv_sql_opp", "conv_opp_won", "conv_lead_mql_cohort", "conv_mql_sql_cohort", "conv_sql_opp_cohort",
	"conv_opp_won_cohort", "velocity_mql_sql_days", "velocity_sql_opp_days", "velocity_opp_won_days",
	"bookings_target", "bookings_attainment", "pipeline_target", "pipeline_attainment", "pipeline_coverage",
	"mktg_sourced_pipeline", "mktg_sourced_bookings", "mktg_sourced_opps", "mktg_influenced_pipeline",
	"mktg_influenced_bookings", "lead_response_hours_median", "lead_sla_compliance", "meetings",
	"renewal_rate", "nrr",
}

// TestBoundariesHalfUp: the same org under rounding half_up_largest_share
// (boundaries-org.half-up.expect.yaml, worked by hand).
func TestBoundariesHalfUp(t *testing.T) {
	cfg := testConfigWith(t, "rounding: largest_remainder", "rounding: half_up_largest_share")
	checkExpect(t, cfg, "boundaries-org.yaml", "boundaries-org.half-up.expect.yaml")
}

// TestBoundariesHalfLife: time decay reads its configured half-life
// (boundaries-org.half-life-14.expect.yaml, worked by hand at 14 days).
func TestBoundariesHalfLife(t *testing.T) {
	cfg := testConfigWith(t, "half_life_days: 7", "half_life_days: 14")
	checkExpect(t, cfg, "boundaries-org.yaml", "boundaries-org.half-life-14.expect.yaml")
}
