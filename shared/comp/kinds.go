package comp

import (
	"sort"
	"strings"
)

// kindSpec is everything the engine knows about one component kind: how a
// component of the kind is checked, how it becomes statement lines over a
// measurement window, and how the plan document describes it. Adding a
// mechanic means adding one entry here (and its three functions).
type kindSpec struct {
	validate func(e *errs, at string, c *Component, known func(string) bool)
	lines    func(r *run, ps *personRun, w *window) ([]Line, error)
	describe func(b *strings.Builder, p *Plan, c *Component)
}

var componentKinds map[ComponentKind]*kindSpec

// The registry is filled in init: its functions reach back into it
// (validatePlan looks kinds up), which a package-level literal cannot.
func init() {
	componentKinds = map[ComponentKind]*kindSpec{
		KindAttainmentBonus: {validate: validateBonus, lines: bonusLines, describe: describeBonus},
		KindCommission:      {validate: validateCommission, lines: commissionLines, describe: describeCommission},
		KindSPIF:            {validate: validateSPIF, lines: spifLines, describe: describeSPIF}, // spif.go
	}
}

// kindNames lists the component kinds, sorted, for error messages.
func kindNames() []string {
	out := make([]string, 0, len(componentKinds))
	for k := range componentKinds {
		out = append(out, string(k))
	}
	sort.Strings(out)
	return out
}
