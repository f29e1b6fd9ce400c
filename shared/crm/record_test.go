package crm

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const goodOpp = `{"attributes":{"type":"Opportunity","url":"/services/data/v62.0/sobjects/Opportunity/006000000000001AAA"},
"Id":"006000000000001AAA","SystemModstamp":"2025-03-31T23:59:59.999+0000","CreatedDate":"2025-01-02T08:00:00.000+0000",
"IsDeleted":false,"Name":"Acme renewal","AccountId":"001000000000001AAA","OwnerId":"005000000000001AAA",
"StageName":"Closed Won","Amount":12500.5,"CurrencyIsoCode":"USD","CloseDate":"2025-03-31","IsClosed":true,"IsWon":true,
"Type":null,"LeadSource":"Web","CampaignId":null,"Probability":100,"Brand_New_Field__c":"x"}`

func TestDecodeJSONGood(t *testing.T) {
	d := NewDecoder(Opportunity)
	var row Row
	if err := d.DecodeJSON([]byte(goodOpp), &row); err != nil {
		t.Fatal(err)
	}
	get := func(name string) Value {
		for i, f := range Opportunity.Fields {
			if f.Name == name {
				return row.Values[i]
			}
		}
		t.Fatalf("no field %s", name)
		return Value{}
	}
	if row.ID() != "006000000000001AAA" {
		t.Errorf("id %q", row.ID())
	}
	if v := get("Amount"); v.I != 1250050 || v.Null {
		t.Errorf("amount %+v", v)
	}
	if v := get("Probability"); v.I != 10000 {
		t.Errorf("probability %+v", v)
	}
	if v := get("CloseDate"); TimeOfDays(v.I) != time.Date(2025, 3, 31, 0, 0, 0, 0, time.UTC) {
		t.Errorf("close date %v", TimeOfDays(v.I))
	}
	want := time.Date(2025, 3, 31, 23, 59, 59, 999000000, time.UTC)
	if got := TimeOfMicros(row.Modstamp()); !got.Equal(want) {
		t.Errorf("modstamp %v want %v", got, want)
	}
	if v := get("Type"); !v.Null {
		t.Errorf("null picklist read as %+v", v)
	}
	if v := get("IsWon"); v.Null || !v.B {
		t.Errorf("is_won %+v", v)
	}
	if d.Unknown["Brand_New_Field__c"] != 1 || d.Unknown["attributes"] != 0 {
		t.Errorf("unknown fields %v", d.Unknown)
	}
}

func TestDecodeJSONRejects(t *testing.T) {
	tests := []struct {
		name, rec, field, reason string
	}{
		{"missing id", `{"SystemModstamp":"2025-01-01T00:00:00.000+0000","CreatedDate":"2025-01-01T00:00:00.000+0000","CloseDate":"2025-01-01"}`, "Id", "missing"},
		{"bad date", `{"Id":"006000000000001AAA","SystemModstamp":"2025-01-01T00:00:00.000+0000","CreatedDate":"2025-01-01T00:00:00.000+0000","CloseDate":"31/03/2025"}`, "CloseDate", "not a date"},
		{"amount text", `{"Id":"006000000000001AAA","SystemModstamp":"2025-01-01T00:00:00.000+0000","CreatedDate":"2025-01-01T00:00:00.000+0000","CloseDate":"2025-01-01","Amount":"twelve"}`, "Amount", "not a number"},
		{"sub-cent", `{"Id":"006000000000001AAA","SystemModstamp":"2025-01-01T00:00:00.000+0000","CreatedDate":"2025-01-01T00:00:00.000+0000","CloseDate":"2025-01-01","Amount":1.005}`, "Amount", "decimal places"},
		{"duplicate key", `{"Id":"006000000000001AAA","Id":"006000000000002AAA"}`, "(record)", "malformed"},
		{"rfc3339 only", `{"Id":"006000000000001AAA","SystemModstamp":"2025-01-01 00:00:00","CreatedDate":"2025-01-01T00:00:00.000+0000","CloseDate":"2025-01-01"}`, "SystemModstamp", "not a Salesforce datetime"},
		{"bool as string", `{"Id":"006000000000001AAA","SystemModstamp":"2025-01-01T00:00:00.000+0000","CreatedDate":"2025-01-01T00:00:00.000+0000","CloseDate":"2025-01-01","IsWon":"yes"}`, "IsWon", "not a boolean"},
		{"short id", `{"Id":"006","SystemModstamp":"2025-01-01T00:00:00.000+0000","CreatedDate":"2025-01-01T00:00:00.000+0000","CloseDate":"2025-01-01"}`, "Id", "15- or 18-character"},
	}
	d := NewDecoder(Opportunity)
	for _, tt := range tests {
		var row Row
		err := d.DecodeJSON([]byte(tt.rec), &row)
		var fe *FieldError
		if !errors.As(err, &fe) {
			t.Errorf("%s: want FieldError, got %v", tt.name, err)
			continue
		}
		if fe.Field != tt.field || !strings.Contains(fe.Reason, tt.reason) || fe.Object != "Opportunity" {
			t.Errorf("%s: got %v", tt.name, fe)
		}
	}
}

func TestCSVAndJSONAgree(t *testing.T) {
	d := NewDecoder(Opportunity)
	var a, b Row
	if err := d.DecodeJSON([]byte(goodOpp), &a); err != nil {
		t.Fatal(err)
	}
	header := []string{"Id", "SystemModstamp", "CreatedDate", "IsDeleted", "Name", "AccountId", "OwnerId", "StageName", "Amount", "CurrencyIsoCode", "CloseDate", "IsClosed", "IsWon", "Type", "LeadSource", "CampaignId", "Probability"}
	rec := []string{"006000000000001AAA", "2025-03-31T23:59:59.999Z", "2025-01-02T08:00:00.000Z", "false", "Acme renewal", "001000000000001AAA", "005000000000001AAA", "Closed Won", "12500.50", "USD", "2025-03-31", "true", "true", "", "Web", "", "100"}
	if err := d.DecodeCSV(header, rec, &b); err != nil {
		t.Fatal(err)
	}
	for i := range a.Values {
		if a.Values[i] != b.Values[i] {
			t.Errorf("%s: JSON %+v CSV %+v", Opportunity.Fields[i].Name, a.Values[i], b.Values[i])
		}
	}
}

// A LeadHistory row (no SystemModstamp: its stamp column is CreatedDate)
// decodes the same from REST JSON, where anyType values come as strings,
// numbers or booleans, and from Bulk API CSV, where they are cells and
// datetimes end in Z.
func TestDecodeFieldHistoryAnyType(t *testing.T) {
	const created = "2025-02-03T04:05:06.000+0000"
	tests := []struct {
		name, json, csvOld, csvNew, old, new string
		oldNull                              bool
	}{
		{"picklist", `"Open - Not Contacted"`, "Open - Not Contacted", "Working", "Open - Not Contacted", "Working", false},
		{"number", `5000.5`, "5000.5", "7500", "5000.5", "7500", false},
		{"checkbox", `false`, "false", "true", "false", "true", false},
		{"datetime", `"2025-01-01T12:00:00.000+0000"`, "2025-01-01T12:00:00.000Z", "2025-01-02T12:00:00.000Z", "2025-01-01T12:00:00.000+0000", "2025-01-02T12:00:00.000+0000", false},
		{"null", `null`, "", "x", "", "x", true},
	}
	newJSON := map[string]string{"picklist": `"Working"`, "number": `7500`, "checkbox": `true`, "datetime": `"2025-01-02T12:00:00.000+0000"`, "null": `"x"`}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(LeadHistory)
			var rest, bulk Row
			raw := `{"attributes":{"type":"LeadHistory"},"Id":"017000000000001AAA","CreatedDate":"` + created + `","IsDeleted":false,` +
				`"LeadId":"00Q000000000001EAA","Field":"Status","OldValue":` + tc.json + `,"NewValue":` + newJSON[tc.name] + `}`
			if err := d.DecodeJSON([]byte(raw), &rest); err != nil {
				t.Fatal(err)
			}
			header := []string{"Id", "CreatedDate", "IsDeleted", "LeadId", "Field", "OldValue", "NewValue"}
			cells := []string{"017000000000001AAA", "2025-02-03T04:05:06.000Z", "false", "00Q000000000001EAA", "Status", tc.csvOld, tc.csvNew}
			if err := d.DecodeCSV(header, cells, &bulk); err != nil {
				t.Fatal(err)
			}
			for i := range rest.Values {
				if rest.Values[i] != bulk.Values[i] {
					t.Errorf("%s: REST %+v, Bulk %+v", LeadHistory.Fields[i].Name, rest.Values[i], bulk.Values[i])
				}
			}
			want := time.Date(2025, 2, 3, 4, 5, 6, 0, time.UTC)
			if !TimeOfMicros(rest.Modstamp()).Equal(want) {
				t.Errorf("stamp column %v, want CreatedDate %v", TimeOfMicros(rest.Modstamp()), want)
			}
			if old, new := rest.Values[6], rest.Values[7]; old.Null != tc.oldNull || old.S != tc.old || new.S != tc.new {
				t.Errorf("old %+v new %+v, want %q (null %v), %q", old, new, tc.old, tc.oldNull, tc.new)
			}
		})
	}
}
