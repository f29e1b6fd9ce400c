package kpi

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/money"
	"github.com/venn-revops/venn/shared/period"
)

// Marketing cost and return (docs/kpis.md §2.13). A campaign's ActualCost
// lands in periods by the configured spread; the leads, MQLs and customers
// a campaign "gets" are those whose lead-creation touch (the rule of
// attribution.lead_creation, on the lead alone) is one of its members; the
// return per unit of spend divides the attribution models' influenced
// figures by the spend.

// Spread rules of cost.spread.
const (
	// CostSpreadDays spreads ActualCost evenly over the days StartDate to
	// EndDate inclusive (Marketo Measure's CRM campaign cost rule), to the
	// cent: money.Allocate over the quarters by their days, then, while a
	// quarter is to date, its share over the days before and from the
	// as-of day. The final figures of the quarters sum to the cost exactly.
	CostSpreadDays = "days"
	// CostSpreadStart puts the whole cost on StartDate (the day it lands
	// in, so in StartDate's quarter).
	CostSpreadStart = "start_date"
)

var costSpreads = []string{CostSpreadDays, CostSpreadStart}

// campaignCost is a marketing campaign whose spend days meet the period.
type campaignCost struct {
	camp    uint32 // engine.names
	channel string
	cents   int64 // spend in the period; meaningful when known
	known   bool  // ActualCost non-null
}

// lcLead is a lead the cost KPIs count: created in the period (isNew),
// marketing-qualified in it (isMQL), or converted into a customer of the
// period (a new-business deal won in it). camp is its lead-creation touch's
// campaign when touched.
type lcLead struct {
	created, at  int64
	camp         uint32
	touched      bool
	isNew, isMQL bool
}

// costState is the engine's cost bookkeeping.
type costState struct {
	campaigns []campaignCost
	// The org's leads, MQLs and customers of the period, counted whether
	// or not a campaign spends in it (the org's denominators).
	newN, mqlN, dealN int64
	deals             map[int32]bool   // customers, kept when some campaign spends in the period
	idx               map[string]int32 // lead Id → leads
	leads             []lcLead
	filter            *idFilter // of idx's keys, built before the members
	latest            int64     // the latest created + grace of leads: no later touch is a lead-creation touch
}

// marketingType reports whether members of a campaign type are marketing
// touches (marketing.campaign_types; empty: every type).
func (e *engine) marketingType(typ string) bool {
	return len(e.cfg.MarketingCampaignTypes) == 0 || slices.Contains(e.cfg.MarketingCampaignTypes, typ)
}

// spendDays is the inclusive day range a campaign's cost is spread over;
// false when the campaign lacks the dates its rule needs (or ends before
// it starts).
func spendDays(c *Campaign, spread string) (first, last int64, ok bool) {
	if c.StartDate == nil {
		return 0, 0, false
	}
	first = int64(*c.StartDate)
	if spread == CostSpreadStart {
		return first, first, true
	}
	if c.EndDate == nil || int64(*c.EndDate) < first {
		return 0, 0, false
	}
	return first, int64(*c.EndDate), true
}

func dayOf(t time.Time) int64 { return floorDay(t.UnixMicro()) }

// overlapDays is the number of days in both inclusive ranges.
func overlapDays(a0, a1, b0, b1 int64) int64 { return max(0, min(a1, b1)-max(a0, b0)+1) }

// campaignCost places one campaign row's cost in the period.
func (e *engine) campaignCost(c *Campaign) {
	if c.IsDeleted || !e.marketingType(c.Type) {
		return
	}
	first, last, ok := spendDays(c, e.cfg.CostSpread)
	if !ok {
		if c.ActualCost != nil {
			e.stats.UnplacedCampaignCosts++
		}
		return
	}
	w := &e.w
	wFirst, wLast := floorDay(w.start), floorDay(w.end-1)
	if overlapDays(first, last, wFirst, wLast) == 0 {
		return
	}
	cc := campaignCost{camp: e.names.id(c.ID), channel: orNone(e.vals.keep(c.Type))}
	if c.ActualCost != nil {
		cc.known, cc.cents = true, spendIn(*c.ActualCost, first, last, w.q, wLast)
	}
	e.cost.campaigns = append(e.cost.campaigns, cc)
}

// spendIn is the share of cost (cents over days first..last) in quarter q
// up to day wLast: money.Allocate over every quarter the days meet, by
// days (ties to the earlier quarter), then q's share over its days up to
// wLast and after, when wLast is before q's last day.
func spendIn(cost, first, last int64, q period.Quarter, wLast int64) int64 {
	var weights []decimal.Decimal
	at := -1
	for p := period.Of(time.UnixMicro(first * dayMicros).UTC()); ; p = p.Next() {
		p0, p1 := dayOf(p.Start()), dayOf(p.End())-1
		if p0 > last {
			break
		}
		if p == q {
			at = len(weights)
		}
		weights = append(weights, decimal.NewFromInt(overlapDays(first, last, p0, p1)))
	}
	share := allocCents(cost, weights)[at]
	q0, q1 := dayOf(q.Start()), dayOf(q.End())-1
	if after := overlapDays(first, last, wLast+1, q1); after > 0 {
		share = allocCents(share, []decimal.Decimal{decimal.NewFromInt(overlapDays(first, last, q0, wLast)), decimal.NewFromInt(after)})[0]
	}
	return share
}

// allocCents is money.Allocate in cents; the weights are positive day
// counts, which Allocate accepts.
func allocCents(cents int64, weights []decimal.Decimal) []int64 {
	parts, err := money.Allocate(money.FromCents(cents), weights)
	if err != nil {
		panic("kpi: spend allocation: " + err.Error()) // weights are positive by construction
	}
	out := make([]int64, len(parts))
	for i, p := range parts {
		out[i] = money.Cents(p)
	}
	return out
}

// markCostDeals marks the customers of the period (new-business
// opportunities won with a close date in it, as of the as-of instant)
// once the opportunities are settled, for the leads step to find their
// converted leads.
func (e *engine) markCostDeals() {
	c := &e.cost
	if len(c.campaigns) > 0 {
		c.deals = map[int32]bool{}
	}
	for i := range e.opps.n {
		if o := e.opps.at(i); o.class == ClassNewBusiness && o.won && e.w.inDay(o.closeDay) {
			c.dealN++
			if c.deals != nil {
				c.deals[i] = true
			}
		}
	}
}

// costLead counts a lead for the org and keeps it when a campaign's cost
// KPIs may count it (leads step; mql as leadStages gives it). Nothing is
// kept when no marketing campaign spends in the period: only the org then
// has cost KPIs.
func (e *engine) costLead(l *Lead, mql int64) {
	isNew, isMQL := e.w.in(l.CreatedDate), mql >= 0 && e.w.in(mql)
	if isNew {
		e.cost.newN++
	}
	if isMQL {
		e.cost.mqlN++
	}
	if len(e.cost.campaigns) == 0 {
		return
	}
	deal := false
	if l.ConvertedOpportunityID != "" && len(e.cost.deals) > 0 {
		i, ok := e.oppIdx[l.ConvertedOpportunityID]
		deal = ok && e.cost.deals[i]
	}
	if !isNew && !isMQL && !deal {
		return
	}
	e.cost.idx[strings.Clone(l.ID)] = int32(len(e.cost.leads))
	e.cost.leads = append(e.cost.leads, lcLead{created: l.CreatedDate, isNew: isNew, isMQL: isMQL})
	e.cost.latest = max(e.cost.latest, l.CreatedDate+e.cfg.LeadCreation.Grace.Microseconds())
}

// costTouch offers an eligible member touch (members step) as its lead's
// lead-creation touch: among the lead's marketing touches at or before its
// CreatedDate + grace, the first (pick first) or the last (pick last) by
// (instant, campaign Id).
func (e *engine) costTouch(m *CampaignMember, at int64) {
	c := &e.cost
	if c.filter == nil || m.LeadID == "" || at > c.latest || !c.filter.mayContain(m.LeadID) {
		return
	}
	i, ok := c.idx[m.LeadID]
	if !ok {
		return
	}
	l := &c.leads[i]
	if at > l.created+e.cfg.LeadCreation.Grace.Microseconds() {
		return
	}
	ctype, ok := e.campType[m.CampaignID]
	if !ok || !e.marketingType(ctype) {
		return
	}
	camp := e.names.id(m.CampaignID)
	if l.touched {
		order := cmp.Or(cmp.Compare(at, l.at), strings.Compare(m.CampaignID, e.names.str(l.camp)))
		if (e.cfg.LeadCreation.Pick == LCLast) != (order > 0) {
			return
		}
	}
	l.at, l.camp, l.touched = at, camp, true
}

// costCounts is what one dimension key gets: spend and the counts it is
// divided by.
type costCounts struct {
	spend              int64
	known, unknown     int64 // campaigns of the period with a known / null cost
	leads, mqls, deals int64
	campaign           bool // the key is one campaign: a null cost makes its spend n/a
}

// spendMeasure is the key's spend: n/a when no campaign of the key has a
// known cost (or the key is a campaign whose cost is null).
func (c *costCounts) spendMeasure() measure {
	if c.known == 0 || (c.campaign && c.unknown > 0) {
		return measure{}
	}
	return cents(c.spend)
}

// costPer is spend ÷ n, to the cent (half away from zero); n/a without a
// known spend or with n = 0.
func (c *costCounts) costPer(n int64) measure {
	if !c.spendMeasure().defined {
		return measure{isRatio: true, den: decimal.NewFromInt(n)}
	}
	return avgMoney(c.spend, n)
}

// costValues evaluates the cost KPIs (eval nil in specs) for the org and
// the configured campaign and channel keys that have campaigns in the
// period, from those campaigns, the lead-creation touches and the
// influenced values in attr.
func (e *engine) costValues(attr []Value) []Value {
	c := &e.cost
	org := &costCounts{}
	byKey := map[dimKey]*costCounts{{DimOrg, KeyAll}: org}
	for _, cp := range c.campaigns {
		for _, dk := range []dimKey{{DimCampaign, e.names.str(cp.camp)}, {DimChannel, cp.channel}, {DimOrg, KeyAll}} {
			if dk.dim != DimOrg && !slices.Contains(e.cfg.Dimensions, dk.dim) {
				continue
			}
			cc := byKey[dk]
			if cc == nil {
				cc = &costCounts{campaign: dk.dim == DimCampaign}
				byKey[dk] = cc
			}
			if cp.known {
				cc.known++
				cc.spend += cp.cents
			} else {
				cc.unknown++
			}
		}
	}
	// Counts per lead-creation campaign first, then rolled up to the keys
	// of the period (a lead of a campaign without spend in the period
	// counts at the org and in its channel, if the channel has some).
	perCamp := map[uint32]*[3]int64{} // leads, mqls, deals
	tally := func(l *lcLead, k int) {
		if l == nil || !l.touched {
			return
		}
		n := perCamp[l.camp]
		if n == nil {
			n = new([3]int64)
			perCamp[l.camp] = n
		}
		n[k]++
	}
	org.leads, org.mqls, org.deals = c.newN, c.mqlN, c.dealN
	for i := range c.deals {
		if o := e.opps.at(i); o.hasLead {
			if j, ok := c.idx[o.leadID]; ok {
				tally(&c.leads[j], 2)
			}
		}
	}
	for j := range c.leads {
		l := &c.leads[j]
		if l.isNew {
			tally(l, 0)
		}
		if l.isMQL {
			tally(l, 1)
		}
	}
	for camp, n := range perCamp {
		id := e.names.str(camp)
		for _, dk := range []dimKey{{DimCampaign, id}, {DimChannel, orNone(e.campType[id])}} {
			if cc := byKey[dk]; cc != nil {
				cc.leads += n[0]
				cc.mqls += n[1]
				cc.deals += n[2]
			}
		}
	}
	influenced := map[attrKey]decimal.Decimal{}
	for _, v := range attr {
		influenced[attrKey{v.KPI, v.Model, dimKey{v.Dimension, v.Key}}] = v.Value
	}
	var out []Value
	for dk, cc := range byKey {
		add := func(name, model string, m measure) {
			if d, _ := Lookup(name); slices.Contains(d.Dimensions, dk.dim) {
				out = append(out, e.value(d, dk, model, m))
			}
		}
		spend := cc.spendMeasure()
		add("marketing_spend", "", spend)
		add("campaigns_cost_unknown", "", count(cc.unknown))
		add("cost_per_lead", "", cc.costPer(cc.leads))
		add("cost_per_mql", "", cc.costPer(cc.mqls))
		add("cac", "", cc.costPer(cc.deals))
		for _, m := range e.cfg.Attribution {
			for _, k := range [...]struct{ name, from string }{{"pipeline_per_spend", creditKPIs[creditPipeline]}, {"bookings_per_spend", creditKPIs[creditBookings]}} {
				r := measure{isRatio: true, num: influenced[attrKey{k.from, m.Name, dk}]}
				if spend.defined {
					r = ratioDec(r.num, spend.value)
				}
				add(k.name, m.Name, r)
			}
		}
	}
	return out
}
