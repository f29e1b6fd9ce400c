package kpicheck

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/kpisql"
)

// TestGeneratedSQLAgreesWithEngine runs shared/kpisql's DuckDB SQL over
// the lake files of generated orgs (two seeds), for the periods of
// checkPeriods under the default and the variant
// configuration, and compares every value of every KPI it covers with the
// engine's.
func TestGeneratedSQLAgreesWithEngine(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 5000
	}
	ctx := context.Background()
	variant, err := VariantConfig()
	if err != nil {
		t.Fatal(err)
	}
	nonZero := map[string]int{}
	for _, seed := range []uint64{42, 7} {
		b, files, db := generatedOrg(t, seed, n)
		for _, p := range checkPeriods {
			for _, cfg := range []*kpi.Config{kpi.DefaultConfig(), variant} {
				res, err := kpi.Compute(cfg, files.Inputs(ctx, b, 2), p)
				if err != nil {
					t.Fatal(err)
				}
				got, err := RunGenerated(db, kpisql.DuckDB, cfg, p)
				if err != nil {
					t.Fatal(err)
				}
				rep := CompareGenerated(res.Values, got)
				what := fmt.Sprintf("seed %d, %s, %s as of %s", seed, cfg.Name, p.Quarter, p.AsOf.Format(time.RFC3339))
				t.Logf("%s: %d values compared over %d KPIs, %d mismatches", what, rep.Values, len(rep.PerKPI), len(rep.Mismatches))
				if len(rep.Mismatches) > 0 {
					t.Errorf("%s: %d of %d values differ:\n%s", what, len(rep.Mismatches), rep.Values, rep.Summary(30))
				}
				for k, n := range rep.NonZero {
					nonZero[k] += n
				}
			}
		}
	}
	for _, d := range kpi.Catalog() {
		if kpisql.Covered(d.Name) && nonZero[d.Name] == 0 {
			t.Errorf("%s is zero or undefined in every run: the comparison proves nothing for it", d.Name)
		}
	}
}
