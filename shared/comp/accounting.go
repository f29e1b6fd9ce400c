package comp

import (
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/money"
	"github.com/venn-revops/venn/shared/period"
)

// AccountingFile is the optional finance accounting configuration in the
// comp folder: commission expense under ASC 340-40.
const AccountingFile = "accounting.yaml"

// AccountingConfig is accounting.yaml. Under ASC 340-40 the incremental
// costs of obtaining a contract (costs incurred only because the contract
// was obtained, ASC 340-40-25-1) are an asset, amortised on a systematic
// basis over the period the contract's goods or services are transferred
// (340-40-35-1), here straight-line over BenefitMonths. Venn's rule for
// which statement lines those are: the commission paid per deal (each
// credit's payments, the amounts a clawback takes back) on deals of the
// listed classes. Bonuses on attainment, adjustments, corrections and
// disputes are not tied to obtaining one contract and are expensed as
// incurred; draws, holds and releases are payment timing, not cost.
type AccountingConfig struct {
	File string `yaml:"-"`
	// CapitaliseDealTypes are the deal classes whose commission is
	// capitalised (new contracts: new_business, and expansion when an
	// expansion is a contract of its own).
	CapitaliseDealTypes []string `yaml:"capitalise_deal_types"`
	// BenefitMonths is the expected benefit period: the contract term and
	// the renewals the commission is expected to bring, from the deal's
	// close month (inclusive).
	BenefitMonths int `yaml:"benefit_months"`
	// PracticalExpedient expenses the commission at once when the benefit
	// period is a year or less (ASC 340-40-25-4).
	PracticalExpedient bool `yaml:"practical_expedient"`
	// ExpenseSPIFs are SPIF components (plan component ids) whose payments
	// are expensed as incurred even on capitalised deal classes: a SPIF
	// finance judges is not an incremental cost of obtaining the contract
	// (one that rewards something besides the signing, or a programme
	// finance expenses as immaterial). Checked against the plans
	// (CheckAccountingSPIFs).
	ExpenseSPIFs []string `yaml:"expense_spifs"`
}

// LoadAccounting reads and checks accounting.yaml.
func LoadAccounting(fsys fs.FS, name string) (*AccountingConfig, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("load accounting config: %w", err)
	}
	var a AccountingConfig
	e := &errs{file: name}
	if err := decodeYAML(name, b, &a); err != nil {
		return nil, err
	}
	a.File = name
	if len(a.CapitaliseDealTypes) == 0 {
		e.add("capitalise_deal_types", "required: the deal classes whose commission is an incremental cost of obtaining a contract")
	}
	for i, t := range a.CapitaliseDealTypes {
		if !contains(kpi.Classes(), t) {
			e.add(fmt.Sprintf("capitalise_deal_types[%d]", i), "%q is not an opportunity class; want one of %s", t, strings.Join(kpi.Classes(), ", "))
		}
	}
	for i, id := range a.ExpenseSPIFs {
		if slices.Index(a.ExpenseSPIFs, id) < i {
			e.add(fmt.Sprintf("expense_spifs[%d]", i), "%q is listed twice", id)
		}
	}
	if a.BenefitMonths < 1 || a.BenefitMonths > 120 {
		e.add("benefit_months", "%d: want the expected benefit period in months, 1 to 120", a.BenefitMonths)
	}
	if err := e.err(); err != nil {
		return nil, err
	}
	return &a, nil
}

// CheckAccountingSPIFs checks accounting.yaml's expense_spifs against the
// plans: each names a spif component of some plan and no component of
// another kind (payments are matched by component id).
func CheckAccountingSPIFs(a *AccountingConfig, plans []*Plan) error {
	if a == nil {
		return nil
	}
	e := &errs{file: a.File}
	for i, id := range a.ExpenseSPIFs {
		spif, other := false, ""
		for _, p := range plans {
			for _, c := range p.Components {
				switch {
				case c.ID != id:
				case c.Kind == KindSPIF:
					spif = true
				default:
					other = fmt.Sprintf("%s (%s)", p.Ref(), c.Kind)
				}
			}
		}
		switch {
		case other != "":
			e.add(fmt.Sprintf("expense_spifs[%d]", i), "%q is a component of plan %s, not a spif: commission on capitalised deal classes is always capitalised", id, other)
		case !spif:
			e.add(fmt.Sprintf("expense_spifs[%d]", i), "%q is no plan's spif component", id)
		}
	}
	return e.err()
}

// capitalises reports whether payment pm of a credit on a capitalised
// deal class is capitalised: every one but those of ExpenseSPIFs.
func (a *AccountingConfig) capitalises(pm Payment) bool {
	return !pm.Paid.IsZero() && !contains(a.ExpenseSPIFs, pm.Component)
}

// expensesAtOnce reports whether the practical expedient applies.
func (a *AccountingConfig) expensesAtOnce() bool {
	return a.PracticalExpedient && a.BenefitMonths <= 12
}

// QuartersNeeded is how many quarters before the exported one hold
// capitalised commission still being amortised.
func (a *AccountingConfig) QuartersNeeded() int { return (a.BenefitMonths+2)/3 + 1 }

// AccountingRow is one person's commission cost in one quarter under ASC
// 340-40: what was incurred, how much of it became an asset, what was
// expensed, and the asset from opening to closing. Amounts are exact cents:
//
//	expensed = incurred − capitalised + amortised + written_off
//	closing  = opening + capitalised − amortised − written_off
type AccountingRow struct {
	Quarter     string
	PersonID    string
	EmployeeID  string
	Name        string
	CostCenter  string
	Currency    string
	Incurred    decimal.Decimal // the statement's earning lines (before holds, caps and draws)
	Capitalised decimal.Decimal // commission on capitalised deal classes
	Amortised   decimal.Decimal // this quarter's straight-line share of every open asset
	WrittenOff  decimal.Decimal // the unamortised asset of deals clawed back this quarter
	Expensed    decimal.Decimal
	Opening     decimal.Decimal
	Closing     decimal.Decimal
}

// capitalised is one deal's capitalised commission for one person.
type capitalised struct {
	key    string // statement quarter / deal / role / component
	deal   string
	start  time.Time // first day of the close month
	amount decimal.Decimal
	ended  string // the quarter a clawback wrote it off, "" while open
}

// AccountingRows computes quarter q's rows from the statements of q and
// of the quarters before it (at least QuartersNeeded of them, for the
// amortisation of earlier commission), one row per person with a
// statement in q or an asset still amortising, sorted by employee id.
func AccountingRows(stmts []Statement, a *AccountingConfig, q period.Quarter) ([]AccountingRow, error) {
	byPerson := map[string][]Statement{}
	for _, s := range stmts {
		sq, err := period.Parse(s.Quarter)
		if err != nil {
			return nil, fmt.Errorf("accounting: statement %s: %w", s.ID, err)
		}
		if !q.Before(sq) {
			byPerson[s.PersonID] = append(byPerson[s.PersonID], s)
		}
	}
	var rows []AccountingRow
	for _, sts := range byPerson {
		sort.Slice(sts, func(i, j int) bool { return sts[i].Quarter < sts[j].Quarter })
		row, keep, err := accountingRow(sts, a, q)
		if err != nil {
			return nil, err
		}
		if keep {
			rows = append(rows, row)
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].EmployeeID != rows[j].EmployeeID {
			return rows[i].EmployeeID < rows[j].EmployeeID
		}
		return rows[i].PersonID < rows[j].PersonID
	})
	return rows, nil
}

// accountingRow is one person's row for q from their statements up to q,
// oldest first: each quarter's capitalisation, clawback write-offs and
// amortisation are replayed so the opening balance is the previous
// quarter's closing one.
func accountingRow(sts []Statement, a *AccountingConfig, q period.Quarter) (AccountingRow, bool, error) {
	last := sts[len(sts)-1]
	row := AccountingRow{Quarter: q.String(), PersonID: last.PersonID, EmployeeID: last.EmployeeID, Name: last.Name, CostCenter: last.CostCenter, Currency: last.Currency}
	var assets []*capitalised
	byDeal := map[string][]*capitalised{}
	opened := false
	for _, s := range sts {
		this := s.Quarter == q.String()
		if this {
			row.Opening, opened = balance(assets, q.Prev(), a), true
		}
		// Clawbacks of capitalised deals write off what is left of them.
		for _, l := range s.Lines {
			if l.Kind != LineClawback {
				continue
			}
			for _, c := range byDeal[l.Ref] {
				if c.ended != "" {
					continue
				}
				sq, _ := period.Parse(s.Quarter)
				left := c.amount.Sub(amortisedThrough(c, sq.Prev(), a))
				c.ended = s.Quarter
				if this {
					row.WrittenOff = row.WrittenOff.Add(left)
				}
			}
		}
		if !a.expensesAtOnce() {
			for _, cr := range s.Credits {
				if !contains(a.CapitaliseDealTypes, cr.Type) {
					continue
				}
				closed, err := time.Parse(time.DateOnly, cr.CloseDate)
				if err != nil {
					return row, false, fmt.Errorf("accounting: statement %s deal %s: close date: %w", s.ID, cr.DealID, err)
				}
				for _, pm := range payments(cr) {
					if !a.capitalises(pm) {
						continue
					}
					c := &capitalised{key: fmt.Sprintf("%s/%s/%s/%s", s.Quarter, cr.DealID, cr.Role, pm.Component), deal: cr.DealID,
						start: time.Date(closed.Year(), closed.Month(), 1, 0, 0, 0, 0, time.UTC), amount: pm.Paid.Decimal}
					assets = append(assets, c)
					byDeal[cr.DealID] = append(byDeal[cr.DealID], c)
					if this {
						row.Capitalised = row.Capitalised.Add(c.amount)
					}
				}
			}
		}
		if this {
			row.Incurred = earnedOf(s)
		}
	}
	if !opened { // no statement in q: the assets still amortise
		row.Opening = balance(assets, q.Prev(), a)
	}
	for _, c := range assets {
		if c.ended != "" && c.ended <= q.String() {
			continue
		}
		row.Amortised = row.Amortised.Add(amortisedThrough(c, q, a).Sub(amortisedThrough(c, q.Prev(), a)))
	}
	row.Expensed = row.Incurred.Sub(row.Capitalised).Add(row.Amortised).Add(row.WrittenOff)
	row.Closing = row.Opening.Add(row.Capitalised).Sub(row.Amortised).Sub(row.WrittenOff)
	keep := last.Quarter == q.String() || !row.Opening.IsZero() || !row.Amortised.IsZero()
	return row, keep, nil
}

// earnedOf is what a statement incurred: its earning lines, before the
// payment stage (holds, caps and draws move pay in time; they are not cost).
func earnedOf(s Statement) decimal.Decimal {
	if s.Pay != nil {
		return s.Pay.Earned.Decimal
	}
	return s.Total.Decimal
}

// amortisedThrough is how much of asset c is amortised by the end of
// quarter q: amount × months elapsed ÷ benefit months, rounded to the
// cent once per cumulative figure, so a quarter's amortisation is the
// difference of two cumulatives and the asset amortises to exactly zero.
func amortisedThrough(c *capitalised, q period.Quarter, a *AccountingConfig) decimal.Decimal {
	end := q.End() // first day after the quarter
	months := (end.Year()-c.start.Year())*12 + int(end.Month()) - int(c.start.Month())
	switch {
	case months <= 0:
		return decimal.Zero
	case months >= a.BenefitMonths:
		return c.amount
	}
	return roundCents(mul(rat(c.amount), big.NewRat(int64(months), int64(a.BenefitMonths))))
}

// balance is the unamortised asset at the end of quarter q.
func balance(assets []*capitalised, q period.Quarter, a *AccountingConfig) decimal.Decimal {
	sum := decimal.Zero
	for _, c := range assets {
		if c.ended != "" && c.ended <= q.String() {
			continue
		}
		sum = sum.Add(c.amount.Sub(amortisedThrough(c, q, a)))
	}
	return sum
}

// AccountingCSVHeader is the ASC 340-40 export's column order.
var AccountingCSVHeader = []string{"quarter", "employee_id", "person_id", "name", "cost_center", "currency",
	"incurred", "capitalised", "amortised", "written_off", "expensed", "asset_opening", "asset_closing"}

// WriteAccountingCSV writes the rows under the payroll CSV's rules
// (WriteCSV): text cells neutralised, amounts written from decimals.
func WriteAccountingCSV(w io.Writer, rows []AccountingRow) error {
	amt := func(d decimal.Decimal) string { return money.Round(d).StringFixed(money.Scale) }
	cells := make([][]string, len(rows))
	for i, r := range rows {
		cells[i] = []string{textCell(r.Quarter), textCell(r.EmployeeID), textCell(r.PersonID), textCell(r.Name), textCell(r.CostCenter), textCell(r.Currency),
			amt(r.Incurred), amt(r.Capitalised), amt(r.Amortised), amt(r.WrittenOff), amt(r.Expensed), amt(r.Opening), amt(r.Closing)}
	}
	return writeCSVRecords(w, AccountingCSVHeader, cells)
}
