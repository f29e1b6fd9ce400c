package kpicheck

import (
	"database/sql"
	_ "embed"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/kpi"
)

// The whole-catalog cross-check: every KPI of kpi.Catalog() has one SQL
// query, written from docs/kpis.md (not from the engine's code), that
// computes all its values (every configured dimension and key, every model
// of a modeled KPI) from the lake files. CheckCatalog runs them all and
// compares each value with the engine's exactly.
//
// Adding a KPI: register its query in an init of the area's own file
// (catalog_sql_<area>.go), e.g.
//
//	func init() {
//		register("lost_amount", func(q *Q) string {
//			return q.FromTally(Amount("lost_cents"))
//		})
//	}
//
// TestEveryCatalogKPIHasSQL fails, naming the KPI, until a catalog KPI has
// its query. A query may read the object views (v_lead, v_opportunity, …),
// the shared temp tables (see prepareCatalog) and tables of its own
// declared with registerTable.
//
// The row contract of a query: columns
//
//	dimension VARCHAR, key VARCHAR, model VARCHAR ('' unless modeled),
//	value HUGEINT, num HUGEINT, den HUGEINT, defined BOOLEAN
//
// with value, num and den in millionths (×10⁶: every engine value has at
// most kpi.RatioPlaces = 6 decimals), num and den NULL for a KPI that is no
// quotient (counts, amounts, targets). Count, Amount, Ratio and Mean build
// that select list. A query may leave out keys whose value is the empty
// one (0 for counts and amounts, undefined for quotients): the comparison
// treats a row missing on either side as that.

// Q is what a KPI's query is written against: the configuration, the
// period in microseconds (events count when Start <= t < End; state is
// known when t < AsOf; QEnd is the quarter's end) and the KPI itself.
type Q struct {
	Cfg                    *kpi.Config
	P                      kpi.Period
	Start, End, QEnd, AsOf int64
	KPI                    kpi.Definition
}

func newQ(cfg *kpi.Config, p kpi.Period) *Q {
	q := &Q{Cfg: cfg, P: p, Start: p.Quarter.Start().UnixMicro(), QEnd: p.Quarter.End().UnixMicro(), AsOf: p.AsOf.UnixMicro()}
	q.End = min(q.QEnd, q.AsOf)
	return q
}

// Dims is the SQL list of the dimensions the KPI is emitted for: its
// catalog dimensions that the configuration selects.
func (q *Q) Dims() string {
	var ds []string
	for _, d := range q.KPI.Dimensions {
		if slices.Contains(q.Cfg.Dimensions, d) {
			ds = append(ds, d)
		}
	}
	return list(ds)
}

// List renders strings as a SQL list literal ('a', 'b').
func (q *Q) List(ss []string) string { return list(ss) }

// In is the SQL condition "at in [Start, End)" for a microsecond instant.
func (q *Q) In(at string) string {
	return fmt.Sprintf("(%s >= %d AND %s < %d)", at, q.Start, at, q.End)
}

// InDay is In for a day number (days since 1970-01-01, a date at its
// midnight UTC).
func (q *Q) InDay(day string) string { return q.In("(" + day + ") * 86400000000") }

// FromTally selects cols (Count, Amount, Ratio, Mean …) from the shared
// tally table tl, one row per dimension key of the KPI's dimensions.
func (q *Q) FromTally(cols string) string {
	return "SELECT dimension, key, '' AS model, " + cols + " FROM tl WHERE dimension IN " + q.Dims()
}

// Count is the select list of a count.
func Count(n string) string {
	return "CAST(" + n + " AS HUGEINT) * 1000000 AS value, NULL AS num, NULL AS den, TRUE AS defined"
}

// Amount is the select list of an amount in cents.
func Amount(cents string) string {
	return "CAST(" + cents + " AS HUGEINT) * 10000 AS value, NULL AS num, NULL AS den, TRUE AS defined"
}

// Ratio is the select list of num ÷ den rounded half away from zero to
// six places; scale brings num and den to millionths (1000000 for counts,
// 10000 for cents). A zero denominator is undefined, value 0.
func Ratio(num, den string, scale int64) string {
	return fmt.Sprintf(`CASE WHEN (%[2]s) = 0 THEN 0 ELSE rdiv(CAST(%[1]s AS HUGEINT) * 1000000, CAST(%[2]s AS HUGEINT)) END AS value,
		CAST(%[1]s AS HUGEINT) * %[3]d AS num, CAST(%[2]s AS HUGEINT) * %[3]d AS den, (%[2]s) <> 0 AS defined`, num, den, scale)
}

// Mean is the select list of a mean duration: total microseconds over n
// items in units of unitMicros (a day, an hour), rounded to six places;
// the numerator is the total in those units (rounded to six places), the
// denominator n.
func Mean(micros, n string, unitMicros int64) string {
	return fmt.Sprintf(`CASE WHEN (%[2]s) = 0 THEN 0 ELSE rdiv(CAST(%[1]s AS HUGEINT) * 1000000, CAST(%[2]s AS HUGEINT) * %[3]d) END AS value,
		rdiv(CAST(%[1]s AS HUGEINT) * 1000000, %[3]d) AS num, CAST(%[2]s AS HUGEINT) * 1000000 AS den, (%[2]s) <> 0 AS defined`, micros, n, unitMicros)
}

const (
	dayMicros  = 86_400_000_000
	hourMicros = 3_600_000_000
)

// catalogSQL holds each KPI's query, filled by the init of every
// catalog_sql_*.go file.
var catalogSQL = map[string]func(q *Q) string{}

func register(name string, query func(q *Q) string) {
	if _, dup := catalogSQL[name]; dup {
		panic("kpicheck: two queries for KPI " + name)
	}
	catalogSQL[name] = query
}

// extraTables are temp tables some KPI queries share beyond the ones
// prepareCatalog builds, created after them in registration order.
var extraTables []struct {
	name  string
	query func(q *Q) string
}

// registerTable declares a temp table (CREATE OR REPLACE TEMP TABLE name
// AS query) built before the KPI queries run.
func registerTable(name string, query func(q *Q) string) {
	extraTables = append(extraTables, struct {
		name  string
		query func(q *Q) string
	}{name, query})
}

// Mismatch is one value on which the engine and the SQL disagree.
type Mismatch struct {
	KPI, Dimension, Key, Model string
	Venn, Duck                 string
}

func (m Mismatch) String() string {
	model := ""
	if m.Model != "" {
		model = " [" + m.Model + "]"
	}
	return fmt.Sprintf("%s %s=%s%s: venn %s, duck %s", m.KPI, m.Dimension, m.Key, model, m.Venn, m.Duck)
}

// CatalogReport is the outcome of CheckCatalog.
type CatalogReport struct {
	Values     int            // values compared (the union of both sides)
	PerKPI     map[string]int // values compared per KPI
	NonZero    map[string]int // engine values defined and not zero, per KPI
	Unchecked  []string       // catalog KPIs without a query, not compared
	Mismatches []Mismatch     // sorted by KPI, dimension, key, model
}

// figure is one value on either side, in millionths.
type figure struct {
	value, num, den decimal.Decimal
	quotient        bool
	defined         bool
}

func (f figure) String() string {
	if !f.defined {
		return fmt.Sprintf("undefined (%s/%s)", f.num.Shift(-6), f.den.Shift(-6))
	}
	if f.quotient {
		return fmt.Sprintf("%s (%s/%s)", f.value.Shift(-6), f.num.Shift(-6), f.den.Shift(-6))
	}
	return f.value.Shift(-6).String()
}

// empty is the figure of a key a side left out: 0 for counts and amounts,
// undefined over nothing for quotients.
func empty(quotient bool) figure {
	return figure{quotient: quotient, defined: !quotient}
}

func (f figure) equal(g figure) bool {
	if f.defined != g.defined || f.quotient != g.quotient || !f.num.Equal(g.num) || !f.den.Equal(g.den) {
		return false
	}
	return !f.defined || f.value.Equal(g.value)
}

type valueKey struct{ kpi, dim, key, model string }

// prepareCatalog creates the helper macros and the shared temp tables the
// KPI queries read (see catalog_sql_tables.go), then the registered extra
// tables.
func prepareCatalog(db *sql.DB, q *Q) error {
	for _, s := range append(baseTables(q.Cfg, q.P), catalogTables(q)...) {
		t0 := time.Now()
		if _, err := db.Exec(s); err != nil {
			return fmt.Errorf("duckdb: %w\n%s", err, s)
		}
		timing(s, t0)
	}
	for _, t := range extraTables {
		s := "CREATE OR REPLACE TEMP TABLE " + t.name + " AS " + t.query(q)
		t0 := time.Now()
		if _, err := db.Exec(s); err != nil {
			return fmt.Errorf("duckdb table %s: %w\n%s", t.name, err, s)
		}
		timing(s, t0)
	}
	return nil
}

// Figures are the catalog's values as DuckCatalog computes them.
type Figures map[valueKey]figure

// timing logs a statement's wall time when KPICHECK_TIMING is set: the
// catalog SQL is many statements, and one slow join hides among them.
func timing(stmt string, t0 time.Time) {
	if os.Getenv("KPICHECK_TIMING") == "" {
		return
	}
	head, _, _ := strings.Cut(strings.TrimSpace(stmt), "\n")
	fmt.Fprintf(os.Stderr, "%7.2fs  %.90s\n", time.Since(t0).Seconds(), head)
}

// DuckCatalog computes every catalog KPI's values in SQL over the views
// CreateViews made. A KPI without a query is left out (CompareCatalog
// reports it in Unchecked).
func DuckCatalog(db *sql.DB, cfg *kpi.Config, p kpi.Period) (Figures, error) {
	q := newQ(cfg, p)
	if err := prepareCatalog(db, q); err != nil {
		return nil, err
	}
	out := Figures{}
	for _, d := range kpi.Catalog() {
		query, ok := catalogSQL[d.Name]
		if !ok {
			continue // TestEveryCatalogKPIHasSQL names it; its values are not compared
		}
		q.KPI = d
		text := query(q)
		t0 := time.Now()
		rows, err := db.Query(`SELECT dimension, key, coalesce(model, ''), CAST(value AS VARCHAR), CAST(num AS VARCHAR), CAST(den AS VARCHAR), defined FROM (` + text + `)`)
		if err != nil {
			return nil, fmt.Errorf("duckdb %s: %w\n%s", d.Name, err, text)
		}
		err = func() error {
			defer rows.Close()
			for rows.Next() {
				var k valueKey
				var v string
				var n, dn sql.NullString
				var f figure
				if err := rows.Scan(&k.dim, &k.key, &k.model, &v, &n, &dn, &f.defined); err != nil {
					return err
				}
				k.kpi = d.Name
				f.quotient = n.Valid
				var err error
				if f.value, err = decimal.NewFromString(v); err != nil {
					return err
				}
				if f.quotient {
					if f.num, err = decimal.NewFromString(n.String); err != nil {
						return err
					}
					if f.den, err = decimal.NewFromString(dn.String); err != nil {
						return err
					}
				}
				if _, dup := out[k]; dup {
					return fmt.Errorf("two rows for %s %s=%s [%s]", k.kpi, k.dim, k.key, k.model)
				}
				out[k] = f
			}
			return rows.Err()
		}()
		if err != nil {
			return nil, fmt.Errorf("duckdb %s: %w", d.Name, err)
		}
		timing("KPI "+d.Name, t0)
	}
	return out, nil
}

// engineFigures indexes the engine's values in millionths.
func engineFigures(values []kpi.Value) map[valueKey]figure {
	out := make(map[valueKey]figure, len(values))
	for _, v := range values {
		out[valueKey{v.KPI, v.Dimension, v.Key, v.Model}] = figure{
			value: v.Value.Shift(6), num: v.Numerator.Shift(6), den: v.Denominator.Shift(6),
			quotient: v.Quotient, defined: v.Defined,
		}
	}
	return out
}

// CheckCatalog computes the whole catalog in SQL and compares it with
// the engine's result for the same configuration and period
// (CompareCatalog).
func CheckCatalog(db *sql.DB, cfg *kpi.Config, p kpi.Period, res *kpi.Result) (CatalogReport, error) {
	duck, err := DuckCatalog(db, cfg, p)
	if err != nil {
		return CatalogReport{}, err
	}
	return CompareCatalog(res.Values, duck), nil
}

// CompareCatalog compares every value of the union of both sides: value,
// numerator and denominator exactly, defined or not. The KPIs without a
// query are left out and listed in Unchecked.
func CompareCatalog(values []kpi.Value, duck Figures) CatalogReport {
	return compareCovered(values, duck, func(name string) bool { _, ok := catalogSQL[name]; return ok }, false)
}

// compareCovered compares the values of the KPIs covered says the other
// side computes; the others are listed in Unchecked. Strict: a row on one
// side only is a mismatch even when its value is the empty one.
func compareCovered(values []kpi.Value, other map[valueKey]figure, covered func(kpi string) bool, strict bool) CatalogReport {
	venn := engineFigures(values)
	var unchecked []string
	for _, d := range kpi.Catalog() {
		if !covered(d.Name) {
			unchecked = append(unchecked, d.Name)
			for k := range venn {
				if k.kpi == d.Name {
					delete(venn, k)
				}
			}
		}
	}
	rep := compareCatalog(venn, other, strict)
	rep.Unchecked = unchecked
	return rep
}

func compareCatalog(venn, duck map[valueKey]figure, strict bool) CatalogReport {
	rep := CatalogReport{PerKPI: map[string]int{}, NonZero: map[string]int{}}
	keys := map[valueKey]bool{}
	for k := range venn {
		keys[k] = true
	}
	for k := range duck {
		keys[k] = true
	}
	for k := range keys {
		v, vok := venn[k]
		d, dok := duck[k]
		if !vok {
			v = empty(d.quotient)
		}
		if !dok {
			d = empty(v.quotient)
		}
		rep.Values++
		rep.PerKPI[k.kpi]++
		if v.defined && !v.value.IsZero() {
			rep.NonZero[k.kpi]++
		}
		if !v.equal(d) || (strict && (!vok || !dok)) {
			venn, duck := v.String(), d.String()
			if !vok {
				venn = "none"
			}
			if !dok {
				duck = "none"
			}
			rep.Mismatches = append(rep.Mismatches, Mismatch{k.kpi, k.dim, k.key, k.model, venn, duck})
		}
	}
	order := map[string]int{}
	for i, d := range kpi.Catalog() {
		order[d.Name] = i
	}
	slices.SortFunc(rep.Mismatches, func(a, b Mismatch) int {
		if c := order[a.KPI] - order[b.KPI]; c != 0 {
			return c
		}
		return strings.Compare(a.Dimension+"\x00"+a.Key+"\x00"+a.Model, b.Dimension+"\x00"+b.Key+"\x00"+b.Model)
	})
	return rep
}

// Summary is the first max mismatches, one a line, and the count of the
// rest.
func (r CatalogReport) Summary(max int) string {
	var b strings.Builder
	for i, m := range r.Mismatches {
		if i == max {
			fmt.Fprintf(&b, "… and %d more\n", len(r.Mismatches)-max)
			break
		}
		b.WriteString(m.String() + "\n")
	}
	return b.String()
}

//go:embed testdata/variant.yaml
var variantYAML []byte

// VariantConfig is testdata/variant.yaml: the default definitions with
// every choice changed that the catalog check should cover (windows,
// weights, touch instant, rounding, lead-creation pick, cohort rule, SLA,
// task types, classes, dimensions).
func VariantConfig() (*kpi.Config, error) { return kpi.LoadConfig("variant.yaml", variantYAML) }
