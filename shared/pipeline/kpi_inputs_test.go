package pipeline

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/democrm"
	"github.com/venn-revops/venn/shared/extract"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
	"github.com/venn-revops/venn/shared/period"
	"github.com/venn-revops/venn/shared/results/localstore"
	"github.com/venn-revops/venn/shared/salesforce"
)

// The KPI job reads Contract, OpportunityLineItem and Product2 when the
// lake has their snapshots, and reads them as absent (no manifest, so a
// nil Source) when the org lacks them: the extract then commits an empty
// "skipped" snapshot, which must not pass for an org with no contracts.
func TestKPISnapshotsOptionalObjects(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		shape democrm.Shape
		want  bool
	}{
		{"with contracts", democrm.Shape{}, true},
		{"without contracts", democrm.WithoutContracts(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			org, e := extractedOrg(t, tc.shape)
			now := e.now()
			snaps, err := e.kpiSnapshots(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range kpiInputs {
				if snaps[o.Name] == nil {
					t.Errorf("required %s: no snapshot", o.Name)
				}
			}
			for _, o := range []*crm.Object{crm.Contract, crm.OpportunityLineItem, crm.Product2} {
				m, ok := snaps[o.Name]
				if ok != tc.want {
					t.Fatalf("%s in the KPI inputs: %v, want %v", o.Name, ok, tc.want)
				}
				if ok && (m.Rows == 0 || m.Rows != int64(org.Count(o))) {
					t.Errorf("%s snapshot: %d rows, the org has %d", o.Name, m.Rows, org.Count(o))
				}
			}
			// The KPI job runs either way.
			if _, err := e.computeKPIs(ctx, period.Of(now), now, false, snaps); err != nil {
				t.Fatalf("compute: %v", err)
			}
		})
	}
}

// extractedOrg extracts a small demo org of the shape from the demo CRM
// over HTTP into a temporary lake, and returns it with a job environment
// over that lake whose clock is a minute after the org's.
func extractedOrg(t *testing.T, shape democrm.Shape) (*democrm.Org, *Env) {
	t.Helper()
	org := democrm.Generate(democrm.Config{Seed: 12, Leads: 400, Shape: shape})
	url, stop := democrm.NewServer(org).Start()
	t.Cleanup(stop)
	client, err := salesforce.New(salesforce.Config{LoginURL: url, ClientID: "venn-demo", ClientSecret: "venn-demo-secret", RetryBaseDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := fsblob.New(t.TempDir())
	store, _ := localstore.Open("")
	now := org.Clock().Add(time.Minute)
	clock := func() time.Time { return now }
	if sum, err := extract.Run(context.Background(), extract.Deps{Source: extract.FromSalesforce(client), Blob: b, Store: store, Now: clock},
		extract.Config{PII: lake.PII{Key: []byte("test-pii-key-0123456789abcdef")}}); err != nil {
		t.Fatalf("extract: %v\n%s", err, sum)
	}
	return org, &Env{Blob: b, Store: store, Now: clock, KPIConfig: kpi.DefaultConfig()}
}

// sqlCatalog stands in for Athena (shared/athenakpi, tested against the
// Athena protocol fake in scripts/checks): it answers with the engine's
// with a marker result, and records its calls.
type sqlCatalog struct {
	calls  int
	nights map[string]string
	res    *kpi.Result
}

func (s *sqlCatalog) ComputeKPIs(_ context.Context, _ *kpi.Config, _ kpi.Period, nights map[string]string) (*kpi.Result, error) {
	s.calls++
	s.nights = nights
	return s.res, nil
}

// The KPI job computes on SQL when the inputs' rows (their manifests'
// counts) reach KPISQLMinRows, over the very nights it resolved, and
// writes that result's gold rows; below the size it runs the engine.
func TestKPIOnSQLAboveSize(t *testing.T) {
	ctx := context.Background()
	_, e := extractedOrg(t, democrm.Shape{})
	snaps, err := e.kpiSnapshots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	now := e.now()
	q := period.Of(now)
	marker := &kpi.Result{Quarter: q.String(), AsOf: now, ConfigHash: e.KPIConfig.Hash,
		Values: []kpi.Value{{KPI: "leads", Dimension: "org", Key: "all", Unit: kpi.UnitCount, Value: decimal.NewFromInt(424242), Defined: true}}}
	sq := &sqlCatalog{res: marker}
	e.KPISQL = sq
	rows := inputRows(snaps)

	e.KPISQLMinRows = rows + 1
	res, err := e.computeKPIs(ctx, q, now, false, snaps)
	if err != nil {
		t.Fatal(err)
	}
	if sq.calls != 0 || res == marker {
		t.Fatalf("below the size (%d rows < %d): the SQL path ran", rows, e.KPISQLMinRows)
	}

	e.KPISQLMinRows = rows
	run, err := e.kpiFor(ctx, q, now, false, snaps)
	if err != nil {
		t.Fatal(err)
	}
	if sq.calls == 0 || run.Result != marker { // the scorecard's baselines (previous quarter) go through it too
		t.Fatalf("at the size: %d SQL calls, result %p, want the SQL's", sq.calls, run.Result)
	}
	for name, m := range snaps {
		if sq.nights[name] != m.Dt {
			t.Errorf("%s: night %q, want the resolved snapshot's %q", name, sq.nights[name], m.Dt)
		}
	}
	var gold []kpi.GoldRow
	if err := lake.Scan(ctx, e.Blob, run.Gold, func(rows []kpi.GoldRow) error { gold = append(gold, rows...); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(gold) != 1 || gold[0].KPI != "leads" || gold[0].Value != 424242_000000 {
		t.Errorf("gold rows %+v, want the SQL result's one row", gold)
	}
}

// TestKPILeadExitSource: the KPI job reads the lead exits from LeadHistory
// when the demo org tracks Status, and says it read the current Status when
// the org has no LeadHistory or tracks no lead field (an empty object).
func TestKPILeadExitSource(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		shape democrm.Shape
		want  kpi.LeadExitSource
	}{
		{"with LeadHistory", democrm.Shape{}, kpi.ExitsFromLeadHistory},
		{"without LeadHistory", democrm.Shape{Omit: []string{"LeadHistory"}}, kpi.ExitsFromCurrentStatus},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, e := extractedOrg(t, tc.shape)
			snaps, err := e.kpiSnapshots(ctx)
			if err != nil {
				t.Fatal(err)
			}
			now := e.now()
			res, err := e.computeKPIs(ctx, period.Of(now), now, false, snaps)
			if err != nil {
				t.Fatal(err)
			}
			if res.LeadExitSource != tc.want {
				t.Errorf("LeadExitSource %q, want %q", res.LeadExitSource, tc.want)
			}
		})
	}
}
