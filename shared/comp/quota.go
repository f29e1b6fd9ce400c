package comp

import (
	"fmt"
	"io/fs"
	"time"

	"github.com/venn-revops/venn/shared/money"
)

// Quota is an effective-dated quota record: from From to To (inclusive;
// empty To is open-ended) the person's full-quarter target (bonus) or
// quota (commission tiered by attainment) for one component is Amount,
// instead of the plan's default. A quota change is a new record, not a new
// plan version. Over a window the target is the sum, day by day, of the
// amount in force that day, divided by the quarter's days (targetOver).
type Quota struct {
	Person    string `yaml:"person"`
	Name      string `yaml:"name"` // for readers of the file; not used
	Component string `yaml:"component"`
	Amount    Dec    `yaml:"amount"`
	// Currency is the amount's currency when it is not the plan's:
	// converted day by day into it by the plan's conversion (fx.go).
	Currency string `yaml:"currency"`
	From     Day    `yaml:"from"`
	To       Day    `yaml:"to"`
	Reason   string `yaml:"reason"`
}

// ID names the record in errors and statements: person/component/from.
func (q Quota) ID() string { return q.Person + "/" + q.Component + "/" + q.From.String() }

type quotasFile struct {
	Quotas []Quota `yaml:"quotas"`
}

// LoadQuotas reads and structurally checks a quotas file (see
// shared/config/comp/quotas.yaml). Records of one person and component must
// not overlap. Whether the person and component exist is checked by
// ValidateRun, which knows the roster and the plans.
func LoadQuotas(fsys fs.FS, name string) ([]Quota, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("load quotas: %w", err)
	}
	return ParseQuotas(name, b)
}

// ParseQuotas is LoadQuotas over bytes already read. On problems it returns
// the records it decoded and ValidationErrors.
func ParseQuotas(file string, b []byte) ([]Quota, error) {
	var f quotasFile
	e := &errs{file: file}
	if err := decodeYAML(file, b, &f); err != nil {
		if len(f.Quotas) == 0 {
			return nil, err
		}
		asValidation(&e.list, err)
	}
	for i, q := range f.Quotas {
		at := fmt.Sprintf("quotas[%d]", i)
		if q.Person == "" {
			e.add(at+".person", "required")
		}
		if q.Component == "" {
			e.add(at+".component", "required")
		}
		requirePositive(e, at+".amount", q.Amount)
		if q.Currency != "" && !IsCurrency(q.Currency) {
			e.add(at+".currency", "%q is not an ISO 4217 currency code", q.Currency)
		}
		if q.Amount.Set {
			if _, err := money.Parse(q.Amount.String()); err != nil {
				e.add(at+".amount", "%v", err)
			}
		}
		checkDates(e, at, q.From, q.To)
	}
	checkOverlapsBy(e, "quotas", len(f.Quotas), func(i int) (string, Day, Day) {
		return f.Quotas[i].Person + " " + f.Quotas[i].Component, f.Quotas[i].From, f.Quotas[i].To
	}, "two quotas would be in force on the same day")
	// The records come back with the errors, so the whole configuration can
	// still be checked against them (CheckConfig reports everything at once).
	return f.Quotas, e.err()
}

// ValidateQuotas checks quota records against the plans: some plan must
// have a component of the record's id that takes a target (a bonus) or an
// attainment quota (a commission tiered by attainment).
func ValidateQuotas(quotas []Quota, plans []*Plan) ValidationErrors {
	e := &errs{file: "quotas.yaml"}
	targets := map[string]bool{}
	for _, p := range plans {
		for _, c := range p.Components {
			if c.Kind == KindAttainmentBonus || (c.Kind == KindCommission && c.TierBy == TierAttainment) {
				targets[c.ID] = true
			}
		}
	}
	for i, q := range quotas {
		if !targets[q.Component] {
			e.add(fmt.Sprintf("quotas[%d].component", i), "no plan has a bonus or attainment-tiered commission component %q", q.Component)
		}
	}
	return e.list
}

// prepareQuotas checks quota records against the plans and the roster.
func (r *run) prepareQuotas() ValidationErrors {
	list := ValidateQuotas(r.in.Quotas, r.in.Plans)
	e := &errs{file: "quotas.yaml"}
	for i, q := range r.in.Quotas {
		if r.people[q.Person] == nil {
			e.add(fmt.Sprintf("quotas[%d].person", i), "%q is not in the roster", q.Person)
		}
		r.quotas[q.Person] = append(r.quotas[q.Person], q)
	}
	return append(list, e.list...)
}

// quotaOn is the quota record in force for a person's component on day t.
func (r *run) quotaOn(person, comp string, t time.Time) *Quota {
	for i, q := range r.quotas[person] {
		if q.Component == comp && covers(q.From, q.To, t) {
			return &r.quotas[person][i]
		}
	}
	return nil
}
