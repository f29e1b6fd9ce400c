package kpicheck

import "fmt"

// SQL of lead_sla_breach_days_total and lead_sla_breach_days_median
// (docs/kpis.md §2.9, "How long the breaches waited"), written from the
// docs over rs (the period's MQLs with their clock start and first human
// response): an MQL answered after its deadline (start + SLA) waited
// first − deadline past it; an unanswered one whose deadline is before the
// as-of instant, as-of − deadline; any other did not breach.
//
//	slab  the MQLs of rs that breached, with us, their microseconds past
//	      the deadline
func init() {
	registerTable("slab", func(q *Q) string {
		deadline := fmt.Sprintf("(start + %d)", int64(q.Cfg.Response.SLAHours)*hourMicros)
		return fmt.Sprintf(`SELECT * FROM (
			SELECT rs.*, CASE WHEN first IS NOT NULL AND first > %[1]s THEN first - %[1]s
				WHEN first IS NULL AND %[1]s < %[2]d THEN %[2]d - %[1]s END AS us
			FROM rs) WHERE us IS NOT NULL`, deadline, q.AsOf)
	})
	register("lead_sla_breach_days_total", func(q *Q) string {
		ds := q.ownDims(leadDimCols)
		if len(ds) == 0 {
			return noRows
		}
		return fmt.Sprintf(`SELECT dimension, key, '' AS model, rdiv(CAST(us AS HUGEINT) * 1000000, %d) AS value, NULL AS num, NULL AS den, TRUE AS defined
			FROM (%s)`, int64(dayMicros), fanOut("slab", ds, "sum(us) AS us"))
	})
	register("lead_sla_breach_days_median", func(q *Q) string {
		return q.MedianOver("slab", leadDimCols, "us", dayMicros)
	})
}
