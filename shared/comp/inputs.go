package comp

import (
	"fmt"
	"io/fs"
	"sort"
	"time"

	"github.com/shopspring/decimal"
	"github.com/venn-revops/venn/shared/money"
	"github.com/venn-revops/venn/shared/period"
)

// Person is someone who may be paid. ID is the Salesforce user Id.
type Person struct {
	ID         string
	EmployeeID string
	Name       string
	CostCenter string
	Team       string
	ManagerID  string
	Currency   string
	// Managers optionally records who the person reported to when, for
	// manager rollups across a change of manager. Empty means ManagerID for
	// the whole quarter.
	Managers []ManagerSpan
}

// ManagerSpan is a dated reporting line; To is inclusive, zero is open.
type ManagerSpan struct {
	ManagerID string
	From, To  time.Time
}

// managerOn returns who p reported to on day t.
func (p *Person) managerOn(t time.Time) string {
	if len(p.Managers) == 0 {
		return p.ManagerID
	}
	for _, m := range p.Managers {
		if covers(Day{m.From}, Day{m.To}, t) {
			return m.ManagerID
		}
	}
	return ""
}

// Metrics looks up a KPI value for the closed quarter. scope is individual
// (key = person Id), team (key = team name) or org (key = "all"); model is
// the attribution model or "".
type Metrics interface {
	Metric(kpi, scope, key, model string) (decimal.Decimal, bool)
}

// MetricKey identifies one KPI value.
type MetricKey struct{ KPI, Scope, Key, Model string }

// MetricTable is a Metrics backed by a map, for adapters and tests.
type MetricTable map[MetricKey]decimal.Decimal

// Metric implements Metrics.
func (m MetricTable) Metric(kpi, scope, key, model string) (decimal.Decimal, bool) {
	v, ok := m[MetricKey{kpi, scope, key, model}]
	return v, ok
}

// Deal is an opportunity for crediting and commission.
type Deal struct {
	ID        string
	Name      string
	OwnerID   string
	Amount    decimal.Decimal
	Currency  string
	CloseDate time.Time
	Won       bool
	// Type is the deal's class as the KPI configuration classifies its
	// Opportunity Type (kpi.Config.Class: new_business, expansion,
	// renewal; "" for a type the configuration does not map), so comp and
	// the KPIs count the same deals as new business.
	Type string
	// Splits share the credit; empty means 100% to the owner. Percents are
	// 0–100 and must sum to 100.
	Splits []Split
	// Dates are the deal's date fields plans hold pay on (HoldDateFields),
	// by lake column; a field not set is absent.
	Dates map[string]time.Time
	// LeadSource is the opportunity's lead source and Lines its products
	// (line items), which SPIF conditions read.
	LeadSource string
	Lines      []DealLine
}

// Split is one person's share of a deal, in percent.
type Split struct {
	PersonID string
	Percent  decimal.Decimal
}

// Cancellation records a won deal later lost or cancelled, on Date.
type Cancellation struct {
	DealID string
	Date   time.Time
}

// Adjustment is a manual line: every field is required.
type Adjustment struct {
	ID       string `yaml:"id"`
	PersonID string `yaml:"person"`
	Quarter  string `yaml:"quarter"`
	Amount   Dec    `yaml:"amount"`
	Currency string `yaml:"currency"`
	Reason   string `yaml:"reason"`
	Author   string `yaml:"author"`
	// Earnings is how the payroll export books it (payroll.yaml):
	// adjustment (the default) or draw.
	Earnings EarningsKind `yaml:"earnings,omitempty"`
}

type adjustmentsFile struct {
	Adjustments []Adjustment `yaml:"adjustments"`
}

// LoadAdjustments reads and checks an adjustments file (see
// shared/config/comp/adjustments.yaml): every field present, the amount in cents,
// the quarter well-formed, the currency ISO 4217, ids unique.
func LoadAdjustments(fsys fs.FS, name string) ([]Adjustment, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("load adjustments: %w", err)
	}
	return ParseAdjustments(name, b)
}

// ParseAdjustments is LoadAdjustments over bytes already read.
func ParseAdjustments(file string, b []byte) ([]Adjustment, error) {
	var f adjustmentsFile
	e := &errs{file: file}
	if err := decodeYAML(file, b, &f); err != nil {
		if len(f.Adjustments) == 0 {
			return nil, err
		}
		asValidation(&e.list, err)
	}
	seen := map[string]bool{}
	for i, a := range f.Adjustments {
		at := fmt.Sprintf("adjustments[%d]", i)
		for _, req := range []struct{ name, v string }{{"id", a.ID}, {"person", a.PersonID}, {"quarter", a.Quarter}, {"currency", a.Currency}, {"reason", a.Reason}, {"author", a.Author}} {
			if req.v == "" {
				e.add(at+"."+req.name, "required")
			}
		}
		if a.ID != "" && seen[a.ID] {
			e.add(at+".id", "%q is used twice", a.ID)
		}
		seen[a.ID] = true
		if a.Quarter != "" {
			if _, err := period.Parse(a.Quarter); err != nil {
				e.add(at+".quarter", "%v", err)
			}
		}
		if a.Currency != "" && !IsCurrency(a.Currency) {
			e.add(at+".currency", "%q is not an ISO 4217 currency code", a.Currency)
		}
		switch {
		case !a.Amount.Set:
			e.add(at+".amount", "required")
		case a.Amount.IsZero():
			e.add(at+".amount", "must not be zero")
		default:
			if _, err := money.Parse(a.Amount.String()); err != nil {
				e.add(at+".amount", "%v", err)
			}
		}
	}
	if err := e.err(); err != nil {
		return nil, err
	}
	return f.Adjustments, nil
}

// Assignments say which plan each person is on, when. A person assignment
// names a role (resolved through the role assignments) or a plan directly.
// All dates are inclusive; an empty to is open-ended.
type Assignments struct {
	Roles  []RoleAssignment   `yaml:"roles"`
	People []PersonAssignment `yaml:"people"`
	File   string             `yaml:"-"`
}

// RoleAssignment maps a role to a plan id over dates.
type RoleAssignment struct {
	Role string `yaml:"role"`
	Plan string `yaml:"plan"`
	From Day    `yaml:"from"`
	To   Day    `yaml:"to"`
}

// PersonAssignment puts a person on a role or a plan over dates. A hire is
// the first from; a leaver's last day is the last to.
type PersonAssignment struct {
	Person string `yaml:"person"`
	Name   string `yaml:"name"` // for readers of the file; not used
	Role   string `yaml:"role"`
	Plan   string `yaml:"plan"`
	From   Day    `yaml:"from"`
	To     Day    `yaml:"to"`
}

// LoadAssignments reads and structurally checks an assignments file.
// Overlaps (two plans on one day) are found by ValidateRun, which knows the
// quarter and the plans.
func LoadAssignments(fsys fs.FS, name string) (*Assignments, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("load assignments: %w", err)
	}
	return ParseAssignments(name, b)
}

// ParseAssignments is LoadAssignments over bytes already read.
func ParseAssignments(file string, b []byte) (*Assignments, error) {
	var a Assignments
	e := &errs{file: file}
	if err := decodeYAML(file, b, &a); err != nil {
		if len(a.Roles)+len(a.People) == 0 {
			return nil, err
		}
		asValidation(&e.list, err)
	}
	a.File = file
	for i, r := range a.Roles {
		at := fmt.Sprintf("roles[%d]", i)
		if r.Role == "" {
			e.add(at+".role", "required")
		}
		if r.Plan == "" {
			e.add(at+".plan", "required")
		}
		checkDates(e, at, r.From, r.To)
	}
	for i, p := range a.People {
		at := fmt.Sprintf("people[%d]", i)
		if p.Person == "" {
			e.add(at+".person", "required")
		}
		if (p.Role == "") == (p.Plan == "") {
			e.add(at, "give exactly one of role or plan")
		}
		checkDates(e, at, p.From, p.To)
	}
	checkOverlaps(e, "people", len(a.People), func(i int) (string, Day, Day) {
		return a.People[i].Person, a.People[i].From, a.People[i].To
	})
	checkOverlaps(e, "roles", len(a.Roles), func(i int) (string, Day, Day) {
		return a.Roles[i].Role, a.Roles[i].From, a.Roles[i].To
	})
	if err := e.err(); err != nil {
		return nil, err
	}
	return &a, nil
}

// checkOverlaps reports two entries for the same person (or role) whose
// date ranges share a day: a person with two plans on one day.
func checkOverlaps(e *errs, list string, n int, entry func(i int) (who string, from, to Day)) {
	checkOverlapsBy(e, list, n, entry, "two plans would be active on the same day")
}

// checkOverlapsBy is checkOverlaps with the consequence named by what.
func checkOverlapsBy(e *errs, list string, n int, entry func(i int) (who string, from, to Day), what string) {
	for i := 0; i < n; i++ {
		wi, fi, ti := entry(i)
		for j := i + 1; j < n; j++ {
			wj, fj, tj := entry(j)
			if wi == wj && !fi.IsZero() && !fj.IsZero() && overlaps(fi, ti, fj, tj) {
				start := fi
				if fj.After(fi.Time) {
					start = fj
				}
				e.add(fmt.Sprintf("%s[%d]", list, j), "%s is also assigned by %s[%d] on %s: %s", wi, list, i, start, what)
			}
		}
	}
}

func checkDates(e *errs, at string, from, to Day) {
	if from.IsZero() {
		e.add(at+".from", "required")
	} else if !to.IsZero() && to.Before(from.Time) {
		e.add(at+".to", "%s is before from %s", to, from)
	}
}

// Span is a stretch of the quarter during which a person is on one plan
// version. From and To are inclusive days inside the quarter.
type Span struct {
	Plan     *Plan
	From, To time.Time
	Days     int
}

// planOn resolves which plan version a person is on, on day t, from the
// person's own assignments (mine), and reports
// problems (two assignments on one day, an unknown role or plan).
func (a *Assignments) planOn(mine []PersonAssignment, t time.Time, plans []*Plan) (*Plan, error) {
	var found []PersonAssignment
	for _, pa := range mine {
		if covers(pa.From, pa.To, t) {
			found = append(found, pa)
		}
	}
	if len(found) == 0 {
		return nil, nil
	}
	if len(found) > 1 {
		return nil, fmt.Errorf("two plans active on %s: %s and %s", t.Format(time.DateOnly), describe(found[0]), describe(found[1]))
	}
	planID := found[0].Plan
	if found[0].Role != "" {
		var roles []RoleAssignment
		for _, r := range a.Roles {
			if r.Role == found[0].Role && covers(r.From, r.To, t) {
				roles = append(roles, r)
			}
		}
		switch len(roles) {
		case 0:
			return nil, fmt.Errorf("role %q has no plan on %s", found[0].Role, t.Format(time.DateOnly))
		case 1:
			planID = roles[0].Plan
		default:
			return nil, fmt.Errorf("role %q has two plans on %s (%s and %s)", found[0].Role, t.Format(time.DateOnly), roles[0].Plan, roles[1].Plan)
		}
	}
	for _, p := range plans {
		if p.ID == planID && covers(p.EffectiveFrom, p.EffectiveTo, t) {
			return p, nil
		}
	}
	return nil, fmt.Errorf("plan %q has no version effective on %s", planID, t.Format(time.DateOnly))
}

func describe(pa PersonAssignment) string {
	what := "plan " + pa.Plan
	if pa.Role != "" {
		what = "role " + pa.Role
	}
	return fmt.Sprintf("%s from %s to %s", what, pa.From, orOpen(pa.To))
}

func orOpen(d Day) string {
	if d.IsZero() {
		return "(open)"
	}
	return d.String()
}

// Spans resolves person id's plan spans inside quarter q, day by day, so a
// hire, a leave, a role change or a new plan version each start a new span.
// The error names the first day that cannot be resolved.
func (a *Assignments) Spans(id string, q period.Quarter, plans []*Plan) ([]Span, error) {
	var mine []PersonAssignment
	for _, pa := range a.People {
		if pa.Person == id {
			mine = append(mine, pa)
		}
	}
	var spans []Span
	for t := q.Start(); t.Before(q.End()); t = t.AddDate(0, 0, 1) {
		p, err := a.planOn(mine, t, plans)
		if err != nil {
			return nil, fmt.Errorf("person %s: %w", id, err)
		}
		if p == nil {
			continue
		}
		if n := len(spans); n > 0 && spans[n-1].Plan == p && spans[n-1].To.AddDate(0, 0, 1).Equal(t) {
			spans[n-1].To = t
			spans[n-1].Days++
			continue
		}
		spans = append(spans, Span{Plan: p, From: t, To: t, Days: 1})
	}
	return spans, nil
}

// people returns the ids named in the assignments, sorted.
func (a *Assignments) people() []string {
	seen := map[string]bool{}
	var ids []string
	for _, pa := range a.People {
		if !seen[pa.Person] {
			seen[pa.Person] = true
			ids = append(ids, pa.Person)
		}
	}
	sort.Strings(ids)
	return ids
}
