package pipeline

import (
	"context"
	"testing"
	"time"

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
			org := democrm.Generate(democrm.Config{Seed: 12, Leads: 400, Shape: tc.shape})
			url, stop := democrm.NewServer(org).Start()
			defer stop()
			client, err := salesforce.New(salesforce.Config{LoginURL: url, ClientID: "venn-demo", ClientSecret: "venn-demo-secret", RetryBaseDelay: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := fsblob.New(t.TempDir())
			store, _ := localstore.Open("")
			now := org.Clock().Add(time.Minute)
			clock := func() time.Time { return now }
			if sum, err := extract.Run(ctx, extract.Deps{Source: extract.FromSalesforce(client), Blob: b, Store: store, Now: clock},
				extract.Config{PII: lake.PII{Key: []byte("test-pii-key-0123456789abcdef")}}); err != nil {
				t.Fatalf("extract: %v\n%s", err, sum)
			}
			e := &Env{Blob: b, Store: store, Now: clock, KPIConfig: kpi.DefaultConfig()}
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
