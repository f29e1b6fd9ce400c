package server

import (
	"encoding/json"
	"fmt"
	"github.com/venn-revops/venn/shared/democrm/orggen"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/venn-revops/venn/shared/crm"
)

// restBody runs a REST query and returns the raw first page.
func restBody(t *testing.T, s *Server, soql string) string {
	t.Helper()
	w := call(s, "GET", "/services/data/v62.0/query?q="+url.QueryEscape(soql), "ok", "")
	if w.Code != 200 {
		t.Fatalf("query %s: %d %s", soql, w.Code, w.Body)
	}
	return w.Body.String()
}

// bulkBody runs a Bulk API 2.0 query job to completion and returns its
// CSV results.
func bulkBody(t *testing.T, s *Server, soql string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"operation": "query", "query": soql})
	req := httptest.NewRequest("POST", "/services/data/v62.0/jobs/query", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer ok")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	var job struct{ ID string }
	if err := json.Unmarshal(w.Body.Bytes(), &job); err != nil || job.ID == "" {
		t.Fatalf("create job: %s", w.Body)
	}
	for range 2 {
		call(s, "GET", "/services/data/v62.0/jobs/query/"+job.ID, "ok", "")
	}
	res := call(s, "GET", "/services/data/v62.0/jobs/query/"+job.ID+"/results", "ok", "")
	if res.Code != 200 {
		t.Fatalf("results: %d %s", res.Code, res.Body)
	}
	return res.Body.String()
}

// checksum is the 3-character Id suffix, computed here independently of
// ids.go: for each 5-character chunk, the sum of 2^i over its uppercase
// letters, as a character of A-Z0-5.
func checksum(id15 string) string {
	out := ""
	for c := 0; c < 3; c++ {
		v := 0
		for i, r := range id15[c*5 : c*5+5] {
			if strings.ContainsRune("ABCDEFGHIJKLMNOPQRSTUVWXYZ", r) {
				v += 1 << i
			}
		}
		out += string("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"[v])
	}
	return out
}

func TestDefects(t *testing.T) {
	org := orggen.Generate(orggen.Config{Seed: 3, Leads: 60, Malformed: -1})
	s := New(org)
	s.tokens["ok"] = true
	var opp *crm.Row
	_ = org.Each(crm.Opportunity, func(r *crm.Row) error {
		if opp == nil && !r.Values[crm.Opportunity.Column("amount")].Null {
			opp = r
		}
		return nil
	})
	id := opp.ID()
	name := opp.Values[crm.Opportunity.Column("name")].S
	stage := opp.Values[crm.Opportunity.Column("stage_name")].S
	soql := "SELECT Id, Name, StageName, Amount, OwnerId FROM Opportunity WHERE Id = '" + id + "'"
	wrongPrefix := "00Q" + id[3:15]
	wrongPrefix += checksum(wrongPrefix)

	tests := []struct {
		d          orggen.Defect
		rest, bulk []string // fragments the answer must contain
		restNot    []string // fragments it must not contain
		copies     int      // records of the Id on each wire (default 1)
	}{
		{d: orggen.Defect{Kind: orggen.DefectBadValue}, rest: []string{`"Amount":"n/a"`}, bulk: []string{`"n/a"`}},
		{d: orggen.Defect{Kind: orggen.DefectBadValue, Field: "CloseDate"}, rest: []string{`"Name":"` + name + `"`}}, // not selected: no effect
		{d: orggen.Defect{Kind: orggen.DefectNullValue, Field: "StageName"}, rest: []string{`"StageName":null`}, restNot: []string{stage}},
		{d: orggen.Defect{Kind: orggen.DefectNullValue}, rest: []string{`"OwnerId":null`}},
		{d: orggen.Defect{Kind: orggen.DefectNullValue, Field: "Id"}, rest: []string{`"Id":null`, `/sobjects/Opportunity"}`}, restNot: []string{id}},
		{d: orggen.Defect{Kind: orggen.DefectInvalidUTF8}, rest: []string{`"Name":"` + name + "\xff\xfe\""}, bulk: []string{`"` + name + "\xff\xfe\""}},
		{d: orggen.Defect{Kind: orggen.DefectLoneSurrogate}, rest: []string{`"Name":"` + name + `\ud800"`}, bulk: []string{`"` + name + "\xed\xa0\x80\""}},
		{d: orggen.Defect{Kind: orggen.DefectDuplicateKey}, rest: []string{`"Name":"` + name + `","Name":"` + name + ` (stale copy)"`}, bulk: []string{`"` + name + `"`}},
		{d: orggen.Defect{Kind: orggen.DefectNotAnObject}, rest: []string{`"records":["` + id + `"]`}},
		{d: orggen.Defect{Kind: orggen.DefectBadChecksum}, restNot: []string{id}, rest: []string{`"Id":"` + id[:15]}},
		{d: orggen.Defect{Kind: orggen.DefectWrongPrefix}, rest: []string{`"Id":"` + wrongPrefix + `"`}, bulk: []string{`"` + wrongPrefix + `"`}},
		{d: orggen.Defect{Kind: orggen.DefectHyphenID}, rest: []string{`"Id":"` + id[:9] + "-" + id[10:] + `"`}},
		{d: orggen.Defect{Kind: orggen.DefectShortID}, rest: []string{`"Id":"` + id[:15] + `"`}, bulk: []string{`"` + id[:15] + `"`}, restNot: []string{id}},
		{d: orggen.Defect{Kind: orggen.DefectWrongType}, rest: []string{`"type":"Lead"`}},
		{d: orggen.Defect{Kind: orggen.DefectSameStampCopy, Field: "Name"}, rest: []string{`"Name":"` + name + ` (stale copy)"`}, copies: 2},
		{d: orggen.Defect{Kind: orggen.DefectCSVQuoting}, rest: []string{`"Name":"` + name + `"`}, bulk: []string{`"` + name + `"x"`}},
		{d: orggen.Defect{Kind: orggen.DefectCSVColumns}, bulk: []string{`,"extra"` + "\n"}},
	}
	for _, tc := range tests {
		t.Run(tc.d.Kind.String()+tc.d.Field, func(t *testing.T) {
			if err := org.Corrupt(crm.Opportunity, id, tc.d); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = org.Repair(crm.Opportunity, id) }()
			rest, bulk := restBody(t, s, soql), bulkBody(t, s, soql)
			for _, f := range tc.rest {
				if !strings.Contains(rest, f) {
					t.Errorf("REST %q lacks %q", rest, f)
				}
			}
			for _, f := range tc.restNot {
				if strings.Contains(rest, f) {
					t.Errorf("REST %q has %q", rest, f)
				}
			}
			for _, f := range tc.bulk {
				if !strings.Contains(bulk, f) {
					t.Errorf("Bulk %q lacks %q", bulk, f)
				}
			}
			want := max(tc.copies, 1)
			if n := strings.Count(rest, `"attributes"`) + strings.Count(rest, `["`+id+`"]`); n != want {
				t.Errorf("REST carries %d records, want %d: %s", n, want, rest)
			}
			if n := strings.Count(bulk, "\n") - 1; n != want {
				t.Errorf("Bulk carries %d rows, want %d: %s", n, want, bulk)
			}
			if tc.copies == 2 {
				first, second := strings.Index(rest, "(stale copy)"), strings.LastIndex(rest, `"Name":"`+name+`"`)
				if first < 0 || second < first {
					t.Errorf("the stale copy must come first, the true record second: %s", rest)
				}
			}
			mal := org.Malformed()
			if len(mal) != 1 || mal[0].ID != id || mal[0].Kind != tc.d.Kind || !mal[0].Live {
				t.Errorf("Malformed() = %+v", mal)
			}
		})
	}
	// Repaired: the record is served as it is, and the truth never changed.
	rest := restBody(t, s, soql)
	if !strings.Contains(rest, `"Id":"`+id+`","Name":"`+name+`","StageName":"`+stage+`"`) || len(org.Malformed()) != 0 {
		t.Fatalf("after Repair: %s; malformed %v", rest, org.Malformed())
	}
}

// TestDefectPaging checks a SameStampCopy pair split by a page boundary:
// the stale copy ends one page and the true record starts the next.
func TestDefectPaging(t *testing.T) {
	org := orggen.Generate(orggen.Config{Seed: 3, Leads: 400, Malformed: -1})
	s := New(org, WithPageSize(200))
	s.tokens["ok"] = true
	var ids []string
	_ = org.Each(crm.Lead, func(r *crm.Row) error { ids = append(ids, r.ID()); return nil })
	id := ids[199] // last of the first page in Id order
	if err := org.Corrupt(crm.Lead, id, orggen.Defect{Kind: orggen.DefectSameStampCopy}); err != nil {
		t.Fatal(err)
	}
	var page struct {
		NextRecordsURL string
		Records        []map[string]any
	}
	body := restBody(t, s, "SELECT Id, FirstName FROM Lead ORDER BY Id")
	if err := json.Unmarshal([]byte(body), &page); err != nil {
		t.Fatal(err)
	}
	last := page.Records[len(page.Records)-1]
	w := call(s, "GET", page.NextRecordsURL, "ok", "")
	var page2 struct{ Records []map[string]any }
	if err := json.Unmarshal(w.Body.Bytes(), &page2); err != nil {
		t.Fatal(err)
	}
	first := page2.Records[0]
	if last["Id"] != id || first["Id"] != id || !strings.HasSuffix(fmt.Sprint(last["FirstName"]), "(stale copy)") || strings.Contains(fmt.Sprint(first["FirstName"]), "stale") {
		t.Fatalf("page 1 ends with %v, page 2 starts with %v", last, first)
	}
}

func TestBodyFaults(t *testing.T) {
	org := orggen.Generate(orggen.Config{Seed: 3, Leads: 40, Malformed: -1})
	s := New(org)
	s.tokens["ok"] = true
	good := restBody(t, s, "SELECT Id FROM Lead")
	s.Inject(Fault{Route: RoutePages, Body: BodyTruncated})
	w := call(s, "GET", "/services/data/v62.0/query?q="+url.QueryEscape("SELECT Id FROM Lead"), "ok", "")
	if w.Code != 200 || w.Body.Len() != len(good)/2 || !strings.HasPrefix(good, w.Body.String()) || json.Valid(w.Body.Bytes()) {
		t.Errorf("truncated: %d, %d of %d bytes", w.Code, w.Body.Len(), len(good))
	}
	s.Inject(Fault{Route: RouteBulkResults, Body: BodyNotJSON})
	bulk := bulkBody(t, s, "SELECT Id FROM Lead")
	if !strings.HasPrefix(bulk, "<html>") {
		t.Errorf("not JSON: %q", bulk)
	}
	if again := restBody(t, s, "SELECT Id FROM Lead"); again != good {
		t.Error("a body fault fired more than Times")
	}
	if c := s.Counts(); c.Faults != 2 {
		t.Errorf("faults counted %d, want 2", c.Faults)
	}
}
