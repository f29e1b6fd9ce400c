package orggen

import (
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/crm"
)

// TestContractsFollowTheDeals checks the products, line items and
// contracts against the opportunities they come from, record by record,
// with dates worked out by time.AddDate (not the generator's addMonths):
// lines sum to the amount, a won new-business deal starts a 12-month
// contract the day after it closes worth its recurring lines, a won
// renewal starts the successor the day after the end, a lost one leaves
// the contract to expire, a won expansion adds a contract co-termed with
// the first, a cancelled deal's contract is Terminated. And the demo has
// every one of these cases.
func TestContractsFollowTheDeals(t *testing.T) {
	o := Generate(Config{Seed: 2026})
	s := load(t, o)
	today := crm.Micros(DefaultAsOf) / usDay
	date := func(d int64) time.Time { return time.Unix(d*86400, 0).UTC() }
	days := func(t time.Time) int64 { return t.Unix() / 86400 }
	P := func(r *crm.Row, f string) crm.Value { return val(crm.Product2, r, f) }
	L := func(r *crm.Row, f string) crm.Value { return val(crm.OpportunityLineItem, r, f) }
	C := func(r *crm.Row, f string) crm.Value { return val(crm.Contract, r, f) }
	O := func(r *crm.Row, f string) crm.Value { return val(crm.Opportunity, r, f) }

	families := map[string]string{}
	for id, r := range s["Product2"] {
		families[id] = P(r, "Family").S
	}
	total, recurring, nLines := map[string]int64{}, map[string]int64{}, map[string]int{}
	for id, r := range s["OpportunityLineItem"] {
		opp, prod := L(r, "OpportunityId").S, L(r, "Product2Id").S
		fam, ok := families[prod]
		if !ok {
			t.Fatalf("line item %s: product %s is not in Product2", id, prod)
		}
		if s["Opportunity"][opp] == nil {
			t.Fatalf("line item %s: opportunity %s does not exist", id, opp)
		}
		if L(r, "TotalPrice").I <= 0 {
			t.Fatalf("line item %s: TotalPrice %d", id, L(r, "TotalPrice").I)
		}
		total[opp] += L(r, "TotalPrice").I
		if fam != "Services" {
			recurring[opp] += L(r, "TotalPrice").I
		}
		nLines[opp]++
	}
	// usd is opportunity opp's recurring lines in USD on day: in the
	// deal's currency converted at the org's DatedConversionRate row in
	// force that day, cents × 1,000,000 ÷ rate millionths, half up.
	eur := 0
	usd := func(opp *crm.Row, day int64) int64 {
		cents, cur := recurring[opp.ID()], O(opp, "CurrencyIsoCode").S
		if cur == "USD" {
			return cents
		}
		eur++
		for _, r := range s["DatedConversionRate"] {
			D := func(f string) crm.Value { return val(crm.DatedConversionRate, r, f) }
			if D("IsoCode").S == cur && D("StartDate").I <= day && (D("NextStartDate").Null || day < D("NextStartDate").I) {
				n, d := cents*1_000_000, D("ConversionRate").I
				return (2*n + d) / (2 * d)
			}
		}
		t.Fatalf("opportunity %s: no dated %s rate on %s", opp.ID(), cur, date(day).Format(time.DateOnly))
		return 0
	}
	byAccount := map[string][]*crm.Row{}
	for _, r := range s["Contract"] {
		byAccount[C(r, "AccountId").S] = append(byAccount[C(r, "AccountId").S], r)
	}
	type deals struct{ nb, exp, ren *crm.Row }
	accounts := map[string]*deals{}
	for id, r := range s["Opportunity"] {
		won, closed := O(r, "IsWon").B, O(r, "IsClosed").B
		if (won || !closed) && total[id] != O(r, "Amount").I {
			t.Fatalf("opportunity %s (%s): lines total %d, amount %d", id, O(r, "StageName").S, total[id], O(r, "Amount").I)
		}
		if nLines[id] > 0 && total[id] != O(r, "Amount").I {
			t.Fatalf("opportunity %s: lines total %d, amount %d", id, total[id], O(r, "Amount").I)
		}
		d := accounts[O(r, "AccountId").S]
		if d == nil {
			d = &deals{}
			accounts[O(r, "AccountId").S] = d
		}
		switch O(r, "Type").S {
		case "New Business":
			d.nb = r
		case "Expansion":
			d.exp = r
		case "Renewal":
			d.ren = r
		}
	}
	status := func(end int64) string {
		if end < today {
			return "Expired"
		}
		return "Activated"
	}
	var seen struct{ first, terminated, expansion, renewed, uplift, contraction, churned, pending int }
	for acc, d := range accounts {
		cs := byAccount[acc]
		if d.nb == nil || !(O(d.nb, "IsWon").B || nLines[d.nb.ID()] > 0 && O(d.nb, "IsClosed").B) {
			if len(cs) > 0 {
				t.Fatalf("account %s has %d contracts and no won deal", acc, len(cs))
			}
			continue
		}
		closeDay := O(d.nb, "CloseDate").I
		start := closeDay + 1
		end := days(date(start).AddDate(1, 0, -1))
		var first *crm.Row
		for _, c := range cs {
			if C(c, "StartDate").I == start {
				first = c
			}
		}
		if first == nil {
			t.Fatalf("account %s: no contract starting %s, the day after the deal closed", acc, date(start).Format(time.DateOnly))
		}
		seen.first++
		if C(first, "EndDate").I != end || C(first, "ContractTerm").I != 12 || C(first, "ARR__c").I != usd(d.nb, start) {
			t.Fatalf("contract %s: end %s term %d ARR %d, want %s, 12, %d", first.ID(), date(C(first, "EndDate").I).Format(time.DateOnly),
				C(first, "ContractTerm").I, C(first, "ARR__c").I, date(end).Format(time.DateOnly), usd(d.nb, start))
		}
		want := status(end)
		if !O(d.nb, "IsWon").B { // won, then cancelled
			want = "Terminated"
			seen.terminated++
		}
		if C(first, "StatusCode").S != want {
			t.Fatalf("contract %s: status %s, want %s", first.ID(), C(first, "StatusCode").S, want)
		}
		n := 1
		if d.exp != nil && O(d.exp, "IsWon").B {
			var ex *crm.Row
			for _, c := range cs {
				if c != first && C(c, "EndDate").I == end {
					ex = c
				}
			}
			if ex == nil {
				t.Fatalf("account %s: won expansion %s has no co-termed contract", acc, d.exp.ID())
			}
			m := C(ex, "ContractTerm").I
			exStart := days(date(start).AddDate(0, int(12-m), 0))
			if C(ex, "StartDate").I != exStart || exStart <= O(d.exp, "CloseDate").I || days(date(exStart).AddDate(0, -1, 0)) > O(d.exp, "CloseDate").I ||
				C(ex, "ARR__c").I != usd(d.exp, exStart) || C(ex, "StatusCode").S != status(end) {
				t.Fatalf("expansion contract %s: start %s term %d ARR %d status %s; expansion closed %s, recurring %d", ex.ID(),
					date(C(ex, "StartDate").I).Format(time.DateOnly), m, C(ex, "ARR__c").I, C(ex, "StatusCode").S,
					date(O(d.exp, "CloseDate").I).Format(time.DateOnly), recurring[d.exp.ID()])
			}
			seen.expansion++
			n++
		}
		if d.ren != nil {
			if O(d.ren, "ContractId").S != first.ID() {
				t.Fatalf("renewal %s: ContractId %q, want %s", d.ren.ID(), O(d.ren, "ContractId").S, first.ID())
			}
			var next *crm.Row
			for _, c := range cs {
				if C(c, "StartDate").I == end+1 {
					next = c
				}
			}
			switch {
			case O(d.ren, "IsWon").B:
				nextEnd := days(date(end+1).AddDate(1, 0, -1))
				if next == nil || C(next, "EndDate").I != nextEnd || C(next, "ARR__c").I != usd(d.ren, end+1) || C(next, "StatusCode").S != status(nextEnd) {
					t.Fatalf("account %s: won renewal %s, successor %v", acc, d.ren.ID(), next)
				}
				seen.renewed++
				if C(next, "ARR__c").I > C(first, "ARR__c").I {
					seen.uplift++
				} else if C(next, "ARR__c").I < C(first, "ARR__c").I {
					seen.contraction++
				}
				n++
			case O(d.ren, "IsClosed").B:
				if next != nil {
					t.Fatalf("account %s: lost renewal %s, yet contract %s succeeds", acc, d.ren.ID(), next.ID())
				}
				seen.churned++
			default:
				seen.pending++
			}
		}
		if len(cs) != n {
			t.Fatalf("account %s: %d contracts, want %d", acc, len(cs), n)
		}
	}
	t.Logf("contracts: %+v", seen)
	if eur == 0 {
		t.Error("no contract of a deal in another currency than USD: the demo's EUR deal is gone")
	}
	if seen.first < 100 || seen.terminated == 0 || seen.expansion == 0 || seen.uplift == 0 || seen.contraction == 0 || seen.churned == 0 || seen.pending == 0 {
		t.Errorf("the demo lacks a case: %+v", seen)
	}
	if len(s["Product2"]) != len(products) {
		t.Errorf("%d products, want %d", len(s["Product2"]), len(products))
	}
}

// TestWithoutContracts: an org without the three objects serves
// everything else, and its opportunities have no ContractId.
func TestWithoutContracts(t *testing.T) {
	o := Generate(Config{Seed: 5, Leads: 300, Shape: WithoutContracts()})
	for _, name := range ContractObjects {
		if _, ok := o.Object(name); ok {
			t.Errorf("%s still in the org", name)
		}
	}
	opp, _ := o.Object("Opportunity")
	if err := o.Each(opp, func(r *crm.Row) error {
		if v := r.Values[crm.Opportunity.Column("contract_id")]; !v.Null {
			t.Fatalf("opportunity %s has ContractId %q", r.ID(), v.S)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if o.Count(opp) == 0 {
		t.Fatal("no opportunities")
	}
}
