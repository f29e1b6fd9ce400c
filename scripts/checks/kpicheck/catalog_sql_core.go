package kpicheck

import (
	"fmt"
	"strings"

	"github.com/venn-revops/venn/shared/kpi"
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
	// Lead to MQL (issue 12): over leads that became MQL in the period at or
	// after their creation.
	tally("velocity_lead_mql_days", Mean("lead_mql_us", "lead_mql_n", dayMicros))
	register("velocity_lead_mql_days_median", func(q *Q) string {
		return q.MedianOver("lc WHERE c_mql AND mql >= created", leadDimCols, "mql - created", dayMicros)
	})
	register("velocity_mql_sql_days_median", func(q *Q) string {
		return q.MedianOver("lc WHERE c_sql AND mql <= sql_at", leadDimCols, "sql_at - mql", dayMicros)
	})
	register("velocity_sql_opp_days_median", func(q *Q) string {
		return q.MedianOver("opf WHERE sql_opp_us IS NOT NULL", oppDimCols, "sql_opp_us", dayMicros)
	})
	// The hand-offs' 90th percentiles, over the same rows as the medians.
	register("velocity_lead_mql_days_p90", func(q *Q) string {
		return q.P90Over("lc WHERE c_mql AND mql >= created", leadDimCols, "mql - created", dayMicros)
	})
	register("velocity_mql_sql_days_p90", func(q *Q) string {
		return q.P90Over("lc WHERE c_sql AND mql <= sql_at", leadDimCols, "sql_at - mql", dayMicros)
	})
	register("velocity_sql_opp_days_p90", func(q *Q) string {
		return q.P90Over("opf WHERE sql_opp_us IS NOT NULL", oppDimCols, "sql_opp_us", dayMicros)
	})
	// §2.7 marketing-sourced.
	tally("mktg_sourced_pipeline", Amount("src_pipeline"))
	tally("mktg_sourced_bookings", Amount("src_bookings"))
	tally("mktg_sourced_opps", Count("src_opps"))
	// §2.9 lead response.
	tally("lead_sla_compliance", Ratio("sla_met", "sla_due", 1000000))
	tally("lead_response_hours_mean", Mean("resp_us", "resp_n", hourMicros))
	tally("leads_awaiting_response", Count("awaiting"))
	tally("leads_past_sla_unanswered", Count("past_sla"))
	register("lead_response_hours_median", func(q *Q) string {
		return q.MedianOver("rs WHERE resp IS NOT NULL", leadDimCols, "resp", hourMicros)
	})
	// §2.10 activity, §2.11 renewals.
	tally("meetings", Count("meetings"))
	// renewal_rate and nrr: catalog_sql_retention.go (their reading
	// depends on retention.source).
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
	// Deal counts per model over the opportunities created in the period
	// (zero amounts included): org, those with a touch the model's window
	// admits; by campaign (channel), those a touch of it reached
	// (opps_influenced) or whose first admitted touch is of it
	// (opps_first_touch); unattributed, those with none.
	deals := func(name, pick string) {
		register(name, func(q *Q) string {
			return `WITH pop AS (SELECT id, created FROM w WHERE created_in),
			ms AS (` + modelsSQL(q) + `),
			adm AS (
				SELECT ms.model, t.opp_id AS opp, t.campaign_id AS campaign, ` + kn("cmp.type") + ` AS channel,
					row_number() OVER (PARTITION BY ms.model, t.opp_id ORDER BY t.at, t.id) AS i
				FROM t JOIN pop ON pop.id = t.opp_id CROSS JOIN ms LEFT JOIN cmp ON cmp.id = t.campaign_id
				WHERE NOT ms.creation OR t.at <= pop.created
			),
			picked AS (SELECT * FROM adm WHERE ` + pick + `),
			none AS (SELECT ms.model, count(*) AS n FROM pop CROSS JOIN ms WHERE NOT EXISTS (SELECT 1 FROM adm WHERE adm.model = ms.model AND adm.opp = pop.id) GROUP BY ALL)
			SELECT * FROM (
				SELECT 'org' AS dimension, 'all' AS key, ms.model, ` + Count("(SELECT count(DISTINCT opp) FROM adm WHERE adm.model = ms.model)") + ` FROM ms
				UNION ALL SELECT 'campaign', campaign, model, ` + Count("count(DISTINCT opp)") + ` FROM picked GROUP BY 1, 2, 3
				UNION ALL SELECT 'channel', channel, model, ` + Count("count(DISTINCT opp)") + ` FROM picked GROUP BY 1, 2, 3
				UNION ALL SELECT 'campaign', 'unattributed', model, ` + Count("n") + ` FROM none
				UNION ALL SELECT 'channel', 'unattributed', model, ` + Count("n") + ` FROM none
			) WHERE dimension IN ` + q.Dims()
		})
	}
	deals("opps_influenced", "TRUE")
	deals("opps_first_touch", "i = 1")
}

// modelsSQL is the configured models: model, creation (its window ends at
// the opportunity's creation).
func modelsSQL(q *Q) string {
	var rows []string
	for _, m := range q.Cfg.Attribution {
		rows = append(rows, fmt.Sprintf("SELECT %s AS model, %v AS creation", lit(m.Name), m.Window == kpi.WindowOppCreation))
	}
	if len(rows) == 0 {
		return "SELECT '' AS model, false AS creation WHERE false"
	}
	return strings.Join(rows, " UNION ALL ")
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
