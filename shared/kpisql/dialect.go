package kpisql

import (
	"fmt"
	"strings"
)

// Dialect is the one place the two SQL engines differ. Everything else the
// generator writes is the common subset of DuckDB and Trino (Athena engine
// v3): CTEs, CASE, coalesce/nullif, row_number() OVER, count_if, IN lists,
// starts_with, date_diff('day', …) between DATEs. The differences, and how
// each is handled (docs/kpis-sql.md has the long form):
//
//   - 128-bit integers. Sums of cents times 10⁶ overflow BIGINT. DuckDB has
//     HUGEINT; Trino has no integer wider than BIGINT, so DECIMAL(38,0).
//   - Integer and rounded division. DuckDB's `/` on integers returns DOUBLE
//     and `//` floors; Trino's `/` truncates BIGINTs and rounds DECIMALs half
//     up (away from zero) at the result scale, which is 0 for DECIMAL(38,0).
//     Every quotient of the catalog is rounded once, half away from zero, so
//     RDiv is `//` over absolute values in DuckDB and one DECIMAL(38,0)
//     division in Trino. No value is ever a DOUBLE (the time-decay weights
//     pass through one: attribution.go).
//   - Timestamp precision. The lake writes microseconds; Athena v3 reads
//     Parquet timestamps at milliseconds (rounding), DuckDB at microseconds.
//     Micros reads epoch microseconds in DuckDB and epoch milliseconds × 1000
//     in Trino, so instants compare in integers on both, and Athena's
//     figures can differ only for events within half a millisecond of a
//     period boundary (the lake's demo and generated orgs have none).
//   - Time zones. Both engines read the lake's UTC-adjusted timestamps as
//     UTC instants when the session zone is UTC (DuckDB: SET TimeZone='UTC',
//     which the runner sets; Athena's session zone is UTC). No expression
//     depends on the session zone: instants are integers, dates are day
//     numbers from date_diff('day', DATE '1970-01-01', d).
//   - Decimal scale. Amounts are DECIMAL(18,2) in both; cents are
//     CAST(amount * 100 AS BIGINT), exact in both (Trino would round a
//     fractional cast half up, DuckDB too, but the product is whole).
//   - Percentiles. Neither engine's percentile functions are used (DuckDB's
//     quantile_cont interpolates in DOUBLE, Trino's approx_percentile is
//     approximate): medians and nearest-rank p90 are row_number() windows.
//   - String functions: only starts_with, nullif and coalesce, which both
//     have; identifiers are quoted the same way ("x").
//   - Failing a query: DuckDB's error(msg), Trino's fail(msg) (a counted
//     opportunity without an exchange rate, fx.go).
type Dialect struct {
	Name string
	// Int128 is the type of exact wide integers.
	Int128 string
	// Micros renders the epoch microseconds of a timestamp column.
	Micros func(col string) string
	// RDiv renders a ÷ b rounded half away from zero, for b > 0, both
	// Int128.
	RDiv func(a, b string) string
	// IDiv renders a ÷ b truncated, for non-negative BIGINTs.
	IDiv func(a, b string) string
	// FloorDiv renders a ÷ b rounded down, for a ≥ 0 and b > 0, both
	// Int128 (the integer shares of an attribution split).
	FloorDiv func(a, b string) string
	// Series renders the array of the integers lo..hi, for
	// CROSS JOIN UNNEST(…) AS s(k) (the quarters a campaign's spend days
	// meet).
	Series func(lo, hi string) string
	// Fail renders an expression that fails the query with the message
	// msg (a VARCHAR expression) when it is evaluated, typed as t.
	Fail func(msg, t string) string
}

// DuckDB is the dialect of DuckDB over the lake files or its _views.
var DuckDB = Dialect{
	Name:   "duckdb",
	Int128: "HUGEINT",
	Micros: func(col string) string { return "epoch_us(" + col + ")" },
	RDiv: func(a, b string) string {
		return fmt.Sprintf("(sign(%[1]s) * ((2 * abs(%[1]s) + (%[2]s)) // (2 * (%[2]s))))", a, b)
	},
	IDiv:     func(a, b string) string { return "((" + a + ") // (" + b + "))" },
	FloorDiv: func(a, b string) string { return "((" + a + ") // (" + b + "))" },
	Series:   func(lo, hi string) string { return "generate_series(" + lo + ", " + hi + ")" },
	Fail:     func(msg, t string) string { return "CAST(error(" + msg + ") AS " + t + ")" },
}

// Trino is the dialect of Athena engine v3 over the lake's Glue tables.
var Trino = Dialect{
	Name:   "trino",
	Int128: "DECIMAL(38,0)",
	Micros: func(col string) string {
		return "(date_diff('millisecond', TIMESTAMP '1970-01-01 00:00:00', " + col + ") * 1000)"
	},
	RDiv: func(a, b string) string {
		return "(CAST(" + a + " AS DECIMAL(38,0)) / CAST(" + b + " AS DECIMAL(38,0)))"
	},
	IDiv: func(a, b string) string { return "((" + a + ") / (" + b + "))" },
	// DECIMAL division rounds; the remainder taken off first makes it
	// exact.
	FloorDiv: func(a, b string) string {
		x, y := "CAST("+a+" AS DECIMAL(38,0))", "CAST("+b+" AS DECIMAL(38,0))"
		return "((" + x + " - " + x + " % " + y + ") / " + y + ")"
	},
	Series: func(lo, hi string) string { return "sequence(" + lo + ", " + hi + ")" },
	Fail:   func(msg, t string) string { return "CAST(fail(" + msg + ") AS " + t + ")" },
}

// Dialects lists the dialects by name.
var Dialects = []Dialect{DuckDB, Trino}

// big casts an integer expression to the wide type.
func (d Dialect) big(x string) string { return "CAST(" + x + " AS " + d.Int128 + ")" }

// day is the day number (days since 1970-01-01) of a DATE expression.
func day(date string) string { return "date_diff('day', DATE '1970-01-01', " + date + ")" }

// lit renders a string as a SQL literal.
func lit(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// list renders strings as a SQL list literal; (NULL) for none, which
// matches nothing.
func list(ss []string) string {
	if len(ss) == 0 {
		return "(NULL)"
	}
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = lit(s)
	}
	return "(" + strings.Join(q, ", ") + ")"
}

// keyOf is a dimension key: the value, or (none) when empty.
func keyOf(col string) string { return "coalesce(nullif(" + col + ", ''), '(none)')" }
