// Package kpigen generates a deterministic synthetic CRM org, at any scale,
// directly as the KPI engine's projection rows. Every row is a pure
// function of (seed, object, index), so sources can be streamed in batches
// without keeping the org in memory, and cross references (a lead converted
// into an opportunity, a contact on it) agree without lookups. The property
// tests, the DuckDB cross-check and the benchmark use it; it does no I/O.
package kpigen

import (
	"fmt"
	"time"

	"github.com/venn-revops/venn/shared/kpi"
)

// Org describes the size and seed of a generated org. The ratios follow a
// B2B funnel: one opportunity per 5 leads, 4 campaign members per lead, two
// contact roles per opportunity, one sales task per 2 leads.
type Org struct {
	// Products adds a product catalogue and two line items per
	// opportunity (Inputs.Products, Inputs.LineItems; lineitems.go); off
	// by default, as in an org that sells without products.
	Products bool

	Seed      uint64
	Leads     int
	Users     int // default 20, plus one automated-process user
	Campaigns int // default 200
	From, To  time.Time
	BatchSize int // rows per Source batch, default 65536
	// Contracts adds two Contract rows per account (Inputs.Contracts); off
	// by default, so the org reads renewals from renewal opportunities.
	Contracts bool
	// LeadHistory adds four LeadHistory rows per lead with Status changes
	// (Inputs.LeadHistory; leadhistory.go); off by default, so the lead
	// exits read the current Status.
	LeadHistory bool
	// Currencies makes the org multi-currency: about 20% of the
	// opportunities in EUR and 10% in GBP, and the org's exchange rates
	// (Rates, Inputs.Rates; currencies.go). Off by default: every
	// opportunity in USD and no rates.
	Currencies bool
}

// New returns an org of n leads over the demo history (2025-07-01 to
// 2026-11-20).
func New(seed uint64, leads int) *Org {
	return &Org{Seed: seed, Leads: leads, Users: 20, Campaigns: 200,
		From: time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC), BatchSize: 65536}
}

// Opportunities is the number of opportunities (one per 5 leads).
func (o *Org) Opportunities() int { return (o.Leads + 4) / 5 }

// Accounts is the number of accounts.
func (o *Org) Accounts() int { return o.Opportunities()/2 + 1 }

// Contacts is the number of contacts (two per opportunity).
func (o *Org) Contacts() int { return 2 * o.Opportunities() }

// Members is the number of campaign members.
func (o *Org) Members() int { return 4 * o.Leads }

// Tasks is the number of tasks.
func (o *Org) Tasks() int { return o.Leads / 2 }

const (
	day  = int64(86_400_000_000)
	hour = int64(3_600_000_000)
)

// Object tags keep the random streams of different fields independent.
const (
	tLead uint64 = iota + 1
	tOpp
	tAcct
	tMember
	tTask
	tCamp
)

func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// r is the field-th random number of row i of an object.
func (o *Org) r(obj uint64, i int, field uint64) uint64 {
	return mix(o.Seed ^ mix(obj<<56^uint64(i)<<8^field))
}

func (o *Org) pick(obj uint64, i int, field uint64, n int) int {
	return int(o.r(obj, i, field) % uint64(n))
}

func (o *Org) chance(obj uint64, i int, field uint64, pct int) bool {
	return o.pick(obj, i, field, 100) < pct
}

func (o *Org) span() int64 { return o.To.UnixMicro() - o.From.UnixMicro() }

var (
	teams         = []string{"East", "West"}
	segments      = []string{"SMB", "Mid-Market", "Enterprise"}
	regions       = []string{"NA", "EMEA", "APAC"}
	sources       = []string{"Web", "Webinar", "Event", "Paid Search", "Email", "Partner", "Cold Call", "Referral"}
	campaignTypes = []string{"Webinar", "Email", "Event", "Content", "Paid Search", "Partner"}
	taskTypes     = []string{"Call", "Email", "Meeting", "Other"}
	statuses      = []string{"Open", "Working", "Nurture", "MQL", "Disqualified"}
)

// ID formats a Salesforce-like 18-character Id.
func ID(prefix string, i int) string { return fmt.Sprintf("%s%012dAAA", prefix, i) }

func (o *Org) userID(i int) string    { return ID("005", i) }
func (o *Org) leadID(i int) string    { return ID("00Q", i) }
func (o *Org) oppID(j int) string     { return ID("006", j) }
func (o *Org) acctID(a int) string    { return ID("001", a) }
func (o *Org) contactID(c int) string { return ID("003", c) }
func (o *Org) campID(c int) string    { return ID("701", c) }

func ptr[T any](v T) *T { return &v }

// source streams n rows built by row(i) in batches.
func source[T any](o *Org, n int, row func(i int, r *T)) kpi.Source[T] {
	return func(fn func([]T) error) error {
		size := max(o.BatchSize, 1)
		buf := make([]T, 0, min(size, n))
		for i := 0; i < n; i++ {
			buf = buf[:len(buf)+1]
			buf[len(buf)-1] = *new(T)
			row(i, &buf[len(buf)-1])
			if len(buf) == size {
				if err := fn(buf); err != nil {
					return err
				}
				buf = buf[:0]
			}
		}
		if len(buf) > 0 {
			return fn(buf)
		}
		return nil
	}
}

// lead facts shared by the lead, opportunity, member and task generators.
type leadFacts struct {
	created, mql, sql int64 // -1 when not reached
	owner             int
	source            string
}

func (o *Org) lead(i int) leadFacts {
	f := leadFacts{created: o.From.UnixMicro() + int64(o.r(tLead, i, 1)%uint64(o.span()-30*day)), mql: -1, sql: -1}
	f.owner = o.pick(tLead, i, 2, o.Users)
	f.source = sources[o.pick(tLead, i, 3, len(sources))]
	converted := i%5 == 0
	if converted || o.chance(tLead, i, 4, 40) {
		f.mql = f.created + int64(o.r(tLead, i, 5)%uint64(10*day))
		if converted || o.chance(tLead, i, 6, 50) {
			f.sql = f.mql + int64(o.r(tLead, i, 7)%uint64(7*day))
		}
	}
	return f
}

// opportunity facts: opportunity j is converted from lead 5j.
type oppFacts struct {
	created            int64
	closeDay           int32
	amount             int64
	outcome            int // 0 open, 1 won, 2 lost
	closedAt           int64
	typ, source, camp  string
	account, ownerUser int
}

func (o *Org) opp(j int) oppFacts {
	l := o.lead(5 * j)
	f := oppFacts{created: l.sql + int64(o.r(tOpp, j, 1)%uint64(5*day))}
	f.closeDay = int32(f.created/day + 10 + int64(o.pick(tOpp, j, 2, 110)))
	f.amount = 100_000 + int64(o.r(tOpp, j, 3)%9_900_000) // 1,000.00 to 100,000.00
	f.closedAt = int64(f.closeDay)*day + 12*hour
	if f.closedAt < o.To.UnixMicro()+60*day {
		switch p := o.pick(tOpp, j, 4, 100); {
		case p < 35:
			f.outcome = 1
		case p < 80:
			f.outcome = 2
		}
	}
	switch p := o.pick(tOpp, j, 5, 100); {
	case p < 80:
		f.typ = "New Business"
	case p < 90:
		f.typ = "Expansion"
	default:
		f.typ = "Renewal"
	}
	if !o.chance(tOpp, j, 6, 10) {
		f.source = l.source
	}
	if o.chance(tOpp, j, 7, 50) {
		f.camp = o.campID(o.pick(tOpp, j, 8, o.Campaigns))
	}
	f.account = o.pick(tOpp, j, 9, o.Accounts())
	f.ownerUser = o.pick(tOpp, j, 10, o.Users)
	return f
}

var stages = [...]string{"Prospecting", "Closed Won", "Closed Lost"}

// Inputs returns streaming sources over the whole org.
func (o *Org) Inputs() kpi.Inputs {
	return kpi.Inputs{
		Rates:     o.Rates(),
		Contracts: o.contracts(),
		// The users, then one automated-process user (o.Users), which
		// creates one task in eight: not a human response.
		Users: source(o, o.Users+1, func(i int, u *kpi.User) {
			*u = kpi.User{ID: o.userID(i), Team: teams[i%len(teams)], ProfileID: "00e000000000001AAA", UserType: "Standard"}
			if i == o.Users {
				*u = kpi.User{ID: o.userID(i), UserType: "AutomatedProcess"}
			}
		}),
		Accounts: source(o, o.Accounts(), func(a int, r *kpi.Account) {
			*r = kpi.Account{ID: o.acctID(a), Segment: segments[o.pick(tAcct, a, 1, len(segments))],
				Region: regions[o.pick(tAcct, a, 2, len(regions))]}
		}),
		Campaigns: source(o, o.Campaigns, func(c int, r *kpi.Campaign) {
			*r = kpi.Campaign{ID: o.campID(c), Type: campaignTypes[o.pick(tCamp, c, 1, len(campaignTypes))]}
			o.campaignCost(c, r)
		}),
		Leads: source(o, o.Leads, func(i int, r *kpi.Lead) {
			f := o.lead(i)
			*r = kpi.Lead{ID: o.leadID(i), CreatedDate: f.created, LeadSource: f.source,
				OwnerID: o.userID(f.owner), Segment: segments[o.pick(tLead, i, 8, len(segments))],
				Region: regions[o.pick(tLead, i, 9, len(regions))], Status: statuses[o.pick(tLead, i, 10, len(statuses))]}
			if f.mql >= 0 && !o.chance(tLead, i, 11, 5) { // 5% of MQLs only carry the status
				r.MQLDate = ptr(f.mql)
			}
			if f.sql >= 0 {
				r.SQLDate = ptr(f.sql)
			}
			if i%5 == 0 {
				of := o.opp(i / 5)
				r.ConvertedOpportunityID = o.oppID(i / 5)
				r.ConvertedDate = ptr(int32(of.created / day))
			}
		}),
		Opportunities: source(o, o.Opportunities(), func(j int, r *kpi.Opportunity) {
			f := o.opp(j)
			*r = kpi.Opportunity{ID: o.oppID(j), CreatedDate: f.created, AccountID: o.acctID(f.account),
				OwnerID: o.userID(f.ownerUser), StageName: stages[f.outcome], Amount: ptr(f.amount), CurrencyIsoCode: o.currency(j),
				CloseDate: f.closeDay, IsClosed: ptr(f.outcome != 0), IsWon: ptr(f.outcome == 1), Type: f.typ,
				LeadSource: f.source, CampaignID: f.camp}
			if o.Contracts {
				r.ContractID = o.oppContract(j, f.account, f.typ)
			}
		}),
		// Two history rows per opportunity: creation, and the close (which
		// for an open one is a later re-forecast of the amount).
		OpportunityHistory: source(o, 2*o.Opportunities(), func(h int, r *kpi.OpportunityHistory) {
			j := h / 2
			f := o.opp(j)
			*r = kpi.OpportunityHistory{ID: ID("008", h), OpportunityID: o.oppID(j)}
			if h%2 == 0 {
				r.CreatedDate, r.StageName = f.created, "Prospecting"
				r.Amount, r.CloseDate = ptr(f.amount-f.amount/10), ptr(f.closeDay+30)
				return
			}
			r.CreatedDate, r.StageName, r.Amount, r.CloseDate = f.closedAt, stages[f.outcome], ptr(f.amount), ptr(f.closeDay)
			if f.outcome == 0 {
				r.CreatedDate = f.created + (f.closedAt-f.created)/2
			}
		}),
		ContactRoles: source(o, o.Contacts(), func(c int, r *kpi.ContactRole) {
			*r = kpi.ContactRole{ID: ID("00K", c), OpportunityID: o.oppID(c / 2), ContactID: o.contactID(c)}
		}),
		CampaignMembers: source(o, o.Members(), func(m int, r *kpi.CampaignMember) {
			p := m / 4
			var anchor int64
			*r = kpi.CampaignMember{ID: ID("00v", m), CampaignID: o.campID(o.pick(tMember, m, 1, o.Campaigns))}
			if m%2 == 1 && p < o.Contacts() {
				r.ContactID = o.contactID(p)
				anchor = o.opp(p/2).created - 60*day
			} else {
				r.LeadID = o.leadID(p)
				anchor = o.lead(p).created - 45*day
			}
			r.CreatedDate = anchor + int64(o.r(tMember, m, 2)%uint64(120*day))
			responded := o.chance(tMember, m, 3, 60)
			r.HasResponded = responded
			if responded && o.chance(tMember, m, 4, 80) {
				r.FirstRespondedDate = ptr(int32(r.CreatedDate/day + int64(o.pick(tMember, m, 5, 3))))
			}
		}),
		Tasks: source(o, o.Tasks(), func(k int, r *kpi.Task) {
			l := o.lead(2 * k)
			at := l.created
			if l.mql >= 0 {
				at = l.mql
			}
			at += int64(o.r(tTask, k, 1) % uint64(72*hour))
			*r = kpi.Task{ID: ID("00T", k), CreatedDate: at, WhoID: o.leadID(2 * k),
				OwnerID: o.userID(l.owner), Type: taskTypes[o.pick(tTask, k, 2, len(taskTypes))], ActivityDate: ptr(int32(at / day)),
				CreatedByID: o.userID(l.owner)}
			if o.pick(tTask, k, 3, 8) == 0 {
				r.CreatedByID = o.userID(o.Users)
			}
		}),
		LineItems:   o.lineItems(),
		Products:    o.products(),
		LeadHistory: o.leadHistory(),
	}
}

// campaignCost dates a campaign (a start in the org's history, 1 to 120
// days long) and prices it: 2,000.00 to 60,000.00, with about 5% null
// (unknown) and 2% zero costs, and about 2% without an end date.
func (o *Org) campaignCost(c int, r *kpi.Campaign) {
	days := int(o.span() / day)
	start := int32(o.From.UnixMicro()/day) + int32(o.pick(tCamp, c, 2, days))
	r.StartDate = &start
	if !o.chance(tCamp, c, 3, 2) {
		end := start + int32(o.pick(tCamp, c, 4, 120))
		r.EndDate = &end
	}
	switch p := o.pick(tCamp, c, 5, 100); {
	case p < 5:
	case p < 7:
		r.ActualCost = ptr(int64(0))
	default:
		r.ActualCost = ptr(200_000 + int64(o.pick(tCamp, c, 6, 5_800_000)))
	}
}
