package extract

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/crm"
)

// The embedded default must describe exactly the code's registry: same
// objects, same org field behind every column, and no extras but the demo
// org's invoice date (the shipped account executive plan holds on it).
func TestDefaultOrgConfigIsTheRegistry(t *testing.T) {
	c := DefaultOrgConfig()
	if len(c.Registry.Objects) != len(crm.Objects) {
		t.Fatalf("%d objects, registry has %d", len(c.Registry.Objects), len(crm.Objects))
	}
	for i, o := range c.Registry.Objects {
		want := crm.Objects[i]
		extras := len(o.Extras) > 0
		if o.Name == "Opportunity" {
			extras = fmt.Sprint(o.Extras) != "[{Invoice_Paid_Date__c invoice_paid_date__c date true}]"
		}
		if o.Name != want.Name || o.Optional != want.Optional || o.SoftDelete != want.SoftDelete || extras || o.AllFields {
			t.Errorf("object %d: %+v, want %s", i, o, want.Name)
		}
		for j, f := range o.Fields {
			if f != want.Fields[j] {
				t.Errorf("%s field %d: %+v, want %+v", o.Name, j, f, want.Fields[j])
			}
		}
	}
	if c.Deletes.RecycleBin != 15*24*time.Hour || c.Deletes.ReconcileEvery != 7*24*time.Hour {
		t.Errorf("deletes %+v", c.Deletes)
	}
}

// An org that names its fields otherwise: the lake columns stay, the org
// names change; extras and a custom object are added.
func TestOrgConfigMapping(t *testing.T) {
	c, err := LoadOrgConfig("acme.yaml", []byte(`
version: 1
fields:
  Lead:
    segment: Market_Segment__c
    mql_date: Marketing_Qualified_At__c
  User:
    team: Sales_Team__c
extra_fields:
  Opportunity:
    - name: ARR__c
    - { name: Forecast_Category__c, column: forecast_category, type: picklist }
all_fields:
  Account: true
objects:
  - name: Invoice__c
    fields: [{ name: Amount__c, type: currency }]
  - name: Order
    soft_delete: true
    cursor: LastModifiedDate
    required: true
    all_fields: true
deletes:
  recycle_bin_days: 10
  reconcile_every_days: 1
`))
	if err != nil {
		t.Fatal(err)
	}
	lead, _ := c.Registry.Lookup("Lead")
	if f := lead.Fields[lead.Column("segment")]; f.Name != "Market_Segment__c" || f.Type != crm.Picklist {
		t.Errorf("Lead.segment = %+v", f)
	}
	if f := lead.Fields[lead.Column("mql_date")]; f.Name != "Marketing_Qualified_At__c" || f.Type != crm.DateTime {
		t.Errorf("Lead.mql_date = %+v", f)
	}
	if f := lead.Fields[lead.Column("region")]; f.Name != "Region__c" {
		t.Errorf("unmapped Lead.region = %+v, want the default Region__c", f)
	}
	if crm.Lead.Fields[crm.Lead.Column("segment")].Name != "Segment__c" {
		t.Error("NewRegistry changed the default registry")
	}
	opp, _ := c.Registry.Lookup("Opportunity")
	want := []crm.Extra{{Name: "ARR__c", Column: "arr__c"}, {Name: "Forecast_Category__c", Column: "forecast_category", Type: crm.Picklist, TypeSet: true}}
	if len(opp.Extras) != 2 || opp.Extras[0] != want[0] || opp.Extras[1] != want[1] {
		t.Errorf("Opportunity extras %+v, want %+v", opp.Extras, want)
	}
	if acc, _ := c.Registry.Lookup("Account"); !acc.AllFields {
		t.Error("Account all_fields not set")
	}
	inv, err := c.Registry.Lookup("Invoice__c")
	if err != nil || !inv.Custom || !inv.Optional || !inv.SoftDelete || inv.CursorField() != "SystemModstamp" || len(inv.Fields) != 4 {
		t.Errorf("Invoice__c = %+v, %v", inv, err)
	}
	ord, _ := c.Registry.Lookup("Order")
	if ord.Optional || ord.CursorField() != "LastModifiedDate" || !ord.AllFields {
		t.Errorf("Order = %+v", ord)
	}
	if c.Deletes.RecycleBin != 10*24*time.Hour || c.Deletes.ReconcileEvery != 24*time.Hour {
		t.Errorf("deletes %+v", c.Deletes)
	}
}

func TestOrgConfigRejects(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"empty", "", "empty"},
		{"comment only", "# nothing\n", "empty"},
		{"two documents", "version: 1\n---\nversion: 1\n", "more than one YAML document"},
		{"unknown key", "version: 1\nfeilds: {}\n", `feilds: unknown key "feilds"`},
		{"duplicate key", "version: 1\nfields:\n  Lead:\n    segment: A__c\n    segment: B__c\n", "already defined"},
		{"no value", "version: 1\nfields:\n  Lead:\n    segment:\n", "fields.Lead.segment: a value is required"},
		{"alias", "version: 1\nx: &a 1\nfields: {Lead: {segment: *a}}\n", "alias"},
		{"version", "version: 2\n", "version: must be 1"},
		{"unknown object", "version: 1\nfields: {Leed: {segment: S__c}}\n", "Leed is not a registry object"},
		{"unknown column", "version: 1\nfields: {Lead: {segmnt: S__c}}\n", `Lead has no lake column "segmnt"`},
		{"identity", "version: 1\nfields: {Lead: {id: LeadId__c}}\n", "cannot be mapped"},
		{"bad api name", "version: 1\nfields: {Lead: {segment: 'Seg ment'}}\n", "not a Salesforce API name"},
		{"two columns one field", "version: 1\nfields: {Lead: {segment: Seg__c, region: Seg__c}}\n", "both map to Seg__c"},
		{"collides with default", "version: 1\nfields: {Lead: {segment: Region__c}}\n", "would both read Region__c"},
		{"extra dup", "version: 1\nextra_fields: {Lead: [{name: Status}]}\n", "Lead.Status is already extracted"},
		{"extra column taken", "version: 1\nextra_fields: {Lead: [{name: Seg2__c, column: segment}]}\n", `column "segment" is already taken`},
		{"extra type", "version: 1\nextra_fields: {Lead: [{name: X__c, type: float}]}\n", `type "float"`},
		{"object exists", "version: 1\nobjects: [{name: Lead, all_fields: true}]\n", "already in the registry"},
		{"object no fields", "version: 1\nobjects: [{name: Invoice__c}]\n", "lists no fields"},
		{"bin too long", "version: 1\ndeletes: {recycle_bin_days: 30}\n", "longer than Salesforce's 15 days"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadOrgConfig("org.yaml", []byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "org.yaml") {
				t.Errorf("error %v, want one naming org.yaml and containing %q", err, tc.want)
			}
		})
	}
}

func FuzzLoadOrgConfig(f *testing.F) {
	f.Add([]byte("version: 1\nfields: {Lead: {segment: S__c}}\n"))
	f.Add([]byte("version: 1\nobjects: [{name: X__c, all_fields: true}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := LoadOrgConfig("fuzz.yaml", data)
		if err == nil && (c.Registry == nil || c.Deletes.RecycleBin <= 0) {
			t.Fatalf("accepted without a registry: %q", data)
		}
	})
}
