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
// comments): leads_disqualified and leads_recycled of an org without
// LeadHistory, read from the current Status of the leads cohort.
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

// TestLeadExitsFromHistory checks lead-exits-history-org.expect.yaml
// (worked by hand in its comments): exits read from LeadHistory's Status
// changes in the period.
func TestLeadExitsFromHistory(t *testing.T) {
	checkExpect(t, loadTestConfig(t), "lead-exits-history-org.yaml", "lead-exits-history-org.expect.yaml")
}

// TestLeadExitSource: the history is read when it holds a Status change
// known at the as-of instant; without one (no LeadHistory, only other
// fields, or changes only after the as-of) the KPIs read the current
// Status of the period's unconverted leads, and the result says which.
// Current-status values of lead-exits-history-org.yaml, final 2026Q3: the
// live unconverted leads created in Q3 are H3 (Unqualified), H5
// (Disqualified), H7 (Open), H9 (Nurture) and H10 (Recycled): disqualified
// H3 H5 = 2, recycled H9 H10 = 2.
func TestLeadExitSource(t *testing.T) {
	cfg := loadTestConfig(t)
	q3 := Period{Quarter: period.MustParse("2026Q3"), AsOf: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Final: true}
	full := loadFixture(t, "lead-exits-history-org.yaml")
	var titles, late []LeadHistory
	if err := full.LeadHistory(func(rows []LeadHistory) error {
		for _, h := range rows {
			if h.Field != "Status" {
				titles = append(titles, h)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	late = append(late, LeadHistory{ID: "LH99", LeadID: "H1", Field: "Status", OldValue: "Working", NewValue: "Disqualified", CreatedDate: q3.AsOf.UnixMicro()})
	cases := []struct {
		name       string
		history    Source[LeadHistory]
		want       LeadExitSource
		disq, recy string
	}{
		{"history", full.LeadHistory, ExitsFromLeadHistory, "3", "2"},
		{"no LeadHistory", nil, ExitsFromCurrentStatus, "2", "2"},
		{"no Status row", Rows(titles), ExitsFromCurrentStatus, "2", "2"},
		{"a Status row after the as-of only", Rows(late), ExitsFromCurrentStatus, "2", "2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := loadFixture(t, "lead-exits-history-org.yaml")
			in.LeadHistory = c.history
			res, err := Compute(cfg, in, q3)
			if err != nil {
				t.Fatal(err)
			}
			if res.LeadExitSource != c.want {
				t.Errorf("LeadExitSource %q, want %q", res.LeadExitSource, c.want)
			}
			for kpi, want := range map[string]string{"leads_disqualified": c.disq, "leads_recycled": c.recy} {
				if v, ok := res.Get(kpi, DimOrg, KeyAll, ""); !ok || v.Value.String() != want {
					t.Errorf("%s org: %+v (present %v), want %s", kpi, v, ok, want)
				}
			}
		})
	}
}

// TestLeadExitsStatusField: funnel.lead_exits.status_field names the
// LeadHistory Field of the Status changes (default Status); one with
// surrounding spaces is refused naming the key.
func TestLeadExitsStatusField(t *testing.T) {
	data, err := os.ReadFile("testdata/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const old = "    recycled: [Recycled, Nurture]\n"
	for _, c := range []struct{ line, want, err string }{
		{"", "Status", ""},
		{"    status_field: Lead_Stage__c\n", "Lead_Stage__c", ""},
		{"    status_field: ' Status'\n", "", "funnel.lead_exits.status_field"},
	} {
		cfg, err := LoadConfig("testdata/config.yaml", []byte(strings.Replace(string(data), old, old+c.line, 1)))
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%q: error %v, want one naming %s", c.line, err, c.err)
		case c.err == "" && err != nil:
			t.Errorf("%q: %v", c.line, err)
		case c.err == "" && cfg.ExitStatusField != c.want:
			t.Errorf("%q: status field %q, want %q", c.line, cfg.ExitStatusField, c.want)
		}
	}
}
