package gluecatalog

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/democrm"
	"github.com/venn-revops/venn/shared/extract"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
	"github.com/venn-revops/venn/shared/pipeline"
	"github.com/venn-revops/venn/shared/results/localstore"
	"github.com/venn-revops/venn/shared/salesforce"
)

// The nightly extract of an org shaped unlike the registry (extra fields
// on Lead and Opportunity, a Subscription__c custom object), through the
// pipeline over the demo CRM's HTTP API, registers what it committed: the
// declared tables gain the extra columns with their Glue types, the custom
// object's tables are created, and every partition points at the run
// folder its manifest committed. A rerun of the night converges.
func TestShapedOrgExtractReachesTheCatalog(t *testing.T) {
	ctx := context.Background()
	org := democrm.Generate(democrm.Config{Seed: 41, Leads: 150, Malformed: -1, Shape: democrm.Shape{
		Extra:  democrm.ExampleExtraFields(),
		Custom: []democrm.CustomObject{democrm.ExampleCustomObject()},
	}})
	base, stop := democrm.NewServer(org).Start()
	t.Cleanup(stop)
	sf, err := salesforce.New(salesforce.Config{LoginURL: base, ClientID: "venn-demo", ClientSecret: "venn-demo-secret", PageSize: 2000,
		RetryBaseDelay: time.Millisecond, RetryMaxDelay: 5 * time.Millisecond, PollInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := extract.LoadOrgConfig("shaped.yaml", []byte(`
version: 1
extra_fields:
  Lead: [{name: Score__c, column: score}]
all_fields:
  Opportunity: true
objects:
  - name: Subscription__c
    fields: [{name: Account__c, column: account_id}, {name: Status__c, column: status}, {name: MRR__c, column: mrr}, {name: Start_Date__c, column: start_date}]
`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := fsblob.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	store, _ := localstore.Open("")
	fake, client := newGlueFake(t)
	night := org.Clock().Add(time.Minute)
	env := &pipeline.Env{Blob: b, Store: store, Now: func() time.Time { return night },
		PII:            lake.PII{Key: []byte("0123456789abcdef0123456789abcdef")},
		ExtractOptions: pipeline.ExtractOptions{Org: cfg},
		Catalog:        New(client, testDatabase, WithLake(testBucket, testPrefix)),
	}
	ev := pipeline.Event{Job: "extract", Mode: pipeline.ModeNightly, Objects: []string{"Account", "Lead", "Opportunity", "Subscription__c"}}
	dt := lake.DateString(night)
	for run := range 2 {
		if run == 1 {
			night = night.Add(time.Hour) // a rerun of the same night
		}
		sum, err := env.Extract(ctx, extract.FromSalesforce(sf), ev)
		if err != nil {
			t.Fatalf("run %d: %v\n%s", run, err, sum)
		}
		// Hand-written: each extra field's Glue type from its org type
		// (Int → bigint, Picklist → string, ID → string, Currency →
		// decimal(18,2), Date → date).
		for table, want := range map[string][]string{
			"crm_snapshot_lead":            {"score bigint"},
			"crm_changes_lead":             {"score bigint", "_op string"},
			"crm_snapshot_opportunity":     {"forecast_category__c string"},
			"crm_snapshot_subscription__c": {"id string", "system_modstamp timestamp", "account_id string", "status string", "mrr decimal(18,2)", "start_date date"},
			"crm_changes_subscription__c":  {"account_id string", "mrr decimal(18,2)", "_op string"},
		} {
			tb, ok := fake.Table(table)
			if !ok {
				t.Fatalf("run %d: no table %s", run, table)
			}
			cols := names(tb.StorageDescriptor.Columns)
			for _, w := range want {
				if n := len(slices.DeleteFunc(slices.Clone(cols), func(c string) bool { return c != w })); n != 1 {
					t.Errorf("run %d: %s has %q %d times: %v", run, table, w, n, cols)
				}
			}
		}
		for _, object := range []string{"Lead", "Opportunity", "Subscription__c"} {
			m, err := lake.Snapshot(ctx, b, object, dt)
			if err != nil {
				t.Fatal(err)
			}
			table := "crm_snapshot_" + snake(object)
			p, ok := fake.Partition(table, dt)
			want := lakeRoot + lake.RunFolder(m.Partition, m.RunID) + "/"
			if !ok || p.StorageDescriptor.Location != want || p.Parameters[ParamManifest] != m.Key() {
				t.Errorf("run %d: %s dt=%s: %+v %v, want at %s (%s)", run, table, dt, p.StorageDescriptor, p.Parameters, want, m.Key())
			}
			tb, _ := fake.Table(table)
			if ok && !slices.Equal(p.StorageDescriptor.Columns, tb.StorageDescriptor.Columns) {
				t.Errorf("run %d: %s partition columns %v, table %v", run, table, p.StorageDescriptor.Columns, tb.StorageDescriptor.Columns)
			}
			if len(m.Files) == 0 || m.Rows == 0 {
				t.Errorf("%s committed %d rows", object, m.Rows)
			}
		}
		calls := fake.TakeCalls()
		if n := count(calls, "CreateTable"); run == 0 && n != 2 || run == 1 && n != 0 {
			t.Errorf("run %d: %d CreateTable calls", run, n)
		}
		if n := count(calls, "UpdateTable"); run == 1 && n != 0 {
			t.Errorf("run %d (same schema): %d UpdateTable calls", run, n)
		}
	}
}
