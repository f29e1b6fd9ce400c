package kpicheck

import (
	"database/sql"
	"fmt"
	"strings"

	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/kpisql"
)

// The catalog as shared/kpisql generates it, run on DuckDB over the same
// views, and compared with the engine. This is a check of the generator:
// the hand-written queries of catalog_sql_*.go stay the independent
// cross-check of the engine and never use it.

// ViewTables are the object views CreateViews makes, as kpisql tables:
// every object the SQL reads, and each optional one db has a view of.
func ViewTables(db *sql.DB) (kpisql.Tables, error) {
	return viewTables(db, func(o string) string { return "v_" + strings.ToLower(o) })
}

// viewTables names each object's relation by name(object): the required
// objects always, the optional ones when db has that view or table.
func viewTables(db *sql.DB, name func(object string) string) (kpisql.Tables, error) {
	t := kpisql.Tables{}
	for _, o := range kpisql.Objects() {
		t[o] = name(o)
	}
	for _, o := range kpisql.OptionalObjects() {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM information_schema.tables WHERE table_name = ?`, name(o)).Scan(&n); err != nil {
			return nil, fmt.Errorf("views: %w", err)
		}
		if n > 0 {
			t[o] = name(o)
		}
	}
	return t, nil
}

// RunGenerated compiles the catalog for cfg and p in dialect d over the
// views and returns its values. The dialect is DuckDB's, or a deliberately
// broken copy of it in the tests that prove the comparison bites.
func RunGenerated(db *sql.DB, d kpisql.Dialect, cfg *kpi.Config, p kpi.Period) ([]kpi.Value, error) {
	tables, err := ViewTables(db)
	if err != nil {
		return nil, err
	}
	text, err := kpisql.Compile(cfg, p, d, tables)
	if err != nil {
		return nil, err
	}
	rows, err := QueryRows(db, text)
	if err != nil {
		return nil, err
	}
	return kpisql.Values(cfg, rows)
}

// QueryRows runs a generated query and reads its rows.
func QueryRows(db *sql.DB, text string) ([]kpisql.Row, error) {
	rs, err := db.Query(`SELECT kpi, dimension, key, coalesce(model, ''), CAST(value AS VARCHAR), CAST(num AS VARCHAR), CAST(den AS VARCHAR), defined FROM (` + text + `) AS g`)
	if err != nil {
		return nil, fmt.Errorf("generated SQL: %w", err)
	}
	defer rs.Close()
	var out []kpisql.Row
	for rs.Next() {
		var r kpisql.Row
		var num, den sql.NullString
		if err := rs.Scan(&r.KPI, &r.Dimension, &r.Key, &r.Model, &r.Value, &num, &den, &r.Defined); err != nil {
			return nil, err
		}
		if num.Valid {
			r.Num = &num.String
		}
		if den.Valid {
			r.Den = &den.String
		}
		out = append(out, r)
	}
	return out, rs.Err()
}

// CompareGenerated compares the engine's values with the generator's for
// every KPI the generator covers (the others are listed in Unchecked):
// the same rows (a row on one side only is a mismatch, whatever its
// value: the generator writes the engine's zero and undefined rows too)
// and in each value, numerator and denominator exactly, defined or not.
func CompareGenerated(engine, generated []kpi.Value) CatalogReport {
	return compareCovered(engine, engineFigures(generated), kpisql.Covered, true)
}

// RunGeneratedCredits compiles the credit table for cfg and p in dialect d
// over tables and returns its rows sorted (kpisql.SortCredits).
func RunGeneratedCredits(db *sql.DB, d kpisql.Dialect, cfg *kpi.Config, p kpi.Period, tables kpisql.Tables) ([]kpi.Credit, error) {
	text, err := kpisql.CompileCredits(cfg, p, d, tables)
	if err != nil {
		return nil, err
	}
	rows, err := queryText(db, text, kpisql.CreditColumns)
	if err != nil {
		return nil, fmt.Errorf("generated credit SQL: %w", err)
	}
	return kpisql.Credits(rows)
}

// RunGeneratedResponses compiles the response table for cfg and p in
// dialect d over tables and returns its rows sorted by lead Id.
func RunGeneratedResponses(db *sql.DB, d kpisql.Dialect, cfg *kpi.Config, p kpi.Period, tables kpisql.Tables) ([]kpi.Response, error) {
	text, err := kpisql.CompileResponses(cfg, p, d, tables)
	if err != nil {
		return nil, err
	}
	rows, err := queryText(db, text, kpisql.ResponseColumns)
	if err != nil {
		return nil, fmt.Errorf("generated response SQL: %w", err)
	}
	return kpisql.Responses(rows)
}

// queryText runs a generated query and reads the columns cols of each row
// as text (nil: NULL), as Athena returns them.
func queryText(db *sql.DB, text string, cols []string) ([][]*string, error) {
	casts := make([]string, len(cols))
	for i, c := range cols {
		casts[i] = "CAST(" + c + " AS VARCHAR)"
	}
	rs, err := db.Query(`SELECT ` + strings.Join(casts, ", ") + ` FROM (` + text + `) AS g`)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var rows [][]*string
	for rs.Next() {
		vals := make([]sql.NullString, len(casts))
		ptrs := make([]any, len(casts))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]*string, len(vals))
		for i, v := range vals {
			if v.Valid {
				row[i] = &v.String
			}
		}
		rows = append(rows, row)
	}
	return rows, rs.Err()
}

// CompareCredits lists the differences between the engine's credit rows
// and the generator's (both sorted by kpisql.SortCredits), at most max.
func CompareCredits(engine, generated []kpi.Credit, max int) []string {
	var out []string
	for i := 0; i < len(engine) || i < len(generated); i++ {
		var e, g kpi.Credit
		if i < len(engine) {
			e = engine[i]
		}
		if i < len(generated) {
			g = generated[i]
		}
		if e != g && len(out) < max {
			out = append(out, fmt.Sprintf("row %d: engine %+v\n\tsql    %+v", i, e, g))
		}
	}
	return out
}
