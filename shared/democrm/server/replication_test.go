package server

import (
	"encoding/json"
	"github.com/venn-revops/venn/shared/democrm/orggen"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/crm"
)

func liveIDs(o *orggen.Org, obj *crm.Object, all bool) []string {
	var ids []string
	each := o.Each
	if all {
		each = o.EachAll
	}
	_ = each(obj, func(r *crm.Row) error { ids = append(ids, r.ID()); return nil })
	return ids
}

func TestReplicationEndpoints(t *testing.T) {
	o := orggen.Generate(orggen.Config{Seed: 2, Leads: 50, Malformed: -1})
	s := New(o)
	s.tokens["ok"] = true
	t0 := orggen.DefaultAsOf.Add(time.Hour)
	o.SetClock(t0)
	id := liveIDs(o, crm.Lead, false)[0]
	if err := o.Delete(crm.Lead, id); err != nil {
		t.Fatal(err)
	}
	o.SetClock(t0.Add(time.Hour))
	q := "?start=" + url.QueryEscape("2026-11-20T02:00:00+00:00") + "&end=" + url.QueryEscape("2026-11-20T04:00:00Z")
	w := call(s, "GET", "/services/data/v62.0/sobjects/Lead/deleted/"+q, "ok", "")
	var del struct {
		DeletedRecords []struct {
			ID          string `json:"id"`
			DeletedDate string `json:"deletedDate"`
		} `json:"deletedRecords"`
		EarliestDateAvailable string `json:"earliestDateAvailable"`
		LatestDateCovered     string `json:"latestDateCovered"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &del); err != nil || w.Code != 200 {
		t.Fatalf("getDeleted: %d %s", w.Code, w.Body)
	}
	if len(del.DeletedRecords) != 1 || del.DeletedRecords[0].ID != id || del.DeletedRecords[0].DeletedDate != "2026-11-20T03:00:00.000+0000" ||
		del.EarliestDateAvailable != "2025-07-01T00:00:00.000+0000" || del.LatestDateCovered != "2026-11-20T04:00:00.000+0000" {
		t.Fatalf("getDeleted: %s", w.Body)
	}
	w = call(s, "GET", "/services/data/v62.0/sobjects/Lead/updated/"+q, "ok", "")
	var upd struct {
		IDs               []string `json:"ids"`
		LatestDateCovered string   `json:"latestDateCovered"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &upd); err != nil || w.Code != 200 || upd.IDs == nil || slices.Contains(upd.IDs, id) {
		t.Fatalf("getUpdated: %d %s (a deleted record is not updated)", w.Code, w.Body)
	}
	for _, tc := range []struct{ path, code string }{
		{"/services/data/v62.0/sobjects/Lead/deleted/?start=yesterday&end=" + url.QueryEscape("2026-11-20T04:00:00Z"), "INVALID_REPLICATION_DATE"},
		{"/services/data/v62.0/sobjects/Lead/deleted/?end=" + url.QueryEscape("2026-11-20T04:00:00Z"), "MISSING_ARGUMENT"},
		{"/services/data/v62.0/sobjects/Widget__c/deleted/" + q, "NOT_FOUND"},
		{"/services/data/v62.0/sobjects/Lead/updated/?start=" + url.QueryEscape("2026-10-01T00:00:00Z") + "&end=" + url.QueryEscape("2026-11-20T04:00:00Z"), "INVALID_REPLICATION_DATE"},
	} {
		w := call(s, "GET", tc.path, "ok", "")
		if code := errorCode(t, w); code != tc.code {
			t.Errorf("%s: %d %s, want %s", tc.path, w.Code, w.Body, tc.code)
		}
	}
	if c := s.Counts(); c.GetDeleted != 4 || c.GetUpdated != 2 {
		t.Errorf("counts %+v", c)
	}
}

func TestVersionsAndBulkDelete(t *testing.T) {
	s := New(orggen.Generate(orggen.Config{Seed: 1, Leads: 5}))
	w := call(s, "GET", "/services/data/", "", "")
	var versions []struct{ Label, URL, Version string }
	if err := json.Unmarshal(w.Body.Bytes(), &versions); err != nil || w.Code != 200 {
		t.Fatalf("versions: %d %s", w.Code, w.Body)
	}
	last := versions[len(versions)-1]
	if last.Version != "62.0" || last.URL != "/services/data/v62.0" || last.Label != "Winter '25" {
		t.Errorf("latest version %+v", last)
	}
	if i := slices.IndexFunc(versions, func(v struct{ Label, URL, Version string }) bool { return v.Version == "59.0" }); i < 0 || versions[i].Label != "Winter '24" {
		t.Errorf("v59.0 should be Winter '24: %+v", versions)
	}
	s.tokens["ok"] = true
	if w := call(s, "GET", "/services/data/v99.0/limits", "ok", ""); w.Code != 404 {
		t.Errorf("unknown version: %d", w.Code)
	}
	body := bulkBody(t, s, "SELECT Id FROM Lead")
	_ = body
	s.mu.Lock()
	var id string
	for k := range s.jobs {
		id = k
	}
	s.mu.Unlock()
	if w := call(s, "DELETE", "/services/data/v62.0/jobs/query/"+id, "ok", ""); w.Code != 204 {
		t.Fatalf("delete job: %d %s", w.Code, w.Body)
	}
	if w := call(s, "GET", "/services/data/v62.0/jobs/query/"+id, "ok", ""); w.Code != 404 {
		t.Fatalf("poll after delete: %d", w.Code)
	}
	if w := call(s, "DELETE", "/services/data/v62.0/jobs/query/"+id, "ok", ""); w.Code != 404 {
		t.Fatalf("second delete: %d", w.Code)
	}
}
