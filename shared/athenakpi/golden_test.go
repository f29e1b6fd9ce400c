package athenakpi

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/kpisql"
	"github.com/venn-revops/venn/shared/period"
)

var update = flag.Bool("update", false, "rewrite the golden SQL files in testdata")

// TestGoldenTrinoSQL pins the Trino text the KPI job sends Athena for the
// demo's configuration (the embedded default) over the Glue tables of one
// night (the demo org is multi-currency: its rate tables too), final and
// quarter to date. Hand-checked: the as-of state from the latest history
// row before the as-of instant, amounts converted at the rate of the
// close date (fx, fxr, corp; a missing rate fail()s), the period bounds in
// microseconds, every quotient a DECIMAL(38,0) division, no DuckDB-only
// construct. Regenerate with -update after a deliberate change and read
// the diff.
func TestGoldenTrinoSQL(t *testing.T) {
	r := &Runner{Database: "venn_prod", Dialect: kpisql.Trino}
	nights := Nights{}
	for _, o := range append(kpisql.Objects(), kpisql.OptionalObjects()...) {
		nights[o] = "2026-11-20"
	}
	tables, err := r.Tables(nights)
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]kpi.Period{
		"demo-2026Q3-final.trino.sql": {Quarter: period.MustParse("2026Q3"), AsOf: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Final: true},
		"demo-2026Q4-qtd.trino.sql":   {Quarter: period.MustParse("2026Q4"), AsOf: time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)},
	} {
		got, err := kpisql.Compile(kpi.DefaultConfig(), p, kpisql.Trino, tables)
		if err != nil {
			t.Fatal(err)
		}
		checkGolden(t, name, got)
		// The credit table's query, its second statement.
		credits, err := kpisql.CompileCredits(kpi.DefaultConfig(), p, kpisql.Trino, tables)
		if err != nil {
			t.Fatal(err)
		}
		checkGolden(t, strings.Replace(name, ".trino.sql", ".credits.trino.sql", 1), credits)
		// And the response table's, its third.
		responses, err := kpisql.CompileResponses(kpi.DefaultConfig(), p, kpisql.Trino, tables)
		if err != nil {
			t.Fatal(err)
		}
		checkGolden(t, strings.Replace(name, ".trino.sql", ".responses.trino.sql", 1), responses)
	}
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./shared/athenakpi -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s: the generated Trino SQL changed; rerun with -update and check the diff", path)
	}
}

func TestTablesNeedEveryNight(t *testing.T) {
	r := &Runner{Database: "venn_prod"}
	if _, err := r.Tables(Nights{"Lead": "2026-11-20"}); err == nil {
		t.Error("tables without the other objects' nights: want an error")
	}
	nights := Nights{}
	for _, o := range kpisql.Objects() {
		nights[o] = "2026-11-20"
	}
	nights["Task"] = "20261120"
	if _, err := r.Tables(nights); err == nil {
		t.Error("a night that is no date: want an error")
	}
	// An optional object without a night is no table: the SQL reads it
	// as no rows.
	nights["Task"] = "2026-11-20"
	tables, err := r.Tables(nights)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tables["Contract"]; ok {
		t.Error("Contract has a table without a night")
	}
	nights["Contract"] = "2026-11-19"
	if tables, err = r.Tables(nights); err != nil || tables["Contract"] != `(SELECT * FROM "venn_prod"."crm_snapshot_contract" WHERE dt = DATE '2026-11-19')` {
		t.Errorf("Contract: %q, %v", tables["Contract"], err)
	}
}
