package orggen

import (
	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/money"
)

// The demo org is multi-currency with advanced currency management:
// corporate currency USD, and EUR and GBP with a static rate each
// (CurrencyType) and a dated rate per quarter of its history
// (DatedConversionRate), each quarter's range ending where the next
// begins (NextStartDate) and the last one open. Rates are units of the
// currency per 1 USD, in millionths. The org's deals are in USD but one
// scripted account's, in EUR (its opportunities and line items; its
// contracts keep their ARR in USD, converted at the dated rate of their
// start, since the KPI engine reads contracts in the reporting currency
// only). The KPI job converts opportunities at the dated rate of their
// close date (docs/kpis.md, "Currency conversion"), the payouts job deals
// into each pay currency (docs/comp-plans.md, "Deals in another
// currency"). SingleCurrency is the org without the rate objects and
// without CurrencyIsoCode fields: its EUR deal's amount then reads as USD.

// currencyType is one CurrencyType record.
type currencyType struct {
	code      string
	rate      int64 // millionths
	places    int64
	corporate bool
}

var currencyTypes = []currencyType{
	{"USD", 1_000000, 2, true},
	{"EUR", 920000, 2, false},
	{"GBP", 790000, 2, false},
}

// datedRate is one DatedConversionRate record: in force from start up to,
// not including, next (0: open), both days since 1970-01-01.
type datedRate struct {
	code        string
	rate        int64 // millionths
	start, next int64
}

// datedRates are the org's dated rates: the corporate currency at 1 from
// the first quarter on, and for EUR and GBP one rate per quarter, moving by
// a fixed step so each quarter's differs from the last.
func (g *generator) datedRates() []datedRate {
	if len(g.quarterStarts) == 0 {
		return nil
	}
	out := []datedRate{{code: "USD", rate: 1_000000, start: dayOf(g.quarterStarts[0])}}
	steps := map[string][]int64{"EUR": {900000, 915000, 930000, 945000, 925000}, "GBP": {780000, 790000, 775000, 800000}}
	for _, code := range []string{"EUR", "GBP"} {
		for k, qs := range g.quarterStarts {
			d := datedRate{code: code, rate: steps[code][k%len(steps[code])], start: dayOf(qs)}
			if k+1 < len(g.quarterStarts) {
				d.next = dayOf(g.quarterStarts[k+1])
			}
			out = append(out, d)
		}
	}
	return out
}

// currencyStamp is when the org's currencies were set up: before its
// history.
func (g *generator) currencyStamp(i int64) int64 {
	return wholeSecond(g.start - 200*usDay + i*usHour)
}

func renderCurrencyType(rc *renderCtx, i int64, row *crm.Row) {
	c := currencyTypes[i]
	w := rowWriter{crm.CurrencyType, row}
	at := rc.g.currencyStamp(i)
	w.common(makeID(keyPrefix["CurrencyType"], i), at, at)
	w.str("IsoCode", c.code)
	w.set("ConversionRate", crm.Value{I: c.rate})
	w.set("DecimalPlaces", crm.Value{I: c.places})
	w.boolean("IsActive", true)
	w.boolean("IsCorporate", c.corporate)
}

func renderDatedRate(rc *renderCtx, i int64, row *crm.Row) {
	d := rc.g.dated[i]
	w := rowWriter{crm.DatedConversionRate, row}
	at := rc.g.currencyStamp(i)
	w.common(makeID(keyPrefix["DatedConversionRate"], i), at, at)
	w.str("IsoCode", d.code)
	w.set("ConversionRate", crm.Value{I: d.rate})
	w.date("StartDate", d.start)
	if d.next != 0 {
		w.date("NextStartDate", d.next)
	}
}

// currencyCode is the CurrencyIsoCode of p's deals.
func (p *leadPlan) currencyCode() string {
	if p.currency == "" {
		return "USD"
	}
	return p.currency
}

// toCorporate converts cents of currency code into USD at the dated rate
// in force on day (days since 1970-01-01), rounded to the cent half away
// from zero (money.ConvertCents).
func (g *generator) toCorporate(code string, cents, day int64) int64 {
	if code == "USD" {
		return cents
	}
	for _, d := range g.dated {
		if d.code == code && day >= d.start && (d.next == 0 || day < d.next) {
			return money.ConvertCents(cents, decimal.New(d.rate, -6), decimal.NewFromInt(1))
		}
	}
	panic("orggen: no dated " + code + " rate on day " + decimal.NewFromInt(day).String())
}
