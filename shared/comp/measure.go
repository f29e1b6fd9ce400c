package comp

import (
	"encoding/json"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/venn-revops/venn/shared/period"
)

// How a bonus metric is measured over a window of days.
type measure int

const (
	// measureQuarter: a KPI Venn cannot itemise by person and day (an
	// attribution model's influenced bookings, a ratio). Org scope only;
	// the quarter's value against the full-quarter target.
	measureQuarter measure = iota
	// measureDeals: the credited amounts of won deals closed in the window.
	measureDeals
	// measureActivities: dated activities (meetings held, SQLs) in the window.
	measureActivities
)

var (
	dealMeasures     = []string{"bookings"}
	activityMeasures = []string{"meetings", "sqls"}
)

func measureOf(kpi string) measure {
	switch {
	case contains(dealMeasures, kpi):
		return measureDeals
	case contains(activityMeasures, kpi):
		return measureActivities
	}
	return measureQuarter
}

// Activity is one dated, countable fact a bonus may be measured on: a
// meeting held (a task), a lead accepted by sales (an SQL). The payouts job
// derives them from the lake by the KPI engine's rules, so a bonus counts
// what the KPI counts, but per person and per day.
type Activity struct {
	KPI      string    // "meetings" or "sqls"
	PersonID string    // the task or lead owner
	Date     time.Time // the day it counts on
	Ref      string    // task or lead Id
}

// LineItem is one fact behind a bonus actual: a credited deal, a meeting,
// an SQL, or the quarter's KPI value. A rep adds up the items' values to
// get the actual.
type LineItem struct {
	Date  string          `json:"date,omitempty"` // YYYY-MM-DD
	Ref   string          `json:"ref"`            // deal, task or lead Id; a KPI key
	Name  string          `json:"name,omitempty"` // deal name
	Via   string          `json:"via,omitempty"`  // team scope: the report it came from
	Note  string          `json:"note,omitempty"` // e.g. "split 40%"
	Value decimal.Decimal `json:"value"`
}

// window is the run of consecutive days over which one component is
// measured and paid: the person's spans on versions of the same plan in
// which the component is identical (same id, same content, same plan
// target variable and conventions). A new plan version that leaves a
// component unchanged therefore does not cut its measurement in two; a
// change to it (or a role change) does.
type window struct {
	comp     *Component
	spans    []Span
	from, to time.Time
	days     int
}

func (w *window) plan() *Plan { return w.spans[0].Plan }

// contains reports whether day (YYYY-MM-DD or a time) is in the window.
func (w *window) contains(t time.Time) bool {
	d := period.Day(t)
	return !d.Before(w.from) && !d.After(w.to)
}

// containsDay reports whether a YYYY-MM-DD day is in the window (ISO
// dates compare as strings).
func (w *window) containsDay(day string) bool {
	return day >= w.from.Format(time.DateOnly) && day <= w.to.Format(time.DateOnly)
}

// refs names the plan versions the window covers: "ae@v1" or "ae@v1+ae@v2".
func (w *window) refs() string {
	var out []string
	for _, s := range w.spans {
		if r := s.Plan.Ref(); !contains(out, r) {
			out = append(out, r)
		}
	}
	return strings.Join(out, "+")
}

// key is the window's part of a line key: the first version and first day.
func (w *window) key() string { return w.plan().Ref() + "/" + w.from.Format(time.DateOnly) }

// spanOn is the span of the window holding day t.
func (w *window) spanOn(t time.Time) *Span {
	d := period.Day(t)
	for i := range w.spans {
		if !d.Before(w.spans[i].From) && !d.After(w.spans[i].To) {
			return &w.spans[i]
		}
	}
	return nil
}

// fingerprint is what must not change for a component to keep measuring
// over one window across plan versions.
func fingerprint(p *Plan, c *Component) string {
	b, _ := json.Marshal(struct {
		Plan, Currency string
		TV             Dec
		Claw           *int
		Basis          ClawbackBasis
		Round          Rounding
		C              *Component
	}{p.ID, p.Currency, p.TargetVariable, p.ClawbackDays, p.Basis(), p.Round(), c})
	return string(b)
}

// windows cuts person id's spans into measurement windows, in the order
// their first day and component appear.
func (r *run) windows(id string) []*window {
	spans := r.spans[id]
	var out []*window
	open := map[string]*window{}
	for i, sp := range spans {
		next := map[string]*window{}
		adjacent := i > 0 && spans[i-1].To.AddDate(0, 0, 1).Equal(sp.From)
		for ci := range sp.Plan.Components {
			c := &sp.Plan.Components[ci]
			k := c.ID + "\x00" + fingerprint(sp.Plan, c)
			if w := open[k]; w != nil && adjacent {
				w.spans, w.to, w.days = append(w.spans, sp), sp.To, w.days+sp.Days
				next[k] = w
				continue
			}
			w := &window{comp: c, spans: []Span{sp}, from: sp.From, to: sp.To, days: sp.Days}
			out = append(out, w)
			next[k] = w
		}
		open = next
	}
	return out
}

// dealActual sums the credits a deal measure counts over the window:
// individual, the person's own credits (owner or split share); team, the
// credits rolled up to them from their reports on each close date (the
// same credits a team commission pays on); org, every credited deal once.
func (r *run) dealActual(ps *personRun, m *MetricRef, w *window) (*big.Rat, []LineItem, error) {
	sum := new(big.Rat)
	items := []LineItem{}
	keep := func(typ string) bool { return len(m.DealTypes) == 0 || contains(m.DealTypes, typ) }
	if m.Scope == ScopeOrg {
		// Every org-scope window over the same days and deal types, paid
		// in the same currency by the same plans, measures the same
		// number: computed once per run.
		pay := r.planCurrency(ps.p)
		key := fmt.Sprint(m.KPI, m.DealTypes, w.from, w.to, pay, w.refs())
		if c, ok := r.orgCache[key]; ok {
			return c.sum, c.items, nil
		}
		from, to := w.from.Format(time.DateOnly), w.to.Format(time.DateOnly)
		for _, d := range r.orgDeals {
			if d.CloseDate >= from && d.CloseDate <= to && keep(d.Type) {
				v, x, err := r.orgCredit(pay, w, d)
				if err != nil {
					return nil, nil, err
				}
				sum.Add(sum, v)
				note := "" // an org-scope item has no share: the conversion is its whole note
				if x != nil {
					note = x.describe()
				}
				items = append(items, LineItem{Date: d.CloseDate, Ref: d.DealID, Name: d.DealName, Note: note, Value: show(v)})
			}
		}
		items = summarise(items, show(sum), "deals", w)
		r.orgCache[key] = orgMeasure{sum, items}
		return sum, items, nil
	}
	basis := CreditOwn
	if m.Scope == ScopeTeam {
		basis = CreditTeam
	}
	for _, cr := range ps.credits {
		if !basis.Pays(cr.Role) || !w.containsDay(cr.CloseDate) || !keep(cr.Type) {
			continue
		}
		sum.Add(sum, cr.value())
		items = append(items, LineItem{Date: cr.CloseDate, Ref: cr.DealID, Name: cr.DealName, Via: cr.Via,
			Note: fmt.Sprintf("%s %s%%", cr.Role, cr.Percent) + cr.FX.note(), Value: show(cr.value())})
	}
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if a.Date != b.Date {
			return a.Date < b.Date
		}
		if a.Ref != b.Ref {
			return a.Ref < b.Ref
		}
		return a.Via < b.Via
	})
	return sum, items, nil
}

// orgMeasure is an org-scope deal measure computed once per run.
type orgMeasure struct {
	sum   *big.Rat
	items []LineItem
}

// activityActual counts the activities of a measure over the window:
// individual, the person's own; team, those of the people who reported to
// them and had a plan on the activity's day; org, all of them.
func (r *run) activityActual(p *Person, m *MetricRef, w *window) (decimal.Decimal, []LineItem) {
	n := int64(0)
	items := []LineItem{}
	list := r.actsByKPI[m.KPI] // team and org scope read everyone's
	if m.Scope == ScopeIndividual {
		list = r.actsByPerson[p.ID+"\x00"+m.KPI]
	}
	for _, a := range list {
		if !w.contains(a.Date) {
			continue
		}
		via := ""
		switch m.Scope {
		case ScopeIndividual:
			if a.PersonID != p.ID {
				continue
			}
		case ScopeTeam:
			q := r.people[a.PersonID]
			if q == nil || q.managerOn(a.Date) != p.ID || !r.activeOn(q.ID, a.Date) {
				continue
			}
			via = q.ID
		}
		n++
		items = append(items, LineItem{Date: a.Date.Format(time.DateOnly), Ref: a.Ref, Via: via, Value: decimal.NewFromInt(1)})
	}
	if m.Scope == ScopeOrg {
		items = summarise(items, decimal.NewFromInt(n), m.KPI, w)
	}
	return decimal.NewFromInt(n), items
}

// maxOrgItems bounds the items listed behind an org-scope actual: a
// company's every deal or meeting on every manager's statement would not
// be read and would not fit a statement file. Individual and team items are
// always listed in full.
const maxOrgItems = 500

// summarise replaces more than maxOrgItems org-scope items by one item that
// names how many there are and their total.
func summarise(items []LineItem, sum decimal.Decimal, what string, w *window) []LineItem {
	if len(items) <= maxOrgItems {
		return items
	}
	return []LineItem{{Ref: fmt.Sprintf("%d %s of the whole company from %s to %s (too many to list; the lake's snapshot has them)",
		len(items), what, w.from.Format(time.DateOnly), w.to.Format(time.DateOnly)), Value: sum}}
}

// sortActivities orders activities by day, then Ref, then person.
func sortActivities(as []Activity) {
	sort.SliceStable(as, func(i, j int) bool {
		a, b := as[i], as[j]
		if !a.Date.Equal(b.Date) {
			return a.Date.Before(b.Date)
		}
		if a.Ref != b.Ref {
			return a.Ref < b.Ref
		}
		return a.PersonID < b.PersonID
	})
}

// targetOver is a component's target (bonus) or quota (commission) for
// the days from..to of the quarter: the sum over those days of the
// full-quarter amount in force that day (a quota record for the person and
// component, else the plan's default def), divided by the quarter's days.
// A constant amount over d days is amount × d ÷ D.
func (r *run) targetOver(p *Person, compID string, def decimal.Decimal, from, to time.Time) (*big.Rat, []Quota) {
	sum := new(big.Rat)
	var used []Quota
	for t := from; !t.After(to); t = t.AddDate(0, 0, 1) {
		amount := rat(def)
		if q := r.quotaOn(p.ID, compID, t); q != nil {
			amount = r.quotaAmount(q, t)
			if len(used) == 0 || used[len(used)-1].ID() != q.ID() {
				used = append(used, *q)
			}
		}
		sum.Add(sum, amount)
	}
	return quo(sum, ratInt(r.qdays)), used
}
