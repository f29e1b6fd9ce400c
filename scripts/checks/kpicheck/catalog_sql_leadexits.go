package kpicheck

import (
	"database/sql"
	"fmt"

	"github.com/venn-revops/venn/shared/crm"
)

// SQL of leads_disqualified and leads_recycled (docs/kpis.md §2.1), written
// from the docs. When LeadHistory holds a Status change (Field =
// funnel.lead_exits.status_field) known at the as-of instant, a lead (live,
// known: ld) counts once per list when one of its known Status changes
// dated in the period has a NewValue in the list and an OldValue (null
// included) outside it. Without one, the period's leads with no converted
// opportunity whose current Status is in the list (exact match) count. No
// rows when the list is not configured.
//
//	lxs  the live Status changes known at the as-of instant
//	lx   ld with the lead's current Status and tracked (lxs has a row)
func init() {
	registerTable("lxs", func(q *Q) string {
		return fmt.Sprintf(`SELECT lead_id, old_value, new_value, epoch_us(created_date) AS changed FROM v_leadhistory
		WHERE NOT coalesce(is_deleted, false) AND field = %s AND epoch_us(created_date) < %d`, lit(q.Cfg.ExitStatusField), q.AsOf)
	})
	registerTable("lx", func(q *Q) string {
		return `SELECT ld.*, v.status, (SELECT count(*) > 0 FROM lxs) AS tracked FROM ld JOIN v_lead v ON v.id = ld.id`
	})
	exits := func(statuses func(q *Q) []string) func(q *Q) string {
		return func(q *Q) string {
			ds := q.ownDims(leadDimCols)
			if len(ds) == 0 || len(statuses(q)) == 0 {
				return noRows // no status list configured: not reported, not 0
			}
			l := list(statuses(q))
			flag := `CASE WHEN tracked THEN id IN (SELECT lead_id FROM lxs WHERE ` + q.In("changed") + ` AND new_value IN ` + l + ` AND (old_value IS NULL OR old_value NOT IN ` + l + `))
				ELSE ` + q.In("created") + ` AND coalesce(conv, '') = '' AND coalesce(status IN ` + l + `, false) END`
			return "SELECT dimension, key, '' AS model, " + Count("n") + " FROM (" + fanOut("lx", ds, "count_if("+flag+") AS n") + ")"
		}
	}
	register("leads_disqualified", exits(func(q *Q) []string { return q.Cfg.DisqualifiedStatuses }))
	register("leads_recycled", exits(func(q *Q) []string { return q.Cfg.RecycledStatuses }))
}

// leadHistoryView is v_leadhistory: the LeadHistory files, or no rows when
// the org has none (an org without field history).
func leadHistoryView(db *sql.DB, paths map[string][]string) error {
	if ps := paths[crm.LeadHistory.Name]; len(ps) > 0 {
		return createView(db, crm.LeadHistory, ps)
	}
	_, err := db.Exec(`CREATE OR REPLACE VIEW v_leadhistory AS SELECT NULL::VARCHAR AS id, NULL::TIMESTAMPTZ AS created_date,
		NULL::BOOLEAN AS is_deleted, NULL::VARCHAR AS lead_id, NULL::VARCHAR AS field, NULL::VARCHAR AS old_value, NULL::VARCHAR AS new_value
		WHERE false`)
	return err
}
