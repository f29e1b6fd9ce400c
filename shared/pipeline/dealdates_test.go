package pipeline

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
)

// The deal loader reads the date columns comp plans hold pay on, by deal
// Id, leaving nulls out; a column the snapshot lacks or that is not a date
// is refused, naming it.
func TestDealDates(t *testing.T) {
	blob, err := fsblob.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	type opp struct {
		ID   string `parquet:"id"`
		Paid *int32 `parquet:"invoice_paid_date__c,optional,date"`
		Name string `parquet:"name,optional"`
	}
	d := func(s string) *int32 {
		t, _ := time.Parse(time.DateOnly, s)
		v := int32(t.Unix() / 86400)
		return &v
	}
	m, err := lake.WriteTable(ctx, blob, lake.SnapshotPartition("Opportunity", "2026-10-01"),
		[]opp{{"006A", d("2026-09-30"), "A"}, {"006B", nil, "B"}, {"006C", d("2026-10-15"), "C"}},
		lake.TableOptions{Table: "crm/snapshot", RunID: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	m.Schema = []lake.Column{{Name: "id", Kind: crm.ID.String()}, {Name: "invoice_paid_date__c", Field: "Invoice_Paid_Date__c", Kind: crm.Date.String()},
		{Name: "name", Field: "Name", Kind: crm.Text.String()}}
	e := &Env{Blob: blob}
	got, err := e.dealDates(ctx, m, []string{"invoice_paid_date__c"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["006A"]["invoice_paid_date__c"].Format(time.DateOnly) != "2026-09-30" ||
		got["006C"]["invoice_paid_date__c"].Format(time.DateOnly) != "2026-10-15" || got["006B"] != nil {
		t.Fatalf("dates %v", got)
	}
	if got, err := e.dealDates(ctx, m, nil); got != nil || err != nil {
		t.Fatalf("no fields: %v, %v", got, err)
	}
	for col, want := range map[string]string{
		"invoice_sent__c": "comp plans hold pay until Opportunity.invoice_sent__c, but the Opportunity snapshot crm/snapshot/object=Opportunity/dt=2026-10-01/_manifest-000001.json has no such column: add the org field to extra_fields.Opportunity",
		"name":            "comp plans hold pay until Opportunity.name, but that column is text, not a date",
	} {
		if _, err := e.dealDates(ctx, m, []string{col}); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: got %v", col, err)
		}
	}
}
