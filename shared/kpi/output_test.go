package kpi

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

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
	// bookings 13,000.00: amount DECIMAL(18,2) on int64 is 1,300,000; a
	// count of money, no quotient: NULL numerator and denominator.
	if b.Value != 13_000_000_000 || b.Amount == nil || *b.Amount != 1_300_000 || b.Numerator != nil || b.Denominator != nil || b.Currency != "USD" || b.Quarter != "2026Q3" || b.AsOf != 20727 || !b.Final {
		t.Errorf("bookings row %+v", b)
	}
	w := find("conv_sql_opp", DimOrg, KeyAll)
	if w.Value != 1_666_667 || w.Numerator == nil || *w.Numerator != 5_000_000 || w.Denominator == nil || *w.Denominator != 3_000_000 || w.Amount != nil {
		t.Errorf("conv_sql_opp row %+v", w)
	}
	if l := find("leads", DimOrg, KeyAll); l.Numerator != nil || l.Denominator != nil || l.Amount != nil {
		t.Errorf("leads row %+v: a count has no numerator, denominator or amount", l)
	}
	// The side of the Venn, as docs/kpis.md §2 files each KPI: leads
	// (2.1, marketing), bookings and conv_sql_opp (shared), opps_won and
	// win_rate (sales).
	for kpi, side := range map[string]string{"leads": "marketing", "bookings": "shared", "conv_sql_opp": "shared", "opps_won": "sales", "win_rate": "sales"} {
		if r := find(kpi, DimOrg, KeyAll); r.Side != side {
			t.Errorf("%s side %q, want %q", kpi, r.Side, side)
		}
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

// TestScorecardMissingBaseline: a KPI with no prior-quarter value, or an
// undefined one (a ratio over nothing), shows n/a as baseline and change;
// a defined baseline of 0.0% still gives a change in points.
func TestScorecardMissingBaseline(t *testing.T) {
	ratio := func(v string, defined bool) Value {
		return Value{KPI: "win_rate", Dimension: DimOrg, Key: KeyAll, Unit: UnitRatio, Value: decimal.RequireFromString(v), Quotient: true, Defined: defined}
	}
	count := Value{KPI: "opps_won", Dimension: DimOrg, Key: KeyAll, Unit: UnitCount, Value: decimal.NewFromInt(9), Defined: true}
	cur := &Result{Quarter: "2026Q3", AsOf: time.Date(2026, 8, 16, 0, 0, 0, 0, time.UTC), Values: []Value{count, ratio("0.818182", true)}}
	for _, c := range []struct {
		name string
		prev []Value
		want map[string][2]string // KPI → baseline, change
	}{
		{"no baseline", nil, map[string][2]string{"win_rate": {"n/a", "n/a"}, "opps_won": {"n/a", "n/a"}}},
		{"undefined baseline", []Value{ratio("0", false)}, map[string][2]string{"win_rate": {"n/a", "n/a"}}},
		{"zero baseline", []Value{ratio("0", true)}, map[string][2]string{"win_rate": {"0.0%", "+81.8 pp"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			prev := &Result{Quarter: "2026Q2", AsOf: time.Date(2026, 5, 16, 0, 0, 0, 0, time.UTC), Values: c.prev}
			var b strings.Builder
			if err := WriteScorecard(&b, cur, prev); err != nil {
				t.Fatal(err)
			}
			for kpi, w := range c.want {
				var fields []string
				for _, line := range strings.Split(b.String(), "\n") {
					if f := strings.Fields(line); len(f) > 0 && f[0] == kpi {
						fields = f
					}
				}
				got := strings.Join(fields, " ")
				if !strings.HasPrefix(got, kpi+" ") || !strings.HasSuffix(got, " "+w[0]+" "+w[1]) {
					t.Errorf("%s line %q, want baseline %q and change %q", kpi, got, w[0], w[1])
				}
			}
		})
	}
}
