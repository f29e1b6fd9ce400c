package comp

import (
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/venn-revops/venn/shared/yamlstrict"
)

var componentIndex = regexp.MustCompile(`^components\[(\d+)\]`)

// byComponentID rewrites error paths of plan p from components[1] to
// components[new_business_commission]: an id is what the author wrote and
// does not shift when a component is added. A missing or repeated id keeps
// the index.
func byComponentID(p *Plan, list ValidationErrors) ValidationErrors {
	count := map[string]int{}
	for _, c := range p.Components {
		count[c.ID]++
	}
	for _, e := range list {
		m := componentIndex.FindStringSubmatch(e.Path)
		if m == nil {
			continue
		}
		i, _ := strconv.Atoi(m[1])
		if i >= len(p.Components) {
			continue
		}
		id := p.Components[i].ID
		if id == "" || count[id] > 1 || !yamlstrict.IsPlainKey(id) {
			continue
		}
		e.Path = "components[" + id + "]" + e.Path[len(m[0]):]
	}
	return list
}

// CheckConfig loads the comp configuration folder (see LoadConfig) and
// validates all of it together: every plan (known reports whether a KPI
// exists), the assignments against the plans' ids, versions and dates, and
// the adjustments and quota records. Every problem of every file is returned at once as
// ValidationErrors; nothing should be computed when it fails.
func CheckConfig(fsys fs.FS, known func(name string) bool) (*Config, error) {
	cfg, err := LoadConfig(fsys)
	var all ValidationErrors
	if err != nil {
		if !isValidation(err) {
			return nil, err
		}
		asValidation(&all, err)
	}
	if cfg != nil {
		asValidation(&all, ValidateConfig(cfg, known))
	}
	if len(all) > 0 {
		return nil, dedupe(all)
	}
	return cfg, nil
}

// ValidateConfig validates a loaded configuration: the plans and the
// assignments against them. LoadConfig has already checked each file alone.
func ValidateConfig(cfg *Config, known func(name string) bool) error {
	var all ValidationErrors
	asValidation(&all, Validate(cfg.Plans, known))
	if cfg.Assignments != nil {
		all = append(all, ValidateAssignments(cfg.Assignments, cfg.Plans)...)
		all = append(all, validateQuotaPeople(cfg.Quotas, cfg.Assignments)...)
	}
	all = append(all, ValidateQuotas(cfg.Quotas, cfg.Plans)...)
	all = append(all, validateDraws(cfg.Adjustments, cfg.Payroll)...)
	all = append(all, validatePayrollDraws(cfg.Plans, cfg.Payroll)...)
	if len(all) > 0 {
		return all
	}
	return nil
}

// validateQuotaPeople checks that each quota record's person has an entry
// in the assignments (the roster is checked at run time, when it is known;
// ValidateQuotas checks the components).
func validateQuotaPeople(quotas []Quota, a *Assignments) ValidationErrors {
	e := &errs{file: "quotas.yaml"}
	assigned := map[string]bool{}
	for _, pa := range a.People {
		assigned[pa.Person] = true
	}
	for i, q := range quotas {
		if q.Person != "" && !assigned[q.Person] {
			e.add(fmt.Sprintf("quotas[%d].person", i), "%s has no entry in %s: a quota for someone on no plan", q.Person, a.File)
		}
	}
	return e.list
}

func dedupe(list ValidationErrors) ValidationErrors {
	seen := map[string]bool{}
	out := list[:0]
	for _, e := range list {
		if k := e.Error(); !seen[k] {
			seen[k] = true
			out = append(out, e)
		}
	}
	return out
}

// ValidateAssignments checks the assignments against the plans, for every
// day they cover, not only the quarter being paid, so a mistake is found
// when the file is changed rather than in the quarter it first bites:
//
//   - a role or person entry naming a plan id no file defines;
//   - a role or person entry starting before its plan's first version takes
//     effect, or covering days no version of the plan covers;
//   - a person entry in a role that has no plan on some of its days.
//
// Overlapping entries are found when the file is loaded.
func ValidateAssignments(a *Assignments, plans []*Plan) ValidationErrors {
	e := &errs{file: a.File}
	byID, ids := versionsByID(plans)
	known := strings.Join(ids, ", ")
	horizon := assignmentHorizon(a, plans)
	for i, r := range a.Roles {
		at := fmt.Sprintf("roles[%d]", i)
		if r.Plan == "" || r.From.IsZero() {
			continue // reported when the file was loaded
		}
		if byID[r.Plan] == nil {
			e.add(at+".plan", "no plan file has id %q (plans: %s)", r.Plan, known)
			continue
		}
		checkPlanCovers(e, at, fmt.Sprintf("role %s", r.Role), r.Plan, r.From, r.To, horizon, byID[r.Plan])
	}
	for i, pa := range a.People {
		at := fmt.Sprintf("people[%d]", i)
		if pa.From.IsZero() {
			continue
		}
		who := pa.Person
		if pa.Name != "" {
			who += " (" + pa.Name + ")"
		}
		switch {
		case pa.Plan != "" && pa.Role == "":
			if byID[pa.Plan] == nil {
				e.add(at+".plan", "no plan file has id %q (plans: %s)", pa.Plan, known)
				continue
			}
			checkPlanCovers(e, at, who, pa.Plan, pa.From, pa.To, horizon, byID[pa.Plan])
		case pa.Role != "" && pa.Plan == "":
			checkRoleCovers(e, at, who, pa, horizon, a.Roles)
		}
	}
	return e.list
}

// assignmentHorizon is the day after every date written in the
// assignments and plans: past it nothing changes, so an open-ended entry
// is checked up to it.
func assignmentHorizon(a *Assignments, plans []*Plan) time.Time {
	var last time.Time
	see := func(ds ...Day) {
		for _, d := range ds {
			if d.After(last) {
				last = d.Time
			}
		}
	}
	for _, p := range plans {
		see(p.EffectiveFrom, p.EffectiveTo)
	}
	for _, r := range a.Roles {
		see(r.From, r.To)
	}
	for _, pa := range a.People {
		see(pa.From, pa.To)
	}
	return last.AddDate(0, 0, 1)
}

// days calls f for each day of [from, to] (to open: up to horizon) and
// returns the runs of consecutive days for which f is false.
func uncovered(from, to Day, horizon time.Time, f func(time.Time) bool) [][2]time.Time {
	end := horizon
	if !to.IsZero() {
		end = to.Time
	}
	var runs [][2]time.Time
	for t := from.Time; !t.After(end); t = t.AddDate(0, 0, 1) {
		if f(t) {
			continue
		}
		if n := len(runs); n > 0 && runs[n-1][1].AddDate(0, 0, 1).Equal(t) {
			runs[n-1][1] = t
			continue
		}
		runs = append(runs, [2]time.Time{t, t})
	}
	return runs
}

func describeRun(r [2]time.Time, to Day, horizon time.Time) string {
	from := r[0].Format(time.DateOnly)
	switch {
	case r[0].Equal(r[1]) && !(to.IsZero() && r[1].Equal(horizon)):
		return "on " + from
	case to.IsZero() && r[1].Equal(horizon):
		return "from " + from + " on"
	default:
		return "from " + from + " to " + r[1].Format(time.DateOnly)
	}
}

func checkPlanCovers(e *errs, at, who, planID string, from, to Day, horizon time.Time, versions []*Plan) {
	first := versions[0]
	for _, v := range versions {
		if v.EffectiveFrom.Before(first.EffectiveFrom.Time) {
			first = v
		}
	}
	if from.Before(first.EffectiveFrom.Time) {
		e.add(at+".from", "%s starts on plan %s on %s, before its first version (%s) takes effect on %s",
			who, planID, from, first.Ref(), first.EffectiveFrom)
		from = first.EffectiveFrom
		if !to.IsZero() && to.Before(from.Time) {
			return
		}
	}
	for _, r := range uncovered(from, to, horizon, func(t time.Time) bool {
		for _, v := range versions {
			if covers(v.EffectiveFrom, v.EffectiveTo, t) {
				return true
			}
		}
		return false
	}) {
		e.add(at, "%s is on plan %s %s, but no version of %s is effective then", who, planID, describeRun(r, to, horizon), planID)
	}
}

func checkRoleCovers(e *errs, at, who string, pa PersonAssignment, horizon time.Time, roles []RoleAssignment) {
	var names []string
	for _, ra := range roles {
		if ra.Role == pa.Role {
			names = nil
			break
		}
		if !contains(names, ra.Role) {
			names = append(names, ra.Role)
		}
	}
	if names != nil {
		e.add(at+".role", "no roles entry for role %q (roles: %s)", pa.Role, strings.Join(names, ", "))
		return
	}
	for _, r := range uncovered(pa.From, pa.To, horizon, func(t time.Time) bool {
		for _, ra := range roles {
			if ra.Role == pa.Role && covers(ra.From, ra.To, t) {
				return true
			}
		}
		return false
	}) {
		e.add(at+".role", "%s is in role %s %s, but no roles entry gives %s a plan then", who, pa.Role, describeRun(r, pa.To, horizon), pa.Role)
	}
}
