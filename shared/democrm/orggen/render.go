package orggen

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/venn-revops/venn/shared/crm"
)

// renderCtx renders records for one reader. It caches the last lead plan:
// records are read in Id order, which is lead order, so consecutive
// lead-derived records usually share their lead.
type renderCtx struct {
	g    *generator
	lead int64
	ok   bool
	p    leadPlan
}

func (rc *renderCtx) plan(lead int64) *leadPlan {
	if !rc.ok || rc.lead != lead {
		rc.g.plan(lead, &rc.p)
		rc.lead, rc.ok = lead, true
	}
	return &rc.p
}

// colIndex maps each object's Salesforce field names to row positions.
var colIndex = func() map[*crm.Object]map[string]int {
	m := map[*crm.Object]map[string]int{}
	for _, o := range crm.Objects {
		idx := map[string]int{}
		for i, f := range o.Fields {
			idx[f.Name] = i
		}
		m[o] = idx
	}
	return m
}()

// rowWriter sets fields of a row by Salesforce name.
type rowWriter struct {
	obj *crm.Object
	row *crm.Row
}

func (w rowWriter) set(name string, v crm.Value) {
	i, ok := colIndex[w.obj][name]
	if !ok { // a custom object, not in the registry
		i = slices.IndexFunc(w.obj.Fields, func(f crm.Field) bool { return f.Name == name })
		ok = i >= 0
	}
	if !ok {
		panic(fmt.Sprintf("democrm: %s has no field %s in the crm registry", w.obj.Name, name))
	}
	w.row.Values[i] = v
}

func (w rowWriter) str(name, s string) {
	if s != "" {
		w.set(name, crm.Value{S: s})
	}
}
func (w rowWriter) boolean(name string, b bool)    { w.set(name, crm.Value{B: b}) }
func (w rowWriter) dateTime(name string, us int64) { w.set(name, crm.Value{I: wholeSecond(us)}) }
func (w rowWriter) dateTimeOpt(name string, us int64) {
	if us != 0 {
		w.dateTime(name, us)
	}
}

// wholeSecond truncates an instant to the second: Salesforce datetimes carry
// milliseconds and the org's are whole seconds, so the wire form and the
// rows Each yields are the same values.
func wholeSecond(us int64) int64                    { return us - us%usSecond }
func (w rowWriter) date(name string, days int64)    { w.set(name, crm.Value{I: days}) }
func (w rowWriter) hundredths(name string, v int64) { w.set(name, crm.Value{I: v}) }

// common fills Id, SystemModstamp, CreatedDate and IsDeleted. An
// append-only object (LeadHistory) has no SystemModstamp in the org: its
// stamp column holds CreatedDate, as the extract stores it.
func (w rowWriter) common(id string, created, modstamp int64) {
	w.str("Id", id)
	w.dateTime("CreatedDate", created)
	if w.obj.AppendOnly {
		w.row.Values[1] = w.row.Values[2]
	} else {
		w.dateTime("SystemModstamp", max(created, modstamp))
	}
	if w.obj.SoftDelete {
		w.boolean("IsDeleted", false)
	}
}

func userStamp(p Person, asOf int64) int64 {
	s := p.Hired.Add(9 * time.Hour).UnixMicro()
	if p.Name == "Jordan Lee" && JordanPromoted.UnixMicro() < asOf {
		s = JordanPromoted.Add(9 * time.Hour).UnixMicro()
	}
	if p.Left != nil && p.Left.UnixMicro() < asOf {
		s = p.Left.Add(18 * time.Hour).UnixMicro()
	}
	return s
}

func renderUser(rc *renderCtx, i int64, row *crm.Row) {
	p := People[i]
	w := rowWriter{crm.User, row}
	w.common(p.ID, p.Hired.Add(9*time.Hour).UnixMicro(), userStamp(p, rc.g.asOf))
	w.str("Name", p.Name)
	w.str("Email", strings.ToLower(strings.ReplaceAll(p.Name, " ", "."))+"@venn-demo.example")
	title := p.Title
	if p.Name == "Jordan Lee" && rc.g.asOf <= JordanPromoted.UnixMicro() {
		title = "SDR"
	}
	w.str("Title", title)
	w.str("Department", p.Department)
	w.str("Team__c", p.Team)
	w.str("ManagerId", p.ManagerID)
	w.str("EmployeeNumber", p.EmployeeNumber)
	w.str("CostCenter__c", p.CostCenter)
	w.boolean("IsActive", p.Left == nil || p.Left.UnixMicro() >= rc.g.asOf)
	w.str("ProfileId", p.profileOf())
	userType := p.UserType
	if userType == "" {
		userType = "Standard"
	}
	w.str("UserType", userType)
}

// campaignPlan is one campaign: a channel in a quarter.
type campaignPlan struct {
	quarter    int
	channel    int
	name       string
	start, end int64 // days since epoch, inclusive
	created    int64
	modstamp   int64
	owner      int
	cost       int64
	status     string
}

const streamCampaign = 2

func (g *generator) planCampaigns(start, asOf time.Time) {
	q := time.Date(start.Year(), time.Month((int(start.Month())-1)/3*3+1), 1, 0, 0, 0, 0, time.UTC)
	for qi := 0; q.Before(asOf); qi++ {
		next := q.AddDate(0, 3, 0)
		g.quarterStarts = append(g.quarterStarts, q.UnixMicro())
		for ch, typ := range campaignTypes {
			r := newRNG(g.seed, streamCampaign, int64(len(g.campaigns)))
			c := campaignPlan{
				quarter: qi, channel: ch,
				name:    fmt.Sprintf("%dQ%d %s: %s", q.Year(), (int(q.Month())-1)/3+1, typ, campaignThemes[r.intn(len(campaignThemes))]),
				start:   dayOf(q.UnixMicro()),
				end:     dayOf(next.UnixMicro()) - 1,
				created: q.Add(-14*24*time.Hour + 10*time.Hour).UnixMicro(),
				cost:    r.between(2_000_00, 60_000_00),
			}
			c.owner = pickPerson(&r, roleMarketing, c.created, c.created)
			c.modstamp = c.created
			if closed := next.Add(9 * time.Hour).UnixMicro(); closed < g.asOf {
				c.status, c.modstamp = "Completed", closed
			} else {
				c.status = "In Progress"
			}
			g.campaigns = append(g.campaigns, c)
		}
		q = next
	}
}

var campaignThemes = []string{"Pipeline Acceleration", "Revenue Summit", "Buyer's Guide", "Product Tour", "ROI Calculator", "Customer Stories", "Benchmark Report", "Ops Masterclass"}

// campaignAt is the campaign of the channel running at the instant us, or -1.
func (g *generator) campaignAt(channel int, us int64) int {
	for q := len(g.quarterStarts) - 1; q >= 0; q-- {
		if us >= g.quarterStarts[q] {
			return q*len(campaignTypes) + channel
		}
	}
	return -1
}

func renderCampaign(rc *renderCtx, i int64, row *crm.Row) {
	c := rc.g.campaigns[i]
	w := rowWriter{crm.Campaign, row}
	w.common(makeID(keyPrefix["Campaign"], i), c.created, c.modstamp)
	w.str("Name", c.name)
	w.str("Type", campaignTypes[c.channel])
	w.str("Status", c.status)
	w.date("StartDate", c.start)
	w.date("EndDate", c.end)
	w.str("OwnerId", People[c.owner].ID)
	w.hundredths("ActualCost", c.cost)
	w.str("CurrencyIsoCode", "USD")
}

const streamName = 3

var firstNames = []string{"Ava", "Ben", "Carla", "David", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kira", "Liam", "Mei", "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Stefan", "Tara", "Umar", "Vera", "Wes", "Xin", "Yara", "Zoe"}
var lastNames = []string{"Adams", "Baker", "Costa", "Dubois", "Evans", "Fontaine", "Garcia", "Haddad", "Ito", "Jensen", "Kowalski", "Lopez", "Murphy", "Nakamura", "O'Brien", "Petrov", "Quispe", "Rossi", "Schmidt", "Tanaka", "Usman", "Varga", "Weber", "Yilmaz", "Zhang"}
var companyHeads = []string{"Blue", "North", "Bright", "Iron", "Summit", "Clear", "Rapid", "Silver", "Green", "Atlas", "Nova", "Pioneer", "Harbor", "Vertex", "Cedar", "Orbit"}
var companyTails = []string{"Logic", "Works", "Systems", "Labs", "Analytics", "Dynamics", "Networks", "Foods", "Health", "Freight", "Capital", "Media"}
var companySuffixes = []string{"Inc.", "LLC", "GmbH", "Ltd", "S.A.", "Corp."}

// person is a lead's (and its contact's) name and company.
type person struct{ first, last, company, domain string }

func (g *generator) personOf(lead int64) person {
	r := newRNG(g.seed, streamName, lead)
	head, tail := companyHeads[r.intn(len(companyHeads))], companyTails[r.intn(len(companyTails))]
	n := lead % 997
	num := strconv.FormatInt(n, 10)
	return person{
		first:   firstNames[r.intn(len(firstNames))],
		last:    lastNames[r.intn(len(lastNames))],
		company: head + tail + " " + num + " " + companySuffixes[r.intn(len(companySuffixes))],
		domain:  strings.ToLower(head+tail) + num + ".example",
	}
}

func (pp person) email() string {
	return strings.ToLower(strings.ReplaceAll(pp.first+"."+pp.last, "'", "")) + "@" + pp.domain
}

func phone(lead int64) string {
	b := []byte("+1 555 000 0000")
	for i, n := len(b)-1, lead; i >= 7; i-- {
		if b[i] == ' ' {
			continue
		}
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b)
}

func renderLead(rc *renderCtx, i int64, row *crm.Row) {
	p := rc.plan(i)
	pp := rc.g.personOf(i)
	w := rowWriter{crm.Lead, row}
	w.common(makeID(keyPrefix["Lead"], i), p.created, p.modstamp)
	w.str("FirstName", pp.first)
	w.str("LastName", pp.last)
	w.str("Company", pp.company)
	w.str("Email", pp.email())
	w.str("Phone", phone(i))
	w.str("Status", p.status)
	w.str("LeadSource", leadSources[p.source])
	w.str("OwnerId", leadOwner(p))
	w.str("Segment__c", segments[p.segment])
	w.str("Region__c", regions[p.region])
	w.dateTimeOpt("MQL_Date__c", p.mql)
	w.dateTimeOpt("SQL_Date__c", p.sql)
	w.boolean("IsConverted", p.conv != 0)
	if p.conv != 0 {
		a := rc.g.accounts.indexOf(i, 0)
		w.date("ConvertedDate", dayOf(p.conv))
		w.str("ConvertedAccountId", makeID(keyPrefix["Account"], a))
		w.str("ConvertedContactId", makeID(keyPrefix["Contact"], a))
		w.str("ConvertedOpportunityId", makeID(keyPrefix["Opportunity"], rc.g.opps.indexOf(i, 0)))
	}
	w.str("Title", p.titleNow)
	if p.industryNow >= 0 {
		w.str("Industry", industries[p.industryNow])
	}
}

// leadOf returns the plan of record i of a lead-derived table.
func (rc *renderCtx) leadOf(t *table, i int64) (*leadPlan, ref) {
	r := t.refs[i]
	return rc.plan(int64(r.lead)), r
}

func renderAccount(rc *renderCtx, i int64, row *crm.Row) {
	p, r := rc.leadOf(rc.g.accounts, i)
	pp := rc.g.personOf(int64(r.lead))
	w := rowWriter{crm.Account, row}
	w.common(makeID(keyPrefix["Account"], i), p.conv, p.accountModstamp)
	w.str("Name", pp.company)
	w.str("OwnerId", People[p.opps[0].owner].ID)
	w.str("Industry", industries[p.accountIndustry])
	typ := "Prospect"
	if p.customer {
		typ = "Customer"
	}
	w.str("Type", typ)
	w.str("Segment__c", segments[p.segment])
	w.str("Region__c", regions[p.region])
}

func renderContact(rc *renderCtx, i int64, row *crm.Row) {
	p, r := rc.leadOf(rc.g.accounts, i) // one contact per account, same numbering
	pp := rc.g.personOf(int64(r.lead))
	w := rowWriter{crm.Contact, row}
	w.common(makeID(keyPrefix["Contact"], i), p.conv, p.contactModstamp)
	w.str("AccountId", makeID(keyPrefix["Account"], i))
	w.str("OwnerId", People[p.opps[0].owner].ID)
	w.str("FirstName", pp.first)
	w.str("LastName", pp.last)
	w.str("Email", pp.email())
	w.str("Phone", phone(int64(r.lead)))
	w.str("LeadSource", leadSources[p.source])
}

func (rc *renderCtx) contactID(lead int64) string {
	return makeID(keyPrefix["Contact"], rc.g.accounts.indexOf(lead, 0))
}

func (rc *renderCtx) oppID(lead int64, k uint8) string {
	return makeID(keyPrefix["Opportunity"], rc.g.opps.indexOf(lead, k))
}

func renderOpportunity(rc *renderCtx, i int64, row *crm.Row) {
	p, r := rc.leadOf(rc.g.opps, i)
	o := &p.opps[r.a]
	pp := rc.g.personOf(int64(r.lead))
	w := rowWriter{crm.Opportunity, row}
	w.common(makeID(keyPrefix["Opportunity"], i), o.created, o.modstamp())
	w.str("Name", pp.company+" - "+oppTypes[o.kind])
	w.str("AccountId", makeID(keyPrefix["Account"], rc.g.accounts.indexOf(int64(r.lead), 0)))
	w.str("OwnerId", People[o.owner].ID)
	st := o.stage()
	w.str("StageName", stageNames[st])
	w.hundredths("Amount", o.amount)
	w.str("CurrencyIsoCode", p.currencyCode())
	w.date("CloseDate", o.closeDay)
	w.boolean("IsClosed", st >= stageWon)
	w.boolean("IsWon", st == stageWon)
	w.str("Type", oppTypes[o.kind])
	if o.kind == oppNewBusiness {
		w.str("LeadSource", leadSources[p.source])
	}
	if o.campaign >= 0 {
		w.str("CampaignId", makeID(keyPrefix["Campaign"], int64(o.campaign)))
	}
	w.hundredths("Probability", stageProbability[st]*100)
	if c := p.renewedContract(int(r.a)); c >= 0 {
		w.str("ContractId", makeID(keyPrefix["Contract"], rc.g.tab("Contract").indexOf(int64(r.lead), uint8(c))))
	}
}

func renderContactRole(rc *renderCtx, i int64, row *crm.Row) {
	t := rc.g.tab("OpportunityContactRole")
	p, r := rc.leadOf(t, i)
	o := &p.opps[r.a]
	w := rowWriter{crm.OpportunityContactRole, row}
	w.common(makeID(keyPrefix["OpportunityContactRole"], i), o.created, o.created)
	w.str("OpportunityId", rc.oppID(int64(r.lead), r.a))
	w.str("ContactId", rc.contactID(int64(r.lead)))
	role := "Decision Maker"
	if o.kind != oppNewBusiness {
		role = "Economic Buyer"
	}
	w.str("Role", role)
	w.boolean("IsPrimary", true)
}

func renderHistory(rc *renderCtx, i int64, row *crm.Row) {
	p, r := rc.leadOf(rc.g.tab("OpportunityHistory"), i)
	s := p.opps[r.a].stages[r.b]
	w := rowWriter{crm.OpportunityHistory, row}
	w.common(makeID(keyPrefix["OpportunityHistory"], i), s.at, s.at)
	w.str("OpportunityId", rc.oppID(int64(r.lead), r.a))
	w.str("StageName", stageNames[s.stage])
	w.hundredths("Amount", s.amount)
	w.date("CloseDate", s.closeDay)
}

// splitTypeID is the org's one split type (revenue splits, totalling 100%).
const splitTypeID = "1495g0000000001AAA"

func renderSplit(rc *renderCtx, i int64, row *crm.Row) {
	p, r := rc.leadOf(rc.g.tab("OpportunitySplit"), i)
	o := &p.opps[r.a]
	w := rowWriter{crm.OpportunitySplit, row}
	w.common(makeID(keyPrefix["OpportunitySplit"], i), o.created, o.created)
	w.str("OpportunityId", rc.oppID(int64(r.lead), r.a))
	owner, pct := o.owner, o.splitPct
	if r.b == 1 {
		owner, pct = o.splitOwner, 100-o.splitPct
	}
	w.str("SplitOwnerId", People[owner].ID)
	w.hundredths("SplitPercentage", pct*100)
	w.str("SplitTypeId", splitTypeID)
}

func renderCampaignMember(rc *renderCtx, i int64, row *crm.Row) {
	p, r := rc.leadOf(rc.g.tab("CampaignMember"), i)
	tc := p.touches[r.a]
	w := rowWriter{crm.CampaignMember, row}
	w.common(makeID(keyPrefix["CampaignMember"], i), tc.at, tc.at)
	w.str("CampaignId", makeID(keyPrefix["Campaign"], int64(tc.campaign)))
	if tc.contact {
		w.str("ContactId", rc.contactID(int64(r.lead)))
	} else {
		w.str("LeadId", makeID(keyPrefix["Lead"], int64(r.lead)))
	}
	status := "Sent"
	if tc.responded {
		status = "Responded"
		w.date("FirstRespondedDate", dayOf(tc.at))
	}
	w.str("Status", status)
	w.boolean("HasResponded", tc.responded)
}

// leadOwner is the lead's OwnerId: its SDR, or the queue.
func leadOwner(p *leadPlan) string {
	if p.queued {
		return QueueID
	}
	return People[p.owner].ID
}

// autoEmailRef marks, in a Task ref, the routing flow's e-mail on the MQL
// (those tasks follow every other, so the others keep their Ids).
const autoEmailRef = 255

func renderTask(rc *renderCtx, i int64, row *crm.Row) {
	p, r := rc.leadOf(rc.g.tab("Task"), i)
	w := rowWriter{crm.Task, row}
	if r.a == autoEmailRef {
		// Owned by the lead's owner (the flow itself while a queue holds it:
		// a queue cannot own a task).
		w.common(makeID(keyPrefix["Task"], i), p.autoEmail, p.autoEmail)
		owner := leadOwner(p)
		if p.queued {
			owner = AutomatedProcessID
		}
		w.str("OwnerId", owner)
		w.str("CreatedById", AutomatedProcessID)
		w.str("WhoId", makeID(keyPrefix["Lead"], int64(r.lead)))
		w.str("Type", "Email")
		w.str("Subject", "Email: thanks for your interest")
		w.str("Status", "Completed")
		w.date("ActivityDate", dayOf(p.autoEmail))
		return
	}
	tk := p.tasks[r.a]
	w.common(makeID(keyPrefix["Task"], i), tk.at, tk.at)
	w.str("OwnerId", People[tk.owner].ID)
	w.str("CreatedById", People[tk.owner].ID)
	var typ, subject string
	switch {
	case tk.opp >= 0:
		typ, subject = "Meeting", "Meeting: "+[]string{"discovery", "demo", "proposal review", "negotiation"}[int(tk.at/usHour)%4]
		w.str("WhoId", rc.contactID(int64(r.lead)))
		w.str("WhatId", rc.oppID(int64(r.lead), uint8(tk.opp)))
	case tk.call:
		typ, subject = "Call", "Call: follow up on inquiry"
		w.str("WhoId", makeID(keyPrefix["Lead"], int64(r.lead)))
	default:
		typ, subject = "Email", "Email: follow up on inquiry"
		w.str("WhoId", makeID(keyPrefix["Lead"], int64(r.lead)))
	}
	w.str("Type", typ)
	w.str("Subject", subject)
	w.str("Status", "Completed")
	w.date("ActivityDate", dayOf(tk.at))
}
