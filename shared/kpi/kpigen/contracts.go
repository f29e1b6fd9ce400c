package kpigen

import (
	"time"

	"github.com/venn-revops/venn/shared/kpi"
)

const tContract uint64 = 100 // the contracts' random streams

// contractFacts is contract k (0: the first, 1: its renewal) of account a.
type contractFacts struct {
	exists      bool
	status      string
	start, end  int32 // days
	value, term int64
	owner       int
}

func dayOf(t time.Time) int32 { return int32(t.Unix() / 86400) }

func (o *Org) contract(a, k int) contractFacts {
	first := contractFacts{exists: o.chance(tContract, a, 1, 80), term: 12, owner: o.pick(tContract, a, 2, o.Users)}
	start := o.From.AddDate(0, 0, o.pick(tContract, a, 3, 400))
	first.start, first.end = dayOf(start), dayOf(start.AddDate(1, 0, -1))
	first.value = 100_000 + int64(o.r(tContract, a, 4)%4_900_000) // 1,000.00 to 50,000.00 a year
	first.status = o.status(first.end, o.chance(tContract, a, 5, 5))
	if k == 0 || !first.exists {
		return first
	}
	// The renewal: 70% of contracts, most the day after the end, some
	// later (beyond a 30-day grace), uplift or downsell of -20% to +30%.
	r := contractFacts{exists: o.chance(tContract, a, 6, 70), term: 12, owner: first.owner}
	gap := 0
	if o.chance(tContract, a, 7, 40) {
		gap = o.pick(tContract, a, 8, 46)
	}
	rs := time.Unix(int64(first.end+1+int32(gap))*86400, 0).UTC()
	r.start, r.end = dayOf(rs), dayOf(rs.AddDate(1, 0, -1))
	r.value = first.value * int64(80+o.pick(tContract, a, 9, 51)) / 100
	r.status = o.status(r.end, false)
	return r
}

// status is a contract's status code: Draft for a draft, else Expired once
// its end is before the org's last day.
func (o *Org) status(end int32, draft bool) string {
	switch {
	case draft:
		return kpi.ContractDraft
	case end < dayOf(o.To):
		return kpi.ContractExpired
	default:
		return kpi.ContractActivated
	}
}

// contracts streams two Contract rows per account (a contract and its
// renewal; a row that does not exist is a deleted record), or nil unless
// Org.Contracts.
func (o *Org) contracts() kpi.Source[kpi.Contract] {
	if !o.Contracts {
		return nil
	}
	return source(o, 2*o.Accounts(), func(i int, r *kpi.Contract) {
		a, k := i/2, i%2
		f := o.contract(a, k)
		*r = kpi.Contract{ID: ID("800", i), CreatedDate: (int64(f.start) - 20) * day, IsDeleted: !f.exists,
			AccountID: o.acctID(a), OwnerID: o.userID(f.owner), Status: f.status, StatusCode: f.status,
			StartDate: ptr(f.start), EndDate: ptr(f.end), ContractTerm: ptr(f.term), RecurringAmount: ptr(f.value)}
		// A few records the rules must handle: evergreen (no end date), no
		// recurring value, no start date.
		switch o.pick(tContract, i, 10, 100) {
		case 0, 1:
			r.EndDate = nil
		case 2:
			r.RecurringAmount = nil
		case 3:
			r.StartDate = nil
		}
	})
}

// oppContract is the contract opportunity j links to (Opportunity.ContractId,
// only with Org.Contracts), without a random draw: a renewal links to its
// account's first contract (the one it renews); one other opportunity in
// five links to none, the rest alternate between the account's two
// contract rows (which may not exist: a dangling link reads as none).
func (o *Org) oppContract(j, account int, typ string) string {
	switch {
	case typ == "Renewal":
		return ID("800", 2*account)
	case j%5 == 0:
		return ""
	default:
		return ID("800", 2*account+j%2)
	}
}
