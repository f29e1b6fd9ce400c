package kpi

import (
	"strings"
	"testing"
)

// Every target and attainment KPI of the catalog belongs to one goal, and
// every goal names catalog KPIs of matching units.
func TestGoalsCoverTargets(t *testing.T) {
	for _, d := range Catalog() {
		if !strings.HasSuffix(d.Name, "_target") && !strings.HasSuffix(d.Name, "_attainment") {
			continue
		}
		if _, ok := GoalOf(d.Name); !ok {
			t.Errorf("%s: in no kpi.Goals entry", d.Name)
		}
	}
	for _, g := range Goals {
		a, okA := Lookup(g.Actual)
		tg, okT := Lookup(g.Target)
		at, okAt := Lookup(g.Attainment)
		if !okA || !okT || !okAt {
			t.Errorf("goal %+v: a name is not in the catalog", g)
			continue
		}
		if a.Unit != tg.Unit || at.Unit != UnitRatio {
			t.Errorf("goal %+v: units %s/%s/%s, want actual = target, attainment ratio", g, a.Unit, tg.Unit, at.Unit)
		}
	}
}
