package comp

import (
	"fmt"
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/venn-revops/venn/shared/period"
)

// Line kinds of the payment stage (payrules.go states the order).
const (
	LinePayCap       = "pay_cap"            // earnings above the quarter's or year's cap, not paid
	LineHold         = "hold"               // a deal's commission held until its date field is set
	LineHoldback     = "holdback"           // a share of the quarter's earnings held back
	LineRelease      = "release"            // a hold or holdback paid
	LineHoldDropped  = "hold_dropped"       // a held deal cancelled: never paid, not clawed back (amount 0)
	LineForfeited    = "holdback_forfeited" // held-back pay of a leaver whose plan forfeits it (amount 0)
	LineDrawAdvance  = "draw_advance"       // payable topped up to the draw
	LineDrawRecovery = "draw_recovery"      // part of the draw balance recovered
	LineDrawForgiven = "draw_forgiven"      // the balance written off on leaving (amount 0)
)

// Kinds of held pay.
const (
	HeldDeal     = "hold"
	HeldHoldback = "holdback"
)

// PayStage is a statement's payment stage: what was earned, what the cap,
// holds, releases and draw made of it, and what is carried to the next
// statement (open holds, the draw balance). A statement has one when its
// plan states a payment rule or something is carried.
type PayStage struct {
	// Earned is the sum of the earning lines (components, clawbacks,
	// adjustments, corrections); Capped is what is payable after holds,
	// releases and the cap lines, before the draw.
	Earned Money `json:"earned"`
	Capped Money `json:"capped"`
	// CapLimit is the most this quarter could pay under the cap (the
	// quarter's cap, or what the year's cap left); absent without a cap.
	CapLimit *Money `json:"cap_limit,omitempty"`
	// YearCapped is Capped summed over the calendar year's statements so
	// far, this one included: what the year's cap is measured against
	// (an earlier statement without a payment stage counts its total).
	YearCapped Money `json:"year_capped"`
	Held       Money `json:"held"`     // held this quarter (deal holds and holdback)
	Released   Money `json:"released"` // released this quarter
	// Open is every amount held and not yet released or dropped after this
	// statement, carried to the next one.
	Open []HeldPay  `json:"open"`
	Draw *DrawState `json:"draw,omitempty"`
	// Payable is what payroll pays: the statement total.
	Payable Money `json:"payable"`
}

// HeldPay is one held amount still to be released.
type HeldPay struct {
	Key       string     `json:"key"`  // the hold or holdback line that held it
	Kind      string     `json:"kind"` // hold or holdback
	Quarter   string     `json:"quarter"`
	DealID    string     `json:"deal_id,omitempty"`
	DealName  string     `json:"deal_name,omitempty"`
	Role      CreditRole `json:"role,omitempty"`
	Component string     `json:"component,omitempty"`
	// UntilDate is the deal date field that releases a deal hold;
	// ReleaseQuarter the quarter whose statement releases a holdback.
	UntilDate      string       `json:"until_date,omitempty"`
	ReleaseQuarter string       `json:"release_quarter,omitempty"`
	Earnings       EarningsKind `json:"earnings"`
	Amount         Money        `json:"amount"` // positive
}

// DrawState is a statement's draw: the quarter's draw amount and the
// balance (recoverable draws) from opening to closing.
type DrawState struct {
	Kind      DrawKind `json:"kind,omitempty"` // "" when the plan no longer has a draw but a balance is carried
	Amount    Money    `json:"amount"`         // this quarter's draw (prorated by days on the plan)
	Opening   Money    `json:"opening_balance"`
	Advanced  Money    `json:"advanced"`
	Recovered Money    `json:"recovered"`
	Forgiven  Money    `json:"forgiven"`
	Closing   Money    `json:"closing_balance"`
}

// lineEarnings is the earnings kind of a statement line: the one it
// carries (payment-stage lines name what they cap, hold or release), else
// the kind's (earningsKindOf).
func lineEarnings(l Line) (EarningsKind, bool) {
	if l.Earnings != "" {
		return l.Earnings, true
	}
	return earningsKindOf(l.Kind)
}

// capOrder is the order a cap takes its excess from the earnings kinds.
var capOrder = []EarningsKind{EarnCommission, EarnBonus, EarnSPIF, EarnAdjustment, EarnPriorPeriod}

// payState is the payment stage carried into this quarter: the latest
// earlier statement's open holds and draw balance, or, when that final
// statement was reconciled by a correction paid in this quarter, the
// recomputation's (the latest correction's): the correction pays the
// lines' difference now, and the holds, holdback and draw balance carry on
// from the recomputed amounts, so nothing is paid or withheld twice.
func (r *run) payState(id string) *PayStage {
	prev := r.previous[id]
	if len(prev) == 0 {
		return nil
	}
	last := prev[len(prev)-1]
	pay, after := last.Pay, -1
	for _, c := range r.corrects[id] { // the latest builds on the most earlier ones
		if c.FromQuarter == last.Quarter && c.Pay != nil && len(c.After) > after {
			pay, after = c.Pay, len(c.After)
		}
	}
	return pay
}

// openHold is what is still held, from an earlier statement, of the
// commission component paid for a deal credit.
func (r *run) openHold(id, quarter, deal string, role CreditRole, component string) decimal.Decimal {
	if ps := r.payState(id); ps != nil {
		for _, h := range ps.Open {
			if h.Kind == HeldDeal && h.Quarter == quarter && h.DealID == deal && h.Role == role && h.Component == component {
				return h.Amount.Decimal
			}
		}
	}
	return decimal.Zero
}

// releasesDue reports whether person id has held pay that this quarter
// releases or drops: they get a statement for it even without a plan.
func (r *run) releasesDue(id string) bool {
	ps := r.payState(id)
	if ps == nil {
		return false
	}
	for _, h := range ps.Open {
		if _, _, due := r.releaseOf(h); due {
			return true
		}
	}
	return false
}

// releaseOf says what happens to held pay h this quarter: dropped (its
// deal cancelled by the quarter's end), released (the deal's date set by
// the quarter's last day, or the holdback's release quarter reached), or
// neither.
func (r *run) releaseOf(h HeldPay) (dropped bool, why string, due bool) {
	if h.Kind == HeldHoldback {
		if h.ReleaseQuarter <= r.q.String() {
			return false, fmt.Sprintf("holdback of %s released on the %s statement", h.Quarter, h.ReleaseQuarter), true
		}
		return false, "", false
	}
	if c, ok := r.cancel[h.DealID]; ok && c.Before(r.q.End()) {
		return true, fmt.Sprintf("deal %s cancelled %s while its commission was held", h.DealID, c.Format(time.DateOnly)), true
	}
	if d, ok := r.dealDate(h.DealID, h.UntilDate); ok && d.Before(r.q.End()) {
		return false, fmt.Sprintf("%s of deal %s is %s", h.UntilDate, h.DealID, d.Format(time.DateOnly)), true
	}
	return false, "", false
}

// dealDate is a deal's date field, when set (the deals indexed by Id on
// first use).
func (r *run) dealDate(deal, field string) (time.Time, bool) {
	if r.dates == nil {
		r.dates = map[string]map[string]time.Time{}
		for _, d := range r.in.Deals {
			if len(d.Dates) > 0 {
				r.dates[d.ID] = d.Dates
			}
		}
	}
	t, ok := r.dates[deal][field]
	return period.Day(t), ok && !t.IsZero()
}

// payStage appends the payment-stage lines to st (releases, holds,
// holdback, cap, draw, in that order), sets st.Pay and returns what it carried
// from earlier statements, for the statement's inputs.
func (r *run) payStage(p *Person, ps *personRun, st *Statement) []InputCarried {
	var plan *Plan
	if sp := r.spans[p.ID]; len(sp) > 0 {
		plan = sp[len(sp)-1].Plan // the plan in force at the quarter's end, or the leaver's last
	}
	prev := r.payState(p.ID)
	if (plan == nil || !plan.hasPayRules()) && prev == nil {
		return nil
	}
	mode := RoundHalfUp
	if plan != nil {
		mode = plan.Round().Mode
	}
	cur := st.Currency
	kinds := map[EarningsKind]decimal.Decimal{}
	earned := decimal.Zero
	for _, l := range st.Lines {
		k, _ := lineEarnings(l)
		kinds[k] = kinds[k].Add(l.Amount.Decimal)
		earned = earned.Add(l.Amount.Decimal)
	}
	pay := &PayStage{Earned: Money{earned}, Open: []HeldPay{}}
	var carried []InputCarried
	add := func(l Line) { st.Lines = append(st.Lines, l) }

	// 1. Releases and drops of pay held on earlier statements; a leaver's
	// held-back pay is released or forfeited (holdback.on_leaving).
	released, held := decimal.Zero, decimal.Zero
	releasedKinds := map[EarningsKind]decimal.Decimal{}
	leaving := ""
	if plan != nil && r.leaves(p.ID) {
		leaving = plan.Holdback.onLeaving()
	}
	if prev != nil {
		for _, h := range prev.Open {
			carried = append(carried, InputCarried{Key: h.Key, Kind: h.Kind, Ref: h.DealID, Amount: h.Amount})
			dropped, why, due := r.releaseOf(h)
			if h.Kind == HeldHoldback && leaving != "" && !due {
				dropped, due = leaving == HoldbackForfeitOnLeaving, true
				why = fmt.Sprintf("%s leaves in %s and plan %s says holdback.on_leaving: %s", p.Name, r.q, plan.Ref(), leaving)
			}
			switch {
			case dropped && h.Kind == HeldHoldback:
				add(Line{Key: "holdback_forfeited/" + h.Key, Kind: LineForfeited, Earnings: h.Earnings,
					Exact: decimal.Zero, Amount: Money{decimal.Zero}, Reason: why,
					Explain: fmt.Sprintf("holdback forfeited: %s; the %s held back on the %s statement is never paid", why, fmtMoney(h.Amount.Decimal, cur), h.Quarter)})
			case !due:
				pay.Open = append(pay.Open, h)
			case dropped:
				add(Line{Key: "hold_dropped/" + h.Key, Kind: LineHoldDropped, Component: h.Component, Ref: h.DealID, Earnings: h.Earnings,
					Exact: decimal.Zero, Amount: Money{decimal.Zero}, Reason: why,
					Explain: fmt.Sprintf("hold dropped: %s; the %s held on the %s statement was never paid, so it is not paid and not clawed back", why, fmtMoney(h.Amount.Decimal, cur), h.Quarter)})
			default:
				released = released.Add(h.Amount.Decimal)
				releasedKinds[h.Earnings] = releasedKinds[h.Earnings].Add(h.Amount.Decimal)
				add(Line{Key: "release/" + h.Key, Kind: LineRelease, Component: h.Component, Ref: h.DealID, Earnings: h.Earnings,
					Exact: h.Amount.Decimal, Amount: h.Amount, Reason: why,
					Explain: fmt.Sprintf("release: %s held on the %s statement is paid now: %s", fmtMoney(h.Amount.Decimal, cur), h.Quarter, why)})
			}
		}
	}

	// 2. Deal holds on what deals paid this quarter, then the holdback.
	heldOf := map[string]decimal.Decimal{} // by payment (paymentKey)
	if plan != nil {
		for _, cr := range ps.credits {
			closed, _ := time.Parse(time.DateOnly, cr.CloseDate)
			sp := r.spanOn(p.ID, closed)
			if sp == nil {
				continue
			}
			h := sp.Plan.holdFor(cr.Type)
			if h == nil {
				continue
			}
			if d, ok := r.dealDate(cr.DealID, h.UntilDate); ok && d.Before(r.q.End()) {
				continue // the condition is met by the quarter's end: paid now
			}
			for _, pm := range cr.Payments {
				// Everything the deal paid waits for its date: commission,
				// and a SPIF paid on it, each held as its own earnings kind
				// (payroll codes them apart).
				ek := r.paymentEarnings(p.ID, pm)
				what := "commission"
				if ek == EarnSPIF {
					what = "SPIF"
				}
				amt := decimal.Min(pm.Paid.Decimal, kinds[ek])
				if !amt.IsPositive() {
					continue
				}
				kinds[ek] = kinds[ek].Sub(amt)
				held = held.Add(amt)
				heldOf[paymentKey(cr, pm)] = amt
				key := fmt.Sprintf("hold/%s/%s/%s/%s", st.Quarter, cr.DealID, cr.Role, pm.Component)
				why := fmt.Sprintf("hold %s: deal %s (%s) has no %s by %s", h.ID, cr.DealID, cr.DealName, h.UntilDate, periodEnd(r.q).Format(time.DateOnly))
				part := ""
				if amt.LessThan(pm.Paid.Decimal) {
					part = fmt.Sprintf(" (of %s paid: no more of this quarter's %s was left to hold)", fmtMoney(pm.Paid.Decimal, cur), what)
				}
				add(Line{Key: key, Kind: LineHold, Component: pm.Component, Plan: pm.Plan, Ref: cr.DealID, Earnings: ek,
					Exact: amt.Neg(), Amount: Money{amt.Neg()}, Reason: why,
					Explain: fmt.Sprintf("%s: its %s %s%s is held and paid on the first statement after the date is set", why, what, fmtMoney(amt, cur), part)})
				pay.Open = append(pay.Open, HeldPay{Key: key, Kind: HeldDeal, Quarter: st.Quarter, DealID: cr.DealID, DealName: cr.DealName, Role: cr.Role,
					Component: pm.Component, UntilDate: h.UntilDate, Earnings: ek, Amount: Money{amt}})
			}
		}
		if hb := plan.Holdback; hb != nil && r.q.Q != hb.ReleaseQuarter && leaving != HoldbackPayOnLeaving {
			rel := period.Quarter{Year: r.q.Year, Q: hb.ReleaseQuarter}
			if rel.Before(r.q) {
				rel.Year++
			}
			for _, k := range []EarningsKind{EarnBonus, EarnCommission} {
				base := kinds[k]
				if !base.IsPositive() {
					continue
				}
				exact := mul(rat(base), rat(hb.Share.Decimal))
				amt := roundMode(exact, 2, mode)
				if !amt.IsPositive() {
					continue
				}
				kinds[k] = kinds[k].Sub(amt)
				held = held.Add(amt)
				key := fmt.Sprintf("holdback/%s/%s", st.Quarter, k)
				reason, explain := fmt.Sprintf("holdback until %s", rel), fmt.Sprintf("paid on the %s statement", rel)
				if leaving == HoldbackForfeitOnLeaving {
					reason = fmt.Sprintf("holdback forfeited: %s leaves in %s", p.Name, r.q)
					explain = fmt.Sprintf("forfeited: %s leaves in %s and plan %s says holdback.on_leaving: forfeit (never paid)", p.Name, r.q, plan.Ref())
				}
				add(Line{Key: key, Kind: LineHoldback, Plan: plan.Ref(), Earnings: k, Basis: ptr(base), Rate: ptr(hb.Share.Decimal),
					Exact: show(new(big.Rat).Neg(exact)), Amount: Money{amt.Neg()}, Reason: reason,
					Explain: fmt.Sprintf("holdback: %s of this quarter's %s %s (after holds) = %s, %s", fmtRate(hb.Share.Decimal), k, fmtMoney(base, cur), fmtMoney(amt, cur), explain)})
				if leaving != HoldbackForfeitOnLeaving {
					pay.Open = append(pay.Open, HeldPay{Key: key, Kind: HeldHoldback, Quarter: st.Quarter, ReleaseQuarter: rel.String(), Earnings: k, Amount: Money{amt}})
				}
			}
		}
	}
	pay.Held, pay.Released = Money{held}, Money{released}

	// 3. The cap, on what is payable after holds and releases: it takes
	// from this quarter's earnings and the releases alike.
	for k, v := range releasedKinds {
		kinds[k] = kinds[k].Add(v)
	}
	yearBefore := decimal.Zero
	for _, s := range r.previous[p.ID] {
		if s.Quarter[:4] == st.Quarter[:4] {
			if s.Pay != nil {
				yearBefore = yearBefore.Add(s.Pay.Capped.Decimal)
			} else {
				yearBefore = yearBefore.Add(s.Total.Decimal)
			}
		}
	}
	capped := decimal.Zero
	for _, l := range st.Lines {
		capped = capped.Add(l.Amount.Decimal)
	}
	if plan != nil && plan.PayCap != nil {
		limit, why := r.capLimit(plan.PayCap, yearBefore, cur)
		pay.CapLimit = &Money{limit}
		before := capped
		excess := capped.Sub(limit)
		for _, k := range capOrder {
			if !excess.IsPositive() {
				break
			}
			take := decimal.Min(excess, kinds[k])
			if !take.IsPositive() {
				continue
			}
			excess = excess.Sub(take)
			kinds[k] = kinds[k].Sub(take)
			capped = capped.Sub(take)
			add(Line{Key: "pay_cap/" + string(k), Kind: LinePayCap, Plan: plan.Ref(), Earnings: k, Basis: ptr(before),
				Exact: take.Neg(), Amount: Money{take.Neg()}, Reason: why,
				Explain: fmt.Sprintf("pay cap: %s payable this quarter after holds and releases, %s; %s of %s not paid", fmtMoney(before, cur), why, fmtMoney(take, cur), k) +
					r.attributeCap(p.ID, st, k, take, heldOf, cur)})
		}
	}
	pay.Capped, pay.YearCapped = Money{capped}, Money{yearBefore.Add(capped)}

	// 4. The draw, on what is payable after holds, releases and the cap.
	payable := capped
	opening := decimal.Zero
	if prev != nil && prev.Draw != nil {
		opening = prev.Draw.Closing.Decimal
		carried = append(carried, InputCarried{Key: "draw/opening_balance", Kind: "draw_balance", Amount: prev.Draw.Closing})
	}
	if ds := r.draw(p, plan, opening, payable, mode, cur, add); ds != nil {
		pay.Draw = ds
		payable = payable.Add(ds.Advanced.Decimal).Sub(ds.Recovered.Decimal)
	}
	pay.Payable = Money{payable}
	sort.SliceStable(pay.Open, func(a, b int) bool { return pay.Open[a].Key < pay.Open[b].Key })
	st.Pay = pay
	return carried
}

// paymentKey names payment pm of credit cr (a deal, role and component).
func paymentKey(cr DealCredit, pm Payment) string {
	return cr.DealID + "\x00" + string(cr.Role) + "\x00" + cr.Via + "\x00" + pm.Component
}

// attributeCap records on the statement's deal payments which of them the
// pay cap's cut take of earnings kind k (commission or SPIF) fell on, so a
// clawback takes back only what was paid. The rule: the cap is filled in
// close order, as a component's cap is, so the cut falls on the latest
// deals first (close date, deal Id, the report's Id, all descending), on
// each up to what it was paid less what is held of it. A cut larger than
// this quarter's payments (the cap took released pay too) is not
// attributed further. It returns the sentence the cap line ends with.
func (r *run) attributeCap(id string, st *Statement, k EarningsKind, take decimal.Decimal, heldOf map[string]decimal.Decimal, cur string) string {
	if k != EarnCommission && k != EarnSPIF {
		return ""
	}
	type at struct{ i, j int }
	var list []at
	for i, cr := range st.Credits {
		for j, pm := range cr.Payments {
			if r.paymentEarnings(id, pm) == k {
				list = append(list, at{i, j})
			}
		}
	}
	sort.SliceStable(list, func(a, b int) bool {
		x, y := st.Credits[list[a].i], st.Credits[list[b].i]
		if x.CloseDate != y.CloseDate {
			return x.CloseDate > y.CloseDate
		}
		if x.DealID != y.DealID {
			return x.DealID > y.DealID
		}
		return x.Via > y.Via
	})
	var cut []string
	for _, a := range list {
		if !take.IsPositive() {
			break
		}
		cr := &st.Credits[a.i]
		pm := &cr.Payments[a.j]
		left := pm.Paid.Sub(heldOf[paymentKey(*cr, *pm)])
		if pm.Capped != nil {
			left = left.Sub(pm.Capped.Decimal)
		}
		part := decimal.Min(left, take)
		if !part.IsPositive() {
			continue
		}
		if pm.Capped == nil {
			pm.Capped = &Money{decimal.Zero}
		}
		pm.Capped.Decimal = pm.Capped.Add(part)
		take = take.Sub(part)
		cut = append(cut, fmt.Sprintf("%s %s %s", cr.DealID, pm.Component, fmtMoney(part, cur)))
	}
	if len(cut) == 0 {
		return ""
	}
	s := " (cut from the latest deals first: " + strings.Join(cut, ", ")
	if take.IsPositive() {
		s += fmt.Sprintf("; %s from pay released this quarter", fmtMoney(take, cur))
	}
	return s + ")"
}

// paymentEarnings is the earnings kind of a deal payment: spif when the
// component that paid it is a SPIF, else commission.
func (r *run) paymentEarnings(id string, pm Payment) EarningsKind {
	for _, sp := range r.spans[id] {
		if sp.Plan.Ref() != pm.Plan {
			continue
		}
		for _, c := range sp.Plan.Components {
			if c.ID == pm.Component && c.Kind == KindSPIF {
				return EarnSPIF
			}
		}
	}
	return EarnCommission
}

// capLimit is the most this quarter may pay under cap c, given what the
// calendar year's earlier statements paid (yearBefore), and why.
func (r *run) capLimit(c *PayCap, yearBefore decimal.Decimal, cur string) (decimal.Decimal, string) {
	var limit decimal.Decimal
	var why string
	if c.PerQuarter.Set {
		limit, why = c.PerQuarter.Decimal, fmt.Sprintf("the quarterly cap is %s", fmtMoney(c.PerQuarter.Decimal, cur))
	}
	if c.PerYear.Set {
		left := decimal.Max(decimal.Zero, c.PerYear.Sub(yearBefore))
		if !c.PerQuarter.Set || left.LessThan(limit) {
			limit = left
			why = fmt.Sprintf("the yearly cap %s less %s earned earlier in %d leaves %s", fmtMoney(c.PerYear.Decimal, cur), fmtMoney(yearBefore, cur), r.q.Year, fmtMoney(left, cur))
		}
	}
	return limit, why
}

// draw settles the quarter's draw (add appends its lines) and returns the
// draw state, or nil when there is neither a draw nor a balance.
func (r *run) draw(p *Person, plan *Plan, opening, payable decimal.Decimal, mode RoundingMode, cur string, emit func(Line)) *DrawState {
	var d *Draw
	if plan != nil {
		d = plan.Draw
	}
	if d == nil {
		if opening.IsZero() {
			return nil
		}
		// No draw on the plan now: the balance is carried, not recovered.
		return &DrawState{Opening: Money{opening}, Closing: Money{opening}}
	}
	// The draw for the days on plans that have one, each at its own amount.
	exact := new(big.Rat)
	days := 0
	for _, sp := range r.spans[p.ID] {
		if sp.Plan.Draw != nil {
			exact = add(exact, mul(rat(sp.Plan.Draw.Amount.Decimal), big.NewRat(int64(sp.Days), int64(r.qdays))))
			days += sp.Days
		}
	}
	amount := roundMode(exact, 2, mode)
	ds := &DrawState{Kind: d.Kind, Amount: Money{amount}, Opening: Money{opening}}
	closing := opening
	ref := plan.Ref()
	if short := amount.Sub(payable); short.IsPositive() {
		ds.Advanced = Money{short}
		what := "a guarantee, not owed back"
		if d.Kind == DrawRecoverable {
			closing = closing.Add(short)
			what = fmt.Sprintf("recoverable: the balance goes from %s to %s", fmtMoney(opening, cur), fmtMoney(closing, cur))
		}
		emit(Line{Key: "draw/advance", Kind: LineDrawAdvance, Plan: ref, Earnings: EarnDraw, Basis: ptr(payable), Exact: short, Amount: Money{short},
			Reason:  fmt.Sprintf("payable %s is below the draw %s", fmtMoney(payable, cur), fmtMoney(amount, cur)),
			Explain: fmt.Sprintf("draw (%s): payable %s is below the draw %s (%d of %d days): %s is advanced, %s", d.Kind, fmtMoney(payable, cur), fmtMoney(amount, cur), days, r.qdays, fmtMoney(short, cur), what)})
	} else if d.Kind == DrawRecoverable && opening.IsPositive() {
		above := payable.Sub(amount)
		rec := decimal.Min(above, opening)
		limit := ""
		if d.MaxRecovery.Set && d.MaxRecovery.LessThan(rec) {
			rec = d.MaxRecovery.Decimal
			limit = fmt.Sprintf(", at most %s a quarter", fmtMoney(d.MaxRecovery.Decimal, cur))
		}
		if rec.IsPositive() {
			ds.Recovered = Money{rec}
			closing = closing.Sub(rec)
			emit(Line{Key: "draw/recovery", Kind: LineDrawRecovery, Plan: ref, Earnings: EarnDraw, Basis: ptr(above), Exact: rec.Neg(), Amount: Money{rec.Neg()},
				Reason:  fmt.Sprintf("draw balance %s recovered from pay above the draw", fmtMoney(opening, cur)),
				Explain: fmt.Sprintf("draw recovery: payable %s is %s above the draw %s; %s of the balance %s is recovered%s, leaving %s", fmtMoney(payable, cur), fmtMoney(above, cur), fmtMoney(amount, cur), fmtMoney(rec, cur), fmtMoney(opening, cur), limit, fmtMoney(closing, cur))})
		}
	}
	if d.Kind == DrawRecoverable && d.ForgiveOnLeaving && closing.IsPositive() && r.leaves(p.ID) {
		ds.Forgiven = Money{closing}
		emit(Line{Key: "draw/forgiven", Kind: LineDrawForgiven, Plan: ref, Earnings: EarnDraw, Exact: decimal.Zero, Amount: Money{decimal.Zero},
			Reason:  "left with a draw balance; the plan forgives it",
			Explain: fmt.Sprintf("draw forgiven: the balance %s is written off on leaving, as plan %s says (nothing is paid or deducted)", fmtMoney(closing, cur), ref)})
		closing = decimal.Zero
	}
	ds.Closing = Money{closing}
	return ds
}

// leaves reports whether person id leaves in this quarter: they have a
// plan in it and no assignment runs past its last day.
func (r *run) leaves(id string) bool {
	if len(r.spans[id]) == 0 || r.in.Assignments == nil {
		return false
	}
	last := periodEnd(r.q)
	for _, pa := range r.in.Assignments.People {
		if pa.Person == id && (pa.To.IsZero() || pa.To.After(last)) {
			return false
		}
	}
	return true
}

// writePayStage writes the statement text's payment section: earned,
// held, released, the cap, what stays held and the draw balance.
func writePayStage(b *strings.Builder, p *PayStage, cur string) {
	if p == nil {
		return
	}
	m := func(d Money) string { return fmtMoney(d.Decimal, cur) }
	b.WriteString("\nPayment (holds and releases, then the cap, then the draw):\n")
	fmt.Fprintf(b, "     earned this quarter %s; held %s; released %s; payable before the draw %s", m(p.Earned), m(p.Held), m(p.Released), m(p.Capped))
	if p.CapLimit != nil {
		fmt.Fprintf(b, " (cap %s; paid in the year so far %s)", m(*p.CapLimit), m(p.YearCapped))
	}
	b.WriteString("\n")
	if len(p.Open) > 0 {
		b.WriteString("     still held, paid on a later statement:\n")
		for _, h := range p.Open {
			when := "when its " + h.UntilDate + " is set"
			what := fmt.Sprintf("deal %s %s (%s)", h.DealID, h.DealName, h.Component)
			if h.Kind == HeldHoldback {
				when, what = "on the "+h.ReleaseQuarter+" statement", "holdback of "+string(h.Earnings)
			}
			fmt.Fprintf(b, "       %s, held %s: %s, %s\n", what, h.Quarter, m(h.Amount), when)
		}
	}
	if d := p.Draw; d != nil {
		kind := string(d.Kind)
		if kind == "" {
			kind = "none on the plan now"
		}
		fmt.Fprintf(b, "     draw (%s) %s: balance opening %s + advanced %s − recovered %s − forgiven %s = closing %s\n",
			kind, m(d.Amount), m(d.Opening), m(d.Advanced), m(d.Recovered), m(d.Forgiven), m(d.Closing))
	}
}
