package comp

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// documentText is the plan in plain language, in the plan document's
// layout (plandocmodel.go): the title, fact lines, then sections, each a
// blank line, a heading and its paragraphs (3 spaces) and items (5
// spaces). Component kinds (kinds.go describe) and the payment rules write
// into it the same way; Document reads it into the model every rendering
// is made from.
func (p *Plan) documentText() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (plan %s, version %d)\n", p.Name, p.ID, p.Version)
	until := "with no end date"
	if !p.EffectiveTo.IsZero() {
		until = "to " + p.EffectiveTo.String()
	}
	fmt.Fprintf(&b, "Effective from %s %s. Source file %s, SHA-256 %s.\n", p.EffectiveFrom, until, p.File, p.Hash)
	if p.TargetVariable.Set {
		fmt.Fprintf(&b, "On-target variable pay: %s per full quarter.\n", fmtMoney(p.TargetVariable.Decimal, p.Currency))
	}
	for i := range p.Components {
		c := &p.Components[i]
		fmt.Fprintf(&b, "\n%d. %s (%s)\n", i+1, c.ID, strings.ReplaceAll(string(c.Kind), "_", " "))
		componentKinds[c.Kind].describe(&b, p, c)
	}
	describePayRules(&b, p)
	b.WriteString("\nRules\n")
	b.WriteString("   Part quarters: a component is measured over the days you are on it: its target or quota is the sum, day by day, of the quarterly amount in force (your quota record, else the amount above) ÷ the days in the quarter; its actual counts only the deals, meetings and SQLs of those days; a bonus is multiplied by those days ÷ the days in the quarter.\n")
	for _, c := range p.Components {
		if c.Metric != nil && measureOf(c.Metric.KPI) == measureQuarter {
			b.WriteString("   Company-wide KPIs that cannot be counted day by day (" + c.Metric.KPI + " and the like) are measured over the whole quarter against the full-quarter target; the bonus is still multiplied by your days ÷ the days in the quarter.\n")
			break
		}
	}
	if p.ClawbackDays != nil && *p.ClawbackDays > 0 {
		how := "the amount paid for it (under marginal tiers, the commission the deal added in close order)"
		if p.Basis() == ClawbackOriginalRate {
			how = "its credited amount at the rate it was paid at"
		}
		fmt.Fprintf(&b, "   Clawback: commission paid on a deal cancelled within %d days of its close date is deducted, at %s, in the quarter of the cancellation.\n", *p.ClawbackDays, how)
		for _, c := range p.Components {
			if c.Kind == KindSPIF {
				b.WriteString("   A SPIF paid on such a deal is deducted the same way, at the amount paid for it.\n")
				break
			}
		}
	}
	if c := p.Conversion; c != nil {
		fmt.Fprintf(&b, "   Currencies: %s.\n", c.describe(p.Currency))
	}
	mode := "half away from zero"
	if p.Round().Mode == RoundHalfEven {
		mode = "half to even"
	}
	unit := "each statement line is"
	if p.Round().Unit == RoundDeal {
		unit = "each bonus line and each deal's commission is"
	}
	fmt.Fprintf(&b, "   Rounding: %s rounded to the cent, %s; the total is the sum of the rounded lines.\n", unit, mode)
	return b.String()
}

func describeBonus(b *strings.Builder, _ *Plan, c *Component) {
	ratio := func(d decimal.Decimal) string { return pct(rat(d)) }
	m := c.Metric
	model := ""
	if m.Model != "" {
		model = ", attribution model " + m.Model
	}
	if len(m.DealTypes) > 0 {
		model += ", deal types " + strings.Join(m.DealTypes, ", ")
	}
	fmt.Fprintf(b, "   Pays %s of the on-target variable pay on %s (%s scope%s) against a quarterly target of %s.\n",
		ratio(c.Weight.Decimal), m.KPI, m.Scope, model, fmtQuantityDec(c.Target.Decimal))
	fmt.Fprintf(b, "   Below %s attainment it pays nothing; attainment above %s counts as %s.\n",
		ratio(c.Curve.Threshold.Decimal), ratio(c.Curve.Cap.Decimal), ratio(c.Curve.Cap.Decimal))
	if len(c.Curve.Points) == 1 {
		b.WriteString("   A step: at or above the threshold it pays:\n")
	} else {
		b.WriteString("   Payout at each point, linear in between:\n")
	}
	for _, pt := range c.Curve.Points {
		fmt.Fprintf(b, "     attainment %8s → payout %8s\n", ratio(pt.Attainment.Decimal), ratio(pt.Payout.Decimal))
	}
}

func describeCommission(b *strings.Builder, p *Plan, c *Component) {
	ratio := func(d decimal.Decimal) string { return pct(rat(d)) }
	basis := "the deals credited to you (as owner or by split)"
	if c.Credit == CreditTeam {
		basis = "the deals credited to the people who report to you on each deal's close date"
	}
	if len(c.DealTypes) > 0 {
		basis += " of type " + strings.Join(c.DealTypes, ", ")
	}
	fmt.Fprintf(b, "   Pays a rate on %s that close in the quarter.\n", basis)
	if c.Stack {
		b.WriteString("   It is paid on top of the plan's other commission on the same deals.\n")
	}
	mode := "Retroactive: the whole credited amount is paid at the rate of the tier reached."
	if c.Mode == ModeMarginal {
		mode = "Marginal: each part of the credited amount is paid at the rate of the tier it falls in; each deal is paid what it adds, deals taken in close order."
	}
	bound := "the tier above"
	if c.Boundary == BoundaryLower {
		bound = "the tier below"
	}
	fmt.Fprintf(b, "   %s A value exactly on a bound belongs to %s.\n", mode, bound)
	show := func(d decimal.Decimal) string { return fmtMoney(d, p.Currency) }
	if c.TierBy == TierAttainment {
		show = ratio
		fmt.Fprintf(b, "   Tiers by attainment of a %s quarterly quota:\n", fmtMoney(c.Quota.Decimal, p.Currency))
	} else {
		b.WriteString("   Tiers by credited amount:\n")
	}
	for _, t := range c.Tiers {
		to := "and above"
		if t.To.Set {
			to = "to " + show(t.To.Decimal)
		}
		fmt.Fprintf(b, "     from %s %s: %s\n", show(t.From.Decimal), to, fmtRate(t.Rate.Decimal))
	}
	if c.CapAmount.Set {
		fmt.Fprintf(b, "   The component pays at most %s per full quarter.\n", fmtMoney(c.CapAmount.Decimal, p.Currency))
	}
}
