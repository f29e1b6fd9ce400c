package server

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/democrm/orggen"
)

// sObject Collections update: each record on its own (allOrNone false),
// results in request order; requests the demo CRM does not serve are
// refused whole with Salesforce's error codes.
func TestCompositeUpdate(t *testing.T) {
	org := orggen.Generate(orggen.Config{Seed: 1, Leads: 5, Malformed: -1, Shape: orggen.Shape{Extra: map[string][]orggen.ExtraField{"Lead": {{Name: "Venn_Score__c", Type: crm.Int}}}}})
	s := New(org)
	s.tokens["ok"] = true
	var ids []string
	_ = org.Each(crm.Lead, func(r *crm.Row) error { ids = append(ids, r.ID()); return nil })
	const path = "/services/data/v62.0/composite/sobjects"

	body := fmt.Sprintf(`{"allOrNone":false,"records":[
		{"attributes":{"type":"Lead"},"id":%q,"Venn_Score__c":73},
		{"attributes":{"type":"Lead"},"id":%q,"No_Such_Field__c":1},
		{"attributes":{"type":"Lead"},"id":"00Q5g00000ZZZZZZZZ","Venn_Score__c":5},
		{"attributes":{"type":"Widget__c"},"id":%q}]}`, ids[0], ids[1], ids[2])
	w := call(s, "PATCH", path, "ok", body)
	var res []saveResult
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &res) != nil || len(res) != 4 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	wantCode := []string{"", "INVALID_FIELD", "", "INVALID_TYPE"}
	for i, r := range res {
		if r.Success != (i == 0) || (wantCode[i] != "" && (len(r.Errors) != 1 || r.Errors[0].StatusCode != wantCode[i])) {
			t.Errorf("record %d: %+v, want success %v, code %q", i, r, i == 0, wantCode[i])
		}
	}
	if s.Counts().CompositeUpdate != 1 {
		t.Errorf("counted %d composite updates", s.Counts().CompositeUpdate)
	}
	lead, _ := org.Object("Lead")
	_ = org.Each(lead, func(r *crm.Row) error {
		if r.ID() == ids[0] && r.Values[len(r.Values)-1].I != 73 {
			t.Errorf("lead %s: Venn_Score__c %+v after the update, want 73", ids[0], r.Values[len(r.Values)-1])
		}
		return nil
	})

	many := `{"allOrNone":false,"records":[` + strings.Repeat(`{"attributes":{"type":"Lead"},"id":"x"},`, 200) + `{"attributes":{"type":"Lead"},"id":"x"}]}`
	for _, c := range []struct{ name, body, code string }{
		{"allOrNone", `{"allOrNone":true,"records":[{"attributes":{"type":"Lead"},"id":"x"}]}`, "FEATURE_NOT_ENABLED"},
		{"201 records", many, "EXCEEDED_ID_LIMIT"},
		{"no records", `{"allOrNone":false,"records":[]}`, "INVALID_FIELD"},
		{"not JSON", `{"records":`, "JSON_PARSER_ERROR"},
	} {
		if w := call(s, "PATCH", path, "ok", c.body); w.Code != 400 || errorCode(t, w) != c.code {
			t.Errorf("%s: %d %s, want 400 %s", c.name, w.Code, w.Body, c.code)
		}
	}
}
