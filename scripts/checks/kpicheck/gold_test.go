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
// what the catalog says (value DECIMAL(18,6), amount DECIMAL(18,2) in
// currency units, as_of DATE); counts and amounts have NULL numerator and
// denominator; every row carries the KPI's side of the Venn.
func TestGoldRowsReadByDuckDB(t *testing.T) {
	q := period.MustParse("2026Q4")
	asOf := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
	res, err := kpi.Compute(kpi.DefaultConfig(), kpigen.New(3, 5000).Inputs(), kpi.Period{Quarter: q, AsOf: asOf})
	if err != nil {
		t.Fatal(err)
	}
	path := writeRows(t, "gold.parquet", res.Rows())
	db := openDuckUTC(t)
	var n int
	var cents int64
	var value, rate string
	var asof string
	err = db.QueryRow(`SELECT count(*) OVER (), CAST(amount * 100 AS BIGINT), CAST(value AS VARCHAR), CAST(as_of AS VARCHAR),
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
	// NULL, not 0: leads (a count) and bookings (an amount) have no
	// numerator or denominator; win_rate has both. Sides as docs/kpis.md
	// §2 files them: leads marketing, bookings shared, win_rate sales.
	for _, c := range []struct {
		kpi, side string
		quotient  bool
	}{{"leads", "marketing", false}, {"bookings", "shared", false}, {"win_rate", "sales", true}} {
		var numNull, denNull bool
		var side string
		if err := db.QueryRow(`SELECT numerator IS NULL, denominator IS NULL, side FROM read_parquet(?) WHERE kpi = ? AND dimension = 'org'`, path, c.kpi).Scan(&numNull, &denNull, &side); err != nil {
			t.Fatalf("%s: %v", c.kpi, err)
		}
		if numNull == c.quotient || denNull == c.quotient || side != c.side {
			t.Errorf("%s: numerator null %v, denominator null %v, side %q; want null %v, side %q", c.kpi, numNull, denNull, side, !c.quotient, c.side)
		}
	}
}

// writeRows writes rows to a Parquet file under t's temp dir with the
// writer the gold files use, and returns its path.
func writeRows[T any](t *testing.T, name string, rows []T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[T](f)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// openDuckUTC opens an in-memory DuckDB reading timestamps in UTC.
func openDuckUTC(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec("SET TimeZone='UTC'"); err != nil {
		t.Fatal(err)
	}
	return db
}
