package comp

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/shopspring/decimal"
	"github.com/venn-revops/venn/shared/money"
	"github.com/venn-revops/venn/shared/period"
)

// ratioPlaces is the precision of every intermediate ratio (attainment,
// proration, curve slope, tier bound in amount): 12 decimals, half away
// from zero.
const ratioPlaces = 12

var (
	one     = decimal.NewFromInt(1)
	hundred = decimal.NewFromInt(100)
)

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
	}
	var all ValidationErrors
	if in.Quarter.IsZero() {
		all = append(all, &FieldError{File: "run", Path: "quarter", Reason: "required"})
	}
	if in.Assignments == nil {
		all = append(all, &FieldError{File: "run", Path: "assignments", Reason: "required"})
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
	ids := map[string]bool{}
	for _, p := range r.in.Plans {
		ids[p.ID] = true
	}
	for i, ra := range a.Roles {
		if !ids[ra.Plan] {
			e.add(fmt.Sprintf("roles[%d].plan", i), "no plan file has id %q", ra.Plan)
		}
	}
	for i, pa := range a.People {
		if pa.Plan != "" && !ids[pa.Plan] {
			e.add(fmt.Sprintf("people[%d].plan", i), "no plan file has id %q", pa.Plan)
		}
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
		for _, s := range spans {
			if p.Currency != "" && s.Plan.Currency != p.Currency {
				e.add("people", "person %s is paid in %s but plan %s is in %s (no currency conversion)", id, p.Currency, s.Plan.Ref(), s.Plan.Currency)
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
	return e.list
}

// currency is what person p is paid in: their own, else their first plan's.
func (r *run) currency(p *Person) string {
	if p.Currency != "" {
		return p.Currency
	}
	if s := r.spans[p.ID]; len(s) > 0 {
		return s[0].Plan.Currency
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
	sort.Slice(deals, func(a, b int) bool { return deals[a].ID < deals[b].ID })
	for _, d := range deals {
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
				DealID: d.ID, DealName: d.Name, CloseDate: d.CloseDate.Format(time.DateOnly),
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
					DealID: d.ID, DealName: d.Name, CloseDate: d.CloseDate.Format(time.DateOnly),
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
	for _, st := range r.in.Previous {
		for _, c := range st.Credits {
			if d, ok := r.cancel[c.DealID]; ok && r.q.Contains(d) && !c.Paid.IsZero() {
				set[st.PersonID] = true
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
	credits := r.credits[p.ID]
	paid := make([]bool, len(credits))
	for _, sp := range r.spans[p.ID] {
		f := decimal.NewFromInt(int64(sp.Days)).DivRound(decimal.NewFromInt(int64(r.qdays)), ratioPlaces)
		st.Plans = append(st.Plans, PlanUse{
			Plan: sp.Plan.Ref(), Name: sp.Plan.Name, File: sp.Plan.File, FileSHA256: sp.Plan.Hash,
			From: sp.From.Format(time.DateOnly), To: sp.To.Format(time.DateOnly), Days: sp.Days, QuarterDays: r.qdays, Proration: f,
		})
		for _, c := range sp.Plan.Components {
			switch c.Kind {
			case KindAttainmentBonus:
				l, mu, err := r.bonusLine(p, sp, f, c)
				if err != nil {
					return nil, err
				}
				used = append(used, mu)
				st.Lines = append(st.Lines, l)
			case KindCommission:
				var idx []int
				for i, cr := range credits {
					if wantRole(c.Credit, cr.Role) && r.inSpan(sp, cr.CloseDate) {
						idx = append(idx, i)
					}
				}
				lines, err := commissionLines(sp, f, r.qdays, c, credits, idx)
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
	for i, cr := range credits {
		if !paid[i] {
			cr.Unpaid = "no commission component of an active plan covers this credit on its close date"
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
	h, err := hashInputs(st, used, r)
	if err != nil {
		return nil, err
	}
	st.InputHash = h
	return st, nil
}

func wantRole(credit, role string) bool {
	if credit == CreditTeam {
		return role == "team"
	}
	return role != "team"
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

// bonusLine is target variable × weight × curve(attainment) × proration.
func (r *run) bonusLine(p *Person, sp Span, f decimal.Decimal, c Component) (Line, metricUse, error) {
	m := c.Metric
	key := scopeKey(p, m.Scope)
	actual, ok := r.in.Metrics.Metric(m.KPI, m.Scope, key, m.Model)
	if !ok {
		return Line{}, metricUse{}, &FieldError{File: "metrics", Path: p.ID, Reason: fmt.Sprintf("no value for KPI %s scope %s key %q model %q (plan %s component %s)", m.KPI, m.Scope, key, m.Model, sp.Plan.Ref(), c.ID)}
	}
	// Divide last: attainment = actual × D ÷ (target × d) and amount =
	// TV × weight × payout × d ÷ D, so proration adds one rounding only.
	days, qdays := decimal.NewFromInt(int64(sp.Days)), decimal.NewFromInt(int64(r.qdays))
	target, att := c.Target.Decimal, decimal.Zero
	if m.Scope == ScopeIndividual {
		target = prorate(target, sp.Days, r.qdays)
		att = actual.Mul(qdays).DivRound(c.Target.Mul(days), ratioPlaces)
	} else {
		att = actual.DivRound(target, ratioPlaces)
	}
	payout, segment := c.Curve.eval(att)
	exact := sp.Plan.TargetVariable.Mul(c.Weight.Decimal).Mul(payout).Mul(days).DivRound(qdays, ratioPlaces)
	l := Line{
		Key: "bonus/" + spanKey(sp) + "/" + c.ID, Kind: LineAttainmentBonus, Component: c.ID, Plan: sp.Plan.Ref(),
		SpanFrom: sp.From.Format(time.DateOnly), SpanTo: sp.To.Format(time.DateOnly),
		Metric: m.KPI, Scope: m.Scope, ScopeKey: key, Model: m.Model,
		Actual: ptr(actual), Target: ptr(target), Attainment: ptr(att), Segment: segment, Payout: ptr(payout),
		Weight: ptr(c.Weight.Decimal), TargetVariable: ptr(sp.Plan.TargetVariable.Decimal), Proration: ptr(f),
		Exact: exact, Amount: cents(exact),
	}
	l.Explain = fmt.Sprintf("%s %s: actual %s ÷ target %s = attainment %s; %s → payout %s; %s × weight %s × payout %s × proration %s = %s",
		m.KPI, describeScope(m, key), actual, target, pct(att), segment, pct(payout),
		money.Format(sp.Plan.TargetVariable.Decimal), c.Weight.Decimal, payout, f, money.Format(l.Amount.Decimal))
	return l, metricUse{m.KPI, m.Scope, key, m.Model, actual}, nil
}

func describeScope(m *MetricRef, key string) string {
	s := m.Scope + " " + key
	if m.Model != "" {
		s += " (" + m.Model + ")"
	}
	return "(" + s + ")"
}

// pct renders a ratio as a percentage: 1.1 → "110%".
func pct(d decimal.Decimal) string { return d.Mul(hundred).Round(4).String() + "%" }

// eval returns the payout multiplier at attainment att and names the
// segment used.
func (c *Curve) eval(att decimal.Decimal) (decimal.Decimal, string) {
	if att.LessThan(c.Threshold.Decimal) {
		return decimal.Zero, fmt.Sprintf("below threshold %s", pct(c.Threshold.Decimal))
	}
	capped := ""
	if att.GreaterThan(c.Cap.Decimal) {
		att, capped = c.Cap.Decimal, fmt.Sprintf("capped at %s; ", pct(c.Cap.Decimal))
	}
	n := len(c.Points) - 1
	i := 0
	for i < n-1 && !att.LessThan(c.Points[i+1].Attainment.Decimal) {
		i++ // a value exactly on a point starts the next segment
	}
	a0, a1 := c.Points[i].Attainment.Decimal, c.Points[i+1].Attainment.Decimal
	p0, p1 := c.Points[i].Payout.Decimal, c.Points[i+1].Payout.Decimal
	payout := p0.Add(att.Sub(a0).Mul(p1.Sub(p0)).DivRound(a1.Sub(a0), ratioPlaces))
	slope := p1.Sub(p0).DivRound(a1.Sub(a0), ratioPlaces)
	kind := "linear"
	switch {
	case slope.IsZero():
		kind = "flat"
	case slope.GreaterThan(one):
		kind = "accelerator"
	case slope.LessThan(one):
		kind = "decelerator"
	}
	return payout, fmt.Sprintf("%ssegment %d of %d: %s–%s pays %s–%s (%s, slope %s)",
		capped, i+1, n, pct(a0), pct(a1), pct(p0), pct(p1), kind, slope)
}

// commissionLines pays a commission component over the credits idx of one
// span. Each line is rounded once; the cap line brings the rounded total to
// the rounded cap exactly. The rounded total is attributed to the deals.
func commissionLines(sp Span, f decimal.Decimal, qdays int, c Component, credits []DealCredit, idx []int) ([]Line, error) {
	basis := decimal.Zero
	for _, i := range idx {
		basis = basis.Add(credits[i].Credited.Decimal)
	}
	// unit converts a tier bound to an amount: the prorated quota for
	// attainment tiers, 1 for amount tiers.
	unit, value := one, basis
	var quota *decimal.Decimal
	if c.TierBy == TierAttainment {
		q := prorate(c.Quota.Decimal, sp.Days, qdays)
		quota, unit = &q, q
		value = basis.Mul(decimal.NewFromInt(int64(qdays))).DivRound(c.Quota.Mul(decimal.NewFromInt(int64(sp.Days))), ratioPlaces)
	}
	base := Line{
		Kind: LineCommission, Component: c.ID, Plan: sp.Plan.Ref(),
		SpanFrom: sp.From.Format(time.DateOnly), SpanTo: sp.To.Format(time.DateOnly),
		Metric: "credited_bookings_" + c.Credit, Actual: ptr(basis), Target: quota, Proration: ptr(f),
	}
	if quota != nil {
		base.Attainment = ptr(value)
	}
	keyBase := "commission/" + spanKey(sp) + "/" + c.ID
	var lines []Line
	switch c.Mode {
	case ModeRetroactive:
		i := tierOf(c.Tiers, value, c.Boundary)
		t := c.Tiers[i]
		l := base
		l.Key, l.Segment, l.Rate, l.Basis = keyBase, tierName(c, i, value), ptr(t.Rate.Decimal), ptr(basis)
		l.Exact = basis.Mul(t.Rate.Decimal)
		l.Amount = cents(l.Exact)
		l.Explain = fmt.Sprintf("retroactive: all credited %s at the rate of the tier reached (%s): %s × %s = %s",
			money.Format(basis), l.Segment, money.Format(basis), t.Rate.Decimal, money.Format(l.Amount.Decimal))
		lines = append(lines, l)
	case ModeMarginal:
		for i, t := range c.Tiers {
			lo := t.From.Mul(unit)
			if i > 0 && !basis.GreaterThan(lo) {
				break
			}
			part := basis.Sub(lo)
			if t.To.Set {
				hi := t.To.Mul(unit)
				part = decimal.Min(basis, hi).Sub(lo)
			}
			if part.IsNegative() {
				part = decimal.Zero
			}
			l := base
			l.Key, l.Segment, l.Rate, l.Basis = fmt.Sprintf("%s/tier%d", keyBase, i+1), tierName(c, i, value), ptr(t.Rate.Decimal), ptr(part)
			l.Exact = part.Mul(t.Rate.Decimal)
			l.Amount = cents(l.Exact)
			l.Explain = fmt.Sprintf("marginal: the part of credited %s in %s, %s × %s = %s",
				money.Format(basis), l.Segment, money.Format(part), t.Rate.Decimal, money.Format(l.Amount.Decimal))
			lines = append(lines, l)
		}
	}
	if c.CapAmount.Set {
		capAmt := prorate(c.CapAmount.Decimal, sp.Days, qdays)
		exact, rounded := decimal.Zero, decimal.Zero
		for _, l := range lines {
			exact = exact.Add(l.Exact)
			rounded = rounded.Add(l.Amount.Decimal)
		}
		if exact.GreaterThan(capAmt) {
			l := base
			l.Key, l.Kind, l.Basis = keyBase+"/cap", LineCommissionCap, ptr(capAmt)
			l.Exact = capAmt.Sub(exact)
			l.Amount = Money{money.Round(capAmt).Sub(rounded)}
			l.Explain = fmt.Sprintf("cap: the component pays at most %s (cap %s × proration %s); lines total %s, so %s",
				money.Format(capAmt), money.Format(c.CapAmount.Decimal), f, money.Format(rounded), money.Format(l.Amount.Decimal))
			lines = append(lines, l)
		}
	}
	total := decimal.Zero
	for _, l := range lines {
		total = total.Add(l.Amount.Decimal)
	}
	// Attribute the rounded total to the deals: the amount paid per deal,
	// which is what a clawback takes back.
	if len(idx) > 0 && basis.IsPositive() {
		weights := make([]decimal.Decimal, len(idx))
		for k, i := range idx {
			weights[k] = credits[i].Credited.Decimal
		}
		parts, err := money.Allocate(total, weights)
		if err != nil {
			return nil, fmt.Errorf("component %s: attribute to deals: %w", c.ID, err)
		}
		days := 0
		if sp.Plan.ClawbackDays != nil {
			days = *sp.Plan.ClawbackDays
		}
		for k, i := range idx {
			credits[i].Plan, credits[i].Component, credits[i].Paid, credits[i].Clawback = sp.Plan.Ref(), c.ID, Money{parts[k]}, days
		}
	}
	return lines, nil
}

// prorate is x × days ÷ quarterDays, the one division last.
func prorate(x decimal.Decimal, days, quarterDays int) decimal.Decimal {
	if days == quarterDays {
		return x
	}
	return x.Mul(decimal.NewFromInt(int64(days))).DivRound(decimal.NewFromInt(int64(quarterDays)), ratioPlaces)
}

// tierOf returns the index of the tier holding v under the boundary rule.
func tierOf(tiers []Tier, v decimal.Decimal, boundary string) int {
	for i, t := range tiers {
		if !t.To.Set {
			return i
		}
		if boundary == BoundaryLower && !v.GreaterThan(t.To.Decimal) {
			return i
		}
		if boundary != BoundaryLower && v.LessThan(t.To.Decimal) {
			return i
		}
	}
	return len(tiers) - 1
}

func tierName(c Component, i int, value decimal.Decimal) string {
	t := c.Tiers[i]
	show := func(d decimal.Decimal) string {
		if c.TierBy == TierAttainment {
			return pct(d)
		}
		return money.Format(d)
	}
	to := "and above"
	if t.To.Set {
		to = "to " + show(t.To.Decimal)
	}
	reached := show(value)
	return fmt.Sprintf("tier %d of %d: %s %s at rate %s (value %s, boundary %s)", i+1, len(c.Tiers), show(t.From.Decimal), to, t.Rate.Decimal, reached, c.Boundary)
}

// clawbacks turns cancellations dated in this quarter into negative lines
// for deals paid in earlier statements and cancelled within their window.
func (r *run) clawbacks(p *Person) []Line {
	done := map[string]bool{}
	for _, st := range r.in.Previous {
		if st.PersonID != p.ID {
			continue
		}
		for _, l := range st.Lines {
			if l.Kind == LineClawback {
				done[l.Key] = true
			}
		}
	}
	var lines []Line
	prev := append([]Statement(nil), r.in.Previous...)
	sort.Slice(prev, func(a, b int) bool { return prev[a].Quarter < prev[b].Quarter })
	for _, st := range prev {
		if st.PersonID != p.ID || st.Quarter >= r.q.String() {
			continue
		}
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

// hashInputs is the SHA-256 over a canonical JSON of everything the
// statement depends on: the plan files' hashes, the KPI values used, the
// credits, the adjustments, the clawback and correction lines.
func hashInputs(st *Statement, used []metricUse, r *run) (string, error) {
	type planRef struct{ Plan, SHA256, From, To string }
	type credit struct {
		DealID, CloseDate, Role, Via string
		Percent, Credited            string
	}
	in := struct {
		Quarter, Person string
		Plans           []planRef
		Metrics         []metricUse
		Credits         []credit
		Adjustments     []Adjustment
		Carried         []Line
	}{Quarter: st.Quarter, Person: st.PersonID, Metrics: used, Adjustments: r.adjust[st.PersonID]}
	for _, p := range st.Plans {
		in.Plans = append(in.Plans, planRef{p.Plan, p.FileSHA256, p.From, p.To})
	}
	for _, c := range st.Credits {
		in.Credits = append(in.Credits, credit{c.DealID, c.CloseDate, c.Role, c.Via, c.Percent.String(), c.Credited.StringFixed(2)})
	}
	for _, l := range st.Lines {
		if l.Kind == LineClawback || l.Kind == LinePriorPeriod {
			in.Carried = append(in.Carried, l)
		}
	}
	b, err := json.Marshal(in)
	if err != nil {
		return "", fmt.Errorf("hash inputs of %s: %w", st.ID, err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
