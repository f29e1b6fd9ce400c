package comp

import (
	"fmt"
	"math/big"
	"sort"
	"strings"
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
	// Metrics are the quarter's KPI values, read only for KPIs Venn cannot
	// itemise by person and day (org scope; see measureQuarter).
	Metrics Metrics
	// Activities are the dated meetings and SQLs bonuses are measured on.
	Activities []Activity
	// Quotas are effective-dated quota records (quotas.yaml).
	Quotas []Quota
	// KnownKPI reports whether a KPI name is in the KPI catalog.
	KnownKPI func(name string) bool
	Deals    []Deal
	// Rates are the org's exchange rates (CurrencyType and
	// DatedConversionRate), read when a deal or quota is in another
	// currency than its payee's plan, or the plan in another than the pay
	// currency (fx.go).
	Rates Rates
	// Products is the org's product catalogue (Product2), which SPIF
	// product conditions read; a deal's line items are on the deal.
	Products      []Product
	Cancellations []Cancellation
	// Previous are statements of earlier quarters (final ones), read for
	// clawbacks: what was paid per deal and what was already clawed back.
	Previous []Statement
	// Corrections are differences found by Reconcile on final statements of
	// earlier quarters, paid in this quarter.
	Corrections []Correction
	// Disputes are resolved disputes' adjustments (dispute.go); those
	// PaidIn this quarter become dispute_adjustment lines.
	Disputes []DisputeAdjustment
	// Estimate marks a what-if (whatif.go): an earlier quarter a SPIF's
	// running count needs that is not final yet is noted on the SPIF line
	// instead of stopping the run (a statement run stops, spif.go).
	Estimate bool
	// CodeVersion is recorded on every statement (for example the git
	// commit of the build).
	CodeVersion string
	// ConfigVersion is recorded on every statement: the business
	// configuration's version (shared/configstore) the run used.
	ConfigVersion string
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
	disputes map[string][]DisputeAdjustment
	previous map[string][]Statement // earlier quarters' statements by person, oldest first
	// orgDeals is every credited deal of the quarter once (owner, 100%),
	// by close date then Id: what an org-scope deal measure sums.
	orgDeals   []DealCredit
	activities []Activity // sorted by day, Ref, person
	// The activities indexed: by KPI, and by person and KPI.
	actsByKPI, actsByPerson map[string][]Activity
	orgCache                map[string]orgMeasure
	quotas                  map[string][]Quota              // by person
	dates                   map[string]map[string]time.Time // deal date fields by deal Id (paystage.go)
	fx                      *rateIndex
	quotaFX                 map[string]*big.Rat // quota record and day → amount in the plan's currency
	lineFX                  map[string]*FX      // person and plan version → plan-to-pay rate (fx.go)
	spif                    *spifRun            // spif.go
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
		disputes: map[string][]DisputeAdjustment{},
		previous: map[string][]Statement{}, quotas: map[string][]Quota{}, orgCache: map[string]orgMeasure{},
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
	if r.in.Metrics == nil {
		r.in.Metrics = MetricTable{}
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
	all = append(all, r.prepareRates()...)
	all = append(all, r.prepareLineFX()...)
	all = append(all, r.prepareAdjustments()...)
	all = append(all, r.prepareCorrections()...)
	all = append(all, r.prepareDisputes()...)
	all = append(all, r.prepareDeals()...)
	all = append(all, r.prepareQuotas()...)
	all = append(all, r.prepareQuotaFX()...)
	all = append(all, r.prepareOrgFX()...)
	all = append(all, r.prepareActivities()...)
	all = append(all, r.prepareSPIFs()...)
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
		first := spans[0].Plan
		for _, s := range spans {
			switch cur := s.Plan.Currency; {
			case cur != first.Currency:
				e.add("people", "person %s is on plan %s in %s and plan %s in %s in %s: one plan currency per quarter (credits, quotas and lines are computed in it)",
					id, first.Ref(), first.Currency, s.Plan.Ref(), cur, r.q)
			case cur == pay:
			case s.Plan.Conversion == nil:
				e.add("people", "person %s is paid in %s but plan %s is in %s and states no currency conversion (add a conversion section)", id, pay, s.Plan.Ref(), cur)
			case s.Plan.PayCap != nil || s.Plan.Draw != nil:
				e.add("people", "person %s is paid in %s but plan %s is in %s: its pay_cap and draw amounts are not converted (put people paid in %s on a plan in %s)", id, pay, s.Plan.Ref(), cur, pay, pay)
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

// planCurrency is what person p's plans of the quarter are in (one
// currency, checked in prepareAssignments): credits, quotas and component
// lines are computed in it, and the lines converted into the pay currency
// when it differs (fx.go). Without a plan, the pay currency.
func (r *run) planCurrency(p *Person) string {
	if s := r.spans[p.ID]; len(s) > 0 {
		return s[0].Plan.Currency
	}
	return r.currency(p)
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
		r.orgDeals = append(r.orgDeals, DealCredit{DealID: d.ID, DealName: d.Name, CloseDate: d.CloseDate.Format(time.DateOnly), Type: d.Type,
			Role: RoleOwner, Percent: hundred, Credited: Money{d.Amount}, currency: d.Currency})
		// credit converts a share for its payee (fx.go) and records it.
		credit := func(person string, c DealCredit) {
			if q := r.people[person]; q != nil {
				amount, x, err := r.convertCredit(person, r.planCurrency(q), d.Currency, c.Credited.Decimal, d.CloseDate)
				if err != nil {
					e.add(d.ID, "credit to %s: %v", person, err)
					return
				}
				c.Credited, c.FX = amount, x
			}
			r.credits[person] = append(r.credits[person], c)
		}
		for _, sh := range shares {
			credit(sh.person, DealCredit{
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
				credit(m, DealCredit{
					DealID: d.ID, DealName: d.Name, CloseDate: d.CloseDate.Format(time.DateOnly), Type: d.Type,
					Role: RoleTeam, Via: p.ID, Percent: sh.percent, Credited: Money{sh.amount},
				})
			}
		}
	}
	sort.SliceStable(r.orgDeals, func(a, b int) bool { return r.orgDeals[a].CloseDate < r.orgDeals[b].CloseDate })
	return e.list
}

// prepareActivities checks the activities and sorts them.
func (r *run) prepareActivities() ValidationErrors {
	e := &errs{file: "activities"}
	for _, a := range r.in.Activities {
		at := fmt.Sprintf("%s %s", a.KPI, a.Ref)
		switch {
		case measureOf(a.KPI) != measureActivities:
			e.add(at, "%q is not an activity measure (want one of %s)", a.KPI, strings.Join(activityMeasures, ", "))
		case a.Date.IsZero():
			e.add(at, "no date")
		default:
			a.Date = period.Day(a.Date)
			r.activities = append(r.activities, a)
		}
	}
	sortActivities(r.activities)
	r.actsByKPI, r.actsByPerson = map[string][]Activity{}, map[string][]Activity{}
	for _, a := range r.activities {
		r.actsByKPI[a.KPI] = append(r.actsByKPI[a.KPI], a)
		k := a.PersonID + "\x00" + a.KPI
		r.actsByPerson[k] = append(r.actsByPerson[k], a)
	}
	return e.list
}

type share struct {
	person  string
	role    CreditRole
	percent decimal.Decimal
	amount  decimal.Decimal
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
	if len(d.Splits) == 0 {
		return []share{{person: d.OwnerID, role: RoleOwner, percent: hundred, amount: d.Amount}}, nil
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
		role := RoleSplit
		if s.PersonID == d.OwnerID {
			role = RoleOwner
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
	for id := range r.disputes {
		set[id] = true
	}
	for id, sts := range r.previous {
		if r.releasesDue(id) {
			set[id] = true
		}
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

// metricUse is one measured actual a statement used, for the input hash.
type metricUse struct {
	KPI, Scope, Key, Model, From, To string
	Value                            decimal.Decimal
}

// personRun is one person's statement being computed: their credits (which
// commission components mark as paid) and the actuals used.
type personRun struct {
	p       *Person
	credits []DealCredit
	paid    []bool
	used    []metricUse
	spif    []InputSPIF // spif.go
}

// statement computes one person's statement: one set of lines per
// measurement window (see windows), then clawbacks, adjustments and
// corrections.
func (r *run) statement(p *Person) (*Statement, error) {
	st := &Statement{
		ID: r.q.String() + "/" + p.ID, Quarter: r.q.String(), PersonID: p.ID, EmployeeID: p.EmployeeID,
		Name: p.Name, Team: p.Team, CostCenter: p.CostCenter, Currency: r.currency(p),
		Plans: []PlanUse{}, Lines: []Line{}, Credits: []DealCredit{}, CodeVersion: r.in.CodeVersion, ConfigVersion: r.in.ConfigVersion,
	}
	if cur := r.planCurrency(p); cur != st.Currency {
		st.PlanCurrency = cur
	}
	ps := &personRun{p: p, credits: append([]DealCredit(nil), r.credits[p.ID]...)}
	ps.paid = make([]bool, len(ps.credits))
	for _, sp := range r.spans[p.ID] {
		st.Plans = append(st.Plans, PlanUse{
			Plan: sp.Plan.Ref(), Name: sp.Plan.Name, File: sp.Plan.File, FileSHA256: sp.Plan.Hash,
			From: sp.From.Format(time.DateOnly), To: sp.To.Format(time.DateOnly), Days: sp.Days, QuarterDays: r.qdays, Proration: show(prorationOf(sp, r.qdays)),
		})
	}
	var missing ValidationErrors
	for _, w := range r.windows(p.ID) {
		before := ps.paymentCounts()
		lines, err := componentKinds[w.comp.Kind].lines(r, ps, w)
		if err == nil && st.PlanCurrency != "" {
			err = r.linesToPay(p, w, lines, ps, before)
		}
		if err != nil {
			if isValidation(err) {
				asValidation(&missing, err)
				continue
			}
			return nil, fmt.Errorf("%s: %w", p.ID, err)
		}
		st.Lines = append(st.Lines, lines...)
	}
	if len(missing) > 0 {
		return nil, missing
	}
	for i, cr := range ps.credits {
		if !ps.paid[i] {
			cr.Unpaid = r.unpaidReason(p.ID, cr)
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
	for _, a := range r.disputes[p.ID] {
		st.Lines = append(st.Lines, a.line(st.Quarter))
	}
	carried := r.payStage(p, ps, st) // cap, holds, releases, draw: after every earning line
	total := decimal.Zero
	for _, l := range st.Lines {
		total = total.Add(l.Amount.Decimal)
	}
	st.Total = Money{total}
	st.Inputs = inputsOf(st, ps.used, r.adjust[p.ID])
	st.Inputs.Carried = append(st.Inputs.Carried, carried...)
	st.Inputs.SPIF = ps.spif
	seen := map[*FX]bool{}
	for _, sp := range r.spans[p.ID] {
		if x := r.lineFX[lineFXKey(p.ID, sp.Plan)]; x != nil && !seen[x] {
			seen[x] = true
			st.Inputs.PayFX = append(st.Inputs.PayFX, *x)
		}
	}
	for _, q := range r.quotas[p.ID] {
		if q.From.Before(r.q.End()) && (q.To.IsZero() || !q.To.Before(r.q.Start())) {
			st.Inputs.Quotas = append(st.Inputs.Quotas, InputQuota{Component: q.Component, Amount: q.Amount.Decimal, Currency: q.Currency, From: q.From.String(), To: q.To.String()})
		}
	}
	h, err := st.Inputs.Hash()
	if err != nil {
		return nil, fmt.Errorf("statement %s: %w", st.ID, err)
	}
	st.InputHash = h
	return st, nil
}

// unpaidReason says why no commission component paid a credit that one
// could have paid ("" when the plan pays no commission on such credits).
func (r *run) unpaidReason(id string, cr DealCredit) string {
	t, _ := time.Parse(time.DateOnly, cr.CloseDate)
	sp := r.spanOn(id, t)
	if sp == nil {
		return "no plan active on the close date"
	}
	for _, c := range sp.Plan.Components {
		if c.Kind == KindCommission && c.Credit.Pays(cr.Role) {
			return fmt.Sprintf("plan %s pays %s credits only on deal types it lists, not %q", sp.Plan.Ref(), cr.Role, cr.Type)
		}
	}
	// No commission component of the plan pays this kind of credit at all
	// (a bonus-only plan): no reason, and the statement lists the deal only
	// under the bonus it counts toward.
	return ""
}

// pays reports whether commission component c pays on credit cr: its
// credit basis admits the credit's role, and the deal type is listed when
// the component lists any.
func pays(c *Component, cr DealCredit) bool {
	return c.Credit.Pays(cr.Role) && (len(c.DealTypes) == 0 || contains(c.DealTypes, cr.Type))
}

func scopeKey(p *Person, scope string) string {
	switch scope {
	case ScopeIndividual, ScopeTeam:
		return p.ID
	default:
		return "all"
	}
}

// payments are what was paid for a credit of an earlier statement, one per
// commission component; statements written before payments were recorded
// carry one in their plan, component and paid fields.
func payments(cr DealCredit) []Payment {
	if len(cr.Payments) > 0 {
		return cr.Payments
	}
	if cr.Component == "" {
		return nil
	}
	return []Payment{{Plan: cr.Plan, Component: cr.Component, Paid: cr.Paid, ClawbackDays: cr.Clawback, Basis: ClawbackAmountPaid}}
}

// clawbacks turns cancellations dated in this quarter into negative lines
// for deals paid in earlier statements and cancelled within their window:
// one line per component that paid the deal, taking back what it paid
// (amount_paid) or the credited amount at the rate it was paid at
// (original_rate).
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
			if !ok || !r.q.Contains(when) {
				continue
			}
			closed, _ := time.Parse(time.DateOnly, cr.CloseDate)
			days := int(period.Day(when).Sub(closed).Hours() / 24)
			for _, pay := range payments(cr) {
				key := fmt.Sprintf("clawback/%s/%s/%s/%s", st.Quarter, cr.DealID, cr.Role, pay.Component)
				if pay.Paid.IsZero() || days > pay.ClawbackDays || days < 0 || done[key] {
					continue
				}
				done[key] = true
				exact := rat(pay.Paid.Neg())
				how := fmt.Sprintf("paid %s in %s", fmtMoney(pay.Paid.Decimal, st.Currency), st.Quarter)
				if pay.Basis == ClawbackOriginalRate {
					// A converted credit is taken back at the rates it was
					// converted at (cr.value() recomputes it from them), and
					// a line paid in another currency than the plan's at the
					// rate it was paid at (pay.FX).
					exact = mul(new(big.Rat).Neg(cr.value()), rat(pay.Rate))
					how = fmt.Sprintf("credited %s at the original rate %s (paid %s in %s)", fmtMoney(cr.Credited.Decimal, st.creditCurrency()), fmtRate(pay.Rate), fmtMoney(pay.Paid.Decimal, st.Currency), st.Quarter)
					if pay.FX != nil {
						exact = mul(exact, pay.FX.factor())
						how += fmt.Sprintf(", converted at the rate it was paid at (× %s)", pay.FX.Factor)
					}
				}
				amount := roundMode(exact, money.Scale, pay.Mode)
				// What the pay cap cut from the payment was never paid: it
				// is not clawed back (paystage.go, attributeCap).
				if c := pay.Capped; c != nil && c.IsPositive() {
					how += fmt.Sprintf(", less %s cut by the pay cap and never paid", fmtMoney(c.Decimal, st.Currency))
					if amount = decimal.Min(decimal.Zero, amount.Add(c.Decimal)); amount.IsZero() {
						continue
					}
				}
				// Commission still held for the deal was never paid: it is
				// not clawed back (the hold is dropped, paystage.go).
				if held := r.openHold(p.ID, st.Quarter, cr.DealID, cr.Role, pay.Component); held.IsPositive() {
					how += fmt.Sprintf(", less %s held and never paid", fmtMoney(held, st.Currency))
					if amount = decimal.Min(decimal.Zero, amount.Add(held)); amount.IsZero() {
						continue
					}
				}
				lines = append(lines, Line{
					Key: key, Kind: LineClawback, Component: pay.Component, Plan: pay.Plan, Ref: cr.DealID,
					Basis: ptr(cr.Credited.Decimal), Exact: show(exact), Amount: Money{amount},
					Explain: fmt.Sprintf("clawback (%s): deal %s (%s) closed %s, %s, cancelled %s, %d days after close, within the %d-day window: %s",
						pay.basis(), cr.DealID, cr.DealName, cr.CloseDate, how, when.Format(time.DateOnly), days, pay.ClawbackDays, fmtMoney(amount, st.Currency)),
				})
			}
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
		in.Metrics = append(in.Metrics, InputMetric{KPI: m.KPI, Scope: m.Scope, Key: m.Key, Model: m.Model, From: m.From, To: m.To, Value: m.Value})
	}
	for _, c := range st.Credits {
		in.Credits = append(in.Credits, InputCredit{DealID: c.DealID, CloseDate: c.CloseDate, Type: c.Type, Role: c.Role, Via: c.Via, Percent: c.Percent, Credited: c.Credited, FX: c.FX})
	}
	for _, a := range adjustments {
		in.Adjustments = append(in.Adjustments, InputAdjustment{ID: a.ID, Amount: Money{a.Amount.Decimal}, Currency: a.Currency, Reason: a.Reason, Author: a.Author})
	}
	for _, l := range st.Lines {
		if l.Kind == LineClawback || l.Kind == LinePriorPeriod || l.Kind == LineDisputeAdjustment {
			in.Carried = append(in.Carried, InputCarried{Key: l.Key, Kind: l.Kind, Ref: l.Ref, Amount: l.Amount})
		}
	}
	return in
}
