package extract

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/democrm"
	"github.com/venn-revops/venn/shared/lake"
)

// Opportunity products (Product2 and OpportunityLineItem, which SPIFs pay
// on) against the demo CRM over HTTP: the demo org's catalogue and line
// items land field by field as the org has them (quantities, sales and list
// prices, price book entries); an org without products skips both with a
// note; an org whose Product2 has no Family extracts with that column empty
// and a note naming what reads it.

func TestProductsLand(t *testing.T) {
	s := newScenario(t, democrm.Config{Seed: 41, Leads: 200}, crm.Product2, crm.OpportunityLineItem)
	night, sum, err := s.orgNight(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Product2", "OpportunityLineItem"} {
		if o := objectSummary(t, sum, name); o.Err != "" || o.Written == 0 || len(o.Notes) != 0 {
			t.Errorf("%s: %+v", name, o)
		}
		s.lakeEqualsOrg(name, night)
	}
	// Every line has a positive quantity, and the columns are the
	// registry's, in its order (new columns appended).
	m, err := lake.Snapshot(context.Background(), s.blob, "OpportunityLineItem", lake.DateString(night))
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, c := range m.Schema {
		cols = append(cols, c.Name)
	}
	want := []string{"id", "system_modstamp", "created_date", "is_deleted", "opportunity_id", "product2_id", "total_price", "service_date",
		"currency_iso_code", "pricebook_entry_id", "quantity", "unit_price", "list_price"}
	if !slices.Equal(cols, want) {
		t.Errorf("columns %v, want %v", cols, want)
	}
	lines := 0
	err = s.org.Each(crm.OpportunityLineItem, func(r *crm.Row) error {
		lines++
		if q := r.Values[crm.OpportunityLineItem.Column("quantity")]; q.Null || q.I <= 0 {
			t.Errorf("line %s: quantity %+v", r.ID(), q)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if int64(lines) != m.Rows {
		t.Errorf("lake has %d lines, org %d", m.Rows, lines)
	}
}

func TestOrgWithoutProducts(t *testing.T) {
	s := newScenario(t, democrm.Config{Seed: 42, Leads: 100, Shape: democrm.WithoutContracts()}, crm.Opportunity, crm.Product2, crm.OpportunityLineItem)
	night, sum, err := s.orgNight(nil)
	if err != nil {
		t.Fatalf("an org without products must extract: %v", err)
	}
	for _, name := range []string{"Product2", "OpportunityLineItem"} {
		o := objectSummary(t, sum, name)
		if o.Mode != ModeSkipped || !slices.Contains(o.Notes, "skipped: not in org") || o.Err != "" {
			t.Errorf("%s: %+v", name, o)
		}
		m, err := lake.LatestSnapshot(context.Background(), s.blob, name, night)
		if err != nil || m.Rows != 0 || m.Mode != string(ModeSkipped) {
			t.Errorf("%s snapshot: %+v %v, want an empty skipped one", name, m, err)
		}
	}
	s.lakeEqualsOrg("Opportunity", night)
}

func TestProductsWithoutFamily(t *testing.T) {
	shape := democrm.Shape{Fields: map[string]map[string]string{"Product2": {"Family": ""}}}
	s := newScenario(t, democrm.Config{Seed: 43, Leads: 100, Shape: shape}, crm.Product2, crm.OpportunityLineItem)
	night, sum, err := s.orgNight(nil)
	if err != nil {
		t.Fatalf("an org without Product2.Family must extract: %v", err)
	}
	o := objectSummary(t, sum, "Product2")
	notes := strings.Join(o.Notes, "\n")
	for _, want := range []string{"Product2.Family (column family) is not in the org: the column stays empty", "SPIF", "product_families"} {
		if !strings.Contains(notes, want) {
			t.Errorf("Product2 notes lack %q:\n%s", want, notes)
		}
	}
	if o.Err != "" || o.Written == 0 {
		t.Errorf("Product2: %+v", o)
	}
	s.lakeEqualsOrg("Product2", night) // the family column is null
	s.lakeEqualsOrg("OpportunityLineItem", night)
}
