package kpi

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/period"
)

var q3Close = Period{Quarter: period.MustParse("2026Q3"), AsOf: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Final: true}

// TestAttributionWindows checks every model on the window boundaries of
// attribution-org.yaml against the hand-worked attribution-org.expect.yaml.
func TestAttributionWindows(t *testing.T) {
	checkExpect(t, loadTestConfig(t), "attribution-org.yaml", "attribution-org.expect.yaml")
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
// cent comes back from N8 again. Every other split of the org is exact.
func TestAttributionHalfUpRounding(t *testing.T) {
	cfg := testConfigWith(t, "rounding: largest_remainder", "rounding: half_up_largest_share")
	res, err := Compute(cfg, loadFixture(t, "attribution-org.yaml"), q3Close)
	if err != nil {
		t.Fatal(err)
	}
	p := "mktg_influenced_pipeline"
	expectValues(t, res, map[[3]string]string{
		{p, ModelEven, "C1"}: "3000.01", {p, ModelEven, "C4"}: "3000.00",
		{p, ModelWShaped, "C1"}: "3500.01", {p, ModelWShaped, "C4"}: "3500.00",
		{p, ModelFullPath, "C1"}: "3083.34", {p, ModelFullPath, "C2"}: "4833.34", {p, ModelFullPath, "C4"}: "2583.33",
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
// day and has none).
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
		{"N1", "C1", "Webinar", "first_touch", 225_000_000_000, 225_000},
		{"N2", "C2", "Email", "lead_creation", 225_000_000_000, 225_000},
		{"N3", "C3", "Event", "middle", 50_000_000_000, 50_000},
		{"N4", "C4", "Content", "opp_creation", 225_000_000_000, 225_000},
		{"N5", "C1", "Webinar", "middle", 50_000_000_000, 50_000},
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
