package kpicheck

import (
	"fmt"
	"strings"

	"github.com/venn-revops/venn/shared/kpi"
)

// SQL of the cost KPIs and the marketing targets (docs/kpis.md §2.13),
// written from the docs:
//
//	csp  the marketing campaigns (live, of a marketing type, with the
//	     dates cost.spread needs) whose spend days meet the period: id,
//	     channel, cost (cents, NULL unknown), spend (cents in the period:
//	     largest remainder over the quarters by days, ties to the earlier
//	     quarter, then, to date, over the quarter's days up to the as-of
//	     day and after, ties to the days to date)
//	cld  the period's leads, MQLs and customers' converted leads (ld), with
//	     the campaign and channel of the lead-creation touch, if any
//	cky  spend and counts by dimension key (org, campaign, channel)
func init() {
	registerTable("csp", costSpendSQL)
	registerTable("cld", costLeadsSQL)
	registerTable("cky", costKeysSQL)
	keys := func(cols string) func(q *Q) string {
		return func(q *Q) string {
			return "SELECT dimension, key, '' AS model, " + cols + " FROM cky WHERE dimension IN " + q.Dims()
		}
	}
	register("marketing_spend", keys("CASE WHEN known THEN CAST(spend AS HUGEINT) * 10000 ELSE 0 END AS value, NULL AS num, NULL AS den, known AS defined"))
	register("campaigns_cost_unknown", keys(Count("unknown")))
	per := func(n string) string {
		return fmt.Sprintf(`CASE WHEN known AND %[1]s <> 0 THEN rdiv(CAST(spend AS HUGEINT), %[1]s) * 10000 ELSE 0 END AS value,
			CASE WHEN known THEN CAST(spend AS HUGEINT) * 10000 ELSE 0 END AS num, CAST(%[1]s AS HUGEINT) * 1000000 AS den,
			known AND %[1]s <> 0 AS defined`, n)
	}
	register("cost_per_lead", keys(per("leads")))
	register("cost_per_mql", keys(per("mqls")))
	register("cac", keys(per("deals")))
	perSpend := func(flag string) func(q *Q) string {
		return func(q *Q) string {
			return `WITH ms AS (` + modelsSQL(q) + `),
			inf AS (
				SELECT 'org' AS dimension, 'all' AS key, model, sum(cents) AS c FROM cr WHERE ` + flag + ` AND touch <> '' GROUP BY ALL
				UNION ALL SELECT 'campaign', campaign, model, sum(cents) FROM cr WHERE ` + flag + ` AND touch <> '' GROUP BY ALL
				UNION ALL SELECT 'channel', ` + kn("cmp.type") + `, model, sum(cr.cents) FROM cr LEFT JOIN cmp ON cmp.id = cr.campaign WHERE ` + flag + ` AND touch <> '' GROUP BY ALL
			)
			SELECT k.dimension, k.key, ms.model,
				CASE WHEN k.known AND k.spend <> 0 THEN rdiv(CAST(coalesce(inf.c, 0) AS HUGEINT) * 1000000, CAST(k.spend AS HUGEINT)) ELSE 0 END AS value,
				CAST(coalesce(inf.c, 0) AS HUGEINT) * 10000 AS num,
				CASE WHEN k.known THEN CAST(k.spend AS HUGEINT) * 10000 ELSE 0 END AS den,
				k.known AND k.spend <> 0 AS defined
			FROM cky k CROSS JOIN ms LEFT JOIN inf ON inf.dimension = k.dimension AND inf.key = k.key AND inf.model = ms.model
			WHERE k.dimension IN ` + q.Dims()
		}
	}
	register("pipeline_per_spend", perSpend("in_pipeline"))
	register("bookings_per_spend", perSpend("in_bookings"))
	// Marketing targets: a target the row leaves out is undefined, its
	// attainment actual ÷ nothing (undefined).
	mt := func(cols string) func(q *Q) string {
		return func(q *Q) string {
			return "SELECT tg.dimension, tg.key, '' AS model, " + cols + " FROM (" + marketingTargetsSQL(q) + ") tg LEFT JOIN tl ON tl.dimension = tg.dimension AND tl.key = tg.key WHERE tg.dimension IN " + q.Dims()
		}
	}
	target := func(col string, scale int) string {
		return fmt.Sprintf("CAST(coalesce(tg.%[1]s, 0) AS HUGEINT) * %[2]d AS value, NULL AS num, NULL AS den, tg.%[1]s IS NOT NULL AS defined", col, scale)
	}
	register("mqls_target", mt(target("m", 1000000)))
	register("mqls_attainment", mt(Ratio("coalesce(tl.mqls, 0)", "coalesce(tg.m, 0)", 1000000)))
	register("sourced_pipeline_target", mt(target("sp", 10000)))
	register("sourced_pipeline_attainment", mt(Ratio("coalesce(tl.src_pipeline, 0)", "coalesce(tg.sp, 0)", 10000)))
	register("sourced_bookings_target", mt(target("sb", 10000)))
	register("sourced_bookings_attainment", mt(Ratio("coalesce(tl.src_bookings, 0)", "coalesce(tg.sb, 0)", 10000)))
}

// costSpendSQL is csp.
func costSpendSQL(q *Q) string {
	wFirst, wLast := q.Start/dayMicros, (q.End-1)/dayMicros
	end := "end_date"
	if q.Cfg.CostSpread == kpi.CostSpreadStart {
		end = "start_date"
	}
	qs := q.P.Quarter.Start().Format("2006-01-02")
	return fmt.Sprintf(`WITH c AS (
			SELECT id, %[1]s AS channel, actual_cost IS NULL AS unknown,
				CAST(round(abs(coalesce(actual_cost, 0)) * 100) AS HUGEINT) AS mag, CASE WHEN actual_cost < 0 THEN -1 ELSE 1 END AS sgn,
				start_date AS sd, %[2]s AS ed, datediff('day', DATE '1970-01-01', start_date) AS f, datediff('day', DATE '1970-01-01', %[2]s) AS l
			FROM v_campaign
			WHERE NOT coalesce(is_deleted, false) AND (%[3]v OR type IN %[4]s) AND start_date IS NOT NULL AND %[2]s IS NOT NULL AND %[2]s >= start_date
		), s AS (
			SELECT * FROM c WHERE least(l, %[5]d) - greatest(f, %[6]d) + 1 > 0
		), qd AS (
			SELECT s.id, g.qs, datediff('day', greatest(s.sd, CAST(g.qs AS DATE)), least(s.ed, CAST(g.qs + INTERVAL 3 MONTH - INTERVAL 1 DAY AS DATE))) + 1 AS days,
				s.l - s.f + 1 AS total, s.mag
			FROM s, (SELECT unnest(generate_series(date_trunc('quarter', s.sd), date_trunc('quarter', s.ed), INTERVAL 3 MONTH)) AS qs) g
			WHERE NOT s.unknown
		), qa AS (
			SELECT id, qs, (mag * days) // total AS fl, (mag * days) %% total AS rem,
				mag - sum((mag * days) // total) OVER (PARTITION BY id) AS left_over,
				row_number() OVER (PARTITION BY id ORDER BY (mag * days) %% total DESC, qs) AS rk
			FROM qd
		), qshare AS (
			SELECT id, fl + CASE WHEN rk <= left_over THEN 1 ELSE 0 END AS share FROM qa WHERE CAST(qs AS DATE) = DATE '%[7]s'
		), td AS (
			SELECT s.id, s.sgn, qshare.share,
				greatest(0, least(s.l, %[5]d) - greatest(s.f, %[8]d) + 1) AS a,
				greatest(0, least(s.l, %[9]d) - greatest(s.f, %[5]d + 1) + 1) AS b
			FROM s JOIN qshare ON qshare.id = s.id
		)
		SELECT s.id, s.channel, s.unknown,
			CASE WHEN s.unknown THEN NULL
				WHEN td.b = 0 THEN s.sgn * td.share
				ELSE s.sgn * ((td.share * td.a) // (td.a + td.b)
					+ CASE WHEN td.share - (td.share * td.a) // (td.a + td.b) - (td.share * td.b) // (td.a + td.b) > 0
						AND (td.share * td.a) %% (td.a + td.b) >= (td.share * td.b) %% (td.a + td.b) THEN 1 ELSE 0 END)
			END AS spend
		FROM s LEFT JOIN td ON td.id = s.id`,
		kn("type"), end, len(q.Cfg.MarketingCampaignTypes) == 0, list(q.Cfg.MarketingCampaignTypes),
		wLast, wFirst, qs, q.P.Quarter.Start().UnixMicro()/dayMicros, q.P.Quarter.End().UnixMicro()/dayMicros-1)
}

// costLeadsSQL is cld: each lead of ld created in the period (c_lead),
// marketing-qualified in it (c_mql) or converted (the smallest lead Id of
// its opportunity) into a new-business opportunity won in it (c_deal),
// with its lead-creation touch: of its responded (when configured)
// members of live marketing campaigns, touched before the as-of instant,
// the first (pick first) or last (pick last) at or before CreatedDate +
// grace, by (instant, campaign Id).
func costLeadsSQL(q *Q) string {
	cfg := q.Cfg
	dir := "ASC"
	if cfg.LeadCreation.Pick == kpi.LCLast {
		dir = "DESC"
	}
	return `WITH deal AS (
			SELECT min(ld.id) AS lead FROM o JOIN ld ON ld.conv = o.id
			WHERE o.class = 'new_business' AND o.won AND ` + q.InDay("o.close_day") + ` GROUP BY o.id
		), pop AS (
			SELECT ld.id, ld.created, ` + q.In("ld.created") + ` AS c_lead, coalesce(` + q.In("ld.mql") + `, false) AS c_mql,
				ld.id IN (SELECT lead FROM deal) AS c_deal
			FROM ld
		), m AS (
			SELECT m.lead_id, m.campaign_id, ` + touchAt(cfg) + ` AS at
			FROM v_campaignmember m JOIN cmp c ON c.id = m.campaign_id
			WHERE (` + fmt.Sprint(!cfg.RespondedOnly) + ` OR coalesce(m.has_responded, false))
				AND (` + fmt.Sprint(len(cfg.MarketingCampaignTypes) == 0) + ` OR c.type IN ` + list(cfg.MarketingCampaignTypes) + `)
				AND ` + touchAt(cfg) + ` < ` + fmt.Sprint(q.AsOf) + `
		), lc AS (
			SELECT pop.id, m.campaign_id
			FROM pop JOIN m ON m.lead_id = pop.id AND m.at <= pop.created + ` + fmt.Sprint(cfg.LeadCreation.Grace.Microseconds()) + `
			WHERE pop.c_lead OR pop.c_mql OR pop.c_deal
			QUALIFY row_number() OVER (PARTITION BY pop.id ORDER BY m.at ` + dir + `, m.campaign_id ` + dir + `) = 1
		)
		SELECT pop.*, lc.campaign_id AS camp, CASE WHEN lc.campaign_id IS NOT NULL THEN ` + kn("cmp.type") + ` END AS channel
		FROM pop LEFT JOIN lc ON lc.id = pop.id LEFT JOIN cmp ON cmp.id = lc.campaign_id
		WHERE pop.c_lead OR pop.c_mql OR pop.c_deal`
}

// costKeysSQL is cky: by key, whether some campaign has a known cost
// (known; a campaign key: its own cost is known), the spend of the known
// costs, the unknown ones, and the leads, MQLs and customers (org: all;
// campaign, channel: by lead-creation touch). Only keys with a campaign
// in the period, and the org, have a row.
func costKeysSQL(q *Q) string {
	deals := "(SELECT count(*) FROM o WHERE class = 'new_business' AND won AND " + q.InDay("close_day") + ")"
	parts := []string{
		`SELECT 'org' AS dimension, 'all' AS key, count(csp.id) FILTER (WHERE NOT csp.unknown) > 0 AS known,
			coalesce(sum(csp.spend), 0) AS spend, count(csp.id) FILTER (WHERE csp.unknown) AS unknown,
			coalesce((SELECT count_if(c_lead) FROM cld), 0) AS leads, coalesce((SELECT count_if(c_mql) FROM cld), 0) AS mqls, ` + deals + ` AS deals
		FROM (SELECT 1) LEFT JOIN csp ON TRUE`,
	}
	for _, d := range []struct{ dim, col string }{{"campaign", "id"}, {"channel", "channel"}} {
		lc := "camp"
		if d.dim == "channel" {
			lc = "channel"
		}
		known := "count(*) FILTER (WHERE NOT unknown) > 0"
		if d.dim == "campaign" {
			known = "bool_and(NOT unknown)"
		}
		parts = append(parts, fmt.Sprintf(`SELECT '%[1]s', k.key, k.known, k.spend, k.unknown,
			coalesce(count_if(cld.c_lead), 0), coalesce(count_if(cld.c_mql), 0), coalesce(count_if(cld.c_deal), 0)
		FROM (SELECT %[2]s AS key, %[3]s AS known, coalesce(sum(spend), 0) AS spend, count(*) FILTER (WHERE unknown) AS unknown FROM csp GROUP BY 1) k
			LEFT JOIN cld ON cld.%[4]s = k.key
		GROUP BY ALL`, d.dim, d.col, known, lc))
	}
	return strings.Join(parts, "\nUNION ALL ")
}

// marketingTargetsSQL is the configured targets of the period's quarter
// with their marketing targets: dimension, key, m (MQLs), sp and sb
// (sourced pipeline and bookings, cents); NULL when the row sets none.
func marketingTargetsSQL(q *Q) string {
	var rows []string
	for _, t := range q.Cfg.Targets {
		if t.Quarter != q.P.Quarter {
			continue
		}
		m, sp, sb := "NULL", "NULL", "NULL"
		if t.MQLs != nil {
			m = t.MQLs.String()
		}
		if t.SourcedPipeline != nil {
			sp = t.SourcedPipeline.Shift(2).String()
		}
		if t.SourcedBookings != nil {
			sb = t.SourcedBookings.Shift(2).String()
		}
		rows = append(rows, fmt.Sprintf("SELECT %s AS dimension, %s AS key, CAST(%s AS HUGEINT) AS m, CAST(%s AS HUGEINT) AS sp, CAST(%s AS HUGEINT) AS sb",
			lit(t.Dimension), lit(t.Key), m, sp, sb))
	}
	if len(rows) == 0 {
		return "SELECT '' AS dimension, '' AS key, CAST(0 AS HUGEINT) AS m, CAST(0 AS HUGEINT) AS sp, CAST(0 AS HUGEINT) AS sb WHERE false"
	}
	return strings.Join(rows, " UNION ALL ")
}
