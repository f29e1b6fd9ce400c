package kpicheck

import (
	"database/sql"
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
