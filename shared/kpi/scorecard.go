package kpi

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/money"
)

// scorecardSections orders the owners: marketing and sales side by side on
// one page, with the KPIs both teams answer for in the joint section.
var scorecardSections = []struct{ title, owner string }{
	{"Marketing", OwnerMarketing},
	{"Shared (marketing + sales)", OwnerShared},
	{"Sales", OwnerSales},
}

// WriteScorecard renders cur (the quarter to date) against prev (the same
// point of the previous quarter, see period.Quarter.SamePointIn) for each
// key of the given dimensions (org when none are given): one aligned table
// per key, KPIs grouped by owner, influenced KPIs one line per model.
// prev may be nil (no comparison column). Money uses money.Format, ratios
// are shown as percentages and deltas of ratios in percentage points.
func WriteScorecard(w io.Writer, cur, prev *Result, dims ...string) error {
	if cur == nil {
		return fmt.Errorf("scorecard: no current result")
	}
	if len(dims) == 0 {
		dims = []string{DimOrg}
	}
	fmt.Fprintf(w, "Venn scorecard %s as of %s", cur.Quarter, cur.AsOf.Format("2006-01-02 15:04 UTC"))
	if cur.Final {
		fmt.Fprint(w, " (final)")
	}
	if prev != nil {
		fmt.Fprintf(w, " vs %s as of %s", prev.Quarter, prev.AsOf.Format("2006-01-02 15:04 UTC"))
	}
	fmt.Fprintf(w, "\ndefinitions %s (sha256 %.12s)\n", cur.ConfigVersion, cur.ConfigHash)
	if cur.RetentionSource != "" {
		fmt.Fprintf(w, "renewals and retention read from %s\n", strings.ReplaceAll(string(cur.RetentionSource), "_", " "))
	}
	if cur.LeadExitSource != "" {
		fmt.Fprintf(w, "lead exits read from %s\n", strings.ReplaceAll(string(cur.LeadExitSource), "_", " "))
	}
	for _, dim := range dims {
		var keys []string
		for _, v := range cur.Values {
			if v.Dimension == dim && !slices.Contains(keys, v.Key) {
				keys = append(keys, v.Key)
			}
		}
		slices.Sort(keys)
		for _, key := range keys {
			if err := writeKeyTable(w, cur, prev, dim, key); err != nil {
				return err
			}
		}
	}
	_, err := fmt.Fprintln(w)
	return err
}

type scoreLine struct{ name, cur, prev, change string }

// writeKeyTable prints one dimension key: names left-aligned, figures
// right-aligned in fixed columns.
func writeKeyTable(w io.Writer, cur, prev *Result, dim, key string) error {
	var lines []scoreLine
	width := len("Shared (marketing + sales)")
	for _, sec := range scorecardSections {
		header := false
		for _, s := range specs {
			if s.Owner != sec.owner {
				continue
			}
			models, collapsed := modelsOf(s.Definition, cur), false
			if len(models) > 1 && sameAcrossModels(cur, prev, s.Name, dim, key, models) {
				// Every model distributes 100% of each amount, so a total
				// over all campaigns (the org line) is the same under each:
				// one line says so instead of six identical ones.
				models, collapsed = models[:1], true
			}
			for _, model := range models {
				c, ok := cur.Get(s.Name, dim, key, model)
				if !ok {
					continue
				}
				if !header {
					lines = append(lines, scoreLine{sec.title, "this quarter", prevLabel(cur, prev), "change"})
					header = true
				}
				name := "  " + s.Name
				switch {
				case collapsed:
					name += " [every model]"
				case model != "":
					name += " [" + model + "]"
				}
				width = max(width, len(name))
				pv, pok := Value{}, false
				if prev != nil {
					pv, pok = prev.Get(s.Name, dim, key, model)
				}
				lines = append(lines, scoreLine{name, show(c), showPrev(pv, pok), delta(c, pv, pok)})
			}
		}
	}
	if _, err := fmt.Fprintf(w, "\n== %s: %s ==\n", dim, key); err != nil {
		return err
	}
	for _, l := range lines {
		line := fmt.Sprintf("%-*s %16s %18s %14s", width, l.name, l.cur, l.prev, l.change)
		if _, err := fmt.Fprintln(w, strings.TrimRight(line, " ")); err != nil {
			return err
		}
	}
	return nil
}

func modelsOf(d Definition, r *Result) []string {
	if !d.Modeled {
		return []string{""}
	}
	var out []string
	for _, m := range Models {
		if _, ok := r.Get(d.Name, DimOrg, KeyAll, m); ok {
			out = append(out, m)
		}
	}
	return out
}

var hundred = decimal.NewFromInt(100)

func format(kpi, unit string, d decimal.Decimal, signed bool) string {
	sign := ""
	if signed && d.IsPositive() {
		sign = "+"
	}
	switch unit {
	case UnitCurrency:
		return sign + money.Format(d)
	case UnitRatio:
		if strings.HasPrefix(kpi, "pipeline_coverage") || strings.HasSuffix(kpi, "_per_spend") {
			return sign + d.StringFixed(2) + "x"
		}
		if signed {
			return sign + d.Mul(hundred).StringFixed(1) + " pp"
		}
		return d.Mul(hundred).StringFixed(1) + "%"
	case UnitDays, UnitHours:
		return sign + d.StringFixed(1)
	default:
		return sign + d.String()
	}
}

// Display formats a value as every scorecard shows it: money with
// money.Format, ratios as percentages (coverage and return as multiples),
// days and hours to one place, n/a when undefined.
func Display(v Value) string { return show(v) }

// Change formats cur − prev as the scorecards show it (percentage points
// for ratios), n/a without a defined baseline (ok false: none stored).
func Change(cur, prev Value, ok bool) string { return delta(cur, prev, ok) }

func show(v Value) string {
	if !v.Defined {
		return "n/a"
	}
	return format(v.KPI, v.Unit, v.Value, false)
}

// showPrev is the baseline: n/a when the previous result has no value
// for the key (a team or target that did not exist) or it is undefined.
func showPrev(v Value, ok bool) string {
	if !ok {
		return "n/a"
	}
	return show(v)
}

// delta is the change against the baseline; without a defined baseline
// (or current value) there is no change to state: n/a, never a change
// measured from an implied zero.
func delta(c, p Value, ok bool) string {
	if !ok || !c.Defined || !p.Defined {
		return "n/a"
	}
	return format(c.KPI, c.Unit, c.Value.Sub(p.Value), true)
}

// prevLabel names the comparison column: two final quarters compare whole
// quarters; a quarter to date compares with the same point of the other.
func prevLabel(cur, prev *Result) string {
	if prev != nil && cur.Final && prev.Final {
		return "prev. quarter"
	}
	return "prev. same point"
}

// sameAcrossModels reports whether a modeled KPI has the same current and
// previous value under every model for one dimension key.
func sameAcrossModels(cur, prev *Result, kpi, dim, key string, models []string) bool {
	for _, r := range []*Result{cur, prev} {
		if r == nil {
			continue
		}
		first, ok := r.Get(kpi, dim, key, models[0])
		for _, m := range models[1:] {
			v, ok2 := r.Get(kpi, dim, key, m)
			if ok != ok2 || (ok && (!v.Value.Equal(first.Value) || v.Defined != first.Defined)) {
				return false
			}
		}
	}
	return true
}
