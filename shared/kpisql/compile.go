package kpisql

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/venn-revops/venn/shared/kpi"
)

// Tables names the relation each CRM object is read from: a table or view
// name, or a parenthesised SELECT (one night's partition of a Glue table).
// Keys are crm object names (Lead, Opportunity, OpportunityHistory, User,
// Account, Task, …).
type Tables map[string]string

// The objects the generated SQL reads.
var objects = []string{"User", "Account", "Lead", "Opportunity", "OpportunityHistory", "Task", "Campaign", "CampaignMember", "OpportunityContactRole"}

// Objects lists the CRM objects the generated SQL reads (Tables must name
// each).
func Objects() []string { return slices.Clone(objects) }

// optional are the objects an org may lack (the extract configuration's
// optional objects), each with the columns the SQL reads of it: a table
// Tables does not name reads as no rows, as the engine reads a nil source.
var optional = []struct {
	name string
	cols []string // name TYPE, in the common subset of both dialects
}{
	{"Contract", []string{"id VARCHAR", "created_date TIMESTAMP", "is_deleted BOOLEAN", "account_id VARCHAR", "owner_id VARCHAR",
		"status_code VARCHAR", "start_date DATE", "end_date DATE", "contract_term BIGINT", "recurring_amount DECIMAL(18,2)"}},
	{"OpportunityLineItem", []string{"id VARCHAR", "created_date TIMESTAMP", "is_deleted BOOLEAN", "opportunity_id VARCHAR",
		"product2_id VARCHAR", "total_price DECIMAL(18,2)"}},
	{"Product2", []string{"id VARCHAR", "is_deleted BOOLEAN", "family VARCHAR"}},
	{"LeadHistory", []string{"id VARCHAR", "created_date TIMESTAMP", "is_deleted BOOLEAN", "lead_id VARCHAR", "field VARCHAR",
		"old_value VARCHAR", "new_value VARCHAR"}},
	// A multi-currency org's exchange rates (fx.go); a single-currency org
	// has no rows, so nothing can be converted.
	{"CurrencyType", []string{"id VARCHAR", "iso_code VARCHAR", "conversion_rate DECIMAL(18,6)", "is_corporate BOOLEAN"}},
	{"DatedConversionRate", []string{"id VARCHAR", "iso_code VARCHAR", "conversion_rate DECIMAL(18,6)", "start_date DATE", "next_start_date DATE"}},
}

// OptionalObjects lists the CRM objects the generated SQL reads when
// Tables names them: an org without them (no snapshot) has no rows of
// them.
func OptionalObjects() []string {
	out := make([]string, len(optional))
	for i, o := range optional {
		out[i] = o.name
	}
	return out
}

// emptyRelation is a relation of no rows with an optional object's
// columns.
func emptyRelation(cols []string) string {
	sel := make([]string, len(cols))
	for i, c := range cols {
		name, typ, _ := strings.Cut(c, " ")
		sel[i] = "CAST(NULL AS " + typ + ") AS " + name
	}
	return "(SELECT " + strings.Join(sel, ", ") + " WHERE 1 = 0)"
}

// Columns of every generated query, in this order:
//
//	kpi, dimension, key, model VARCHAR ('' unless modeled),
//	value, num, den Int128 (millionths: every engine value has at most
//	kpi.RatioPlaces = 6 decimals; num and den NULL unless a quotient),
//	defined BOOLEAN.
//
// The rows are the engine's, key for key: every KPI for every dimension
// key the engine reports (a count of 0 and a ratio over nothing
// included), and nothing else. Values (rows.go) turns them into the
// engine's kpi.Values.
var Columns = []string{"kpi", "dimension", "key", "model", "value", "num", "den", "defined"}

// gen is one compilation: the configuration, the period in microseconds
// (events count when start <= t < end; state is known when t < asOf; qEnd is
// the quarter's end, nextEnd the next quarter's), the dialect and the
// tables.
type gen struct {
	cfg                               *kpi.Config
	p                                 kpi.Period
	d                                 Dialect
	t                                 Tables
	start, end, qEnd, nextEnd, asOf   int64
	startS, endS, qEndS, nextS, asOfS string // the same, as SQL literals
}

// A builder renders one KPI's rows: a SELECT of dimension, key, model,
// value, num, den, defined over the CTEs of ctes(). It returns "" when the
// KPI has no rows under this configuration.
type builder func(g *gen, def kpi.Definition) string

// builders holds each KPI's SQL, filled by the init of every file.
var builders = map[string]builder{}

func register(name string, b builder) {
	if _, dup := builders[name]; dup {
		panic("kpisql: two builders for KPI " + name)
	}
	builders[name] = b
}

// A measured KPI is a measure over a relation shared with the other
// measured KPIs of that relation, which the statement then reads once for
// all of them: "tl" (the tallies by dimension key) or "tg" (the targets of
// the quarter, which "cur", or of the next, "next", joined to the tallies
// of their key).
type measured struct {
	over, which string
	m           func(g *gen) measure
	when        func(g *gen) bool // nil: always reported
	// emit is a condition over the row (SQL) for the KPI to be reported at
	// all, which only the data decides (the retention reading under
	// auto); "" is always.
	emit string
}

var measures = map[string]measured{}

// A group renders the rows of several KPIs in one select (its first
// column is kpi), so they share one pass over what they read: the
// attribution and cost KPIs, whose splits Athena would otherwise compute
// once per KPI (a CTE is inlined at every reference).
type group struct {
	kpis []string
	b    func(g *gen) string
}

var groups = map[string]*group{}

func registerGroup(kpis []string, b func(g *gen) string) {
	gr := &group{kpis: kpis, b: b}
	for _, name := range kpis {
		if _, dup := groups[name]; dup || builders[name] != nil {
			panic("kpisql: two builders for KPI " + name)
		}
		if _, dup := measures[name]; dup {
			panic("kpisql: a group and a measure for KPI " + name)
		}
		groups[name] = gr
	}
}

// moreCTEs are CTEs files add to the shared ones (after them, so they may
// read every shared table).
var moreCTEs []func(g *gen) []cte

func registerMeasure(name string, m measured) {
	if _, dup := measures[name]; dup {
		panic("kpisql: two measures for KPI " + name)
	}
	if _, dup := builders[name]; dup {
		panic("kpisql: a builder and a measure for KPI " + name)
	}
	measures[name] = m
}

// Covered reports whether the generator has SQL for a catalog KPI.
func Covered(name string) bool {
	_, b := builders[name]
	_, m := measures[name]
	_, gr := groups[name]
	return b || m || gr
}

// Missing lists the catalog KPIs the generator has no SQL for, in catalog
// order.
func Missing() []string {
	var out []string
	for _, d := range kpi.Catalog() {
		if !Covered(d.Name) {
			out = append(out, d.Name)
		}
	}
	return out
}

// Compile renders the catalog (every KPI with a builder) for a
// configuration and period as one SELECT in the dialect, reading the
// tables. It is one statement because Athena runs one query at a time;
// the CTEs are the generator's shared tables.
func Compile(cfg *kpi.Config, p kpi.Period, d Dialect, t Tables) (string, error) {
	g, err := newGen(cfg, p, d, t)
	if err != nil {
		return "", err
	}
	return g.statement("KPI catalog", g.catalog()), nil
}

// newGen validates a compilation's input and prepares it.
func newGen(cfg *kpi.Config, p kpi.Period, d Dialect, t Tables) (*gen, error) {
	if cfg == nil {
		return nil, errors.New("kpisql: no configuration")
	}
	if p.Quarter.IsZero() || p.AsOf.IsZero() || p.AsOf.Before(p.Quarter.Start()) {
		return nil, fmt.Errorf("kpisql: period %s as of %s: an as-of at or after the quarter's start is required", p.Quarter, p.AsOf)
	}
	if p.Final && p.AsOf.Before(p.Quarter.End()) {
		return nil, fmt.Errorf("kpisql: %s: final figures need an as-of at or after the quarter end", p.Quarter)
	}
	for _, o := range objects {
		if strings.TrimSpace(t[o]) == "" {
			return nil, fmt.Errorf("kpisql: no table for %s", o)
		}
	}
	t = maps.Clone(t)
	for _, o := range optional {
		if strings.TrimSpace(t[o.name]) == "" {
			t[o.name] = emptyRelation(o.cols)
		}
	}
	g := &gen{cfg: cfg, p: p, d: d, t: t,
		start: p.Quarter.Start().UnixMicro(), qEnd: p.Quarter.End().UnixMicro(),
		nextEnd: p.Quarter.Next().End().UnixMicro(), asOf: p.AsOf.UnixMicro()}
	g.end = min(g.qEnd, g.asOf)
	g.startS, g.endS, g.qEndS, g.nextS, g.asOfS = fmt.Sprint(g.start), fmt.Sprint(g.end), fmt.Sprint(g.qEnd), fmt.Sprint(g.nextEnd), fmt.Sprint(g.asOf)
	return g, nil
}

// catalog is the selects of every KPI with SQL, to be joined by UNION ALL.
func (g *gen) catalog() []string {

	var parts []string
	type arm struct {
		kpi   string
		dims  []string
		m     measure
		which string
		emit  string
	}
	arms := map[string][]arm{}
	emitted := map[*group]bool{}
	for _, def := range kpi.Catalog() {
		if gr, ok := groups[def.Name]; ok {
			if !emitted[gr] {
				emitted[gr] = true
				if body := gr.b(g); body != "" {
					parts = append(parts, "SELECT kpi, dimension, key, model, value, num, den, defined FROM (\n"+body+"\n) AS k")
				}
			}
			continue
		}
		if m, ok := measures[def.Name]; ok {
			if ds := g.dims(def); len(ds) > 0 && (m.when == nil || m.when(g)) {
				arms[m.over] = append(arms[m.over], arm{def.Name, ds, m.m(g), m.which, m.emit})
			}
			continue
		}
		b, ok := builders[def.Name]
		if !ok {
			continue
		}
		body := b(g, def)
		if body == "" {
			continue
		}
		parts = append(parts, "SELECT "+lit(def.Name)+" AS kpi, dimension, key, model, value, num, den, defined FROM (\n"+body+"\n) AS k")
	}
	// The measured KPIs: one select per relation, its rows joined to the
	// (kpi, dimension) pairs they are reported for, each column a CASE
	// over the KPI.
	for _, over := range []string{"tl", "tg"} {
		as := arms[over]
		if len(as) == 0 {
			continue
		}
		var pairs []string
		col := func(f func(m measure) string) string {
			var b strings.Builder
			b.WriteString("CASE k.kpi")
			for _, a := range as {
				b.WriteString("\n\tWHEN " + lit(a.kpi) + " THEN " + f(a.m))
			}
			return b.String() + " END"
		}
		for _, a := range as {
			for _, d := range a.dims {
				if over == "tg" {
					pairs = append(pairs, "("+lit(a.kpi)+", "+lit(d)+", "+lit(a.which)+")")
				} else {
					pairs = append(pairs, "("+lit(a.kpi)+", "+lit(d)+")")
				}
			}
		}
		sel := "SELECT k.kpi, s.dimension, s.key, '' AS model,\n" + col(func(m measure) string { return m.value }) + " AS value,\n" +
			col(func(m measure) string { return m.num }) + " AS num,\n" + col(func(m measure) string { return m.den }) + " AS den,\n" +
			col(func(m measure) string { return m.defined }) + " AS defined\n"
		if over == "tl" {
			sel += "FROM tl AS s CROSS JOIN rsrc JOIN (VALUES " + strings.Join(pairs, ", ") + ") AS k(kpi, dimension) ON k.dimension = s.dimension"
		} else {
			sel += "FROM tg AS s LEFT JOIN tl ON tl.dimension = s.dimension AND tl.key = s.key\n" +
				"JOIN (VALUES " + strings.Join(pairs, ", ") + ") AS k(kpi, dimension, which) ON k.dimension = s.dimension AND k.which = s.which"
		}
		var emits []string
		for _, a := range as {
			if a.emit != "" {
				emits = append(emits, "\n\tWHEN "+lit(a.kpi)+" THEN "+a.emit)
			}
		}
		if len(emits) > 0 {
			sel += "\nWHERE CASE k.kpi" + strings.Join(emits, "") + "\n\tELSE TRUE END"
		}
		parts = append(parts, sel)
	}
	return parts
}

// statement is one WITH statement: the shared CTEs, then the parts joined
// by UNION ALL.
func (g *gen) statement(what string, parts []string) string {
	cfg, p := g.cfg, g.p
	var b strings.Builder
	b.WriteString("-- Venn " + what + ", generated by shared/kpisql (" + g.d.Name + "); do not edit.\n")
	fmt.Fprintf(&b, "-- definitions %s@v%d sha256 %s; %s as of %s (final %v)\n", cfg.Name, cfg.Version, cfg.Hash, p.Quarter, p.AsOf.UTC().Format("2006-01-02T15:04:05.000000Z"), p.Final)
	b.WriteString("WITH\n")
	ctes := g.ctes()
	for i, c := range ctes {
		sep := ",\n"
		if i == len(ctes)-1 {
			sep = "\n"
		}
		b.WriteString(c.name + " AS (\n" + strings.TrimSpace(c.sql) + "\n)" + sep)
	}
	b.WriteString(strings.Join(parts, "\nUNION ALL\n"))
	b.WriteString("\n")
	return b.String()
}

type cte struct{ name, sql string }

// in is the condition "at in [start, end)" for a microsecond instant.
func (g *gen) in(at string) string {
	return "(" + at + " >= " + g.startS + " AND " + at + " < " + g.endS + ")"
}

// inDay is in for a day number (a date at its midnight UTC).
func (g *gen) inDay(day string) string { return g.in("(" + day + ") * " + dayMicrosS) }

// between is "lo <= day's midnight < hi" for a day number.
func between(day string, lo, hi int64) string {
	t := "(" + day + ") * " + dayMicrosS
	return fmt.Sprintf("(%s >= %d AND %s < %d)", t, lo, t, hi)
}

const (
	dayMicros   = int64(86_400_000_000)
	hourMicros  = int64(3_600_000_000)
	dayMicrosS  = "86400000000"
	notDeleted  = "NOT coalesce(is_deleted, false)"
	millionthsS = "1000000"
)

func (g *gen) m(col string) string { return g.d.Micros(col) }

// dims is the dimensions a KPI is emitted for: its catalog dimensions the
// configuration selects.
func (g *gen) dims(def kpi.Definition) []string {
	var out []string
	for _, d := range def.Dimensions {
		if slices.Contains(g.cfg.Dimensions, d) {
			out = append(out, d)
		}
	}
	return out
}

// classSQL is the class of an opportunity row's type: the untyped class
// for a blank type, NULL for a type listed in no class.
func classSQL(cfg *kpi.Config, typ string) string {
	byClass := map[string][]string{}
	for t, c := range cfg.TypeClass {
		byClass[c] = append(byClass[c], t)
	}
	var b strings.Builder
	b.WriteString("CASE WHEN coalesce(" + typ + ", '') = '' THEN " + lit(cfg.Untyped))
	for _, c := range slices.Sorted(maps.Keys(byClass)) {
		b.WriteString(" WHEN " + typ + " IN " + list(slices.Sorted(slices.Values(byClass[c]))) + " THEN " + lit(c))
	}
	b.WriteString(" END")
	return b.String()
}

// oppState is every opportunity as known strictly before the instant at
// (docs/kpis.md §1, As-of state): the latest history row before it (ties:
// the greater history Id), else the snapshot's values; won and closed from
// the stage name when the state comes from history or the snapshot's flags
// are null; its amount in cents of the reporting currency (fx.go).
// Columns: id, created, created_day, lead_source, owner_id, account_id,
// campaign_id, contract_id, class, cur, amt (cents in cur), close_day,
// won, closed, cents.
func (g *gen) oppState(at string) string { return g.converted(g.oppStateRaw(at)) }

// oppStateRaw is oppState with the amount in its own currency.
func (g *gen) oppStateRaw(at string) string {
	cfg := g.cfg
	closing := slices.Concat(cfg.WonStages, cfg.LostStages)
	hist := "h.opportunity_id IS NOT NULL"
	flagsFromStage := "(" + hist + " OR o.is_won IS NULL OR o.is_closed IS NULL)"
	stage := "CASE WHEN " + hist + " THEN coalesce(h.stage_name, '') ELSE coalesce(o.stage_name, '') END"
	return `SELECT o.id, ` + g.m("o.created_date") + ` AS created, ` + day("CAST(o.created_date AS DATE)") + ` AS created_day,
	o.lead_source, o.owner_id, o.account_id, o.campaign_id, o.contract_id, ` + classSQL(cfg, "o.type") + ` AS class,
	coalesce(nullif(o.currency_iso_code, ''), ` + lit(cfg.Currency) + `) AS cur,
	CAST(coalesce(CASE WHEN ` + hist + ` THEN h.amount ELSE o.amount END, 0) * 100 AS BIGINT) AS amt,
	coalesce(` + day("CASE WHEN "+hist+" THEN coalesce(h.close_date, o.close_date) ELSE o.close_date END") + `, 0) AS close_day,
	CASE WHEN ` + flagsFromStage + ` THEN ` + stage + ` IN ` + list(cfg.WonStages) + ` ELSE o.is_won END AS won,
	CASE WHEN ` + flagsFromStage + ` THEN ` + stage + ` IN ` + list(closing) + ` ELSE (o.is_closed OR o.is_won) END AS closed
FROM ` + g.t["Opportunity"] + ` o
LEFT JOIN (
	SELECT opportunity_id, stage_name, amount, close_date,
		row_number() OVER (PARTITION BY opportunity_id ORDER BY ` + g.m("created_date") + ` DESC, id DESC) AS rn
	FROM ` + g.t["OpportunityHistory"] + `
	WHERE ` + notDeleted + ` AND ` + g.m("created_date") + ` < ` + at + `
) h ON h.opportunity_id = o.id AND h.rn = 1
WHERE NOT coalesce(o.is_deleted, false) AND ` + g.m("o.created_date") + ` < ` + at
}

// stageAt is a lead's raw stage instant (docs/kpis.md §2.1): the configured
// date column, else its creation when its status is a stage status.
func (g *gen) stageAt(s kpi.Stage) string {
	return "CASE WHEN " + s.DateField + " IS NOT NULL THEN " + g.m(s.DateField) + " WHEN status IN " + list(s.Statuses) + " THEN " + g.m("created_date") + " END"
}

// ctes are the shared tables of the catalog:
//
//	usr    user Id → team
//	acct   live account Id → segment, region
//	ld     leads known at the as-of instant with their stage instants as
//	       then known (mql, sql_at) and their k_* dimension keys
//	ost    opportunities known at the as-of instant, their as-of state
//	ost0   the same before the quarter; open0 its funnel opportunities
//	       open and due in the quarter
//	oppf   ost of a class, with the period's flags, k_* keys and active
//	       (it adds to a tally of the period)
//	lxh    the leads' Status changes into an exit status (leadexits.go);
//	lxt    whether any is known
//	lc     ld with the period's lead flags (c_lead, c_mql, …, cohort,
//	       c_disq, c_recy)
//	rs     the period's MQLs, the clock's start and first human response
//	mtg    the period's meetings with k_team, k_owner
//	rsrc…  the retention reading and the contract tables (retention.go)
//	tl     every additive tally by (dimension, key)
func (g *gen) ctes() []cte {
	cfg := g.cfg
	usrKeys := func(alias, owner string) string {
		return keyOf(alias+".team") + " AS k_team, " + keyOf(owner) + " AS k_owner"
	}
	out := []cte{
		{"usr", "SELECT id, team FROM " + g.t["User"]},
		{"acct", "SELECT id, segment, region FROM " + g.t["Account"] + " WHERE " + notDeleted},
		{"ldraw", `SELECT id, ` + g.m("created_date") + ` AS created, converted_opportunity_id AS conv, owner_id, segment, region, lead_source, status,
	` + g.stageAt(cfg.MQL) + ` AS mql_raw,
	` + g.stageAt(cfg.SQL) + ` AS sql_raw
FROM ` + g.t["Lead"] + `
WHERE ` + notDeleted + ` AND ` + g.m("created_date") + ` < ` + g.asOfS},
		{"ld", `SELECT r.id, r.created, r.conv, r.owner_id, r.lead_source, r.status,
	CASE WHEN r.mql_raw < ` + g.asOfS + ` THEN r.mql_raw END AS mql,
	CASE WHEN r.sql_raw < ` + g.asOfS + ` THEN r.sql_raw END AS sql_at,
	` + usrKeys("u", "r.owner_id") + `, ` + keyOf("r.segment") + ` AS k_segment, ` + keyOf("r.region") + ` AS k_region, ` + keyOf("r.lead_source") + ` AS k_channel
FROM ldraw r LEFT JOIN usr u ON u.id = r.owner_id`},
	}
	out = append(out, g.rateCTEs()...)
	out = append(out, []cte{
		{"ost", g.oppState(g.asOfS)},
		// The state known before the quarter: open_pipeline at its start
		// (pipeline_coverage_start).
		{"ost0", g.oppState(g.startS)},
		{"open0", `SELECT o.id, o.cents, ` + usrKeys("u", "o.owner_id") + `
FROM ost0 o LEFT JOIN usr u ON u.id = o.owner_id
WHERE o.class IN ` + list(cfg.FunnelClasses) + ` AND NOT o.closed AND ` + between("o.close_day", g.start, g.qEnd)},
		// The first converted lead (by lead Id) of each known opportunity.
		{"lead1", `SELECT conv, sql_at, lead_source FROM (
	SELECT conv, sql_at, lead_source, row_number() OVER (PARTITION BY conv ORDER BY id) AS rn
	FROM ld WHERE conv IN (SELECT id FROM ost)
) x WHERE rn = 1`},
		// Accounts with a renewal closing in the period: their won
		// expansions are expansion ARR.
		{"renacct", `SELECT DISTINCT account_id FROM ost
WHERE class = 'renewal' AND coalesce(account_id, '') <> '' AND ` + g.inDay("close_day")},
		{"opp", `SELECT o.*, l1.sql_at AS lead_sql,
	` + usrKeys("u", "o.owner_id") + `, ` + keyOf("a.segment") + ` AS k_segment, ` + keyOf("a.region") + ` AS k_region,
	` + keyOf("o.lead_source") + ` AS k_channel, ` + keyOf("o.campaign_id") + ` AS k_campaign,
	o.class IN ` + list(cfg.FunnelClasses) + ` AS fun,
	coalesce(coalesce(nullif(o.lead_source, ''), l1.lead_source) IN ` + list(cfg.MarketingLeadSources) + `, false) AS sourced,
	coalesce(o.account_id IN (SELECT account_id FROM renacct), false) AS renewal_account
FROM ost o LEFT JOIN usr u ON u.id = o.owner_id LEFT JOIN acct a ON a.id = o.account_id LEFT JOIN lead1 l1 ON l1.conv = o.id
WHERE o.class IS NOT NULL`},
		// active: the opportunity adds to some tally of the period, which
		// is what puts its keys among the reported ones (the engine skips
		// the others).
		{"oppf", `SELECT x.*,
	c_created OR c_closed OR c_renew OR c_open OR ((c_exp OR c_open_next) AND cents <> 0)
		OR coalesce(x.id IN (SELECT id FROM open0 WHERE cents <> 0), false) AS active
FROM (SELECT opp.*,
	fun AND ` + g.in("created") + ` AS c_created,
	fun AND closed AND ` + g.inDay("close_day") + ` AS c_closed,
	fun AND closed AND won AND ` + g.inDay("close_day") + ` AS c_won,
	fun AND closed AND NOT won AND ` + g.inDay("close_day") + ` AS c_lost,
	fun AND NOT closed AND ` + between("close_day", g.start, g.qEnd) + ` AS c_open,
	fun AND NOT closed AND ` + between("close_day", g.qEnd, g.nextEnd) + ` AS c_open_next,
	CASE WHEN fun AND ` + g.in("created") + ` AND lead_sql <= created THEN created - lead_sql END AS sql_opp_us,
	close_day - created_day AS days,
	class = 'renewal' AND ` + g.inDay("close_day") + ` AS c_renew,
	class = 'expansion' AND won AND ` + g.inDay("close_day") + ` AND renewal_account AS c_exp
FROM opp) AS x`},
	}...)
	out = append(append(out, g.leadExitCTEs()...), cte{"lc", g.leadFlags()})
	out = append(out, g.retentionCTEs()...)
	out = append(out, g.responseCTEs()...)
	out = append(out, cte{"mtg", `SELECT ` + usrKeys("u", "k.owner_id") + `
FROM ` + g.t["Task"] + ` k LEFT JOIN usr u ON u.id = k.owner_id
WHERE NOT coalesce(k.is_deleted, false) AND k.type IN ` + list(cfg.MeetingTaskTypes) + ` AND ` + g.m("k.created_date") + ` < ` + g.asOfS + `
	AND ` + g.inDay("coalesce("+day("k.activity_date")+", "+day("CAST(k.created_date AS DATE)")+")")})
	out = append(out, g.targetsCTE(), g.tallyCTE())
	out = append(out, g.stageCTEs()...)
	for _, more := range moreCTEs {
		out = append(out, more(g)...)
	}
	return out
}

// leadFlags is lc: each known lead with its counts of the period and its
// cohort stages under funnel.cohort. Under nested a lead counts at a stage
// only after every earlier one; non_nested counts a stage reached when a
// later one was (a converted lead reached SQL and MQL).
func (g *gen) leadFlags() string {
	cfg := g.cfg
	cmql, csql, copp := "mql IS NOT NULL", "mql IS NOT NULL AND sql_at IS NOT NULL", "mql IS NOT NULL AND sql_at IS NOT NULL AND conv_known"
	if cfg.Cohort != kpi.CohortNested {
		cmql, csql, copp = "(mql IS NOT NULL OR sql_at IS NOT NULL OR conv_known)", "(sql_at IS NOT NULL OR conv_known)", "conv_known"
	}
	return `SELECT x.*,
	c_lead AND ` + cmql + ` AS c_cmql, c_lead AND ` + csql + ` AS c_csql,
	c_lead AND ` + copp + ` AS c_copp, c_lead AND ` + copp + ` AND conv_won AS c_cwon,
	` + exitFlags(cfg) + `
FROM (
	SELECT ld.*, ` + g.in("ld.created") + ` AS c_lead,
		ld.mql IS NOT NULL AND ` + g.in("ld.mql") + ` AS c_mql,
		ld.sql_at IS NOT NULL AND ` + g.in("ld.sql_at") + ` AS c_sql,
		o.id IS NOT NULL AS conv_known, coalesce(o.won, false) AS conv_won, h.x_disq, h.x_recy, lxt.tracked
	FROM ld LEFT JOIN ost o ON o.id = ld.conv LEFT JOIN lxh h ON h.lead_id = ld.id CROSS JOIN lxt
) x`
}

// responseCTEs are mq and rs: the period's MQLs and their first human
// response (docs/kpis.md §2.9): a live task on the lead of a response
// type, made at or after the clock's start and before the as-of instant by
// a responder (the creator, else the owner) who is a person: not blank, not
// a queue (00G), not excluded by Id, profile or user type. A lead owned by
// a queue has nobody to answer it and waits.
func (g *gen) responseCTEs() []cte {
	r := g.cfg.Response
	clock := "mql"
	if r.ClockStart == kpi.ClockLeadCreated {
		clock = "created"
	}
	responder := "k.owner_id"
	if r.Responder == kpi.ResponderCreatedBy {
		responder = "coalesce(nullif(k.created_by_id, ''), k.owner_id)"
	}
	sla := fmt.Sprint(int64(r.SLAHours) * hourMicros)
	return []cte{
		{"mq", `SELECT ld.*, ` + clock + ` AS clock, starts_with(k_owner, '00G') AS queued
FROM ld WHERE mql IS NOT NULL AND ` + g.in("mql")},
		// The first response; ties of instant go to the smaller responder
		// Id (the engine's rule, for the response rows).
		{"reply", `SELECT x.id, x.at AS first, x.who AS responder FROM (
SELECT q.id, t.at, t.who, row_number() OVER (PARTITION BY q.id ORDER BY t.at, t.who) AS rn
FROM mq q JOIN (
	SELECT k.who_id, ` + g.m("k.created_date") + ` AS at, ` + responder + ` AS who
	FROM ` + g.t["Task"] + ` k
	WHERE NOT coalesce(k.is_deleted, false) AND k.type IN ` + list(r.TaskTypes) + ` AND ` + g.m("k.created_date") + ` < ` + g.asOfS + `
) t ON t.who_id = q.id
LEFT JOIN ` + g.t["User"] + ` u ON u.id = t.who
WHERE NOT q.queued AND t.at >= q.clock AND coalesce(t.who, '') <> '' AND NOT starts_with(t.who, '00G')
	AND NOT coalesce(t.who IN ` + list(slices.Sorted(maps.Keys(r.ExcludeUsers))) + `, false)
	AND NOT coalesce(u.profile_id IN ` + list(slices.Sorted(maps.Keys(r.ExcludeProfiles))) + `, false)
	AND NOT coalesce(u.user_type IN ` + list(r.ExcludeUserTypes) + `, false)
) x WHERE rn = 1`},
		// A deadline passes when the as-of instant is after it.
		{"rs", `SELECT mq.*, reply.first, reply.responder, reply.first - mq.clock AS resp,
	reply.first IS NOT NULL AND reply.first <= mq.clock + ` + sla + ` AS met,
	reply.first IS NOT NULL OR mq.clock + ` + sla + ` < ` + g.asOfS + ` AS due,
	` + g.slaBreach("reply.first", "(mq.clock + "+sla+")") + ` AS breach_us
FROM mq LEFT JOIN reply ON reply.id = mq.id`},
	}
}

// slaBreach is an MQL's microseconds past its SLA deadline (docs/kpis.md
// §2.9, "How long the breaches waited"), NULL when it did not breach:
// answered late, the first response − the deadline; unanswered with the
// deadline passed, the as-of instant − the deadline (a parenthesised
// expression).
func (g *gen) slaBreach(first, deadline string) string {
	return "CASE WHEN " + first + " > " + deadline + " THEN " + first + " - " + deadline +
		" WHEN " + first + " IS NULL AND " + deadline + " < " + g.asOfS + " THEN " + g.asOfS + " - " + deadline + " END"
}
