package comp

import (
	"fmt"
	"math/big"
	"sort"
	"strings"
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

func roundRat(r *big.Rat, places int32) decimal.Decimal { return roundMode(r, places, RoundHalfUp) }

// roundMode rounds an exact fraction to places decimals: half_up (also "")
// sends a half away from zero, half_even to the even neighbour.
func roundMode(r *big.Rat, places int32, mode RoundingMode) decimal.Decimal {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)
	num := new(big.Int).Mul(new(big.Int).Abs(r.Num()), scale)
	q, rem := new(big.Int).QuoRem(num, r.Denom(), new(big.Int))
	switch new(big.Int).Mul(rem, big.NewInt(2)).Cmp(r.Denom()) {
	case 1:
		q.Add(q, big.NewInt(1))
	case 0:
		if mode != RoundHalfEven || q.Bit(0) == 1 {
			q.Add(q, big.NewInt(1))
		}
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

// bonusLines pays an attainment bonus over its window w of d days:
//
//	target     = Σ over the window's days of the full-quarter target in force ÷ D
//	actual     = the metric measured over the same days (dealActual, activityActual)
//	amount     = target variable × weight × curve(actual ÷ target) × d ÷ D
//
// A KPI Venn cannot itemise (org scope only) is the exception: the quarter's
// value against the full-quarter target, still paid × d ÷ D.
func bonusLines(r *run, ps *personRun, w *window) ([]Line, error) {
	c, p, plan := w.comp, ps.p, w.plan()
	m := c.Metric
	key := scopeKey(p, m.Scope)
	from, to := w.from, w.to
	var actual decimal.Decimal
	var exactActual *big.Rat // a deal measure's exact sum (converted credits are fractions)
	var items []LineItem
	switch measureOf(m.KPI) {
	case measureDeals:
		var err error
		if exactActual, items, err = r.dealActual(ps, m, w); err != nil {
			return nil, ValidationErrors{{File: "deals", Path: p.ID, Reason: fmt.Sprintf("plan %s component %s: %v", plan.Ref(), c.ID, err)}}
		}
		actual = show(exactActual)
	case measureActivities:
		actual, items = r.activityActual(p, m, w)
	default:
		v, ok := r.in.Metrics.Metric(m.KPI, m.Scope, key, m.Model)
		if !ok {
			return nil, ValidationErrors{{File: "metrics", Path: p.ID, Reason: fmt.Sprintf("no value for KPI %s scope %s key %q model %q (plan %s component %s)", m.KPI, m.Scope, key, m.Model, plan.Ref(), c.ID)}}
		}
		actual = v
		from, to = r.q.Start(), r.q.End().AddDate(0, 0, -1)
		model := ""
		if m.Model != "" {
			model = " (" + m.Model + ")"
		}
		items = []LineItem{{Ref: fmt.Sprintf("KPI %s, %s %s%s, quarter %s", m.KPI, m.Scope, key, model, r.q), Value: v}}
	}
	target, quotas := r.targetOver(p, c.ID, c.Target.Decimal, from, to)
	ps.used = append(ps.used, metricUse{m.KPI, m.Scope, key, m.Model, from.Format(time.DateOnly), to.Format(time.DateOnly), actual})
	f := big.NewRat(int64(w.days), int64(r.qdays))
	if exactActual == nil {
		exactActual = rat(actual)
	}
	att := quo(exactActual, target)
	payout, segment := c.Curve.eval(att)
	exact := mul(rat(plan.TargetVariable.Decimal), rat(c.Weight.Decimal), payout, f)
	amount := roundMode(exact, money.Scale, plan.Round().Mode)
	l := Line{
		Key: "bonus/" + w.key() + "/" + c.ID, Kind: LineAttainmentBonus, Component: c.ID, Plan: w.refs(),
		SpanFrom: w.from.Format(time.DateOnly), SpanTo: w.to.Format(time.DateOnly),
		Metric: m.KPI, Scope: m.Scope, ScopeKey: key, Model: m.Model,
		Actual: ptr(actual), Target: ptr(show(target)), Attainment: ptr(show(att)), Segment: segment, Payout: ptr(show(payout)),
		Weight: ptr(c.Weight.Decimal), TargetVariable: ptr(plan.TargetVariable.Decimal), Proration: ptr(show(f)),
		Exact: show(exact), Amount: Money{amount}, Items: items,
	}
	l.Explain = fmt.Sprintf("%s %s from %s to %s: actual %s ÷ target %s (%s) = attainment %s; %s → payout %s; %s × weight %s × payout %s × proration %d/%d = %s",
		m.KPI, describeScope(m, key), from.Format(time.DateOnly), to.Format(time.DateOnly), fmtQuantityDec(actual), fmtQuantity(target), describeTarget(c.Target.Decimal, quotas, from, to, r.qdays),
		pct(att), segment, pct(payout), fmtMoney(plan.TargetVariable.Decimal, plan.Currency), pct(rat(c.Weight.Decimal)), pct(payout), w.days, r.qdays, fmtMoney(amount, plan.Currency))
	return []Line{l}, nil
}

// describeTarget says how a window's target was made: the default prorated,
// or the quota records in force.
func describeTarget(def decimal.Decimal, quotas []Quota, from, to time.Time, qdays int) string {
	days := int(to.Sub(from).Hours()/24) + 1
	if len(quotas) == 0 {
		return fmt.Sprintf("%s × %d/%d days", fmtQuantityDec(def), days, qdays)
	}
	parts := make([]string, len(quotas))
	for i, q := range quotas {
		parts[i] = fmt.Sprintf("quota %s from %s", fmtQuantityDec(q.Amount.Decimal), q.From)
		if q.Currency != "" {
			parts[i] = fmt.Sprintf("quota %s %s (converted at each day's rate) from %s", q.Currency, fmtQuantityDec(q.Amount.Decimal), q.From)
		}
	}
	return fmt.Sprintf("Σ per day of the quarter quota in force ÷ %d over %d days; default %s, %s", qdays, days, fmtQuantityDec(def), strings.Join(parts, ", "))
}

func describeScope(m *MetricRef, key string) string {
	s := m.Scope + " " + key
	if len(m.DealTypes) > 0 {
		s += " " + strings.Join(m.DealTypes, "/")
	}
	if m.Model != "" {
		s += " (" + m.Model + ")"
	}
	return "(" + s + ")"
}

// pct renders a ratio as a percentage to 2 decimals: 1.1 → "110.00%" (the
// display rule in format.go).
func pct(r *big.Rat) string { return fmtPercent(r) }

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
		capped, i+1, n, pct(a0), pct(a1), pct(p0), pct(p1), kind, roundRat(slope, 4))
}

// Payment is what one commission component paid for one credit, kept on
// the statement for clawbacks.
type Payment struct {
	Plan         string          `json:"plan"` // version active on the close date
	Component    string          `json:"component"`
	Paid         Money           `json:"paid"`
	Rate         decimal.Decimal `json:"rate"` // the rate the deal was paid at (original_rate basis)
	ClawbackDays int             `json:"clawback_days"`
	Basis        ClawbackBasis   `json:"clawback_basis"`
	Mode         RoundingMode    `json:"rounding_mode"`
	// Explain is how the deal earned Paid: rate × credit, or its marginal
	// slice of the component in close order.
	Explain string `json:"explain,omitempty"`
	// Capped is the part of Paid the pay cap cut on the same statement
	// (paystage.go): never paid, so never clawed back.
	Capped *Money `json:"capped,omitempty"`
	// FX is how a payment computed in the plan's currency was converted
	// into the pay currency (Amount: what it earned in the plan's), for an
	// original_rate clawback to take it back at the same rate.
	FX *FX `json:"fx,omitempty"`
}

func (p Payment) basis() ClawbackBasis {
	if p.Basis == "" {
		return ClawbackAmountPaid
	}
	return p.Basis
}

// earned is one credit's exact commission under a component: the marginal
// value it added (deals in close order), after the cap.
type earned struct {
	i         int      // index into the person's credits
	lo, hi    *big.Rat // cumulative basis before and after the credit
	exact     *big.Rat // commission earned, after the cap
	rate      *big.Rat // the rate it was paid at
	tierParts string   // the arithmetic, for a per-deal line
}

// commissionLines pays a commission component over its window. The
// credits are taken in close order (close date, then deal Id, then the
// report's Id for team credits) and each earns what it adds to the
// component: under marginal tiers the commission on its slice of the
// cumulative basis, under retroactive tiers its amount at the rate of the
// tier reached; a cap is filled in the same order. Rounding unit line: one
// line per tier (and a cap line), each rounded once; the rounded total is
// then attributed to the deals in proportion to what they earned (largest
// remainder). Rounding unit deal: one line per credit, what it earned
// rounded. Either way a deal's paid amount is what a clawback takes back.
func commissionLines(r *run, ps *personRun, w *window) ([]Line, error) {
	c, plan := w.comp, w.plan()
	mode, cur := plan.Round().Mode, plan.Currency
	f := big.NewRat(int64(w.days), int64(r.qdays))
	var idx []int
	for i, cr := range ps.credits {
		if pays(c, cr) && w.containsDay(cr.CloseDate) {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool {
		x, y := ps.credits[idx[a]], ps.credits[idx[b]]
		if x.CloseDate != y.CloseDate {
			return x.CloseDate < y.CloseDate
		}
		if x.DealID != y.DealID {
			return x.DealID < y.DealID
		}
		return x.Via < y.Via
	})
	basis := new(big.Rat)
	for _, i := range idx {
		basis.Add(basis, ps.credits[i].value()) // exact, converted credits included
	}
	basisDec := show(basis)
	// unit turns a tier bound into an amount: the window's quota for
	// attainment tiers, 1 for amount tiers.
	unit, value := big.NewRat(1, 1), basis
	var quota *decimal.Decimal
	var quotas []Quota
	if c.TierBy == TierAttainment {
		unit, quotas = r.targetOver(ps.p, c.ID, c.Quota.Decimal, w.from, w.to)
		value = quo(basis, unit)
		quota = ptr(show(unit))
	}
	base := Line{
		Kind: LineCommission, Component: c.ID, Plan: w.refs(),
		SpanFrom: w.from.Format(time.DateOnly), SpanTo: w.to.Format(time.DateOnly),
		Metric: "credited_bookings_" + string(c.Credit), Actual: ptr(basisDec), Target: quota, Proration: ptr(show(f)),
	}
	if quota != nil {
		base.Attainment = ptr(show(value))
	}
	keyBase := "commission/" + w.key() + "/" + c.ID
	quotaNote := ""
	if quota != nil {
		quotaNote = fmt.Sprintf(" against quota %s (%s)", fmtMoney(roundCents(unit), cur), describeTarget(c.Quota.Decimal, quotas, w.from, w.to, r.qdays))
	}

	// commissionAt is the component's exact commission on a cumulative
	// basis x (before the cap).
	final := tierOf(c.Tiers, value, c.Boundary)
	commissionAt := func(x *big.Rat) *big.Rat {
		if c.Mode == ModeRetroactive {
			return mul(x, rat(c.Tiers[final].Rate.Decimal))
		}
		sum := new(big.Rat)
		for _, t := range c.Tiers {
			lo := mul(rat(t.From.Decimal), unit)
			top := x
			if t.To.Set {
				if hi := mul(rat(t.To.Decimal), unit); hi.Cmp(top) < 0 {
					top = hi
				}
			}
			if top.Cmp(lo) > 0 {
				sum.Add(sum, mul(sub(top, lo), rat(t.Rate.Decimal)))
			}
		}
		return sum
	}
	var capAmt *big.Rat
	if c.CapAmount.Set {
		capAmt = mul(rat(c.CapAmount.Decimal), f)
	}
	capped := func(x *big.Rat) *big.Rat {
		if capAmt != nil && x.Cmp(capAmt) > 0 {
			return capAmt
		}
		return x
	}
	deals := make([]earned, len(idx))
	cum, before := new(big.Rat), new(big.Rat)
	for k, i := range idx {
		lo, hi := cum, add(cum, ps.credits[i].value())
		after := commissionAt(hi)
		rate := rat(c.Tiers[final].Rate.Decimal)
		if c.Mode == ModeMarginal {
			rate = rat(c.Tiers[tierOf(c.Tiers, quo(hi, unit), BoundaryLower)].Rate.Decimal)
		}
		deals[k] = earned{i: i, lo: lo, hi: hi, exact: sub(capped(after), capped(before)), rate: rate,
			tierParts: fmt.Sprintf("commission on %s is %s, on %s it was %s", fmtMoney(show(hi), cur), fmtMoney(show(capped(after)), cur), fmtMoney(show(lo), cur), fmtMoney(show(capped(before)), cur))}
		cum, before = hi, after
	}

	var lines []Line
	if plan.Round().Unit == RoundDeal {
		for _, d := range deals {
			cr := ps.credits[d.i]
			l := base
			l.Key = fmt.Sprintf("%s/deal/%s/%s/%s", keyBase, cr.DealID, cr.Role, cr.Via)
			l.Ref, l.Basis, l.Rate = cr.DealID, ptr(cr.Credited.Decimal), ptr(show(d.rate))
			l.Exact, l.Amount = show(d.exact), Money{roundMode(d.exact, money.Scale, mode)}
			l.Explain = fmt.Sprintf("%s: deal %s (%s) closed %s credited %s takes the cumulative basis from %s to %s%s; %s, so it earned %s",
				c.Mode, cr.DealID, cr.DealName, cr.CloseDate, fmtMoney(cr.Credited.Decimal, cur), fmtMoney(show(d.lo), cur), fmtMoney(show(d.hi), cur), quotaNote,
				d.tierParts, fmtMoney(l.Amount.Decimal, cur))
			if cr.FX != nil {
				l.Explain += "; credited converted: " + cr.FX.describe()
			}
			if capAmt != nil {
				l.Explain += fmt.Sprintf(" (the component pays at most %s: cap %s × proration %d/%d, filled in close order)", fmtMoney(roundCents(capAmt), cur), fmtMoney(c.CapAmount.Decimal, cur), w.days, r.qdays)
			}
			lines = append(lines, l)
		}
	} else {
		var exacts []*big.Rat
		emit := func(l Line, exact *big.Rat) {
			l.Exact, l.Amount = show(exact), Money{roundMode(exact, money.Scale, mode)}
			lines, exacts = append(lines, l), append(exacts, exact)
		}
		switch c.Mode {
		case ModeRetroactive:
			t := c.Tiers[final]
			l := base
			l.Key, l.Segment, l.Rate, l.Basis = keyBase, tierName(c, final, value), ptr(t.Rate.Decimal), ptr(basisDec)
			exact := mul(basis, rat(t.Rate.Decimal))
			l.Explain = fmt.Sprintf("retroactive: all credited %s%s at the rate of the tier reached (%s): %s × %s = %s",
				fmtMoney(basisDec, cur), quotaNote, l.Segment, fmtMoney(basisDec, cur), fmtRate(t.Rate.Decimal), fmtMoney(roundMode(exact, money.Scale, mode), cur))
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
				l.Explain = fmt.Sprintf("marginal: the part of credited %s%s in %s: %s × %s = %s",
					fmtMoney(basisDec, cur), quotaNote, l.Segment, fmtMoney(show(part), cur), fmtRate(t.Rate.Decimal), fmtMoney(roundMode(exact, money.Scale, mode), cur))
				emit(l, exact)
			}
		}
		if capAmt != nil {
			exactSum, rounded := new(big.Rat), decimal.Zero
			for k, l := range lines {
				exactSum.Add(exactSum, exacts[k])
				rounded = rounded.Add(l.Amount.Decimal)
			}
			if exactSum.Cmp(capAmt) > 0 {
				capRounded := roundMode(capAmt, money.Scale, mode)
				l := base
				l.Key, l.Kind, l.Basis = keyBase+"/cap", LineCommissionCap, ptr(show(capAmt))
				l.Exact = show(sub(capAmt, exactSum))
				l.Amount = Money{capRounded.Sub(rounded)}
				l.Explain = fmt.Sprintf("cap: the component pays at most %s (cap %s × proration %d/%d); the lines above total %s, so %s",
					fmtMoney(capRounded, cur), fmtMoney(c.CapAmount.Decimal, cur), w.days, r.qdays, fmtMoney(rounded, cur), fmtMoney(l.Amount.Decimal, cur))
				lines = append(lines, l)
			}
		}
	}
	if note := exactBasisNote(ps.credits, idx, basis, cur); note != "" && plan.Round().Unit == RoundLine {
		for i := range lines {
			lines[i].Explain += note
		}
	}
	total := decimal.Zero
	for _, l := range lines {
		total = total.Add(l.Amount.Decimal)
	}
	paid := make([]decimal.Decimal, len(deals))
	if plan.Round().Unit == RoundDeal {
		for k := range deals {
			paid[k] = lines[k].Amount.Decimal
		}
	} else if !total.IsZero() {
		weights := make([]decimal.Decimal, len(deals))
		for k, d := range deals {
			weights[k] = show(d.exact)
		}
		parts, err := money.Allocate(total, weights)
		if err != nil {
			return nil, fmt.Errorf("component %s: attribute to deals: %w", c.ID, err)
		}
		copy(paid, parts)
	}
	days := 0
	if plan.ClawbackDays != nil {
		days = *plan.ClawbackDays
	}
	for k, d := range deals {
		cr := &ps.credits[d.i]
		t, _ := time.Parse(time.DateOnly, cr.CloseDate)
		ref := plan.Ref()
		if sp := w.spanOn(t); sp != nil {
			ref = sp.Plan.Ref()
		}
		cr.Payments = append(cr.Payments, Payment{Plan: ref, Component: c.ID, Paid: Money{paid[k]}, Rate: show(d.rate), ClawbackDays: days, Basis: plan.Basis(), Mode: mode,
			Explain: explainEarned(c, d, cr, paid[k], mode, cur)})
		if len(cr.Payments) == 1 {
			cr.Plan, cr.Component, cr.Clawback = ref, c.ID, days
		}
		cr.Paid = Money{cr.Paid.Add(paid[k])}
		ps.paid[d.i] = true
	}
	return lines, nil
}

// explainEarned says how one credit earned what it was paid under c:
// credited × rate when that is the whole story, else its slice of the
// cumulative credited in close order (marginal tiers, a cap); and, when
// the component's rounded total was shared out, that the paid amount is
// its share.
func explainEarned(c *Component, d earned, cr *DealCredit, paid decimal.Decimal, mode RoundingMode, cur string) string {
	earnedAmt := roundMode(d.exact, money.Scale, mode)
	var s string
	if plain := mul(cr.value(), d.rate); plain.Cmp(d.exact) == 0 {
		s = fmt.Sprintf("%s × %s = %s", fmtExactMoney(cr.value(), cur), fmtRate(show(d.rate)), fmtMoney(earnedAmt, cur))
		if c.Mode == ModeRetroactive {
			s += " (the rate of the tier reached)"
		}
	} else {
		s = fmt.Sprintf("%s: in close order it takes the cumulative credited from %s to %s; %s, so it earned the difference, %s",
			c.Mode, fmtMoney(show(d.lo), cur), fmtMoney(show(d.hi), cur), d.tierParts, fmtMoney(earnedAmt, cur))
	}
	if !paid.Equal(earnedAmt) {
		s += fmt.Sprintf("; paid %s, its share of the component's rounded total", fmtMoney(paid, cur))
	}
	return s
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

func tierName(c *Component, i int, value *big.Rat) string {
	t := c.Tiers[i]
	showBound := func(r *big.Rat) string {
		if c.TierBy == TierAttainment {
			return pct(r)
		}
		return fmtQuantity(r)
	}
	to := "and above"
	if t.To.Set {
		to = "to " + showBound(rat(t.To.Decimal))
	}
	return fmt.Sprintf("tier %d of %d: %s %s at rate %s (value %s, boundary %s)",
		i+1, len(c.Tiers), showBound(rat(t.From.Decimal)), to, fmtRate(t.Rate.Decimal), showBound(value), c.Boundary)
}
