package kpisql

import (
	"fmt"
	"slices"
	"time"

	"github.com/venn-revops/venn/shared/kpi"
)

// The renewal and retention KPIs (docs/kpis.md §2.11), in both readings:
// the contract reading over Contract rows (and, when configured, the
// opportunities linked to them and their line items), and the
// renewal-opportunity reading over the renewal-class opportunities of the
// shared tally. retention.source auto picks the contract reading when a
// counted contract exists, which only the data says: rsrc holds that
// choice, one row, and every retention figure reads it.
//
//	rsrc   one row: contracts, whether the contract reading applies
//	ctr    counted contracts: not deleted, created before the as-of, of a
//	       configured status (undated ones too: they decide auto)
//	rlink  known opportunities won as of the as-of and linked to a
//	       counted contract by contract_id (line items or the
//	       renewal-opportunity rule only)
//	rval   per contract, the cents of the recurring-family lines of its
//	       valuing opportunities (line items only)
//	rc     dated counted contracts: sd, ed (day numbers, ed NULL:
//	       evergreen), val (annual value, cents), byopp
//	rt     the rows of the retention tallies (source srcRet): one per
//	       contract up for renewal, under its owner, and one per account
//	       whose ARR moved, under the owner of its latest contract by the
//	       end; none under the renewal-opportunity reading

// openEndDay stands for an evergreen contract's end day in comparisons.
const openEndDay = "2147483647"

var srcRet = source{"rt", slices.Concat(userCols, []dimCol{{kpi.DimSegment, "k_segment"}, {kpi.DimRegion, "k_region"}}), ""}

// readsContracts is whether the configuration can take the contract
// reading (contracts or auto).
func (g *gen) readsContracts() bool {
	return g.cfg.Retention.Source != kpi.SourceRenewalOpportunities
}

func (g *gen) renewsBy(r kpi.RenewalRule) bool { return slices.Contains(g.cfg.Retention.RenewedBy, r) }

// retentionTallyCols are the additive tallies of both readings: the
// renewal opportunities (over oppf) and the contracts (over rt).
func (g *gen) retentionTallyCols() []tallyCol {
	o := srcOpp
	cols := []tallyCol{
		{"renew_up", o, cnt("c_renew")},
		{"renew_won", o, cnt("c_renew AND won")},
		{"renew_up_cents", o, g.sumIf("c_renew", "cents")},
		{"renew_won_cents", o, g.sumIf("c_renew AND won", "cents")},
		{"exp_cents", o, g.sumIf("c_exp", "cents")},
	}
	if !g.readsContracts() {
		return cols
	}
	sum := func(c string) string { return "sum(" + g.d.big(c) + ")" }
	return append(cols,
		tallyCol{"ctr_up", srcRet, sum("up")},
		tallyCol{"ctr_renewed", srcRet, sum("renewed")},
		tallyCol{"arr_start", srcRet, sum("a_start")},
		tallyCol{"arr_end", srcRet, sum("a_end")},
		tallyCol{"arr_new", srcRet, sum("a_new")},
		tallyCol{"arr_exp", srcRet, sum("a_exp")},
		tallyCol{"arr_con", srcRet, sum("a_con")},
		tallyCol{"arr_churn", srcRet, sum("a_churn")},
	)
}

// ttm is the trailing twelve months' first and last day (day numbers):
// the UTC days of the window's end and of the instant a year before it.
func (g *gen) ttm() (d0, d1 int64) {
	end := time.UnixMicro(g.end).UTC()
	return floorDiv(end.AddDate(-1, 0, 0).UnixMicro(), dayMicros), floorDiv(g.end, dayMicros)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// retentionCTEs are rsrc and, when the contract reading can apply, the
// contract tables down to rt.
func (g *gen) retentionCTEs() []cte {
	r := g.cfg.Retention
	switch r.Source {
	case kpi.SourceRenewalOpportunities:
		return []cte{{"rsrc", "SELECT FALSE AS contracts"}}
	}
	src := cte{"rsrc", "SELECT TRUE AS contracts"}
	if r.Source == kpi.SourceAuto {
		src.sql = "SELECT count(*) > 0 AS contracts FROM ctr"
	}
	out := []cte{
		{"ctr", `SELECT id, coalesce(account_id, '') AS account_id, coalesce(owner_id, '') AS owner_id,
	` + day("start_date") + ` AS sd, ` + day("end_date") + ` AS ed, contract_term AS term, CAST(recurring_amount * 100 AS BIGINT) AS cents
FROM ` + g.t["Contract"] + `
WHERE ` + notDeleted + ` AND ` + g.m("created_date") + ` < ` + g.asOfS + ` AND status_code IN ` + list(r.Statuses)},
		src,
	}
	byOpp := g.renewsBy(kpi.RenewByOpportunity)
	if r.ValueFrom == kpi.ValueLineItems || byOpp {
		out = append(out, cte{"rlink", `SELECT o.contract_id AS cid, o.id, coalesce(o.class = ` + lit(kpi.ClassRenewal) + `, false) AS renewal
FROM ost o WHERE o.won AND o.contract_id IN (SELECT id FROM ctr)`})
	}
	// A won renewal opportunity that renews its contract prices the next
	// term, not that contract.
	valuing := "TRUE"
	if byOpp {
		out = append(out, cte{"rren", `SELECT DISTINCT cid FROM rlink WHERE renewal`})
		valuing = "NOT l.renewal"
	}
	base := "c.cents"
	if r.ValueFrom == kpi.ValueLineItems {
		out = append(out, cte{"rval", `SELECT l.cid, sum(` + g.d.big("CAST(li.total_price * 100 AS BIGINT)") + `) AS cents
FROM rlink l JOIN ` + g.t["OpportunityLineItem"] + ` li ON li.opportunity_id = l.id
JOIN (SELECT DISTINCT id FROM ` + g.t["Product2"] + ` WHERE ` + notDeleted + ` AND family IN ` + list(r.Families) + `) p ON p.id = li.product2_id
WHERE ` + valuing + ` AND NOT coalesce(li.is_deleted, false) AND ` + g.m("li.created_date") + ` < ` + g.asOfS + ` AND li.total_price IS NOT NULL
GROUP BY l.cid`})
		base = "v.cents"
	}
	// The annual value in cents: per term, value × 12 ÷ term rounded once
	// half away from zero; no value, or no positive term, reads as 0.
	val := "coalesce(" + g.d.big(base) + ", " + g.d.big("0") + ")"
	if r.ValuePer == kpi.PerTerm {
		val = "CASE WHEN " + base + " IS NULL OR coalesce(c.term, 0) <= 0 THEN " + g.d.big("0") + " ELSE " + g.d.RDiv(g.d.big(base)+" * 12", g.d.big("c.term")) + " END"
	}
	from := "ctr c"
	if r.ValueFrom == kpi.ValueLineItems {
		from += " LEFT JOIN rval v ON v.cid = c.id"
	}
	byOppCol := "FALSE"
	if byOpp {
		from += " LEFT JOIN rren ON rren.cid = c.id"
		byOppCol = "rren.cid IS NOT NULL"
	}
	out = append(out, cte{"rc", `SELECT c.id, c.account_id, c.owner_id, c.sd, c.ed, ` + val + ` AS val, ` + byOppCol + ` AS byopp
FROM ` + from + `
WHERE c.sd IS NOT NULL`})

	d0, d1 := g.ttm()
	renewed := "byopp"
	if g.renewsBy(kpi.RenewBySuccessor) {
		// A counted contract of the same account starting from the day
		// after the end up to the grace later.
		out = append(out, cte{"rsucc", fmt.Sprintf(`SELECT DISTINCT a.id FROM rc a JOIN rc s ON s.account_id = a.account_id AND s.sd >= a.ed + 1 AND s.sd <= a.ed + 1 + %d
WHERE a.ed IS NOT NULL`, r.GraceDays)})
		renewed = "(byopp OR c.id IN (SELECT id FROM rsucc))"
	}
	inForce := func(d int64) string {
		return fmt.Sprintf("sd <= %d AND %d <= coalesce(ed, %s)", d, d, openEndDay)
	}
	zero := g.d.big("0")
	out = append(out,
		cte{"racc", `SELECT account_id,
	sum(CASE WHEN ` + inForce(d0) + ` THEN val ELSE ` + zero + ` END) AS s,
	sum(CASE WHEN ` + inForce(d1) + ` THEN val ELSE ` + zero + ` END) AS e
FROM rc GROUP BY account_id`},
		// The owner of an account's latest contract (by start, then Id)
		// started by the end.
		cte{"rown", fmt.Sprintf(`SELECT account_id, owner_id FROM (
	SELECT account_id, owner_id, row_number() OVER (PARTITION BY account_id ORDER BY sd DESC, id DESC) AS rn FROM rc WHERE sd <= %d
) x WHERE rn = 1`, d1)},
		cte{"rt", `SELECT ` + keyOf("u.team") + ` AS k_team, ` + keyOf("r.owner_id") + ` AS k_owner, ` + keyOf("a.segment") + ` AS k_segment, ` + keyOf("a.region") + ` AS k_region, r.*
FROM (
	SELECT c.account_id, c.owner_id, 1 AS up, CASE WHEN ` + renewed + ` THEN 1 ELSE 0 END AS renewed,
		` + zero + ` AS a_start, ` + zero + ` AS a_end, ` + zero + ` AS a_new, ` + zero + ` AS a_exp, ` + zero + ` AS a_con, ` + zero + ` AS a_churn
	FROM rc c WHERE c.ed IS NOT NULL AND ` + g.inDay("c.ed") + `
	UNION ALL
	SELECT m.account_id, coalesce(o.owner_id, '') AS owner_id, 0 AS up, 0 AS renewed,
		CASE WHEN s = 0 THEN ` + zero + ` ELSE s END AS a_start, e AS a_end,
		CASE WHEN s = 0 THEN e ELSE ` + zero + ` END AS a_new,
		CASE WHEN s <> 0 AND e <> 0 AND e > s THEN e - s ELSE ` + zero + ` END AS a_exp,
		CASE WHEN s <> 0 AND e <> 0 AND e <= s THEN s - e ELSE ` + zero + ` END AS a_con,
		CASE WHEN s <> 0 AND e = 0 THEN s ELSE ` + zero + ` END AS a_churn
	FROM racc m LEFT JOIN rown o ON o.account_id = m.account_id
	WHERE s <> 0 OR e <> 0
) r LEFT JOIN usr u ON u.id = r.owner_id LEFT JOIN acct a ON a.id = r.account_id
CROSS JOIN rsrc WHERE rsrc.contracts`},
	)
	return out
}

// registerRetention registers §2.11's KPIs: each a measure over tl whose
// reading rsrc.contracts decides (both readings share a key's row).
func registerRetention() {
	// bySource is the contract reading's measure when rsrc.contracts,
	// else the renewal-opportunity reading's.
	bySource := func(name string, contracts, opps func(g *gen) measure) {
		registerMeasure(name, measured{over: "tl", m: func(g *gen) measure {
			if !g.readsContracts() {
				return opps(g)
			}
			c, o := contracts(g), opps(g)
			pick := func(a, b string) string { return "CASE WHEN rsrc.contracts THEN " + a + " ELSE " + b + " END" }
			return measure{pick(c.value, o.value), pick(c.num, o.num), pick(c.den, o.den), pick(c.defined, o.defined)}
		}})
	}
	bySource("renewal_rate",
		func(g *gen) measure { return g.ratio("ctr_renewed", "ctr_up", 1000000) },
		func(g *gen) measure { return g.ratio("renew_won", "renew_up", 1000000) })
	bySource("nrr",
		func(g *gen) measure { return g.ratio("arr_start + arr_exp - arr_con - arr_churn", "arr_start", 10000) },
		func(g *gen) measure { return g.ratio("renew_won_cents + exp_cents", "renew_up_cents", 10000) })
	// GRR has no renewal-opportunity reading: undefined over nothing.
	bySource("grr",
		func(g *gen) measure { return g.ratio("arr_start - arr_con - arr_churn", "arr_start", 10000) },
		func(g *gen) measure { z := g.d.big("0"); return measure{z, z, z, "FALSE"} })
	// The contract counts and ARR figures: under the contract reading only.
	contract := func(name string, m func(g *gen) measure) {
		registerMeasure(name, measured{over: "tl", m: m, when: (*gen).readsContracts, emit: "rsrc.contracts"})
	}
	contract("contracts_up_for_renewal", func(g *gen) measure { return g.count("ctr_up") })
	contract("contracts_renewed", func(g *gen) measure { return g.count("ctr_renewed") })
	for name, col := range map[string]string{"arr_start": "arr_start", "arr_end": "arr_end", "new_arr": "arr_new",
		"expansion_arr": "arr_exp", "contraction_arr": "arr_con", "churned_arr": "arr_churn"} {
		contract(name, func(g *gen) measure { return g.amount(col) })
	}
}

// RetentionSource is the reading the rows of a generated query took: the
// configured one, or under auto, contracts when the rows hold the contract
// reading's counts (contracts_up_for_renewal is emitted, for the org key
// at least, exactly when it applies).
func RetentionSource(cfg *kpi.Config, values []kpi.Value) kpi.RetentionSource {
	if cfg.Retention.Source != kpi.SourceAuto {
		return cfg.Retention.Source
	}
	if slices.ContainsFunc(values, func(v kpi.Value) bool { return v.KPI == "contracts_up_for_renewal" }) {
		return kpi.SourceContracts
	}
	return kpi.SourceRenewalOpportunities
}
