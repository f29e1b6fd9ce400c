package kpi

import (
	"bytes"
	"flag"
	"os"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/period"
)

var update = flag.Bool("update", false, "rewrite golden files")

func smallOrg(t *testing.T, asOf time.Time, final bool) *Result {
	t.Helper()
	res, err := Compute(loadTestConfig(t), loadFixture(t, "small-org.yaml"), Period{Quarter: period.MustParse("2026Q3"), AsOf: asOf, Final: final})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestScorecardGolden renders the small org's quarter to date on Aug 16
// against its final figures (as a stand-in for "the previous quarter");
// the golden file is reviewed by eye.
func TestScorecardGolden(t *testing.T) {
	cur := smallOrg(t, time.Date(2026, 8, 16, 0, 0, 0, 0, time.UTC), false)
	prev := smallOrg(t, time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), true)
	var b bytes.Buffer
	if err := WriteScorecard(&b, cur, prev, DimOrg, DimTeam); err != nil {
		t.Fatal(err)
	}
	const golden = "testdata/scorecard.golden"
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Fatalf("scorecard differs from %s (run with -update and review):\n%s", golden, b.String())
	}
}

// TestGoldRows checks the fixed-point encoding of gold rows.
func TestGoldRows(t *testing.T) {
	res := smallOrg(t, time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), true)
	rows := res.Rows()
	if len(rows) != len(res.Values) {
		t.Fatalf("%d rows for %d values", len(rows), len(res.Values))
	}
	find := func(kpi, dim, key string) GoldRow {
		for _, r := range rows {
			if r.KPI == kpi && r.Dimension == dim && r.Key == key && r.Model == "" {
				return r
			}
		}
		t.Fatalf("no row %s %s %s", kpi, dim, key)
		return GoldRow{}
	}
	b := find("bookings", DimOrg, KeyAll)
	if b.Value != 13_000_000_000 || b.ValueCents == nil || *b.ValueCents != 1_300_000 || b.Currency != "USD" || b.Quarter != "2026Q3" || b.AsOf != 20727 || !b.Final {
		t.Errorf("bookings row %+v", b)
	}
	w := find("conv_sql_opp", DimOrg, KeyAll)
	if w.Value != 1_666_667 || w.Numerator != 5_000_000 || w.Denominator != 3_000_000 || w.ValueCents != nil {
		t.Errorf("conv_sql_opp row %+v", w)
	}
	u := find("velocity_opp_won_days", DimTeam, "West")
	if u.Defined || u.Value != 0 {
		t.Errorf("undefined row %+v", u)
	}
}

func TestStats(t *testing.T) {
	res := smallOrg(t, time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), true)
	s := res.Stats
	// 7 leads, 8 opportunities, 11 members read; touches M1-M4 (O1), M9 (O3), M10-M11 (O4).
	if s.Rows["leads"] != 7 || s.Rows["opportunities"] != 8 || s.Rows["campaign_members"] != 11 || s.Touches != 7 || len(s.UnclassifiedTypes) != 0 {
		t.Fatalf("stats %+v", s)
	}
}
