package kpi_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/kpi/kpigen"
	"github.com/venn-revops/venn/shared/period"
)

var (
	q3Final = kpi.Period{Quarter: period.MustParse("2026Q3"), AsOf: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Final: true}
	q4QTD   = kpi.Period{Quarter: period.MustParse("2026Q4"), AsOf: time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)}
)

func genSize(t *testing.T) int {
	if testing.Short() {
		return 3000
	}
	return 20000
}

func compute(t *testing.T, org *kpigen.Org, p kpi.Period) *kpi.Result {
	t.Helper()
	res, err := kpi.Compute(kpi.DefaultConfig(), org.Inputs(), p)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func sumBy(res *kpi.Result, name, dim, model string) (decimal.Decimal, int) {
	s, n := decimal.Zero, 0
	for _, v := range res.Values {
		if v.KPI == name && v.Dimension == dim && v.Model == model {
			s, n = s.Add(v.Value), n+1
		}
	}
	return s, n
}

func org(t *testing.T, r *kpi.Result, name, model string) decimal.Decimal {
	t.Helper()
	v, ok := r.Get(name, kpi.DimOrg, kpi.KeyAll, model)
	if !ok {
		t.Fatalf("%s %s: no org value", name, model)
	}
	return v.Value
}

// TestAttributionSumsToAmount: under every model, the campaign credits
// (including "unattributed") add up to the period's pipeline and bookings
// to the cent, and so do the channel credits.
func TestAttributionSumsToAmount(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		o := kpigen.New(seed, genSize(t))
		for _, p := range []kpi.Period{q3Final, q4QTD} {
			res := compute(t, o, p)
			for _, pair := range [][2]string{{"mktg_influenced_pipeline", "pipeline_created"}, {"mktg_influenced_bookings", "bookings"}} {
				total := org(t, res, pair[1], "")
				if !total.IsPositive() {
					t.Fatalf("seed %d %s: %s is %s: the generator must produce some", seed, p.Quarter, pair[1], total)
				}
				for _, m := range kpi.Models {
					for _, dim := range []string{kpi.DimCampaign, kpi.DimChannel} {
						got, n := sumBy(res, pair[0], dim, m)
						if !got.Equal(total) || n < 2 {
							t.Errorf("seed %d %s %s %s by %s: credits sum to %s over %d keys, want %s", seed, p.Quarter, pair[0], m, dim, got, n, total)
						}
					}
					un, _ := res.Get(pair[0], kpi.DimCampaign, kpi.KeyUnattributed, m)
					if a := org(t, res, pair[0], m); !a.Add(un.Value).Equal(total) {
						t.Errorf("seed %d %s %s: attributed %s + unattributed %s != %s", seed, pair[0], m, a, un.Value, total)
					}
				}
			}
		}
	}
}

// TestRatesAndCohorts: rates that are shares lie in [0, 1], and each cohort
// step's population is the previous step's numerator.
func TestRatesAndCohorts(t *testing.T) {
	res := compute(t, kpigen.New(7, genSize(t)), q3Final)
	shares := []string{"win_rate", "lead_sla_compliance", "renewal_rate", "conv_lead_mql_cohort", "conv_mql_sql_cohort", "conv_sql_opp_cohort", "conv_opp_won_cohort"}
	one := decimal.NewFromInt(1)
	checked := 0
	for _, v := range res.Values {
		for _, s := range shares {
			if v.KPI == s && v.Defined {
				checked++
				if v.Value.IsNegative() || v.Value.GreaterThan(one) || v.Numerator.GreaterThan(v.Denominator) {
					t.Errorf("%s %s=%s: %s (%s/%s) outside [0, 1]", v.KPI, v.Dimension, v.Key, v.Value, v.Numerator, v.Denominator)
				}
			}
		}
	}
	if checked < 50 {
		t.Fatalf("only %d share values checked", checked)
	}
	chain := []string{"conv_lead_mql_cohort", "conv_mql_sql_cohort", "conv_sql_opp_cohort", "conv_opp_won_cohort"}
	for _, v := range res.Values {
		for i := 1; i < len(chain); i++ {
			if v.KPI != chain[i] {
				continue
			}
			prev, _ := res.Get(chain[i-1], v.Dimension, v.Key, "")
			if !prev.Numerator.Equal(v.Denominator) {
				t.Errorf("%s %s=%s: denominator %s != %s numerator %s", v.KPI, v.Dimension, v.Key, v.Denominator, chain[i-1], prev.Numerator)
			}
		}
	}
	leads, _ := res.Get("leads", kpi.DimOrg, kpi.KeyAll, "")
	cohort, _ := res.Get("conv_lead_mql_cohort", kpi.DimOrg, kpi.KeyAll, "")
	if !cohort.Denominator.Equal(leads.Value) {
		t.Errorf("cohort size %s != leads %s", cohort.Denominator, leads.Value)
	}
}

// TestDimensionsPartition: every additive KPI's keys of a dimension add up
// to the org value.
func TestDimensionsPartition(t *testing.T) {
	o := kpigen.New(11, genSize(t))
	o.Contracts = true   // the retention KPIs read contracts
	o.LeadHistory = true // the lead exits read the Status changes
	res := compute(t, o, q4QTD)
	for _, d := range kpi.Catalog() {
		if d.Modeled || (d.Unit != kpi.UnitCount && d.Unit != kpi.UnitCurrency) || strings.HasSuffix(d.Name, "_target") || strings.HasSuffix(d.Name, "_median") {
			continue
		}
		if v, _ := res.Get(d.Name, kpi.DimOrg, kpi.KeyAll, ""); v.Quotient {
			continue // a mean amount (avg_deal_size, cost_per_lead…)
		}
		want := org(t, res, d.Name, "")
		for _, dim := range d.Dimensions {
			if dim == kpi.DimOrg {
				continue
			}
			if got, n := sumBy(res, d.Name, dim, ""); !got.Equal(want) {
				t.Errorf("%s by %s: %d keys sum to %s, org is %s", d.Name, dim, n, got, want)
			}
		}
	}
}

// TestQTDAtQuarterEndIsFinal: the quarter to date as of the quarter's end
// is the final figure.
func TestQTDAtQuarterEndIsFinal(t *testing.T) {
	o := kpigen.New(5, genSize(t))
	end := q3Final.Quarter.End()
	qtd := compute(t, o, kpi.Period{Quarter: q3Final.Quarter, AsOf: end})
	fin := compute(t, o, kpi.Period{Quarter: q3Final.Quarter, AsOf: end, Final: true})
	if !reflect.DeepEqual(qtd.Values, fin.Values) {
		t.Fatal("QTD as of the quarter end differs from the final figures")
	}
}

// TestStreamingIsDeterministic: batch size and repetition change nothing.
func TestStreamingIsDeterministic(t *testing.T) {
	a := kpigen.New(9, genSize(t)/3)
	b := kpigen.New(9, genSize(t)/3)
	b.BatchSize = 7
	ra, rb := compute(t, a, q4QTD), compute(t, b, q4QTD)
	if !reflect.DeepEqual(ra.Values, rb.Values) || !reflect.DeepEqual(ra.Rows(), rb.Rows()) {
		t.Fatal("results depend on batching")
	}
}

func TestComputeRejectsBadPeriods(t *testing.T) {
	cfg := kpi.DefaultConfig()
	q := period.MustParse("2026Q3")
	for name, p := range map[string]kpi.Period{
		"no quarter":           {AsOf: q.End()},
		"no as-of":             {Quarter: q},
		"as-of before start":   {Quarter: q, AsOf: q.Start().Add(-time.Microsecond)},
		"final before the end": {Quarter: q, AsOf: q.End().Add(-time.Second), Final: true},
	} {
		if _, err := kpi.Compute(cfg, kpi.Inputs{}, p); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestForeignCurrencyFails(t *testing.T) {
	amt := int64(100)
	in := kpi.Inputs{Opportunities: kpi.Rows([]kpi.Opportunity{{ID: "006X", CreatedDate: q3Final.Quarter.Start().UnixMicro(),
		Amount: &amt, CurrencyIsoCode: "EUR", StageName: "Prospecting"}})}
	_, err := kpi.Compute(kpi.DefaultConfig(), in, q3Final)
	if err == nil || !containsAll(err.Error(), "006X", "EUR", "USD") {
		t.Fatalf("error %v; want the opportunity, its currency and the configured one", err)
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

func TestUnclassifiedTypeIsExcludedAndReported(t *testing.T) {
	amt := int64(500_00)
	in := kpi.Inputs{Opportunities: kpi.Rows([]kpi.Opportunity{
		{ID: "006A", CreatedDate: q3Final.Quarter.Start().UnixMicro(), Amount: &amt, Type: "Partner Deal", StageName: "Prospecting"},
		{ID: "006B", CreatedDate: q3Final.Quarter.Start().UnixMicro(), Amount: &amt, Type: "New Business", StageName: "Prospecting"},
	})}
	res, err := kpi.Compute(kpi.DefaultConfig(), in, q3Final)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := res.Get("opps_created", kpi.DimOrg, kpi.KeyAll, ""); v.Value.IntPart() != 1 {
		t.Errorf("opps_created %s, want 1", v.Value)
	}
	if res.Stats.UnclassifiedTypes["Partner Deal"] != 1 {
		t.Errorf("stats %+v", res.Stats)
	}
}

// TestCoverageStartIsTheStartSnapshot: the quarter-start state the history
// step keeps beside the as-of state is the as-of state of a run as of the
// quarter's first instant. So pipeline_coverage_start, at any as-of of the
// quarter, equals that run's pipeline_coverage (nothing is booked yet, so
// the remaining target is the whole one), key by key; and that run's
// period is empty.
func TestCoverageStartIsTheStartSnapshot(t *testing.T) {
	o := kpigen.New(13, genSize(t))
	start := compute(t, o, kpi.Period{Quarter: q4QTD.Quarter, AsOf: q4QTD.Quarter.Start()})
	later := compute(t, o, q4QTD)
	checked := 0
	for _, v := range start.Values {
		switch v.KPI {
		case "opps_created", "opps_won", "opps_lost", "bookings", "lost_amount", "leads", "mqls":
			if !v.Value.IsZero() {
				t.Errorf("as of the quarter start, %s %s=%s is %s: the period is empty", v.KPI, v.Dimension, v.Key, v.Value)
			}
		case "pipeline_coverage":
			for _, r := range []*kpi.Result{start, later} {
				s, ok := r.Get("pipeline_coverage_start", v.Dimension, v.Key, "")
				if !ok || !s.Value.Equal(v.Value) || !s.Numerator.Equal(v.Numerator) || s.Defined != v.Defined {
					t.Errorf("as of %s, pipeline_coverage_start %s=%s is %s (%s), want the start's pipeline_coverage %s (%s)",
						r.AsOf.Format(time.RFC3339), v.Dimension, v.Key, s.Value, s.Numerator, v.Value, v.Numerator)
				}
			}
			if v.Numerator.IsPositive() {
				checked++
			}
		}
	}
	if checked == 0 {
		t.Fatal("no key with open pipeline at the quarter start: the generator must produce some")
	}
}
