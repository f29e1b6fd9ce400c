package comp

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/venn-revops/venn/shared/money"
	"github.com/venn-revops/venn/shared/period"
)

// Statuses a statement goes through (see shared/comp/statementstore).
const (
	StatusDraft    = "draft"
	StatusApproved = "approved"
	StatusFinal    = "final"
)

// ExportRecord is a statement with its lifecycle status and store version,
// as the finance export needs them.
type ExportRecord struct {
	Statement *Statement
	Status    string
	Version   int64
}

// ExportRow is one row of the payroll export: one statement, wide format
// with one subtotal column per line kind. Amounts are DECIMAL(18,2) backed
// by int64 cents; PeriodStart is a DATE (days since 1970-01-01).
type ExportRow struct {
	EmployeeID       string `parquet:"employee_id"`
	Name             string `parquet:"name"`
	Period           string `parquet:"period,dict"`
	PeriodStart      int32  `parquet:"period_start,date"`
	AttainmentBonus  int64  `parquet:"attainment_bonus,decimal(2:18)"`
	Commission       int64  `parquet:"commission,decimal(2:18)"`
	Clawback         int64  `parquet:"clawback,decimal(2:18)"`
	Adjustment       int64  `parquet:"adjustment,decimal(2:18)"`
	Amount           int64  `parquet:"amount,decimal(2:18)"`
	Currency         string `parquet:"currency,dict"`
	CostCenter       string `parquet:"cost_center,dict"`
	StatementID      string `parquet:"statement_id"`
	StatementVersion int64  `parquet:"statement_version"`
	Status           string `parquet:"status,dict"`
}

// ExportRows turns approved or final statements into export rows sorted by
// period then employee ID. A draft is refused: finance exports only what
// was approved.
func ExportRows(recs []ExportRecord) ([]ExportRow, error) {
	rows := make([]ExportRow, 0, len(recs))
	for _, r := range recs {
		s := r.Statement
		q, err := r.exportQuarter()
		if err != nil {
			return nil, err
		}
		bonus, commission, clawback, adjustment := s.Subtotals()
		rows = append(rows, ExportRow{
			EmployeeID: s.EmployeeID, Name: s.Name, Period: s.Quarter,
			PeriodStart:     int32(q.Start().Unix() / 86400),
			AttainmentBonus: money.Cents(bonus), Commission: money.Cents(commission),
			Clawback: money.Cents(clawback), Adjustment: money.Cents(adjustment),
			Amount: money.Cents(s.Total.Decimal), Currency: s.Currency, CostCenter: s.CostCenter,
			StatementID: s.ID, StatementVersion: r.Version, Status: r.Status,
		})
	}
	sort.Slice(rows, func(a, b int) bool {
		if rows[a].Period != rows[b].Period {
			return rows[a].Period < rows[b].Period
		}
		if rows[a].EmployeeID != rows[b].EmployeeID {
			return rows[a].EmployeeID < rows[b].EmployeeID
		}
		return rows[a].StatementID < rows[b].StatementID
	})
	return rows, nil
}

// CSVHeader is the export's column order.
var CSVHeader = []string{"employee_id", "name", "period", "period_start", "attainment_bonus", "commission",
	"clawback", "adjustment", "amount", "currency", "cost_center", "statement_id", "statement_version", "status"}

// WriteCSV writes the export as RFC 4180 CSV with CRLF record ends, safe to
// open in any spreadsheet (OWASP "CSV injection" guidance):
//
//   - text cells a spreadsheet would evaluate (first non-space character
//     =, +, -, @, tab, CR or LF, or their full-width forms) get a leading
//     single quote;
//   - a cell holding , ; " tab CR or LF, or starting with a space, is quoted
//     (quotes doubled), so locales that split on ";" keep it one cell;
//   - a line break inside a cell is written as it is: LF stays LF (the
//     encoding/csv writer would turn it into CRLF with UseCRLF).
//
// Number cells are never touched: amounts, dates and versions are written
// by this code from cents and integers ("-1234.50": minus sign, dot, two
// decimals, no thousands separator), never from text, so a negative
// clawback stays a number for payroll.
func WriteCSV(w io.Writer, recs []ExportRecord) error {
	rows, err := ExportRows(recs)
	if err != nil {
		return err
	}
	cells := make([][]string, len(rows))
	amt := func(c int64) string { return money.FromCents(c).StringFixed(money.Scale) }
	for i, r := range rows {
		cells[i] = []string{
			textCell(r.EmployeeID), textCell(r.Name), textCell(r.Period), dayString(r.PeriodStart),
			amt(r.AttainmentBonus), amt(r.Commission), amt(r.Clawback), amt(r.Adjustment), amt(r.Amount),
			textCell(r.Currency), textCell(r.CostCenter), textCell(r.StatementID),
			strconv.FormatInt(r.StatementVersion, 10), textCell(r.Status),
		}
	}
	return writeCSVRecords(w, CSVHeader, cells)
}

// writeCSVRecords writes the header and the cells (already neutralised by
// textCell where they are text) as CRLF-terminated records.
func writeCSVRecords(w io.Writer, header []string, rows [][]string) error {
	var b strings.Builder
	writeRecord := func(cells []string) {
		for i, c := range cells {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(c)
		}
		b.WriteString("\r\n")
	}
	head := make([]string, len(header))
	for i, h := range header {
		head[i] = textCell(h)
	}
	writeRecord(head)
	for _, r := range rows {
		writeRecord(r)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("export csv: %w", err)
	}
	return nil
}

// textCell neutralises and quotes one text cell (see WriteCSV).
func textCell(s string) string {
	if formulaStart(s) {
		s = "'" + s
	}
	if strings.ContainsAny(s, ",;\"\t\r\n") || strings.HasPrefix(s, " ") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// formulaStart reports whether a spreadsheet could read s as a formula or
// command: its first character after any spaces starts one. The full-width
// forms count because some spreadsheet locales fold them to ASCII.
func formulaStart(s string) bool {
	for _, r := range s {
		switch r {
		case ' ':
			continue
		case '=', '+', '-', '@', '\t', '\r', '\n', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20':
			return true
		}
		return false
	}
	return false
}

// WriteParquet writes the export as Parquet (zstd, one row group: a
// quarter's payroll is small).
func WriteParquet(w io.Writer, recs []ExportRecord) error {
	rows, err := ExportRows(recs)
	if err != nil {
		return err
	}
	pw := parquet.NewGenericWriter[ExportRow](w, parquet.Compression(&parquet.Zstd))
	if _, err := pw.Write(rows); err != nil {
		return fmt.Errorf("export parquet: %w", err)
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("export parquet: %w", err)
	}
	return nil
}

// exportQuarter is the quarter of a record finance may export: approved or
// final only (a draft is refused), with a valid quarter. Every export format
// goes through it.
func (r ExportRecord) exportQuarter() (period.Quarter, error) {
	s := r.Statement
	if r.Status != StatusApproved && r.Status != StatusFinal {
		return period.Quarter{}, fmt.Errorf("export: statement %s is %q; only approved or final statements are exported", s.ID, r.Status)
	}
	q, err := period.Parse(s.Quarter)
	if err != nil {
		return period.Quarter{}, fmt.Errorf("export: statement %s: %w", s.ID, err)
	}
	return q, nil
}
