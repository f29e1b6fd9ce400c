package kpicheck

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/kpi/kpigen"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
	"github.com/venn-revops/venn/shared/period"
)

// TestEveryCatalogKPIHasSQL: the whole-catalog cross-check computes every
// KPI of the catalog, so a KPI added without its SQL (in its area's
// catalog_sql_<area>.go) fails here, by name.
func TestEveryCatalogKPIHasSQL(t *testing.T) {
	for _, d := range kpi.Catalog() {
		if _, ok := catalogSQL[d.Name]; !ok {
			t.Errorf("catalog KPI %s has no DuckDB query: register one in scripts/checks/kpicheck/catalog_sql_<area>.go (see catalog_sql.go)", d.Name)
		}
	}
	for name := range catalogSQL {
		if _, ok := kpi.Lookup(name); !ok {
			t.Errorf("query registered for %s, which is not in the catalog", name)
		}
	}
}

// TestCatalogAgreesWithDuckDB computes the whole catalog with the engine
// and with DuckDB SQL over the same lake files of a generated org, for
// several seeds and periods (final, quarter to date, hours into a
// quarter) and two configurations (the default, and testdata/variant.yaml:
// other windows, weights, touch instant, rounding, lead-creation pick,
// cohort rule, SLA, task types, classes and dimensions), and compares
// every value.
func TestCatalogAgreesWithDuckDB(t *testing.T) {
	n := 30000
	if testing.Short() {
		n = 6000
	}
	agreeOnGeneratedOrgs(t, n, func(name string) bool { _, ok := catalogSQL[name]; return ok }, CheckCatalog)
}

// agreeOnGeneratedOrgs computes the catalog with the engine over generated
// orgs of n leads (seeds 42 and 7) for every period of checkPeriods under
// the default and the variant configuration, and has compare check it
// against SQL over the same files. A KPI covered by the SQL that is zero
// or undefined in every run proves nothing: the generated org
// (shared/kpi/kpigen) must give it data.
func agreeOnGeneratedOrgs(t *testing.T, n int, covered func(kpi string) bool, compare func(db *sql.DB, cfg *kpi.Config, p kpi.Period, res *kpi.Result) (CatalogReport, error)) {
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
				rep, err := compare(db, cfg, p, res)
				if err != nil {
					t.Fatal(err)
				}
				what := fmt.Sprintf("seed %d, %s, %s as of %s", seed, cfg.Name, p.Quarter, p.AsOf.Format(time.RFC3339))
				t.Logf("%s: %d values compared over %d KPIs, %d mismatches", what, rep.Values, len(rep.PerKPI), len(rep.Mismatches))
				if len(rep.Mismatches) > 0 {
					t.Errorf("%s: %d of %d values differ:\n%s", what, len(rep.Mismatches), rep.Values, rep.Summary(30))
				}
				for k, n := range rep.NonZero {
					nonZero[k] += n
				}
				if rep.Values < 1000 {
					t.Errorf("%s: only %d values: too thin to prove anything", what, rep.Values)
				}
			}
		}
	}
	for _, d := range kpi.Catalog() {
		if covered(d.Name) && nonZero[d.Name] == 0 {
			t.Errorf("%s is zero or undefined in every run: the generated org gives the check nothing to compare", d.Name)
		}
	}
}

// checkPeriods are the periods the catalog checks run: final, quarter to
// date, hours into a quarter and its first instant.
var checkPeriods = []kpi.Period{
	{Quarter: period.MustParse("2026Q3"), AsOf: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Final: true},
	{Quarter: period.MustParse("2026Q4"), AsOf: time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)},
	{Quarter: period.MustParse("2026Q3"), AsOf: time.Date(2026, 8, 21, 13, 30, 0, 0, time.UTC)},
	{Quarter: period.MustParse("2026Q4"), AsOf: time.Date(2026, 10, 1, 6, 0, 0, 0, time.UTC)},
	// As of the quarter's first instant: an empty period, the
	// snapshots as known before it (coverage at the start).
	{Quarter: period.MustParse("2026Q4"), AsOf: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)},
}

// generatedOrg writes the kpigen org of seed and n leads (with contracts,
// which the retention KPIs need, and deals in EUR and GBP with the org's
// exchange rates) to a temporary lake and opens DuckDB views over its
// files.
func generatedOrg(t *testing.T, seed uint64, n int) (*fsblob.Blob, Files, *sql.DB) {
	t.Helper()
	b, err := fsblob.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	org := kpigen.New(seed, n)
	org.Contracts, org.Currencies = true, true
	// Seed 42's org tracks lead Status (the lead exits read LeadHistory),
	// seed 7's has no LeadHistory (they read the current Status).
	org.LeadHistory = seed == 42
	files, err := WriteOrg(context.Background(), b, "crm/snapshot", org, lake.WriterOptions{RowGroupRows: 4096, FileRows: 20000, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return b, files, openViews(t, b, files)
}
