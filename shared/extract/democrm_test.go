package extract

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/democrm"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
	"github.com/venn-revops/venn/shared/results/localstore"
	"github.com/venn-revops/venn/shared/salesforce"
)

// TestDemoCRMNights runs the extract against the demo CRM server through
// the real Salesforce client: a first full night, then a simulated day of
// changes (stage moves, new leads, a soft-deleted lead, a hard-deleted
// campaign membership) and the next night's incremental run. Every
// snapshot must equal the org's own record set, and the malformed records
// the org serves must land in rejects.
func TestDemoCRMNights(t *testing.T) {
	ctx := context.Background()
	leads := 2000
	if testing.Short() {
		leads = 300
	}
	org := democrm.Generate(democrm.Config{Seed: 7, Leads: leads})
	baseURL, stop := democrm.NewServer(org).Start()
	defer stop()
	client, err := salesforce.New(salesforce.Config{LoginURL: baseURL, ClientID: "venn-demo", ClientSecret: "venn-demo-secret", PageSize: 500, RetryBaseDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := fsblob.New(t.TempDir())
	store, _ := localstore.Open("")
	deps := func(now time.Time) Deps {
		return Deps{Source: FromSalesforce(client), Blob: b, Store: store, Now: func() time.Time { return now }}
	}
	cfg := Config{PII: lake.PII{Key: testKey}}

	// Night 1, just after the org's clock.
	night1 := org.Clock().Add(time.Minute)
	sum1, err := Run(ctx, deps(night1), cfg)
	if err != nil {
		t.Fatalf("night 1: %v\n%s", err, sum1)
	}
	t.Logf("night 1:\n%s", sum1)
	wantRejects := map[string]int64{}
	for _, m := range org.Malformed() {
		wantRejects[m.Object]++
	}
	checkAgainstOrg(t, org, b, sum1, night1, wantRejects)

	// A day of changes, then night 2.
	changes, err := org.SimulateNight(11)
	if err != nil {
		t.Fatal(err)
	}
	night2 := org.Clock().Add(time.Minute)
	sum2, err := Run(ctx, deps(night2), cfg)
	if err != nil {
		t.Fatalf("night 2: %v\n%s", err, sum2)
	}
	t.Logf("night 2 (%d source changes):\n%s", changes.Changes(), sum2)
	checkAgainstOrg(t, org, b, sum2, night2, nil)
	for _, os := range sum2.Objects {
		if os.Mode != ModeIncremental {
			t.Errorf("%s night 2 mode %s", os.Object, os.Mode)
		}
		obj, _ := crm.Lookup(os.Object)
		m, err := lake.Snapshot(ctx, b, os.Object, lake.DateString(night2))
		if err != nil {
			t.Fatal(err)
		}
		_, ops, _ := rows(t, b, obj, m.Changes)
		for _, id := range changes.Deleted[os.Object] {
			if ops[id] != lake.OpDelete {
				t.Errorf("%s %s deleted at the source, change op %q", os.Object, id, ops[id])
			}
		}
		for _, id := range append(append([]string(nil), changes.Updated[os.Object]...), changes.Inserted[os.Object]...) {
			if ops[id] != lake.OpUpsert {
				t.Errorf("%s %s changed at the source, change op %q", os.Object, id, ops[id])
			}
		}
	}
}

// checkAgainstOrg compares each committed snapshot with the org's records,
// value by value (PII hashed the same way).
func checkAgainstOrg(t *testing.T, org *democrm.Org, b lake.Blob, sum Summary, night time.Time, wantRejects map[string]int64) {
	t.Helper()
	pii := &lake.PII{Key: testKey}
	for _, os := range sum.Objects {
		obj, _ := crm.Lookup(os.Object)
		m, err := lake.Snapshot(context.Background(), b, os.Object, lake.DateString(night))
		if err != nil {
			t.Fatal(err)
		}
		got, _, _ := rows(t, b, obj, m.Files)
		want := map[string][]crm.Value{}
		hash := pii.Plan(obj)
		org.Each(obj, func(r *crm.Row) error {
			c := crm.Row{Values: append([]crm.Value(nil), r.Values...)}
			hash(&c)
			want[c.ID()] = c.Values
			return nil
		})
		if len(got) != len(want) || m.Rows != int64(len(want)) {
			t.Errorf("%s: lake has %d rows (manifest %d), org %d", os.Object, len(got), m.Rows, len(want))
		}
		mismatches := 0
		var ids []string
		for id := range want {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			g, ok := got[id]
			if !ok {
				t.Errorf("%s %s missing from the lake", os.Object, id)
				mismatches++
			} else if fmt.Sprint(g) != fmt.Sprint(want[id]) {
				t.Errorf("%s %s: lake %v, org %v", os.Object, id, g, want[id])
				mismatches++
			}
			if mismatches > 5 {
				t.Fatalf("%s: too many mismatches", os.Object)
			}
		}
		if wantRejects != nil && os.Rejects != wantRejects[os.Object] {
			t.Errorf("%s: %d rejects, org served %d malformed", os.Object, os.Rejects, wantRejects[os.Object])
		}
	}
}

// TestDemoCRMFailedBulkJobKeepsWatermark: a Bulk job that ends Failed fails
// the object (never "success, 0 records"), commits nothing and keeps the
// watermark; transient 503s are retried by the client and counted.
func TestDemoCRMFailedBulkJobKeepsWatermark(t *testing.T) {
	ctx := context.Background()
	org := democrm.Generate(democrm.Config{Seed: 9, Leads: 300})
	srv := democrm.NewServer(org)
	baseURL, stop := srv.Start()
	defer stop()
	client, err := salesforce.New(salesforce.Config{LoginURL: baseURL, ClientID: "venn-demo", ClientSecret: "venn-demo-secret", RetryBaseDelay: time.Millisecond, RetryMaxDelay: 5 * time.Millisecond, PollInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := fsblob.New(t.TempDir())
	store, _ := localstore.Open("")
	run := func(now time.Time, cfg Config) (Summary, error) {
		cfg.Objects = []*crm.Object{crm.Lead}
		cfg.PII = lake.PII{Key: testKey}
		return Run(ctx, Deps{Source: FromSalesforce(client), Blob: b, Store: store, Now: func() time.Time { return now }}, cfg)
	}
	night1 := org.Clock().Add(time.Minute)
	srv.Inject(democrm.Fault{Route: democrm.RouteAPI, After: 2, Times: 2, Status: 503})
	sum, err := run(night1, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Objects[0].Retries < 2 {
		t.Errorf("retries not counted: %+v", sum.Objects[0])
	}
	before, _, _ := ReadWatermark(ctx, store, "Lead")

	if _, err := org.SimulateNight(1); err != nil {
		t.Fatal(err)
	}
	night2 := org.Clock().Add(time.Minute)
	srv.FailNextBulkJob("InternalServerError: the query timed out")
	_, err = run(night2, Config{BulkThreshold: 1})
	if err == nil {
		t.Fatal("a failed Bulk job did not fail the run")
	}
	t.Logf("failed bulk job: %v", err)
	if after, _, _ := ReadWatermark(ctx, store, "Lead"); after != before {
		t.Errorf("watermark moved: %+v → %+v", before, after)
	}
	if m, err := lake.LatestSnapshot(ctx, b, "Lead", night2); err != nil || m.Dt != lake.DateString(night1) {
		t.Errorf("latest snapshot after the failure: %+v %v", m, err)
	}
	// The next attempt (job succeeds) catches up through Bulk.
	sum, err = run(night2, Config{BulkThreshold: 1, RunID: "retry"})
	if err != nil || sum.Objects[0].Mode != ModeBulk || sum.Objects[0].Deletes != 1 {
		t.Fatalf("retry: %+v %v", sum.Objects, err)
	}
}

// TestProgress follows a first night's pull through Deps.Progress with the
// demo CRM serving 100 records a page: every object reports each new page
// in order (the first record of page p is record 100(p-1)+1 of a single
// pull) and ends with one Done report of every record the org served (its
// live records plus the malformed ones) over the pages the client counted.
func TestProgress(t *testing.T) {
	ctx := context.Background()
	org := democrm.Generate(democrm.Config{Seed: 7, Leads: 300})
	baseURL, stop := democrm.NewServer(org, democrm.WithPageSize(100)).Start()
	defer stop()
	client, err := salesforce.New(salesforce.Config{LoginURL: baseURL, ClientID: "venn-demo", ClientSecret: "venn-demo-secret", RetryBaseDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := fsblob.New(t.TempDir())
	store, _ := localstore.Open("")
	reports := map[string][]Progress{}
	night := org.Clock().Add(time.Minute)
	sum, err := Run(ctx, Deps{Source: FromSalesforce(client), Blob: b, Store: store, Now: func() time.Time { return night },
		Progress: func(p Progress) { reports[p.Object] = append(reports[p.Object], p) }}, Config{PII: lake.PII{Key: testKey}})
	if err != nil {
		t.Fatalf("extract: %v\n%s", err, sum)
	}
	malformed := map[string]int64{}
	for _, m := range org.Malformed() {
		malformed[m.Object]++
	}
	for _, o := range sum.Objects {
		obj, _ := crm.Lookup(o.Object)
		served := int64(org.Count(obj)) + malformed[o.Object]
		rs := reports[o.Object]
		if len(rs) == 0 {
			t.Errorf("%s: no progress reported", o.Object)
			continue
		}
		last := rs[len(rs)-1]
		if !last.Done || last.Rows != served || last.Pages != o.Pages {
			t.Errorf("%s: last report %+v, want done with %d rows (org) over %d pages (client)", o.Object, last, served, o.Pages)
		}
		pages := rs[:len(rs)-1]
		if served > 0 && len(pages) == 0 {
			t.Errorf("%s: %d rows served and no page reported", o.Object, served)
		}
		for i, p := range pages {
			if p.Done || p.Pages != i+1 || p.Rows != int64(100*i+1) {
				t.Errorf("%s: report %d is %+v, want page %d at row %d", o.Object, i, p, i+1, 100*i+1)
			}
		}
	}
}
