package kpicheck

import (
	"fmt"
	"strings"
)

// The queries of the catalog as it stood before issue 12's new KPIs
// (docs/kpis.md §2.1–2.11), over the tally table tl and the credit rows
// cr. A helper who changes one of these definitions changes its query
// here.
func init() {
	tally := func(name, cols string) {
		register(name, func(q *Q) string { return q.FromTally(cols) })
	}
	// §2.1 volumes, §2.2 money.
	tally("leads", Count("leads"))
	tally("mqls", Count("mqls"))
	tally("sqls", Count("sqls"))
	tally("opps_created", Count("opps_created"))
	tally("opps_won", Count("won"))
	tally("opps_lost", Count("lost"))
	tally("bookings", Amount("bookings"))
	tally("pipeline_created", Amount("pipeline"))
	tally("open_pipeline", Amount("open_pipeline"))
	// bookings ÷ opps_won rounded to the cent, half away from zero; the
	// numerator in currency units, the denominator the count.
	tally("avg_deal_size", `CASE WHEN won = 0 THEN 0 ELSE rdiv(CAST(bookings AS HUGEINT), won) * 10000 END AS value,
		CAST(bookings AS HUGEINT) * 10000 AS num, CAST(won AS HUGEINT) * 1000000 AS den, won <> 0 AS defined`)
	// §2.3 rates and cycle.
	tally("win_rate", Ratio("won", "won + lost", 1000000))
	tally("sales_cycle_days", Ratio("closed_days", "won + lost", 1000000))
	tally("velocity_opp_won_days", Ratio("won_days", "won", 1000000))
	// §2.4 conversion, flow and cohort.
	tally("conv_lead_mql", Ratio("mqls", "leads", 1000000))
	tally("conv_mql_sql", Ratio("sqls", "mqls", 1000000))
	tally("conv_sql_opp", Ratio("opps_created", "sqls", 1000000))
	tally("conv_opp_won", Ratio("won", "opps_created", 1000000))
	tally("conv_lead_mql_cohort", Ratio("cohort_mql", "cohort", 1000000))
	tally("conv_mql_sql_cohort", Ratio("cohort_sql", "cohort_mql", 1000000))
	tally("conv_sql_opp_cohort", Ratio("cohort_opp", "cohort_sql", 1000000))
	tally("conv_opp_won_cohort", Ratio("cohort_won", "cohort_opp", 1000000))
	// §2.5 velocity.
	tally("velocity_mql_sql_days", Mean("mql_sql_us", "mql_sql_n", dayMicros))
	tally("velocity_sql_opp_days", Mean("sql_opp_us", "sql_opp_n", dayMicros))
	// §2.7 marketing-sourced.
	tally("mktg_sourced_pipeline", Amount("src_pipeline"))
	tally("mktg_sourced_bookings", Amount("src_bookings"))
	tally("mktg_sourced_opps", Count("src_opps"))
	// §2.9 lead response.
	tally("lead_sla_compliance", Ratio("sla_met", "sla_due", 1000000))
	register("lead_response_hours_median", func(q *Q) string {
		return fmt.Sprintf(`SELECT dimension, key, '' AS model,
			rdiv(CAST(mid2 AS HUGEINT) * 1000000, 2 * %[1]d) AS value, rdiv(CAST(mid2 AS HUGEINT) * 1000000, 2 * %[1]d) AS num,
			CAST(n AS HUGEINT) * 1000000 AS den, TRUE AS defined
			FROM resp_med WHERE dimension IN %[2]s`, int64(hourMicros), q.Dims())
	})
	// §2.10 activity, §2.11 renewals.
	tally("meetings", Count("meetings"))
	tally("renewal_rate", Ratio("renew_won", "renew_up", 1000000))
	tally("nrr", Ratio("renew_won_cents + expansion_cents", "renew_up_cents", 10000))
	// §2.6 targets: the configured targets of the quarter (config, not
	// lake), against the tallies of their key.
	target := func(name, cols string) {
		register(name, func(q *Q) string {
			return "SELECT tg.dimension, tg.key, '' AS model, " + cols + " FROM (" + targetsSQL(q) + ") tg LEFT JOIN tl ON tl.dimension = tg.dimension AND tl.key = tg.key WHERE tg.dimension IN " + q.Dims()
		})
	}
	target("bookings_target", Amount("tg.b"))
	target("pipeline_target", Amount("tg.p"))
	target("bookings_attainment", Ratio("coalesce(tl.bookings, 0)", "tg.b", 10000))
	target("pipeline_attainment", Ratio("coalesce(tl.pipeline, 0)", "tg.p", 10000))
	target("pipeline_coverage", Ratio("coalesce(tl.open_pipeline, 0)", "greatest(tg.b - coalesce(tl.bookings, 0), 0)", 10000))
	// §2.8 influenced: each model's credit rows flagged for the KPI; org is
	// the attributed total, campaign and channel keys include unattributed.
	influenced := func(name, flag string) {
		register(name, func(q *Q) string {
			return `SELECT * FROM (
				SELECT 'org' AS dimension, 'all' AS key, model, ` + Amount("coalesce(sum(cents) FILTER (WHERE touch <> ''), 0)") + ` FROM cr WHERE ` + flag + ` GROUP BY model
				UNION ALL
				SELECT 'campaign', CASE WHEN touch = '' THEN 'unattributed' ELSE campaign END, model, ` + Amount("sum(cents)") + ` FROM cr WHERE ` + flag + ` GROUP BY 1, 2, 3
				UNION ALL
				SELECT 'channel', CASE WHEN touch = '' THEN 'unattributed' ELSE ` + kn("cmp.type") + ` END, model, ` + Amount("sum(cents)") + `
				FROM cr LEFT JOIN cmp ON cmp.id = cr.campaign WHERE ` + flag + ` GROUP BY 1, 2, 3
			) WHERE dimension IN ` + q.Dims()
		})
	}
	influenced("mktg_influenced_pipeline", "in_pipeline")
	influenced("mktg_influenced_bookings", "in_bookings")
}

// targetsSQL is the configured targets of the period's quarter: dimension,
// key, b and p (bookings and pipeline targets in cents).
func targetsSQL(q *Q) string {
	var rows []string
	for _, t := range q.Cfg.Targets {
		if t.Quarter != q.P.Quarter {
			continue
		}
		rows = append(rows, fmt.Sprintf("SELECT %s AS dimension, %s AS key, CAST(%d AS HUGEINT) AS b, CAST(%d AS HUGEINT) AS p",
			lit(t.Dimension), lit(t.Key), t.Bookings.Shift(2).IntPart(), t.Pipeline.Shift(2).IntPart()))
	}
	if len(rows) == 0 {
		return "SELECT '' AS dimension, '' AS key, CAST(0 AS HUGEINT) AS b, CAST(0 AS HUGEINT) AS p WHERE false"
	}
	return strings.Join(rows, " UNION ALL ")
}
