package comp

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/shopspring/decimal"
)

// The payment stage of a plan: what happens between what a person earned in
// a quarter and what payroll pays them. A plan states any of three rules;
// paystage.go applies them, in this order, after every earning line
// (components, clawbacks, adjustments, corrections):
//
//  1. holds and releases: a deal's commission is held until a date field
//     of the deal is set (its invoice paid), and a share of the quarter's
//     bonus and commission is held back until a release quarter. Held pay
//     was earned but is not payable yet (Xactly's holds and releases [X8],
//     QuotaPath's payout eligibility [Q10]); a release pays it on the first
//     statement after the condition is met. A held deal cancelled before
//     its release is dropped: never paid, so not clawed back.
//  2. pay_cap: what is payable in the quarter (after holds and releases)
//     above the quarter's cap, or above what the calendar year's cap left,
//     is not paid. It caps pay per period, as Xactly's plan payment caps do
//     [X10]: a release counts in the quarter it is paid, and a held deal
//     that is cancelled never counted against a cap.
//  3. draw: what is payable after the cap is topped up to the draw amount;
//     a recoverable draw's advance is a balance recovered from later
//     payable amounts above the draw (Xactly's draw types [X4]). The draw
//     comes last because it guarantees pay, not earnings: a rep whose
//     commission is held is advanced the draw and repays it when the hold
//     is released. A draw may not exceed the quarterly cap.
//
// [X4] [X8] [X10] [Q10]: /work/shared/ANCHORS-COMP.md §5 (docs/comp-plans.md
// cites them by URL).

// DrawKind is how a draw is settled.
type DrawKind string

// Draw kinds.
const (
	// DrawRecoverable advances the shortfall below the draw amount; the
	// advances are a balance recovered from later payable amounts above it.
	DrawRecoverable DrawKind = "recoverable"
	// DrawNonRecoverable tops payable pay up to the draw amount (a
	// guarantee); nothing is owed back.
	DrawNonRecoverable DrawKind = "non_recoverable"
)

// Draw is a plan's draw against future commission.
type Draw struct {
	Kind DrawKind `yaml:"kind"`
	// Amount is the draw for a full quarter; a part quarter on the plan
	// gets amount × days on the plan ÷ days in the quarter.
	Amount Dec `yaml:"amount"`
	// MaxRecovery is the most of the balance recovered in one quarter
	// (recoverable only; unset recovers everything payable above the draw).
	MaxRecovery Dec `yaml:"max_recovery"`
	// ForgiveOnLeaving writes the balance off on the statement of the
	// quarter a person leaves in (recoverable only); otherwise the balance
	// stays on the last statement, owed.
	ForgiveOnLeaving bool `yaml:"forgive_on_leaving"`
}

// Hold holds the commission paid for a deal until one of the deal's date
// fields is set on or before a quarter's last day.
type Hold struct {
	ID string `yaml:"id"`
	// UntilDate is the deal date field, by its lake column on the
	// Opportunity snapshot (e.g. invoice_paid_date__c for the org field
	// Invoice_Paid_Date__c, extracted through extra_fields).
	UntilDate string `yaml:"until_date"`
	// DealTypes limits the hold to deals of these classes; empty holds
	// every deal the plan pays commission on.
	DealTypes []string `yaml:"deal_types"`
}

// Holdback holds back a share of a quarter's bonus and commission until
// the statement of the release quarter of the year.
type Holdback struct {
	Share Dec `yaml:"share"` // 0.10 = 10%
	// ReleaseQuarter (1–4) is the quarter whose statement pays back every
	// amount held back; it holds nothing back itself.
	ReleaseQuarter int `yaml:"release_quarter"`
	// OnLeaving is what happens to held-back pay when the person leaves
	// (paystage.go): pay (the default) releases it on the leaving
	// statement, which holds nothing back; forfeit never pays it.
	OnLeaving string `yaml:"on_leaving"`
}

// What a holdback does when the person leaves.
const (
	HoldbackPayOnLeaving     = "pay"
	HoldbackForfeitOnLeaving = "forfeit"
)

// onLeaving is the holdback's rule on leaving, pay when not stated (and
// when the plan has no holdback now but earlier held-back pay is open).
func (hb *Holdback) onLeaving() string {
	if hb == nil || hb.OnLeaving == "" {
		return HoldbackPayOnLeaving
	}
	return hb.OnLeaving
}

// PayCap is the most a person is paid per quarter and/or per calendar year.
type PayCap struct {
	PerQuarter Dec `yaml:"per_quarter"`
	PerYear    Dec `yaml:"per_year"`
}

// hasPayRules reports whether the plan states any payment-stage rule.
func (p *Plan) hasPayRules() bool {
	return p.Draw != nil || len(p.Holds) > 0 || p.Holdback != nil || p.PayCap != nil
}

// lakeColumn is a lake column name (crm.ColumnName's output).
var lakeColumn = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// validatePayRules checks the payment-stage keys of plan p.
func validatePayRules(e *errs, p *Plan) {
	if d := p.Draw; d != nil {
		switch d.Kind {
		case DrawRecoverable, DrawNonRecoverable:
		default:
			e.add("draw.kind", "%q: want %s or %s", d.Kind, DrawRecoverable, DrawNonRecoverable)
		}
		requirePositive(e, "draw.amount", d.Amount)
		requireCents(e, "draw.amount", d.Amount)
		if d.Kind != DrawRecoverable {
			if d.MaxRecovery.Set {
				e.add("draw.max_recovery", "only a recoverable draw has a balance to recover")
			}
			if d.ForgiveOnLeaving {
				e.add("draw.forgive_on_leaving", "only a recoverable draw has a balance to forgive")
			}
		}
		if d.MaxRecovery.Set {
			requirePositive(e, "draw.max_recovery", d.MaxRecovery)
			requireCents(e, "draw.max_recovery", d.MaxRecovery)
		}
	}
	ids := map[string]bool{}
	hasCommission := false
	for _, c := range p.Components {
		hasCommission = hasCommission || c.Kind == KindCommission
	}
	for i, h := range p.Holds {
		at := fmt.Sprintf("holds[%d]", i)
		switch {
		case h.ID == "":
			e.add(at+".id", "required")
		case ids[h.ID]:
			e.add(at+".id", "%q is used twice in this plan", h.ID)
		}
		ids[h.ID] = true
		if !lakeColumn.MatchString(h.UntilDate) {
			e.add(at+".until_date", "%q: want the deal date field's lake column on Opportunity, e.g. invoice_paid_date__c (the extract configuration's extra_fields adds it)", h.UntilDate)
		}
		checkDealTypes(e, at, h.DealTypes)
		for j := 0; j < i; j++ {
			if typesMeet(p.Holds[j].DealTypes, h.DealTypes) {
				e.add(at+".deal_types", "%s and %s would both hold deals of types %s and %s: give them disjoint deal_types", p.Holds[j].ID, h.ID, typesOrAll(p.Holds[j].DealTypes), typesOrAll(h.DealTypes))
			}
		}
	}
	if len(p.Holds) > 0 && !hasCommission {
		e.add("holds", "a deal hold holds commission, but the plan has no commission component")
	}
	if hb := p.Holdback; hb != nil {
		if !hb.Share.Set {
			e.add("holdback.share", "required")
		} else if !hb.Share.IsPositive() || !hb.Share.LessThan(decimal.NewFromInt(1)) {
			e.add("holdback.share", "%s must be above 0 and below 1 (0.10 = 10%%)", hb.Share)
		}
		if hb.ReleaseQuarter < 1 || hb.ReleaseQuarter > 4 {
			e.add("holdback.release_quarter", "%d: want the quarter 1 to 4 whose statement releases what was held back", hb.ReleaseQuarter)
		}
		switch hb.OnLeaving {
		case "", HoldbackPayOnLeaving, HoldbackForfeitOnLeaving:
		default:
			e.add("holdback.on_leaving", "%q: want pay (the default: released on the leaving statement) or forfeit", hb.OnLeaving)
		}
	}
	if c := p.PayCap; c != nil {
		if !c.PerQuarter.Set && !c.PerYear.Set {
			e.add("pay_cap", "give per_quarter, per_year or both")
		}
		for _, f := range []struct {
			at string
			d  Dec
		}{{"pay_cap.per_quarter", c.PerQuarter}, {"pay_cap.per_year", c.PerYear}} {
			if f.d.Set {
				requirePositive(e, f.at, f.d)
				requireCents(e, f.at, f.d)
			}
		}
		if c.PerQuarter.Set && c.PerYear.Set && c.PerYear.LessThan(c.PerQuarter.Decimal) {
			e.add("pay_cap.per_year", "%s is below per_quarter %s", c.PerYear, c.PerQuarter)
		}
		if d := p.Draw; d != nil && d.Amount.Set && c.PerQuarter.Set && d.Amount.GreaterThan(c.PerQuarter.Decimal) {
			e.add("draw.amount", "%s is above pay_cap.per_quarter %s: the draw would pay more than the cap allows", d.Amount, c.PerQuarter)
		}
	}
}

// HoldDateFields lists the deal date fields (lake columns) the plans hold
// deals on, sorted and once each: what the deal loader must read.
func HoldDateFields(plans []*Plan) []string {
	var out []string
	for _, p := range plans {
		for _, h := range p.Holds {
			if !contains(out, h.UntilDate) {
				out = append(out, h.UntilDate)
			}
		}
	}
	sort.Strings(out)
	return out
}

// holdFor is the plan's hold rule for a deal of class typ, or nil.
func (p *Plan) holdFor(typ string) *Hold {
	for i, h := range p.Holds {
		if len(h.DealTypes) == 0 || contains(h.DealTypes, typ) {
			return &p.Holds[i]
		}
	}
	return nil
}

// describePayRules is the plan document's text for the payment stage.
func describePayRules(b *strings.Builder, p *Plan) {
	if !p.hasPayRules() {
		return
	}
	cur := func(d Dec) string { return fmtMoney(d.Decimal, p.Currency) }
	b.WriteString("\nWhen pay is paid (applied in this order after everything above)\n")
	describeHolds(b, p)
	if c := p.PayCap; c != nil {
		var caps []string
		if c.PerQuarter.Set {
			caps = append(caps, cur(c.PerQuarter)+" per quarter")
		}
		if c.PerYear.Set {
			caps = append(caps, cur(c.PerYear)+" per calendar year")
		}
		fmt.Fprintf(b, "   Cap: what is payable in a quarter (every line above, clawbacks, adjustments and releases included, holds excluded) is paid up to %s; the excess is not paid and not carried. A cap line takes it from commission first, then bonus, then adjustments.\n", strings.Join(caps, " and "))
	}
	if d := p.Draw; d != nil {
		fmt.Fprintf(b, "   Draw: when what is payable in a quarter is below %s (per full quarter, in proportion to your days on the plan), the difference is paid as a draw", cur(d.Amount))
		if d.Kind == DrawNonRecoverable {
			b.WriteString(", a guarantee that is never owed back.\n")
			return
		}
		b.WriteString(". Draws are recoverable: they add to a balance, which is recovered from later quarters' payable pay above the draw amount")
		if d.MaxRecovery.Set {
			fmt.Fprintf(b, ", at most %s per quarter", cur(d.MaxRecovery))
		}
		b.WriteString(". The balance carries from quarter to quarter")
		if d.ForgiveOnLeaving {
			b.WriteString(" and is forgiven in the quarter you leave.\n")
		} else {
			b.WriteString("; on leaving, an unrecovered balance is still owed.\n")
		}
	}
}

// describeHolds is the plan document's text for deal holds and the holdback.
func describeHolds(b *strings.Builder, p *Plan) {
	pay, is := "the commission", "is"
	for _, c := range p.Components {
		if c.Kind == KindSPIF {
			pay, is = "the commission and any SPIF paid", "are"
		}
	}
	for _, h := range p.Holds {
		types := "every deal"
		if len(h.DealTypes) > 0 {
			types = "deals of type " + strings.Join(h.DealTypes, ", ")
		}
		fmt.Fprintf(b, "   Hold %s: %s on %s %s held until the deal's %s is set, and paid on the first statement of a quarter by whose last day the date is set. A held deal cancelled before that is never paid and not clawed back.\n", h.ID, pay, types, is, h.UntilDate)
	}
	if hb := p.Holdback; hb != nil {
		leaving := "released on the statement of the quarter you leave in, which holds nothing back"
		if hb.onLeaving() == HoldbackForfeitOnLeaving {
			leaving = "forfeited (never paid) if you leave before it is released"
		}
		fmt.Fprintf(b, "   Holdback: %s of each quarter's bonus and commission (after holds) is held back and paid on the Q%d statement; the Q%d statement holds nothing back. What is held back is %s.\n",
			pct(rat(hb.Share.Decimal)), hb.ReleaseQuarter, hb.ReleaseQuarter, leaving)
	}
}

// validatePayrollDraws requires a payroll code for draws when a plan has a
// draw and payroll.yaml exists (its lines are booked on earnings_codes.draw).
func validatePayrollDraws(plans []*Plan, p *PayrollConfig) ValidationErrors {
	if p == nil {
		return nil
	}
	if _, ok := p.EarningsCodes[EarnDraw]; ok {
		return nil
	}
	var out ValidationErrors
	for _, pl := range plans {
		if pl.Draw != nil {
			out = append(out, &FieldError{File: p.File, Path: "earnings_codes.draw", Reason: fmt.Sprintf("required: plan %s has a draw, booked on the draw code", pl.Ref())})
		}
	}
	return out
}
