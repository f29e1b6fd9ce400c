package kpi

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// The contracts step: renewals and recurring revenue read from Contract
// rows (retention.source contracts, or auto with a counted contract). It
// keeps one small row per counted contract, so memory grows with the
// contracts, never with any other table; an org without contracts skips
// it entirely. docs/kpis.md section 2.11 states every rule below.

// contract is a counted contract as the step keeps it.
type contract struct {
	id, account, owner string
	start, end         int32 // days since 1970-01-01; end is openEnd without an end date
	value              int64 // annual recurring value, cents
	term               int64 // ContractTerm, months (0 when null): line-item values per term
	byOpp              bool  // renewed by a won renewal opportunity linked to it
}

// openEnd stands for a null EndDate (an evergreen contract): in force from
// its start on, never up for renewal.
const openEnd = math.MaxInt32

// retention is the contracts step's state. It is written only by the
// goroutine that reads the contracts, and read after every step is done.
type retention struct {
	contracts []contract
	ids       map[string]struct{}
	unvalued  int64 // counted contracts whose recurring value reads as 0 (null, or no term to annualise by)
	undated   int64 // counted contracts without a start date: in no figure
}

// startContracts reads the contracts on a goroutine of their own, beside
// every other step (they share no state with them), and returns the wait
// for it. Without a Contracts source it starts nothing.
func (e *engine) startContracts(src Source[Contract]) (wait func() error) {
	if src == nil {
		return func() error { return nil }
	}
	var n int64
	done := make(chan error, 1)
	go func() {
		var err error
		n, err = e.readContracts(src)
		done <- err
	}()
	return func() error {
		err := <-done
		e.stats.Rows["contracts"] = n
		if err != nil {
			return fmt.Errorf("contracts: %w", err)
		}
		return nil
	}
}

// readContracts keeps the counted contracts: not deleted, created before
// the as-of instant, of a configured status code. It fails on a duplicate
// Id or a counted contract in another currency than the configured one
// (blank reads as it), naming the contract.
func (e *engine) readContracts(src Source[Contract]) (int64, error) {
	r := &e.ret
	r.ids = map[string]struct{}{}
	vals := valSet{} // owners: few distinct values, cloned once
	return each(src, func(c *Contract) error {
		if c.IsDeleted || !e.w.known(c.CreatedDate) || !slices.Contains(e.cfg.Retention.Statuses, c.StatusCode) {
			return nil
		}
		if _, dup := r.ids[c.ID]; dup {
			return fmt.Errorf("contract %s: duplicate Id in snapshot", c.ID)
		}
		if c.CurrencyIsoCode != "" && c.CurrencyIsoCode != e.cfg.Currency {
			return fmt.Errorf("contract %s: currency %s: only %s is configured and Venn has no exchange rates", c.ID, c.CurrencyIsoCode, e.cfg.Currency)
		}
		id := strings.Clone(c.ID)
		r.ids[id] = struct{}{}
		if c.StartDate == nil {
			r.undated++
			return nil
		}
		k := contract{id: id, account: strings.Clone(c.AccountID), owner: vals.keep(c.OwnerID), start: *c.StartDate, end: openEnd}
		if c.EndDate != nil {
			k.end = *c.EndDate
		}
		if c.ContractTerm != nil {
			k.term = *c.ContractTerm
		}
		if e.cfg.Retention.ValueFrom == ValueRecurringAmount {
			v, ok := annualValue(c.RecurringAmount, k.term, e.cfg.Retention.ValuePer)
			if !ok {
				r.unvalued++
			}
			k.value = v
		} // else valued from line items after the steps (lineItemValues)
		r.contracts = append(r.contracts, k)
		return nil
	})
}

// annualValue is a contract's annual recurring value in cents from its
// value (cents, nil when unknown) and term (months), and false when it
// reads as 0 for want of a value or of a term to annualise by. Per term:
// value × 12 ÷ term, rounded once to the cent, half away from zero.
func annualValue(value *int64, term int64, per ValuePer) (int64, bool) {
	if value == nil {
		return 0, false
	}
	v := *value
	if per == PerYear {
		return v, true
	}
	if term <= 0 {
		return 0, false
	}
	return divRoundHalfAway(v*12, term), true
}

// divRoundHalfAway is n ÷ d (d > 0) rounded half away from zero.
func divRoundHalfAway(n, d int64) int64 {
	q, r := n/d, n%d
	if r < 0 {
		r = -r
	}
	if 2*r >= d {
		if n < 0 {
			q--
		} else {
			q++
		}
	}
	return q
}

// retentionSource is the source the figures are read from: the configured
// one, or for auto, contracts when any counted contract was read.
func (e *engine) retentionSource() RetentionSource {
	switch src := e.cfg.Retention.Source; {
	case src != SourceAuto:
		return src
	case len(e.ret.ids) > 0:
		return SourceContracts
	default:
		return SourceRenewalOpportunities
	}
}

// ttm is the trailing twelve months ending at the window's end: the days
// whose contracts in force give the start and end ARR. A contract is in
// force at an instant when its start day ≤ the instant's UTC day ≤ its end
// day (the end date is its last day), so at a quarter's end (the next
// quarter's first midnight) a contract ending on the quarter's last day is
// gone and its renewal starting the next day is in.
func (w *window) ttm() (startDay, endDay int32) {
	end := time.UnixMicro(w.end).UTC()
	return int32(floorDay(micros(end.AddDate(-1, 0, 0)))), int32(floorDay(w.end))
}

// retentionTallies settles the run's retention source and, when it is
// contracts, reads what the opportunity links give (renewals by
// opportunity, line-item values) and adds the contracts' counters.
func (e *engine) retentionTallies(in Inputs) error {
	e.source = e.retentionSource()
	if e.source == SourceContracts && e.oppContract != nil {
		if err := e.linkedOpps(in); err != nil {
			return err
		}
	}
	e.stats.ContractsUnvalued, e.stats.ContractsUndated = e.ret.unvalued, e.ret.undated
	if e.source == SourceContracts {
		e.contractTallies()
	}
	return nil
}

// linkedOpps applies the opportunities linked to counted contracts by
// Opportunity.ContractId, as known at the as-of (won and class settled
// by the opportunity steps):
//   - renewed_by renewal_opportunity: a won renewal-class opportunity
//     renews the contract it links to. Its lines price the next term, so
//     they are not that contract's value.
//   - recurring_value.from line_items: a contract's value is the sum of
//     TotalPrice of the line items (not deleted, created by the as-of) of
//     recurring-family products of the other won opportunities linked to
//     it, annualised by recurring_value.per. A contract with no such line
//     reads as 0 and is counted in Stats.ContractsUnvalued.
//
// Memory: the recurring product Ids and one sum per valued contract; the
// line items are streamed and only those of linked opportunities kept.
func (e *engine) linkedOpps(in Inputs) error {
	ret := &e.cfg.Retention
	byOpp := ret.renewsBy(RenewByOpportunity)
	renewedBy := map[string]bool{}
	valued := map[int32]string{} // opportunity index → contract, for the lines
	for i, cid := range e.oppContract {
		if _, counted := e.ret.ids[cid]; !counted {
			continue
		}
		o := e.opps.at(i)
		if !o.won {
			continue
		}
		if byOpp && o.class == ClassRenewal {
			renewedBy[cid] = true
			continue
		}
		valued[i] = cid
	}
	sums := map[string]int64{}
	if ret.ValueFrom == ValueLineItems {
		recurring := map[string]struct{}{}
		n, err := each(in.Products, func(p *Product) error {
			if !p.IsDeleted && slices.Contains(ret.Families, p.Family) {
				recurring[strings.Clone(p.ID)] = struct{}{}
			}
			return nil
		})
		e.stats.Rows["products"] = n
		if err != nil {
			return fmt.Errorf("products: %w", err)
		}
		n, err = each(in.LineItems, func(l *LineItem) error {
			if l.IsDeleted || !e.w.known(l.CreatedDate) || l.TotalPrice == nil {
				return nil
			}
			i, ok := e.oppIdx[l.OpportunityID]
			if !ok {
				return nil
			}
			cid, ok := valued[i]
			if !ok {
				return nil
			}
			if _, ok := recurring[l.Product2ID]; ok {
				sums[cid] += *l.TotalPrice
			}
			return nil
		})
		e.stats.Rows["line_items"] = n
		if err != nil {
			return fmt.Errorf("line items: %w", err)
		}
	}
	for k := range e.ret.contracts {
		c := &e.ret.contracts[k]
		c.byOpp = renewedBy[c.id]
		if ret.ValueFrom != ValueLineItems {
			continue
		}
		var v *int64
		if s, ok := sums[c.id]; ok {
			v = &s
		}
		val, ok := annualValue(v, c.term, ret.ValuePer)
		if !ok {
			e.ret.unvalued++
		}
		c.value = val
	}
	return nil
}

// contractTallies adds the contracts' counters to groups of the account
// dimensions (org, team, owner, segment, region): the renewals of each
// contract up for renewal under its own owner, and each account's ARR
// movement over the trailing twelve months under the owner of its latest
// contract in force by the end.
func (e *engine) contractTallies() {
	cs := e.ret.contracts
	slices.SortFunc(cs, func(a, b contract) int {
		return cmp.Or(strings.Compare(a.account, b.account), cmp.Compare(a.start, b.start), strings.Compare(a.id, b.id))
	})
	d0, d1 := e.w.ttm()
	grace := int32(e.cfg.Retention.GraceDays)
	bySuccessor := e.cfg.Retention.renewsBy(RenewBySuccessor)
	grp := func(owner, account string) *tally {
		acc := e.accounts[account]
		return e.tally(group{owner: owner, segment: acc[0], region: acc[1], dims: gAccount})
	}
	for i := 0; i < len(cs); {
		j := i + 1
		for j < len(cs) && cs[j].account == cs[i].account {
			j++
		}
		acct := cs[i:j]
		var arr0, arr1 int64
		var owner string
		for k := range acct {
			c := &acct[k]
			if c.start <= d0 && d0 <= c.end {
				arr0 += c.value
			}
			if c.start <= d1 {
				owner = c.owner // the latest start by the end (sorted by start, Id)
				if d1 <= c.end {
					arr1 += c.value
				}
			}
			if c.end != openEnd && e.w.inDay(c.end) {
				t := grp(c.owner, c.account)
				t.ctrUp++
				if (bySuccessor && renewed(acct, c.end, grace)) || c.byOpp {
					t.ctrRenewed++
				}
			}
		}
		if arr0 != 0 || arr1 != 0 {
			t := grp(owner, acct[0].account)
			t.arrEnd += arr1
			switch {
			case arr0 == 0:
				t.arrNew += arr1 // no ARR at the start: new (or returning), outside NRR and GRR
			case arr1 == 0:
				t.arrStart += arr0
				t.arrChurn += arr0
			case arr1 > arr0:
				t.arrStart += arr0
				t.arrExpansion += arr1 - arr0
			default:
				t.arrStart += arr0
				t.arrContraction += arr0 - arr1
			}
		}
		i = j
	}
}

// renewed reports whether one of an account's contracts (sorted by start)
// starts from the day after end up to grace days later.
func renewed(acct []contract, end, grace int32) bool {
	k, _ := slices.BinarySearchFunc(acct, end+1, func(c contract, day int32) int { return cmp.Compare(c.start, day) })
	return k < len(acct) && acct[k].start <= end+1+grace
}

// renewalOppReading is the renewal-opportunity reading of the retention
// KPIs (retention.source renewal_opportunities, or auto without
// contracts): renewal_rate over renewal opportunities and the quarterly
// NRR proxy; grr is emitted undefined (a renewal's amount holds uplift and
// downsell alike, so no gross figure can be read from it). The other
// retention KPIs count contracts and are not emitted.
var renewalOppReading = map[string]func(t *tally) measure{
	"renewal_rate": func(t *tally) measure { return ratio(t.renewWon, t.renewUp) },
	"nrr":          func(t *tally) measure { return ratioCents(t.renewWonCents+t.expansionCents, t.renewUpCents) },
	"grr":          func(t *tally) measure { return measure{isRatio: true} },
}

// contractKPIs are the KPIs whose reading the retention source decides.
var contractKPIs = []string{"renewal_rate", "contracts_up_for_renewal", "contracts_renewed", "nrr", "grr",
	"arr_start", "arr_end", "new_arr", "expansion_arr", "contraction_arr", "churned_arr"}

// eval evaluates a catalog entry on a tally, and false when the run emits
// no value for it: the catalog's formulas of the retention KPIs are the
// contract reading; under the renewal-opportunity reading they read
// renewalOppReading (one home per source, chosen by retention.source).
func (e *engine) eval(s *kpiSpec, t *tally) (measure, bool) {
	if e.exitUnconfigured(s.Name) {
		return measure{}, false // not reported (n/a), not a count of 0
	}
	if e.source == SourceRenewalOpportunities && slices.Contains(contractKPIs, s.Name) {
		f, ok := renewalOppReading[s.Name]
		if !ok {
			return measure{}, false
		}
		return f(t), true
	}
	return s.eval(t), true
}
