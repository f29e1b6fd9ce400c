package kpisql

import (
	"fmt"
	"slices"
	"strings"

	"github.com/venn-revops/venn/shared/kpi"
)

// Attribution (docs/kpis.md §3): every opportunity of the period's
// population has its amount split over the touches its model's window
// admits, to the cent, by every configured model; the influenced KPIs sum
// the shares by campaign and channel, and the deal counts count the
// opportunities a window reaches. The split is the engine's integer
// allocation in window functions: each touch's integer weight, the floor
// of amount × weight ÷ Σweights and its remainder in Int128, then the
// leftover cents by the configured rounding rule.

// The KPIs of the attribution pass, each with its code in at_sum.
var attributionKPIs = []string{"mktg_influenced_pipeline", "mktg_influenced_bookings", "opps_influenced", "opps_first_touch"}

func init() {
	moreCTEs = append(moreCTEs, func(g *gen) []cte { return g.attributionCTEs() })
	// With the return on spend (cost.go), which divides these sums: one
	// read of at_sum for both.
	registerGroup(append(slices.Clone(attributionKPIs), "pipeline_per_spend", "bookings_per_spend"), func(g *gen) string { return g.influencedRows() })
}

// touchAt is a member's touch instant in microseconds: the first non-null
// field of attribution.touch_time (a date is its midnight UTC); NULL when
// every listed field is.
func (g *gen) touchAt(alias string) string {
	var b strings.Builder
	b.WriteString("CASE")
	for _, f := range g.cfg.TouchTime {
		col := alias + "." + string(f)
		x := g.m(col)
		if f == kpi.TouchFirstResponded {
			x = day(col) + " * " + dayMicrosS
		}
		b.WriteString(" WHEN " + col + " IS NOT NULL THEN " + x)
	}
	return b.String() + " END"
}

// wants reports whether the configuration selects a dimension.
func (g *gen) wants(dim string) bool { return slices.Contains(g.cfg.Dimensions, dim) }

// attributionCTEs are the tables of the attribution pass:
//
//	at_camp  live campaigns: type, channel key, whether a marketing type,
//	         spend dates and cost (cost.go)
//	at_mem   members that are touches (responded when required, of a live
//	         marketing campaign), with their instant known at the as-of
//	at_opp   the population: funnel opportunities created in the period
//	         (inp) or won with a close date in it (inb), with amount and
//	         the first converted lead's creation
//	at_tch   each opportunity's touches (via its converted leads and its
//	         contacts' roles, each member once) inside lookback and close
//	         day, numbered by (instant, member Id)
//	at_w     each model's integer weight of each admitted touch
//	at_p     each touch's cents under each model (sw = 0: none split)
//	at_sum   the KPIs' sums: kpi, dimension, key, model, n (cents or
//	         opportunities)
func (g *gen) attributionCTEs() []cte {
	cfg := g.cfg
	mkt := "TRUE"
	if len(cfg.MarketingCampaignTypes) > 0 {
		mkt = "coalesce(type, '') IN " + list(cfg.MarketingCampaignTypes)
	}
	responded := ""
	if cfg.RespondedOnly {
		responded = "coalesce(m.has_responded, false) AND "
	}
	at := g.touchAt("m")
	lookback := fmt.Sprint(int64(cfg.LookbackDays) * dayMicros)
	return []cte{
		{"at_camp", `SELECT id, coalesce(type, '') AS type, ` + keyOf("type") + ` AS channel, ` + mkt + ` AS mkt, start_date, end_date, actual_cost
FROM ` + g.t["Campaign"] + ` WHERE ` + notDeleted},
		{"at_mem", `SELECT m.id, m.campaign_id, m.lead_id, m.contact_id, ` + at + ` AS tat
FROM ` + g.t["CampaignMember"] + ` m JOIN at_camp c ON c.id = m.campaign_id AND c.mkt
WHERE ` + responded + `(` + at + `) < ` + g.asOfS},
		{"at_opp", `SELECT o.id AS opp, o.created, o.closed, o.close_day, o.cents, o.c_created AS inp, o.c_won AS inb, l.created AS lead_created
FROM oppf o LEFT JOIN (
	SELECT conv, created, row_number() OVER (PARTITION BY conv ORDER BY id) AS rn FROM ld WHERE coalesce(conv, '') <> ''
) l ON l.conv = o.id AND l.rn = 1
WHERE o.c_created OR o.c_won`},
		{"at_tch", `SELECT a.opp, a.member, a.campaign, a.tat, a.tat <= o.created AS pre,
	row_number() OVER (PARTITION BY a.opp ORDER BY a.tat, a.member) - 1 AS idx
FROM (
	SELECT DISTINCT x.opp, x.member, x.campaign, x.tat FROM (
		SELECT l.conv AS opp, m.id AS member, m.campaign_id AS campaign, m.tat FROM at_mem m JOIN ld l ON l.id = m.lead_id
		UNION ALL
		SELECT r.opportunity_id, m.id, m.campaign_id, m.tat FROM at_mem m JOIN ` + g.t["OpportunityContactRole"] + ` r
			ON r.contact_id = m.contact_id AND NOT coalesce(r.is_deleted, false) AND coalesce(r.contact_id, '') <> ''
	) x
) a JOIN at_opp o ON o.opp = a.opp
WHERE a.tat >= o.created - ` + lookback + ` AND (NOT o.closed OR a.tat < (o.close_day + 1) * ` + dayMicrosS + `)`},
		{"at_w", g.weightsSQL()},
		{"at_p", g.splitSQL()},
		{"at_sum", g.attributionSums()},
	}
}

// modelsSQL is the configured models as rows (model, win).
func (g *gen) modelsSQL() string {
	var rows []string
	for _, m := range g.cfg.Attribution {
		rows = append(rows, "("+lit(m.Name)+", "+lit(string(m.Window))+")")
	}
	return "(VALUES " + strings.Join(rows, ", ") + ") AS am(model, win)"
}

// weightsSQL is at_w: model, opp, idx, member, campaign, tat, w (the
// touch's integer weight), mask (its position bits, positional models).
// Every model in one pass over at_tch (its touches fanned out to the
// models whose window admits them, windows by model and opportunity), so
// Athena, which inlines a CTE at every reference, reads the members once
// here rather than once per model.
func (g *gen) weightsSQL() string {
	var wCase, maskCase, poswCase, midCase []string
	for _, m := range g.cfg.Attribution {
		name := lit(m.Name)
		switch m.Name {
		case kpi.ModelEven:
			wCase = append(wCase, "WHEN "+name+" THEN CAST(1 AS BIGINT)")
		case kpi.ModelTimeDecay:
			wCase = append(wCase, "WHEN "+name+" THEN "+decayWeight(m.HalfLifeDays))
		default:
			mask, posw, mid := g.positions(&m)
			maskCase = append(maskCase, "WHEN "+name+" THEN "+mask)
			poswCase = append(poswCase, "WHEN "+name+" THEN "+posw)
			midCase = append(midCase, "WHEN "+name+" THEN "+mid)
			mw := m.Weights[kpi.PosMiddle].Shift(9).IntPart()
			wCase = append(wCase, fmt.Sprintf("WHEN %s THEN CASE WHEN mid THEN %d ELSE posw * greatest(sum(CASE WHEN mid THEN 1 ELSE 0 END) OVER (PARTITION BY model, opp), 1) END", name, mw))
		}
	}
	orZero := func(whens []string, zero string) string {
		if len(whens) == 0 {
			return zero
		}
		return "CASE model " + strings.Join(whens, " ") + " ELSE " + zero + " END"
	}
	lcPos := "0"
	if g.cfg.LeadCreation.Pick == kpi.LCLast {
		lcPos = "nlc - 1"
	}
	lcEnd := fmt.Sprintf("o.lead_created + %d", g.cfg.LeadCreation.Grace.Microseconds())
	return `SELECT model, opp, idx, member, campaign, tat, CASE model ` + strings.Join(wCase, "\n\t") + ` END AS w,
	CASE WHEN mid THEN 16 ELSE mask END AS mask
FROM (
	SELECT p.*, ` + orZero(midCase, "FALSE") + ` AS mid FROM (
		SELECT c.*, ` + orZero(maskCase, "0") + ` AS mask, CAST(` + orZero(poswCase, "0") + ` AS BIGINT) AS posw FROM (
			SELECT n.*, CASE WHEN nlc > 0 THEN ` + lcPos + ` ELSE -1 END AS p_lc, CASE WHEN win = '` + string(kpi.WindowClose) + `' THEN n - 1 ELSE -1 END AS p_cw FROM (
				SELECT t.*, am.model, am.win, count(*) OVER (PARTITION BY am.model, t.opp) AS n,
					sum(CASE WHEN t.pre THEN 1 ELSE 0 END) OVER (PARTITION BY am.model, t.opp) AS noc,
					sum(CASE WHEN o.lead_created IS NOT NULL AND t.tat <= ` + lcEnd + ` THEN 1 ELSE 0 END) OVER (PARTITION BY am.model, t.opp) AS nlc,
					max(t.tat) OVER (PARTITION BY am.model, t.opp) AS last
				FROM at_tch t JOIN at_opp o ON o.opp = t.opp CROSS JOIN ` + g.modelsSQL() + `
				WHERE am.win = '` + string(kpi.WindowClose) + `' OR t.pre
			) n
		) c
	) p
) q`
}

// decayWeight weights a touch 2^(−Δ/half-life) in units of 2⁻⁴⁰, Δ the
// microseconds to the latest admitted touch of its opportunity (last), as
// the engine does (decayWeights): one IEEE double power, rounded half away
// from zero. Both engines compute power in DOUBLE; a last-bit difference
// between their libm and Go's math.Exp2 changes a weight only when the
// scaled value is within 2⁻¹² of a half unit.
func decayWeight(halfLifeDays int) string {
	h := fmt.Sprint(int64(halfLifeDays) * dayMicros)
	return `CAST(round(power(CAST(2 AS DOUBLE), (-CAST(last - tat AS DOUBLE)) / CAST(` + h + ` AS DOUBLE)) * CAST(1099511627776 AS DOUBLE)) AS BIGINT)`
}

// Position bits, as the engine's (first_touch 1, lead_creation 2,
// opp_creation 4, closed_won 8, middle 16).
var positionBits = []struct {
	pos string
	bit int
}{{kpi.PosFirstTouch, 1}, {kpi.PosLeadCreation, 2}, {kpi.PosOppCreation, 4}, {kpi.PosClosedWon, 8}}

// positions renders a positional model's mask, position weight and
// middle flag of a touch (the engine's positionalWeights), from each
// position's touch among the admitted ones, found by counts over the
// sorted touches (candidates of a position are a prefix): first_touch 0;
// lead_creation (p_lc) the first or last touch at or before the converted
// lead's creation + grace; opp_creation the last at or before the
// opportunity's creation (noc − 1); closed_won (p_cw, window close) the
// last. A touch gets the weights of the configured positions it holds; a
// touch holding none strictly between the earliest and latest held
// position is middle and gets the middle weight, the positions' weights
// then being scaled by the middle count (integers in 10⁻⁹, no division).
func (g *gen) positions(m *kpi.Model) (mask, posw, mid string) {
	idxOf := map[string]string{kpi.PosFirstTouch: "0", kpi.PosLeadCreation: "p_lc", kpi.PosOppCreation: "noc - 1", kpi.PosClosedWon: "p_cw"}
	var masks, ws, lo, hi []string
	for _, pb := range positionBits {
		wt, ok := m.Weights[pb.pos]
		if !ok {
			continue
		}
		p := idxOf[pb.pos]
		masks = append(masks, fmt.Sprintf("CASE WHEN idx = %s THEN %d ELSE 0 END", p, pb.bit))
		ws = append(ws, fmt.Sprintf("CASE WHEN idx = %s THEN %d ELSE 0 END", p, wt.Shift(9).IntPart()))
		lo = append(lo, "CASE WHEN "+p+" >= 0 THEN "+p+" ELSE n END")
		hi = append(hi, p)
	}
	span := func(f string, xs []string) string {
		if len(xs) == 1 {
			return xs[0]
		}
		return f + "(" + strings.Join(xs, ", ") + ")"
	}
	mid = "FALSE"
	if m.Weights[kpi.PosMiddle].IsPositive() {
		mid = "(mask = 0 AND idx > " + span("least", lo) + " AND idx < " + span("greatest", hi) + ")"
	}
	return "(" + strings.Join(masks, " + ") + ")", "(" + strings.Join(ws, " + ") + ")", mid
}

// splitSQL is at_p: each admitted touch's cents under each model, for the
// opportunities with an amount: c = |amount|, the floor of c × w ÷ Σw and
// its remainder r, then the leftover cents by attribution.rounding
// (largest_remainder: one each to the largest remainders, ties to the
// earlier touch; half_up_largest_share: each share rounded half up, the
// difference to the first touch of the largest weight), negated for a
// negative amount. sw = 0 (no weight) leaves the amount unattributed.
func (g *gen) splitSQL() string {
	d := g.d
	cw := d.big("c") + " * " + d.big("w")
	q := `SELECT w.*, o.cents, abs(o.cents) AS c, o.inp, o.inb,
	sum(w.w) OVER (PARTITION BY w.model, w.opp) AS sw,
	max(w.w) OVER (PARTITION BY w.model, w.opp) AS maxw
FROM at_w w JOIN at_opp o ON o.opp = w.opp WHERE o.cents <> 0`
	fr := `SELECT s.*, CASE WHEN sw = 0 THEN ` + d.big("0") + ` ELSE ` + d.FloorDiv(cw, d.big("sw")) + ` END AS fl,
	CASE WHEN sw = 0 THEN ` + d.big("0") + ` ELSE ` + cw + ` % ` + d.big("sw") + ` END AS r,
	min(CASE WHEN w = maxw AND w > 0 THEN idx END) OVER (PARTITION BY model, opp) AS largest
FROM (` + q + `) s`
	var part string
	if g.cfg.Rounding == kpi.RoundHalfUpLargestShare {
		part = `SELECT h.*, hu + CASE WHEN idx = largest THEN c - sum(hu) OVER (PARTITION BY model, opp) ELSE 0 END AS part
FROM (SELECT f.*, fl + CASE WHEN sw > 0 AND 2 * r >= sw THEN 1 ELSE 0 END AS hu FROM (` + fr + `) f) h`
	} else {
		part = `SELECT f.*, fl + CASE WHEN row_number() OVER (PARTITION BY model, opp ORDER BY r DESC, idx) <= c - sum(fl) OVER (PARTITION BY model, opp) THEN 1 ELSE 0 END AS part
FROM (` + fr + `) f`
	}
	return `SELECT model, opp, idx, member, campaign, tat, w, mask, sw, inp, inb, cents,
	CASE WHEN cents < 0 THEN -part ELSE part END AS part
FROM (` + part + `) x`
}

// attributionSums is at_sum. Influenced amounts: every non-zero share under
// the org, its campaign and channel keys, for pipeline when the
// opportunity was created in the period and bookings when it was won in
// it; an amount no touch carries (no admitted touch, or no weight) under
// the campaign and channel key "unattributed". Deal counts, per window
// (the models of a window share them): the opportunities created in the
// period with an admitted touch (org), each campaign and channel an
// admitted touch reached (once per opportunity), the campaign and channel
// of the first admitted touch, "unattributed" for those with none. The org
// value of every model exists even when it is 0.
func (g *gen) attributionSums() string {
	camp, ch := g.wants(kpi.DimCampaign), g.wants(kpi.DimChannel)
	kpiOf := `(VALUES ('mktg_influenced_pipeline'), ('mktg_influenced_bookings')) AS ak(kpi)`
	inKPI := `((ak.kpi = 'mktg_influenced_pipeline' AND p.inp) OR (ak.kpi = 'mktg_influenced_bookings' AND p.inb))`
	var parts []string
	// Zero org rows for every KPI and model.
	var zero []string
	for _, k := range attributionKPIs {
		zero = append(zero, "("+lit(k)+")")
	}
	parts = append(parts, `SELECT z.kpi, 'org' AS dimension, '`+kpi.KeyAll+`' AS key, am.model, 0 AS n FROM (VALUES `+strings.Join(zero, ", ")+`) AS z(kpi) CROSS JOIN `+g.modelsSQL())
	// Shares, by org, campaign and channel (one pass: grouping sets).
	var sets, dimCase, keyCase []string
	if camp {
		sets, dimCase, keyCase = append(sets, "(ak.kpi, p.model, p.campaign)"), append(dimCase, "WHEN grouping(p.campaign) = 0 THEN 'campaign'"), append(keyCase, "WHEN grouping(p.campaign) = 0 THEN p.campaign")
	}
	if ch {
		sets, dimCase, keyCase = append(sets, "(ak.kpi, p.model, c.channel)"), append(dimCase, "WHEN grouping(c.channel) = 0 THEN 'channel'"), append(keyCase, "WHEN grouping(c.channel) = 0 THEN c.channel")
	}
	grouped := func(from, agg string) string {
		if len(sets) == 0 {
			return `SELECT ak.kpi, 'org' AS dimension, '` + kpi.KeyAll + `' AS key, p.model, ` + agg + ` AS n ` + from + ` GROUP BY ak.kpi, p.model`
		}
		return `SELECT ak.kpi, CASE ` + strings.Join(dimCase, " ") + ` ELSE 'org' END AS dimension, CASE ` + strings.Join(keyCase, " ") + ` ELSE '` + kpi.KeyAll + `' END AS key, p.model, ` + agg + ` AS n
` + from + `
GROUP BY GROUPING SETS ((ak.kpi, p.model), ` + strings.Join(sets, ", ") + `)`
	}
	parts = append(parts, grouped(`FROM at_p p JOIN at_camp c ON c.id = p.campaign CROSS JOIN `+kpiOf+` WHERE p.sw > 0 AND p.part <> 0 AND `+inKPI, "sum("+g.d.big("p.part")+")"))
	// Unattributed amounts: an opportunity with an amount and no admitted
	// touch under the model, or only touches of no weight.
	if camp || ch {
		un := `SELECT ak.kpi, p.model, p.cents AS n FROM (
	SELECT am.model, o.opp, o.cents, o.inp, o.inb FROM at_opp o CROSS JOIN ` + g.modelsSQL() + `
	WHERE o.cents <> 0 AND NOT EXISTS (SELECT 1 FROM at_p s WHERE s.model = am.model AND s.opp = o.opp AND s.sw > 0)
) p CROSS JOIN ` + kpiOf + ` WHERE ` + inKPI
		for _, d := range []struct {
			want bool
			dim  string
		}{{camp, kpi.DimCampaign}, {ch, kpi.DimChannel}} {
			if d.want {
				parts = append(parts, `SELECT kpi, '`+d.dim+`' AS dimension, '`+kpi.KeyUnattributed+`' AS key, model, n FROM (`+un+`) u`)
			}
		}
	}
	// Deal counts by window, then fanned out to the window's models.
	var wins []string
	for _, m := range g.cfg.Attribution {
		if w := "(" + lit(string(m.Window)) + ")"; !slices.Contains(wins, w) {
			wins = append(wins, w)
		}
	}
	winsSQL := "(VALUES " + strings.Join(wins, ", ") + ") AS aw(win)"
	deal := `SELECT aw.win, t.opp, t.campaign, c.channel, t.idx FROM at_tch t JOIN at_opp o ON o.opp = t.opp AND o.inp
	JOIN at_camp c ON c.id = t.campaign CROSS JOIN ` + winsSQL + `
	WHERE aw.win = '` + string(kpi.WindowClose) + `' OR t.pre`
	var dsets, ddim, dkey []string
	if camp {
		dsets, ddim, dkey = append(dsets, "(win, campaign)"), append(ddim, "WHEN grouping(campaign) = 0 THEN 'campaign'"), append(dkey, "WHEN grouping(campaign) = 0 THEN campaign")
	}
	if ch {
		dsets, ddim, dkey = append(dsets, "(win, channel)"), append(ddim, "WHEN grouping(channel) = 0 THEN 'channel'"), append(dkey, "WHEN grouping(channel) = 0 THEN channel")
	}
	counts := `SELECT win, 'org' AS dimension, '` + kpi.KeyAll + `' AS key, count(DISTINCT opp) AS inf, count_if(idx = 0) AS ft FROM (` + deal + `) d GROUP BY win`
	if len(dsets) > 0 {
		counts = `SELECT win, CASE ` + strings.Join(ddim, " ") + ` ELSE 'org' END AS dimension, CASE ` + strings.Join(dkey, " ") + ` ELSE '` + kpi.KeyAll + `' END AS key,
	count(DISTINCT opp) AS inf, count_if(idx = 0) AS ft
FROM (` + deal + `) d GROUP BY GROUPING SETS ((win), ` + strings.Join(dsets, ", ") + `)`
	}
	if camp || ch {
		// Created in the period, no touch the window admits.
		un := `SELECT aw.win, count(*) AS inf, count(*) AS ft FROM at_opp o CROSS JOIN ` + winsSQL + `
	WHERE o.inp AND NOT EXISTS (SELECT 1 FROM at_tch t WHERE t.opp = o.opp AND (aw.win = '` + string(kpi.WindowClose) + `' OR t.pre))
	GROUP BY aw.win`
		for _, d := range []struct {
			want bool
			dim  string
		}{{camp, kpi.DimCampaign}, {ch, kpi.DimChannel}} {
			if d.want {
				counts += "\nUNION ALL\nSELECT win, '" + d.dim + "' AS dimension, '" + kpi.KeyUnattributed + "' AS key, inf, ft FROM (" + un + ") u"
			}
		}
	}
	parts = append(parts, `SELECT k.kpi, n.dimension, n.key, am.model, CASE k.kpi WHEN 'opps_influenced' THEN n.inf ELSE n.ft END AS n
FROM (`+counts+`) n JOIN `+g.modelsSQL()+` ON am.win = n.win
CROSS JOIN (VALUES ('opps_influenced'), ('opps_first_touch')) AS k(kpi)
WHERE CASE k.kpi WHEN 'opps_influenced' THEN n.inf ELSE n.ft END > 0`)
	return strings.Join(parts, "\nUNION ALL\n")
}
