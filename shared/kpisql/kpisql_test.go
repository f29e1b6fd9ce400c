package kpisql

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/period"
)

// notYetGenerated are the catalog KPIs the generator has no SQL for yet
// (none). The Athena path refuses to run
// while any is left (athenakpi), since its gold would lack them. The list
// may only shrink: a KPI added to the catalog without SQL fails here, by
// name, and so does a KPI listed here that has SQL.
var notYetGenerated = []string{}

func TestEveryCatalogKPIHasGeneratedSQL(t *testing.T) {
	for _, d := range kpi.Catalog() {
		switch {
		case !Covered(d.Name) && !slices.Contains(notYetGenerated, d.Name):
			t.Errorf("catalog KPI %s has no generated SQL: register a builder in shared/kpisql", d.Name)
		case Covered(d.Name) && slices.Contains(notYetGenerated, d.Name):
			t.Errorf("%s has generated SQL now: take it off notYetGenerated", d.Name)
		}
	}
	for name := range builders {
		if _, ok := kpi.Lookup(name); !ok {
			t.Errorf("builder registered for %s, which is not in the catalog", name)
		}
	}
	if got := Missing(); !slices.Equal(got, notYetGenerated) {
		t.Errorf("Missing() = %v, want %v", got, notYetGenerated)
	}
}

func tables() Tables {
	t := Tables{}
	for _, o := range Objects() {
		t[o] = "t_" + strings.ToLower(o)
	}
	return t
}

var q3 = kpi.Period{Quarter: period.MustParse("2026Q3"), AsOf: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Final: true}

func TestCompileRejectsBadInput(t *testing.T) {
	cfg := kpi.DefaultConfig()
	noLead := tables()
	delete(noLead, "Lead")
	for _, c := range []struct {
		name string
		cfg  *kpi.Config
		p    kpi.Period
		t    Tables
		want string
	}{
		{"no config", nil, q3, tables(), "no configuration"},
		{"no as-of", cfg, kpi.Period{Quarter: q3.Quarter}, tables(), "as-of"},
		{"as-of before the quarter", cfg, kpi.Period{Quarter: q3.Quarter, AsOf: q3.Quarter.Start().Add(-time.Second)}, tables(), "as-of"},
		{"final before the end", cfg, kpi.Period{Quarter: q3.Quarter, AsOf: q3.Quarter.Start(), Final: true}, tables(), "final"},
		{"a table missing", cfg, q3, noLead, "no table for Lead"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Compile(c.cfg, c.p, DuckDB, c.t)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one naming %q", err, c.want)
			}
		})
	}
}

// TestDialectsDifferOnlyWhereDocumented: the two renderings of the same
// catalog differ only in the Dialect's expressions (wide type, rounded and
// integer division, timestamp reading), so a construct one engine lacks
// cannot slip into the shared text.
func TestDialectsDifferOnlyWhereDocumented(t *testing.T) {
	cfg := kpi.DefaultConfig()
	duck, err := Compile(cfg, q3, DuckDB, tables())
	if err != nil {
		t.Fatal(err)
	}
	trino, err := Compile(cfg, q3, Trino, tables())
	if err != nil {
		t.Fatal(err)
	}
	for _, dialectOnly := range []string{"HUGEINT", "epoch_us(", "//", "QUALIFY", "GROUP BY ALL", "EXCLUDE", "any_value(", "FILTER (", "::"} {
		if strings.Contains(trino, dialectOnly) {
			t.Errorf("Trino SQL uses %q", dialectOnly)
		}
	}
	for _, trinoOnly := range []string{"DECIMAL(38,0)", "'millisecond'"} {
		if strings.Contains(duck, trinoOnly) {
			t.Errorf("DuckDB SQL uses %q", trinoOnly)
		}
	}
	if strings.Count(duck, "UNION ALL") != strings.Count(trino, "UNION ALL") {
		t.Error("the dialects render a different number of parts")
	}
}

func ptr(s string) *string { return &s }

func TestValues(t *testing.T) {
	cfg := kpi.DefaultConfig()
	got, err := Values(cfg, []Row{
		{KPI: "win_rate", Dimension: "org", Key: "all", Value: "714286", Num: ptr("5000000"), Den: ptr("7000000"), Defined: true},
		{KPI: "bookings", Dimension: "org", Key: "all", Value: "13000000000", Defined: true},
		{KPI: "leads", Dimension: "org", Key: "all", Value: "4000000", Defined: true},
		{KPI: "conv_mql_sql", Dimension: "team", Key: "East", Value: "0", Num: ptr("0"), Den: ptr("0"), Defined: false},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"leads org=all 4 count  q=false", "bookings org=all 13000 currency USD q=false", "win_rate org=all 0.714286 ratio  q=true 5/7", "conv_mql_sql team=East 0 ratio  q=true 0/0 undefined"}
	var have []string
	for _, v := range got {
		s := v.KPI + " " + v.Dimension + "=" + v.Key + " " + v.Value.String() + " " + v.Unit + " " + v.Currency + " q=" + map[bool]string{true: "true", false: "false"}[v.Quotient]
		if v.Quotient {
			s += " " + v.Numerator.String() + "/" + v.Denominator.String()
		}
		if !v.Defined {
			s += " undefined"
		}
		have = append(have, s)
	}
	if strings.Join(have, "\n") != strings.Join(want, "\n") {
		t.Errorf("values:\n%s\nwant:\n%s", strings.Join(have, "\n"), strings.Join(want, "\n"))
	}
	for _, bad := range []struct {
		row  Row
		want string
	}{
		{Row{KPI: "nope", Value: "0"}, "not in the catalog"},
		{Row{KPI: "leads", Value: "1.5"}, "whole number"},
		{Row{KPI: "leads", Value: "x"}, "value"},
		{Row{KPI: "win_rate", Value: "0", Num: ptr("1")}, "both"},
	} {
		if _, err := Values(cfg, []Row{bad.row}); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%+v: err = %v, want %q", bad.row, err, bad.want)
		}
	}
	if _, err := Values(cfg, []Row{{KPI: "leads", Dimension: "org", Key: "all", Value: "1"}, {KPI: "leads", Dimension: "org", Key: "all", Value: "1"}}); err == nil || !strings.Contains(err.Error(), "two rows") {
		t.Errorf("duplicate: err = %v", err)
	}
}
