package kpicheck

import (
	"testing"

	"github.com/venn-revops/venn/shared/gluecatalog"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/kpisql"
)

// TestGeneratedSQLOnDemoLake runs the demo end to end and the generated
// DuckDB SQL over the lake's own views file (_views/duckdb.sql, the
// latest_crm_snapshot_* views: the night the KPI job read), and compares
// every covered KPI's values with the closed quarter's figures the job
// wrote. A generator whose rounding truncates instead fails the same
// comparison.
func TestGeneratedSQLOnDemoLake(t *testing.T) {
	r, _, db := demoViews(t)
	tables, err := viewTables(db, func(o string) string { return "latest_" + gluecatalog.SnapshotTable(o) })
	if err != nil {
		t.Fatal(err)
	}
	if tables["Contract"] == "" {
		t.Fatal("the demo lake's views have no Contract snapshot: the retention KPIs would read none")
	}
	res := r.ClosedKPIs.Result
	cfg := kpi.DefaultConfig()
	p := kpi.Period{Quarter: r.Closed, AsOf: res.AsOf, Final: res.Final}
	run := func(d kpisql.Dialect) CatalogReport {
		t.Helper()
		text, err := kpisql.Compile(cfg, p, d, tables)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := QueryRows(db, text)
		if err != nil {
			t.Fatal(err)
		}
		got, err := kpisql.Values(cfg, rows)
		if err != nil {
			t.Fatal(err)
		}
		return CompareGenerated(res.Values, got)
	}
	rep := run(kpisql.DuckDB)
	t.Logf("demo %s: %d values compared over %d KPIs, %d mismatches; not generated yet: %v", p.Quarter, rep.Values, len(rep.PerKPI), len(rep.Mismatches), rep.Unchecked)
	if len(rep.Mismatches) > 0 {
		t.Errorf("demo %s: %d of %d values differ:\n%s", p.Quarter, len(rep.Mismatches), rep.Values, rep.Summary(30))
	}
	if rep.Values < 500 {
		t.Errorf("only %d values compared: too thin", rep.Values)
	}

	// The comparison bites: ratios truncated instead of rounded half away
	// from zero, or instants read at milliseconds (Athena's precision)
	// instead of microseconds, must show up as differences.
	truncating := kpisql.DuckDB
	truncating.RDiv = func(a, b string) string { return "((" + a + ") // (" + b + "))" }
	if rep := run(truncating); len(rep.Mismatches) == 0 {
		t.Error("a generator that truncates its quotients gives the same values: the comparison proves nothing")
	} else {
		t.Logf("truncating generator: %d mismatches, e.g. %s", len(rep.Mismatches), rep.Mismatches[0])
	}
}
