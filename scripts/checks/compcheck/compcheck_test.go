// Package compcheck reads the comp and payroll tables back with DuckDB, an
// independent Parquet reader, to prove what Athena, Spark and BI tools see:
// DECIMAL columns of the declared precision and scale, and exact values of
// a hand-worked statement.
package compcheck

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/comp/statementstore"
	compconfig "github.com/venn-revops/venn/shared/config/comp"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
	"github.com/venn-revops/venn/shared/period"
	"github.com/venn-revops/venn/shared/pipeline"
	"github.com/venn-revops/venn/shared/results/localstore"
)

// statement is worked by hand:
//
//	bonus: actual 322,020 against target 300,000 → attainment 1.0734,
//	  prorated 31/92 days = 0.336956521739130434…, paid 1,000.00
//	commission: rate 0.085 on 29,411.76 = 2,499.9996 → 2,500.00
//	clawback -250.50, adjustment 120.50; total 3,370.00
func statement() comp.Statement {
	d := func(s string) decimal.Decimal { return decimal.RequireFromString(s) }
	p := func(s string) *decimal.Decimal { v := d(s); return &v }
	m := func(s string) comp.Money { return comp.Money{Decimal: d(s)} }
	proration := decimal.NewFromInt(31).DivRound(decimal.NewFromInt(92), 30)
	return comp.Statement{
		ID: "2026Q3/005A1", Quarter: "2026Q3", PersonID: "005A1", EmployeeID: "E1001", Name: "Ada Lovelace",
		Team: "Sales West", CostCenter: "CC-SALES-WEST", Currency: "USD", InputHash: "h1",
		Lines: []comp.Line{
			{Key: "bonus", Kind: comp.LineAttainmentBonus, Actual: p("322020"), Target: p("300000"), Attainment: p("1.0734"), Proration: &proration, Amount: m("1000.00")},
			{Key: "comm", Kind: comp.LineCommission, Rate: p("0.085"), Basis: p("29411.76"), Exact: d("2499.9996"), Amount: m("2500.00")},
			{Key: "claw", Kind: comp.LineClawback, Amount: m("-250.50"), Ref: "006LOST"},
			{Key: "adj", Kind: comp.LineAdjustment, Amount: m("120.50"), Ref: "ADJ-1"},
		},
		Total: m("3370.00"),
	}
}

func TestCompTablesReadAsDecimal(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	blob, err := fsblob.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	store, err := localstore.Open("")
	if err != nil {
		t.Fatal(err)
	}
	st := statement()
	if _, _, err := statementstore.SaveDrafts(ctx, store, []comp.Statement{st}); err != nil {
		t.Fatal(err)
	}
	if _, err := statementstore.Approve(ctx, store, "2026Q3", nil, comp.Identity{ID: "local:finance"}, time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC), nil); err != nil {
		t.Fatal(err)
	}
	env := &pipeline.Env{Blob: blob, Store: store, CodeVersion: "test", KPIConfig: kpi.DefaultConfig(), CompConfig: compconfig.FS(),
		Now: func() time.Time { return time.Date(2026, 10, 5, 11, 0, 0, 0, time.UTC) }}
	x, err := env.Export(ctx, period.MustParse("2026Q3"))
	if err != nil {
		t.Fatal(err)
	}
	// The statement-lines table as the payouts job writes it.
	lines, err := os.Create(filepath.Join(dir, "lines.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if err := comp.WriteLinesParquet(lines, []comp.Statement{st}); err != nil {
		t.Fatal(err)
	}
	lines.Close()

	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("SET TimeZone='UTC'"); err != nil {
		t.Fatal(err)
	}
	files := func(m *lake.Manifest) string {
		var paths []string
		for _, f := range m.Files {
			p, _ := blob.Path(f.Key)
			paths = append(paths, "'"+p+"'")
		}
		return "[" + strings.Join(paths, ",") + "]"
	}
	tables := map[string]string{
		"lines":  "'" + filepath.Join(dir, "lines.parquet") + "'",
		"export": files(x.Manifest),
		"status": files(x.StatusTable),
	}
	// Column types as DuckDB reads them from the Parquet logical types.
	for _, c := range []struct{ table, col, want string }{
		{"lines", "amount", "DECIMAL(18,2)"},
		{"lines", "actual", "DECIMAL(18,6)"},
		{"lines", "target", "DECIMAL(18,6)"},
		{"lines", "attainment", "DECIMAL(18,12)"},
		{"lines", "rate", "DECIMAL(18,12)"},
		{"lines", "proration", "DECIMAL(18,12)"},
		{"export", "amount", "DECIMAL(18,2)"},
		{"export", "clawback", "DECIMAL(18,2)"},
		{"status", "total", "DECIMAL(18,2)"},
		{"status", "approved_at", "TIMESTAMP WITH TIME ZONE"},
	} {
		var typ string
		q := "SELECT typeof(" + c.col + ") FROM read_parquet(" + tables[c.table] + ") LIMIT 1"
		if err := db.QueryRow(q).Scan(&typ); err != nil {
			t.Fatalf("%s.%s: %v", c.table, c.col, err)
		}
		if typ != c.want {
			t.Errorf("%s.%s is %s, want %s", c.table, c.col, typ, c.want)
		}
	}
	// Exact values, as text, from the hand-worked statement.
	for _, c := range []struct{ table, expr, want string }{
		{"lines", "string_agg(CAST(amount AS VARCHAR), ' ' ORDER BY seq)", "1000.00 2500.00 -250.50 120.50"},
		{"lines", "CAST(sum(amount) AS VARCHAR)", "3370.00"},
		{"lines", "CAST(max(actual) AS VARCHAR) || ' ' || CAST(max(target) AS VARCHAR)", "322020.000000 300000.000000"},
		{"lines", "CAST(max(attainment) AS VARCHAR)", "1.073400000000"},
		// 31/92 = 0.336956521739|13…: rounded half away from zero at 12.
		{"lines", "CAST(max(proration) AS VARCHAR)", "0.336956521739"},
		{"lines", "CAST(max(rate) AS VARCHAR)", "0.085000000000"},
		{"lines", "CAST(count(*) FILTER (WHERE attainment IS NULL) AS VARCHAR)", "3"},
		{"export", "CAST(amount AS VARCHAR) || ' ' || CAST(clawback AS VARCHAR) || ' ' || status", "3370.00 -250.50 approved"},
		{"status", "status || ' v' || CAST(statement_version AS VARCHAR) || ' ' || approved_by || ' ' || strftime(approved_at, '%Y-%m-%dT%H:%M:%S') || ' ' || CAST(total AS VARCHAR)",
			"approved v2 local:finance 2026-10-05T10:00:00 3370.00"},
	} {
		var got string
		if err := db.QueryRow("SELECT " + c.expr + " FROM read_parquet(" + tables[c.table] + ")").Scan(&got); err != nil {
			t.Fatalf("%s: %s: %v", c.table, c.expr, err)
		}
		if got != c.want {
			t.Errorf("%s: %s = %q, want %q", c.table, c.expr, got, c.want)
		}
	}
	// The long CSV as DuckDB sniffs it: the clawback a negative deduction.
	long, _ := blob.Path(x.Current.Files["csv_long"])
	var code, typ, amt string
	if err := db.QueryRow("SELECT earnings_code, earnings_type, CAST(amount AS VARCHAR) FROM read_csv('"+long+"', types={'amount': 'DECIMAL(18,2)'}) WHERE earnings_type = 'deduction'").Scan(&code, &typ, &amt); err != nil {
		t.Fatal(err)
	}
	if code != "CLAWBK" || amt != "-250.50" {
		t.Errorf("long CSV deduction: %s %s %s, want CLAWBK deduction -250.50", code, typ, amt)
	}
}
