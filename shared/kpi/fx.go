package kpi

import (
	"fmt"
	"time"

	"github.com/venn-revops/venn/shared/money"
)

// Opportunities in another currency (docs/kpis.md, "Currency"). Every
// counted opportunity's amount is converted into the reporting currency
// (Config.Currency) at the rate in force on its close date, as Salesforce
// itself converts opportunity amounts:
//
//   - an org with dated rates (DatedConversionRate: advanced currency
//     management is on) converts at the dated rate whose range holds the
//     close date; there is no fallback to the static rate, as in
//     Salesforce;
//   - an org with static rates only (CurrencyType) converts at those.
//
// The rate of a day is money.RateTable's rule, the one comp pays by. The
// close date is the one of the state being read: the as-of state's (its
// amount, bookings, pipeline, open pipeline: an open deal converts at the
// rate of the day it is expected to close) and, for the coverage at the
// quarter start, the start state's. Each opportunity's amount is converted
// exactly (a × rate(reporting) ÷ rate(deal currency), through the
// corporate currency) and rounded once to the cent, half away from zero
// (money.ConvertCents), before it is summed: a sum is the sum of the
// rounded amounts, as a Salesforce report sums converted amounts.
//
// A blank currency is the reporting currency. An opportunity of a counted
// class in another currency fails the run when the org has no rates, or
// no rate of its currency (or of the reporting currency) on its close
// date; the error names the opportunity, the currency and the day. Rates
// that fail money.Rates.Problems (overlapping ranges, a rate at or below
// zero, …) fail the run before anything is read.

// oppFX converts opportunity amounts into the reporting currency.
type oppFX struct {
	table  *money.RateTable // nil: the org has no rates
	source money.RateSource
	to     string
	codes  []string          // a currency's index → its code; 0 is the reporting currency
	idx    map[string]uint16 // code → index
}

func newOppFX(r money.Rates, to string) (*oppFX, error) {
	f := &oppFX{to: to, codes: []string{to}, idx: map[string]uint16{}}
	if r.IsZero() {
		return f, nil
	}
	if ps := r.Problems(); len(ps) > 0 {
		err := fmt.Errorf("exchange rates: %s: %s", ps[0].At, ps[0].Reason)
		if len(ps) > 1 {
			err = fmt.Errorf("%w (and %d more problems)", err, len(ps)-1)
		}
		return nil, err
	}
	f.table, f.source = money.NewRateTable(r), money.RatesStatic
	if f.table.HasDated() {
		f.source = money.RatesDated
	}
	return f, nil
}

// currency is the index of an opportunity's currency code: 0 for the
// reporting currency or a blank code. An org without rates can convert
// nothing: another currency is an error.
func (f *oppFX) currency(id, code string) (uint16, error) {
	if code == "" || code == f.to {
		return 0, nil
	}
	if k, ok := f.idx[code]; ok {
		return k, nil
	}
	if f.table == nil {
		return 0, fmt.Errorf("opportunity %s: currency %s: the org has no exchange rates (no CurrencyType in the lake) to convert it into %s", id, code, f.to)
	}
	if len(f.codes) == 1<<16 {
		return 0, fmt.Errorf("opportunity %s: currency %s: more than %d currencies", id, code, 1<<16-1)
	}
	k := uint16(len(f.codes))
	f.codes = append(f.codes, code)
	f.idx[code] = k
	return k, nil
}

// cents is an amount of currency cur (an index) on close day, in cents of
// the reporting currency.
func (f *oppFX) cents(id string, cur uint16, cents int64, day int32) (int64, error) {
	if cur == 0 {
		return cents, nil
	}
	code, t := f.codes[cur], time.Unix(int64(day)*86400, 0).UTC()
	from, err := f.table.On(code, t, f.source, false)
	if err == nil {
		var to money.RateUsed
		if to, err = f.table.On(f.to, t, f.source, false); err == nil {
			return money.ConvertCents(cents, from.Rate, to.Rate), nil
		}
	}
	return 0, fmt.Errorf("opportunity %s: %s %s on its close date %s into %s: %w", id, code, money.Format(money.FromCents(cents)), t.Format(time.DateOnly), f.to, err)
}

// convertOpps converts every counted opportunity's amounts (settleOpps,
// once the history has set their as-of and quarter-start states): the
// as-of amount at the as-of close date, and the start state's, when the
// opportunity existed at the quarter start, at its close date then.
func (e *engine) convertOpps() error {
	var err error
	for i := range e.opps.n {
		o := e.opps.at(i)
		if o.cur == 0 {
			continue
		}
		if o.amount, err = e.fx.cents(o.id, o.cur, o.amount, o.closeDay); err != nil {
			return err
		}
		if s := &o.start; s.existed {
			if s.amount, err = e.fx.cents(o.id, o.cur, s.amount, s.closeDay); err != nil {
				return fmt.Errorf("quarter-start state: %w", err)
			}
		}
	}
	return nil
}
