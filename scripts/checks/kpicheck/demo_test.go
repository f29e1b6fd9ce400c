package kpicheck

import (
	"context"
	"io"
	"testing"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/demo"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
)

// TestDemoOrgCreditsAgreeWithDuckDB runs the demo end to end (demo CRM,
// extract, KPI job) and recomputes the closed quarter's credit rows and
// influenced values with DuckDB over the very snapshot files the KPI job
// read: the engine's rows (as the job wrote them to gold) must match to
// the cent; and the whole catalog, value by value.
func TestDemoOrgCreditsAgreeWithDuckDB(t *testing.T) {
	ctx := context.Background()
	r, b := runDemo(t)
	files := Files{}
	for _, o := range Objects {
		key, ok := r.ClosedKPIs.Inputs[o.Name]
		if !ok {
			t.Fatalf("the KPI job read no %s snapshot", o.Name)
		}
		m, err := lake.ReadManifest(ctx, b, key)
		if err != nil {
			t.Fatal(err)
		}
		files[o.Name] = m.Files
	}
	// The demo org has contracts (the renewal and retention KPIs read
	// them), lead history (the lead exits read its Status changes) and
	// exchange rates (its EUR deal converts at them).
	for _, o := range []*crm.Object{crm.Contract, crm.LeadHistory, crm.CurrencyType, crm.DatedConversionRate} {
		key, ok := r.ClosedKPIs.Inputs[o.Name]
		if !ok {
			t.Fatalf("the KPI job read no %s snapshot", o.Name)
		}
		m, err := lake.ReadManifest(ctx, b, key)
		if err != nil {
			t.Fatal(err)
		}
		files[o.Name] = m.Files
	}
	db := openViews(t, b, files)
	res := r.ClosedKPIs.Result
	cfg := kpi.DefaultConfig()
	if res.ConfigHash != cfg.Hash {
		t.Fatalf("the demo ran definitions %s, not the default", res.ConfigVersion)
	}
	p := kpi.Period{Quarter: r.Closed, AsOf: res.AsOf, Final: res.Final}
	if err := PrepareBase(db, cfg, p); err != nil {
		t.Fatal(err)
	}
	checkCredits(t, db, cfg, res, 10)
	// The whole catalog, every dimension key and model, from the same files.
	rep, err := CheckCatalog(db, cfg, p, res)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("demo %s: %d values compared, %d mismatches", p.Quarter, rep.Values, len(rep.Mismatches))
	if len(rep.Mismatches) > 0 {
		t.Errorf("demo %s: %d of %d values differ:\n%s", p.Quarter, len(rep.Mismatches), rep.Values, rep.Summary(30))
	}
}

// runDemo runs the demo end to end into a temporary folder and opens its
// lake.
func runDemo(t *testing.T) (*demo.Report, *fsblob.Blob) {
	t.Helper()
	r, err := demo.Run(context.Background(), demo.Options{Out: t.TempDir()}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	b, err := fsblob.New(r.Lake)
	if err != nil {
		t.Fatal(err)
	}
	return r, b
}
