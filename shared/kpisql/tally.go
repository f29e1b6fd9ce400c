package kpisql

import (
	"fmt"
	"slices"
	"strings"

	"github.com/venn-revops/venn/shared/kpi"
)

// A source is a CTE whose rows are fanned out to dimension keys: each row
// is counted once under every dimension the source has and the
// configuration selects.
type source struct {
	from string
	dims []dimCol
	// keyed is the condition for a row to put its keys among the reported
	// ones (and to be tallied: a row failing it adds 0 to every tally);
	// "" is every row.
	keyed string
}

// dimCol is a dimension and the column holding its key.
type dimCol struct{ dim, col string }

var (
	userCols = []dimCol{{kpi.DimOrg, "'" + kpi.KeyAll + "'"}, {kpi.DimTeam, "k_team"}, {kpi.DimOwner, "k_owner"}}
	leadCols = slices.Concat(userCols, []dimCol{{kpi.DimSegment, "k_segment"}, {kpi.DimRegion, "k_region"}, {kpi.DimChannel, "k_channel"}})
	oppCols  = slices.Concat(leadCols, []dimCol{{kpi.DimCampaign, "k_campaign"}})

	srcLead  = source{"lc", leadCols, ""}
	srcOpp   = source{"oppf", oppCols, "active"}
	srcResp  = source{"rs", leadCols, ""}
	srcMeet  = source{"mtg", userCols, ""}
	srcOpen0 = source{"open0", userCols, "cents <> 0"}
)

// tallyCol is one additive tally: an aggregate over the rows of a source.
type tallyCol struct {
	name string
	src  source
	agg  string
}

func cnt(cond string) string { return "count_if(" + cond + ")" }

// sumIf sums x over the rows where cond holds, in the wide type (a sum of
// microseconds over a million leads overflows BIGINT).
func (g *gen) sumIf(cond, x string) string {
	return "sum(" + g.d.big("CASE WHEN "+cond+" THEN "+x+" ELSE 0 END") + ")"
}

// tallyCols are the additive tallies of the catalog, each over one source.
func (g *gen) tallyCols() []tallyCol {
	l, o, r := srcLead, srcOpp, srcResp
	return append([]tallyCol{
		{"leads", l, cnt("c_lead")},
		{"mqls", l, cnt("c_mql")},
		{"sqls", l, cnt("c_sql")},
		{"mql_sql_us", l, g.sumIf("c_sql AND mql <= sql_at", "sql_at - mql")},
		{"mql_sql_n", l, cnt("c_sql AND mql <= sql_at")},
		{"lead_mql_us", l, g.sumIf("c_mql AND mql >= created", "mql - created")},
		{"lead_mql_n", l, cnt("c_mql AND mql >= created")},
		{"cohort_mql", l, cnt("c_cmql")},
		{"cohort_sql", l, cnt("c_csql")},
		{"cohort_opp", l, cnt("c_copp")},
		{"cohort_won", l, cnt("c_cwon")},
		{"disqualified", l, cnt("c_disq")},
		{"recycled", l, cnt("c_recy")},
		{"opps_created", o, cnt("c_created")},
		{"pipeline", o, g.sumIf("c_created", "cents")},
		{"src_opps", o, cnt("c_created AND sourced")},
		{"src_pipeline", o, g.sumIf("c_created AND sourced", "cents")},
		{"sql_opp_us", o, g.sumIf("sql_opp_us IS NOT NULL", "sql_opp_us")},
		{"sql_opp_n", o, "count(sql_opp_us)"},
		{"won", o, cnt("c_won")},
		{"lost", o, cnt("c_lost")},
		{"bookings", o, g.sumIf("c_won", "cents")},
		{"src_bookings", o, g.sumIf("c_won AND sourced", "cents")},
		{"lost_cents", o, g.sumIf("c_lost", "cents")},
		{"won_days", o, g.sumIf("c_won", "days")},
		{"closed_days", o, g.sumIf("c_closed", "days")},
		{"open_pipeline", o, g.sumIf("c_open", "cents")},
		{"opps_open", o, cnt("c_open")},
		{"open_next", o, g.sumIf("c_open_next", "cents")},
		{"sla_due", r, cnt("due")},
		{"sla_met", r, cnt("met")},
		{"resp_us", r, g.sumIf("resp IS NOT NULL", "resp")},
		{"resp_n", r, "count(resp)"},
		{"awaiting", r, cnt("first IS NULL")},
		{"past_sla", r, cnt("first IS NULL AND due")},
		{"breach_us", r, g.sumIf("breach_us IS NOT NULL", "breach_us")},
		{"meetings", srcMeet, "count(*)"},
		{"open_start", srcOpen0, "sum(" + g.d.big("cents") + ")"},
	}, g.retentionTallyCols()...)
}

// grouped renders, for a source, one aggregate over its rows by every
// configured dimension of it at once (GROUPING SETS: the source is read
// once, which on Athena is what is scanned): dimension, key, then aggs.
func (g *gen) grouped(s source, aggs string) string {
	var sets, dimCase, keyCase []string
	for _, dc := range s.dims {
		if !slices.Contains(g.cfg.Dimensions, dc.dim) || dc.dim == kpi.DimOrg {
			continue
		}
		sets = append(sets, "("+dc.col+")")
		dimCase = append(dimCase, "WHEN grouping("+dc.col+") = 0 THEN '"+dc.dim+"'")
		keyCase = append(keyCase, "WHEN grouping("+dc.col+") = 0 THEN "+dc.col)
	}
	from := s.from
	if s.keyed != "" {
		from += " WHERE " + s.keyed
	}
	if len(sets) == 0 {
		return "SELECT 'org' AS dimension, '" + kpi.KeyAll + "' AS key, " + aggs + " FROM " + from
	}
	return "SELECT CASE " + strings.Join(dimCase, " ") + " ELSE 'org' END AS dimension, CASE " + strings.Join(keyCase, " ") + " ELSE '" + kpi.KeyAll + "' END AS key,\n\t" +
		aggs + "\nFROM " + from + "\nGROUP BY GROUPING SETS ((), " + strings.Join(sets, ", ") + ")"
}

// fannedRows repeats each row of a source (filtered by where) once per
// configured dimension of it among dims: dimension, key, cols. One read of
// the source, joined to a VALUES list of the dimensions.
func (g *gen) fannedRows(s source, dims []string, cols, where string) string {
	var names, keys []string
	for _, dc := range s.dims {
		if !slices.Contains(g.cfg.Dimensions, dc.dim) || !slices.Contains(dims, dc.dim) {
			continue
		}
		names = append(names, "('"+dc.dim+"')")
		keys = append(keys, "WHEN '"+dc.dim+"' THEN "+dc.col)
	}
	if len(names) == 0 {
		return ""
	}
	q := "SELECT fd.dimension, CASE fd.dimension " + strings.Join(keys, " ") + " END AS key, " + cols +
		"\n\tFROM " + s.from + " CROSS JOIN (VALUES " + strings.Join(names, ", ") + ") AS fd(dimension)"
	if where != "" {
		q += " WHERE " + where
	}
	return q
}

// tallyCTE is tl: every tally by (dimension, key), summed over the sources
// (a key a source lacks reads 0 for its columns). Its keys are the
// engine's dimension keys: org's, every key a keyed source row has, and
// every key with a target of the quarter or the next (all tallies 0 when
// nothing else has it).
func (g *gen) tallyCTE() cte {
	cols := g.tallyCols()
	var sources []source
	for _, c := range cols {
		if !slices.ContainsFunc(sources, func(s source) bool { return s.from == c.src.from }) {
			sources = append(sources, c.src)
		}
	}
	var parts []string
	for _, s := range sources {
		sel := make([]string, len(cols))
		for i, c := range cols {
			if c.src.from == s.from {
				sel[i] = g.d.big(c.agg) + " AS " + c.name
			} else {
				sel[i] = g.d.big("0") + " AS " + c.name
			}
		}
		parts = append(parts, g.grouped(s, strings.Join(sel, ", ")))
	}
	zeros := make([]string, len(cols))
	for i, c := range cols {
		zeros[i] = g.d.big("0") + " AS " + c.name
	}
	parts = append(parts, "SELECT 'org' AS dimension, '"+kpi.KeyAll+"' AS key, "+strings.Join(zeros, ", "),
		"SELECT dimension, key, "+strings.Join(zeros, ", ")+" FROM tg WHERE dimension IN "+list(g.cfg.Dimensions))
	sums := make([]string, len(cols))
	for i, c := range cols {
		sums[i] = "sum(" + c.name + ") AS " + c.name
	}
	return cte{"tl", "SELECT dimension, key, " + strings.Join(sums, ", ") + "\nFROM (\n" + strings.Join(parts, "\nUNION ALL\n") + "\n) AS s\nGROUP BY dimension, key"}
}

// measure is a KPI's figure as SQL expressions in millionths: value,
// num and den (NULL unless a quotient) in Int128, defined a BOOLEAN.
type measure struct{ value, num, den, defined string }

// cols is the measure as a select list.
func (m measure) cols() string {
	return m.value + " AS value, " + m.num + " AS num, " + m.den + " AS den, " + m.defined + " AS defined"
}

func (g *gen) null() string { return "CAST(NULL AS " + g.d.Int128 + ")" }

func (g *gen) count(n string) measure {
	return measure{g.d.big(n) + " * 1000000", g.null(), g.null(), "TRUE"}
}

func (g *gen) amount(cents string) measure {
	return measure{g.d.big(cents) + " * 10000", g.null(), g.null(), "TRUE"}
}

// days is a total of microseconds in days, rounded half away from zero to
// six places; not a quotient.
func (g *gen) days(micros string) measure {
	return measure{g.d.RDiv(g.d.big(micros)+" * 1000000", fmt.Sprint(dayMicros)), g.null(), g.null(), "TRUE"}
}

// ratio is num ÷ den rounded half away from zero to six places; scale
// brings num and den to millionths (1000000 for counts, 10000 for cents).
// A zero denominator is undefined, value 0.
func (g *gen) ratio(num, den string, scale int64) measure {
	n, d := g.d.big(num), g.d.big(den)
	return measure{
		"CASE WHEN " + d + " = 0 THEN " + g.d.big("0") + " ELSE " + g.d.RDiv(n+" * 1000000", d) + " END",
		fmt.Sprintf("%s * %d", n, scale), fmt.Sprintf("%s * %d", d, scale), d + " <> 0",
	}
}

// mean is a mean duration: total microseconds over n items in units of
// unitMicros, rounded to six places; the numerator is the total in those
// units (rounded to six places), the denominator n.
func (g *gen) mean(micros, n string, unitMicros int64) measure {
	us, nn := g.d.big(micros), g.d.big(n)
	return measure{
		"CASE WHEN " + nn + " = 0 THEN " + g.d.big("0") + " ELSE " + g.d.RDiv(us+" * 1000000", fmt.Sprintf("%s * %d", nn, unitMicros)) + " END",
		g.d.RDiv(us+" * 1000000", fmt.Sprint(unitMicros)), nn + " * 1000000", nn + " <> 0",
	}
}

// orderStat renders a median (p = 0) or nearest-rank 90th percentile
// (p = 90) of x over rows of a source (filtered by where), by dimension key
// of the KPI's dimensions, in units of unitMicros rounded to six places;
// the numerator is the statistic, the denominator the count. A median of
// an even count is the mean of the two middle values. Neither engine's
// percentile function is used: DuckDB's interpolates in DOUBLE and
// Athena's approx_percentile is approximate.
func (g *gen) orderStat(def kpi.Definition, s source, where, x string, unitMicros int64, p90 bool) string {
	rows := g.fannedRows(s, def.Dimensions, x+" AS x", where)
	if rows == "" {
		return ""
	}
	id := g.d.IDiv
	ranked := `SELECT dimension, key, x, row_number() OVER (PARTITION BY dimension, key ORDER BY x) AS rn, count(*) OVER (PARTITION BY dimension, key) AS n
	FROM (` + rows + `) AS r`
	stat := "2 * x" // twice the statistic, so an even median's half stays exact
	pick := "rn = " + id("9 * n + 9", "10")
	if !p90 {
		stat = "CASE WHEN mod(n, 2) = 1 THEN 2 * x ELSE x END"
		pick = "((mod(n, 2) = 1 AND rn = " + id("n + 1", "2") + ") OR (mod(n, 2) = 0 AND (rn = " + id("n", "2") + " OR rn = " + id("n", "2") + " + 1)))"
	}
	v := g.d.RDiv("sum("+g.d.big(stat)+") * 1000000", fmt.Sprintf("%d", 2*unitMicros))
	stats := `SELECT dimension, key, ` + v + ` AS value, ` + g.d.big("max(n)") + ` * 1000000 AS den
FROM (` + ranked + `) AS m WHERE ` + pick + `
GROUP BY dimension, key`
	if s.from == "stx" {
		// Stages are reported only where a visit ended (as the engine
		// does): no key without values.
		return `SELECT dimension, key, '' AS model, value, value AS num, den, TRUE AS defined FROM (` + stats + `) AS s`
	}
	// Every reported key of the KPI's dimensions; undefined over nothing.
	z := g.d.big("0")
	return `SELECT tl.dimension, tl.key, '' AS model, coalesce(s.value, ` + z + `) AS value, coalesce(s.value, ` + z + `) AS num,
	coalesce(s.den, ` + z + `) AS den, s.value IS NOT NULL AS defined
FROM tl LEFT JOIN (` + stats + `) AS s ON s.dimension = tl.dimension AND s.key = tl.key
WHERE tl.dimension IN ` + list(g.dims(def))
}
