package server

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"github.com/venn-revops/venn/shared/democrm/orggen"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// call sends one request straight to the handler.
func call(s *Server, method, path, token, body string) *httptest.ResponseRecorder {
	var req *http.Request
	if body != "" {
		req = httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	return w
}

func errorCode(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var body []struct{ ErrorCode string }
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || len(body) != 1 {
		t.Fatalf("error body %s is not Salesforce's error array", w.Body)
	}
	return body[0].ErrorCode
}

func TestServerErrorsAndLimits(t *testing.T) {
	s := New(orggen.Generate(orggen.Config{Seed: 1, Leads: 30}), WithDailyLimit(2))
	q := "/services/data/v62.0/query?q=" + url.QueryEscape("SELECT Id FROM Lead")
	tests := []struct {
		name, method, path, token string
		status                    int
		code                      string
	}{
		{"no session", "GET", q, "", 401, "INVALID_SESSION_ID"},
		{"unknown session", "GET", q, "forged", 401, "INVALID_SESSION_ID"},
		{"unknown resource", "GET", "/services/data/v62.0/widgets", "ok", 404, "NOT_FOUND"},
		{"unknown locator", "GET", "/services/data/v62.0/query/01gXYZ-2000", "ok", 400, "INVALID_QUERY_LOCATOR"},
		{"unknown job", "GET", "/services/data/v62.0/jobs/query/750000000000001", "ok", 404, "NOT_FOUND"},
		{"daily limit spent", "GET", q, "ok", 403, "REQUEST_LIMIT_EXCEEDED"},
	}
	s.tokens["ok"] = true
	for _, tc := range tests {
		w := call(s, tc.method, tc.path, tc.token, "")
		if w.Code != tc.status || errorCode(t, w) != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, w.Code, w.Body, tc.status, tc.code)
		}
		if tc.path != "/services/data/v62.0/widgets" && !strings.HasPrefix(w.Header().Get("Sforce-Limit-Info"), "api-usage=") {
			t.Errorf("%s: no Sforce-Limit-Info header", tc.name)
		}
	}
	// Unauthenticated and unrouted requests are not API calls; the two
	// 400/404 answers were, and the third call went over the allocation.
	if used, max := s.APIUsage(); used != 3 || max != 2 {
		t.Errorf("usage %d/%d, want 3/2", used, max)
	}
}

func TestServerEvictsOldCursors(t *testing.T) {
	s := New(orggen.Generate(orggen.Config{Seed: 1, Leads: 500}), WithPageSize(10))
	s.tokens["ok"] = true
	q := "/services/data/v62.0/query?q=" + url.QueryEscape("SELECT Id FROM Lead")
	var next []string
	for range maxOpen + 1 {
		var page struct{ NextRecordsURL string }
		w := call(s, "GET", q, "ok", "")
		if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil || page.NextRecordsURL == "" {
			t.Fatalf("first page: %s", w.Body)
		}
		next = append(next, page.NextRecordsURL)
	}
	if w := call(s, "GET", next[0], "ok", ""); w.Code != 400 || errorCode(t, w) != "INVALID_QUERY_LOCATOR" {
		t.Fatalf("the oldest cursor should be evicted: %d %s", w.Code, w.Body)
	}
	if w := call(s, "GET", next[1], "ok", ""); w.Code != 200 {
		t.Fatalf("a recent cursor was evicted: %d %s", w.Code, w.Body)
	}
}

func signJWT(t *testing.T, key *rsa.PrivateKey, alg string, claims map[string]any) string {
	t.Helper()
	h, _ := json.Marshal(map[string]string{"alg": alg, "typ": "JWT"})
	c, _ := json.Marshal(claims)
	signing := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestJWTBearerChecks(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s := New(orggen.Generate(orggen.Config{Seed: 1, Leads: 5}), WithJWTBearer("app", "user@x.example", &key.PublicKey, "https://login.salesforce.com"))
	good := func() map[string]any {
		return map[string]any{"iss": "app", "sub": "user@x.example", "aud": "https://login.salesforce.com", "exp": time.Now().Add(time.Minute).Unix()}
	}
	tests := []struct {
		name   string
		mutate func(map[string]any)
		alg    string
		want   string // "" for success
	}{
		{"valid", func(map[string]any) {}, "RS256", ""},
		{"expired", func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() }, "RS256", "expired"},
		{"wrong audience", func(c map[string]any) { c["aud"] = "https://test.salesforce.com" }, "RS256", "audience"},
		{"wrong issuer", func(c map[string]any) { c["iss"] = "other" }, "RS256", "issuer"},
		{"wrong user", func(c map[string]any) { c["sub"] = "other@x.example" }, "RS256", "approved"},
		{"alg none", func(map[string]any) {}, "none", "alg"},
	}
	for _, tc := range tests {
		claims := good()
		tc.mutate(claims)
		form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {signJWT(t, key, tc.alg, claims)}}
		w := call(s, "POST", "/services/oauth2/token", "", form.Encode())
		if tc.want == "" {
			if w.Code != 200 || !strings.Contains(w.Body.String(), `"access_token"`) {
				t.Errorf("%s: %d %s", tc.name, w.Code, w.Body)
			}
			continue
		}
		if w.Code != 400 || !strings.Contains(w.Body.String(), "invalid_grant") || !strings.Contains(w.Body.String(), tc.want) {
			t.Errorf("%s: %d %s, want 400 invalid_grant mentioning %q", tc.name, w.Code, w.Body, tc.want)
		}
	}
	w := call(s, "POST", "/services/oauth2/token", "", "grant_type=password&username=u&password=p")
	if w.Code != 400 || !strings.Contains(w.Body.String(), "unsupported_grant_type") {
		t.Errorf("password grant: %d %s", w.Code, w.Body)
	}
}

func TestBulkResultsBeforeCompletion(t *testing.T) {
	s := New(orggen.Generate(orggen.Config{Seed: 1, Leads: 5}))
	s.tokens["ok"] = true
	req := httptest.NewRequest("POST", "/services/data/v62.0/jobs/query", strings.NewReader(`{"operation":"query","query":"SELECT Id FROM Lead"}`))
	req.Header.Set("Authorization", "Bearer ok")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	var job struct{ ID, State string }
	if err := json.Unmarshal(w.Body.Bytes(), &job); err != nil || job.State != "UploadComplete" {
		t.Fatalf("create: %s", w.Body)
	}
	results := fmt.Sprintf("/services/data/v62.0/jobs/query/%s/results", job.ID)
	if w := call(s, "GET", results, "ok", ""); w.Code != 400 || errorCode(t, w) != "INVALIDJOBSTATE" {
		t.Fatalf("results before completion: %d %s", w.Code, w.Body)
	}
	for _, want := range []string{"InProgress", "JobComplete"} {
		w := call(s, "GET", "/services/data/v62.0/jobs/query/"+job.ID, "ok", "")
		if !strings.Contains(w.Body.String(), `"state":"`+want+`"`) {
			t.Fatalf("poll: %s, want %s", w.Body, want)
		}
	}
	w = call(s, "GET", results, "ok", "")
	if w.Code != 200 || w.Header().Get("Sforce-Locator") != "null" || w.Header().Get("Sforce-NumberOfRecords") != "7" {
		t.Fatalf("results: %d locator %q count %q", w.Code, w.Header().Get("Sforce-Locator"), w.Header().Get("Sforce-NumberOfRecords"))
	}
}
