package kpisql

import "github.com/venn-revops/venn/shared/kpi"

// The lead exits (docs/kpis.md §2.1, leads_disqualified and leads_recycled)
// from LeadHistory's Status changes, or, when no Status change is known at
// the as-of instant (no LeadHistory table, tracking off, Status not
// tracked), from the current Status of the period's unconverted leads.

// leadExitCTEs are
//
//	lxh  per lead with a Status change known at the as-of instant: whether
//	     one within the period entered a disqualified (x_disq) or a
//	     recycled (x_recy) status from a status outside that list
//	lxt  one row: tracked, whether any Status change is known
func (g *gen) leadExitCTEs() []cte {
	into := func(statuses []string) string {
		l := list(statuses)
		return "max(CASE WHEN " + g.in("chg_us") + " AND coalesce(new_value IN " + l + ", false) AND NOT coalesce(old_value IN " + l + ", false) THEN 1 ELSE 0 END)"
	}
	return []cte{
		{"lxh", `SELECT lead_id, ` + into(g.cfg.DisqualifiedStatuses) + ` AS x_disq, ` + into(g.cfg.RecycledStatuses) + ` AS x_recy
FROM (SELECT lead_id, new_value, old_value, ` + g.m("created_date") + ` AS chg_us FROM ` + g.t["LeadHistory"] + `
	WHERE ` + notDeleted + ` AND field = ` + lit(g.cfg.ExitStatusField) + `) AS h
WHERE chg_us < ` + g.asOfS + `
GROUP BY lead_id`},
		{"lxt", `SELECT count(*) > 0 AS tracked FROM lxh`},
	}
}

// leadExit is lc's flag of a lead exit of the period (x_disq or x_recy of
// lxh, joined as h, and lxt's tracked beside it): by the history when any
// Status change is known, else a lead of the period, not converted, whose
// current Status is listed.
func leadExit(statuses []string, col string) string {
	return "CASE WHEN tracked THEN coalesce(" + col + ", 0) = 1 ELSE c_lead AND coalesce(conv, '') = '' AND coalesce(status IN " + list(statuses) + ", false) END"
}

// exitFlags are lc's c_disq and c_recy.
func exitFlags(cfg *kpi.Config) string {
	return leadExit(cfg.DisqualifiedStatuses, "x_disq") + " AS c_disq, " + leadExit(cfg.RecycledStatuses, "x_recy") + " AS c_recy"
}
