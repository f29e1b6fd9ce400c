package kpigen

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/money"
)

// currencies are the deal currencies of Org.Currencies besides USD (the
// corporate and reporting currency), with the share of opportunities in
// each.
var currencies = []struct {
	code  string
	pct   int
	base  int64 // millionths per USD of the first dated rate
	step  int64 // millionths the rate moves each month (alternating sign)
	stati int64 // the static rate, millionths
}{
	{"EUR", 20, 912_345, 7_919, 903_117},
	{"GBP", 10, 781_111, 5_003, 790_001},
}

// currency is opportunity j's CurrencyIsoCode: USD unless Org.Currencies.
func (o *Org) currency(j int) string {
	if !o.Currencies {
		return "USD"
	}
	p := o.pick(tOpp, j, 11, 100)
	for _, c := range currencies {
		if p < c.pct {
			return c.code
		}
		p -= c.pct
	}
	return "USD"
}

// Rates are the org's exchange rates with Org.Currencies (zero otherwise):
// corporate USD, a static rate per currency, and a dated rate per calendar
// month from a year before From, the last one open, moving by a
// six-decimal step so amounts rarely convert to whole cents.
func (o *Org) Rates() money.Rates {
	if !o.Currencies {
		return money.Rates{}
	}
	r := money.Rates{Corporate: "USD", Static: []money.StaticRate{{Currency: "USD", Rate: decimal.NewFromInt(1)}}}
	first := time.Date(o.From.Year()-1, o.From.Month(), 1, 0, 0, 0, 0, time.UTC)
	last := time.Date(o.To.Year(), o.To.Month(), 1, 0, 0, 0, 0, time.UTC)
	for _, c := range currencies {
		r.Static = append(r.Static, money.StaticRate{Currency: c.code, Rate: decimal.New(c.stati, -6)})
		k := int64(0)
		for m := first; !m.After(last); m = m.AddDate(0, 1, 0) {
			d := money.DatedRate{Currency: c.code, Rate: decimal.New(c.base+(k%3-1)*c.step*(k%5), -6), Start: m}
			if m.Before(last) {
				d.Next = m.AddDate(0, 1, 0)
			}
			r.Dated = append(r.Dated, d)
			k++
		}
	}
	return r
}
