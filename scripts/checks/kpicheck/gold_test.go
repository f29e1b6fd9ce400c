package kpicheck

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/kpi/kpigen"
	"github.com/venn-revops/venn/shared/period"
)

// TestGoldRowsReadByDuckDB writes Result.Rows with parquet-go and reads the
// file back with DuckDB: the decimal, date and dictionary tags must mean
// what the catalog says (value DECIMAL(18,6), value_cents DECIMAL(18,2),
// asof DATE).
func TestGoldRowsReadByDuckDB(t *testing.T) {
	q := period.MustParse("2026Q4")
	asOf := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
	res, err := kpi.Compute(kpi.DefaultConfig(), kpigen.New(3, 5000).Inputs(), kpi.Period{Quarter: q, AsOf: asOf})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "gold.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[kpi.GoldRow](f)
	if _, err := w.Write(res.Rows()); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("SET TimeZone='UTC'"); err != nil {
		t.Fatal(err)
	}
	var n int
	var cents int64
	var value, rate string
	var asof string
	err = db.QueryRow(`SELECT count(*) OVER (), CAST(value_cents * 100 AS BIGINT), CAST(value AS VARCHAR), CAST("asof" AS VARCHAR),
			(SELECT CAST(value AS VARCHAR) FROM read_parquet(?) WHERE kpi = 'win_rate' AND dimension = 'org')
		FROM read_parquet(?) WHERE kpi = 'bookings' AND dimension = 'org'`, path, path).Scan(&n, &cents, &value, &asof, &rate)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := res.Get("bookings", kpi.DimOrg, kpi.KeyAll, "")
	wr, _ := res.Get("win_rate", kpi.DimOrg, kpi.KeyAll, "")
	if cents != b.Value.Shift(2).IntPart() || value != b.Value.StringFixed(6) || asof != "2026-11-20" || rate != wr.Value.StringFixed(6) {
		t.Fatalf("duckdb read bookings %d¢ %s asof %s win_rate %s; engine %s, %s", cents, value, asof, rate, b.Value, wr.Value)
	}
}
