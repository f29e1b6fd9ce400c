package kpicheck

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/venn-revops/venn/shared/kpi"
)

// The shared temp tables of the catalog queries, on top of baseTables (o,
// w, lk, t). Keys of an empty dimension value read "(none)"; teams are the
// owner's User.team (docs/kpis.md §1, Dimensions).
//
//	usr   user Id → team
//	acct  live account Id → segment, region
//	ld    leads known at the as-of instant: created, conv (converted
//	      opportunity Id), lead_source, mql and sql_at (the stage instants
//	      known at the as-of instant, else NULL), k_* lead dimension keys
//	opf   opportunities of a class, known at the as-of instant, with the
//	      per-opportunity flags of the period (c_created, c_won, …) and
//	      k_* opportunity dimension keys
//	lc    ld with the lead's counts of the period (c_lead, c_mql, c_sql)
//	      and its cohort stages under funnel.cohort (c_cmql … c_cwon)
//	mq    the period's MQLs with the clock's start (start) and their first
//	      human response (first)
//	rs    mq with resp (first − start), met and due (the SLA)
//	cr    every model's credit rows (creditSQL): model, opp, touch
//	      ('' when unattributed), campaign, cents, in_pipeline, in_bookings
//	tl    the additive tallies by (dimension, key), every column summed
//	      over the rows of the key: see tallyColumns
//
// k_* columns: k_team, k_segment, k_region, k_owner, k_channel and (for
// opportunities) k_campaign.

// dimCol is a dimension and the column holding its key.
type dimCol struct{ dim, col string }

var (
	userDimCols = []dimCol{{"org", "'all'"}, {"team", "k_team"}, {"owner", "k_owner"}}
	leadDimCols = append(userDimCols[:3:3], dimCol{"segment", "k_segment"}, dimCol{"region", "k_region"}, dimCol{"channel", "k_channel"})
	oppDimCols  = append(leadDimCols[:6:6], dimCol{"campaign", "k_campaign"})
)

// fanOut aggregates the rows of from once per dimension key: one row per
// (dimension, key) with the aggregates aggs.
func fanOut(from string, dims []dimCol, aggs string) string {
	parts := make([]string, len(dims))
	for i, d := range dims {
		parts[i] = "SELECT '" + d.dim + "' AS dimension, " + d.col + " AS key, " + aggs + " FROM " + from + " GROUP BY 1, 2"
	}
	return strings.Join(parts, "\nUNION ALL ")
}

// fanOutRows repeats each row of from once per dimension key, with cols.
func fanOutRows(from string, dims []dimCol, cols string) string {
	parts := make([]string, len(dims))
	for i, d := range dims {
		parts[i] = "SELECT '" + d.dim + "' AS dimension, " + d.col + " AS key, " + cols + " FROM " + from
	}
	return strings.Join(parts, "\nUNION ALL ")
}

// noRows is a KPI query without rows (the KPI has none of the dimensions).
const noRows = "SELECT '' AS dimension, '' AS key, '' AS model, 0 AS value, 0 AS num, 0 AS den, false AS defined WHERE false"

// ownDims keeps the dimensions among dims that the KPI is computed for.
func (q *Q) ownDims(dims []dimCol) []dimCol {
	var ds []dimCol
	for _, d := range dims {
		if strings.Contains(q.Dims(), "'"+d.dim+"'") {
			ds = append(ds, d)
		}
	}
	return ds
}

// MedianOver is the median of x (microseconds) over the rows of from
// (a table, optionally with a WHERE), by dimension key of the KPI's
// dimensions among dims, in units of unitMicros rounded to six places: the
// middle value of an odd count, the mean of the two middle ones of an even
// count. The numerator is the median, the denominator the count.
func (q *Q) MedianOver(from string, dims []dimCol, x string, unitMicros int64) string {
	ds := q.ownDims(dims)
	if len(ds) == 0 {
		return noRows
	}
	return fmt.Sprintf(`WITH r AS (%[1]s),
		n AS (SELECT *, row_number() OVER (PARTITION BY dimension, key ORDER BY x) AS rn, count(*) OVER (PARTITION BY dimension, key) AS n FROM r),
		m AS (SELECT dimension, key, any_value(n) AS n,
			sum(CASE WHEN n %% 2 = 1 AND rn = (n + 1) // 2 THEN 2 * x WHEN n %% 2 = 0 AND (rn = n // 2 OR rn = n // 2 + 1) THEN x ELSE 0 END) AS mid2
			FROM n GROUP BY ALL)
		SELECT dimension, key, '' AS model, rdiv(CAST(mid2 AS HUGEINT) * 1000000, 2 * %[2]d) AS value,
			rdiv(CAST(mid2 AS HUGEINT) * 1000000, 2 * %[2]d) AS num, CAST(n AS HUGEINT) * 1000000 AS den, TRUE AS defined
		FROM m`, fanOutRows(from, ds, x+" AS x"), unitMicros)
}

// P90Over is the 90th percentile of x by nearest rank over the rows of
// from, by dimension key as MedianOver: the value whose rank in ascending
// order is ⌈0.9·n⌉ = (9n + 9) // 10, in units of unitMicros rounded to
// six places; numerator the percentile, denominator the count.
func (q *Q) P90Over(from string, dims []dimCol, x string, unitMicros int64) string {
	ds := q.ownDims(dims)
	if len(ds) == 0 {
		return noRows
	}
	return fmt.Sprintf(`WITH r AS (%[1]s),
		n AS (SELECT *, row_number() OVER (PARTITION BY dimension, key ORDER BY x) AS rn, count(*) OVER (PARTITION BY dimension, key) AS n FROM r)
		SELECT dimension, key, '' AS model, rdiv(CAST(x AS HUGEINT) * 1000000, %[2]d) AS value,
			rdiv(CAST(x AS HUGEINT) * 1000000, %[2]d) AS num, CAST(n AS HUGEINT) * 1000000 AS den, TRUE AS defined
		FROM n WHERE rn = (9 * n + 9) // 10`, fanOutRows(from, ds, x+" AS x"), unitMicros)
}

// kn is a dimension key: the value, or (none) when empty.
func kn(col string) string { return "coalesce(nullif(" + col + ", ''), '(none)')" }

// stageSQL is a lead's raw stage instant (docs/kpis.md §2.1): the
// configured date column, else its creation when its status is a stage
// status.
func stageSQL(dateField string, statuses []string) string {
	return "CASE WHEN " + dateField + " IS NOT NULL THEN epoch_us(" + dateField + ") WHEN status IN " + list(statuses) + " THEN epoch_us(created_date) END"
}

func catalogTables(q *Q) []string {
	cfg := q.Cfg
	asOf := fmt.Sprint(q.AsOf)
	cur := func(col string) string { return "CASE WHEN " + col + " < " + asOf + " THEN " + col + " END" }
	r := cfg.Response
	clock := "ld.mql"
	if r.ClockStart == kpi.ClockLeadCreated {
		clock = "ld.created"
	}
	responder := "owner_id"
	if r.Responder == kpi.ResponderCreatedBy {
		responder = "coalesce(nullif(created_by_id, ''), owner_id)"
	}
	excludeUsers, excludeProfiles := slices.Sorted(maps.Keys(r.ExcludeUsers)), slices.Sorted(maps.Keys(r.ExcludeProfiles))
	stmts := []string{
		// Integer division rounded half away from zero, and floor division.
		`CREATE OR REPLACE MACRO rdiv(a, b) AS CASE WHEN b = 0 THEN NULL ELSE sign(a) * sign(b) * ((2 * abs(a) + abs(b)) // (2 * abs(b))) END`,
		`CREATE OR REPLACE MACRO fdiv(a, b) AS CASE WHEN a >= 0 THEN a // b ELSE -((-a + b - 1) // b) END`,
		`CREATE OR REPLACE TEMP TABLE usr AS SELECT id, team FROM v_user`,
		`CREATE OR REPLACE TEMP TABLE acct AS SELECT id, segment, region FROM v_account WHERE NOT coalesce(is_deleted, false)`,
		`CREATE OR REPLACE TEMP TABLE cmp AS SELECT id, type FROM v_campaign WHERE NOT coalesce(is_deleted, false)`,
		`CREATE OR REPLACE TEMP TABLE ld AS
		WITH l AS (
			SELECT id, epoch_us(created_date) AS created, converted_opportunity_id AS conv, owner_id, segment, region, lead_source,
				` + stageSQL(cfg.MQL.DateField, cfg.MQL.Statuses) + ` AS mql_raw,
				` + stageSQL(cfg.SQL.DateField, cfg.SQL.Statuses) + ` AS sql_raw
			FROM v_lead WHERE NOT coalesce(is_deleted, false) AND epoch_us(created_date) < ` + asOf + `
		)
		SELECT l.id, l.created, l.conv, l.lead_source, ` + cur("mql_raw") + ` AS mql, ` + cur("sql_raw") + ` AS sql_at,
			` + kn("u.team") + ` AS k_team, ` + kn("l.owner_id") + ` AS k_owner, ` + kn("l.segment") + ` AS k_segment,
			` + kn("l.region") + ` AS k_region, ` + kn("l.lead_source") + ` AS k_channel
		FROM l LEFT JOIN usr u ON u.id = l.owner_id`,
		`CREATE OR REPLACE TEMP TABLE opf AS
		WITH l1 AS (
			SELECT conv, sql_at, lead_source FROM ld WHERE conv IN (SELECT id FROM o)
			QUALIFY row_number() OVER (PARTITION BY conv ORDER BY id) = 1
		), ren AS (
			SELECT DISTINCT account_id FROM o WHERE class = 'renewal' AND ` + q.InDay("close_day") + `
		), x AS (
			SELECT o.*, l1.sql_at AS lead_sql,
				` + kn("u.team") + ` AS k_team, ` + kn("o.owner_id") + ` AS k_owner, ` + kn("a.segment") + ` AS k_segment,
				` + kn("a.region") + ` AS k_region, ` + kn("o.lead_source") + ` AS k_channel, ` + kn("o.campaign_id") + ` AS k_campaign,
				o.class IN ` + list(cfg.FunnelClasses) + ` AS fun,
				coalesce(coalesce(nullif(o.lead_source, ''), l1.lead_source) IN ` + list(cfg.MarketingLeadSources) + `, false) AS sourced,
				o.account_id IN (SELECT account_id FROM ren) AS renewal_account
			FROM o LEFT JOIN usr u ON u.id = o.owner_id LEFT JOIN acct a ON a.id = o.account_id LEFT JOIN l1 ON l1.conv = o.id
			WHERE o.class IS NOT NULL
		)
		SELECT *,
			fun AND ` + q.In("created") + ` AS c_created,
			fun AND closed AND ` + q.InDay("close_day") + ` AS c_closed,
			fun AND closed AND won AND ` + q.InDay("close_day") + ` AS c_won,
			fun AND closed AND NOT won AND ` + q.InDay("close_day") + ` AS c_lost,
			fun AND NOT closed AND close_day * 86400000000 >= ` + fmt.Sprint(q.Start) + ` AND close_day * 86400000000 < ` + fmt.Sprint(q.QEnd) + ` AS c_open,
			CASE WHEN fun AND ` + q.In("created") + ` AND lead_sql <= created THEN created - lead_sql END AS sql_opp_us,
			close_day - fdiv(created, 86400000000) AS days,
			class = 'renewal' AND ` + q.InDay("close_day") + ` AS c_renew,
			class = 'expansion' AND won AND ` + q.InDay("close_day") + ` AND coalesce(renewal_account, false) AS c_exp
		FROM x`,
		// The period's MQLs and their first human response (lead_response):
		// a live task on the lead of a response type, made at or after the
		// clock's start and before the as-of instant by a responder (the
		// creator, else the owner) who is a person: not blank, not a queue
		// (00G), not excluded by Id, profile or user type. A lead owned by a
		// queue has nobody to answer it and waits.
		`CREATE OR REPLACE TEMP TABLE mq AS
		WITH lead AS (
			SELECT ld.*, ` + clock + ` AS start, starts_with(ld.k_owner, '00G') AS queued
			FROM ld WHERE ld.mql IS NOT NULL AND ` + q.In("ld.mql") + `
		), task AS (
			SELECT who_id, epoch_us(created_date) AS at, ` + responder + ` AS who
			FROM v_task WHERE NOT coalesce(is_deleted, false) AND type IN ` + list(r.TaskTypes) + ` AND epoch_us(created_date) < ` + asOf + `
				AND who_id IN (SELECT id FROM lead WHERE NOT queued)
		), human AS (
			SELECT task.* FROM task LEFT JOIN v_user u ON u.id = task.who
			WHERE coalesce(task.who, '') <> '' AND NOT starts_with(task.who, '00G') AND NOT coalesce(task.who IN ` + list(excludeUsers) + `, false)
				AND NOT coalesce(u.profile_id IN ` + list(excludeProfiles) + `, false) AND NOT coalesce(u.user_type IN ` + list(r.ExcludeUserTypes) + `, false)
		), answered AS (
			-- An equality join, then the inequality as a filter: DuckDB
			-- plans a LEFT JOIN with the inequality in its condition as
			-- a range join, minutes at 1M leads.
			SELECT lead.id, min(human.at) AS first
			FROM lead JOIN human ON human.who_id = lead.id
			WHERE NOT lead.queued AND human.at >= lead.start
			GROUP BY lead.id
		)
		SELECT lead.id, lead.mql, lead.start, lead.k_team, lead.k_owner, lead.k_segment, lead.k_region, lead.k_channel, answered.first
		FROM lead LEFT JOIN answered ON answered.id = lead.id`,
		`CREATE OR REPLACE TEMP TABLE cr AS ` + creditTable(q),
	}
	return append(stmts, tallyTables(q)...)
}

// creditTable is every model's credit rows in one table.
func creditTable(q *Q) string {
	parts := make([]string, len(q.Cfg.Attribution))
	for i, m := range q.Cfg.Attribution {
		parts[i] = "SELECT " + lit(m.Name) + " AS model, * FROM (" + creditSQL(q.Cfg, m) + ") AS x(opp, touch, campaign, cents, in_pipeline, in_bookings)"
	}
	if len(parts) == 0 {
		return "SELECT '' AS model, '' AS opp, '' AS touch, '' AS campaign, 0 AS cents, false AS in_pipeline, false AS in_bookings WHERE false"
	}
	return strings.Join(parts, "\nUNION ALL ")
}

// tallyTables build tl: the additive counters of leads, opportunities,
// lead response and meetings by dimension key.
func tallyTables(q *Q) []string {
	cfg := q.Cfg
	asOf := fmt.Sprint(q.AsOf)
	sla := fmt.Sprint(int64(cfg.Response.SLAHours) * hourMicros)
	in := q.In
	// Under funnel.cohort nested a lead counts at a stage only after every
	// earlier one; non_nested counts a stage reached when a later one was
	// (a converted lead reached SQL and MQL).
	cmql, csql, copp := "mql IS NOT NULL", "mql IS NOT NULL AND sql_at IS NOT NULL", "mql IS NOT NULL AND sql_at IS NOT NULL AND conv_known"
	if cfg.Cohort != kpi.CohortNested {
		cmql, csql, copp = "(mql IS NOT NULL OR sql_at IS NOT NULL OR conv_known)", "(sql_at IS NOT NULL OR conv_known)", "conv_known"
	}
	leads := `CREATE OR REPLACE TEMP TABLE lc AS SELECT *,
			c_lead AND ` + cmql + ` AS c_cmql, c_lead AND ` + csql + ` AS c_csql,
			c_lead AND ` + copp + ` AS c_copp, c_lead AND ` + copp + ` AND conv_won AS c_cwon
		FROM (SELECT ld.*,
			` + in("ld.created") + ` AS c_lead,
			ld.mql IS NOT NULL AND ` + in("ld.mql") + ` AS c_mql,
			ld.sql_at IS NOT NULL AND ` + in("ld.sql_at") + ` AS c_sql,
			o.id IS NOT NULL AS conv_known, coalesce(o.won, false) AS conv_won
		FROM ld LEFT JOIN o ON o.id = ld.conv)`
	opps := "opf"
	// A deadline passes when the as-of instant is after it.
	resp := `CREATE OR REPLACE TEMP TABLE rs AS SELECT *, first - start AS resp,
			first IS NOT NULL AND first <= start + ` + sla + ` AS met,
			first IS NOT NULL OR start + ` + sla + ` < ` + asOf + ` AS due
		FROM mq`
	meetings := `(SELECT ` + kn("u.team") + ` AS k_team, ` + kn("k.owner_id") + ` AS k_owner
		FROM v_task k LEFT JOIN usr u ON u.id = k.owner_id
		WHERE NOT coalesce(k.is_deleted, false) AND k.type IN ` + list(cfg.MeetingTaskTypes) + ` AND epoch_us(k.created_date) < ` + asOf + `
			AND ` + q.InDay("coalesce(datediff('day', DATE '1970-01-01', k.activity_date), fdiv(epoch_us(k.created_date), 86400000000))") + `)`
	return []string{
		leads, resp,
		`CREATE OR REPLACE TEMP TABLE lead_t AS ` + fanOut("lc", leadDimCols, `
			count_if(c_lead) AS leads, count_if(c_mql) AS mqls, count_if(c_sql) AS sqls,
			coalesce(sum(sql_at - mql) FILTER (WHERE c_sql AND mql <= sql_at), 0) AS mql_sql_us,
			count_if(c_sql AND mql <= sql_at) AS mql_sql_n,
			coalesce(sum(mql - created) FILTER (WHERE c_mql AND mql >= created), 0) AS lead_mql_us,
			count_if(c_mql AND mql >= created) AS lead_mql_n,
			count_if(c_lead) AS cohort, count_if(c_cmql) AS cohort_mql, count_if(c_csql) AS cohort_sql,
			count_if(c_copp) AS cohort_opp, count_if(c_cwon) AS cohort_won`),
		`CREATE OR REPLACE TEMP TABLE opp_t AS ` + fanOut(opps, oppDimCols, `
			count_if(c_created) AS opps_created, coalesce(sum(cents) FILTER (WHERE c_created), 0) AS pipeline,
			count_if(c_created AND sourced) AS src_opps, coalesce(sum(cents) FILTER (WHERE c_created AND sourced), 0) AS src_pipeline,
			coalesce(sum(sql_opp_us), 0) AS sql_opp_us, count(sql_opp_us) AS sql_opp_n,
			count_if(c_won) AS won, count_if(c_lost) AS lost,
			coalesce(sum(cents) FILTER (WHERE c_won), 0) AS bookings, coalesce(sum(cents) FILTER (WHERE c_won AND sourced), 0) AS src_bookings,
			coalesce(sum(days) FILTER (WHERE c_won), 0) AS won_days, coalesce(sum(days) FILTER (WHERE c_closed), 0) AS closed_days,
			coalesce(sum(cents) FILTER (WHERE c_open), 0) AS open_pipeline,
			count_if(c_renew) AS renew_up, count_if(c_renew AND won) AS renew_won,
			coalesce(sum(cents) FILTER (WHERE c_renew), 0) AS renew_up_cents, coalesce(sum(cents) FILTER (WHERE c_renew AND won), 0) AS renew_won_cents,
			coalesce(sum(cents) FILTER (WHERE c_exp), 0) AS expansion_cents`),
		`CREATE OR REPLACE TEMP TABLE resp_t AS ` + fanOut("rs", leadDimCols, `
			count_if(due) AS sla_due, count_if(met) AS sla_met,
			coalesce(sum(resp), 0) AS resp_us, count(resp) AS resp_n,
			count_if(first IS NULL) AS awaiting, count_if(first IS NULL AND due) AS past_sla`),
		`CREATE OR REPLACE TEMP TABLE meet_t AS ` + fanOut(meetings, userDimCols, `count(*) AS meetings`),
		`CREATE OR REPLACE TEMP TABLE tl AS
		SELECT dimension, key, coalesce(sum(COLUMNS(* EXCLUDE (dimension, key))), 0)
		FROM (SELECT * FROM lead_t UNION ALL BY NAME SELECT * FROM opp_t UNION ALL BY NAME SELECT * FROM resp_t UNION ALL BY NAME SELECT * FROM meet_t)
		GROUP BY ALL`,
	}
}
