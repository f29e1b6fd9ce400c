package kpi

// Goal pairs a KPI that has a configured quarterly target with the target
// and attainment KPIs the engine emits beside it (emit.go,
// marketing_targets.go), so a scorecard can show the three on one line.
type Goal struct{ Actual, Target, Attainment string }

// Goals lists every target of the catalog; TestGoalsCoverTargets keeps it
// in step with the catalog's *_target and *_attainment entries.
var Goals = []Goal{
	{"bookings", "bookings_target", "bookings_attainment"},
	{"pipeline_created", "pipeline_target", "pipeline_attainment"},
	{"mqls", "mqls_target", "mqls_attainment"},
	{"mktg_sourced_pipeline", "sourced_pipeline_target", "sourced_pipeline_attainment"},
	{"mktg_sourced_bookings", "sourced_bookings_target", "sourced_bookings_attainment"},
}

// GoalOf returns the goal whose actual, target or attainment KPI is name.
func GoalOf(name string) (Goal, bool) {
	for _, g := range Goals {
		if g.Actual == name || g.Target == name || g.Attainment == name {
			return g, true
		}
	}
	return Goal{}, false
}
