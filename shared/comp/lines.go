package comp

import (
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
	"github.com/shopspring/decimal"
	"github.com/venn-revops/venn/shared/money"
)

// LineRow is one statement line flattened for the lake
// (comp/quarter=YYYYQn), for BI over Athena or DuckDB. Numbers are Parquet
// DECIMALs on int64, never text or floating point: the amount is
// DECIMAL(18,2) (exact cents, as on the statement); the KPI actual and
// target are DECIMAL(18,6) and the ratios (attainment, rate, proration,
// 1 = 100%) DECIMAL(18,12), each rounded once, half away from zero, from
// the statement's exact value (the statement JSON keeps it unrounded); NULL
// where the line has none. A line's status is in comp_statement_status
// (join on statement_id).
type LineRow struct {
	StatementID string `parquet:"statement_id"`
	Quarter     string `parquet:"quarter,dict"`
	PersonID    string `parquet:"person_id"`
	EmployeeID  string `parquet:"employee_id"`
	Seq         int32  `parquet:"seq"`
	Key         string `parquet:"key"`
	Kind        string `parquet:"kind,dict"`
	Component   string `parquet:"component,dict"`
	Plan        string `parquet:"plan,dict"`
	Metric      string `parquet:"metric,dict"`
	Scope       string `parquet:"scope,dict"`
	ScopeKey    string `parquet:"scope_key"`
	Model       string `parquet:"model,dict"`
	Actual      *int64 `parquet:"actual,optional,decimal(6:18)"`
	Target      *int64 `parquet:"target,optional,decimal(6:18)"`
	Attainment  *int64 `parquet:"attainment,optional,decimal(12:18)"`
	Segment     string `parquet:"segment"`
	Rate        *int64 `parquet:"rate,optional,decimal(12:18)"`
	Proration   *int64 `parquet:"proration,optional,decimal(12:18)"`
	Amount      int64  `parquet:"amount,decimal(2:18)"`
	Currency    string `parquet:"currency,dict"`
	Ref         string `parquet:"ref"`
	InputHash   string `parquet:"input_hash"`
}

// Scales of the lake's statement-line decimals (LineRow).
const (
	QuantityScale = 6  // actual, target
	RatioScale    = 12 // attainment, rate, proration
)

// maxDecimal18 is the largest unscaled value of a DECIMAL(18,s).
var maxDecimal18 = decimal.RequireFromString("999999999999999999")

// scaled is d in units of 10^-places, rounded half away from zero; nil for
// nil. A value past DECIMAL(18, places) is an error, never a wrapped int64.
func scaled(d *decimal.Decimal, places int32) (*int64, error) {
	if d == nil {
		return nil, nil
	}
	u := d.Shift(places).Round(0)
	if u.Abs().GreaterThan(maxDecimal18) {
		return nil, fmt.Errorf("%s does not fit DECIMAL(18,%d)", d, places)
	}
	v := u.IntPart()
	return &v, nil
}

// LineRows flattens statements into rows in statement then line order.
func LineRows(stmts []Statement) ([]LineRow, error) {
	var rows []LineRow
	for _, s := range stmts {
		for i, l := range s.Lines {
			r := LineRow{
				StatementID: s.ID, Quarter: s.Quarter, PersonID: s.PersonID, EmployeeID: s.EmployeeID, Seq: int32(i + 1),
				Key: l.Key, Kind: l.Kind, Component: l.Component, Plan: l.Plan, Metric: l.Metric, Scope: l.Scope,
				ScopeKey: l.ScopeKey, Model: l.Model, Segment: l.Segment,
				Amount: money.Cents(l.Amount.Decimal), Currency: s.Currency, Ref: l.Ref, InputHash: s.InputHash,
			}
			var errs []error
			for _, f := range []struct {
				name   string
				dst    **int64
				v      *decimal.Decimal
				places int32
			}{
				{"actual", &r.Actual, l.Actual, QuantityScale}, {"target", &r.Target, l.Target, QuantityScale},
				{"attainment", &r.Attainment, l.Attainment, RatioScale}, {"rate", &r.Rate, l.Rate, RatioScale},
				{"proration", &r.Proration, l.Proration, RatioScale},
			} {
				v, err := scaled(f.v, f.places)
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", f.name, err))
				}
				*f.dst = v
			}
			if err := errors.Join(errs...); err != nil {
				return nil, fmt.Errorf("statement %s line %s: %w", s.ID, l.Key, err)
			}
			rows = append(rows, r)
		}
	}
	return rows, nil
}

// WriteLinesParquet writes LineRows(stmts) as one zstd Parquet file.
func WriteLinesParquet(w io.Writer, stmts []Statement) error {
	rows, err := LineRows(stmts)
	if err != nil {
		return err
	}
	pw := parquet.NewGenericWriter[LineRow](w, parquet.Compression(&parquet.Zstd))
	if _, err := pw.Write(rows); err != nil {
		return fmt.Errorf("statement lines parquet: %w", err)
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("statement lines parquet: %w", err)
	}
	return nil
}
