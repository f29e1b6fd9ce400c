package comp

import (
	"fmt"
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/venn-revops/venn/shared/money"
	"github.com/venn-revops/venn/shared/period"
)

// Currency conversion. A person is paid in one currency (Person.Currency,
// else their plan's); their plans of a quarter are in one currency, the
// pay currency or another; a deal may be in a third (its CurrencyIsoCode).
// Each credited amount in another currency than the plan's is converted
// into the plan's at the rate in force on the day the plan's conversion
// names (its close date by default), by the rule of the plan the payee is
// on that day (the plan's conversion section); lines computed in a plan's
// currency are converted into a different pay currency below (linesToPay):
//
//   - rates: dated: the org's dated exchange rate (DatedConversionRate,
//     advanced currency management) whose range holds the close date:
//     StartDate <= close date < NextStartDate. This is the rate Salesforce
//     itself converts an opportunity's amount at.
//   - fallback: static (only with rates: dated, and only when said): a
//     currency with no dated rate in force on the day converts at its
//     static rate (CurrencyType.ConversionRate).
//   - rates: static: always the static rate.
//   - rates: plan: the plan's own table, fixed for the plan version.
//
// Salesforce quotes every rate as units of the currency per 1 unit of the
// corporate currency (the corporate currency's rate is 1); a plan table is
// quoted the same way against the plan's currency. So an amount a in deal
// currency X becomes a × rate(pay) ÷ rate(X): a cross rate through the
// corporate currency when neither is it. The factor is an exact fraction
// of the two decimal rates, nothing is rounded on the way: the commission
// or attainment it feeds is rounded once, by the plan's rounding
// convention. The credit shown on the statement is the exact value rounded
// to the cent for reading (the plan's rounding mode).
//
// A quota record in another currency than the plan's (quotas.yaml
// currency) is converted the same way, day by day: each day's
// full-quarter amount at that day's rate.
//
// A missing rate (no dated range holds the day and no fallback said, no
// static rate, a currency missing from the plan table), an unknown
// currency, a rate at or below zero, two dated ranges of one currency that
// overlap: all are validation errors naming the currency and the day,
// reported before anything is computed or paid.
//
// Clawbacks of a converted deal are taken back in the pay currency at the
// rate the deal was paid at, never at today's rate: amount_paid takes back
// the amount paid (already in the pay currency); original_rate recomputes
// the credited amount from the credit's recorded original amount and
// rates (DealCredit.FX) times the commission rate it was paid at (and the
// plan-to-pay rate of its line, Payment.FX).

// RateSource names where a conversion rate comes from: money's dated and
// static org rates, or the plan's own table.
type RateSource = money.RateSource

// Rate sources.
const (
	RatesDated             = money.RatesDated  // DatedConversionRate in force on the day
	RatesStatic            = money.RatesStatic // CurrencyType.ConversionRate
	RatesPlan   RateSource = "plan"            // the plan's conversion table
)

// Conversion dates a plan can name (conversion.date).
const (
	// ConvertOnCloseDate (the default): each deal's credit at the rate of
	// its close date (the date Salesforce converts an opportunity at), a
	// quota record at each day's rate, and a line from the plan's currency
	// into the pay currency at the rate of the quarter's last day.
	ConvertOnCloseDate = "close_date"
	// ConvertOnPeriodEnd: everything at the rate of the quarter's last day
	// (the statement's period end).
	ConvertOnPeriodEnd = "period_end"
)

// A conversion date may also be a fixed day (YYYY-MM-DD): everything at
// the org's rate in force that day, one rate for the plan version (a fixed
// plan rate taken from the org's rates; rates: plan states the rate itself).

// day is the day whose rate converts an amount dated t in quarter q under
// c: t itself (close_date), the quarter's last day (period_end) or the
// plan's fixed day.
func (c *Conversion) day(t time.Time, q period.Quarter) time.Time {
	switch c.Date {
	case "", ConvertOnCloseDate:
		return t
	case ConvertOnPeriodEnd:
		return periodEnd(q)
	}
	d, _ := time.Parse(time.DateOnly, c.Date) // validated
	return d
}

// Conversion is a plan's currency conversion rule (the plan file's
// conversion section). A plan without one pays only deals in its own
// currency: a deal in another is a validation error that says to add it.
type Conversion struct {
	// Date is the day whose rate applies: close_date (the default),
	// period_end or a fixed day YYYY-MM-DD (Conversion.day).
	Date string `yaml:"date"`
	// Rates is the source: dated, static or plan.
	Rates RateSource `yaml:"rates"`
	// Fallback is static or empty: with rates dated, whether a currency
	// with no dated rate in force on the day falls back to its static rate.
	Fallback RateSource `yaml:"fallback"`
	// Table is rates: plan's table: units of each currency per 1 unit of
	// the plan's currency.
	Table map[string]Dec `yaml:"table"`
}

// Rates are the org's exchange rates (money.Rates: the one rule for the
// rate of a currency on a day, shared with the KPI engine).
type Rates = money.Rates

// StaticRate is one CurrencyType row.
type StaticRate = money.StaticRate

// DatedRate is one DatedConversionRate row.
type DatedRate = money.DatedRate

// FX is how one credit was converted, kept on the credit so a statement
// reader can redo it and a later clawback can take it back at the same
// rates.
type FX struct {
	// Currency and Amount are the credit in the deal's currency.
	Currency string `json:"currency"`
	Amount   Money  `json:"amount"`
	// Date is the day whose rates applied.
	Date string `json:"date"`
	// Base is what the rates are quoted against: the corporate currency,
	// or for a plan table the plan's currency.
	Base string `json:"base"`
	// From is the deal currency's rate, To the pay currency's (each 1 when
	// the currency is Base).
	From RateUsed `json:"from"`
	To   RateUsed `json:"to"`
	// Factor is To ÷ From, units of pay currency per unit of deal currency,
	// shown to 12 places (the arithmetic uses the exact fraction).
	Factor decimal.Decimal `json:"factor"`
}

// RateUsed is one rate a conversion read (money.RateUsed).
type RateUsed = money.RateUsed

// factor is the exact units of pay currency per unit of deal currency.
func (x *FX) factor() *big.Rat { return quo(rat(x.To.Rate), rat(x.From.Rate)) }

// value is the exact credited amount in the pay currency.
func (x *FX) value() *big.Rat { return mul(rat(x.Amount.Decimal), x.factor()) }

// describe is the conversion in words: "EUR 10,000.00 × 1 ÷ 0.92 (EUR per
// USD, dated rate from 2026-07-01) on 2026-08-14".
func (x *FX) describe() string {
	legs := []string{}
	for _, r := range []RateUsed{x.From, x.To} {
		if r.Source == "" {
			continue
		}
		how := string(r.Source) + " rate"
		if r.From != "" {
			how += " from " + r.From
			if r.To != "" {
				how += " to " + r.To
			}
		}
		legs = append(legs, fmt.Sprintf("%s %s per %s, %s", r.Currency, r.Rate, x.Base, how))
	}
	return fmt.Sprintf("%s × %s ÷ %s (%s) on %s", fmtMoney(x.Amount.Decimal, x.Currency), x.To.Rate, x.From.Rate, strings.Join(legs, "; "), x.Date)
}

// value is a credit's exact amount in the statement's currency: the
// converted amount when it was converted (recomputed from its recorded
// rates, so a credit read back from a stored statement gives the same
// fraction), else the credited amount.
func (c DealCredit) value() *big.Rat {
	if c.FX != nil {
		return c.FX.value()
	}
	return rat(c.Credited.Decimal)
}

// describe is the rule in words, for the plan document: "this plan's
// amounts are in USD; a deal in another currency is converted into USD on
// its close date at the company's dated exchange rate in force that day
// (Salesforce DatedConversionRate)".
func (c *Conversion) describe(planCurrency string) string {
	var how string
	switch c.Rates {
	case RatesDated:
		how = "the company's dated exchange rate in force that day (Salesforce DatedConversionRate)"
		if c.Fallback == RatesStatic {
			how += ", else its static rate (CurrencyType)"
		}
	case RatesStatic:
		how = "the company's static exchange rate (Salesforce CurrencyType)"
	default:
		var rates []string
		for _, code := range sortedKeys(c.Table) {
			rates = append(rates, code+" "+c.Table[code].String())
		}
		how = "this plan's fixed rates, units per 1 " + planCurrency + ": " + strings.Join(rates, ", ")
	}
	when := "on its close date"
	switch c.Date {
	case "", ConvertOnCloseDate:
	case ConvertOnPeriodEnd:
		when = "on the quarter's last day"
	default:
		when = "on " + c.Date + " (one rate for the whole plan version)"
	}
	return fmt.Sprintf("this plan's amounts are in %s; a deal in another currency is converted into %s %s at %s", planCurrency, planCurrency, when, how)
}

// validateConversion checks a plan's conversion section.
func validateConversion(e *errs, p *Plan) {
	c := p.Conversion
	if c == nil {
		return
	}
	switch c.Date {
	case "", ConvertOnCloseDate:
	case ConvertOnPeriodEnd:
		if c.Rates == RatesPlan {
			e.add("conversion.date", "%s: rates: plan is one fixed table on every day (leave date out)", c.Date)
		}
	default:
		if _, err := time.Parse(time.DateOnly, c.Date); err != nil {
			e.add("conversion.date", "%q: want %s, %s or a fixed day YYYY-MM-DD", c.Date, ConvertOnCloseDate, ConvertOnPeriodEnd)
		} else if c.Rates == RatesPlan {
			e.add("conversion.date", "%s: rates: plan is one fixed table on every day (leave date out)", c.Date)
		}
	}
	switch c.Rates {
	case RatesDated, RatesStatic:
		if len(c.Table) > 0 {
			e.add("conversion.table", "only used with rates: plan")
		}
	case RatesPlan:
		if len(c.Table) == 0 {
			e.add("conversion.table", "required with rates: plan (units of each currency per 1 %s)", p.Currency)
		}
		for _, code := range sortedKeys(c.Table) {
			at := "conversion.table." + code
			r := c.Table[code]
			switch {
			case !IsCurrency(code):
				e.add(at, "%q is not an ISO 4217 currency code", code)
			case !r.Set:
				e.add(at, "required (no value given)")
			case !r.IsPositive():
				e.add(at, "rate %s must be above 0", r)
			case code == p.Currency && !r.Equal(decimal.NewFromInt(1)):
				e.add(at, "the plan's own currency has rate 1, not %s", r)
			}
		}
	default:
		e.add("conversion.rates", "%q: want dated, static or plan", c.Rates)
	}
	switch {
	case c.Fallback == "":
	case c.Fallback != RatesStatic:
		e.add("conversion.fallback", "%q: want static (or leave it out)", c.Fallback)
	case c.Rates != RatesDated:
		e.add("conversion.fallback", "only used with rates: dated")
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ValidateRates checks the org's rates (money.Rates.Problems).
func ValidateRates(r Rates) ValidationErrors {
	e := &errs{file: "rates"}
	for _, p := range r.Problems() {
		e.add(p.At, "%s", p.Reason)
	}
	return e.list
}

func isoDay(t time.Time) string { return t.Format(time.DateOnly) }

// rateIndex answers "the rate of a currency on a day" over validated Rates.
type rateIndex struct {
	*money.RateTable
	q period.Quarter // the run's quarter (period_end)
}

func newRateIndex(r Rates, q period.Quarter) *rateIndex {
	return &rateIndex{RateTable: money.NewRateTable(r), q: q}
}

// lookup is the org rate of currency code on day t under the plan's
// conversion rule (dated with an optional static fallback, or static).
func (ix *rateIndex) lookup(code string, t time.Time, c *Conversion) (RateUsed, error) {
	u, err := ix.On(code, t, c.Rates, c.Fallback == RatesStatic)
	if err != nil && c.Rates == RatesDated && c.Fallback != RatesStatic {
		err = fmt.Errorf("%w, and the plan states no fallback to static rates", err)
	}
	return u, err
}

// convert makes the conversion of amount in currency from into currency
// to, dated t, under plan p's rule (on the day the rule names for t).
func (ix *rateIndex) convert(p *Plan, from, to string, amount decimal.Decimal, t time.Time) (*FX, error) {
	c := p.Conversion
	if c == nil {
		return nil, fmt.Errorf("%s to %s on %s: plan %s states no currency conversion (add a conversion section: rates dated, static or plan)", from, to, isoDay(t), p.Ref())
	}
	t = c.day(t, ix.q)
	x := &FX{Currency: from, Amount: Money{amount}, Date: isoDay(t)}
	var err error
	if c.Rates == RatesPlan {
		x.Base = p.Currency
		leg := func(code string) (RateUsed, error) {
			if code == p.Currency {
				return RateUsed{Currency: code, Rate: decimal.NewFromInt(1)}, nil
			}
			v, ok := c.Table[code]
			if !ok {
				return RateUsed{}, fmt.Errorf("%s to %s on %s: plan %s's conversion table has no %s rate", from, to, isoDay(t), p.Ref(), code)
			}
			return RateUsed{Currency: code, Rate: v.Decimal, Source: RatesPlan}, nil
		}
		if x.From, err = leg(from); err != nil {
			return nil, err
		}
		if x.To, err = leg(to); err != nil {
			return nil, err
		}
	} else {
		if ix.Corporate() == "" {
			return nil, fmt.Errorf("%s to %s on %s: the org has no exchange rates (no CurrencyType in the lake: a single-currency org?)", from, to, isoDay(t))
		}
		x.Base = ix.Corporate()
		if x.From, err = ix.lookup(from, t, c); err != nil {
			return nil, fmt.Errorf("%s to %s (plan %s): %w", from, to, p.Ref(), err)
		}
		if x.To, err = ix.lookup(to, t, c); err != nil {
			return nil, fmt.Errorf("%s to %s (plan %s): %w", from, to, p.Ref(), err)
		}
	}
	x.Factor = show(x.factor())
	return x, nil
}

// convertCredit converts credited amount (in the deal's currency) for
// person id, on plans in currency pay, dated close day t, by the plan the person is on
// that day (else their nearest span's plan in the quarter). It returns the
// credit's displayed amount (the exact value rounded to the cent in the
// plan's mode) and the conversion; nil when nothing needs converting, or
// the person has no plan this quarter to say how (no plan pays them).
func (r *run) convertCredit(id, pay, dealCur string, amount decimal.Decimal, t time.Time) (Money, *FX, error) {
	if pay == "" || pay == dealCur {
		return Money{amount}, nil, nil
	}
	p := r.planNear(id, t)
	if p == nil {
		return Money{amount}, nil, nil
	}
	x, err := r.fx.convert(p, dealCur, pay, amount, t)
	if err != nil {
		return Money{}, nil, err
	}
	return Money{roundMode(x.value(), money.Scale, p.Round().Mode)}, x, nil
}

// planNear is the plan person id is on on day t, else the plan of their
// span nearest before t, else their first: the plan that states how their
// credits convert.
func (r *run) planNear(id string, t time.Time) *Plan {
	spans := r.spans[id]
	if len(spans) == 0 {
		return nil
	}
	if sp := r.spanOn(id, t); sp != nil {
		return sp.Plan
	}
	near := spans[0].Plan
	for _, sp := range spans {
		if !sp.From.After(t) {
			near = sp.Plan
		}
	}
	return near
}

// prepareRates checks the org's rates and indexes them.
func (r *run) prepareRates() ValidationErrors {
	list := ValidateRates(r.in.Rates)
	r.fx = newRateIndex(r.in.Rates, r.q)
	return list
}

// prepareQuotaFX converts every quota record in another currency than its
// person's pay currency, day by day over the quarter's days the person has
// a plan, into r.quotaFX; a missing rate is a validation error naming the
// record, the currency and the day.
func (r *run) prepareQuotaFX() ValidationErrors {
	e := &errs{file: "quotas.yaml"}
	r.quotaFX = map[string]*big.Rat{}
	for i, q := range r.in.Quotas {
		p := r.people[q.Person]
		if q.Currency == "" || p == nil {
			continue
		}
		pay := r.planCurrency(p)
		if q.Currency == pay {
			continue
		}
		for t := r.q.Start(); t.Before(r.q.End()); t = t.AddDate(0, 0, 1) {
			sp := r.spanOn(p.ID, t)
			if sp == nil || !covers(q.From, q.To, t) {
				continue
			}
			x, err := r.fx.convert(sp.Plan, q.Currency, pay, q.Amount.Decimal, t)
			if err != nil {
				e.add(fmt.Sprintf("quotas[%d] %s", i, q.ID()), "quota of %s, on a plan in %s: %v", q.Person, pay, err)
				break
			}
			r.quotaFX[quotaDayKey(q, t)] = x.value()
		}
	}
	return e.list
}

func quotaDayKey(q Quota, t time.Time) string { return q.ID() + "@" + isoDay(t) }

// quotaAmount is quota q's full-quarter amount on day t in the pay
// currency: converted when the record is in another currency.
func (r *run) quotaAmount(q *Quota, t time.Time) *big.Rat {
	if v, ok := r.quotaFX[quotaDayKey(*q, t)]; ok {
		return v
	}
	return rat(q.Amount.Decimal)
}

// note is a converted item's note ("; EUR 10,000.00 × 1 ÷ 0.92 …"), ""
// for a credit that was not converted.
func (x *FX) note() string {
	if x == nil {
		return ""
	}
	return "; " + x.describe()
}

// The plan's currency and the pay currency. A person paid in another
// currency than their plans' has credits, quotas and component lines
// computed in the plans' currency, exactly as for a person paid in it;
// then each component line's rounded amount is converted into the pay
// currency at the rate of the day the plan's conversion names (close_date:
// the quarter's last day, a line sums a quarter's deals; period_end: the
// same; a fixed day: that day's), by the plan version the window starts on,
// and rounded to the cent in the plan's mode. What each deal was paid by a
// window's lines is that converted total shared out by what it was paid in
// the plan's currency (largest remainder), so a clawback (amount_paid)
// takes back what was paid, and original_rate recomputes at the rate the
// line was paid at (Payment.FX). The plan's pay_cap and draw amounts are
// not converted: such a plan pays only people paid in its currency.

// lineFXKey keys a person's plan-to-pay conversion by plan version.
func lineFXKey(id string, p *Plan) string { return id + "\x00" + p.Ref() }

// prepareLineFX finds, before anything is computed, the plan-to-pay rate
// of every plan version a person paid in another currency is on this
// quarter: a missing rate is a validation error naming the person, the
// plan, the currencies and the day.
func (r *run) prepareLineFX() ValidationErrors {
	e := &errs{file: "people"}
	r.lineFX = map[string]*FX{}
	for _, id := range sortedKeys(r.spans) {
		p := r.people[id]
		pay, cur := r.currency(p), r.planCurrency(p)
		if pay == cur {
			continue
		}
		for _, sp := range r.spans[id] {
			if r.lineFX[lineFXKey(id, sp.Plan)] != nil || sp.Plan.Conversion == nil {
				continue
			}
			x, err := r.fx.convert(sp.Plan, cur, pay, decimal.NewFromInt(1), periodEnd(r.q))
			if err != nil {
				e.add(id, "paid in %s on plan %s in %s: lines: %v", pay, sp.Plan.Ref(), cur, err)
				continue
			}
			r.lineFX[lineFXKey(id, sp.Plan)] = x
		}
	}
	return e.list
}

// paymentCounts is how many payments each credit has so far.
func (ps *personRun) paymentCounts() []int {
	n := make([]int, len(ps.credits))
	for i, cr := range ps.credits {
		n[i] = len(cr.Payments)
	}
	return n
}

// linesToPay converts window w's lines, computed in the plan's currency,
// into person p's pay currency, and what each deal was paid by them (the
// payments added since before, paymentCounts).
func (r *run) linesToPay(p *Person, w *window, lines []Line, ps *personRun, before []int) error {
	plan := w.plan()
	rate := r.lineFX[lineFXKey(p.ID, plan)]
	if rate == nil {
		return fmt.Errorf("no %s rate for plan %s's lines", r.currency(p), plan.Ref())
	}
	mode, pay := plan.Round().Mode, r.currency(p)
	total := decimal.Zero
	for i := range lines {
		l := &lines[i]
		x := *rate
		x.Amount = l.Amount
		v := x.value()
		l.FX, l.Exact, l.Amount = &x, show(v), Money{roundMode(v, money.Scale, mode)}
		l.Explain += fmt.Sprintf("; paid in %s: %s = %s", pay, x.describe(), fmtMoney(l.Amount.Decimal, pay))
		total = total.Add(l.Amount.Decimal)
	}
	type at struct{ i, j int }
	var paid []at
	var weights []decimal.Decimal
	sum := decimal.Zero
	for i := range ps.credits {
		for j := before[i]; j < len(ps.credits[i].Payments); j++ {
			paid = append(paid, at{i, j})
			w := ps.credits[i].Payments[j].Paid.Decimal
			weights, sum = append(weights, w), sum.Add(w)
		}
	}
	parts := make([]decimal.Decimal, len(paid))
	if sum.IsPositive() && !total.IsZero() {
		var err error
		if parts, err = money.Allocate(total, weights); err != nil {
			return fmt.Errorf("component %s: attribute the converted lines to deals: %w", w.comp.ID, err)
		}
	}
	for k, a := range paid {
		cr := &ps.credits[a.i]
		pm := &cr.Payments[a.j]
		x := *rate
		x.Amount = pm.Paid
		cr.Paid = Money{cr.Paid.Sub(pm.Paid.Decimal).Add(parts[k])}
		pm.FX, pm.Paid = &x, Money{parts[k]}
		pm.Explain += fmt.Sprintf("; paid %s for %s: its share of the component's lines converted at %s %s per %s", fmtMoney(parts[k], pay), fmtMoney(x.Amount.Decimal, x.Currency), x.Factor, pay, x.Currency)
	}
	return nil
}

// orgCredit is an org-scope deal's amount in the plans' currency pay, converted
// by the plan of window w's span on its close date.
func (r *run) orgCredit(pay string, w *window, d DealCredit) (*big.Rat, *FX, error) {
	if d.currency == "" || pay == "" || d.currency == pay {
		return rat(d.Credited.Decimal), nil, nil
	}
	t, err := time.Parse(time.DateOnly, d.CloseDate)
	if err != nil {
		return nil, nil, fmt.Errorf("deal %s: close date: %w", d.DealID, err)
	}
	plan := w.plan()
	if sp := w.spanOn(t); sp != nil {
		plan = sp.Plan
	}
	x, err := r.fx.convert(plan, d.currency, pay, d.Credited.Decimal, t)
	if err != nil {
		return nil, nil, fmt.Errorf("deal %s: %w", d.DealID, err)
	}
	return x.value(), x, nil
}

// prepareOrgFX converts, before anything is computed, every org-scope deal
// a bonus measures for each person paid in another currency than the
// deal's, so a missing rate is reported with the other validation errors.
func (r *run) prepareOrgFX() ValidationErrors {
	e := &errs{file: "deals"}
	for _, id := range sortedKeys(r.spans) {
		p := r.people[id]
		pay := r.planCurrency(p)
		for _, w := range r.windows(id) {
			m := w.comp.Metric
			if w.comp.Kind != KindAttainmentBonus || m == nil || m.Scope != ScopeOrg || measureOf(m.KPI) != measureDeals {
				continue
			}
			for _, d := range r.orgDeals {
				if !w.containsDay(d.CloseDate) {
					continue
				}
				if _, _, err := r.orgCredit(pay, w, d); err != nil {
					e.add(d.DealID, "org-scope %s of %s (plan %s component %s): %v", m.KPI, id, w.refs(), w.comp.ID, err)
				}
			}
		}
	}
	return e.list
}

// fmtExactMoney renders an exact amount: to the cent when it is a whole
// number of cents, else to 12 decimals with "…" (a converted credit is
// such a fraction; the cent shown beside it is for reading only).
func fmtExactMoney(r *big.Rat, cur string) string {
	if c := mul(r, ratInt(100)); c.IsInt() {
		return fmtMoney(show(r), cur)
	}
	return cur + " " + show(r).StringFixed(ratioPlaces) + "…"
}

// exactBasisNote says, on a commission line whose credits include a
// converted one, that the credits were summed exactly (a calculator on
// the cents shown can be a cent off); "" when nothing was converted.
func exactBasisNote(credits []DealCredit, idx []int, basis *big.Rat, cur string) string {
	for _, i := range idx {
		if credits[i].FX != nil {
			return fmt.Sprintf(" (credits converted from other currencies are summed exactly: %s credited in all; see each deal's conversion below)", fmtExactMoney(basis, cur))
		}
	}
	return ""
}
