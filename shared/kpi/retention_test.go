package kpi

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	kpiconfig "github.com/venn-revops/venn/shared/config/kpi"
	"github.com/venn-revops/venn/shared/period"
)

// TestRetentionOrg checks every hand-computed value of
// retention-org.expect.yaml: the contract reading (auto, with contracts).
func TestRetentionOrg(t *testing.T) {
	checkExpect(t, loadTestConfig(t), "retention-org.yaml", "retention-org.expect.yaml")
	res := computeFixture(t, loadTestConfig(t), "retention-org.yaml", "2026Q3", "2026-10-01T00:00:00Z", true)
	if res.RetentionSource != SourceContracts {
		t.Errorf("source %q, want contracts", res.RetentionSource)
	}
	// C12 has no recurring value; C13 no start date. 21 contract rows.
	if s := res.Stats; s.ContractsUnvalued != 1 || s.ContractsUndated != 1 || s.Rows["contracts"] != 21 {
		t.Errorf("stats: unvalued %d, undated %d, rows %d; want 1, 1, 21", s.ContractsUnvalued, s.ContractsUndated, s.Rows["contracts"])
	}
	// The additive retention KPIs partition over every dimension.
	for _, name := range []string{"contracts_up_for_renewal", "contracts_renewed", "arr_start", "arr_end", "new_arr", "expansion_arr", "contraction_arr", "churned_arr"} {
		org, _ := res.Get(name, DimOrg, KeyAll, "")
		for _, dim := range []string{DimTeam, DimSegment, DimRegion, DimOwner} {
			sum := org.Value.Sub(org.Value)
			for _, v := range res.Values {
				if v.KPI == name && v.Dimension == dim {
					sum = sum.Add(v.Value)
				}
			}
			if !sum.Equal(org.Value) {
				t.Errorf("%s by %s sums to %s, org %s", name, dim, sum, org.Value)
			}
		}
		if _, ok := res.Get(name, DimChannel, KeyNone, ""); ok {
			t.Errorf("%s has a channel key: contracts have no channel", name)
		}
	}
}

// TestRetentionOrgRenewalOpportunities: the same org read from renewal
// opportunities (retention.source renewal_opportunities): the 1/1,
// GRR undefined, no contract figures.
func TestRetentionOrgRenewalOpportunities(t *testing.T) {
	cfg := loadTestConfig(t)
	cfg.Retention.Source = SourceRenewalOpportunities
	checkExpect(t, cfg, "retention-org.yaml", "retention-org.opps.expect.yaml")
	res := computeFixture(t, cfg, "retention-org.yaml", "2026Q3", "2026-10-01T00:00:00Z", true)
	assertOppReading(t, res)
}

// TestNoContractsReadsRenewalOpportunities: auto over an org without
// contracts (small-org.yaml, whose renewal_rate and nrr small-org.expect.yaml
// checks) is the renewal-opportunity reading, and says so on the scorecard.
func TestNoContractsReadsRenewalOpportunities(t *testing.T) {
	res := computeFixture(t, loadTestConfig(t), "small-org.yaml", "2026Q3", "2026-10-01T00:00:00Z", true)
	assertOppReading(t, res)
	var b strings.Builder
	if err := WriteScorecard(&b, res, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "renewals and retention read from renewal opportunities\n") {
		t.Errorf("scorecard does not state the source:\n%s", b.String())
	}
}

func assertOppReading(t *testing.T, res *Result) {
	t.Helper()
	if res.RetentionSource != SourceRenewalOpportunities {
		t.Errorf("source %q, want renewal_opportunities", res.RetentionSource)
	}
	if v, ok := res.Get("grr", DimOrg, KeyAll, ""); !ok || v.Defined || !v.Quotient {
		t.Errorf("grr %+v (emitted %v): want an undefined ratio", v, ok)
	}
	for _, name := range contractKPIs {
		if _, ok := res.Get(name, DimOrg, KeyAll, ""); ok != slices.Contains([]string{"renewal_rate", "nrr", "grr"}, name) {
			t.Errorf("%s emitted %v under the renewal-opportunity reading", name, ok)
		}
	}
}

func computeFixture(t *testing.T, cfg *Config, fixtureName, quarter, asOf string, final bool) *Result {
	t.Helper()
	at, err := time.Parse(time.RFC3339, asOf)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Compute(cfg, loadFixture(t, fixtureName), Period{Quarter: period.MustParse(quarter), AsOf: at, Final: final})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestRetentionConfigRejects: each bad retention section is refused with
// the file, the key and the reason.
func TestRetentionConfigRejects(t *testing.T) {
	base := string(kpiconfig.Default)
	edit := func(old, new string) string {
		if !strings.Contains(base, old) {
			t.Fatalf("default.yaml no longer contains %q", old)
		}
		return strings.Replace(base, old, new, 1)
	}
	cases := []struct{ name, data, want string }{
		{"missing section", edit("  source: auto\n", ""), `retention.source: want one of contracts, renewal_opportunities, auto, got ""`},
		{"unknown source", edit("source: auto", "source: subscriptions"), `retention.source: want one of contracts, renewal_opportunities, auto, got "subscriptions"`},
		{"no statuses", edit("contract_statuses: [Activated, Expired]", "contract_statuses: []"), "retention.contract_statuses: required"},
		{"draft counted", edit("contract_statuses: [Activated, Expired]", "contract_statuses: [Activated, Draft]"), "retention.contract_statuses[1]: Draft contracts were never in force"},
		{"in approval counted", edit("contract_statuses: [Activated, Expired]", "contract_statuses: [InApproval]"), "retention.contract_statuses[0]: InApproval contracts were never in force"},
		{"status label", edit("contract_statuses: [Activated, Expired]", "contract_statuses: [Active]"), `retention.contract_statuses[0]: want a Contract status code (Activated, Expired, Terminated), got "Active"`},
		{"status twice", edit("contract_statuses: [Activated, Expired]", "contract_statuses: [Activated, Activated]"), "retention.contract_statuses[1]: Activated listed twice"},
		{"unknown value column", edit("from: recurring_amount", "from: amount"), `retention.recurring_value.from: want one of recurring_amount, line_items, got "amount"`},
		{"line items without families", edit("from: recurring_amount", "from: line_items"), "retention.recurring_value.families: required"},
		{"family twice", edit("from: recurring_amount", "from: line_items, families: [Subscription, Subscription]"), "retention.recurring_value.families[1]: Subscription listed twice"},
		{"families unread", edit("from: recurring_amount", "from: recurring_amount, families: [Subscription]"), "retention.recurring_value.families: only read with from: line_items"},
		{"no renewal rule", edit("renewed_by: [successor_contract]", "renewed_by: []"), "retention.renewed_by: want at least one of successor_contract, renewal_opportunity"},
		{"unknown renewal rule", edit("renewed_by: [successor_contract]", "renewed_by: [successor_contract, quote]"), `retention.renewed_by[1]: want one of successor_contract, renewal_opportunity, got "quote"`},
		{"renewal rule twice", edit("renewed_by: [successor_contract]", "renewed_by: [renewal_opportunity, renewal_opportunity]"), "retention.renewed_by[1]: renewal_opportunity listed twice"},
		{"unknown value span", edit("per: year", "per: month"), `retention.recurring_value.per: want one of year, term, got "month"`},
		{"grace missing", edit("  renewal_grace_days: 30\n", ""), "retention.renewal_grace_days: required"},
		{"grace negative", edit("renewal_grace_days: 30", "renewal_grace_days: -1"), "retention.renewal_grace_days: want 0 to 365 days, got -1"},
		{"grace over a year", edit("renewal_grace_days: 30", "renewal_grace_days: 400"), "retention.renewal_grace_days: want 0 to 365 days, got 400"},
		{"unknown key", edit("renewal_grace_days: 30", "renewal_grace_days: 30\n  grace: 5"), `unknown key "grace"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadConfig("shared/config/kpi/default.yaml", []byte(c.data))
			if err == nil || !strings.HasPrefix(err.Error(), "shared/config/kpi/default.yaml: ") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v; want the file name and %q", err, c.want)
			}
		})
	}
	c := DefaultConfig().Retention
	if c.Source != SourceAuto || !slices.Equal(c.Statuses, []string{ContractActivated, ContractExpired}) || c.ValueFrom != ValueRecurringAmount || c.ValuePer != PerYear || c.GraceDays != 30 ||
		!slices.Equal(c.RenewedBy, []RenewalRule{RenewBySuccessor}) || c.Families != nil {
		t.Errorf("default retention %+v", c)
	}
}

// TestAnnualValue: per term, value × 12 ÷ ContractTerm to the cent, half
// away from zero; a value that cannot be read is 0 and reported.
func TestAnnualValue(t *testing.T) {
	p := func(v int64) *int64 { return &v }
	cases := []struct {
		name   string
		amount *int64
		term   *int64
		per    ValuePer
		want   int64
		ok     bool
	}{
		{"annual as is", p(1_000_000), nil, PerYear, 1_000_000, true},
		{"two-year term", p(2_400_000), p(24), PerTerm, 1_200_000, true},
		{"half a cent up", p(1), p(24), PerTerm, 1, true},       // 12/24 = 0.5 cent → 1
		{"under half down", p(1), p(25), PerTerm, 0, true},      // 12/25 = 0.48 → 0
		{"negative half away", p(-1), p(24), PerTerm, -1, true}, // −0.5 → −1
		{"7 months", p(100_000), p(7), PerTerm, 171_429, true},  // 1,200,000/7 = 171,428.57 → 171,429
		{"null value", nil, p(12), PerYear, 0, false},
		{"per term without a term", p(100), nil, PerTerm, 0, false},
		{"zero term", p(100), p(0), PerTerm, 0, false},
	}
	for _, c := range cases {
		var term int64
		if c.term != nil {
			term = *c.term
		}
		got, ok := annualValue(c.amount, term, c.per)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: got %d %v, want %d %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

// A duplicate contract Id or a counted contract in a foreign currency
// fails the run, naming it; a source error stops
// Compute under the contracts step's name.
func TestContractsStepErrors(t *testing.T) {
	q := period.MustParse("2026Q3")
	p := Period{Quarter: q, AsOf: q.End(), Final: true}
	c := Contract{ID: "800A", StatusCode: ContractActivated, CreatedDate: q.Start().UnixMicro()}
	_, err := Compute(DefaultConfig(), Inputs{Contracts: Rows([]Contract{c, c})}, p)
	if err == nil || !strings.Contains(err.Error(), "contracts: contract 800A: duplicate Id in snapshot") {
		t.Errorf("duplicate: got %v", err)
	}
	eur := c
	eur.ID, eur.CurrencyIsoCode = "800E", "EUR"
	draft := eur
	draft.ID, draft.StatusCode = "800D", ContractDraft // not counted: its currency does not matter
	_, err = Compute(DefaultConfig(), Inputs{Contracts: Rows([]Contract{draft, eur})}, p)
	if err == nil || !strings.Contains(err.Error(), "contracts: contract 800E: currency EUR: only USD is configured") {
		t.Errorf("foreign currency: got %v", err)
	}
	boom := errors.New("boom")
	_, err = Compute(DefaultConfig(), Inputs{Contracts: batches(boom, []Contract{c})}, p)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), ": contracts: boom") {
		t.Errorf("source error: got %v", err)
	}
}

// lineItemsConfig is the test configuration with recurring values read
// from line items and both renewal rules on (lineitems-org.yaml).
func lineItemsConfig(t *testing.T) *Config {
	cfg := loadTestConfig(t)
	cfg.Retention.ValueFrom = ValueLineItems
	cfg.Retention.Families = []string{"Subscription", "Support"}
	cfg.Retention.RenewedBy = []RenewalRule{RenewBySuccessor, RenewByOpportunity}
	return cfg
}

// TestLineItemsOrg checks lineitems-org.expect.yaml: values from recurring
// line items of linked won opportunities, renewal by a linked won renewal
// opportunity; and that each rule alone gives what it should.
func TestLineItemsOrg(t *testing.T) {
	checkExpect(t, lineItemsConfig(t), "lineitems-org.yaml", "lineitems-org.expect.yaml")
	res := computeFixture(t, lineItemsConfig(t), "lineitems-org.yaml", "2026Q3", "2026-10-01T00:00:00Z", true)
	// L2 has no value; 10 line items and 4 products read.
	if s := res.Stats; s.ContractsUnvalued != 1 || s.Rows["line_items"] != 10 || s.Rows["products"] != 4 {
		t.Errorf("stats: unvalued %d, line items %d, products %d; want 1, 10, 4", s.ContractsUnvalued, s.Rows["line_items"], s.Rows["products"])
	}
	renewedUnder := func(rules ...RenewalRule) string {
		cfg := lineItemsConfig(t)
		cfg.Retention.RenewedBy = rules
		res := computeFixture(t, cfg, "lineitems-org.yaml", "2026Q3", "2026-10-01T00:00:00Z", true)
		v, _ := res.Get("contracts_renewed", DimOrg, KeyAll, "")
		return v.Value.String()
	}
	// Successor alone: L1 only. Renewal opportunity alone: L3 only.
	if got := renewedUnder(RenewBySuccessor); got != "1" {
		t.Errorf("successor_contract alone renews %s, want 1 (L1)", got)
	}
	if got := renewedUnder(RenewByOpportunity); got != "1" {
		t.Errorf("renewal_opportunity alone renews %s, want 1 (L3)", got)
	}
	// Under the successor rule alone O3R's 6600 line is L3's value too: arr_start
	// 16000 + 6600 = 22600.
	cfg := lineItemsConfig(t)
	cfg.Retention.RenewedBy = []RenewalRule{RenewBySuccessor}
	res = computeFixture(t, cfg, "lineitems-org.yaml", "2026Q3", "2026-10-01T00:00:00Z", true)
	if v, _ := res.Get("arr_start", DimOrg, KeyAll, ""); v.Value.String() != "22600" {
		t.Errorf("arr_start under successor_contract alone %s, want 22600", v.Value)
	}
}
