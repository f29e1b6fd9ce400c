// Package ststest is a local STS for tests: it answers GetCallerIdentity
// over STS's Query protocol (a SigV4-signed form POST, an XML answer), the
// one call shared/callerid makes. There is no local STS server to run, and
// an SDK mock would not exercise the protocol.
package ststest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// Start serves GetCallerIdentity answering arn (account 123456789012) on
// 127.0.0.1 and returns its URL once it answers; arn "" answers every call
// with STS's error for refused credentials (InvalidClientTokenId). A
// request that is not a signed GetCallerIdentity fails the test.
func Start(t testing.TB, arn string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ready" {
			return
		}
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		auth := r.Header.Get("Authorization")
		if r.Method != http.MethodPost || form.Get("Action") != "GetCallerIdentity" || form.Get("Version") != "2011-06-15" ||
			!strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=") || !strings.Contains(auth, "/sts/aws4_request") {
			t.Errorf("ststest: not a signed GetCallerIdentity: %s %s %q", r.Method, body, auth)
		}
		w.Header().Set("Content-Type", "text/xml")
		if arn == "" {
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error><RequestId>r-2</RequestId></ErrorResponse>`)
			return
		}
		io.WriteString(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>`+arn+
			`</Arn><UserId>AROAEXAMPLE:session</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
	}))
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + "/ready")
	if err != nil {
		t.Fatalf("ststest: not answering: %v", err)
	}
	resp.Body.Close()
	return srv.URL
}
