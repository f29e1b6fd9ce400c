package comp

import (
	"fmt"
	"sort"
	"time"

	"github.com/shopspring/decimal"
	"github.com/venn-revops/venn/shared/money"
	"github.com/venn-revops/venn/shared/period"
)

var hundred = decimal.NewFromInt(100)

// RunInput is everything one quarter's computation depends on. Nothing else
// (no clock, no environment) enters a statement.
type RunInput struct {
	Quarter     period.Quarter
	People      []Person
	Plans       []*Plan
	Assignments *Assignments
	Adjustments []Adjustment
	Metrics     Metrics
	// KnownKPI reports whether a KPI name is in the KPI catalog.
	KnownKPI      func(name string) bool
	Deals         []Deal
	Cancellations []Cancellation
	// Previous are statements of earlier quarters (final ones), read for
	// clawbacks: what was paid per deal and what was already clawed back.
	Previous []Statement
	// Corrections are differences found by Reconcile on final statements of
	// earlier quarters, paid in this quarter.
	Corrections []Correction
	// CodeVersion is recorded on every statement (for example the git
	// commit of the build).
	CodeVersion string
}

// RunOutput is the quarter's statements, sorted by person Id.
type RunOutput struct {
	Quarter    string
	Statements []Statement
}

// Run validates every input first (plans, assignments, adjustments, deals,
// corrections) and returns all problems as ValidationErrors without
// computing anything; then it computes one statement per person who has a
// plan span, a clawback, an adjustment or a correction in the quarter.
func Run(in RunInput) (*RunOutput, error) {
	r, err := prepare(in)
	if err != nil {
		return nil, err
	}
	out := &RunOutput{Quarter: in.Quarter.String()}
	var missing ValidationErrors
	for _, id := range r.payees() {
		st, err := r.statement(r.people[id])
		if err != nil {
			asValidation(&missing, err)
			continue
		}
		out.Statements = append(out.Statements, *st)
	}
	if len(missing) > 0 {
		return nil, missing
	}
	return out, nil
}

// run is a prepared quarter.
type run struct {
	in       RunInput
	q        period.Quarter
	qdays    int
	people   map[string]*Person
	spans    map[string][]Span
	credits  map[string][]DealCredit // by person: own and team credits of the quarter
	cancel   map[string]time.Time
	adjust   map[string][]Adjustment
	corrects map[string][]Correction
	previous map[string][]Statement // earlier quarters' statements by person, oldest first
}

// ValidateRun checks all of a run's inputs and returns every problem.
func ValidateRun(in RunInput) error {
	_, err := prepare(in)
	return err
}

func prepare(in RunInput) (*run, error) {
	r := &run{
		in: in, q: in.Quarter, qdays: in.Quarter.Days(),
		people: map[string]*Person{}, spans: map[string][]Span{}, credits: map[string][]DealCredit{},
		cancel: map[string]time.Time{}, adjust: map[string][]Adjustment{}, corrects: map[string][]Correction{},
		previous: map[string][]Statement{},
	}
	prev := append([]Statement(nil), in.Previous...)
	sort.SliceStable(prev, func(a, b int) bool { return prev[a].Quarter < prev[b].Quarter })
	for _, st := range prev {
		if st.Quarter < in.Quarter.String() {
			r.previous[st.PersonID] = append(r.previous[st.PersonID], st)
		}
	}
	var all ValidationErrors
	if in.Quarter.IsZero() {
		all = append(all, &FieldError{File: "run", Path: "quarter", Reason: "required"})
	}
	if in.Assignments == nil {
		all = append(all, &FieldError{File: "run", Path: "assignments", Reason: "required"})
	}
	if len(all) > 0 {
		return nil, all
	}
	if in.Metrics == nil {
		all = append(all, &FieldError{File: "run", Path: "metrics", Reason: "required"})
	}
	asValidation(&all, Validate(in.Plans, in.KnownKPI))
	pe := &errs{file: "people"}
	for i := range in.People {
		p := &in.People[i]
		if r.people[p.ID] != nil {
			pe.add(p.ID, "listed twice")
		}
		r.people[p.ID] = p
		if p.Currency != "" && !IsCurrency(p.Currency) {
			pe.add(p.ID+".currency", "%q is not an ISO 4217 currency code", p.Currency)
		}
	}
	all = append(all, pe.list...)
	all = append(all, r.prepareAssignments()...)
	all = append(all, r.prepareAdjustments()...)
	all = append(all, r.prepareCorrections()...)
	all = append(all, r.prepareDeals()...)
	if len(all) > 0 {
		return nil, all
	}
	return r, nil
}

func (r *run) prepareAssignments() ValidationErrors {
	a := r.in.Assignments
	e := &errs{file: a.File}
	e.list = append(e.list, ValidateAssignments(a, r.in.Plans)...)
	for i, pa := range a.People {
		if r.people[pa.Person] == nil {
			e.add(fmt.Sprintf("people[%d].person", i), "%q is not in the roster", pa.Person)
		}
	}
	if len(e.list) > 0 {
		return e.list
	}
	for _, id := range a.people() {
		spans, err := a.Spans(id, r.q, r.in.Plans)
		if err != nil {
			e.add("people", "%v", err)
			continue
		}
		if len(spans) == 0 {
			continue
		}
		p := r.people[id]
		if p.EmployeeID == "" {
			e.add("people", "person %s (%s) has a plan in %s but no employee ID: cannot be paid", id, p.Name, r.q)
		}
		pay := p.Currency
		if pay == "" {
			pay = spans[0].Plan.Currency
		}
		for _, s := range spans {
			if s.Plan.Currency != pay {
				e.add("people", "person %s is paid in %s but plan %s is in %s (no currency conversion)", id, pay, s.Plan.Ref(), s.Plan.Currency)
			}
		}
		r.spans[id] = spans
	}
	return e.list
}

func (r *run) prepareAdjustments() ValidationErrors {
	e := &errs{file: "adjustments"}
	for _, a := range r.in.Adjustments {
		if a.Quarter != r.q.String() {
			continue
		}
		p := r.people[a.PersonID]
		switch {
		case p == nil:
			e.add(a.ID+".person", "%q is not in the roster", a.PersonID)
			continue
		case p.EmployeeID == "":
			e.add(a.ID+".person", "%s (%s) has no employee ID: cannot be paid", a.PersonID, p.Name)
		case r.currency(p) != a.Currency:
			e.add(a.ID+".currency", "%s, but %s is paid in %s", a.Currency, a.PersonID, r.currency(p))
		}
		r.adjust[a.PersonID] = append(r.adjust[a.PersonID], a)
	}
	return e.list
}

func (r *run) prepareCorrections() ValidationErrors {
	e := &errs{file: "corrections"}
	for _, c := range r.in.Corrections {
		if c.ToQuarter != r.q.String() {
			continue
		}
		if r.people[c.PersonID] == nil {
			e.add(c.ID, "person %q is not in the roster", c.PersonID)
			continue
		}
		r.corrects[c.PersonID] = append(r.corrects[c.PersonID], c)
	}
	for _, cs := range r.corrects {
		sort.Slice(cs, func(a, b int) bool { return cs[a].ID < cs[b].ID })
	}
	return e.list
}

// currency is what person p is paid in: their own, else their first
// plan's, else (a leaver with only a clawback) their last statement's.
func (r *run) currency(p *Person) string {
	if p.Currency != "" {
		return p.Currency
	}
	if s := r.spans[p.ID]; len(s) > 0 {
		return s[0].Plan.Currency
	}
	if prev := r.previous[p.ID]; len(prev) > 0 {
		return prev[len(prev)-1].Currency
	}
	return ""
}

// prepareDeals checks deals and credits the quarter's won deals to owners,
// split people and, through rollup, their managers.
func (r *run) prepareDeals() ValidationErrors {
	e := &errs{file: "deals"}
	for _, c := range r.in.Cancellations {
		if old, ok := r.cancel[c.DealID]; !ok || c.Date.Before(old) {
			r.cancel[c.DealID] = c.Date
		}
	}
	deals := append([]Deal(nil), r.in.Deals...)
	sort.SliceStable(deals, func(a, b int) bool { return deals[a].ID < deals[b].ID })
	for i, d := range deals {
		if i > 0 && deals[i-1].ID == d.ID {
			e.add(d.ID, "listed twice: a deal would be credited twice")
			continue
		}
		d.CloseDate = period.Day(d.CloseDate)
		if !d.Won || !r.q.Contains(d.CloseDate) {
			continue
		}
		if c, ok := r.cancel[d.ID]; ok && c.Before(r.q.End()) {
			continue // cancelled inside the quarter it closed: never credited
		}
		shares, err := r.shares(d)
		if err != nil {
			e.add(d.ID, "%v", err)
			continue
		}
		for _, sh := range shares {
			r.credits[sh.person] = append(r.credits[sh.person], DealCredit{
				DealID: d.ID, DealName: d.Name, CloseDate: d.CloseDate.Format(time.DateOnly), Type: d.Type,
				Role: sh.role, Percent: sh.percent, Credited: Money{sh.amount},
			})
		}
		for _, sh := range shares {
			p := r.people[sh.person]
			if p == nil || !r.activeOn(p.ID, d.CloseDate) {
				continue
			}
			if m := p.managerOn(d.CloseDate); m != "" {
				r.credits[m] = append(r.credits[m], DealCredit{
					DealID: d.ID, DealName: d.Name, CloseDate: d.CloseDate.Format(time.DateOnly), Type: d.Type,
					Role: "team", Via: p.ID, Percent: sh.percent, Credited: Money{sh.amount},
				})
			}
		}
	}
	return e.list
}

type share struct {
	person, role string
	percent      decimal.Decimal
	amount       decimal.Decimal
}

// shares splits a deal's amount to the cent by its split percentages.
func (r *run) shares(d Deal) ([]share, error) {
	if d.OwnerID == "" {
		return nil, fmt.Errorf("no owner")
	}
	if !IsCurrency(d.Currency) {
		return nil, fmt.Errorf("currency %q is not ISO 4217", d.Currency)
	}
	if _, err := money.Parse(d.Amount.String()); err != nil {
		return nil, fmt.Errorf("amount: %w", err)
	}
	if d.Amount.IsNegative() {
		return nil, fmt.Errorf("amount %s is negative", d.Amount)
	}
	if owner := r.people[d.OwnerID]; owner != nil && r.currency(owner) != "" && r.currency(owner) != d.Currency {
		return nil, fmt.Errorf("deal is in %s but its owner is paid in %s (no currency conversion)", d.Currency, r.currency(owner))
	}
	if len(d.Splits) == 0 {
		return []share{{person: d.OwnerID, role: "owner", percent: hundred, amount: d.Amount}}, nil
	}
	sum := decimal.Zero
	weights := make([]decimal.Decimal, len(d.Splits))
	seen := map[string]bool{}
	for i, s := range d.Splits {
		if !s.Percent.IsPositive() {
			return nil, fmt.Errorf("split %d (%s): percent %s must be above 0", i, s.PersonID, s.Percent)
		}
		if seen[s.PersonID] {
			return nil, fmt.Errorf("split %d: %s is split twice", i, s.PersonID)
		}
		seen[s.PersonID] = true
		sum = sum.Add(s.Percent)
		weights[i] = s.Percent
	}
	if !sum.Equal(hundred) {
		return nil, fmt.Errorf("splits sum to %s%%, want 100%%", sum)
	}
	amounts, err := money.Allocate(d.Amount, weights)
	if err != nil {
		return nil, err
	}
	out := make([]share, len(d.Splits))
	for i, s := range d.Splits {
		role := "split"
		if s.PersonID == d.OwnerID {
			role = "owner"
		}
		out[i] = share{person: s.PersonID, role: role, percent: s.Percent, amount: amounts[i]}
	}
	return out, nil
}

func (r *run) activeOn(id string, t time.Time) bool {
	return r.spanOn(id, t) != nil
}

func (r *run) spanOn(id string, t time.Time) *Span {
	day := period.Day(t)
	for i, s := range r.spans[id] {
		if !day.Before(s.From) && !day.After(s.To) {
			return &r.spans[id][i]
		}
	}
	return nil
}

// payees are the people who get a statement this quarter, sorted by Id.
func (r *run) payees() []string {
	set := map[string]bool{}
	for id := range r.spans {
		set[id] = true
	}
	for id := range r.adjust {
		set[id] = true
	}
	for id := range r.corrects {
		set[id] = true
	}
	for id, sts := range r.previous {
		for _, st := range sts {
			for _, c := range st.Credits {
				if d, ok := r.cancel[c.DealID]; ok && r.q.Contains(d) && !c.Paid.IsZero() {
					set[id] = true
				}
			}
		}
	}
	ids := make([]string, 0, len(set))
	for id := range set {
		if r.people[id] != nil {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// metricUse is one KPI value a statement used, for the input hash.
type metricUse struct {
	KPI, Scope, Key, Model string
	Value                  decimal.Decimal
}

// statement computes one person's statement.
func (r *run) statement(p *Person) (*Statement, error) {
	st := &Statement{
		ID: r.q.String() + "/" + p.ID, Quarter: r.q.String(), PersonID: p.ID, EmployeeID: p.EmployeeID,
		Name: p.Name, Team: p.Team, CostCenter: p.CostCenter, Currency: r.currency(p),
		Plans: []PlanUse{}, Lines: []Line{}, Credits: []DealCredit{}, CodeVersion: r.in.CodeVersion,
	}
	var used []metricUse
	var missing ValidationErrors
	credits := r.credits[p.ID]
	paid := make([]bool, len(credits))
	for _, sp := range r.spans[p.ID] {
		st.Plans = append(st.Plans, PlanUse{
			Plan: sp.Plan.Ref(), Name: sp.Plan.Name, File: sp.Plan.File, FileSHA256: sp.Plan.Hash,
			From: sp.From.Format(time.DateOnly), To: sp.To.Format(time.DateOnly), Days: sp.Days, QuarterDays: r.qdays, Proration: show(prorationOf(sp, r.qdays)),
		})
		for _, c := range sp.Plan.Components {
			switch c.Kind {
			case KindAttainmentBonus:
				l, mu, err := r.bonusLine(p, sp, c)
				if err != nil {
					asValidation(&missing, err)
					continue
				}
				used = append(used, mu)
				st.Lines = append(st.Lines, l)
			case KindCommission:
				var idx []int
				for i, cr := range credits {
					if pays(c, cr) && r.inSpan(sp, cr.CloseDate) {
						idx = append(idx, i)
					}
				}
				lines, err := commissionLines(sp, r.qdays, c, credits, idx)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", p.ID, err)
				}
				for _, i := range idx {
					paid[i] = true
				}
				st.Lines = append(st.Lines, lines...)
			}
		}
	}
	if len(missing) > 0 {
		return nil, missing
	}
	for i, cr := range credits {
		if !paid[i] {
			cr.Unpaid = "no commission component of the plan active on the close date pays this credit (credit basis or deal type)"
		}
		st.Credits = append(st.Credits, cr)
	}
	st.Lines = append(st.Lines, r.clawbacks(p)...)
	for _, a := range r.adjust[p.ID] {
		st.Lines = append(st.Lines, Line{
			Key: "adjustment/" + a.ID, Kind: LineAdjustment, Ref: a.ID, Reason: a.Reason, Author: a.Author,
			Exact: a.Amount.Decimal, Amount: cents(a.Amount.Decimal),
			Explain: fmt.Sprintf("manual adjustment %s by %s: %s", a.ID, a.Author, a.Reason),
		})
	}
	for _, c := range r.corrects[p.ID] {
		st.Lines = append(st.Lines, c.Lines...)
	}
	total := decimal.Zero
	for _, l := range st.Lines {
		total = total.Add(l.Amount.Decimal)
	}
	st.Total = Money{total}
	st.Inputs = inputsOf(st, used, r.adjust[p.ID])
	h, err := st.Inputs.Hash()
	if err != nil {
		return nil, fmt.Errorf("statement %s: %w", st.ID, err)
	}
	st.InputHash = h
	return st, nil
}

// pays reports whether commission component c pays on credit cr: team
// credit for credit: team, own credit otherwise, and only the listed deal
// types when the component lists any.
func pays(c Component, cr DealCredit) bool {
	if (c.Credit == CreditTeam) != (cr.Role == "team") {
		return false
	}
	return len(c.DealTypes) == 0 || contains(c.DealTypes, cr.Type)
}

func (r *run) inSpan(sp Span, day string) bool {
	t, _ := time.Parse(time.DateOnly, day)
	return !t.Before(sp.From) && !t.After(sp.To)
}

func scopeKey(p *Person, scope string) string {
	switch scope {
	case ScopeIndividual:
		return p.ID
	case ScopeTeam:
		return p.Team
	default:
		return "all"
	}
}

func spanKey(sp Span) string { return sp.Plan.Ref() + "/" + sp.From.Format(time.DateOnly) }

// clawbacks turns cancellations dated in this quarter into negative lines
// for deals paid in earlier statements and cancelled within their window.
func (r *run) clawbacks(p *Person) []Line {
	done := map[string]bool{}
	for _, st := range r.previous[p.ID] {
		for _, l := range st.Lines {
			if l.Kind == LineClawback {
				done[l.Key] = true
			}
		}
	}
	var lines []Line
	for _, st := range r.previous[p.ID] {
		for _, cr := range st.Credits {
			when, ok := r.cancel[cr.DealID]
			if !ok || !r.q.Contains(when) || cr.Paid.IsZero() {
				continue
			}
			closed, _ := time.Parse(time.DateOnly, cr.CloseDate)
			days := int(period.Day(when).Sub(closed).Hours() / 24)
			key := fmt.Sprintf("clawback/%s/%s/%s/%s", st.Quarter, cr.DealID, cr.Role, cr.Component)
			if days > cr.Clawback || days < 0 || done[key] {
				continue
			}
			done[key] = true
			exact := cr.Paid.Neg()
			lines = append(lines, Line{
				Key: key, Kind: LineClawback, Component: cr.Component, Plan: cr.Plan, Ref: cr.DealID,
				Basis: ptr(cr.Credited.Decimal), Exact: exact, Amount: cents(exact),
				Explain: fmt.Sprintf("clawback: deal %s (%s) closed %s, paid %s in %s, cancelled %s, %d days after close, within the %d-day window",
					cr.DealID, cr.DealName, cr.CloseDate, money.Format(cr.Paid.Decimal), st.Quarter, when.Format(time.DateOnly), days, cr.Clawback),
			})
		}
	}
	return lines
}

// inputsOf gathers what the statement was computed from.
func inputsOf(st *Statement, used []metricUse, adjustments []Adjustment) Inputs {
	in := Inputs{Quarter: st.Quarter, PersonID: st.PersonID,
		Plans: []InputPlan{}, Metrics: []InputMetric{}, Credits: []InputCredit{}, Adjustments: []InputAdjustment{}, Carried: []InputCarried{}}
	for _, p := range st.Plans {
		in.Plans = append(in.Plans, InputPlan{Plan: p.Plan, FileSHA256: p.FileSHA256, From: p.From, To: p.To})
	}
	for _, m := range used {
		in.Metrics = append(in.Metrics, InputMetric{KPI: m.KPI, Scope: m.Scope, Key: m.Key, Model: m.Model, Value: m.Value})
	}
	for _, c := range st.Credits {
		in.Credits = append(in.Credits, InputCredit{DealID: c.DealID, CloseDate: c.CloseDate, Type: c.Type, Role: c.Role, Via: c.Via, Percent: c.Percent, Credited: c.Credited})
	}
	for _, a := range adjustments {
		in.Adjustments = append(in.Adjustments, InputAdjustment{ID: a.ID, Amount: Money{a.Amount.Decimal}, Currency: a.Currency, Reason: a.Reason, Author: a.Author})
	}
	for _, l := range st.Lines {
		if l.Kind == LineClawback || l.Kind == LinePriorPeriod {
			in.Carried = append(in.Carried, InputCarried{Key: l.Key, Kind: l.Kind, Ref: l.Ref, Amount: l.Amount})
		}
	}
	return in
}
