package money

import (
	"fmt"
	"math/big"
	"sort"
	"time"

	"github.com/shopspring/decimal"
)

// Exchange rates, as a Salesforce multi-currency org keeps them, and the
// one rule for "the rate of a currency on a day". Both the KPI engine
// (opportunity amounts into the reporting currency) and comp (credits
// into a pay currency) read rates through it.
//
// Every rate is quoted as units of the currency per 1 unit of the org's
// corporate currency (Salesforce's ConversionRate; the corporate
// currency's rate is 1). So an amount a in currency X is a × rate(Y) ÷
// rate(X) in currency Y: a cross rate through the corporate currency when
// neither is it.
//
//   - Static rates (CurrencyType.ConversionRate): one per currency, no
//     dates.
//   - Dated rates (DatedConversionRate, advanced currency management): a
//     rate is in force from its StartDate up to, not including, its
//     NextStartDate (open when there is none). The rate of a day is the
//     one whose range holds it. Salesforce converts an opportunity's
//     amount at the dated rate of its CloseDate.
//   - The corporate currency's rate is 1 on every day, whatever the rows
//     say (they may omit it).

// RateSource names where a rate comes from.
type RateSource string

// Rate sources.
const (
	RatesDated  RateSource = "dated"  // DatedConversionRate in force on the day
	RatesStatic RateSource = "static" // CurrencyType.ConversionRate
)

// Rates are the org's exchange rates (the CurrencyType and
// DatedConversionRate objects): units of a currency per 1 unit of
// Corporate. A single-currency org has none.
type Rates struct {
	Corporate string
	Static    []StaticRate
	Dated     []DatedRate
}

// StaticRate is one CurrencyType row.
type StaticRate struct {
	Currency string
	Rate     decimal.Decimal
}

// DatedRate is one DatedConversionRate row: in force from Start up to, not
// including, Next (zero: open-ended).
type DatedRate struct {
	Currency    string
	Rate        decimal.Decimal
	Start, Next time.Time
}

// IsZero reports whether the org has no rates at all (a single-currency
// org).
func (r Rates) IsZero() bool { return r.Corporate == "" && len(r.Static) == 0 && len(r.Dated) == 0 }

// RateProblem is one thing wrong with an org's rates: At names the row
// ("static[1] EUR", "dated[4] GBP", "corporate"), Reason says what.
type RateProblem struct{ At, Reason string }

// Problems checks the org's rates: a corporate currency when there are
// any, ISO 4217 codes, rates above 0 (the corporate currency's 1), one
// static rate per currency, dated ranges that end after they start and do
// not overlap within a currency. Nothing should be converted while any is
// reported.
func (r Rates) Problems() []RateProblem {
	var out []RateProblem
	add := func(at, format string, args ...any) {
		out = append(out, RateProblem{At: at, Reason: fmt.Sprintf(format, args...)})
	}
	if len(r.Static)+len(r.Dated) > 0 && r.Corporate == "" {
		add("corporate", "no corporate currency (CurrencyType with IsCorporate) beside %d static and %d dated rates", len(r.Static), len(r.Dated))
	}
	if r.Corporate != "" && !IsCurrency(r.Corporate) {
		add("corporate", "%q is not an ISO 4217 currency code", r.Corporate)
	}
	one := decimal.NewFromInt(1)
	checkRate := func(at, code string, v decimal.Decimal) {
		switch {
		case !IsCurrency(code):
			add(at, "%q is not an ISO 4217 currency code", code)
		case !v.IsPositive():
			add(at, "%s rate %s must be above 0", code, v)
		case code == r.Corporate && !v.Equal(one):
			add(at, "%s is the corporate currency: its rate is 1, not %s", code, v)
		}
	}
	seen := map[string]bool{}
	for i, s := range r.Static {
		at := fmt.Sprintf("static[%d] %s", i, s.Currency)
		checkRate(at, s.Currency, s.Rate)
		if seen[s.Currency] {
			add(at, "%s has two static rates (CurrencyType rows)", s.Currency)
		}
		seen[s.Currency] = true
	}
	byCur := map[string][]int{}
	for i, d := range r.Dated {
		at := fmt.Sprintf("dated[%d] %s", i, d.Currency)
		checkRate(at, d.Currency, d.Rate)
		switch {
		case d.Start.IsZero():
			add(at, "no start date")
		case !d.Next.IsZero() && !d.Next.After(d.Start):
			add(at, "next start date %s is not after the start date %s", isoDay(d.Next), isoDay(d.Start))
		default:
			byCur[d.Currency] = append(byCur[d.Currency], i)
		}
	}
	codes := make([]string, 0, len(byCur))
	for code := range byCur {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	for _, code := range codes {
		idx := byCur[code]
		sort.SliceStable(idx, func(a, b int) bool { return r.Dated[idx[a]].Start.Before(r.Dated[idx[b]].Start) })
		for k := 1; k < len(idx); k++ {
			prev, cur := r.Dated[idx[k-1]], r.Dated[idx[k]]
			if prev.Next.IsZero() || prev.Next.After(cur.Start) {
				add(fmt.Sprintf("dated[%d] %s", idx[k], code), "%s rate from %s overlaps the one from %s (in force until %s): two rates on %s",
					code, isoDay(cur.Start), isoDay(prev.Start), nextOrOpen(prev.Next), isoDay(cur.Start))
			}
		}
	}
	return out
}

func isoDay(t time.Time) string { return t.Format(time.DateOnly) }

func nextOrOpen(t time.Time) string {
	if t.IsZero() {
		return "(open)"
	}
	return isoDay(t)
}

// RateUsed is one rate a conversion read: the currency, its rate against
// the base (the corporate currency, or a plan's own currency for a plan
// table), where it came from ("" for the base itself, whose rate is 1) and,
// for a dated rate, its range (From and To inclusive; To "" when open).
type RateUsed struct {
	Currency string          `json:"currency"`
	Rate     decimal.Decimal `json:"rate"`
	Source   RateSource      `json:"source,omitempty"`
	From     string          `json:"from,omitempty"`
	To       string          `json:"to,omitempty"`
}

// RateTable answers "the rate of a currency on a day" over an org's
// rates (checked with Problems first).
type RateTable struct {
	corporate string
	static    map[string]decimal.Decimal
	dated     map[string][]DatedRate // by currency, by start
}

// NewRateTable indexes the org's rates.
func NewRateTable(r Rates) *RateTable {
	t := &RateTable{corporate: r.Corporate, static: map[string]decimal.Decimal{}, dated: map[string][]DatedRate{}}
	for _, s := range r.Static {
		t.static[s.Currency] = s.Rate
	}
	for _, d := range r.Dated {
		t.dated[d.Currency] = append(t.dated[d.Currency], d)
	}
	for _, ds := range t.dated {
		sort.Slice(ds, func(a, b int) bool { return ds[a].Start.Before(ds[b].Start) })
	}
	return t
}

// Corporate is the org's corporate currency, "" for an org without rates.
func (t *RateTable) Corporate() string { return t.corporate }

// HasDated reports whether the org has dated rates: advanced currency
// management is on, and Salesforce converts opportunities at them.
func (t *RateTable) HasDated() bool { return len(t.dated) > 0 }

// On is the rate of currency code on day: 1 for the corporate currency;
// with source dated the dated rate whose range holds day, else, when
// fallback is set, the static rate; with source static the static rate. A
// missing rate is an error naming the currency and the day.
func (t *RateTable) On(code string, day time.Time, source RateSource, fallback bool) (RateUsed, error) {
	if code == t.corporate {
		return RateUsed{Currency: code, Rate: decimal.NewFromInt(1)}, nil
	}
	if source == RatesDated {
		// The ranges do not overlap (Problems): the one that can hold
		// day is the last to start on or before it.
		ds := t.dated[code]
		if k := sort.Search(len(ds), func(i int) bool { return ds[i].Start.After(day) }) - 1; k >= 0 {
			if d := ds[k]; d.Next.IsZero() || day.Before(d.Next) {
				u := RateUsed{Currency: code, Rate: d.Rate, Source: RatesDated, From: isoDay(d.Start)}
				if !d.Next.IsZero() {
					u.To = isoDay(d.Next.AddDate(0, 0, -1))
				}
				return u, nil
			}
		}
		if !fallback {
			return RateUsed{}, fmt.Errorf("no dated %s rate (DatedConversionRate) in force on %s", code, isoDay(day))
		}
	}
	if v, ok := t.static[code]; ok {
		return RateUsed{Currency: code, Rate: v, Source: RatesStatic}, nil
	}
	return RateUsed{}, fmt.Errorf("no %s rate on %s: %s has no dated rate in force and no static rate (CurrencyType)", code, isoDay(day), code)
}

// ConvertCents converts cents in the currency whose rate is from into the
// currency whose rate is to (both against the same base): cents × to ÷
// from, exact, then rounded once to the cent half away from zero (Round's
// rule). from must be above 0.
func ConvertCents(cents int64, from, to decimal.Decimal) int64 {
	x := new(big.Rat).Mul(new(big.Rat).SetInt64(cents), to.Rat())
	x.Quo(x, from.Rat())
	return roundRat(x).Int64()
}

// roundRat rounds x to an integer, half away from zero.
func roundRat(x *big.Rat) *big.Int {
	num, den := new(big.Int).Abs(x.Num()), x.Denom()
	// (2|num| + den) div (2 den): |x| + 1/2, floored.
	q := new(big.Int).Add(new(big.Int).Lsh(num, 1), den)
	q.Quo(q, new(big.Int).Lsh(den, 1))
	if x.Sign() < 0 {
		q.Neg(q)
	}
	return q
}
