package kpi

import "slices"

// ReadersOf lists, in catalog order, the KPIs whose definition reads the
// lake column object.column (Definition.Fields, the one home of what each
// KPI reads). The extract names them when an org lacks the field behind
// the column: those KPIs, or their breakdown by it, come out empty.
func ReadersOf(object, column string) []string {
	want := object + "." + column
	var out []string
	for _, d := range Catalog() {
		if slices.Contains(d.Fields, want) {
			out = append(out, d.Name)
		}
	}
	return out
}
