package kpicheck

import (
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/venn-revops/venn/shared/kpi"
)

// CreditKey names one credit row: a model, an opportunity and a touch
// (CampaignMember Id, "" for the unattributed row).
type CreditKey struct{ Model, Opp, Touch string }

// CreditRow is what the cross-check compares of a row.
type CreditRow struct {
	Campaign           string
	Cents              int64
	Pipeline, Bookings bool
}

// EngineCredits indexes the engine's credit rows (kpi.WithCredits).
func EngineCredits(r *kpi.Result) map[CreditKey]CreditRow {
	out := make(map[CreditKey]CreditRow, len(r.Credits))
	for _, c := range r.Credits {
		out[CreditKey{c.Model, c.Opportunity, c.Touch}] = CreditRow{c.Campaign, c.Cents, c.Pipeline, c.Bookings}
	}
	return out
}

// DuckCredits computes every model's credit rows in SQL over the temp
// tables baseTables builds (w: the population, lk: converted leads, t:
// touches in the widest window), independently of the engine but under
// the rules docs/kpis.md §3 states: each model's window, the positions
// (first touch; lead creation = the last touch at or before the
// converted lead's creation, the lead with the smallest Id; opportunity
// creation = the last at or before the opportunity's creation; closed won
// = the last of a close window), middle touches strictly between the
// outermost present positions, time decay 2^(−Δ/half-life) in units of
// 2⁻⁴⁰, and exact integer shares with the configured leftover-cent rule.
// Call it after PrepareBase with the same cfg and period.
func DuckCredits(db *sql.DB, cfg *kpi.Config) (map[CreditKey]CreditRow, error) {
	out := map[CreditKey]CreditRow{}
	for _, m := range cfg.Attribution {
		q := creditSQL(cfg, m)
		rows, err := db.Query(q)
		if err != nil {
			return nil, fmt.Errorf("duckdb credits %s: %w\n%s", m.Name, err, q)
		}
		for rows.Next() {
			var k CreditKey
			var r CreditRow
			if err := rows.Scan(&k.Opp, &k.Touch, &r.Campaign, &r.Cents, &r.Pipeline, &r.Bookings); err != nil {
				rows.Close()
				return nil, err
			}
			k.Model = m.Name
			out[k] = r
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func creditSQL(cfg *kpi.Config, m kpi.Model) string {
	window := "TRUE"
	if m.Window == kpi.WindowOppCreation {
		window = "t.at <= pop.created"
	}
	var weight string
	switch m.Name {
	case kpi.ModelEven:
		weight = "CAST(1 AS HUGEINT)"
	case kpi.ModelTimeDecay:
		weight = fmt.Sprintf("CAST(round(pow(2.0, -((last_at - ts) / %d.0)) * 1099511627776.0) AS HUGEINT)", int64(m.HalfLifeDays)*86_400_000_000)
	default:
		weight = positionalSQL(m)
	}
	// Lead creation: among touches at or before the lead's creation + grace
	// (microseconds), the first or the last by (instant, Id).
	lcAgg := "min"
	if cfg.LeadCreation.Pick == kpi.LCLast {
		lcAgg = "max"
	}
	lc := fmt.Sprintf("%s(i) FILTER (WHERE lead_created IS NOT NULL AND ts <= lead_created + %d)", lcAgg, cfg.LeadCreation.Grace/time.Microsecond)
	cw := "NULL"
	if m.Window == kpi.WindowClose {
		cw = "max(n) - 1"
	}
	finish := `q0 + CASE WHEN rk <= c - sum(q0) OVER (PARTITION BY opp) THEN 1 ELSE 0 END`
	if cfg.Rounding == kpi.RoundHalfUpLargestShare {
		finish = `q1 + CASE WHEN wr = 1 THEN c - sum(q1) OVER (PARTITION BY opp) ELSE 0 END`
	}
	return `WITH pop AS (SELECT id, created, cents, created_in, won_in FROM w WHERE (created_in OR won_in) AND cents <> 0),
	lead AS (SELECT opp_id, arg_min(lead_created, lead_id) AS lead_created FROM lk GROUP BY opp_id),
	adm AS (
		SELECT t.id AS touch, t.campaign_id, t.at AS ts, pop.id AS opp, pop.cents, pop.created, lead.lead_created
		FROM t JOIN pop ON pop.id = t.opp_id LEFT JOIN lead ON lead.opp_id = pop.id
		WHERE ` + window + `
	),
	ix AS (
		SELECT *, row_number() OVER (PARTITION BY opp ORDER BY ts, touch) - 1 AS i,
			count(*) OVER (PARTITION BY opp) AS n, max(ts) OVER (PARTITION BY opp) AS last_at
		FROM adm
	),
	pos AS (
		SELECT opp, 0 AS ft,
			` + lc + ` AS lc,
			max(i) FILTER (WHERE ts <= created) AS oc,
			` + cw + ` AS cw
		FROM ix GROUP BY opp
	),
	wt AS (
		SELECT ix.*, ` + weight + ` AS wgt
		FROM ix JOIN pos USING (opp)
	),
	sp AS (SELECT *, sum(wgt) OVER (PARTITION BY opp) AS s, CAST(abs(cents) AS HUGEINT) AS c FROM wt),
	q AS (
		SELECT *, (c * wgt) // s AS q0, (c * wgt) % s AS r FROM sp WHERE s > 0
	),
	rk AS (
		SELECT *, q0 + CASE WHEN 2 * r >= s THEN 1 ELSE 0 END AS q1,
			row_number() OVER (PARTITION BY opp ORDER BY r DESC, i) AS rk,
			row_number() OVER (PARTITION BY opp ORDER BY wgt DESC, i) AS wr
		FROM q
	),
	credited AS (
		SELECT opp, touch, campaign_id, sign(cents) * (` + finish + `) AS credit FROM rk
	),
	unattributed AS (
		SELECT id FROM pop WHERE id NOT IN (SELECT opp FROM q)
	)
	SELECT c.opp, c.touch, c.campaign_id, CAST(c.credit AS BIGINT), pop.created_in, pop.won_in
	FROM credited c JOIN pop ON pop.id = c.opp
	UNION ALL
	SELECT pop.id, '', '` + kpi.KeyUnattributed + `', pop.cents, pop.created_in, pop.won_in
	FROM pop JOIN unattributed u ON u.id = pop.id`
}

// positionalSQL is a touch's integer weight (10⁻⁹) under a positional
// model: the weights of the present positions it holds, scaled by the
// middle count, or the middle weight if it is a middle touch.
func positionalSQL(m kpi.Model) string {
	units := func(p string) int64 { return m.Weights[p].Shift(9).IntPart() }
	type pos struct{ name, col string }
	var held, lo, hi, sum []string
	for _, p := range []pos{{kpi.PosFirstTouch, "ft"}, {kpi.PosLeadCreation, "lc"}, {kpi.PosOppCreation, "oc"}, {kpi.PosClosedWon, "cw"}} {
		if _, ok := m.Weights[p.name]; !ok {
			continue
		}
		held = append(held, "i = "+p.col)
		lo = append(lo, "coalesce("+p.col+", 1000000000)")
		hi = append(hi, "coalesce("+p.col+", -1)")
		sum = append(sum, fmt.Sprintf("CASE WHEN i = %s THEN %d ELSE 0 END", p.col, units(p.name)))
	}
	isHeld := "coalesce(" + strings.Join(held, " OR ") + ", false)"
	if len(held) == 1 {
		isHeld = "coalesce(" + held[0] + ", false)"
	}
	mid := units(kpi.PosMiddle)
	middle := fmt.Sprintf("(%d > 0 AND i > least(%s) AND i < greatest(%s) AND NOT (%s))", mid, strings.Join(lo, ", "), strings.Join(hi, ", "), isHeld)
	return fmt.Sprintf(`CAST((%s) AS HUGEINT) * greatest(sum(CASE WHEN %s THEN 1 ELSE 0 END) OVER (PARTITION BY opp), 1)
		+ CASE WHEN %s THEN %d ELSE 0 END`, strings.Join(sum, " + "), middle, middle, mid)
}
