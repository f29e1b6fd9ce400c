package kpisql

import (
	"fmt"
	"slices"
	"strings"

	"github.com/venn-revops/venn/shared/kpi"
)

// Marketing cost and return (docs/kpis.md §2.13): each live campaign of a
// marketing type spends its ActualCost over its days (cost.spread), to the
// cent by the largest remainder, first over the quarters its days meet and,
// while the quarter is to date, its share over the days before and from
// the as-of day; leads, MQLs and customers go to the campaign of their
// lead-creation touch; the return divides the influenced figures of
// attribution.go by the spend.

// costKPIs are rendered by costRows; pipeline_per_spend and
// bookings_per_spend by influencedRows, with the attribution KPIs.
var costKPIs = []string{"marketing_spend", "campaigns_cost_unknown", "cost_per_lead", "cost_per_mql", "cac"}

func init() {
	// After attribution.go's CTEs (files initialise in name order): the
	// cost tables read at_camp, at_mem and at_sum.
	moreCTEs = append(moreCTEs, func(g *gen) []cte { return g.costCTEs() })
	registerGroup(costKPIs, func(g *gen) string { return g.costRows() })
}

// overlap is the number of days in both inclusive day ranges.
func overlap(a0, a1, b0, b1 string) string {
	return "greatest(0, least(" + a1 + ", " + b1 + ") - greatest(" + a0 + ", " + b0 + ") + 1)"
}

// quarterOf is the ordinal (year × 4 + quarter − 1) of a DATE's quarter.
func (g *gen) quarterOf(date string) string {
	return "(year(" + date + ") * 4 + " + g.d.IDiv("month("+date+") - 1", "3") + ")"
}

// quarterStart is the day number of the first day of quarter ordinal k:
// the DATE 'YYYY-MM-01' of its first month (four-digit years), which both
// engines parse alike.
func (g *gen) quarterStart(k string) string {
	return day("CAST(concat(CAST(" + g.d.IDiv(k, "4") + " AS VARCHAR), '-', lpad(CAST(3 * mod(" + k + ", 4) + 1 AS VARCHAR), 2, '0'), '-01') AS DATE)")
}

// costCTEs are the tables of the cost KPIs:
//
//	co_camp  the period's campaigns: live, of a marketing type, with
//	         spend days (first..last) meeting the period's days; cents is
//	         the spend in the period, NULL for an unknown cost
//	co_deal  the period's customers: new-business opportunities won with
//	         a close date in it
//	co_n     leads, MQLs and customers of the period by the campaign of
//	         the lead's lead-creation touch
//	co_key   the org, campaign and channel keys of the period's campaigns
//	         with their spend, campaign counts and counts
func (g *gen) costCTEs() []cte {
	cfg := g.cfg
	d := g.d
	q0 := g.start / dayMicros
	q1 := g.qEnd/dayMicros - 1
	wLast := floorDay(g.end - 1)
	k := g.p.Quarter.Start().Year()*4 + int(g.p.Quarter.Start().Month()-1)/3
	lastDate := "end_date" // the last spend day: EndDate, or StartDate under start_date
	if cfg.CostSpread == kpi.CostSpreadStart {
		lastDate = "start_date"
	}
	// The quarters' day weights, the cost split over them (a campaign's
	// days are its weights' sum), then the period quarter's share split
	// at the as-of day when the quarter is to date (ties to the days
	// before, Allocate's earlier index).
	days := `SELECT c.*, ` + overlap("first", "last", "d0", "d1") + ` AS w FROM (
	SELECT c.id, c.channel, c.cost, c.first, c.last, s.k, ` + g.quarterStart("s.k") + ` AS d0, ` + g.quarterStart("s.k + 1") + ` - 1 AS d1
	FROM (
		SELECT id, channel, CAST(actual_cost * 100 AS BIGINT) AS cost, first, last, ` + g.quarterOf("start_date") + ` AS k0, ` + g.quarterOf(lastDate) + ` AS k1
		FROM (SELECT c.*, ` + day("c.start_date") + ` AS first, ` + day("c."+lastDate) + ` AS last FROM at_camp c WHERE c.mkt) x
		WHERE first IS NOT NULL AND last IS NOT NULL AND last >= first AND ` + overlap("first", "last", fmt.Sprint(q0), fmt.Sprint(wLast)) + ` > 0
	) c CROSS JOIN UNNEST(` + d.Series("c.k0", "c.k1") + `) AS s(k)
) c`
	cw := d.big("abs(cost)") + " * " + d.big("w")
	split := `SELECT id, channel, cost, first, last, k, ` + d.FloorDiv(cw, d.big("last - first + 1")) + ` AS fl, ` + cw + ` % ` + d.big("last - first + 1") + ` AS r
FROM (` + days + `) q`
	share := `SELECT id, channel, cost, first, last, fl + CASE WHEN row_number() OVER (PARTITION BY id ORDER BY r DESC, k) <= abs(cost) - sum(fl) OVER (PARTITION BY id) THEN 1 ELSE 0 END AS s, k
FROM (` + split + `) f`
	// a and b: the days before and from the as-of day (a > 0: the
	// campaign meets the period's days).
	sa, sb, ab := d.big("s")+" * "+d.big("a"), d.big("s")+" * "+d.big("b"), d.big("a + b")
	parts := `SELECT y.*, ` + d.FloorDiv(sa, ab) + ` AS fa, ` + sa + ` % ` + ab + ` AS ra, ` + d.FloorDiv(sb, ab) + ` AS fb, ` + sb + ` % ` + ab + ` AS rb FROM (
	SELECT id, channel, cost, s, ` + overlap("first", "last", fmt.Sprint(q0), fmt.Sprint(wLast)) + ` AS a, ` + overlap("first", "last", fmt.Sprint(wLast+1), fmt.Sprint(q1)) + ` AS b
	FROM (` + share + `) h WHERE k = ` + fmt.Sprint(k) + `
) y`
	spend := `SELECT id, channel, CASE WHEN cost < 0 THEN -m ELSE m END AS cents FROM (
	SELECT id, channel, cost, CASE WHEN cost IS NULL THEN NULL WHEN b > 0 THEN fa + CASE WHEN s - fa - fb > 0 AND ra >= rb THEN 1 ELSE 0 END ELSE ` + d.big("s") + ` END AS m
	FROM (` + parts + `) z
) b`
	order := "m.tat, m.campaign_id"
	if cfg.LeadCreation.Pick == kpi.LCLast {
		order = "m.tat DESC, m.campaign_id DESC"
	}
	camp, ch := g.wants(kpi.DimCampaign), g.wants(kpi.DimChannel)
	keys := []string{`SELECT 'org' AS dimension, '` + kpi.KeyAll + `' AS key, count(cents) AS known, count(*) - count(cents) AS unknown, sum(` + d.big("cents") + `) AS spend,
	(SELECT count_if(c_lead) FROM lc) AS leads, (SELECT count_if(c_mql) FROM lc) AS mqls, (SELECT count(*) FROM co_deal) AS deals
FROM co_camp`}
	if camp {
		keys = append(keys, `SELECT 'campaign', c.id, count(c.cents), count(*) - count(c.cents), sum(`+d.big("c.cents")+`),
	coalesce(max(n.leads), 0), coalesce(max(n.mqls), 0), coalesce(max(n.deals), 0)
FROM co_camp c LEFT JOIN co_n n ON n.campaign = c.id GROUP BY c.id`)
	}
	if ch {
		keys = append(keys, `SELECT 'channel', c.channel, c.known, c.unknown, c.spend, coalesce(n.leads, 0), coalesce(n.mqls, 0), coalesce(n.deals, 0)
FROM (SELECT channel, count(cents) AS known, count(*) - count(cents) AS unknown, sum(`+d.big("cents")+`) AS spend FROM co_camp GROUP BY channel) c
LEFT JOIN (SELECT channel, sum(leads) AS leads, sum(mqls) AS mqls, sum(deals) AS deals FROM co_n GROUP BY channel) n ON n.channel = c.channel`)
	}
	return []cte{
		{"co_camp", spend},
		{"co_deal", `SELECT id FROM ost WHERE class = '` + kpi.ClassNewBusiness + `' AND won AND ` + g.inDay("close_day")},
		// The lead-creation touch of each lead the KPIs count: among its
		// touches at or before its creation + grace, the first (or last)
		// by (instant, campaign Id).
		{"co_n", `SELECT t.campaign, c.channel, count_if(t.c_lead) AS leads, count_if(t.c_mql) AS mqls, count_if(t.deal) AS deals
FROM (
	SELECT l.id, l.c_lead, l.c_mql, coalesce(l.id IN (
		SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY conv ORDER BY id) AS rn FROM ld WHERE conv IN (SELECT id FROM co_deal)) f WHERE rn = 1
	), false) AS deal, m.campaign_id AS campaign,
		row_number() OVER (PARTITION BY l.id ORDER BY ` + order + `) AS rn
	FROM lc l JOIN at_mem m ON m.lead_id = l.id
	WHERE m.tat <= l.created + ` + fmt.Sprint(cfg.LeadCreation.Grace.Microseconds()) + `
) t JOIN at_camp c ON c.id = t.campaign
WHERE t.rn = 1
GROUP BY t.campaign, c.channel`},
		{"co_key", strings.Join(keys, "\nUNION ALL\n")},
	}
}

// floorDay is the day number of a microsecond instant.
func floorDay(t int64) int64 {
	if t < 0 {
		return (t - dayMicros + 1) / dayMicros
	}
	return t / dayMicros
}

// spendDefined is whether a co_key row (alias k) has a spend: a known
// cost, and for a campaign no null one.
func spendDefined(k string) string {
	return "(" + k + ".known > 0 AND NOT (" + k + ".dimension = 'campaign' AND " + k + ".unknown > 0))"
}

// costRows renders the cost KPIs from co_key: spend (n/a without a known
// cost, or for a campaign whose cost is null), the count of unknown costs,
// spend ÷ leads, MQLs and customers to the cent (n/a without a spend or a
// count).
func (g *gen) costRows() string {
	d := g.d
	spendDefined := spendDefined("k")
	perKPI := map[string]measure{
		"marketing_spend":        {"CASE WHEN " + spendDefined + " THEN " + d.big("k.spend") + " * 10000 ELSE " + d.big("0") + " END", g.null(), g.null(), spendDefined},
		"campaigns_cost_unknown": g.count("k.unknown"),
	}
	for name, n := range map[string]string{"cost_per_lead": "k.leads", "cost_per_mql": "k.mqls", "cac": "k.deals"} {
		perKPI[name] = measure{
			"CASE WHEN " + spendDefined + " AND " + n + " <> 0 THEN " + d.RDiv(d.big("k.spend"), d.big(n)) + " * 10000 ELSE " + d.big("0") + " END",
			"CASE WHEN " + spendDefined + " THEN " + d.big("k.spend") + " * 10000 ELSE " + d.big("0") + " END",
			d.big(n) + " * 1000000",
			spendDefined + " AND " + n + " <> 0",
		}
	}
	var arms, campaignless []string
	col := func(f func(m measure) string) string {
		var b strings.Builder
		b.WriteString("CASE ck.kpi")
		for _, name := range costKPIs {
			b.WriteString(" WHEN " + lit(name) + " THEN " + f(perKPI[name]))
		}
		return b.String() + " END"
	}
	for _, name := range costKPIs {
		def, _ := kpi.Lookup(name)
		arms = append(arms, "("+lit(name)+")")
		if !slices.Contains(def.Dimensions, kpi.DimCampaign) {
			campaignless = append(campaignless, name)
		}
	}
	plain := `SELECT ck.kpi, k.dimension, k.key, '' AS model, ` + col(func(m measure) string { return m.value }) + ` AS value,
	` + col(func(m measure) string { return m.num }) + ` AS num, ` + col(func(m measure) string { return m.den }) + ` AS den,
	` + col(func(m measure) string { return m.defined }) + ` AS defined
FROM co_key k CROSS JOIN (VALUES ` + strings.Join(arms, ", ") + `) AS ck(kpi)
WHERE NOT (k.dimension = 'campaign' AND ck.kpi IN ` + list(campaignless) + `)`
	return plain
}

// influencedRows renders the attribution KPIs from at_sum and, per model,
// the influenced pipeline and bookings ÷ the spend of each co_key key
// (pipeline_per_spend, bookings_per_spend; undefined without a spend).
// One read of each: the sums full-joined to the keys' spend, every joined
// row taken once as a sum (kind 'sum') and once as a ratio (kind 'ratio').
func (g *gen) influencedRows() string {
	d := g.d
	r := g.ratio("coalesce(a.n, 0)", "CASE WHEN "+spendDefined("c")+" THEN c.spend ELSE 0 END", 10000)
	sum := func(x, whenRatio string) string {
		return "CASE WHEN x.kind = 'sum' THEN " + x + " ELSE " + whenRatio + " END"
	}
	return `SELECT ` + sum("a.kpi", "CASE c.src WHEN 'mktg_influenced_pipeline' THEN 'pipeline_per_spend' ELSE 'bookings_per_spend' END") + ` AS kpi,
	` + sum("a.dimension", "c.dimension") + ` AS dimension, ` + sum("a.key", "c.key") + ` AS key, ` + sum("a.model", "c.model") + ` AS model,
	` + sum(d.big("a.n")+" * CASE WHEN a.kpi IN ('opps_influenced', 'opps_first_touch') THEN 1000000 ELSE 10000 END", r.value) + ` AS value,
	` + sum(g.null(), r.num) + ` AS num, ` + sum(g.null(), r.den) + ` AS den, ` + sum("TRUE", r.defined) + ` AS defined
FROM (SELECT kpi, dimension, key, model, sum(n) AS n FROM at_sum GROUP BY kpi, dimension, key, model) a
FULL OUTER JOIN (
	SELECT k.dimension, k.key, k.known, k.unknown, k.spend, am.model, s.src
	FROM co_key k CROSS JOIN ` + g.modelsSQL() + ` CROSS JOIN (VALUES ('mktg_influenced_pipeline'), ('mktg_influenced_bookings')) AS s(src)
) c ON c.src = a.kpi AND c.dimension = a.dimension AND c.key = a.key AND c.model = a.model
CROSS JOIN (VALUES ('sum'), ('ratio')) AS x(kind)
WHERE (x.kind = 'sum' AND a.kpi IS NOT NULL) OR (x.kind = 'ratio' AND c.src IS NOT NULL)`
}
