package kpicheck

import (
	"context"
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
// several seeds and periods (final, quarter to date) and two
// configurations, and compares every value.
func TestCatalogAgreesWithDuckDB(t *testing.T) {
	n := 30000
	if testing.Short() {
		n = 6000
	}
	ctx := context.Background()
	for _, seed := range []uint64{42, 7} {
		b, err := fsblob.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		files, err := WriteOrg(ctx, b, "crm/snapshot", kpigen.New(seed, n), lake.WriterOptions{RowGroupRows: 4096, FileRows: 20000, TempDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		db := openViews(t, b, files)
		for _, p := range []kpi.Period{
			{Quarter: period.MustParse("2026Q3"), AsOf: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Final: true},
			{Quarter: period.MustParse("2026Q4"), AsOf: time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)},
		} {
			cfg := kpi.DefaultConfig()
			res, err := kpi.Compute(cfg, files.Inputs(ctx, b, 2), p)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := CheckCatalog(db, cfg, p, res)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("seed %d %s as of %s: %d values compared, %d mismatches", seed, p.Quarter, p.AsOf.Format(time.DateOnly), rep.Values, len(rep.Mismatches))
			if len(rep.Mismatches) > 0 {
				t.Errorf("seed %d %s: %d of %d values differ:\n%s", seed, p.Quarter, len(rep.Mismatches), rep.Values, rep.Summary(30))
			}
		}
	}
}
