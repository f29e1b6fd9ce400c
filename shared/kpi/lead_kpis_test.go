package kpi

import (
	"os"
	"strings"
	"testing"
)

// TestLeadKPIs checks lead-kpis-org.expect.yaml (worked by hand in its
// comments): lead velocities and their medians, cohort conversion under
// funnel.cohort: non_nested, and the deal counts of each attribution window.
func TestLeadKPIs(t *testing.T) {
	checkExpect(t, loadTestConfig(t), "lead-kpis-org.yaml", "lead-kpis-org.expect.yaml")
}

// TestLeadKPIsNested checks the same org under funnel.cohort: nested.
func TestLeadKPIsNested(t *testing.T) {
	data, err := os.ReadFile("testdata/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const old = "cohort: non_nested"
	if !strings.Contains(string(data), old) {
		t.Fatalf("testdata/config.yaml no longer says %q", old)
	}
	cfg, err := LoadConfig("testdata/config.yaml", []byte(strings.Replace(string(data), old, "cohort: nested", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Cohort != CohortNested {
		t.Fatalf("cohort rule %q", cfg.Cohort)
	}
	checkExpect(t, cfg, "lead-kpis-org.yaml", "lead-kpis-org.nested.expect.yaml")
}
