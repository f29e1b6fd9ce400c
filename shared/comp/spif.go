package comp

import (
	"fmt"
	"math/big"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/money"
	"github.com/venn-revops/venn/shared/period"
)

// SPIFs: time-boxed incentives on products or deal attributes. The rules
// (docs/comp-plans.md, "SPIFs", has them with a worked example):
//
//   - A SPIF pays for won deals credited to the person (credit own: owner
//     or split; team: a report's credit rolled up) whose close date is in
//     [start, end], both inclusive, and in the plan window the SPIF is part
//     of, and that match every condition given: deal_types, min_amount (the
//     whole deal's amount, in the plan's currency: a deal in another is
//     compared at the exact rate its credit was converted at), lead_sources,
//     and the product conditions. A line
//     item matches when its product is in every product list given
//     (product_codes, product_families, product_ids; any value of a list);
//     a deal matches the products when it has a matching line and, with
//     min_units, at least that many matching units (whole deal).
//   - Units are the quantities of the deal's matching lines. A split person
//     is credited their share: units × percent (and, counting deals, the
//     deal × percent), as commission credits amounts. Nothing is rounded
//     before the line.
//   - per_unit pays amount × credited units; per_deal amount × credited
//     deal share; tiered pays each credited unit (or deal) at the amount of
//     the tier its place in the running count falls in (marginal, deals in
//     close order); flat pays amount once, in the window whose deals bring
//     the running count to reach. The running count runs over the whole SPIF
//     period: it starts from what the person's final statements of earlier
//     quarters counted for the same SPIF id (and earlier windows of this
//     quarter), so a SPIF that crosses a quarter boundary pays in each
//     quarter what closed in it, at the place it reached. cap_amount is the
//     most the SPIF pays a person over its whole period, filled in close
//     order the same way.
//   - Not prorated: a SPIF pays per deal; the plan window decides which
//     deals count.
//   - Rounding: one line per SPIF and window, its exact amount rounded once
//     in the plan's mode; the rounded amount is shared out to the deals by
//     what each earned (largest remainder), and a deal's share is what a
//     clawback takes back (amount_paid: a SPIF has no rate to recompute at),
//     within the plan's clawback_days, like commission. A cancelled deal's
//     units stay in the running count of later quarters (what was paid is
//     not restated).

// Product is one product of the org's catalogue (Product2).
type Product struct {
	ID     string
	Name   string
	Code   string // ProductCode
	Family string // the org's Family picklist value; "" when unset or not in the org
	Active bool
}

// DealLine is one product line of a deal (OpportunityLineItem). TotalPrice
// is the line's amount; UnitPrice and ListPrice are shown, never
// multiplied (a discount sits between them).
type DealLine struct {
	ID         string
	ProductID  string
	Quantity   decimal.Decimal
	UnitPrice  decimal.Decimal
	ListPrice  decimal.Decimal
	TotalPrice decimal.Decimal
	// NoQuantity marks a line whose quantity the lake does not have (a
	// line extracted before the quantity column existed): a SPIF that
	// counts its units stops with an error naming it rather than count 0.
	NoQuantity bool
}

// SPIFPay is how a SPIF pays.
type SPIFPay string

// SPIF payment kinds.
const (
	SPIFPerUnit SPIFPay = "per_unit" // amount × credited units
	SPIFPerDeal SPIFPay = "per_deal" // amount × credited deal share
	SPIFFlat    SPIFPay = "flat"     // amount once the running count reaches reach
	SPIFTiered  SPIFPay = "tiered"   // each unit or deal at its tier's amount (marginal)
)

// SPIFCount is what a flat or tiered SPIF counts.
type SPIFCount string

// SPIF counts.
const (
	CountUnits SPIFCount = "units"
	CountDeals SPIFCount = "deals"
)

// SPIF is a spif component's configuration (the component's spif: block).
type SPIF struct {
	// Start and End bound the deals' close dates, both inclusive.
	Start  Day         `yaml:"start"`
	End    Day         `yaml:"end"`
	Credit CreditBasis `yaml:"credit"` // own | team
	Match  SPIFMatch   `yaml:"match"`
	Pay    SPIFPay     `yaml:"pay"`
	// Amount is per unit (per_unit), per deal (per_deal) or the one payment
	// (flat), in the plan's currency.
	Amount Dec        `yaml:"amount"`
	Count  SPIFCount  `yaml:"count"` // flat, tiered: units or deals
	Reach  Dec        `yaml:"reach"` // flat: the running count that earns it
	Tiers  []SPIFTier `yaml:"tiers"`
	// CapAmount is the most the SPIF pays one person over its whole period.
	CapAmount Dec `yaml:"cap_amount"`
}

// SPIFMatch are a SPIF's conditions; every one given must hold.
type SPIFMatch struct {
	DealTypes       []string `yaml:"deal_types"`   // opportunity classes (kpi.Classes)
	MinAmount       Dec      `yaml:"min_amount"`   // the whole deal's amount, at least
	LeadSources     []string `yaml:"lead_sources"` // Opportunity.LeadSource values
	ProductCodes    []string `yaml:"product_codes"`
	ProductFamilies []string `yaml:"product_families"`
	ProductIDs      []string `yaml:"product_ids"`
	MinUnits        Dec      `yaml:"min_units"` // matching units on the whole deal, at least
}

// SPIFTier is a band [From, To) of the running count paying Amount per unit
// (or deal) in it; an unset To is open-ended (last tier only).
type SPIFTier struct {
	From   Dec `yaml:"from"`
	To     Dec `yaml:"to"`
	Amount Dec `yaml:"amount"`
}

// InputSPIF is one input of a SPIF line: a counted deal's matching units
// (whole deal) and the lines they came from, or (Deal "") the count and
// amount carried from earlier statements.
type InputSPIF struct {
	Component string           `json:"component"`
	Deal      string           `json:"deal,omitempty"`
	Units     *decimal.Decimal `json:"units,omitempty"`
	Lines     []string         `json:"lines,omitempty"`
	Carried   *decimal.Decimal `json:"carried,omitempty"`
	Paid      *Money           `json:"paid_before,omitempty"`
}

// LineSPIF is the statement line kind of a SPIF.
const LineSPIF = string(KindSPIF)

func (m *SPIFMatch) products() bool {
	return len(m.ProductCodes)+len(m.ProductFamilies)+len(m.ProductIDs) > 0
}

// spifReaders names what reads each lake column SPIFs depend on, for the
// extract's note when an org lacks the field.
var spifReaders = map[string]string{
	"Product2.product_code":        "SPIF product_codes conditions (comp) cannot match",
	"Product2.family":              "SPIF product_families conditions (comp) cannot match",
	"OpportunityLineItem.quantity": "per-unit SPIFs (comp) count no units",
	"Opportunity.lead_source":      "SPIF lead_sources conditions (comp) cannot match",
}

// ReadersOf says what comp reads a lake column for (object, column), ""
// when nothing: the extract names it when the org lacks the field.
func ReadersOf(object, column string) string { return spifReaders[object+"."+column] }

func validateSPIF(e *errs, at string, c *Component, _ func(string) bool) {
	for _, f := range []struct {
		name string
		set  bool
	}{{"weight", c.Weight.Set}, {"metric", c.Metric != nil}, {"target", c.Target.Set}, {"curve", c.Curve != nil},
		{"credit", c.Credit != ""}, {"tier_by", c.TierBy != ""}, {"quota", c.Quota.Set}, {"mode", c.Mode != ""}, {"boundary", c.Boundary != ""},
		{"tiers", len(c.Tiers) > 0}, {"cap_amount", c.CapAmount.Set}, {"deal_types", len(c.DealTypes) > 0}, {"stack", c.Stack}} {
		if f.set {
			e.add(at+"."+f.name, "belongs to attainment_bonus or commission components; a spif states its conditions and pay under spif:")
		}
	}
	s := c.SPIF
	if s == nil {
		e.add(at+".spif", "required: start, end, credit, match and pay")
		return
	}
	at += ".spif"
	switch {
	case s.Start.IsZero():
		e.add(at+".start", "required (the first close date that counts)")
	case s.End.IsZero():
		e.add(at+".end", "required (the last close date that counts, inclusive)")
	case s.End.Before(s.Start.Time):
		e.add(at+".end", "%s is before start %s", s.End, s.Start)
	}
	switch s.Credit {
	case CreditOwn, CreditTeam:
	default:
		e.add(at+".credit", "%q: want own or team", string(s.Credit))
	}
	m := &s.Match
	if len(m.DealTypes)+len(m.LeadSources) == 0 && !m.MinAmount.Set && !m.products() {
		e.add(at+".match", "no condition: give deal_types, min_amount, lead_sources or a product condition (product_codes, product_families, product_ids); a SPIF on every deal is a commission")
	}
	checkDealTypes(e, at+".match", m.DealTypes)
	if m.MinAmount.Set {
		requirePositive(e, at+".match.min_amount", m.MinAmount)
		requireCents(e, at+".match.min_amount", m.MinAmount)
	}
	for _, l := range []struct {
		name string
		vals []string
	}{{"lead_sources", m.LeadSources}, {"product_codes", m.ProductCodes}, {"product_families", m.ProductFamilies}, {"product_ids", m.ProductIDs}} {
		for i, v := range l.vals {
			p := fmt.Sprintf("%s.match.%s[%d]", at, l.name, i)
			switch {
			case strings.TrimSpace(v) == "":
				e.add(p, "empty")
			case slices.Index(l.vals, v) < i:
				e.add(p, "%q is listed twice", v)
			}
		}
	}
	for i, id := range m.ProductIDs {
		if n, err := crm.NormalizeID(id); err != nil {
			e.add(fmt.Sprintf("%s.match.product_ids[%d]", at, i), "%v", err)
		} else if err := crm.CheckIDPrefix("Product2", "Id", n); err != nil {
			e.add(fmt.Sprintf("%s.match.product_ids[%d]", at, i), "%v", err)
		} else {
			m.ProductIDs[i] = n // the 18-character form the lake keeps
		}
	}
	if m.MinUnits.Set {
		requirePositive(e, at+".match.min_units", m.MinUnits)
		if !m.products() {
			e.add(at+".match.min_units", "needs a product condition: units of which products?")
		}
	}
	notFor := func(name string, set bool) {
		if set {
			e.add(at+"."+name, "not used with pay: %s", s.Pay)
		}
	}
	amount := func() {
		requirePositive(e, at+".amount", s.Amount)
		requireCents(e, at+".amount", s.Amount)
	}
	switch s.Pay {
	case SPIFPerUnit, SPIFPerDeal:
		amount()
		notFor("count", s.Count != "")
		notFor("reach", s.Reach.Set)
		notFor("tiers", len(s.Tiers) > 0)
		if s.Pay == SPIFPerUnit && !m.products() {
			e.add(at+".pay", "per_unit needs a product condition: units of which products?")
		}
	case SPIFFlat:
		amount()
		requirePositive(e, at+".reach", s.Reach)
		notFor("tiers", len(s.Tiers) > 0)
	case SPIFTiered:
		notFor("amount", s.Amount.Set)
		notFor("reach", s.Reach.Set)
		validateSPIFTiers(e, at+".tiers", s.Tiers)
	default:
		e.add(at+".pay", "%q: want per_unit, per_deal, flat or tiered", string(s.Pay))
	}
	if s.Pay == SPIFFlat || s.Pay == SPIFTiered {
		switch s.Count {
		case CountDeals:
		case CountUnits:
			if !m.products() {
				e.add(at+".count", "units needs a product condition: units of which products?")
			}
		default:
			e.add(at+".count", "%q: want units or deals", string(s.Count))
		}
	}
	if s.CapAmount.Set {
		requirePositive(e, at+".cap_amount", s.CapAmount)
		requireCents(e, at+".cap_amount", s.CapAmount)
	}
	// Product families and codes are the org's own values (Product2.Family
	// is a picklist each org defines): the plan file is checked before the
	// lake is read, so they are checked at run time against the extracted
	// catalogue (prepareSPIFs), before anything is computed.
}

// validateSPIFTiers requires tiers of the running count from 0, end to
// start, amounts per unit in cents, only the last open-ended.
func validateSPIFTiers(e *errs, at string, tiers []SPIFTier) {
	if len(tiers) == 0 {
		e.add(at, "at least one tier is required")
		return
	}
	for i, t := range tiers {
		tat := fmt.Sprintf("%s[%d]", at, i)
		switch {
		case !t.Amount.Set:
			e.add(tat+".amount", "required (no value given)")
		case t.Amount.IsNegative():
			e.add(tat+".amount", "%s must not be negative", t.Amount)
		default:
			requireCents(e, tat+".amount", t.Amount)
		}
		if !t.From.Set {
			e.add(tat+".from", "required")
			continue
		}
		if i == 0 && !t.From.IsZero() {
			e.add(tat+".from", "the first tier must start at 0, not %s", t.From)
		}
		if i > 0 {
			prev := tiers[i-1]
			switch {
			case !prev.To.Set:
				e.add(fmt.Sprintf("%s[%d].to", at, i-1), "only the last tier may be open-ended")
			case !t.From.Equal(prev.To.Decimal):
				e.add(tat+".from", "%s does not start where the previous tier ends (%s): tiers must not overlap or leave a gap", t.From, prev.To)
			}
		}
		if t.To.Set && !t.To.GreaterThan(t.From.Decimal) {
			e.add(tat+".to", "%s is not above from %s", t.To, t.From)
		}
	}
}

// spifRun is the run's SPIF state: deals and products by Id, and each
// person's running count and paid amount per SPIF id over the windows
// computed so far.
type spifRun struct {
	deals    map[string]*Deal
	products map[string]*Product
	count    map[string]*big.Rat // person \x00 SPIF id
	paid     map[string]*big.Rat
}

// prepareSPIFs indexes the deals and the catalogue and checks the product
// conditions of every SPIF whose period meets the quarter against the
// catalogue: a code, family or product Id no product has is an error
// naming it (most likely a typo, or an org whose field is missing), before
// anything is computed.
func (r *run) prepareSPIFs() ValidationErrors {
	s := &spifRun{deals: map[string]*Deal{}, products: map[string]*Product{}, count: map[string]*big.Rat{}, paid: map[string]*big.Rat{}}
	r.spif = s
	for i := range r.in.Deals {
		s.deals[r.in.Deals[i].ID] = &r.in.Deals[i]
	}
	codes, families := map[string]bool{}, map[string]bool{}
	for i := range r.in.Products {
		p := &r.in.Products[i]
		s.products[p.ID] = p
		codes[p.Code], families[p.Family] = true, true
	}
	delete(codes, "")
	delete(families, "")
	e := &errs{}
	qFrom, qTo := r.q.Start(), r.q.End().AddDate(0, 0, -1)
	for _, p := range r.in.Plans {
		for _, c := range p.Components {
			sp := c.SPIF
			if c.Kind != KindSPIF || sp == nil || sp.End.Before(qFrom) || sp.Start.After(qTo) || !sp.Match.products() {
				continue
			}
			e.file = p.File
			at := fmt.Sprintf("components[%s].spif.match", c.ID)
			if len(r.in.Products) == 0 {
				e.add(at, "plan %s matches products, but the run has no product catalogue (the lake's Product2 snapshot is empty: an org without products, or Product2 not extracted)", p.Ref())
				continue
			}
			check := func(name string, vals []string, known map[string]bool, field string) {
				have := make([]string, 0, len(known))
				for k := range known {
					have = append(have, k)
				}
				sort.Strings(have)
				for i, v := range vals {
					switch {
					case known[v]:
					case len(have) == 0:
						e.add(fmt.Sprintf("%s.%s[%d]", at, name, i), "%q: no product of the catalogue has a %s (the org's Product2 has no such field, or none is set)", v, field)
					default:
						e.add(fmt.Sprintf("%s.%s[%d]", at, name, i), "%q is no product's %s in the catalogue (have %s)", v, field, strings.Join(have, ", "))
					}
				}
			}
			check("product_codes", sp.Match.ProductCodes, codes, "ProductCode")
			check("product_families", sp.Match.ProductFamilies, families, "Family")
			for i, id := range sp.Match.ProductIDs {
				if s.products[id] == nil {
					e.add(fmt.Sprintf("%s.product_ids[%d]", at, i), "%s is not in the product catalogue", id)
				}
			}
		}
	}
	return e.list
}

// spifDeal is one credit a SPIF window counts.
type spifDeal struct {
	i      int      // index into the person's credits
	count  *big.Rat // credited units or deal share counted
	units  *big.Rat // the whole deal's matching units
	lines  []string // the matching lines, for the statement
	before *big.Rat // running count before it
	exact  *big.Rat // what it earned, after the cap
}

// matchDeal reports whether deal d, credited as cr, meets the SPIF's
// conditions and, when it has product conditions, its matching units and
// lines.
func (s *spifRun) matchDeal(sp *SPIF, d *Deal, cr DealCredit) (ok bool, units *big.Rat, lines []string, err error) {
	m := &sp.Match
	if len(m.DealTypes) > 0 && !contains(m.DealTypes, d.Type) {
		return false, nil, nil, nil
	}
	if m.MinAmount.Set && dealAmountIn(d, cr).Cmp(rat(m.MinAmount.Decimal)) < 0 {
		return false, nil, nil, nil
	}
	if len(m.LeadSources) > 0 && !contains(m.LeadSources, d.LeadSource) {
		return false, nil, nil, nil
	}
	units = new(big.Rat)
	if !m.products() {
		return true, units, nil, nil
	}
	for _, l := range d.Lines {
		p := s.products[l.ProductID]
		if p == nil {
			p = &Product{ID: l.ProductID}
		}
		if (len(m.ProductIDs) > 0 && !contains(m.ProductIDs, p.ID)) ||
			(len(m.ProductCodes) > 0 && !contains(m.ProductCodes, p.Code)) ||
			(len(m.ProductFamilies) > 0 && !contains(m.ProductFamilies, p.Family)) {
			continue
		}
		if l.NoQuantity {
			return false, nil, nil, fmt.Errorf("deal %s line item %s: no quantity in the lake (extracted before the quantity column existed: run a full resync of OpportunityLineItem)", d.ID, l.ID)
		}
		units.Add(units, rat(l.Quantity))
		name := p.Code
		if name == "" {
			name = p.ID
		}
		lines = append(lines, fmt.Sprintf("%s × %s", name, l.Quantity))
	}
	if len(lines) == 0 || (m.MinUnits.Set && units.Cmp(rat(m.MinUnits.Decimal)) < 0) {
		return false, nil, nil, nil
	}
	return true, units, lines, nil
}

// dealAmountIn is deal d's whole amount in the currency its credit cr is
// in (the plan's): exactly, at the rates the
// credit was converted at (fx.go), so min_amount compares one currency.
func dealAmountIn(d *Deal, cr DealCredit) *big.Rat {
	if cr.FX == nil {
		return rat(d.Amount)
	}
	return mul(rat(d.Amount), cr.FX.factor())
}

// priorSPIF is what the person's final statements of earlier quarters
// counted and paid for the SPIF id since its start: the running count and
// cap carry across quarters.
func (r *run) priorSPIF(id string, c *Component) (count, paid *big.Rat) {
	count, paid = new(big.Rat), new(big.Rat)
	start := c.SPIF.Start.String()
	for _, st := range r.previous[id] {
		for _, l := range st.Lines {
			if l.Kind == LineSPIF && l.Component == c.ID && l.SpanFrom >= start && l.Actual != nil {
				count.Add(count, rat(*l.Actual))
				paid.Add(paid, rat(l.Amount.Decimal))
			}
		}
	}
	return count, paid
}

// unfinalSPIFQuarters are the earlier quarters, from the one the SPIF
// starts in, in which person id was on a plan version running SPIF
// component c (by the assignments), but whose final statement is not
// among the previous statements: a count priorSPIF would miss.
func (r *run) unfinalSPIFQuarters(id string, c *Component) []string {
	final := map[string]bool{}
	for _, st := range r.previous[id] {
		final[st.Quarter] = true
	}
	var out []string
	for q := period.Of(c.SPIF.Start.Time); q.Before(r.q); q = q.Next() {
		if final[q.String()] {
			continue
		}
		spans, err := r.in.Assignments.Spans(id, q, r.in.Plans)
		if err != nil {
			continue // that quarter's assignments are that quarter's run's to report
		}
		for _, s := range spans {
			if runsSPIF(s, c.ID) {
				out = append(out, q.String())
				break
			}
		}
	}
	return out
}

// runsSPIF reports whether span s's plan has SPIF component id running on
// one of the span's days.
func runsSPIF(s Span, id string) bool {
	for _, c := range s.Plan.Components {
		if c.ID == id && c.Kind == KindSPIF && c.SPIF != nil && !c.SPIF.Start.After(s.To) && !c.SPIF.End.Before(s.From) {
			return true
		}
	}
	return false
}

// spifLines pays a SPIF component over the days of window w inside its
// period: one line, the deals behind it as items.
func spifLines(r *run, ps *personRun, w *window) ([]Line, error) {
	c, plan := w.comp, w.plan()
	sp := c.SPIF
	from, to := w.from, w.to
	if sp.Start.After(from) {
		from = sp.Start.Time
	}
	if sp.End.Before(to) {
		to = sp.End.Time
	}
	if from.After(to) {
		return nil, nil // the SPIF does not run in this window
	}
	cur, mode := plan.Currency, plan.Round().Mode
	fromDay, toDay := from.Format(time.DateOnly), to.Format(time.DateOnly)
	key := ps.p.ID + "\x00" + c.ID
	count, paid := r.spif.count[key], r.spif.paid[key]
	var unfinal []string
	if count == nil {
		count, paid = r.priorSPIF(ps.p.ID, c)
		if unfinal = r.unfinalSPIFQuarters(ps.p.ID, c); len(unfinal) > 0 && !r.in.Estimate {
			return nil, ValidationErrors{{File: plan.File, Path: fmt.Sprintf("components[%s].spif", c.ID), Reason: fmt.Sprintf(
				"%s (%s) was on SPIF %s in %s but has no final statement of it among the earlier statements read: the running count carries only from final statements (finalize it before computing %s)",
				ps.p.ID, ps.p.Name, c.ID, strings.Join(unfinal, ", "), r.q)}}
		}
	}
	startCount, startPaid := new(big.Rat).Set(count), new(big.Rat).Set(paid)
	if startCount.Sign() != 0 || startPaid.Sign() != 0 {
		ps.spif = append(ps.spif, InputSPIF{Component: c.ID, Carried: ptr(show(startCount)), Paid: &Money{show(startPaid)}})
	}

	countDeals := sp.Pay == SPIFPerDeal || sp.Count == CountDeals
	var deals []spifDeal
	for i, cr := range ps.credits {
		if !sp.Credit.Pays(cr.Role) || cr.CloseDate < fromDay || cr.CloseDate > toDay {
			continue
		}
		d := r.spif.deals[cr.DealID]
		if d == nil {
			continue
		}
		ok, units, lines, err := r.spif.matchDeal(sp, d, cr)
		if err != nil {
			return nil, ValidationErrors{{File: "deals", Path: d.ID, Reason: fmt.Sprintf("SPIF %s: %v", c.ID, err)}}
		}
		if !ok {
			continue
		}
		share := quo(rat(cr.Percent), rat(hundred))
		n := mul(units, share)
		if countDeals {
			n = share
		}
		deals = append(deals, spifDeal{i: i, count: n, units: units, lines: lines})
		ps.spif = append(ps.spif, InputSPIF{Component: c.ID, Deal: cr.DealID, Units: ptr(show(units)), Lines: lines})
	}
	sort.SliceStable(deals, func(a, b int) bool {
		x, y := ps.credits[deals[a].i], ps.credits[deals[b].i]
		if x.CloseDate != y.CloseDate {
			return x.CloseDate < y.CloseDate
		}
		if x.DealID != y.DealID {
			return x.DealID < y.DealID
		}
		return x.Via < y.Via
	})

	// earnedAt is the SPIF's exact pay on a running count x (before the cap).
	earnedAt := func(x *big.Rat) *big.Rat {
		switch sp.Pay {
		case SPIFFlat:
			if x.Cmp(rat(sp.Reach.Decimal)) >= 0 {
				return rat(sp.Amount.Decimal)
			}
			return new(big.Rat)
		case SPIFTiered:
			sum := new(big.Rat)
			for _, t := range sp.Tiers {
				lo, top := rat(t.From.Decimal), x
				if t.To.Set && rat(t.To.Decimal).Cmp(top) < 0 {
					top = rat(t.To.Decimal)
				}
				if top.Cmp(lo) > 0 {
					sum.Add(sum, mul(sub(top, lo), rat(t.Amount.Decimal)))
				}
			}
			return sum
		}
		return mul(x, rat(sp.Amount.Decimal))
	}
	capped := func(x *big.Rat) *big.Rat {
		if sp.CapAmount.Set && x.Cmp(rat(sp.CapAmount.Decimal)) > 0 {
			return rat(sp.CapAmount.Decimal)
		}
		return x
	}
	// Each deal earns what it adds to the SPIF's pay over its whole period:
	// pay at the running count after it, less before it, the cap filled in
	// close order. The prior paid amount is what earlier quarters' lines
	// paid (rounded), so a cap is never exceeded by their rounding.
	total, items := new(big.Rat), []LineItem{}
	for k := range deals {
		d := &deals[k]
		d.before = new(big.Rat).Set(count)
		after := add(count, d.count)
		earned := sub(earnedAt(after), earnedAt(count))
		if room := sub(capped(add(paid, earned)), paid); room.Cmp(earned) < 0 {
			earned = room
		}
		if earned.Sign() < 0 {
			earned = new(big.Rat)
		}
		d.exact = earned
		count, paid = after, add(paid, earned)
		total.Add(total, earned)
		cr := ps.credits[d.i]
		note := fmt.Sprintf("%s %s%%", cr.Role, cr.Percent)
		if len(d.lines) > 0 {
			note += ": " + strings.Join(d.lines, ", ")
		}
		items = append(items, LineItem{Date: cr.CloseDate, Ref: cr.DealID, Name: cr.DealName, Via: cr.Via, Note: note, Value: show(d.count)})
	}
	r.spif.count[key], r.spif.paid[key] = count, paid
	amount := roundMode(total, money.Scale, mode)

	// Share the rounded amount out to the deals for clawbacks.
	if !amount.IsZero() {
		weights := make([]decimal.Decimal, len(deals))
		for k, d := range deals {
			weights[k] = show(d.exact)
		}
		parts, err := money.Allocate(amount, weights)
		if err != nil {
			return nil, fmt.Errorf("component %s: attribute to deals: %w", c.ID, err)
		}
		days := 0
		if plan.ClawbackDays != nil {
			days = *plan.ClawbackDays
		}
		for k, d := range deals {
			if parts[k].IsZero() {
				continue
			}
			cr := &ps.credits[d.i]
			ref := plan.Ref()
			if t, err := time.Parse(time.DateOnly, cr.CloseDate); err == nil {
				if s := w.spanOn(t); s != nil {
					ref = s.Plan.Ref()
				}
			}
			explain := fmt.Sprintf("SPIF %s: counted %s, running count %s → %s, earned %s",
				c.ID, fmtQuantity(d.count), fmtQuantity(d.before), fmtQuantity(add(d.before, d.count)), fmtMoney(roundMode(d.exact, money.Scale, mode), cur))
			if !parts[k].Equal(roundMode(d.exact, money.Scale, mode)) {
				explain += fmt.Sprintf("; paid %s, its share of the line's rounded amount", fmtMoney(parts[k], cur))
			}
			cr.Payments = append(cr.Payments, Payment{Plan: ref, Component: c.ID, Paid: Money{parts[k]}, ClawbackDays: days, Basis: ClawbackAmountPaid, Mode: mode, Explain: explain})
			if len(cr.Payments) == 1 {
				cr.Plan, cr.Component, cr.Clawback = ref, c.ID, days
			}
			cr.Paid = Money{cr.Paid.Add(parts[k])}
			ps.paid[d.i] = true
		}
	}

	what := "units"
	if countDeals {
		what = "deals"
	}
	counted := sub(count, startCount)
	l := Line{
		Key: "spif/" + w.key() + "/" + c.ID, Kind: LineSPIF, Component: c.ID, Plan: w.refs(),
		SpanFrom: fromDay, SpanTo: toDay, Metric: "spif_" + what, Actual: ptr(show(counted)),
		Segment: describePay(sp, cur), Exact: show(total), Amount: Money{amount}, Items: items,
	}
	if sp.Pay == SPIFFlat {
		l.Target = ptr(sp.Reach.Decimal)
	}
	carried := ""
	if startCount.Sign() > 0 {
		carried = fmt.Sprintf(" (%s carried from earlier quarters' final statements and earlier windows)", fmtQuantity(startCount))
	}
	l.Explain = fmt.Sprintf("SPIF %s to %s (%s): %d matching deal(s) closed %s to %s count %s %s (your credited share); running count %s → %s%s; %s: pays %s",
		sp.Start, sp.End, describeMatch(&sp.Match), len(deals), fromDay, toDay, fmtQuantity(counted), what,
		fmtQuantity(startCount), fmtQuantity(count), carried, describePay(sp, cur), fmtMoney(amount, cur))
	if sp.CapAmount.Set {
		l.Explain += fmt.Sprintf(" (at most %s over the SPIF; %s paid before this line)", fmtMoney(sp.CapAmount.Decimal, cur), fmtMoney(show(startPaid), cur))
	}
	if len(unfinal) > 0 {
		l.Explain += fmt.Sprintf("; estimate: %s not final yet, its count is not carried", strings.Join(unfinal, ", "))
	}
	return []Line{l}, nil
}

// describeMatch says a SPIF's conditions in a few words.
func describeMatch(m *SPIFMatch) string {
	var parts []string
	list := func(what string, vs []string) {
		if len(vs) > 0 {
			parts = append(parts, what+" "+strings.Join(vs, "/"))
		}
	}
	list("deal types", m.DealTypes)
	if m.MinAmount.Set {
		parts = append(parts, "amount at least "+fmtQuantityDec(m.MinAmount.Decimal))
	}
	list("lead sources", m.LeadSources)
	list("product codes", m.ProductCodes)
	list("product families", m.ProductFamilies)
	list("products", m.ProductIDs)
	if m.MinUnits.Set {
		parts = append(parts, "at least "+fmtQuantityDec(m.MinUnits.Decimal)+" matching units")
	}
	return strings.Join(parts, ", ")
}

// describePay says how a SPIF pays.
func describePay(sp *SPIF, cur string) string {
	switch sp.Pay {
	case SPIFPerUnit:
		return fmt.Sprintf("%s per unit", fmtMoney(sp.Amount.Decimal, cur))
	case SPIFPerDeal:
		return fmt.Sprintf("%s per deal", fmtMoney(sp.Amount.Decimal, cur))
	case SPIFFlat:
		return fmt.Sprintf("%s once at %s %s", fmtMoney(sp.Amount.Decimal, cur), fmtQuantityDec(sp.Reach.Decimal), sp.Count)
	}
	parts := make([]string, len(sp.Tiers))
	for i, t := range sp.Tiers {
		to := "and above"
		if t.To.Set {
			to = "to " + fmtQuantityDec(t.To.Decimal)
		}
		parts[i] = fmt.Sprintf("%s %s: %s", fmtQuantityDec(t.From.Decimal), to, fmtMoney(t.Amount.Decimal, cur))
	}
	return fmt.Sprintf("tiered per %s by running count (%s)", strings.TrimSuffix(string(sp.Count), "s"), strings.Join(parts, "; "))
}

func describeSPIF(b *strings.Builder, p *Plan, c *Component) {
	sp := c.SPIF
	basis := "deals credited to you (as owner or by split; a split counts your share)"
	if sp.Credit == CreditTeam {
		basis = "deals credited to the people who report to you on each deal's close date (their share)"
	}
	fmt.Fprintf(b, "   A SPIF on %s that close from %s to %s (both days included) while you are on this plan.\n", basis, sp.Start, sp.End)
	fmt.Fprintf(b, "   A deal counts when: %s.\n", describeMatch(&sp.Match))
	if sp.Match.products() {
		b.WriteString("   Units are the quantities of the deal's line items whose product matches.\n")
	}
	fmt.Fprintf(b, "   It pays %s", describePay(sp, p.Currency))
	switch sp.Pay {
	case SPIFFlat, SPIFTiered:
		b.WriteString("; the count runs over the whole SPIF, across quarters, deals in close order")
	}
	b.WriteString(", in the quarter each deal closes; it is not prorated.\n")
	if sp.CapAmount.Set {
		fmt.Fprintf(b, "   It pays you at most %s over the whole SPIF.\n", fmtMoney(sp.CapAmount.Decimal, p.Currency))
	}
}
