package salesforce_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/democrm"
	"github.com/venn-revops/venn/shared/salesforce"
)

// collect runs a REST query and keeps copies of the raw records.
func collect(t testing.TB, c *salesforce.Client, all bool, soql string) ([][]byte, salesforce.Stats) {
	t.Helper()
	var recs [][]byte
	run := c.Query
	if all {
		run = c.QueryAll
	}
	st, err := run(context.Background(), soql, func(rec []byte) error {
		recs = append(recs, append([]byte(nil), rec...))
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", soql, err)
	}
	return recs, st
}

func TestQueryPagesEveryRecordOnce(t *testing.T) {
	const pageSize = 97 // not a divisor of any count, so the last page is partial
	org, srv, base := demo(t, democrm.Config{Seed: 11, Leads: 1500, Malformed: -1}, democrm.WithPageSize(pageSize))
	c := client(t, base, nil)
	for _, obj := range crm.Objects {
		t.Run(obj.Name, func(t *testing.T) {
			recs, st := collect(t, c, false, selectAll(obj, ""))
			want := expected(t, org, obj, false)
			if err := sameRows(obj, restRows(t, obj, recs), want); err != nil {
				t.Fatal(err)
			}
			if n := org.Count(obj); st.Records != n || len(want) != n {
				t.Fatalf("Records = %d, Each = %d, Count = %d", st.Records, len(want), n)
			}
			if wantPages := max(1, (st.Records+pageSize-1)/pageSize); st.Pages != wantPages {
				t.Fatalf("Pages = %d, want %d", st.Pages, wantPages)
			}
			if st.Requests != st.Pages && st.Requests != st.Pages+1 { // +1: the first token request
				t.Fatalf("Requests = %d for %d pages", st.Requests, st.Pages)
			}
		})
	}
	if got := srv.Counts().Token; got != 1 {
		t.Fatalf("%d token requests; the session should be reused", got)
	}
}

func TestQueryFollowsShortPages(t *testing.T) {
	org, _, base := demo(t, democrm.Config{Seed: 13, Leads: 800, Malformed: -1}, democrm.WithPageSize(100), democrm.WithVaryingPageSizes())
	c := client(t, base, nil)
	recs, st := collect(t, c, false, selectAll(crm.Lead, ""))
	if err := sameRows(crm.Lead, restRows(t, crm.Lead, recs), expected(t, org, crm.Lead, false)); err != nil {
		t.Fatal(err)
	}
	if st.Pages <= 8 {
		t.Fatalf("%d pages for %d records in pages of at most 100; the sizes did not vary", st.Pages, len(recs))
	}
}

func TestQueryOrdersBySystemModstampThenId(t *testing.T) {
	_, _, base := demo(t, democrm.Config{Seed: 3, Leads: 600, Malformed: -1}, democrm.WithPageSize(200))
	c := client(t, base, nil)
	recs, _ := collect(t, c, false, selectAll(crm.Task, "SystemModstamp >= 2026-01-01T00:00:00Z"))
	rows := make([]crm.Row, 0, len(recs))
	dec := crm.NewDecoder(crm.Task)
	for _, raw := range recs {
		var r crm.Row
		if err := dec.DecodeJSON(raw, &r); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	if len(rows) < 100 {
		t.Fatalf("only %d tasks since 2026; the org is too small for this test", len(rows))
	}
	cutoff := crm.Micros(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	for i, r := range rows {
		if r.Modstamp() < cutoff {
			t.Fatalf("task %s modified %v, before the WHERE bound", r.ID(), crm.TimeOfMicros(r.Modstamp()))
		}
		if i > 0 {
			p := rows[i-1]
			if p.Modstamp() > r.Modstamp() || (p.Modstamp() == r.Modstamp() && p.ID() >= r.ID()) {
				t.Fatalf("records %d and %d out of (SystemModstamp, Id) order", i-1, i)
			}
		}
	}
}

func TestQueryAllShowsSoftDeletesOnly(t *testing.T) {
	org, _, base := demo(t, democrm.Config{Seed: 5, Leads: 400, Malformed: -1})
	c := client(t, base, nil)
	ctx := context.Background()
	leadBefore := org.Count(crm.Lead)
	var leadID, cmID string
	_ = org.Each(crm.Lead, func(r *crm.Row) error { leadID = r.ID(); return nil })
	_ = org.Each(crm.CampaignMember, func(r *crm.Row) error { cmID = r.ID(); return nil })
	org.SetClock(democrm.DefaultAsOf.Add(time.Hour))
	if err := org.Delete(crm.Lead, leadID); err != nil {
		t.Fatal(err)
	}
	if err := org.Delete(crm.CampaignMember, cmID); err != nil {
		t.Fatal(err)
	}

	where := "Id = '" + leadID + "'"
	live, _ := collect(t, c, false, selectAll(crm.Lead, where))
	all, _ := collect(t, c, true, selectAll(crm.Lead, where))
	if len(live) != 0 || len(all) != 1 {
		t.Fatalf("deleted lead: query returned %d, queryAll %d; want 0 and 1", len(live), len(all))
	}
	rows := restRows(t, crm.Lead, all)
	del := rows[leadID].Values[3]
	if !del.B || del.Null {
		t.Fatalf("queryAll IsDeleted = %+v, want true", del)
	}
	if got := rows[leadID].Values[1].I; got != crm.Micros(democrm.DefaultAsOf.Add(time.Hour)) {
		t.Fatalf("SystemModstamp of the deleted lead = %v, want the delete time", crm.TimeOfMicros(got))
	}
	n, err := c.Count(ctx, "SELECT COUNT() FROM Lead")
	if err != nil || n != int64(leadBefore-1) {
		t.Fatalf("COUNT() after delete = %d, %v; want %d", n, err, leadBefore-1)
	}
	for _, all := range []bool{false, true} {
		recs, _ := collect(t, c, all, selectAll(crm.CampaignMember, "Id = '"+cmID+"'"))
		if len(recs) != 0 {
			t.Fatalf("hard-deleted CampaignMember returned by queryAll=%v", all)
		}
	}
}

func TestCount(t *testing.T) {
	org, _, base := demo(t, democrm.Config{Seed: 2, Leads: 900})
	c := client(t, base, nil)
	cut := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		soql string
		want func() int
	}{
		{"SELECT COUNT() FROM Opportunity WHERE IsDeleted = false", func() int {
			return org.Count(crm.Opportunity) + countMalformed(org, "Opportunity")
		}},
		{"SELECT COUNT() FROM Opportunity WHERE SystemModstamp >= 2026-04-01T00:00:00.000+0000", func() int {
			n := countMalformed(org, "Opportunity") // the malformed deal is recent
			_ = org.Each(crm.Opportunity, func(r *crm.Row) error {
				if r.Modstamp() >= crm.Micros(cut) {
					n++
				}
				return nil
			})
			return n
		}},
		{"SELECT COUNT() FROM Lead WHERE LeadSource IN ('Webinar', 'Event') AND MQL_Date__c != null", func() int {
			n := 0
			src, mql := crm.Lead.Column("lead_source"), crm.Lead.Column("mql_date")
			_ = org.Each(crm.Lead, func(r *crm.Row) error {
				if s := r.Values[src].S; (s == "Webinar" || s == "Event") && !r.Values[mql].Null {
					n++
				}
				return nil
			})
			return n
		}},
	}
	for _, tc := range tests {
		got, err := c.Count(context.Background(), tc.soql)
		if err != nil {
			t.Fatalf("%s: %v", tc.soql, err)
		}
		if want := tc.want(); got != int64(want) || want == 0 {
			t.Errorf("%s = %d, want %d (nonzero)", tc.soql, got, want)
		}
	}
}

func countMalformed(org *democrm.Org, object string) int {
	n := 0
	for _, m := range org.Malformed() {
		if m.Object == object {
			n++
		}
	}
	return n
}

func TestDescribe(t *testing.T) {
	_, _, base := demo(t, democrm.Config{Seed: 1, Leads: 10})
	c := client(t, base, nil)
	d, err := c.Describe(context.Background(), "Opportunity")
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "Opportunity" || len(d.Fields) != len(crm.Opportunity.Fields) {
		t.Fatalf("describe: %s with %d fields", d.Name, len(d.Fields))
	}
	for name, typ := range map[string]string{"Id": "id", "AccountId": "reference", "Amount": "currency", "CloseDate": "date", "SystemModstamp": "datetime", "IsWon": "boolean", "StageName": "picklist", "Probability": "percent", "Name": "string"} {
		f, ok := d.Field(name)
		if !ok || f.Type != typ {
			t.Errorf("field %s: %+v, want type %s", name, f, typ)
		}
	}
	_, err = c.Describe(context.Background(), "Widget")
	var apiErr *salesforce.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound || apiErr.Code != "NOT_FOUND" {
		t.Fatalf("describe Widget: %v, want a 404 NOT_FOUND APIError", err)
	}
}

func TestBadQueriesAreNotRetried(t *testing.T) {
	_, srv, base := demo(t, democrm.Config{Seed: 1, Leads: 10})
	c := client(t, base, nil)
	tests := []struct{ soql, code string }{
		{"SELECT Id, Colour__c FROM Lead", "INVALID_FIELD"},
		{"SELECT Id FROM Widget", "INVALID_TYPE"},
		{"SELECT Id FROM Lead WHERE", "MALFORMED_QUERY"},
		{"SELECT Id FROM Lead WHERE IsConverted = 'yes'", "INVALID_FIELD"},
		{"SELECT Id FROM Lead ORDER BY Name", "MALFORMED_QUERY"},
		{"SELEKT Id FROM Lead", "MALFORMED_QUERY"},
	}
	for _, tc := range tests {
		srv.ResetCounts()
		_, err := c.Query(context.Background(), tc.soql, func([]byte) error { return nil })
		var apiErr *salesforce.APIError
		if !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest || apiErr.Code != tc.code {
			t.Errorf("%s: %v, want 400 %s", tc.soql, err, tc.code)
		}
		if n := srv.Counts().Query; n != 1 {
			t.Errorf("%s: sent %d times, want once (400s are never retried)", tc.soql, n)
		}
	}
}

func rsaKeyPEM(t *testing.T, pkcs8 bool) (*rsa.PrivateKey, []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	if pkcs8 {
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		return key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	return key, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
}

func TestOAuthFlows(t *testing.T) {
	key, keyPEM := rsaKeyPEM(t, true)
	_, otherPEM := rsaKeyPEM(t, false)
	_, pkcs1PEM := func() (*rsa.PrivateKey, []byte) {
		der := x509.MarshalPKCS1PrivateKey(key)
		return key, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: der})
	}()
	_, srv, base := demo(t, democrm.Config{Seed: 1, Leads: 20},
		democrm.WithClientCredentials("app-1", "s3cret"),
		democrm.WithJWTBearer("app-jwt", "integration@venn-demo.example", &key.PublicKey, ""))
	tests := []struct {
		name     string
		cfg      salesforce.Config
		wantCode string // "" for success
	}{
		{"client credentials", salesforce.Config{ClientID: "app-1", ClientSecret: "s3cret"}, ""},
		{"wrong secret", salesforce.Config{ClientID: "app-1", ClientSecret: "nope"}, "invalid_client"},
		{"JWT bearer PKCS#8", salesforce.Config{ClientID: "app-jwt", Username: "integration@venn-demo.example", PrivateKeyPEM: keyPEM}, ""},
		{"JWT bearer PKCS#1", salesforce.Config{ClientID: "app-jwt", Username: "integration@venn-demo.example", PrivateKeyPEM: pkcs1PEM}, ""},
		{"JWT signed with another key", salesforce.Config{ClientID: "app-jwt", Username: "integration@venn-demo.example", PrivateKeyPEM: otherPEM}, "invalid_grant"},
		{"JWT for another user", salesforce.Config{ClientID: "app-jwt", Username: "someone@else.example", PrivateKeyPEM: keyPEM}, "invalid_grant"},
		{"JWT from another app", salesforce.Config{ClientID: "app-1", Username: "integration@venn-demo.example", PrivateKeyPEM: keyPEM}, "invalid_grant"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv.ResetCounts()
			cfg := tc.cfg
			cfg.LoginURL = base
			cfg.RetryBaseDelay = time.Millisecond
			c, err := salesforce.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			n, err := c.Count(context.Background(), "SELECT COUNT() FROM User")
			if tc.wantCode == "" {
				if err != nil || n != int64(len(democrm.People)) {
					t.Fatalf("COUNT() = %d, %v; want %d", n, err, len(democrm.People))
				}
				return
			}
			var apiErr *salesforce.APIError
			if !errors.As(err, &apiErr) || apiErr.Code != tc.wantCode || apiErr.Status != http.StatusBadRequest {
				t.Fatalf("err = %v, want 400 %s", err, tc.wantCode)
			}
			if got := srv.Counts(); got.Token != 1 || got.Query != 0 {
				t.Fatalf("%d token requests and %d queries; a rejected grant is not retried", got.Token, got.Query)
			}
		})
	}
}

func TestReauthenticatesOnceOnExpiredSession(t *testing.T) {
	org, srv, base := demo(t, democrm.Config{Seed: 4, Leads: 500, Malformed: -1}, democrm.WithPageSize(50))
	c := client(t, base, nil)
	srv.Inject(democrm.Fault{Route: democrm.RouteAPI, After: 3, Status: http.StatusUnauthorized})
	recs, st := collect(t, c, false, selectAll(crm.Lead, ""))
	if len(recs) != org.Count(crm.Lead) {
		t.Fatalf("%d leads after re-auth, want %d", len(recs), org.Count(crm.Lead))
	}
	if got := srv.Counts().Token; got != 2 {
		t.Fatalf("%d token requests, want 2 (initial + one re-auth)", got)
	}
	if st.Retries != 0 {
		t.Fatalf("Retries = %d; a re-auth is not a retry", st.Retries)
	}
	restRows(t, crm.Lead, recs) // no duplicates across the re-auth
}

func TestReauthFailsCleanlyWhenNewSessionIsRejected(t *testing.T) {
	_, srv, base := demo(t, democrm.Config{Seed: 4, Leads: 200}, democrm.WithPageSize(50))
	c := client(t, base, nil)
	srv.Inject(democrm.Fault{Route: democrm.RouteAPI, After: 1, Times: 2, Status: http.StatusUnauthorized})
	_, err := c.Query(context.Background(), selectAll(crm.Lead, ""), func([]byte) error { return nil })
	var apiErr *salesforce.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized || apiErr.Code != "INVALID_SESSION_ID" {
		t.Fatalf("err = %v, want 401 INVALID_SESSION_ID", err)
	}
	if !strings.Contains(err.Error(), "page 2") || !strings.Contains(err.Error(), "after re-authenticating") {
		t.Fatalf("error %q should name the page and the failed re-auth", err)
	}
	if got := srv.Counts().Token; got != 2 {
		t.Fatalf("%d token requests, want exactly 2", got)
	}
}

func TestRetriesTransientErrors(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		retryAfter time.Duration
	}{
		{"429", http.StatusTooManyRequests, 0},
		{"503 with Retry-After", http.StatusServiceUnavailable, time.Second},
		{"500", http.StatusInternalServerError, 0},
		{"403 REQUEST_LIMIT_EXCEEDED", http.StatusForbidden, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.retryAfter > 0 && testing.Short() {
				t.Skip("waits for Retry-After")
			}
			org, srv, base := demo(t, democrm.Config{Seed: 6, Leads: 300, Malformed: -1}, democrm.WithPageSize(40))
			c := client(t, base, nil)
			// Page 3 fails twice, then succeeds.
			srv.Inject(democrm.Fault{Route: democrm.RoutePages, After: 2, Times: 2, Status: tc.status, RetryAfter: tc.retryAfter})
			start := time.Now()
			recs, st := collect(t, c, false, selectAll(crm.Lead, ""))
			if st.Retries != 2 {
				t.Fatalf("Retries = %d, want 2", st.Retries)
			}
			if len(recs) != org.Count(crm.Lead) {
				t.Fatalf("%d records, want %d", len(recs), org.Count(crm.Lead))
			}
			restRows(t, crm.Lead, recs)
			if tc.retryAfter > 0 && time.Since(start) < 2*tc.retryAfter {
				t.Fatalf("finished in %v; Retry-After %v was not honoured twice", time.Since(start), tc.retryAfter)
			}
		})
	}
}

func TestGivesUpAfterMaxRetries(t *testing.T) {
	_, srv, base := demo(t, democrm.Config{Seed: 6, Leads: 300}, democrm.WithPageSize(40))
	c := client(t, base, func(cfg *salesforce.Config) { cfg.MaxRetries = 3 })
	srv.Inject(democrm.Fault{Route: democrm.RouteQueryMore, After: 1, Times: 100, Status: http.StatusServiceUnavailable})
	n := 0
	st, err := c.Query(context.Background(), selectAll(crm.Lead, ""), func([]byte) error { n++; return nil })
	var apiErr *salesforce.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusServiceUnavailable {
		t.Fatalf("err = %v, want the 503 APIError", err)
	}
	if !strings.Contains(err.Error(), "giving up after 3 retries") || !strings.Contains(err.Error(), "page 3") {
		t.Fatalf("error %q should say it gave up, and on which page", err)
	}
	if st.Retries != 3 || n != 80 {
		t.Fatalf("Retries = %d, records = %d; want 3 and the 80 records of pages 1-2", st.Retries, n)
	}
	if got := srv.Counts().QueryMore; got != 1+4 {
		t.Fatalf("%d nextRecordsUrl requests, want 5 (page 2, then page 3 four times)", got)
	}
}

func TestStopsAtLimitReserve(t *testing.T) {
	_, srv, base := demo(t, democrm.Config{Seed: 8, Leads: 2000}, democrm.WithPageSize(50))
	c := client(t, base, func(cfg *salesforce.Config) { cfg.LimitReserve = 0.1 })
	srv.SetAPIUsage(880, 1000) // 120 left; the reserve is 100
	_, err := c.Query(context.Background(), selectAll(crm.Lead, ""), func([]byte) error { return nil })
	if !errors.Is(err, salesforce.ErrLimitReserve) {
		t.Fatalf("err = %v, want ErrLimitReserve", err)
	}
	if !strings.Contains(err.Error(), "901 of 1000") {
		t.Fatalf("error %q should carry the usage numbers", err)
	}
	used, _ := srv.APIUsage()
	if used != 901 {
		t.Fatalf("the org saw %d requests used; the client should stop once fewer than 100 remain (at 901)", used)
	}
	if srv.Counts().Faults != 0 {
		t.Fatal("the client hit the org's limit instead of stopping at its reserve")
	}
	used2, max2 := c.APIUsage()
	if used2 != 901 || max2 != 1000 {
		t.Fatalf("APIUsage = %d/%d", used2, max2)
	}
}

func TestContextDeadlineOnSlowPage(t *testing.T) {
	_, srv, base := demo(t, democrm.Config{Seed: 9, Leads: 300}, democrm.WithPageSize(50))
	c := client(t, base, nil)
	srv.Inject(democrm.Fault{Route: democrm.RouteQueryMore, Delay: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	st, err := c.Query(ctx, selectAll(crm.Lead, ""), func([]byte) error { return nil })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want it to wrap context.DeadlineExceeded", err)
	}
	if time.Since(start) > 30*time.Second {
		t.Fatal("the client waited for the slow page instead of honouring the deadline")
	}
	if st.Pages != 1 || st.Retries != 0 {
		t.Fatalf("Pages = %d, Retries = %d; want 1 and no retry after the deadline", st.Pages, st.Retries)
	}
}

func TestConcurrencyCap(t *testing.T) {
	for _, limit := range []int{2, 6} {
		_, srv, base := demo(t, democrm.Config{Seed: 10, Leads: 200}, democrm.WithPageSize(50))
		c := client(t, base, func(cfg *salesforce.Config) { cfg.MaxConcurrent = limit })
		srv.Inject(democrm.Fault{Route: democrm.RoutePages, Times: 1000, Delay: 20 * time.Millisecond})
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Go(func() {
				_, err := c.Query(context.Background(), selectAll(crm.Lead, ""), func([]byte) error { return nil })
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		got := srv.Counts().MaxInFlight
		if limit == 2 && got > 2 {
			t.Fatalf("MaxConcurrent 2: the server saw %d requests at once", got)
		}
		if limit == 6 && got <= 2 {
			t.Fatalf("MaxConcurrent 6: the server saw at most %d at once; the test cannot tell a cap apart", got)
		}
	}
}

func TestCallbackErrorStopsQuery(t *testing.T) {
	_, srv, base := demo(t, democrm.Config{Seed: 1, Leads: 300}, democrm.WithPageSize(50))
	c := client(t, base, nil)
	stop := errors.New("disk full")
	n := 0
	_, err := c.Query(context.Background(), selectAll(crm.Lead, ""), func([]byte) error {
		n++
		if n == 60 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 60 {
		t.Fatalf("err = %v after %d records, want the callback's error at 60", err, n)
	}
	if got := srv.Counts().QueryMore; got != 1 {
		t.Fatalf("%d more pages fetched after the callback failed", got)
	}
}

func TestRecordModifiedDuringExtract(t *testing.T) {
	org, srv, base := demo(t, democrm.Config{Seed: 12, Leads: 300, Malformed: -1}, democrm.WithPageSize(40))
	c := client(t, base, nil)
	var first string
	_ = org.Each(crm.Lead, func(r *crm.Row) error {
		if first == "" {
			first = r.ID()
		}
		return nil
	})
	touchedAt := democrm.DefaultAsOf.Add(30 * time.Minute)
	srv.Inject(democrm.Fault{Route: democrm.RouteQueryMore, After: 2, Modify: func() {
		org.SetClock(touchedAt)
		if err := org.Touch(crm.Lead, first); err != nil {
			t.Error(err)
		}
	}})
	// A full pull sees every lead once; the touched one may come with its
	// old or new stamp depending on where it sits in the cursor.
	recs, _ := collect(t, c, false, selectAll(crm.Lead, ""))
	if got := restRows(t, crm.Lead, recs); len(got) != org.Count(crm.Lead) {
		t.Fatalf("%d leads, want %d", len(got), org.Count(crm.Lead))
	}
	// The next incremental pull from the old high-water mark picks it up.
	recs, _ = collect(t, c, false, selectAll(crm.Lead, "SystemModstamp >= "+crm.FormatDateTime(democrm.DefaultAsOf)))
	rows := restRows(t, crm.Lead, recs)
	if r, ok := rows[first]; !ok || r.Values[1].I != crm.Micros(touchedAt) {
		t.Fatalf("incremental pull: touched lead %s missing or stale (%d rows)", first, len(rows))
	}
}

func TestRetriesTokenRequest(t *testing.T) {
	org, srv, base := demo(t, democrm.Config{Seed: 1, Leads: 50})
	c := client(t, base, nil)
	srv.Inject(democrm.Fault{Route: democrm.RouteToken, Times: 2, Status: http.StatusServiceUnavailable})
	recs, st := collect(t, c, false, selectAll(crm.User, ""))
	if len(recs) != org.Count(crm.User) || st.Retries != 2 || srv.Counts().Token != 3 {
		t.Fatalf("%d users, %d retries, %d token requests; want %d, 2, 3", len(recs), st.Retries, srv.Counts().Token, org.Count(crm.User))
	}
}

func TestLimits(t *testing.T) {
	_, srv, base := demo(t, democrm.Config{Seed: 1, Leads: 10})
	c := client(t, base, nil)
	srv.SetAPIUsage(14_000, 15_000)
	used, max, err := c.Limits(context.Background())
	if err != nil || used != 14_001 || max != 15_000 {
		t.Fatalf("Limits = %d/%d, %v; want 14001/15000 (the call itself counts)", used, max, err)
	}
	if _, err := c.Count(context.Background(), "SELECT COUNT() FROM Lead"); !errors.Is(err, salesforce.ErrLimitReserve) {
		t.Fatalf("with 999 of 15000 left and a 10%% reserve, err = %v, want ErrLimitReserve", err)
	}
}
