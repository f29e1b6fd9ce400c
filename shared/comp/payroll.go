package comp

import (
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
	"github.com/venn-revops/venn/shared/money"
	"github.com/venn-revops/venn/shared/period"
)

// PayrollFile is the payroll export configuration in the comp folder.
const PayrollFile = "payroll.yaml"

// EarningsKind is what a payroll earnings code pays: each statement line
// kind belongs to one (earningsKindOf; a resolved dispute pays as an
// adjustment), and a manual adjustment can be
// marked a draw.
type EarningsKind string

// The earnings kinds payroll.yaml maps to codes.
const (
	EarnBonus         EarningsKind = "bonus"                   // attainment bonus lines
	EarnCommission    EarningsKind = "commission"              // commission and commission-cap lines
	EarnClawback      EarningsKind = "clawback"                // clawback lines (negative)
	EarnAdjustment    EarningsKind = "adjustment"              // manual adjustments
	EarnPriorPeriod   EarningsKind = "prior_period_adjustment" // corrections to final statements; optional, else adjustment's code
	EarnDraw          EarningsKind = "draw"                    // adjustments marked `earnings: draw`; required only then
	EarnSPIF          EarningsKind = "spif"                    // SPIF lines; optional, else bonus's code
	EarningTypeEarn                = "earning"
	EarningTypeDeduct              = "deduction"
)

// requiredKinds must be mapped whenever payroll.yaml exists.
var requiredKinds = []EarningsKind{EarnBonus, EarnCommission, EarnClawback, EarnAdjustment}

var knownKinds = map[EarningsKind]bool{EarnBonus: true, EarnCommission: true, EarnClawback: true, EarnAdjustment: true, EarnPriorPeriod: true, EarnDraw: true, EarnSPIF: true}

// earningsKindOf is the one home of the line kind → earnings kind rule.
func earningsKindOf(lineKind string) (EarningsKind, bool) {
	switch lineKind {
	case LineAttainmentBonus:
		return EarnBonus, true
	case LineCommission, LineCommissionCap:
		return EarnCommission, true
	case LineClawback:
		return EarnClawback, true
	case LineAdjustment, LineDisputeAdjustment: // a dispute resolved with an adjustment is one
		return EarnAdjustment, true
	case LinePriorPeriod:
		return EarnPriorPeriod, true
	case LineSPIF:
		return EarnSPIF, true
	}
	return "", false
}

// EarningsCode is one payroll code and whether payroll books it as an
// earning or a deduction.
type EarningsCode struct {
	Code string `yaml:"code"`
	Type string `yaml:"type"`
}

// PayDateRule says when a quarter is paid: the calendar's date for the
// quarter when it has one, else DaysAfterPeriodEnd days after the quarter's
// last day.
type PayDateRule struct {
	DaysAfterPeriodEnd *int           `yaml:"days_after_period_end"`
	Calendar           map[string]Day `yaml:"calendar"`
}

// EntityRule names the legal entity that pays a person: by cost center
// first, then by team, else the default.
type EntityRule struct {
	Default      string            `yaml:"default"`
	ByCostCenter map[string]string `yaml:"by_cost_center"`
	ByTeam       map[string]string `yaml:"by_team"`
}

// PayrollConfig is payroll.yaml: the export's earnings codes, pay date and
// paying entity, and whether the long format is written.
type PayrollConfig struct {
	File          string                        `yaml:"-"`
	LongFormat    bool                          `yaml:"long_format"`
	Deductions    string                        `yaml:"deduction_amounts"` // "negative" (default) or "positive"
	EarningsCodes map[EarningsKind]EarningsCode `yaml:"earnings_codes"`
	PayDate       PayDateRule                   `yaml:"pay_date"`
	Entities      EntityRule                    `yaml:"entities"`
}

var payrollCode = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,29}$`)

// LoadPayroll reads and checks payroll.yaml.
func LoadPayroll(fsys fs.FS, name string) (*PayrollConfig, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("load payroll config: %w", err)
	}
	return ParsePayroll(name, b)
}

// ParsePayroll is LoadPayroll over bytes already read: every problem is
// reported as a ValidationError naming the key.
func ParsePayroll(file string, b []byte) (*PayrollConfig, error) {
	var p PayrollConfig
	e := &errs{file: file}
	if err := decodeYAML(file, b, &p); err != nil {
		asValidation(&e.list, err)
		if len(p.EarningsCodes) == 0 && p.Entities.Default == "" {
			return nil, e.err()
		}
	}
	p.File = file
	switch p.Deductions {
	case "":
		p.Deductions = "negative"
	case "negative", "positive":
	default:
		e.add("deduction_amounts", "%q: want negative or positive", p.Deductions)
	}
	for _, k := range requiredKinds {
		if _, ok := p.EarningsCodes[k]; !ok {
			e.add("earnings_codes."+string(k), "required: every %s line needs a payroll code", k)
		}
	}
	typeOf := map[string]string{}
	kinds := make([]string, 0, len(p.EarningsCodes))
	for k := range p.EarningsCodes {
		kinds = append(kinds, string(k))
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		c := p.EarningsCodes[EarningsKind(k)]
		at := "earnings_codes." + k
		if !knownKinds[EarningsKind(k)] {
			e.add(at, "unknown earnings kind (known: bonus, commission, clawback, adjustment, prior_period_adjustment, draw, spif)")
			continue
		}
		if !payrollCode.MatchString(c.Code) {
			e.add(at+".code", "%q: want 1 to 30 letters, digits, _ . or -, starting with a letter or digit", c.Code)
		}
		if c.Type != EarningTypeEarn && c.Type != EarningTypeDeduct {
			e.add(at+".type", "%q: want earning or deduction", c.Type)
		}
		if t, ok := typeOf[c.Code]; ok && t != c.Type {
			e.add(at+".type", "code %s is also mapped as %s: one code, one type", c.Code, t)
		}
		typeOf[c.Code] = c.Type
	}
	if c, ok := p.EarningsCodes[EarnClawback]; ok && c.Type == EarningTypeEarn {
		e.add("earnings_codes.clawback.type", "a clawback recovers pay: map it to a deduction")
	}
	if d := p.PayDate.DaysAfterPeriodEnd; d != nil && (*d < 0 || *d > 366) {
		e.add("pay_date.days_after_period_end", "%d: want 0 to 366", *d)
	}
	if p.PayDate.DaysAfterPeriodEnd == nil && len(p.PayDate.Calendar) == 0 {
		e.add("pay_date", "required: days_after_period_end, or a calendar of quarter: date")
	}
	for qs, day := range p.PayDate.Calendar {
		q, err := period.Parse(qs)
		if err != nil {
			e.add("pay_date.calendar."+qs, "%v", err)
			continue
		}
		if day.Before(q.End().AddDate(0, 0, -1)) {
			e.add("pay_date.calendar."+qs, "%s is before the quarter's last day %s", day, q.End().AddDate(0, 0, -1).Format(time.DateOnly))
		}
	}
	if p.Entities.Default == "" {
		e.add("entities.default", "required: the entity of anyone no cost center or team names")
	}
	for what, m := range map[string]map[string]string{"by_cost_center": p.Entities.ByCostCenter, "by_team": p.Entities.ByTeam} {
		for k, v := range m {
			if v == "" {
				e.add("entities."+what+"."+k, "empty entity")
			}
		}
	}
	if err := e.err(); err != nil {
		return nil, err
	}
	return &p, nil
}

// validateDraws checks that adjustments marked as draws have a draw code.
func validateDraws(adjs []Adjustment, p *PayrollConfig) ValidationErrors {
	e := &errs{file: "adjustments.yaml"}
	for i, a := range adjs {
		switch a.Earnings {
		case "", EarnAdjustment:
		case EarnDraw:
			if p == nil {
				e.add(fmt.Sprintf("adjustments[%d].earnings", i), "draw needs %s with an earnings_codes.draw code", PayrollFile)
			} else if _, ok := p.EarningsCodes[EarnDraw]; !ok {
				e.add(fmt.Sprintf("adjustments[%d].earnings", i), "draw has no code: add earnings_codes.draw to %s", p.File)
			}
		default:
			e.add(fmt.Sprintf("adjustments[%d].earnings", i), "%q: want adjustment or draw", a.Earnings)
		}
	}
	return e.list
}

// PayDate is quarter q's pay date.
func (p *PayrollConfig) PayDateOf(q period.Quarter) (time.Time, error) {
	if d, ok := p.PayDate.Calendar[q.String()]; ok {
		return d.Time, nil
	}
	if p.PayDate.DaysAfterPeriodEnd == nil {
		return time.Time{}, fmt.Errorf("%s: pay_date.calendar has no date for %s and there is no days_after_period_end", p.File, q)
	}
	return periodEnd(q).AddDate(0, 0, *p.PayDate.DaysAfterPeriodEnd), nil
}

// EntityOf is the entity paying a person of cost center cc and team.
func (p *PayrollConfig) EntityOf(cc, team string) string {
	if v, ok := p.Entities.ByCostCenter[cc]; ok && cc != "" {
		return v
	}
	if v, ok := p.Entities.ByTeam[team]; ok && team != "" {
		return v
	}
	return p.Entities.Default
}

// periodEnd is the quarter's last day (inclusive).
func periodEnd(q period.Quarter) time.Time { return q.End().AddDate(0, 0, -1) }

// LongRow is one row of the long payroll export: one person, one statement
// and one earnings code, the amount being the sum of the statement's lines
// of that code. Amounts are DECIMAL(18,2) on int64 cents.
type LongRow struct {
	EmployeeID       string `parquet:"employee_id"`
	PersonID         string `parquet:"person_id"`
	Name             string `parquet:"name"`
	Entity           string `parquet:"entity,dict"`
	EarningsCode     string `parquet:"earnings_code,dict"`
	EarningsType     string `parquet:"earnings_type,dict"`
	Amount           int64  `parquet:"amount,decimal(2:18)"`
	Currency         string `parquet:"currency,dict"`
	PayDate          int32  `parquet:"pay_date,date"`
	PeriodStart      int32  `parquet:"period_start,date"`
	PeriodEnd        int32  `parquet:"period_end,date"`
	Quarter          string `parquet:"quarter,dict"`
	StatementID      string `parquet:"statement_id"`
	StatementVersion int64  `parquet:"statement_version"`
	Status           string `parquet:"status,dict"`
}

// LongRows turns approved or final statements into long rows, sorted by
// employee id, statement and earnings code. Lines of one code are summed
// (commission and its cap are one commission amount); a code whose lines sum
// to zero gives no row. Amounts keep the statement's sign (a clawback is
// negative) unless deduction_amounts is positive, which writes deductions as
// positive amounts. adjustments are the configured manual adjustments, for
// the ones marked as draws.
func LongRows(recs []ExportRecord, p *PayrollConfig, adjustments []Adjustment) ([]LongRow, error) {
	draws := map[string]bool{}
	for _, a := range adjustments {
		if a.Earnings == EarnDraw {
			draws[a.ID] = true
		}
	}
	var rows []LongRow
	for _, r := range recs {
		s := r.Statement
		q, err := r.exportQuarter()
		if err != nil {
			return nil, err
		}
		pay, err := p.PayDateOf(q)
		if err != nil {
			return nil, fmt.Errorf("export: statement %s: %w", s.ID, err)
		}
		sums := map[string]decimal.Decimal{}
		var order []string
		for _, l := range s.Lines {
			kind, ok := lineEarnings(l)
			if !ok {
				return nil, fmt.Errorf("export: statement %s line %s: kind %q has no earnings kind", s.ID, l.Key, l.Kind)
			}
			if kind == EarnAdjustment && draws[l.Ref] {
				kind = EarnDraw
			}
			code, ok := p.EarningsCodes[kind]
			if !ok && kind == EarnPriorPeriod {
				code, ok = p.EarningsCodes[EarnAdjustment]
			}
			if !ok && kind == EarnSPIF {
				code, ok = p.EarningsCodes[EarnBonus]
			}
			if !ok {
				return nil, fmt.Errorf("export: statement %s line %s: %s has no earnings_codes.%s", s.ID, l.Key, p.File, kind)
			}
			if _, seen := sums[code.Code]; !seen {
				order = append(order, code.Code)
			}
			sums[code.Code] = sums[code.Code].Add(l.Amount.Decimal)
		}
		types := map[string]string{}
		for _, c := range p.EarningsCodes {
			types[c.Code] = c.Type
		}
		for _, code := range order {
			amt := money.Round(sums[code])
			if amt.IsZero() {
				continue
			}
			if types[code] == EarningTypeDeduct && p.Deductions == "positive" {
				amt = amt.Neg()
			}
			rows = append(rows, LongRow{
				EmployeeID: s.EmployeeID, PersonID: s.PersonID, Name: s.Name, Entity: p.EntityOf(s.CostCenter, s.Team),
				EarningsCode: code, EarningsType: types[code], Amount: money.Cents(amt), Currency: s.Currency,
				PayDate: epochDay(pay), PeriodStart: epochDay(q.Start()), PeriodEnd: epochDay(periodEnd(q)),
				Quarter: s.Quarter, StatementID: s.ID, StatementVersion: r.Version, Status: r.Status,
			})
		}
	}
	sort.SliceStable(rows, func(a, b int) bool {
		x, y := rows[a], rows[b]
		if x.EmployeeID != y.EmployeeID {
			return x.EmployeeID < y.EmployeeID
		}
		if x.StatementID != y.StatementID {
			return x.StatementID < y.StatementID
		}
		return x.EarningsCode < y.EarningsCode
	})
	return rows, nil
}

func epochDay(t time.Time) int32 { return int32(t.UTC().Unix() / 86400) }

func dayString(d int32) string {
	return period.Date(1970, 1, 1).AddDate(0, 0, int(d)).Format(time.DateOnly)
}

// LongCSVHeader is the long export's column order.
var LongCSVHeader = []string{"employee_id", "person_id", "name", "entity", "earnings_code", "earnings_type", "amount", "currency",
	"pay_date", "period_start", "period_end", "quarter", "statement_id", "statement_version", "status"}

// WriteLongCSV writes long rows as CSV under the same rules as WriteCSV.
func WriteLongCSV(w io.Writer, rows []LongRow) error {
	cells := make([][]string, len(rows))
	for i, r := range rows {
		cells[i] = []string{
			textCell(r.EmployeeID), textCell(r.PersonID), textCell(r.Name), textCell(r.Entity),
			textCell(r.EarningsCode), textCell(r.EarningsType), money.FromCents(r.Amount).StringFixed(money.Scale), textCell(r.Currency),
			dayString(r.PayDate), dayString(r.PeriodStart), dayString(r.PeriodEnd), textCell(r.Quarter),
			textCell(r.StatementID), strconv.FormatInt(r.StatementVersion, 10), textCell(r.Status),
		}
	}
	return writeCSVRecords(w, LongCSVHeader, cells)
}
