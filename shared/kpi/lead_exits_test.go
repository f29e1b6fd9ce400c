package kpi

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/period"
)

// TestLeadExits checks lead-exits-org.expect.yaml (worked by hand in its
// comments): leads_disqualified and leads_recycled over the leads cohort.
func TestLeadExits(t *testing.T) {
	checkExpect(t, loadTestConfig(t), "lead-exits-org.yaml", "lead-exits-org.expect.yaml")
}

// TestLeadExitsConfig: funnel.lead_exits is optional; a status in both
// lists, twice, blank, or also a stage status is rejected naming the key.
func TestLeadExitsConfig(t *testing.T) {
	data, err := os.ReadFile("testdata/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const old = "    recycled: [Recycled, Nurture]\n"
	if !strings.Contains(string(data), old) {
		t.Fatalf("testdata/config.yaml no longer says %q", old)
	}
	cases := []struct {
		name, recycled string
		wantPath       string // "" = valid
		other          string // what the error names beside the key
		want           []string
	}{
		{"valid", "    recycled: [Recycled]\n", "", "", []string{"Recycled"}},
		{"absent", "", "", "", nil},
		{"in both lists", "    recycled: [Recycled, Disqualified]\n", "funnel.lead_exits.recycled[1]", "funnel.lead_exits.disqualified", nil},
		{"an MQL status", "    recycled: [MQL]\n", "funnel.lead_exits.recycled[0]", "funnel.mql.statuses", nil},
		{"an SQL status", "    recycled: [Recycled, Sales Accepted]\n", "funnel.lead_exits.recycled[1]", "funnel.sql.statuses", nil},
		{"twice in a list", "    recycled: [Nurture, Nurture]\n", "funnel.lead_exits.recycled[1]", "Nurture", nil},
		{"blank", "    recycled: [' ']\n", "funnel.lead_exits.recycled[0]", "empty value", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := LoadConfig("testdata/config.yaml", []byte(strings.Replace(string(data), old, c.recycled, 1)))
			if c.wantPath == "" {
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(cfg.RecycledStatuses, c.want) {
					t.Errorf("recycled %q, want %q", cfg.RecycledStatuses, c.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantPath+":") || !strings.Contains(err.Error(), c.other) {
				t.Fatalf("error %v, want one naming %s and %q", err, c.wantPath, c.other)
			}
		})
	}
}

// TestLeadExitsUnconfigured: an org that lists no recycled statuses gets no
// leads_recycled value in any dimension (n/a, not 0), while the configured
// disqualified list still counts (3 at org level, worked in
// lead-exits-org.expect.yaml).
func TestLeadExitsUnconfigured(t *testing.T) {
	data, err := os.ReadFile("testdata/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig("testdata/config.yaml", []byte(strings.Replace(string(data), "    recycled: [Recycled, Nurture]\n", "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Compute(cfg, loadFixture(t, "lead-exits-org.yaml"), Period{Quarter: period.MustParse("2026Q3"), AsOf: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Final: true})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := res.Get("leads_disqualified", DimOrg, KeyAll, ""); !ok || !v.Defined || v.Value.String() != "3" {
		t.Errorf("leads_disqualified org: %+v (present %v), want 3", v, ok)
	}
	for _, v := range res.Values {
		if v.KPI == "leads_recycled" {
			t.Errorf("leads_recycled %s=%s reported as %s (defined %v); want no value: no recycled statuses configured", v.Dimension, v.Key, v.Value, v.Defined)
		}
	}
}
