package kpicheck

// SQL of leads_disqualified and leads_recycled (docs/kpis.md §2.1), written
// from the docs: of the leads created in the period (ld: live, known at the
// as-of), those with no converted opportunity whose current Status is in
// funnel.lead_exits.disqualified or .recycled (exact match); no rows when
// the list is not configured.
//
//	lx  the period's unconverted leads with their Status and the ld
//	    dimension keys
func init() {
	registerTable("lx", func(q *Q) string {
		return `SELECT ld.*, v.status FROM ld JOIN v_lead v ON v.id = ld.id
		WHERE ` + q.In("ld.created") + ` AND coalesce(ld.conv, '') = ''`
	})
	exits := func(statuses func(q *Q) []string) func(q *Q) string {
		return func(q *Q) string {
			ds := q.ownDims(leadDimCols)
			if len(ds) == 0 || len(statuses(q)) == 0 {
				return noRows // no status list configured: not reported, not 0
			}
			return "SELECT dimension, key, '' AS model, " + Count("n") + " FROM (" +
				fanOut("lx", ds, "count_if(coalesce(status IN "+list(statuses(q))+", false)) AS n") + ")"
		}
	}
	register("leads_disqualified", exits(func(q *Q) []string { return q.Cfg.DisqualifiedStatuses }))
	register("leads_recycled", exits(func(q *Q) []string { return q.Cfg.RecycledStatuses }))
}
