package kpi

import "github.com/shopspring/decimal"

// marketingTargetValues are a target row's marketing targets and their
// attainment: mqls, sourced pipeline and sourced bookings against the
// same tally as the sales targets. A target the row does not set is n/a
// (target and attainment undefined), never a target of 0.
func (e *engine) marketingTargetValues(tg Target, dk dimKey, t *tally) []Value {
	var out []Value
	for _, m := range [...]struct {
		target, attainment string
		goal               *decimal.Decimal
		actual             decimal.Decimal
	}{
		{"mqls_target", "mqls_attainment", tg.MQLs, decimal.NewFromInt(t.mqls)},
		{"sourced_pipeline_target", "sourced_pipeline_attainment", tg.SourcedPipeline, decimal.New(t.srcPipeline, -2)},
		{"sourced_bookings_target", "sourced_bookings_attainment", tg.SourcedBookings, decimal.New(t.srcBookings, -2)},
	} {
		target, attainment := measure{}, measure{isRatio: true, num: m.actual}
		if m.goal != nil {
			target, attainment = measure{value: *m.goal, defined: true}, ratioDec(m.actual, *m.goal)
		}
		tdef, _ := Lookup(m.target)
		adef, _ := Lookup(m.attainment)
		out = append(out, e.value(tdef, dk, "", target), e.value(adef, dk, "", attainment))
	}
	return out
}
