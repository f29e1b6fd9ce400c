package kpicheck

import (
	"fmt"
)

// The queries of the opportunity KPIs of issue 12 (docs/kpis.md §2.12):
// lost amount, win rate by amount, open count, the medians beside the
// means, the time in each stage and the two coverages, written from the
// document over opf (the opportunities with their period flags), the
// history view and the targets.
func init() {
	// opp fans opf out to the KPI's opportunity dimension keys with aggs.
	opp := func(name, aggs string) {
		register(name, func(q *Q) string {
			return "SELECT dimension, key, '' AS model, * EXCLUDE (dimension, key) FROM (" + fanOut("opf", oppDimCols, aggs) + ") WHERE dimension IN " + q.Dims()
		})
	}
	opp("lost_amount", Amount("coalesce(sum(cents) FILTER (WHERE c_lost), 0)"))
	opp("win_rate_amount", Ratio("coalesce(sum(cents) FILTER (WHERE c_won), 0)", "coalesce(sum(cents) FILTER (WHERE c_won OR c_lost), 0)", 10000))
	opp("opps_open", Count("count_if(c_open)"))
	// Medians of whole days: x in days × a day's microseconds, so the
	// median's unit is the day.
	register("sales_cycle_days_median", func(q *Q) string {
		return q.MedianOver("opf WHERE c_closed", oppDimCols, "days * 86400000000", dayMicros)
	})
	register("velocity_opp_won_days_median", func(q *Q) string {
		return q.MedianOver("opf WHERE c_won", oppDimCols, "days * 86400000000", dayMicros)
	})
	register("velocity_opp_won_days_p90", func(q *Q) string {
		return q.P90Over("opf WHERE c_won", oppDimCols, "days * 86400000000", dayMicros)
	})
	// The median amount in cents (an even count's mean may end in half a
	// cent, exact in millionths), then rounded to the cent half away from
	// zero.
	register("deal_size_median", func(q *Q) string {
		return `SELECT dimension, key, model, rdiv(value, 10000) * 10000 AS value, rdiv(value, 10000) * 10000 AS num, den, defined
			FROM (` + q.MedianOver("opf WHERE c_won", oppDimCols, "cents", 100) + `)`
	})
	// Time in each stage: stx holds one row per visit that ended in the
	// period (stage, us).
	registerTable("stx", func(q *Q) string {
		return `WITH r AS (
			SELECT h.opportunity_id AS opp, h.id, epoch_us(h.created_date) AS ts, coalesce(h.stage_name, '') AS stage
			FROM v_opportunityhistory h JOIN opf ON opf.id = h.opportunity_id AND opf.fun
			WHERE NOT coalesce(h.is_deleted, false) AND epoch_us(h.created_date) < ` + fmt.Sprint(q.End) + `
		), g AS (
			SELECT *, sum(CASE WHEN prev IS NULL OR prev <> stage THEN 1 ELSE 0 END) OVER (PARTITION BY opp ORDER BY ts, id ROWS UNBOUNDED PRECEDING) AS visit
			FROM (SELECT *, lag(stage) OVER (PARTITION BY opp ORDER BY ts, id) AS prev FROM r)
		), v AS (
			SELECT opp, visit, any_value(stage) AS stage, min(ts) AS entered FROM g GROUP BY opp, visit
		)
		SELECT a.stage, b.entered - a.entered AS us
		FROM v a JOIN v b ON b.opp = a.opp AND b.visit = a.visit + 1
		WHERE ` + q.In("b.entered")
	})
	stageDims := []dimCol{{"stage", kn("stage")}}
	register("stage_days", func(q *Q) string {
		return "SELECT * FROM (" + fanOut("stx", stageDims, "'' AS model, "+Mean("sum(us)", "count(*)", dayMicros)) + ") WHERE dimension IN " + q.Dims()
	})
	register("stage_days_median", func(q *Q) string {
		return q.MedianOver("stx", stageDims, "us", dayMicros)
	})
	// Coverage: the funnel pipeline open at an instant with a close date in
	// a range, by user dimension key, against a quarter's bookings target.
	coverage := func(name string, open func(q *Q) string, next bool) {
		register(name, func(q *Q) string {
			tq := *q
			if next {
				tq.P.Quarter = q.P.Quarter.Next()
			}
			return `WITH op AS (` + open(q) + `),
			k AS (` + fanOut("(SELECT op.cents, "+kn("u.team")+" AS k_team, "+kn("op.owner_id")+" AS k_owner FROM op LEFT JOIN usr u ON u.id = op.owner_id)", userDimCols, "sum(cents) AS cents") + `)
			SELECT tg.dimension, tg.key, '' AS model, ` + Ratio("coalesce(k.cents, 0)", "tg.b", 10000) + `
			FROM (` + targetsSQL(&tq) + `) tg LEFT JOIN k ON k.dimension = tg.dimension AND k.key = tg.key
			WHERE tg.dimension IN ` + q.Dims()
		})
	}
	closeIn := func(from, to int64) string {
		return fmt.Sprintf("close_day * 86400000000 >= %d AND close_day * 86400000000 < %d", from, to)
	}
	coverage("pipeline_coverage_start", func(q *Q) string {
		return "SELECT * FROM (" + oppStateSQL(q.Cfg, q.Start) + ") WHERE funnel AND NOT closed AND " + closeIn(q.Start, q.QEnd)
	}, false)
	coverage("pipeline_coverage_next_quarter", func(q *Q) string {
		return "SELECT * FROM o WHERE funnel AND NOT closed AND " + closeIn(q.QEnd, q.P.Quarter.Next().End().UnixMicro())
	}, true)
}
