package kpicheck

import (
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/kpi"
)

// The renewal and retention KPIs (docs/kpis.md §2.11), written from the
// document: the contract reading when retention.source is contracts, or
// auto and a counted contract exists; else the renewal-opportunity reading
// (renewal_rate and nrr from the shared tally; grr undefined, which a
// missing row reads as; no contract figures).
//
//	rcall  counted contracts: not deleted, created before the as-of,
//	       status code configured (undated ones included)
//	rsrc   one row: contracts, whether the contract reading applies
//	rlk    won opportunities (as of the as-of, table o) linked to a
//	       counted contract by contract_id: cid, id, class (only when
//	       line_items or renewed_by renewal_opportunity is configured)
//	rren   contracts a linked won renewal opportunity renews
//	rval   per contract, the cents of its recurring-family line items
//	       (line_items only)
//	rc     rcall with a start day: sd, ed (end day, NULL: evergreen) and
//	       val, the annual value in cents
//	rtl    the retention tallies by (dimension, key)

// contractView points v_contract at the snapshot's Contract files, or,
// when the lake has none (an org without contracts), at no rows with the
// same columns.
func contractView(db *sql.DB, paths map[string][]string) error {
	if ps := paths[crm.Contract.Name]; len(ps) > 0 {
		_, err := db.Exec("CREATE OR REPLACE VIEW v_contract AS SELECT * FROM read_parquet([" + strings.Trim(list(ps), "()") + "])")
		return err
	}
	_, err := db.Exec(`CREATE OR REPLACE VIEW v_contract AS SELECT NULL::VARCHAR AS id, NULL::TIMESTAMPTZ AS created_date,
		NULL::BOOLEAN AS is_deleted, NULL::VARCHAR AS account_id, NULL::VARCHAR AS owner_id, NULL::VARCHAR AS status_code,
		NULL::DATE AS start_date, NULL::DATE AS end_date, NULL::BIGINT AS contract_term, NULL::DECIMAL(18,2) AS recurring_amount
		WHERE false`)
	return err
}

var retentionDimCols = append(userDimCols[:3:3], dimCol{"segment", "k_segment"}, dimCol{"region", "k_region"})

// ttmDays are the days whose contracts in force give the start and end
// ARR: the UTC day of the window's end and of the instant a year earlier.
func ttmDays(q *Q) (int64, int64) {
	end := time.UnixMicro(q.End).UTC()
	return end.AddDate(-1, 0, 0).UnixMicro() / dayMicros, q.End / dayMicros
}

func init() {
	registerTable("rcall", func(q *Q) string {
		return fmt.Sprintf(`SELECT * FROM v_contract WHERE NOT coalesce(is_deleted, false) AND epoch_us(created_date) < %d AND status_code IN %s`,
			q.AsOf, list(q.Cfg.Retention.Statuses))
	})
	registerTable("rsrc", func(q *Q) string {
		src := lit(string(q.Cfg.Retention.Source))
		return `SELECT ` + src + ` = 'contracts' OR (` + src + ` = 'auto' AND EXISTS (SELECT 1 FROM rcall)) AS contracts`
	})
	byOpp := func(q *Q) bool { return slices.Contains(q.Cfg.Retention.RenewedBy, kpi.RenewByOpportunity) }
	links := func(q *Q) bool { return q.Cfg.Retention.ValueFrom == kpi.ValueLineItems || byOpp(q) }
	registerTable("rlk", func(q *Q) string {
		if !links(q) {
			return `SELECT NULL::VARCHAR AS cid, NULL::VARCHAR AS id, NULL::VARCHAR AS class WHERE false`
		}
		return `SELECT v.contract_id AS cid, o.id, o.class FROM o JOIN v_opportunity v ON v.id = o.id
			WHERE o.won AND v.contract_id IN (SELECT id FROM rcall)`
	})
	registerTable("rren", func(q *Q) string {
		if !byOpp(q) {
			return `SELECT NULL::VARCHAR AS cid WHERE false`
		}
		return `SELECT DISTINCT cid FROM rlk WHERE class = 'renewal'`
	})
	registerTable("rval", func(q *Q) string {
		if q.Cfg.Retention.ValueFrom != kpi.ValueLineItems {
			return `SELECT NULL::VARCHAR AS cid, NULL::BIGINT AS v WHERE false`
		}
		notRenewing := "true"
		if byOpp(q) {
			notRenewing = "l.class IS DISTINCT FROM 'renewal'" // a renewing opportunity prices the next term
		}
		return fmt.Sprintf(`SELECT l.cid, sum(CAST(li.total_price * 100 AS BIGINT)) AS v
			FROM rlk l JOIN v_opportunitylineitem li ON li.opportunity_id = l.id
			JOIN v_product2 p ON p.id = li.product2_id
			WHERE %s AND NOT coalesce(li.is_deleted, false) AND epoch_us(li.created_date) < %d AND li.total_price IS NOT NULL
				AND NOT coalesce(p.is_deleted, false) AND p.family IN %s
			GROUP BY l.cid`, notRenewing, q.AsOf, list(q.Cfg.Retention.Families))
	})
	registerTable("rc", func(q *Q) string {
		cents := "CAST(recurring_amount * 100 AS BIGINT)"
		if q.Cfg.Retention.ValueFrom == kpi.ValueLineItems {
			cents = "(SELECT v FROM rval WHERE rval.cid = rcall.id)"
		}
		val := cents
		if q.Cfg.Retention.ValuePer == kpi.PerTerm {
			// value × 12 ÷ term, half away from zero, in integers.
			val = `CASE WHEN contract_term IS NULL OR contract_term <= 0 THEN NULL
				WHEN ` + cents + ` >= 0 THEN (` + cents + ` * 24 + contract_term) // (2 * contract_term)
				ELSE -((-` + cents + ` * 24 + contract_term) // (2 * contract_term)) END`
		}
		return `SELECT id, coalesce(account_id, '') AS account_id, coalesce(owner_id, '') AS owner_id,
			datediff('day', DATE '1970-01-01', start_date) AS sd, datediff('day', DATE '1970-01-01', end_date) AS ed,
			coalesce(` + val + `, 0) AS val
			FROM rcall WHERE start_date IS NOT NULL`
	})
	registerTable("rtl", func(q *Q) string {
		d0, d1 := ttmDays(q)
		grace := q.Cfg.Retention.GraceDays
		return fmt.Sprintf(`WITH up AS (
			SELECT c.account_id, c.owner_id, 1 AS up,
				CASE WHEN (%[6]t AND EXISTS (SELECT 1 FROM rc s WHERE s.account_id = c.account_id AND s.sd BETWEEN c.ed + 1 AND c.ed + 1 + %[3]d))
					OR c.id IN (SELECT cid FROM rren) THEN 1 ELSE 0 END AS renewed,
				0 AS s, 0 AS e
			FROM rc c WHERE c.ed IS NOT NULL AND %[4]s
		), acc AS (
			SELECT account_id,
				sum(CASE WHEN sd <= %[1]d AND coalesce(ed, %[1]d) >= %[1]d THEN val ELSE 0 END) AS s,
				sum(CASE WHEN sd <= %[2]d AND coalesce(ed, %[2]d) >= %[2]d THEN val ELSE 0 END) AS e
			FROM rc GROUP BY account_id
		), own AS (
			SELECT account_id, owner_id, row_number() OVER (PARTITION BY account_id ORDER BY sd DESC, id DESC) AS rn
			FROM rc WHERE sd <= %[2]d
		), mv AS (
			SELECT acc.account_id, coalesce(own.owner_id, '') AS owner_id, 0 AS up, 0 AS renewed, acc.s, acc.e
			FROM acc LEFT JOIN own ON own.account_id = acc.account_id AND own.rn = 1
			WHERE acc.s <> 0 OR acc.e <> 0
		), x AS (
			SELECT r.*,
				coalesce(nullif(u.team, ''), '(none)') AS k_team, coalesce(nullif(r.owner_id, ''), '(none)') AS k_owner,
				coalesce(nullif(a.segment, ''), '(none)') AS k_segment, coalesce(nullif(a.region, ''), '(none)') AS k_region,
				CASE WHEN s = 0 THEN 0 ELSE s END AS c_start,
				CASE WHEN s = 0 THEN e ELSE 0 END AS c_new,
				CASE WHEN s <> 0 AND e = 0 THEN s ELSE 0 END AS c_churn,
				CASE WHEN s <> 0 AND e <> 0 AND e > s THEN e - s ELSE 0 END AS c_exp,
				CASE WHEN s <> 0 AND e <> 0 AND e <= s THEN s - e ELSE 0 END AS c_con
			FROM (SELECT * FROM up UNION ALL SELECT * FROM mv) r
			LEFT JOIN usr u ON u.id = r.owner_id LEFT JOIN acct a ON a.id = r.account_id
		)
		%[5]s`, d0, d1, grace, q.InDay("c.ed"), fanOut("x", retentionDimCols,
			`sum(up) AS up, sum(renewed) AS renewed, sum(c_start) AS arr_start, sum(e) AS arr_end, sum(c_new) AS arr_new,
			sum(c_exp) AS arr_exp, sum(c_con) AS arr_con, sum(c_churn) AS arr_churn`),
			slices.Contains(q.Cfg.Retention.RenewedBy, kpi.RenewBySuccessor))
	})
	// contracts is a query of the contract reading: cols over rtl, only
	// when it applies.
	contracts := func(cols string) func(q *Q) string {
		return func(q *Q) string {
			return "SELECT dimension, key, '' AS model, " + cols + " FROM rtl WHERE dimension IN " + q.Dims() + " AND (SELECT contracts FROM rsrc)"
		}
	}
	// bySource is a KPI with both readings.
	bySource := func(contractCols, oppCols string) func(q *Q) string {
		return func(q *Q) string {
			return contracts(contractCols)(q) + "\nUNION ALL " + q.FromTally(oppCols) + " AND NOT (SELECT contracts FROM rsrc)"
		}
	}
	register("renewal_rate", bySource(Ratio("renewed", "up", 1000000), Ratio("renew_won", "renew_up", 1000000)))
	register("contracts_up_for_renewal", contracts(Count("up")))
	register("contracts_renewed", contracts(Count("renewed")))
	register("nrr", bySource(Ratio("arr_start + arr_exp - arr_con - arr_churn", "arr_start", 10000),
		Ratio("renew_won_cents + expansion_cents", "renew_up_cents", 10000)))
	register("grr", contracts(Ratio("arr_start - arr_con - arr_churn", "arr_start", 10000)))
	register("arr_start", contracts(Amount("arr_start")))
	register("arr_end", contracts(Amount("arr_end")))
	register("new_arr", contracts(Amount("arr_new")))
	register("expansion_arr", contracts(Amount("arr_exp")))
	register("contraction_arr", contracts(Amount("arr_con")))
	register("churned_arr", contracts(Amount("arr_churn")))
}
