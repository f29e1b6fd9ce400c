// Package lakecheck reads the lake's Parquet back with DuckDB, an
// independent implementation, to prove the logical types and values other
// engines (Athena, Spark, BI tools) will see.
package lakecheck

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
)

func openDuck(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1) // one connection: SET TimeZone must apply to every query
	if _, err := db.Exec("SET TimeZone='UTC'"); err != nil {
		t.Fatal(err)
	}
	return db
}

// fileList renders a manifest's files as a DuckDB list literal of paths.
func fileList(t *testing.T, b *fsblob.Blob, files []lake.File) string {
	t.Helper()
	var paths []string
	for _, f := range files {
		p, err := b.Path(f.Key)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, "'"+strings.ReplaceAll(p, "'", "''")+"'")
	}
	return "[" + strings.Join(paths, ", ") + "]"
}

// opportunity builds one Opportunity row. Amount is in cents, so the test's
// expected sums are integer arithmetic, independent of any decimal code.
func opportunity(i int, modstamp time.Time, amountCents int64, nullAmount bool) crm.Row {
	var r crm.Row
	r.Reset(len(crm.Opportunity.Fields))
	set := func(col string, v crm.Value) { r.Values[crm.Opportunity.Column(col)] = v }
	set("id", crm.Value{S: fmt.Sprintf("006%012dAAA", i)})
	set("system_modstamp", crm.Value{I: crm.Micros(modstamp)})
	set("created_date", crm.Value{I: crm.Micros(modstamp.Add(-24 * time.Hour))})
	set("is_deleted", crm.Value{B: false})
	set("name", crm.Value{S: fmt.Sprintf("Deal %d", i)})
	set("stage_name", crm.Value{S: []string{"Prospecting", "Negotiation", "Closed Won", "Closed Lost"}[i%4]})
	if !nullAmount {
		set("amount", crm.Value{I: amountCents})
	}
	set("currency_iso_code", crm.Value{S: "USD"})
	set("close_date", crm.Value{I: crm.Days(modstamp)})
	set("is_won", crm.Value{B: i%4 == 2})
	set("probability", crm.Value{I: int64(i%101) * 100})
	return r
}

func TestDuckDBReadsSnapshot(t *testing.T) {
	ctx := context.Background()
	b, err := fsblob.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// 10,000 rows in files of 4,000 and row groups of 1,000; amounts
	// alternate signs (clawbacks), every 7th is null.
	const n = 10_000
	q3End := time.Date(2026, 9, 30, 23, 59, 59, 999_999_000, time.UTC) // last microsecond of 2026Q3
	var wantSum int64
	var wantNull, wantQ3 int
	w := lake.NewRowWriter(ctx, b, "crm/snapshot/object=Opportunity/dt=2026-11-20/run=r1", "crm/snapshot", lake.NewObjectSchema(crm.Opportunity, false), lake.WriterOptions{RowGroupRows: 1000, FileRows: 4000})
	for i := range n {
		stamp := q3End.Add(time.Duration(i-n/2) * time.Minute)
		if i == n/2 {
			stamp = q3End
		}
		amount := int64(i*12345+99) * int64(1-2*(i%2))
		null := i%7 == 0
		if null {
			wantNull++
		} else {
			wantSum += amount
		}
		if stamp.Before(time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)) {
			wantQ3++
		}
		r := opportunity(i, stamp, amount, null)
		if err := w.Write(&r, ""); err != nil {
			t.Fatal(err)
		}
	}
	files, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	m := &lake.Manifest{Table: "crm/snapshot", Partition: lake.SnapshotPartition("Opportunity", "2026-11-20"), Object: "Opportunity", Dt: "2026-11-20", RunID: "r1", Files: files, Rows: n}
	if err := lake.Commit(ctx, b, m, 0); err != nil {
		t.Fatal(err)
	}
	// Readers go through the manifest.
	m, err = lake.LatestSnapshot(ctx, b, "Opportunity", time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	db := openDuck(t)
	src := "read_parquet(" + fileList(t, b, m.Files) + ")"

	t.Run("types", func(t *testing.T) {
		want := map[string]string{
			"id":                "VARCHAR",
			"system_modstamp":   "TIMESTAMP WITH TIME ZONE",
			"created_date":      "TIMESTAMP WITH TIME ZONE",
			"amount":            "DECIMAL(18,2)",
			"probability":       "DECIMAL(9,2)",
			"close_date":        "DATE",
			"is_won":            "BOOLEAN",
			"stage_name":        "VARCHAR",
			"currency_iso_code": "VARCHAR",
		}
		rows, err := db.Query("DESCRIBE SELECT * FROM " + src)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		got := map[string]string{}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			got[fmt.Sprint(vals[0])] = fmt.Sprint(vals[1])
		}
		for col, typ := range want {
			if got[col] != typ {
				t.Errorf("%s: DuckDB sees %q, want %q", col, got[col], typ)
			}
		}
	})

	t.Run("parquet schema", func(t *testing.T) {
		// The physical annotations other engines rely on: MICROS with
		// isAdjustedToUTC, never INT96 or NANOS; decimals on int64/int32.
		var unit, typ string
		var adjusted bool
		p := fileList(t, b, m.Files[:1])
		p = p[1 : len(p)-1]
		err := db.QueryRow("SELECT type, logical_type FROM parquet_schema("+p+") WHERE name = 'system_modstamp'").Scan(&typ, &unit)
		if err != nil {
			t.Fatal(err)
		}
		adjusted = strings.Contains(unit, "isAdjustedToUTC=1") || strings.Contains(unit, "isAdjustedToUTC=true")
		if typ != "INT64" || !strings.Contains(unit, "MICROS") || !adjusted {
			t.Errorf("system_modstamp: %s %s", typ, unit)
		}
		var amountType, scale, precision string
		if err := db.QueryRow("SELECT type, CAST(scale AS VARCHAR), CAST(precision AS VARCHAR) FROM parquet_schema("+p+") WHERE name = 'amount'").Scan(&amountType, &scale, &precision); err != nil {
			t.Fatal(err)
		}
		if amountType != "INT64" || scale != "2" || precision != "18" {
			t.Errorf("amount: %s scale %s precision %s", amountType, scale, precision)
		}
		var codec string
		var groups int
		if err := db.QueryRow("SELECT min(compression), count(DISTINCT row_group_id) FROM parquet_metadata("+p+")").Scan(&codec, &groups); err != nil {
			t.Fatal(err)
		}
		if codec != "ZSTD" || groups != 4 {
			t.Errorf("codec %s, %d row groups (want ZSTD, 4)", codec, groups)
		}
		var object string
		if err := db.QueryRow("SELECT decode(value) FROM parquet_kv_metadata(" + p + ") WHERE decode(key) = 'venn.object'").Scan(&object); err != nil || object != "Opportunity" {
			t.Errorf("kv metadata object %q %v", object, err)
		}
	})

	t.Run("values", func(t *testing.T) {
		var count, distinct, nulls, q3 int
		var sumCents int64
		err := db.QueryRow(`SELECT count(*), count(DISTINCT id), count(*) - count(amount),
			CAST(sum(amount) * 100 AS BIGINT),
			count(*) FILTER (WHERE system_modstamp < TIMESTAMPTZ '2026-10-01 00:00:00+00')
			FROM `+src).Scan(&count, &distinct, &nulls, &sumCents, &q3)
		if err != nil {
			t.Fatal(err)
		}
		if count != n || distinct != n || nulls != wantNull || sumCents != wantSum || q3 != wantQ3 {
			t.Errorf("count %d distinct %d nulls %d sum %d q3 %d; want %d %d %d %d %d", count, distinct, nulls, sumCents, q3, n, n, wantNull, wantSum, wantQ3)
		}
		// The last microsecond of the quarter stays in the quarter, in UTC.
		var ts, day, quarter string
		err = db.QueryRow(`SELECT strftime(system_modstamp, '%Y-%m-%d %H:%M:%S.%f'), CAST(CAST(system_modstamp AS DATE) AS VARCHAR),
			CAST(year(system_modstamp) AS VARCHAR) || 'Q' || CAST(quarter(system_modstamp) AS VARCHAR)
			FROM `+src+` WHERE id = '006000000005000AAA'`).Scan(&ts, &day, &quarter)
		if err != nil {
			t.Fatal(err)
		}
		if ts != "2026-09-30 23:59:59.999999" || day != "2026-09-30" || quarter != "2026Q3" {
			t.Errorf("boundary row: %s %s %s", ts, day, quarter)
		}
		var closeDate string
		var prob string
		if err := db.QueryRow(`SELECT CAST(close_date AS VARCHAR), CAST(probability AS VARCHAR) FROM `+src+` WHERE id = '006000000000042AAA'`).Scan(&closeDate, &prob); err != nil {
			t.Fatal(err)
		}
		wantClose := q3End.Add(time.Duration(42-n/2) * time.Minute).Format(time.DateOnly)
		if prob != "42.00" || closeDate != wantClose {
			t.Errorf("probability %s close date %s (want 42.00 %s)", prob, closeDate, wantClose)
		}
	})
}
