package kpisql

// Opportunities in another currency, converted as the engine converts
// them (shared/kpi/fx.go, shared/money/rates.go): each counted
// opportunity's amount at the rate of its state's close date, amount ×
// rate(reporting) ÷ rate(its currency) through the corporate currency,
// rounded once to the cent half away from zero (RDiv), before any sum.
// The rates are the dated ones (DatedConversionRate) when the org has any,
// else the static ones (CurrencyType); the corporate currency's rate is 1.
// Rates are DECIMAL(18,6): integer millionths here, so the arithmetic is
// exact in both dialects. A counted opportunity with no rate fails the
// query (Dialect.Fail), as it fails the engine (an org without rates: the
// empty relations Compile gives it); the engine also checks the
// rates themselves (overlapping ranges, rates at or below zero), which the
// SQL does not.
//
//	fxd   the dated rates: cur, lo, hi (day numbers; hi NULL when open), r
//	fxr   the rates in force: fxd, or the static rates when fxd is empty
//	corp  the corporate currency

// rateCTEs are fxd, fxr and corp. Compile gives an org without the rate
// objects empty relations: then there is no rate, and a counted
// opportunity in another currency fails the query.
func (g *gen) rateCTEs() []cte {
	ct := g.t["CurrencyType"]
	return []cte{
		{"fxd", `SELECT iso_code AS cur, ` + day("start_date") + ` AS lo, ` + day("next_start_date") + ` AS hi,
	CAST(conversion_rate * ` + millionthsS + ` AS BIGINT) AS r
FROM ` + g.t["DatedConversionRate"]},
		{"fxr", `SELECT cur, lo, hi, r FROM fxd
UNION ALL
SELECT iso_code, CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(conversion_rate * ` + millionthsS + ` AS BIGINT)
FROM ` + ct + ` WHERE NOT EXISTS (SELECT 1 FROM fxd)`},
		{"corp", `SELECT max(iso_code) AS cur FROM ` + ct + ` WHERE coalesce(is_corporate, false)`},
	}
}

// converted adds cents, the reporting-currency amount, to a state select
// with columns cur, amt, class and close_day.
func (g *gen) converted(state string) string {
	to := lit(g.cfg.Currency)
	noRate := g.d.Fail("'opportunity ' || s.id || ': no ' || s.cur || ' rate (or no "+g.cfg.Currency+" rate) on its close date (day ' || CAST(s.close_day AS VARCHAR) || ' since 1970-01-01)'", "BIGINT")
	inForce := func(a string) string {
		return a + ".lo IS NULL OR (s.close_day >= " + a + ".lo AND (" + a + ".hi IS NULL OR s.close_day < " + a + ".hi))"
	}
	rate := func(a, cur string) string {
		return "CASE WHEN " + cur + " = corp.cur THEN " + millionthsS + " ELSE " + a + ".r END"
	}
	return `SELECT s.*, CASE WHEN s.class IS NULL OR s.cur = ` + to + ` THEN s.amt
	WHEN (` + rate("f", "s.cur") + `) IS NULL OR (` + rate("k", to) + `) IS NULL THEN ` + noRate + `
	ELSE CAST(` + g.d.RDiv(g.d.big("s.amt")+" * ("+rate("k", to)+")", rate("f", "s.cur")) + ` AS BIGINT) END AS cents
FROM (` + state + `) s
CROSS JOIN corp
LEFT JOIN fxr f ON f.cur = s.cur AND (` + inForce("f") + `)
LEFT JOIN fxr k ON k.cur = ` + to + ` AND (` + inForce("k") + `)`
}
