package orggen

import (
	"time"

	"github.com/venn-revops/venn/shared/crm"
)

// Products, line items and contracts. They hang off a lead's opportunities
// and are drawn from a random stream of their own (streamContract), after
// the lead's plan: adding them changed no other record of the org.
//
// Every won or open opportunity (and a won deal later cancelled) has line
// items whose TotalPrice sums exactly to its Amount. A won new-business
// deal starts a 12-month contract the day after it closes; its ARR__c is
// the deal's recurring lines (every family but Services). A won expansion
// adds a contract co-termed with the first: it starts on the first
// monthly anniversary of the first contract after the expansion closed
// and ends with it. A won renewal starts a 12-month successor the day
// after the first contract ends, with the renewal's recurring lines as its
// ARR (an uplift or a contraction); a lost renewal leaves the first
// contract to expire (churn). A cancelled deal's contract is Terminated.

const streamContract = 21

// product is one Product2 record of the fixed catalogue, with its price
// per unit in the standard price book (one PricebookEntry per product,
// numbered as the product).
type product struct {
	name, code, family string
	recurring          bool
	active             bool
	listPrice          int64 // cents per unit
}

// Catalogue positions the line-item plans refer to.
const (
	prodPlatform = iota
	prodAnalytics
	prodSupport
	prodOnboarding
	prodTraining
	prodLegacy
)

var products = []product{
	prodPlatform:   {"Venn Platform", "PLT-SUB", "Subscription", true, true, 1200_00}, // per seat and year
	prodAnalytics:  {"Analytics Add-on", "ANL-SUB", "Subscription", true, true, 600_00},
	prodSupport:    {"Premium Support", "SUP-PRM", "Support", true, true, 1000_00},
	prodOnboarding: {"Onboarding Package", "SRV-ONB", "Services", false, true, 2500_00},
	prodTraining:   {"Training Workshop", "SRV-TRN", "Services", false, true, 1500_00},
	prodLegacy:     {"Legacy Reporting", "LEG-SUB", "Subscription", true, false, 800_00}, // retired: sold by no line
}

// units is how many units a line of the given price sells: the price over
// the product's list price, to the nearest whole unit, at least one. It is
// derived from the price (no draw), so the line items' quantities changed
// no other record of the org.
func (l lineItem) units() int64 {
	list := products[l.product].listPrice
	return max(1, (l.price+list/2)/list)
}

// unitPrice is the line's sales price per unit: its TotalPrice over its
// Quantity, to the cent (half up), as Salesforce keeps a sales price of
// scale 2. TotalPrice stays the line's amount; the discount against the
// list price is what the rounding and the deal's price leave.
func (l lineItem) unitPrice() int64 {
	q := l.units()
	return (l.price*2 + q) / (2 * q)
}

const (
	maxLines     = 4
	maxContracts = 3
)

type lineItem struct {
	product int
	price   int64 // cents
}

// contractPlan is one Contract record of the lead's account.
type contractPlan struct {
	opp        int   // the opportunity that started it
	startDay   int64 // days since epoch
	endDay     int64
	term       int64 // months
	created    int64 // micros
	modstamp   int64
	statusCode string
	arr        int64 // cents a year
}

// Contract status labels of the demo org (its Status picklist) by status
// category (StatusCode).
var contractStatusLabel = map[string]string{
	"Activated":  "Activated",
	"Expired":    "Expired",
	"Terminated": "Cancelled",
}

// addMonths is the day m months after day d (time.AddDate's calendar
// arithmetic).
func addMonths(d int64, m int) int64 {
	t := time.Unix(d*86400, 0).UTC().AddDate(0, m, 0)
	return t.Unix() / 86400
}

// planContracts plans the line items of every opportunity of p and the contracts
// they start.
func (g *generator) planContracts(p *leadPlan) {
	r := newRNG(g.seed, streamContract, p.i)
	share := func(prob float64, lo, hi int64) int64 {
		if !r.chance(prob) {
			return 0
		}
		return r.between(lo, hi+1)
	}
	for k := 0; k < p.nOpps; k++ {
		o := &p.opps[k]
		// Draw for every deal, kept or not, so one deal's fate never moves
		// another's lines.
		main := prodPlatform
		if o.kind == oppExpansion && r.chance(0.5) {
			main = prodAnalytics
		}
		services, support, addon := share(0.4, 5, 15), share(0.5, 10, 20), share(0.3, 10, 25)
		training := r.chance(0.3)
		if o.kind != oppNewBusiness {
			services, addon = 0, 0 // follow-on deals sell recurring lines only
		}
		if o.outcome == outcomeLost && !o.cancelled {
			continue
		}
		add := func(prod int, price int64) {
			if price > 0 && p.nLines[k] < maxLines {
				p.lines[k][p.nLines[k]] = lineItem{product: prod, price: price}
				p.nLines[k]++
			}
		}
		svc := o.amount * services / 100
		sup := o.amount * support / 100
		ext := o.amount * addon / 100
		add(main, o.amount-svc-sup-ext) // the remainder: the lines sum to Amount exactly
		add(prodAnalytics, ext)
		add(prodSupport, sup)
		if training {
			add(prodTraining, svc)
		} else {
			add(prodOnboarding, svc)
		}
	}
	g.contractsOf(p)
}

// recurring is the total of the opportunity's recurring lines.
func (p *leadPlan) recurring(k int) int64 {
	var sum int64
	for _, l := range p.lines[k][:p.nLines[k]] {
		if products[l.product].recurring {
			sum += l.price
		}
	}
	return sum
}

func (g *generator) contractsOf(p *leadPlan) {
	if p.nOpps == 0 || p.opps[0].outcome == outcomeOpen || (p.opps[0].outcome == outcomeLost && !p.opps[0].cancelled) {
		return
	}
	nb := &p.opps[0]
	today := dayOf(g.asOf)
	add := func(c contractPlan) {
		switch {
		case nb.cancelled && c.opp == 0:
			c.statusCode = "Terminated"
			c.modstamp = nb.modstamp()
		case c.endDay < today:
			// The org's nightly job sets Expired the morning after the end.
			c.statusCode = "Expired"
			c.modstamp = min((c.endDay+1)*usDay+usHour, g.asOf-usSecond)
		default:
			c.statusCode = "Activated"
		}
		c.modstamp = max(c.modstamp, c.created)
		c.arr = g.toCorporate(p.currencyCode(), c.arr, c.startDay)
		p.contracts[p.nContracts] = c
		p.nContracts++
	}
	first := contractPlan{opp: 0, startDay: nb.closeDay + 1, term: 12, created: nb.closeAt, arr: p.recurring(0)}
	first.endDay = addMonths(first.startDay, 12) - 1
	add(first)
	for k := 1; k < p.nOpps; k++ {
		o := &p.opps[k]
		if o.outcome != outcomeWon {
			continue
		}
		switch o.kind {
		case oppExpansion:
			m := 1
			for addMonths(first.startDay, m) <= o.closeDay {
				m++
			}
			if m < 12 {
				add(contractPlan{opp: k, startDay: addMonths(first.startDay, m), endDay: first.endDay, term: int64(12 - m), created: o.closeAt, arr: p.recurring(k)})
			}
		case oppRenewal:
			c := contractPlan{opp: k, startDay: first.endDay + 1, term: 12, created: o.closeAt, arr: p.recurring(k)}
			c.endDay = addMonths(c.startDay, 12) - 1
			add(c)
		}
	}
}

// renewedContract is the index of the contract a renewal deal renews (the
// first one), or -1.
func (p *leadPlan) renewedContract(k int) int {
	if p.opps[k].kind != oppRenewal || p.nContracts == 0 {
		return -1
	}
	return 0
}

func renderProduct(rc *renderCtx, i int64, row *crm.Row) {
	pr := products[i]
	w := rowWriter{crm.Product2, row}
	created := rc.g.start - 180*usDay + i*usHour
	w.common(makeID(keyPrefix["Product2"], i), created, created)
	w.str("Name", pr.name)
	w.str("ProductCode", pr.code)
	w.str("Family", pr.family)
	w.boolean("IsActive", pr.active)
}

func renderContract(rc *renderCtx, i int64, row *crm.Row) {
	p, r := rc.leadOf(rc.g.tab("Contract"), i)
	c := p.contracts[r.a]
	o := &p.opps[c.opp]
	w := rowWriter{crm.Contract, row}
	w.common(makeID(keyPrefix["Contract"], i), c.created, c.modstamp)
	w.str("AccountId", makeID(keyPrefix["Account"], rc.g.accounts.indexOf(int64(r.lead), 0)))
	w.str("OwnerId", People[o.owner].ID)
	w.str("Status", contractStatusLabel[c.statusCode])
	w.str("StatusCode", c.statusCode)
	w.str("ContractNumber", contractNumber(i))
	w.date("StartDate", c.startDay)
	w.date("EndDate", c.endDay)
	w.set("ContractTerm", crm.Value{I: c.term})
	w.dateTime("ActivatedDate", c.created)
	w.hundredths("ARR__c", c.arr)
	w.str("CurrencyIsoCode", "USD")
}

// contractNumber is the org's auto-number: eight digits from 00000100.
func contractNumber(i int64) string {
	b := []byte("00000000")
	for k, n := len(b)-1, i+100; k >= 0 && n > 0; k-- {
		b[k] = byte('0' + n%10)
		n /= 10
	}
	return string(b)
}

func renderLineItem(rc *renderCtx, i int64, row *crm.Row) {
	p, r := rc.leadOf(rc.g.tab("OpportunityLineItem"), i)
	o := &p.opps[r.a]
	l := p.lines[r.a][r.b]
	w := rowWriter{crm.OpportunityLineItem, row}
	w.common(makeID(keyPrefix["OpportunityLineItem"], i), o.created, o.created)
	w.str("OpportunityId", rc.oppID(int64(r.lead), r.a))
	w.str("Product2Id", makeID(keyPrefix["Product2"], int64(l.product)))
	w.hundredths("TotalPrice", l.price)
	w.date("ServiceDate", o.closeDay+1)
	w.str("CurrencyIsoCode", p.currencyCode())
	w.str("PricebookEntryId", makeID(keyPrefix["PricebookEntry"], int64(l.product)))
	w.hundredths("Quantity", l.units()*100)
	w.hundredths("UnitPrice", l.unitPrice())
	w.hundredths("ListPrice", products[l.product].listPrice)
}
