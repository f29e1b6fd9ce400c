package orggen

import (
	"math"
	"time"
)

// The demo org is lead-driven: every Account, Contact, Opportunity and the
// records hanging off them descend from one lead. A leadPlan is everything
// that happens to lead i, computed from (seed, i) alone with no allocation,
// so any record can be rendered on demand from its lead's plan.

const (
	usSecond = int64(time.Second / time.Microsecond)
	usMinute = 60 * usSecond
	usHour   = 60 * usMinute
	usDay    = 24 * usHour
)

// Lead sources: the first five are marketing sources.
var leadSources = []string{"Web", "Paid Search", "Webinar", "Event", "Content Syndication", "Outbound", "Partner", "Referral"}
var leadSourceWeights = []int{24, 14, 12, 8, 10, 16, 9, 7}

const numMarketingSources = 5

// Campaign types (channels), and the channel of each marketing source's
// originating touch.
var campaignTypes = []string{"Webinar", "Email", "Event", "Paid Search", "Content"}
var sourceChannel = []int{4, 3, 0, 2, 4}

const channelEmail = 1

var segments = []string{"SMB", "Mid-Market", "Enterprise"}
var segmentWeights = []int{55, 30, 15}
var regions = []string{"NA", "EMEA", "APAC"}
var regionWeights = []int{50, 30, 20}

// Per segment: deal size in whole dollars and sales cycle in days.
var dealSize = [3][2]int64{{8_000, 30_000}, {30_000, 120_000}, {120_000, 600_000}}
var cycleDays = [3][2]int64{{20, 60}, {40, 100}, {60, 150}}

// Opportunity stages in order, with their default probability.
var stageNames = []string{"Prospecting", "Qualification", "Proposal", "Negotiation", "Closed Won", "Closed Lost"}
var stageProbability = []int64{10, 20, 50, 75, 100, 0}

const (
	stageNegotiation = 3
	stageWon         = 4
	stageLost        = 5
)

// Fraction of the cycle at which each open stage is entered.
var stageAt = []float64{0, 0.2, 0.45, 0.7}

// Opportunity types.
const (
	oppNewBusiness = iota
	oppExpansion
	oppRenewal
)

var oppTypes = []string{"New Business", "Expansion", "Renewal"}

type outcome uint8

const (
	outcomeOpen outcome = iota
	outcomeWon
	outcomeLost
)

const (
	maxTouches = 6
	maxTasks   = 8
	maxOpps    = 3
	maxStages  = 7
)

type touch struct {
	at        int64
	campaign  int
	responded bool
	contact   bool // a touch of the converted contact (no LeadId)
}

type task struct {
	at    int64
	owner int
	call  bool // a call rather than an email; ignored for meetings
	opp   int  // index into leadPlan.opps for a meeting, -1 for a lead task
}

type stageStep struct {
	at       int64
	stage    int
	amount   int64 // cents
	closeDay int64 // days since epoch
}

type oppPlan struct {
	kind       int
	created    int64
	closeDay   int64
	closeAt    int64 // instant the deal closed (outcome != open)
	owner      int
	amount     int64 // cents
	outcome    outcome
	cancelled  bool // won, then changed to Closed Lost (clawback)
	campaign   int  // primary campaign, -1 for none
	split      bool
	splitOwner int
	splitPct   int64 // owner's share in percent; the other AE gets the rest
	stages     [maxStages]stageStep
	nStages    int
}

// stage is the opportunity's current stage.
func (o *oppPlan) stage() int { return o.stages[o.nStages-1].stage }

// modstamp is the last change to the opportunity.
func (o *oppPlan) modstamp() int64 { return o.stages[o.nStages-1].at }

type leadPlan struct {
	i               int64
	created         int64
	source          int
	segment, region int
	mql, sql, conv  int64 // 0 when the lead never got there
	owner           int
	status          string
	touches         [maxTouches]touch
	nTouches        int
	tasks           [maxTasks]task
	nTasks          int
	opps            [maxOpps]oppPlan
	nOpps           int
	lines           [maxOpps][maxLines]lineItem // line items of each deal
	nLines          [maxOpps]int
	contracts       [maxContracts]contractPlan
	nContracts      int
	currency        string // the account's deal currency (opportunities, line items); "": USD
	modstamp        int64
	worked          int64 // the owner's last funnel step (later status changes are automation's)
	firstResponse   int64 // first sales touch after MQL, 0 if none
	autoEmail       int64 // the routing flow's e-mail on the MQL, 0 if none
	queued          bool  // owned by the SDR queue (an unanswered MQL)
	accountIndustry int
	customer        bool // the account has a won deal
	contactModstamp int64
	accountModstamp int64
	// Title and industry at creation (rank and industry -1: none) and
	// now, and the history rows (leadhistory.go).
	title, titleNow       string
	rank                  int
	industry, industryNow int
	changes               [maxChanges]fieldChange
	nChanges              int
}

func (p *leadPlan) marketing() bool { return p.source < numMarketingSources }

// script pins the fate of the first few leads so the demo always has the
// cases the comp plans exercise: every AE books in 2026Q3 (including the
// mid-quarter hire and the promoted SDR), one of those deals is in EUR,
// and three deals won in 2026Q2 are cancelled in 2026Q3 (clawbacks).
type script struct {
	ae                  string // person Id of the opportunity owner
	oppCreated, closeOn time.Time
	cancelOn            time.Time // zero: not cancelled
	currency            string    // the account's deal currency; "": USD
}

var scripts = []script{
	{ae: "005000000000002AAA", oppCreated: day(2026, 6, 10), closeOn: day(2026, 8, 12)},
	{ae: "005000000000003AAA", oppCreated: day(2026, 6, 20), closeOn: day(2026, 7, 28)},
	{ae: "005000000000004AAA", oppCreated: day(2026, 7, 1), closeOn: day(2026, 9, 10)},
	// Lena Fischer's German customer buys in EUR (she is paid in USD).
	{ae: "005000000000007AAA", oppCreated: day(2026, 5, 15), closeOn: day(2026, 8, 30), currency: "EUR"},
	{ae: "005000000000008AAA", oppCreated: day(2026, 6, 1), closeOn: day(2026, 9, 22)},
	{ae: "005000000000009AAA", oppCreated: day(2026, 8, 20), closeOn: day(2026, 9, 24)},
	{ae: "005000000000005AAA", oppCreated: day(2026, 9, 3), closeOn: day(2026, 9, 28)},
	{ae: "005000000000002AAA", oppCreated: day(2026, 3, 25), closeOn: day(2026, 5, 20), cancelOn: day(2026, 8, 5)},
	{ae: "005000000000007AAA", oppCreated: day(2026, 4, 10), closeOn: day(2026, 6, 12), cancelOn: day(2026, 7, 21)},
	{ae: "005000000000008AAA", oppCreated: day(2026, 2, 20), closeOn: day(2026, 4, 28), cancelOn: day(2026, 9, 8)},
}

// scriptFor returns the script of lead i, if it has one that fits the
// configured history window.
func (g *generator) scriptFor(i int64) (script, bool) {
	if i >= int64(len(scripts)) {
		return script{}, false
	}
	s := scripts[i]
	end := s.closeOn
	if !s.cancelOn.IsZero() {
		end = s.cancelOn
	}
	if s.oppCreated.Add(-25*24*time.Hour).UnixMicro() < g.start || end.Add(24*time.Hour).UnixMicro() > g.asOf {
		return script{}, false
	}
	return s, true
}

const streamLead = 1

func dayOf(us int64) int64 { return floorDiv(us, usDay) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// plan computes lead i's fate into p.
func (g *generator) plan(i int64, p *leadPlan) {
	*p = leadPlan{i: i}
	r := newRNG(g.seed, streamLead, i)
	sc, scripted := g.scriptFor(i)

	p.segment = r.weighted(segmentWeights)
	p.region = r.weighted(regionWeights)
	p.accountIndustry = r.intn(len(industries))
	g.planTitle(p)
	if scripted {
		conv := sc.oppCreated.UnixMicro() + 10*usHour
		p.source = 2 // Webinar
		p.created = conv - 20*usDay
		p.mql = p.created + usDay
		p.sql = p.mql + 5*usDay
		p.conv = conv
		p.firstResponse = p.mql + 2*usHour
	} else if g.planted {
		g.planPlanted(&r, p)
	} else {
		p.source = r.weighted(leadSourceWeights)
		p.created = r.between(g.start, g.asOf)
		mqlRate := 0.15
		if p.marketing() {
			mqlRate = 0.45
		}
		if r.chance(mqlRate) {
			if at := p.created + r.between(2*usHour, 14*usDay); at < g.asOf {
				p.mql = at
			}
		}
		if p.mql != 0 {
			// Response time: about half within six hours, a fifth within the
			// day, a fifth late, a tenth never touched.
			var delay int64
			switch x := r.float(); {
			case x < 0.5:
				delay = r.between(5*usMinute, 6*usHour)
			case x < 0.7:
				delay = r.between(6*usHour, 24*usHour)
			case x < 0.9:
				delay = r.between(24*usHour, 5*usDay)
			default:
				delay = -1
			}
			if at := p.mql + delay; delay >= 0 && at < g.asOf {
				p.firstResponse = at
			}
		}
		if p.firstResponse != 0 && r.chance(0.4) {
			if at := p.firstResponse + r.between(usDay, 10*usDay); at < g.asOf {
				p.sql = at
			}
		}
		if p.sql != 0 && r.chance(0.6) {
			if at := p.sql + r.between(usHour, 7*usDay); at < g.asOf {
				p.conv = at
			}
		}
	}

	// Sales touches on the lead: the first response, then follow-ups until
	// it is qualified (or for ten days).
	if p.firstResponse != 0 {
		p.addTask(task{at: p.firstResponse, call: r.chance(0.6), opp: -1})
		end := p.firstResponse + 10*usDay
		if p.sql != 0 {
			end = p.sql
		}
		for k, n := 0, r.intn(3); k < n; k++ {
			if at := r.between(p.firstResponse, end); at < g.asOf {
				p.addTask(task{at: at, call: r.chance(0.5), opp: -1})
			}
		}
	}

	// Marketing touches: the originating one when the lead was created,
	// then a few more before it was qualified.
	if p.marketing() {
		p.addTouch(touch{at: p.created, campaign: g.campaignAt(sourceChannel[p.source], p.created), responded: true})
		end := p.created + 30*usDay
		if p.mql != 0 {
			end = p.mql
		}
		for k, n := 0, r.intn(3); k < n; k++ {
			if at := r.between(p.created, end); at < g.asOf {
				p.addTouch(touch{at: at, campaign: g.campaignAt(r.intn(len(campaignTypes)), at), responded: r.chance(0.6)})
			}
		}
	} else if r.chance(0.3) {
		if at := p.created + r.between(usDay, 40*usDay); at < g.asOf {
			p.addTouch(touch{at: at, campaign: g.campaignAt(channelEmail, at), responded: r.chance(0.4)})
		}
	}

	if p.conv != 0 {
		g.planOpportunities(&r, p, sc, scripted)
		g.planContracts(p)
	}

	last := p.created
	for _, at := range []int64{p.mql, p.sql, p.conv} {
		last = max(last, at)
	}
	for k := 0; k < p.nTasks; k++ {
		if p.tasks[k].opp < 0 {
			last = max(last, p.tasks[k].at)
		}
	}
	p.owner = pickPerson(&r, roleSDR, p.created, last)
	for k := 0; k < p.nTasks; k++ {
		if p.tasks[k].opp < 0 {
			p.tasks[k].owner = p.owner
		}
	}
	p.modstamp, p.worked = last, last
	// The lead-routing flow e-mails every MQL a minute or so after it
	// qualifies (a Task created by the Automated Process user), and one
	// unanswered MQL in four still sits in the SDR queue. Neither draws
	// from r, so every other figure of the org stays as it was.
	if p.mql != 0 {
		if at := p.mql + 30*usSecond + p.i%60*usSecond; at < g.asOf {
			p.autoEmail = at
		}
		p.queued = p.firstResponse == 0 && p.i%4 == 0
	}

	switch {
	case p.conv != 0:
		p.status = "Closed - Converted"
	case p.sql != 0:
		p.status = "Sales Qualified"
	case p.mql != 0 && g.asOf-p.mql > 60*usDay:
		p.status = "Closed - Not Converted"
	case p.mql != 0:
		p.status = "Marketing Qualified"
	case g.asOf-p.created > 45*usDay && r.chance(0.5):
		p.status = "Closed - Not Converted"
	case g.asOf-p.created > 7*usDay:
		p.status = "Working - Contacted"
	default:
		p.status = "Open - Not Contacted"
	}
	g.planHistory(p)
}

func (p *leadPlan) addTask(t task) {
	if p.nTasks < maxTasks {
		p.tasks[p.nTasks] = t
		p.nTasks++
	}
}

func (p *leadPlan) addTouch(t touch) {
	if p.nTouches < maxTouches && t.campaign >= 0 {
		p.touches[p.nTouches] = t
		p.nTouches++
	}
}

func dollars(r *rng, lo, hi int64) int64 { return r.between(lo*100, hi*100) }

// planOpportunities plans the new-business deal of a converted lead and
// the expansion and renewal that may follow on the same account.
func (g *generator) planOpportunities(r *rng, p *leadPlan, sc script, scripted bool) {
	nb := &p.opps[0]
	p.nOpps = 1
	nb.kind = oppNewBusiness
	nb.created = p.conv
	if scripted {
		p.currency = sc.currency
	}
	nb.amount = dollars(r, dealSize[p.segment][0], dealSize[p.segment][1])
	nb.campaign = -1
	if p.marketing() {
		for k := p.nTouches - 1; k >= 0; k-- {
			if p.touches[k].at <= p.conv {
				nb.campaign = p.touches[k].campaign
				break
			}
		}
	}
	if scripted {
		nb.owner = personIndex(sc.ae)
		closeAt := sc.closeOn.UnixMicro() + 15*usHour
		g.closeDeal(r, nb, closeAt, outcomeWon, 4)
		if !sc.cancelOn.IsZero() {
			g.cancel(nb, sc.cancelOn.UnixMicro()+11*usHour)
		}
	} else {
		cycle := r.between(cycleDays[p.segment][0], cycleDays[p.segment][1]) * usDay
		won := r.chance(0.4)
		lostAfter := r.intn(4) + 1
		closeAt := nb.created + cycle + r.between(9*usHour, 18*usHour) - (nb.created % usDay)
		end := min(closeAt, g.asOf)
		nb.owner = pickPerson(r, roleAE, nb.created, end)
		if closeAt >= g.asOf {
			g.openDeal(nb, closeAt)
		} else if won {
			g.closeDeal(r, nb, closeAt, outcomeWon, 4)
			if cancelAt := closeAt + r.between(14*usDay, 90*usDay); r.chance(0.02) && cancelAt < g.asOf {
				g.cancel(nb, cancelAt)
			}
		} else {
			g.closeDeal(r, nb, closeAt, outcomeLost, lostAfter)
		}
	}
	if r.chance(0.1) {
		end := min(g.asOf, nb.modstamp())
		if other := pickOther(r, roleAE, nb.created, end, nb.owner); other >= 0 {
			nb.split, nb.splitOwner = true, other
			nb.splitPct = []int64{60, 50, 70}[r.intn(3)]
		}
	}
	g.addMeetings(r, p, 0)

	wonNB := nb.outcome == outcomeWon && !nb.cancelled
	if wonNB && r.chance(0.15) {
		if created := nb.closeAt + r.between(45*usDay, 150*usDay); created < g.asOf {
			ex := &p.opps[p.nOpps]
			p.nOpps++
			ex.kind = oppExpansion
			ex.created = created
			ex.campaign = -1
			ex.amount = nb.amount * r.between(20, 50) / 100
			closeAt := created + r.between(20, 60)*usDay
			ex.owner = g.keepOwner(r, nb.owner, created, min(closeAt, g.asOf))
			switch {
			case closeAt >= g.asOf:
				g.openDeal(ex, closeAt)
			case r.chance(0.55):
				g.closeDeal(r, ex, closeAt, outcomeWon, 4)
			default:
				g.closeDeal(r, ex, closeAt, outcomeLost, r.intn(4)+1)
			}
			g.addMeetings(r, p, p.nOpps-1)
		}
	}
	if wonNB {
		// Renewals a year after the won deal, on the same account.
		if created := nb.closeAt + 300*usDay; created < g.asOf {
			rn := &p.opps[p.nOpps]
			p.nOpps++
			rn.kind = oppRenewal
			rn.created = created
			rn.campaign = -1
			rn.amount = nb.amount * r.between(90, 116) / 100
			closeAt := nb.closeAt + 365*usDay
			rn.owner = g.keepOwner(r, nb.owner, created, min(closeAt, g.asOf))
			switch {
			case closeAt >= g.asOf:
				g.openDeal(rn, closeAt)
			case r.chance(0.8):
				g.closeDeal(r, rn, closeAt, outcomeWon, 4)
			default:
				g.closeDeal(r, rn, closeAt, outcomeLost, 2)
			}
		}
	}

	// The account becomes a Customer when its first deal is won (a workflow
	// updates Type then); a cancelled deal does not make it one.
	p.customer = false
	p.contactModstamp = p.conv
	p.accountModstamp = p.conv
	for k := 0; k < p.nOpps; k++ {
		o := &p.opps[k]
		if o.outcome == outcomeWon && !o.cancelled && !p.customer {
			p.customer = true
			p.accountModstamp = o.closeAt
		}
	}

	// Touches of the converted contact while the deal is open.
	for k, n := 0, r.intn(3); k < n; k++ {
		end := min(g.asOf, nb.modstamp())
		if at := r.between(p.conv, end); at > p.conv && at < g.asOf {
			p.addTouch(touch{at: at, campaign: g.campaignAt(r.intn(len(campaignTypes)), at), responded: r.chance(0.5), contact: true})
		}
	}
}

// keepOwner keeps the account's AE on a follow-up deal when they are still
// an AE throughout it; otherwise the deal goes to another active AE.
func (g *generator) keepOwner(r *rng, owner int, from, to int64) int {
	if holdsRole(owner, roleAE, from, to) {
		return owner
	}
	return pickPerson(r, roleAE, from, to)
}

// openDeal plans a deal still open at as-of: the stages it has reached so
// far, closing at closeAt in the future.
func (g *generator) openDeal(o *oppPlan, closeAt int64) {
	o.outcome = outcomeOpen
	o.closeDay = dayOf(closeAt)
	cycle := closeAt - o.created
	for s := range 4 {
		at := o.created + int64(stageAt[s]*float64(cycle))
		if s > 0 && at >= g.asOf {
			break
		}
		o.stages[o.nStages] = stageStep{at: at, stage: s, amount: o.amount, closeDay: o.closeDay}
		o.nStages++
	}
}

// closeDeal plans a deal that closed at closeAt, having gone through the
// first `reached` open stages.
func (g *generator) closeDeal(r *rng, o *oppPlan, closeAt int64, out outcome, reached int) {
	o.outcome = out
	o.closeAt = closeAt
	o.closeDay = dayOf(closeAt)
	cycle := closeAt - o.created
	for s := 0; s < reached && s < 4; s++ {
		at := o.created + int64(stageAt[s]*float64(cycle))
		o.stages[o.nStages] = stageStep{at: at, stage: s, amount: o.amount, closeDay: o.closeDay}
		o.nStages++
	}
	final := stageLost
	if out == outcomeWon {
		final = stageWon
	}
	o.stages[o.nStages] = stageStep{at: closeAt, stage: final, amount: o.amount, closeDay: o.closeDay}
	o.nStages++
	_ = r
}

// cancel turns a won deal into Closed Lost at at (a clawback).
func (g *generator) cancel(o *oppPlan, at int64) {
	o.cancelled = true
	o.stages[o.nStages] = stageStep{at: at, stage: stageLost, amount: o.amount, closeDay: o.closeDay}
	o.nStages++
}

// addMeetings adds one or two meetings held by the deal's owner while the
// deal was open.
func (g *generator) addMeetings(r *rng, p *leadPlan, k int) {
	o := &p.opps[k]
	end := g.asOf
	if o.outcome != outcomeOpen {
		end = o.closeAt
	}
	for m, n := 0, 1+r.intn(2); m < n; m++ {
		if at := r.between(o.created, end); at > o.created && at < g.asOf {
			p.addTask(task{at: at, owner: o.owner, opp: k})
		}
	}
}

var industries = []string{"Software", "Manufacturing", "Financial Services", "Healthcare", "Retail", "Logistics", "Education", "Media"}

// The planted signal (Config.PlantedSignal): log-odds of conversion by
// lead source, segment, region and the seniority of the title the lead
// arrived with, added to plantedIntercept.
var (
	plantedIntercept = -2.0
	plantedSource    = map[string]float64{"Web": 0, "Paid Search": -0.3, "Webinar": 0.9, "Event": 0.6, "Content Syndication": -0.6, "Outbound": -1.0, "Partner": 0.4, "Referral": 1.2}
	plantedSegment   = map[string]float64{"SMB": 0, "Mid-Market": 0.5, "Enterprise": 1.0}
	plantedRegion    = map[string]float64{"NA": 0, "EMEA": -0.2, "APAC": -0.5}
	plantedRank      = map[string]float64{"c_level": 0.7, "vp": 0.5, "director": 0.3, "manager": 0.1, "individual": 0}
)

// PlantedConversion is the probability that a lead of this source, segment,
// region and title rank at creation (c_level, vp, director, manager,
// individual; "" for no title) converts in an org generated with
// PlantedSignal: it converts within about three weeks of its creation or
// never. Unknown values read as the baseline (Web, SMB, NA, individual).
// A lead's title may change after its creation (LeadHistory says from
// what): the signal is the title it arrived with.
func PlantedConversion(source, segment, region, rank string) float64 {
	z := plantedIntercept + plantedSource[source] + plantedSegment[segment] + plantedRegion[region] + plantedRank[rank]
	return 1 / (1 + math.Exp(-z))
}

// planPlanted draws lead p's funnel under the planted signal: conversion
// with probability PlantedConversion, through MQL, first response and SQL
// within 22 days of creation; a lead that does not convert may still
// qualify as an MQL and be answered, and goes no further.
func (g *generator) planPlanted(r *rng, p *leadPlan) {
	p.source = r.weighted(leadSourceWeights)
	p.created = r.between(g.start, g.asOf)
	at := func(t int64) int64 {
		if t < g.asOf {
			return t
		}
		return 0
	}
	if r.chance(PlantedConversion(leadSources[p.source], segments[p.segment], regions[p.region], p.rankName())) {
		p.mql = at(p.created + r.between(2*usHour, 3*usDay))
		if p.mql != 0 {
			p.firstResponse = at(p.mql + r.between(5*usMinute, 12*usHour))
		}
		if p.firstResponse != 0 {
			p.sql = at(p.firstResponse + r.between(usDay, 8*usDay))
		}
		if p.sql != 0 {
			p.conv = at(p.sql + r.between(usHour, 10*usDay))
		}
		return
	}
	if r.chance(0.25) {
		p.mql = at(p.created + r.between(2*usHour, 14*usDay))
		if p.mql != 0 && r.chance(0.7) {
			p.firstResponse = at(p.mql + r.between(5*usMinute, 2*usDay))
		}
	}
}
