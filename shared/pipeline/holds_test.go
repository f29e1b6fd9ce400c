package pipeline_test

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	compconfig "github.com/venn-revops/venn/shared/config/comp"
	extractconfig "github.com/venn-revops/venn/shared/config/extract"
	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/democrm"
	"github.com/venn-revops/venn/shared/extract"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
	"github.com/venn-revops/venn/shared/period"
	"github.com/venn-revops/venn/shared/pipeline"
	"github.com/venn-revops/venn/shared/results/localstore"
	"github.com/venn-revops/venn/shared/salesforce"
)

// A hold on the invoice end to end, as the demo ships it: the demo org's
// Invoice_Paid_Date__c on opportunities (democrm.WithInvoicePaidDate), extracted
// through the embedded extract configuration's extra_fields, and the
// shipped account executive plan holding new-business commission until
// invoice_paid_date__c is set. Which deals are held is worked out from the
// org's own records (the field as the CRM serves it), not from the lake: a
// new-business deal paid commission in 2026Q3 is held exactly when its
// invoice date is empty or after 2026-09-30, for what it was paid;
// expansion deals are never held.
func TestInvoiceHoldThroughExtract(t *testing.T) {
	ctx := context.Background()
	org := democrm.Generate(democrm.Config{Shape: democrm.WithInvoicePaidDate(democrm.Shape{})})
	asOf := democrm.DefaultAsOf
	org.SetClock(asOf)
	base, stop := democrm.NewServer(org, democrm.WithClientCredentials("id", "secret")).Start()
	t.Cleanup(stop)
	client, err := salesforce.New(salesforce.Config{LoginURL: base, ClientID: "id", ClientSecret: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	orgCfg, err := extract.LoadOrgConfig("extract.yaml", extractconfig.Default)
	if err != nil {
		t.Fatal(err)
	}
	compFS := compconfig.FS()
	blob, err := fsblob.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	store, err := localstore.Open("")
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	env := &pipeline.Env{Blob: blob, Store: store, Now: func() time.Time { return asOf.Add(time.Since(began)) },
		CodeVersion: "test", KPIConfig: kpi.DefaultConfig(), CompConfig: compFS, ExtractOptions: pipeline.ExtractOptions{Org: orgCfg},
		PII: lake.PII{Key: []byte("holds test key, 32 bytes long..")}, TempDir: t.TempDir()}
	if _, err := env.Extract(ctx, extract.FromSalesforce(client), pipeline.Event{Job: "extract", Mode: pipeline.ModeNightly}); err != nil {
		t.Fatal(err)
	}
	q := period.MustParse("2026Q3")
	if _, err := env.KPIFor(ctx, q, q.End(), true); err != nil {
		t.Fatal(err)
	}
	run, err := env.PayoutsFor(ctx, q)
	if err != nil {
		t.Fatal(err)
	}

	// The org's invoice dates, by opportunity Id.
	obj, _ := org.Object("Opportunity")
	col := -1
	for i, f := range obj.Fields {
		if f.Name == "Invoice_Paid_Date__c" {
			col = i
		}
	}
	invoice := map[string]string{}
	err = org.Each(obj, func(r *crm.Row) error {
		if v := r.Values[col]; !v.Null {
			invoice[r.ID()] = crm.TimeOfDays(v.I).Format(time.DateOnly)
		}
		return nil
	})
	if err != nil || col < 0 {
		t.Fatal(col, err)
	}
	held, paid := 0, 0
	for _, st := range run.Statements {
		lines := map[string]string{}
		for _, l := range st.Lines {
			lines[l.Key] = l.Amount.StringFixed(2)
		}
		for _, cr := range st.Credits {
			for _, pm := range cr.Payments {
				if !strings.HasPrefix(pm.Plan, "ae@") || pm.Paid.IsZero() {
					continue
				}
				key := fmt.Sprintf("hold/2026Q3/%s/%s/%s", cr.DealID, cr.Role, pm.Component)
				date, set := invoice[cr.DealID]
				wantHeld := cr.Type == "new_business" && (!set || date > "2026-09-30")
				switch got, ok := lines[key]; {
				case wantHeld && got != pm.Paid.Neg().StringFixed(2):
					t.Errorf("%s: deal %s (invoice %q) paid %s: hold line %q, want -%s", st.ID, cr.DealID, date, pm.Paid.StringFixed(2), got, pm.Paid.StringFixed(2))
				case !wantHeld && ok:
					t.Errorf("%s: deal %s (%s, invoice %q) is held", st.ID, cr.DealID, cr.Type, date)
				case wantHeld:
					held++
				default:
					paid++
				}
			}
		}
		if st.Pay != nil && !st.Pay.Payable.Equal(st.Total.Decimal) {
			t.Errorf("%s: payable %s, total %s", st.ID, st.Pay.Payable, st.Total)
		}
	}
	if held == 0 || paid == 0 {
		t.Fatalf("%d held and %d paid commissions: the example should show both", held, paid)
	}
	t.Logf("%d commissions held, %d paid", held, paid)
}

// compConfigWith is a copy of the shipped comp configuration folder, each
// file passed through edit (which returns its new bytes).
func compConfigWith(t *testing.T, edit func(name string, b []byte) []byte) fstest.MapFS {
	t.Helper()
	out := fstest.MapFS{}
	err := fs.WalkDir(compconfig.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(compconfig.FS(), p)
		out[p] = &fstest.MapFile{Data: edit(p, b)}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
