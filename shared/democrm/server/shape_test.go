package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"github.com/venn-revops/venn/shared/democrm/orggen"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/venn-revops/venn/shared/crm"
)

type describeBody struct {
	Name   string
	Custom bool
	Fields []struct {
		Name, Type, SoapType                string
		Length, Precision, Scale, Digits    int
		Nillable, Custom, Calculated        bool
		Updateable                          bool
		ReferenceTo                         []string
		CompoundFieldName, RelationshipName *string
	}
}

func describeOver(t *testing.T, s *Server, obj string) (describeBody, int) {
	t.Helper()
	w := call(s, "GET", "/services/data/v62.0/sobjects/"+obj+"/describe", "ok", "")
	var d describeBody
	if w.Code == 200 {
		if err := json.Unmarshal(w.Body.Bytes(), &d); err != nil {
			t.Fatalf("describe %s: %v", obj, err)
		}
	}
	return d, w.Code
}

func (d describeBody) names() []string {
	var out []string
	for _, f := range d.Fields {
		out = append(out, f.Name)
	}
	return out
}

func TestShapes(t *testing.T) {
	shape := orggen.Shape{
		Omit:   []string{"OpportunitySplit", "OpportunityHistory"},
		Fields: orggen.RenamedCustomFields(),
		Extra:  orggen.ExampleExtraFields(),
		Custom: []orggen.CustomObject{orggen.ExampleCustomObject()},
	}
	shape.Fields["Lead"]["SQL_Date__c"] = "" // this org also lacks one field
	org := orggen.Generate(orggen.Config{Seed: 4, Leads: 200, Malformed: -1, Shape: shape})
	std := orggen.Generate(orggen.Config{Seed: 4, Leads: 200, Malformed: -1})
	s := New(org)
	s.tokens["ok"] = true

	// Omitted objects: describe 404, query 400 INVALID_TYPE, as Salesforce.
	for _, obj := range []string{"OpportunitySplit", "OpportunityHistory"} {
		if _, code := describeOver(t, s, obj); code != 404 {
			t.Errorf("describe %s: %d, want 404", obj, code)
		}
		w := call(s, "GET", "/services/data/v62.0/query?q="+url.QueryEscape("SELECT Id FROM "+obj), "ok", "")
		if w.Code != 400 || errorCode(t, w) != "INVALID_TYPE" {
			t.Errorf("query %s: %d %s", obj, w.Code, w.Body)
		}
		if _, ok := org.Object(obj); ok {
			t.Errorf("Object(%s) found", obj)
		}
	}

	// Renamed, missing and extra fields in describe.
	d, _ := describeOver(t, s, "Lead")
	names := d.names()
	for _, want := range []string{"Market_Segment__c", "Sales_Region__c", "MQL_Timestamp__c", "Score__c", "Name"} {
		if !slices.Contains(names, want) {
			t.Errorf("Lead describe lacks %s: %v", want, names)
		}
	}
	for _, gone := range []string{"Segment__c", "Region__c", "MQL_Date__c", "SQL_Date__c", "SQL_Timestamp__c", ""} {
		if slices.Contains(names, gone) {
			t.Errorf("Lead describe has %q: %v", gone, names)
		}
	}
	if d, _ := describeOver(t, s, "User"); !slices.Contains(d.names(), "Sales_Team__c") || !slices.Contains(d.names(), "Cost_Centre__c") {
		t.Errorf("User describe: %v", d.names())
	}
	od, _ := describeOver(t, s, "Opportunity")
	if i := slices.Index(od.names(), "Forecast_Category__c"); i < 0 || !od.Fields[i].Calculated || od.Fields[i].Updateable || od.Fields[i].Type != "picklist" {
		t.Errorf("formula field: %+v", od.Fields)
	}

	// The wire uses the org's names; the old names are INVALID_FIELD.
	w := call(s, "GET", "/services/data/v62.0/query?q="+url.QueryEscape("SELECT Id, Segment__c FROM Lead"), "ok", "")
	if w.Code != 400 || errorCode(t, w) != "INVALID_FIELD" {
		t.Errorf("old name: %d %s", w.Code, w.Body)
	}
	body := restBody(t, s, "SELECT Id, Market_Segment__c, MQL_Timestamp__c, Score__c FROM Lead LIMIT 5")
	if !strings.Contains(body, `"Market_Segment__c":"`) || !strings.Contains(body, `"Score__c":`) {
		t.Errorf("renamed/extra fields on the wire: %s", body)
	}
	csv := bulkBody(t, s, "SELECT Id, Market_Segment__c FROM Lead LIMIT 1")
	if !strings.HasPrefix(csv, `"Id","Market_Segment__c"`+"\n") {
		t.Errorf("Bulk header: %q", csv)
	}

	// The truth keeps the registry layout: renamed fields hold the
	// standard org's values, a missing field is null, extras follow.
	lead, _ := org.Object("Lead")
	if len(lead.Fields) != len(crm.Lead.Fields)+1 || lead.Fields[crm.Lead.Column("segment")].Name != "Market_Segment__c" ||
		lead.Fields[crm.Lead.Column("sql_date")].Name != "" || lead.Fields[len(lead.Fields)-1].Column != "score" {
		t.Fatalf("Object(Lead) = %+v", lead.Fields)
	}
	var shaped, plain []*crm.Row
	_ = org.Each(crm.Lead, func(r *crm.Row) error { shaped = append(shaped, r); return nil })
	_ = std.Each(crm.Lead, func(r *crm.Row) error { plain = append(plain, r); return nil })
	scores := map[int64]bool{}
	sqlSet := 0
	for k := range plain {
		for i := range crm.Lead.Fields {
			want := plain[k].Values[i]
			if crm.Lead.Fields[i].Name == "SQL_Date__c" {
				if !want.Null {
					sqlSet++
				}
				want = crm.Value{Null: true}
			}
			if shaped[k].Values[i] != want {
				t.Fatalf("lead %d field %s: %+v, want %+v", k, crm.Lead.Fields[i].Name, shaped[k].Values[i], want)
			}
		}
		if v := shaped[k].Values[len(crm.Lead.Fields)]; !v.Null {
			scores[v.I] = true
			if v.I < 0 || v.I > 100 {
				t.Fatalf("Score__c %d out of 0..100", v.I)
			}
		}
	}
	if sqlSet == 0 || len(scores) < 20 {
		t.Errorf("the test should see SQL dates nulled (%d) and varied scores (%d)", sqlSet, len(scores))
	}

	// A custom object: described, queried, and in the truth.
	sub, ok := org.Object("Subscription__c")
	if !ok || !sub.SoftDelete || sub.Fields[0].Name != "Id" || sub.Fields[1].Name != "SystemModstamp" {
		t.Fatalf("Subscription__c: %+v", sub)
	}
	if d, code := describeOver(t, s, "Subscription__c"); code != 200 || !d.Custom || !slices.Contains(d.names(), "MRR__c") {
		t.Errorf("describe Subscription__c: %d %+v", code, d)
	}
	var subs []string
	_ = org.Each(sub, func(r *crm.Row) error { subs = append(subs, r.ID()); return nil })
	if len(subs) != 20 || !strings.HasPrefix(subs[0], "a0S") {
		t.Fatalf("Subscription__c records: %d %v", len(subs), subs[:1])
	}
	body = restBody(t, s, "SELECT Id, Status__c, MRR__c FROM Subscription__c WHERE Id = '"+subs[3]+"'")
	if !strings.Contains(body, `"totalSize":1`) || !strings.Contains(body, `"type":"Subscription__c"`) {
		t.Errorf("query Subscription__c: %s", body)
	}
	if err := org.Update(sub, subs[3], map[string]any{"Status__c": "Cancelled"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(restBody(t, s, "SELECT Status__c FROM Subscription__c WHERE Id = '"+subs[3]+"'"), `"Status__c":"Cancelled"`) {
		t.Error("update of a custom object not served")
	}
	var global struct{ Sobjects []struct{ Name string } }
	w = call(s, "GET", "/services/data/v62.0/sobjects/", "ok", "")
	_ = json.Unmarshal(w.Body.Bytes(), &global)
	var objs []string
	for _, o := range global.Sobjects {
		objs = append(objs, o.Name)
	}
	if len(objs) != len(crm.Objects)-1 || slices.Contains(objs, "OpportunitySplit") || objs[len(objs)-1] != "Subscription__c" {
		t.Errorf("global describe: %v", objs)
	}
	// Registry names still work for mutations, and the same config makes
	// the same org.
	if err := org.Update(crm.Lead, shaped[0].ID(), map[string]any{"Segment__c": "Enterprise", "Score__c": 99}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(restBody(t, s, "SELECT Market_Segment__c, Score__c FROM Lead WHERE Id = '"+shaped[0].ID()+"'"), `"Market_Segment__c":"Enterprise","Score__c":99`) {
		t.Error("update by registry name not served under the org's name")
	}
}

func TestDescribeDetails(t *testing.T) {
	s := New(orggen.Generate(orggen.Config{Seed: 1, Leads: 5}))
	s.tokens["ok"] = true
	d, _ := describeOver(t, s, "Opportunity")
	field := func(name string) int {
		i := slices.Index(d.names(), name)
		if i < 0 {
			t.Fatalf("no %s", name)
		}
		return i
	}
	// Salesforce's values for these standard fields.
	checks := []struct {
		name, typ, soap          string
		length, precision, scale int
		nillable, updateable     bool
		refTo                    string
	}{
		{"Id", "id", "tns:ID", 18, 0, 0, false, false, ""},
		{"AccountId", "reference", "tns:ID", 18, 0, 0, true, true, "Account"},
		{"Amount", "currency", "xsd:double", 0, 18, 2, true, true, ""},
		{"Probability", "percent", "xsd:double", 0, 3, 0, true, true, ""},
		{"Name", "string", "xsd:string", 120, 0, 0, true, true, ""},
		{"CloseDate", "date", "xsd:date", 0, 0, 0, false, true, ""},
		{"SystemModstamp", "datetime", "xsd:dateTime", 0, 0, 0, false, false, ""},
		{"IsWon", "boolean", "xsd:boolean", 0, 0, 0, false, false, ""},
	}
	for _, c := range checks {
		f := d.Fields[field(c.name)]
		if f.Type != c.typ || f.SoapType != c.soap || f.Length != c.length || f.Precision != c.precision || f.Scale != c.scale ||
			f.Updateable != c.updateable || (c.refTo != "" && !slices.Equal(f.ReferenceTo, []string{c.refTo})) {
			t.Errorf("%s: %+v", c.name, f)
		}
		if c.name != "Name" && f.Nillable != c.nillable {
			t.Errorf("%s nillable %v, want %v", c.name, f.Nillable, c.nillable)
		}
	}
	if f := d.Fields[field("AccountId")]; f.RelationshipName == nil || *f.RelationshipName != "Account" {
		t.Errorf("AccountId relationship: %+v", f.RelationshipName)
	}
	ld, _ := describeOver(t, s, "Lead")
	i := slices.Index(ld.names(), "FirstName")
	if i < 0 || ld.Fields[i].CompoundFieldName == nil || *ld.Fields[i].CompoundFieldName != "Name" || !slices.Contains(ld.names(), "Name") {
		t.Errorf("Lead compound Name: %v", ld.names())
	}
}

func TestLeadCompoundName(t *testing.T) {
	org := orggen.Generate(orggen.Config{Seed: 1, Leads: 5, Malformed: -1})
	s := New(org)
	s.tokens["ok"] = true
	var first, last, id string
	_ = org.Each(crm.Lead, func(r *crm.Row) error {
		if id == "" {
			id, first, last = r.ID(), r.Values[crm.Lead.Column("first_name")].S, r.Values[crm.Lead.Column("last_name")].S
		}
		return nil
	})
	soql := "SELECT Id, Name FROM Lead WHERE Id = '" + id + "'"
	if body := restBody(t, s, soql); !strings.Contains(body, `"Name":"`+first+" "+last+`"`) {
		t.Errorf("REST Name: %s", body)
	}
	if csv := bulkBody(t, s, soql); !strings.Contains(csv, `"Id","Name"`+"\n") || !strings.Contains(csv, `"`+first+" "+last+`"`) {
		t.Errorf("Bulk Name: %q", csv)
	}
	w := call(s, "GET", "/services/data/v62.0/query?q="+url.QueryEscape("SELECT Name FROM Account LIMIT 1"), "ok", "")
	if w.Code != 200 {
		t.Errorf("Account.Name is a real field: %d", w.Code)
	}
}

func TestBulkJobInfo(t *testing.T) {
	s := New(orggen.Generate(orggen.Config{Seed: 1, Leads: 5, Malformed: -1}))
	s.tokens["ok"] = true
	body := bulkBody(t, s, "SELECT Id FROM Lead")
	var id string
	s.mu.Lock()
	for k := range s.jobs {
		id = k
	}
	s.mu.Unlock()
	w := call(s, "GET", "/services/data/v62.0/jobs/query/"+id, "ok", "")
	raw := w.Body.String()
	// apiVersion is a JSON number written with its decimal, as Salesforce does.
	for _, want := range []string{`"apiVersion":62.0`, `"jobType":"V2Query"`, `"retries":0`, `"numberRecordsProcessed":5`, `"concurrencyMode":"Parallel"`,
		`"contentType":"CSV"`, `"lineEnding":"LF"`, `"columnDelimiter":"COMMA"`, `"state":"JobComplete"`, `"totalProcessingTime":`, `"operation":"query"`, `"object":"Lead"`} {
		if !strings.Contains(raw, want) {
			t.Errorf("job info %s lacks %s", raw, want)
		}
	}
	if strings.Count(body, "\n") != 6 {
		t.Errorf("results: %q", body)
	}
	// Abort: only before completion.
	w = call(s, "PATCH", "/services/data/v62.0/jobs/query/"+id, "ok", `{"state":"Aborted"}`)
	if w.Code != 400 || errorCode(t, w) != "INVALIDJOBSTATE" {
		t.Errorf("abort of a complete job: %d %s", w.Code, w.Body)
	}
}

func TestTokenSignature(t *testing.T) {
	s := New(orggen.Generate(orggen.Config{Seed: 1, Leads: 5}), WithClientCredentials("app", "s3cret"))
	w := call(s, "POST", "/services/oauth2/token", "", "grant_type=client_credentials&client_id=app&client_secret=s3cret")
	var tok struct{ ID, IssuedAt, Signature string }
	var raw map[string]string
	_ = json.Unmarshal(w.Body.Bytes(), &raw)
	tok.ID, tok.IssuedAt, tok.Signature = raw["id"], raw["issued_at"], raw["signature"]
	sig, err := base64.StdEncoding.DecodeString(tok.Signature)
	if err != nil || len(sig) != 32 {
		t.Fatalf("signature %q: %d bytes, %v", tok.Signature, len(sig), err)
	}
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write([]byte(tok.ID + tok.IssuedAt))
	if !hmac.Equal(sig, mac.Sum(nil)) {
		t.Error("signature is not HMAC-SHA256(secret, id+issued_at)")
	}
}
