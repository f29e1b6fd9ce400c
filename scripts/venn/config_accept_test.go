package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/comp/statementstore"
	"github.com/venn-revops/venn/shared/configstore"
	"github.com/venn-revops/venn/shared/democrm"
	"github.com/venn-revops/venn/shared/extract"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
	"github.com/venn-revops/venn/shared/period"
	"github.com/venn-revops/venn/shared/pipeline"
	"github.com/venn-revops/venn/shared/results/localstore"
	"github.com/venn-revops/venn/shared/runledger"
	"github.com/venn-revops/venn/shared/salesforce"
)

// opsSpiff is a plan added with the assignment: a flat 3,000.00 for a full
// quarter while the org books anything (payout 1 from attainment 0 up to
// the cap; a target of 1,000, which any quarter of the demo org passes many
// times over), so what it pays is worked out by hand from this file.
const opsSpiff = `# Marketing ops SPIFF: a flat 3,000 a quarter while the org books anything.
id: ops_spiff
version: 1
name: Marketing Ops SPIFF 2026
effective_from: 2026-07-01
currency: USD
# The demo org books one deal in EUR: org bookings convert it.
conversion: {date: close_date, rates: dated}
target_variable: 3000
components:
  - id: org_bookings_flat
    kind: attainment_bonus
    weight: 1
    metric: {kpi: bookings, scope: org}
    target: 1000
    curve:
      threshold: 0
      cap: 1
      points:
        - {attainment: 0, payout: 1}
        - {attainment: 1, payout: 1}
`

const emma = "005000000000014AAA" // Emma Novak, marketing ops: no plan in the default

// TestConfigPushAppliesToNextRun is issue 15's acceptance test: from the
// embedded default, a KPI target and an assignment are changed in a copy of
// the configuration and pushed with `venn config push`; the next kpi and
// payouts runs, in the same process over the same store (no rebuild, no new
// Env), use them, and the statement records the pushed version.
//
// Worked by hand:
//   - 2026Q3's org bookings target goes from 1,500,000.00 to 1,200,000.00:
//     bookings_target reads 1200000, and bookings_attainment is the
//     (unchanged) bookings ÷ 1,200,000 instead of ÷ 1,500,000, to
//     kpi.RatioPlaces half up.
//   - Emma Novak is put on ops_spiff from 2026-08-17: 45 of 2026Q3's 92
//     days (Aug 17–31: 15, September: 30). The org booked far more than the
//     prorated target of 1,000 × 45/92, so attainment is over the cap, 1, which
//     pays 1: 3,000.00 × 1 (weight) × 1 × 45/92 = 1,467.3913… → 1,467.39
//     (half up, to the cent). Before the push she has no statement.
func TestConfigPushAppliesToNextRun(t *testing.T) {
	if testing.Short() {
		t.Skip("extracts the demo org")
	}
	ctx := context.Background()
	org := democrm.Generate(democrm.Config{})
	asOf := democrm.DefaultAsOf // 2026-11-20: 2026Q3 is the closed quarter
	org.SetClock(asOf)
	base, stop := democrm.NewServer(org, democrm.WithClientCredentials("id", "secret")).Start()
	t.Cleanup(stop)
	client, err := salesforce.New(salesforce.Config{LoginURL: base, ClientID: "id", ClientSecret: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	blob, err := fsblob.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	results, err := localstore.Open("")
	if err != nil {
		t.Fatal(err)
	}
	storeDir := t.TempDir() // the configuration store: empty, nothing pushed
	source, err := configstore.Open(ctx, storeDir)
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	env := &pipeline.Env{Blob: blob, Store: results, Now: func() time.Time { return asOf.Add(time.Since(began)) },
		CodeVersion: "test", Config: source, KPIConfig: kpi.DefaultConfig(),
		PII: lake.PII{Key: []byte("config acceptance test key")}, TempDir: t.TempDir()}
	if _, err := env.Extract(ctx, extract.FromSalesforce(client), pipeline.Event{Job: "extract", Mode: pipeline.ModeNightly}); err != nil {
		t.Fatal(err)
	}
	ledger := runledger.New(results)
	kpiJob := env.Handler("kpi", ledger, env.PlanKPI())
	payoutsJob := env.Handler("payouts", ledger, env.PlanPayouts())
	run := func(job func(context.Context, json.RawMessage) (json.RawMessage, error), ev string) map[string]any {
		t.Helper()
		out, err := job(ctx, json.RawMessage(ev))
		if err != nil {
			t.Fatalf("%s: %v", ev, err)
		}
		var sum map[string]any
		if err := json.Unmarshal(out, &sum); err != nil {
			t.Fatal(err)
		}
		return sum
	}
	orgKPI := func(name string) decimal.Decimal {
		t.Helper()
		values, err := env.FinalKPIs(ctx, period.MustParse("2026Q3"))
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range values {
			if v.KPI == name && v.Dimension == kpi.DimOrg {
				return v.Value
			}
		}
		t.Fatalf("no org %s in 2026Q3's final KPIs", name)
		return decimal.Zero
	}

	// The close on the embedded default (nothing pushed yet).
	run(kpiJob, `{"job":"kpi","mode":"close"}`)
	before := run(payoutsJob, `{"job":"payouts","mode":"close"}`)
	bookings := orgKPI("bookings")
	if got := orgKPI("bookings_target"); !got.Equal(decimal.RequireFromString("1500000")) {
		t.Fatalf("default bookings_target 2026Q3 = %s, want the embedded 1500000", got)
	}
	if got, want := orgKPI("bookings_attainment"), bookings.DivRound(decimal.RequireFromString("1500000"), kpi.RatioPlaces); !got.Equal(want) {
		t.Fatalf("default bookings_attainment = %s, want %s ÷ 1500000 = %s", got, bookings, want)
	}
	if _, err := statementstore.Get(ctx, results, "2026Q3", emma); err == nil {
		t.Fatal("Emma Novak has a statement before she is assigned a plan")
	}
	embeddedVersion := configstore.Embedded().Version
	if before["config_version"] != embeddedVersion {
		t.Fatalf("payouts on the empty store recorded config version %v, want the embedded %s", before["config_version"], embeddedVersion)
	}

	// The change, made as a user makes it: export the default, edit, push.
	dir := t.TempDir()
	if err := runConfig([]string{"export", dir}); err != nil {
		t.Fatal(err)
	}
	replaceIn(t, dir, "kpi.yaml", `{quarter: 2026Q3, dimension: org, key: all, bookings: "1500000.00"`, `{quarter: 2026Q3, dimension: org, key: all, bookings: "1200000.00"`)
	replaceIn(t, dir, "comp/assignments.yaml",
		"  - {person: 005000000000013AAA, name: Ravi Patel, role: marketing_manager, from: 2025-01-01}\n",
		"  - {person: 005000000000013AAA, name: Ravi Patel, role: marketing_manager, from: 2025-01-01}\n  - {person: "+emma+", name: Emma Novak, plan: ops_spiff, from: 2026-08-17}\n")
	if err := os.WriteFile(filepath.Join(dir, "comp", "plans", "ops-spiff.yaml"), []byte(opsSpiff), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := runConfig([]string{"push", dir, "--to", storeDir}); err != nil {
		t.Fatal(err)
	}
	pushed, err := source.Current(ctx)
	if err != nil || pushed.Push == nil {
		t.Fatalf("after the push: %v, %v", pushed, err)
	}

	// The next runs: the runbook's rerun of the closed quarter.
	kpiSum := run(kpiJob, `{"job":"kpi","mode":"rerun","quarter":"2026Q3"}`)
	after := run(payoutsJob, `{"job":"payouts","mode":"rerun","quarter":"2026Q3"}`)
	if kpiSum["config_version"] != pushed.Version || after["config_version"] != pushed.Version {
		t.Fatalf("runs after the push recorded %v and %v, want the pushed %s", kpiSum["config_version"], after["config_version"], pushed.Version)
	}
	if got := orgKPI("bookings"); !got.Equal(bookings) {
		t.Fatalf("bookings changed with a target: %s, was %s", got, bookings)
	}
	if got := orgKPI("bookings_target"); !got.Equal(decimal.RequireFromString("1200000")) {
		t.Errorf("bookings_target 2026Q3 after the push = %s, want 1200000", got)
	}
	if got, want := orgKPI("bookings_attainment"), bookings.DivRound(decimal.RequireFromString("1200000"), kpi.RatioPlaces); !got.Equal(want) {
		t.Errorf("bookings_attainment after the push = %s, want %s ÷ 1200000 = %s", got, bookings, want)
	}
	rec, err := statementstore.Get(ctx, results, "2026Q3", emma)
	if err != nil {
		t.Fatalf("Emma Novak's statement after the push: %v", err)
	}
	st := rec.Statement
	if !st.Total.Decimal.Equal(decimal.RequireFromString("1467.39")) {
		t.Errorf("Emma Novak's 2026Q3 total %s, want 3000.00 × 45/92 = 1467.39", st.Total.Decimal)
	}
	if len(st.Plans) != 1 || st.Plans[0].Plan != "ops_spiff@v1" || st.Plans[0].Days != 45 || st.Plans[0].QuarterDays != 92 {
		t.Errorf("Emma Novak's plans %+v, want ops_spiff@v1 for 45/92 days", st.Plans)
	}
	if st.ConfigVersion != pushed.Version {
		t.Errorf("Emma Novak's statement records config version %q, want the pushed %s", st.ConfigVersion, pushed.Version)
	}
	js, _ := st.JSON()
	if !strings.Contains(string(js), `"config_version": "`+pushed.Version+`"`) {
		t.Errorf("the statement JSON does not carry the config version:\n%s", js)
	}
}
