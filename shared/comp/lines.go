package comp

import (
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
	"github.com/shopspring/decimal"
	"github.com/venn-revops/venn/shared/money"
)

// LineRow is one statement line flattened for the lake
// (comp/quarter=YYYYQn/lines), for BI over Athena or DuckDB. Ratios and KPI
// values are kept as the statement's decimal text, so nothing is lost to
// floating point; the amount is DECIMAL(18,2) on int64 cents.
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
	Actual      string `parquet:"actual"`
	Target      string `parquet:"target"`
	Attainment  string `parquet:"attainment"`
	Segment     string `parquet:"segment"`
	Rate        string `parquet:"rate"`
	Proration   string `parquet:"proration"`
	Amount      int64  `parquet:"amount,decimal(2:18)"`
	Currency    string `parquet:"currency,dict"`
	Ref         string `parquet:"ref"`
	InputHash   string `parquet:"input_hash"`
}

// LineRows flattens statements into rows in statement then line order.
func LineRows(stmts []Statement) []LineRow {
	text := func(d *decimal.Decimal) string {
		if d == nil {
			return ""
		}
		return d.String()
	}
	var rows []LineRow
	for _, s := range stmts {
		for i, l := range s.Lines {
			rows = append(rows, LineRow{
				StatementID: s.ID, Quarter: s.Quarter, PersonID: s.PersonID, EmployeeID: s.EmployeeID, Seq: int32(i + 1),
				Key: l.Key, Kind: l.Kind, Component: l.Component, Plan: l.Plan, Metric: l.Metric, Scope: l.Scope,
				ScopeKey: l.ScopeKey, Model: l.Model, Actual: text(l.Actual), Target: text(l.Target),
				Attainment: text(l.Attainment), Segment: l.Segment, Rate: text(l.Rate), Proration: text(l.Proration),
				Amount: money.Cents(l.Amount.Decimal), Currency: s.Currency, Ref: l.Ref, InputHash: s.InputHash,
			})
		}
	}
	return rows
}

// WriteLinesParquet writes LineRows(stmts) as one zstd Parquet file.
func WriteLinesParquet(w io.Writer, stmts []Statement) error {
	pw := parquet.NewGenericWriter[LineRow](w, parquet.Compression(&parquet.Zstd))
	if _, err := pw.Write(LineRows(stmts)); err != nil {
		return fmt.Errorf("statement lines parquet: %w", err)
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("statement lines parquet: %w", err)
	}
	return nil
}
