package comp

import (
	"fmt"
	"math/big"
	"time"

	"github.com/shopspring/decimal"
	"github.com/venn-revops/venn/shared/money"
)

// The pay arithmetic runs on exact fractions (math/big.Rat): attainment,
// proration and curve interpolation are never rounded along the way, so a
// line's amount is its exact value rounded to the cent once. Ratios are
// shown on statements to ratioPlaces decimals, for reading only.
const ratioPlaces = 12

func rat(d decimal.Decimal) *big.Rat { return d.Rat() }

func ratInt(n int) *big.Rat { return new(big.Rat).SetInt64(int64(n)) }

func mul(xs ...*big.Rat) *big.Rat {
	out := big.NewRat(1, 1)
	for _, x := range xs {
		out.Mul(out, x)
	}
	return out
}

func add(a, b *big.Rat) *big.Rat { return new(big.Rat).Add(a, b) }
func sub(a, b *big.Rat) *big.Rat { return new(big.Rat).Sub(a, b) }
func quo(a, b *big.Rat) *big.Rat { return new(big.Rat).Quo(a, b) }

// show renders an exact fraction as a decimal of ratioPlaces places, half
// away from zero: for statements, never for further arithmetic.
func show(r *big.Rat) decimal.Decimal { return roundRat(r, ratioPlaces) }

// roundCents rounds an exact fraction to the cent, half away from zero (the
// money.Round rule, applied to the exact value).
func roundCents(r *big.Rat) decimal.Decimal { return roundRat(r, money.Scale) }

func roundRat(r *big.Rat, places int32) decimal.Decimal {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)
	num := new(big.Int).Mul(new(big.Int).Abs(r.Num()), scale)
	q, rem := new(big.Int).QuoRem(num, r.Denom(), new(big.Int))
	if new(big.Int).Mul(rem, big.NewInt(2)).Cmp(r.Denom()) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if r.Sign() < 0 {
		q.Neg(q)
	}
	return decimal.NewFromBigInt(q, -places)
}

// prorationOf is d ÷ D for a span of d of the quarter's D days.
func prorationOf(sp Span, quarterDays int) *big.Rat {
	return big.NewRat(int64(sp.Days), int64(quarterDays))
}

// bonusLine pays target variable × weight × curve(attainment) × proration.
// An individual target is prorated (target × d ÷ D); a team or org target
// is not.
func (r *run) bonusLine(p *Person, sp Span, c Component) (Line, metricUse, error) {
	m := c.Metric
	key := scopeKey(p, m.Scope)
	actual, ok := r.in.Metrics.Metric(m.KPI, m.Scope, key, m.Model)
	if !ok {
		return Line{}, metricUse{}, &FieldError{File: "metrics", Path: p.ID, Reason: fmt.Sprintf("no value for KPI %s scope %s key %q model %q (plan %s component %s)", m.KPI, m.Scope, key, m.Model, sp.Plan.Ref(), c.ID)}
	}
	f := prorationOf(sp, r.qdays)
	target := rat(c.Target.Decimal)
	if m.Scope == ScopeIndividual {
		target = mul(target, f)
	}
	att := quo(rat(actual), target)
	payout, segment := c.Curve.eval(att)
	exact := mul(rat(sp.Plan.TargetVariable.Decimal), rat(c.Weight.Decimal), payout, f)
	l := Line{
		Key: "bonus/" + spanKey(sp) + "/" + c.ID, Kind: LineAttainmentBonus, Component: c.ID, Plan: sp.Plan.Ref(),
		SpanFrom: sp.From.Format(time.DateOnly), SpanTo: sp.To.Format(time.DateOnly),
		Metric: m.KPI, Scope: m.Scope, ScopeKey: key, Model: m.Model,
		Actual: ptr(actual), Target: ptr(show(target)), Attainment: ptr(show(att)), Segment: segment, Payout: ptr(show(payout)),
		Weight: ptr(c.Weight.Decimal), TargetVariable: ptr(sp.Plan.TargetVariable.Decimal), Proration: ptr(show(f)),
		Exact: show(exact), Amount: Money{roundCents(exact)},
	}
	l.Explain = fmt.Sprintf("%s %s: actual %s ÷ target %s = attainment %s; %s → payout %s; %s × weight %s × payout %s × proration %d/%d = %s",
		m.KPI, describeScope(m, key), actual, show(target), pct(att), segment, pct(payout),
		money.Format(sp.Plan.TargetVariable.Decimal), c.Weight.Decimal, show(payout), sp.Days, r.qdays, money.Format(l.Amount.Decimal))
	return l, metricUse{m.KPI, m.Scope, key, m.Model, actual}, nil
}

func describeScope(m *MetricRef, key string) string {
	s := m.Scope + " " + key
	if m.Model != "" {
		s += " (" + m.Model + ")"
	}
	return "(" + s + ")"
}

// pct renders a ratio as a percentage to 4 decimals: 1.1 → "110%".
func pct(r *big.Rat) string { return roundRat(mul(r, ratInt(100)), 4).String() + "%" }

// eval returns the payout multiplier at attainment att and names the
// segment used. Below the threshold pays 0; above the cap counts as the
// cap; a value exactly on a point starts the next segment.
func (c *Curve) eval(att *big.Rat) (*big.Rat, string) {
	if att.Cmp(rat(c.Threshold.Decimal)) < 0 {
		return new(big.Rat), fmt.Sprintf("below threshold %s", pct(rat(c.Threshold.Decimal)))
	}
	capped := ""
	if att.Cmp(rat(c.Cap.Decimal)) > 0 {
		att, capped = rat(c.Cap.Decimal), fmt.Sprintf("capped at %s; ", pct(rat(c.Cap.Decimal)))
	}
	n := len(c.Points) - 1
	if n == 0 {
		pt := c.Points[0]
		return rat(pt.Payout.Decimal), fmt.Sprintf("%sstep: at or above %s pays %s", capped, pct(rat(pt.Attainment.Decimal)), pct(rat(pt.Payout.Decimal)))
	}
	i := 0
	for i < n-1 && att.Cmp(rat(c.Points[i+1].Attainment.Decimal)) >= 0 {
		i++
	}
	a0, a1 := rat(c.Points[i].Attainment.Decimal), rat(c.Points[i+1].Attainment.Decimal)
	p0, p1 := rat(c.Points[i].Payout.Decimal), rat(c.Points[i+1].Payout.Decimal)
	slope := quo(sub(p1, p0), sub(a1, a0))
	payout := add(p0, mul(sub(att, a0), slope))
	kind := "linear"
	switch slope.Cmp(big.NewRat(1, 1)) {
	case 1:
		kind = "accelerator"
	case -1:
		kind = "decelerator"
	}
	if slope.Sign() == 0 {
		kind = "flat"
	}
	return payout, fmt.Sprintf("%ssegment %d of %d: %s–%s pays %s–%s (%s, slope %s)",
		capped, i+1, n, pct(a0), pct(a1), pct(p0), pct(p1), kind, show(slope))
}

// commissionLines pays a commission component over the credits idx of one
// span. Each line is its exact value rounded once; the cap line brings the
// rounded total to the rounded cap exactly. The rounded total is then
// attributed to the deals (what a clawback takes back).
func commissionLines(sp Span, qdays int, c Component, credits []DealCredit, idx []int) ([]Line, error) {
	f := prorationOf(sp, qdays)
	basisDec := decimal.Zero
	for _, i := range idx {
		basisDec = basisDec.Add(credits[i].Credited.Decimal)
	}
	basis := rat(basisDec)
	// unit turns a tier bound into an amount: the prorated quota for
	// attainment tiers, 1 for amount tiers.
	unit, value := big.NewRat(1, 1), basis
	var quota *decimal.Decimal
	if c.TierBy == TierAttainment {
		unit = mul(rat(c.Quota.Decimal), f)
		value = quo(basis, unit)
		quota = ptr(show(unit))
	}
	base := Line{
		Kind: LineCommission, Component: c.ID, Plan: sp.Plan.Ref(),
		SpanFrom: sp.From.Format(time.DateOnly), SpanTo: sp.To.Format(time.DateOnly),
		Metric: "credited_bookings_" + c.Credit, Actual: ptr(basisDec), Target: quota, Proration: ptr(show(f)),
	}
	if quota != nil {
		base.Attainment = ptr(show(value))
	}
	keyBase := "commission/" + spanKey(sp) + "/" + c.ID
	var lines []Line
	var exacts []*big.Rat
	emit := func(l Line, exact *big.Rat) {
		l.Exact, l.Amount = show(exact), Money{roundCents(exact)}
		lines, exacts = append(lines, l), append(exacts, exact)
	}
	switch c.Mode {
	case ModeRetroactive:
		i := tierOf(c.Tiers, value, c.Boundary)
		t := c.Tiers[i]
		l := base
		l.Key, l.Segment, l.Rate, l.Basis = keyBase, tierName(c, i, value), ptr(t.Rate.Decimal), ptr(basisDec)
		exact := mul(basis, rat(t.Rate.Decimal))
		l.Explain = fmt.Sprintf("retroactive: all credited %s at the rate of the tier reached (%s): %s × %s = %s",
			money.Format(basisDec), l.Segment, money.Format(basisDec), t.Rate.Decimal, money.Format(roundCents(exact)))
		emit(l, exact)
	case ModeMarginal:
		for i, t := range c.Tiers {
			lo := mul(rat(t.From.Decimal), unit)
			if i > 0 && basis.Cmp(lo) <= 0 {
				break
			}
			top := basis
			if t.To.Set {
				if hi := mul(rat(t.To.Decimal), unit); hi.Cmp(basis) < 0 {
					top = hi
				}
			}
			part := sub(top, lo)
			if part.Sign() < 0 {
				part = new(big.Rat)
			}
			l := base
			l.Key, l.Segment, l.Rate, l.Basis = fmt.Sprintf("%s/tier%d", keyBase, i+1), tierName(c, i, value), ptr(t.Rate.Decimal), ptr(show(part))
			exact := mul(part, rat(t.Rate.Decimal))
			l.Explain = fmt.Sprintf("marginal: the part of credited %s in %s: %s × %s = %s",
				money.Format(basisDec), l.Segment, money.Format(show(part)), t.Rate.Decimal, money.Format(roundCents(exact)))
			emit(l, exact)
		}
	}
	if c.CapAmount.Set {
		capAmt := mul(rat(c.CapAmount.Decimal), f)
		exactSum, rounded := new(big.Rat), decimal.Zero
		for k, l := range lines {
			exactSum.Add(exactSum, exacts[k])
			rounded = rounded.Add(l.Amount.Decimal)
		}
		if exactSum.Cmp(capAmt) > 0 {
			l := base
			l.Key, l.Kind, l.Basis = keyBase+"/cap", LineCommissionCap, ptr(show(capAmt))
			l.Exact = show(sub(capAmt, exactSum))
			l.Amount = Money{roundCents(capAmt).Sub(rounded)}
			l.Explain = fmt.Sprintf("cap: the component pays at most %s (cap %s × proration %d/%d); the lines above total %s, so %s",
				money.Format(roundCents(capAmt)), money.Format(c.CapAmount.Decimal), sp.Days, qdays, money.Format(rounded), money.Format(l.Amount.Decimal))
			lines = append(lines, l)
		}
	}
	total := decimal.Zero
	for _, l := range lines {
		total = total.Add(l.Amount.Decimal)
	}
	if len(idx) > 0 && basisDec.IsPositive() {
		weights := make([]decimal.Decimal, len(idx))
		for k, i := range idx {
			weights[k] = credits[i].Credited.Decimal
		}
		parts, err := money.Allocate(total, weights)
		if err != nil {
			return nil, fmt.Errorf("component %s: attribute to deals: %w", c.ID, err)
		}
		days := 0
		if sp.Plan.ClawbackDays != nil {
			days = *sp.Plan.ClawbackDays
		}
		for k, i := range idx {
			credits[i].Plan, credits[i].Component, credits[i].Paid, credits[i].Clawback = sp.Plan.Ref(), c.ID, Money{parts[k]}, days
		}
	}
	return lines, nil
}

// tierOf returns the index of the tier holding v under the boundary rule:
// upper puts a value exactly on a bound in the tier above, lower in the
// tier below.
func tierOf(tiers []Tier, v *big.Rat, boundary string) int {
	for i, t := range tiers {
		if !t.To.Set {
			return i
		}
		cmp := v.Cmp(rat(t.To.Decimal))
		if cmp < 0 || (cmp == 0 && boundary == BoundaryLower) {
			return i
		}
	}
	return len(tiers) - 1
}

func tierName(c Component, i int, value *big.Rat) string {
	t := c.Tiers[i]
	showBound := func(r *big.Rat) string {
		if c.TierBy == TierAttainment {
			return pct(r)
		}
		return money.Format(roundCents(r))
	}
	to := "and above"
	if t.To.Set {
		to = "to " + showBound(rat(t.To.Decimal))
	}
	return fmt.Sprintf("tier %d of %d: %s %s at rate %s (value %s, boundary %s)",
		i+1, len(c.Tiers), showBound(rat(t.From.Decimal)), to, t.Rate.Decimal, showBound(value), c.Boundary)
}
