package kpicheck

import (
	"database/sql"
	"strings"
	"testing"

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
	agreeOnGeneratedOrgs(t, n, kpisql.Covered, func(db *sql.DB, cfg *kpi.Config, p kpi.Period, res *kpi.Result) (CatalogReport, error) {
		got, err := RunGenerated(db, kpisql.DuckDB, cfg, p)
		if err != nil {
			return CatalogReport{}, err
		}
		return CompareGenerated(res.Values, got), nil
	})
}

// TestGeneratedSQLFailsWithoutARate: with the GBP rates gone from the
// lake's view, the generated SQL fails on a counted GBP opportunity, as
// the engine fails the run (shared/kpi's fx_test.go), rather than
// counting its amount unconverted or as nothing.
func TestGeneratedSQLFailsWithoutARate(t *testing.T) {
	_, _, db := generatedOrg(t, 42, 2000)
	if _, err := db.Exec("CREATE OR REPLACE VIEW v_datedconversionrate_nogbp AS SELECT * FROM v_datedconversionrate WHERE iso_code <> 'GBP'"); err != nil {
		t.Fatal(err)
	}
	tables, err := ViewTables(db)
	if err != nil {
		t.Fatal(err)
	}
	tables["DatedConversionRate"] = "v_datedconversionrate_nogbp"
	text, err := kpisql.Compile(kpi.DefaultConfig(), checkPeriods[0], kpisql.DuckDB, tables)
	if err != nil {
		t.Fatal(err)
	}
	_, err = QueryRows(db, text)
	if err == nil || !strings.Contains(err.Error(), ": no GBP rate (or no USD rate) on its close date") {
		t.Fatalf("err = %v, want the query to fail naming a GBP opportunity", err)
	}
}
