package orggen

import (
	"github.com/venn-revops/venn/shared/crm"
)

// Lead titles, industries and field history (LeadHistory).
//
// A lead arrives with a job title (a tenth without) and, most of the time,
// an industry; enrichment fills some of the missing ones later and a few
// leads change title. Its Status moves through the funnel over time:
// Working - Contacted a week after creation, Marketing Qualified, Sales
// Qualified, Closed - Converted, or Closed - Not Converted (a lead-exit
// status of the KPI configuration's disqualified list); some closed leads
// are Recycled later, and some of those are worked again. Every change is
// a LeadHistory row, as Salesforce writes them with field history
// tracking on Lead (Status, Title, Industry), plus the "created" and
// "leadConverted" rows with null values. None of this draws from the
// lead's main stream, so the rest of the org is what it was before leads
// had titles and history.

const (
	streamLeadTitle   = 23
	streamLeadHistory = 24
)

// titleRanks are the seniorities of leadTitles, in their order; each title
// parses back to its rank (score.TitleRank, tested).
var titleRanks = []string{"c_level", "vp", "director", "manager", "individual"}
var titleRankWeights = []int{6, 10, 16, 30, 38}
var leadTitles = [][]string{
	{"CEO", "Chief Marketing Officer", "CFO", "CTO", "Chief Revenue Officer", "Founder"},
	{"VP Sales", "VP Marketing", "VP Engineering", "VP Operations", "SVP Finance"},
	{"Director of IT", "Marketing Director", "Head of Finance", "Director, Sales Operations", "Head of Product", "Engineering Director"},
	{"IT Manager", "Marketing Manager", "Engineering Manager", "HR Manager", "Product Manager", "Sales Manager"},
	{"Software Engineer", "Financial Analyst", "Marketing Specialist", "Systems Administrator", "Account Executive", "Recruiter", "Operations Analyst"},
}

// Lead statuses of the demo org's funnel.
const (
	statusOpen         = "Open - Not Contacted"
	statusWorking      = "Working - Contacted"
	statusMQL          = "Marketing Qualified"
	statusSQL          = "Sales Qualified"
	statusConverted    = "Closed - Converted"
	statusNotConverted = "Closed - Not Converted"
	statusRecycled     = "Recycled"
)

// maxChanges bounds a lead's history rows: created, up to seven status
// changes, leadConverted, a title and an industry change.
const maxChanges = 11

// fieldChange is one LeadHistory row: the org's field name and the values
// before and after ("" for null). Every string is a constant of the
// generator's tables, so planning allocates nothing.
type fieldChange struct {
	at       int64
	field    string
	old, new string
}

// planTitle draws the lead's title and industry at its creation.
func (g *generator) planTitle(p *leadPlan) {
	r := newRNG(g.seed, streamLeadTitle, p.i)
	p.rank, p.industry = -1, -1
	if !r.chance(0.1) {
		p.rank = r.weighted(titleRankWeights)
		p.title = leadTitles[p.rank][r.intn(len(leadTitles[p.rank]))]
	}
	if !r.chance(0.2) {
		p.industry = p.accountIndustry
	}
	p.titleNow, p.industryNow = p.title, p.industry
}

// rankName is the planted signal's name of the lead's rank at creation
// ("" without a title).
func (p *leadPlan) rankName() string {
	if p.rank < 0 {
		return ""
	}
	return titleRanks[p.rank]
}

// planHistory plans the lead's changes after creation: its status over
// time (ending at p.status, which recycling may change), title and
// industry changes, and the history rows of all of them. It runs last in
// plan and moves p.modstamp to the last change.
func (g *generator) planHistory(p *leadPlan) {
	r := newRNG(g.seed, streamLeadHistory, p.i)
	p.nChanges = 0
	add := func(at int64, field, old, new string) {
		if at < g.asOf && p.nChanges < maxChanges {
			p.changes[p.nChanges] = fieldChange{at: wholeSecond(at), field: field, old: old, new: new}
			p.nChanges++
		}
	}
	add(p.created, "created", "", "")
	status := statusOpen
	set := func(at int64, s string) {
		if at < g.asOf && s != status {
			add(at, "Status", status, s)
			status = s
		}
	}
	if w := p.created + 7*usDay; p.mql == 0 || p.mql > w {
		if p.status != statusOpen {
			set(w, statusWorking)
		}
	}
	if p.mql != 0 {
		set(p.mql, statusMQL)
	}
	if p.sql != 0 {
		set(p.sql, statusSQL)
	}
	if p.conv != 0 {
		set(p.conv, statusConverted)
		add(p.conv, "leadConverted", "", "")
	}
	if p.status == statusNotConverted {
		closed := p.mql + 60*usDay
		if p.mql == 0 {
			closed = r.between(p.created+45*usDay, g.asOf)
		}
		set(closed, statusNotConverted)
		// Marketing recycles some closed leads for another try, and
		// sales works some of those again.
		if r.chance(0.3) {
			back := closed + r.between(14*usDay, 60*usDay)
			set(back, statusRecycled)
			if r.chance(0.4) {
				set(back+r.between(7*usDay, 30*usDay), statusWorking)
			}
		}
	}
	p.status = status

	// Enrichment fills a missing title or industry; some people change
	// jobs while they are leads. A converted lead is read-only in
	// Salesforce: nothing changes on it after its conversion.
	editable := func(at int64) bool { return at < g.asOf && (p.conv == 0 || at < p.conv) }
	if p.title == "" && r.chance(0.5) || p.title != "" && r.chance(0.08) {
		rank := r.weighted(titleRankWeights)
		t := leadTitles[rank][r.intn(len(leadTitles[rank]))]
		at := p.created + r.between(usDay, 30*usDay) // enrichment
		if p.title != "" {
			at = p.created + r.between(10*usDay, 200*usDay) // a new job
		}
		if editable(at) && t != p.title {
			p.titleNow = t
			add(at, "Title", p.title, t)
		}
	}
	if p.industry < 0 && r.chance(0.7) {
		if at := p.created + r.between(usDay, 20*usDay); editable(at) {
			p.industryNow = p.accountIndustry
			add(at, "Industry", "", industries[p.accountIndustry])
		}
	}
	// The rows in time order (stable: same-instant rows keep their order).
	for k := 1; k < p.nChanges; k++ {
		for j := k; j > 0 && p.changes[j].at < p.changes[j-1].at; j-- {
			p.changes[j], p.changes[j-1] = p.changes[j-1], p.changes[j]
		}
	}
	if p.nChanges > 0 {
		p.modstamp = max(p.modstamp, p.changes[p.nChanges-1].at)
	}
}

func renderLeadHistory(rc *renderCtx, i int64, row *crm.Row) {
	p, r := rc.leadOf(rc.g.tab("LeadHistory"), i)
	c := &p.changes[r.a]
	w := rowWriter{crm.LeadHistory, row}
	w.common(makeID(keyPrefix["LeadHistory"], i), c.at, c.at)
	w.str("LeadId", makeID(keyPrefix["Lead"], int64(r.lead)))
	w.str("Field", c.field)
	w.str("OldValue", c.old)
	w.str("NewValue", c.new)
}
