package kpisql

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/kpi"
)

// The catalog's KPIs as SQL, each from its docs/kpis.md definition over the
// shared CTEs (compile.go, tally.go).
func init() {
	tally := func(name string, m func(g *gen) measure) { registerMeasure(name, measured{over: "tl", m: m}) }
	count := func(name, col string) { tally(name, func(g *gen) measure { return g.count(col) }) }
	amount := func(name, col string) { tally(name, func(g *gen) measure { return g.amount(col) }) }
	ratio := func(name, num, den string, scale int64) {
		tally(name, func(g *gen) measure { return g.ratio(num, den, scale) })
	}
	meanDays := func(name, us, n string) {
		tally(name, func(g *gen) measure { return g.mean(us, n, dayMicros) })
	}
	// §2.1 volumes, §2.2 money.
	count("leads", "leads")
	count("mqls", "mqls")
	count("sqls", "sqls")
	count("opps_created", "opps_created")
	count("opps_won", "won")
	count("opps_lost", "lost")
	amount("bookings", "bookings")
	amount("pipeline_created", "pipeline")
	amount("open_pipeline", "open_pipeline")
	// A lead-exit KPI whose status list is not configured is not reported.
	exits := func(name, col string, statuses func(*kpi.Config) []string) {
		registerMeasure(name, measured{over: "tl", m: func(g *gen) measure { return g.count(col) },
			when: func(g *gen) bool { return len(statuses(g.cfg)) > 0 }})
	}
	exits("leads_disqualified", "disqualified", func(c *kpi.Config) []string { return c.DisqualifiedStatuses })
	exits("leads_recycled", "recycled", func(c *kpi.Config) []string { return c.RecycledStatuses })
	// bookings ÷ opps_won rounded to the cent; numerator in currency units.
	tally("avg_deal_size", func(g *gen) measure {
		b, w := g.d.big("bookings"), g.d.big("won")
		return measure{"CASE WHEN won = 0 THEN " + g.d.big("0") + " ELSE " + g.d.RDiv(b, w) + " * 10000 END", b + " * 10000", w + " * 1000000", "won <> 0"}
	})
	// §2.3 rates and cycle.
	ratio("win_rate", "won", "won + lost", 1000000)
	ratio("sales_cycle_days", "closed_days", "won + lost", 1000000)
	ratio("velocity_opp_won_days", "won_days", "won", 1000000)
	// §2.4 conversion, flow and cohort.
	ratio("conv_lead_mql", "mqls", "leads", 1000000)
	ratio("conv_mql_sql", "sqls", "mqls", 1000000)
	ratio("conv_sql_opp", "opps_created", "sqls", 1000000)
	ratio("conv_opp_won", "won", "opps_created", 1000000)
	ratio("conv_lead_mql_cohort", "cohort_mql", "leads", 1000000)
	ratio("conv_mql_sql_cohort", "cohort_sql", "cohort_mql", 1000000)
	ratio("conv_sql_opp_cohort", "cohort_opp", "cohort_sql", 1000000)
	ratio("conv_opp_won_cohort", "cohort_won", "cohort_opp", 1000000)
	// §2.5 velocity.
	meanDays("velocity_mql_sql_days", "mql_sql_us", "mql_sql_n")
	meanDays("velocity_sql_opp_days", "sql_opp_us", "sql_opp_n")
	meanDays("velocity_lead_mql_days", "lead_mql_us", "lead_mql_n")
	stat := func(name string, s source, where, x string, unit int64, p90 bool) {
		register(name, func(g *gen, def kpi.Definition) string { return g.orderStat(def, s, where, x, unit, p90) })
	}
	leadMQL, mqlSQL := "c_mql AND mql >= created", "c_sql AND mql <= sql_at"
	stat("velocity_lead_mql_days_median", srcLead, leadMQL, "mql - created", dayMicros, false)
	stat("velocity_mql_sql_days_median", srcLead, mqlSQL, "sql_at - mql", dayMicros, false)
	stat("velocity_sql_opp_days_median", srcOpp, "sql_opp_us IS NOT NULL", "sql_opp_us", dayMicros, false)
	stat("velocity_lead_mql_days_p90", srcLead, leadMQL, "mql - created", dayMicros, true)
	stat("velocity_mql_sql_days_p90", srcLead, mqlSQL, "sql_at - mql", dayMicros, true)
	stat("velocity_sql_opp_days_p90", srcOpp, "sql_opp_us IS NOT NULL", "sql_opp_us", dayMicros, true)
	// §2.12 opportunity KPIs. Whole days as days × a day's microseconds, so
	// the statistic's unit is the day.
	amount("lost_amount", "lost_cents")
	ratio("win_rate_amount", "bookings", "bookings + lost_cents", 10000)
	count("opps_open", "opps_open")
	stat("sales_cycle_days_median", srcOpp, "c_closed", "days * "+dayMicrosS, dayMicros, false)
	stat("velocity_opp_won_days_median", srcOpp, "c_won", "days * "+dayMicrosS, dayMicros, false)
	stat("velocity_opp_won_days_p90", srcOpp, "c_won", "days * "+dayMicrosS, dayMicros, true)
	// The median amount in millionths (an even count's mean may end in half
	// a cent), then rounded to the cent.
	register("deal_size_median", func(g *gen, def kpi.Definition) string {
		m := g.orderStat(def, srcOpp, "c_won", "cents", 100, false)
		if m == "" {
			return ""
		}
		c := g.d.RDiv("value", "10000") + " * 10000"
		return "SELECT dimension, key, model, " + c + " AS value, " + c + " AS num, den, defined FROM (" + m + ") AS s"
	})
	// §2.7 marketing-sourced.
	amount("mktg_sourced_pipeline", "src_pipeline")
	amount("mktg_sourced_bookings", "src_bookings")
	count("mktg_sourced_opps", "src_opps")
	// §2.9 lead response.
	ratio("lead_sla_compliance", "sla_met", "sla_due", 1000000)
	tally("lead_response_hours_mean", func(g *gen) measure { return g.mean("resp_us", "resp_n", hourMicros) })
	count("leads_awaiting_response", "awaiting")
	count("leads_past_sla_unanswered", "past_sla")
	stat("lead_response_hours_median", srcResp, "resp IS NOT NULL", "resp", hourMicros, false)
	tally("lead_sla_breach_days_total", func(g *gen) measure { return g.days("breach_us") })
	stat("lead_sla_breach_days_median", srcResp, "breach_us IS NOT NULL", "breach_us", dayMicros, false)
	// §2.10 activity.
	count("meetings", "meetings")
	// Time in each stage, over stx (the visits that ended in the period).
	register("stage_days", func(g *gen, def kpi.Definition) string {
		if len(g.dims(def)) == 0 {
			return ""
		}
		return "SELECT 'stage' AS dimension, stage AS key, '' AS model, " + g.mean("sum(us)", "count(*)", dayMicros).cols() + " FROM stx GROUP BY stage"
	})
	register("stage_days_median", func(g *gen, def kpi.Definition) string {
		return g.orderStat(def, source{"stx", []dimCol{{kpi.DimStage, "stage"}}, ""}, "", "us", dayMicros, false)
	})
	registerTargets()
	registerRetention()
}

// stageCTEs are stx: one row per visit of a funnel opportunity (known at
// the as-of instant) to a stage that ended in the period, with the
// microseconds spent. A visit is a run of history rows (by created date,
// then history Id) with one stage; it ends when the next run begins.
func (g *gen) stageCTEs() []cte {
	return []cte{
		{"hrow", `SELECT h.opportunity_id AS opp, h.id, ` + g.m("h.created_date") + ` AS ts, coalesce(h.stage_name, '') AS stage
FROM ` + g.t["OpportunityHistory"] + ` h JOIN oppf ON oppf.id = h.opportunity_id AND oppf.fun
WHERE NOT coalesce(h.is_deleted, false) AND ` + g.m("h.created_date") + ` < ` + g.endS},
		{"hrun", `SELECT opp, ts, stage,
	sum(CASE WHEN prev IS NULL OR prev <> stage THEN 1 ELSE 0 END) OVER (PARTITION BY opp ORDER BY ts, id ROWS UNBOUNDED PRECEDING) AS visit
FROM (SELECT hrow.*, lag(stage) OVER (PARTITION BY opp ORDER BY ts, id) AS prev FROM hrow) AS x`},
		{"hvisit", `SELECT opp, visit, min(stage) AS stage, min(ts) AS entered FROM hrun GROUP BY opp, visit`},
		{"stx", `SELECT ` + keyOf("a.stage") + ` AS stage, b.entered - a.entered AS us
FROM hvisit a JOIN hvisit b ON b.opp = a.opp AND b.visit = a.visit + 1
WHERE ` + g.in("b.entered")},
	}
}

// registerTargets registers the KPIs of the configured targets (§2.6): a
// quarter's target for an org, team or owner key against the tallies of
// that key (tg, joined to tl). A key with a target and no activity has
// all-zero tallies.
func registerTargets() {
	target := func(name, which string, m func(g *gen) measure) {
		registerMeasure(name, measured{over: "tg", which: which, m: m})
	}
	target("bookings_target", "cur", func(g *gen) measure { return g.amount("s.b") })
	target("pipeline_target", "cur", func(g *gen) measure { return g.amount("s.p") })
	target("bookings_attainment", "cur", func(g *gen) measure { return g.ratio("coalesce(tl.bookings, 0)", "s.b", 10000) })
	target("pipeline_attainment", "cur", func(g *gen) measure { return g.ratio("coalesce(tl.pipeline, 0)", "s.p", 10000) })
	target("pipeline_coverage", "cur", func(g *gen) measure {
		return g.ratio("coalesce(tl.open_pipeline, 0)", "greatest(s.b - coalesce(tl.bookings, 0), 0)", 10000)
	})
	target("pipeline_coverage_start", "cur", func(g *gen) measure { return g.ratio("coalesce(tl.open_start, 0)", "s.b", 10000) })
	target("pipeline_coverage_next_quarter", "next", func(g *gen) measure { return g.ratio("coalesce(tl.open_next, 0)", "s.b", 10000) })
	// The marketing targets: a row that does not set one is n/a (target
	// and attainment undefined), never a target of 0.
	for _, m := range []struct{ target, attainment, goal, actual string }{
		{"mqls_target", "mqls_attainment", "s.m", "coalesce(tl.mqls, 0) * 100"},
		{"sourced_pipeline_target", "sourced_pipeline_attainment", "s.sp", "coalesce(tl.src_pipeline, 0)"},
		{"sourced_bookings_target", "sourced_bookings_attainment", "s.sb", "coalesce(tl.src_bookings, 0)"},
	} {
		target(m.target, "cur", func(g *gen) measure {
			return measure{"CASE WHEN " + m.goal + " IS NULL THEN " + g.d.big("0") + " ELSE " + g.d.big(m.goal) + " * 10000 END", g.null(), g.null(), m.goal + " IS NOT NULL"}
		})
		target(m.attainment, "cur", func(g *gen) measure { return g.ratio(m.actual, "coalesce("+m.goal+", 0)", 10000) })
	}
}

// targetsCTE is tg: the configured targets of the period's quarter
// (which 'cur') and the next ('next'), with b, p, sp and sb in cents and m
// (mqls) in hundredths, so every target shares the scale; a marketing
// target the row does not set is NULL.
func (g *gen) targetsCTE() cte {
	var rows []string
	for _, t := range g.cfg.Targets {
		which := ""
		switch t.Quarter {
		case g.p.Quarter:
			which = "cur"
		case g.p.Quarter.Next():
			which = "next"
		default:
			continue
		}
		rows = append(rows, fmt.Sprintf("SELECT '%s' AS which, %s AS dimension, %s AS key, %s AS b, %s AS p, %s AS m, %s AS sp, %s AS sb",
			which, lit(t.Dimension), lit(t.Key), g.cents(&t.Bookings), g.cents(&t.Pipeline), g.cents(t.MQLs), g.cents(t.SourcedPipeline), g.cents(t.SourcedBookings)))
	}
	if len(rows) == 0 {
		n := g.null()
		rows = append(rows, "SELECT 'cur' AS which, '' AS dimension, '' AS key, "+n+" AS b, "+n+" AS p, "+n+" AS m, "+n+" AS sp, "+n+" AS sb WHERE 1 = 0")
	}
	return cte{"tg", strings.Join(rows, "\nUNION ALL ")}
}

// cents renders a target in hundredths as a wide integer, NULL when unset.
func (g *gen) cents(d *decimal.Decimal) string {
	if d == nil {
		return g.null()
	}
	return g.d.big(d.Shift(2).Round(0).String())
}
