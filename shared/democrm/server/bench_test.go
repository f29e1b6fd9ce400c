package server

import (
	"encoding/json"
	"github.com/venn-revops/venn/shared/democrm/orggen"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/venn-revops/venn/shared/crm"
)

func BenchmarkGenerate100kLeads(b *testing.B) {
	for b.Loop() {
		orggen.Generate(orggen.Config{Seed: 1, Leads: 100_000})
	}
	b.ReportMetric(float64(100_000*b.N)/b.Elapsed().Seconds(), "leads/s")
}

// BenchmarkServeLeads measures serving REST query pages of 2000 leads (all
// registry fields) from a million-lead org: the cost the extract benchmark
// pays per page on the server side.
func BenchmarkServeLeads(b *testing.B) {
	org := orggen.Generate(orggen.Config{Seed: 1, Leads: 1_000_000})
	s := New(org)
	s.tokens["bench"] = true
	get := func(path string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer bench")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("%s: %d %s", path, w.Code, w.Body.String())
		}
		return w
	}
	q := "SELECT " + strings.Join(crm.Lead.FieldNames(), ", ") + " FROM Lead ORDER BY SystemModstamp, Id"
	first := get("/services/data/v62.0/query?q=" + url.QueryEscape(q))
	var page struct {
		NextRecordsURL string `json:"nextRecordsUrl"`
	}
	if err := json.Unmarshal(first.Body.Bytes(), &page); err != nil {
		b.Fatal(err)
	}
	locator := page.NextRecordsURL[:strings.LastIndexByte(page.NextRecordsURL, '-')]
	bytes := 0
	i := 0
	for b.Loop() {
		offset := 2000 * (1 + i%498)
		i++
		w := get(locator + "-" + itoa(offset))
		bytes += w.Body.Len()
	}
	b.ReportMetric(float64(2000*b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(bytes)/float64(b.N), "bytes/page")
}

func itoa(n int) string { return strconv.Itoa(n) }
