package callerid

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/venn-revops/venn/shared/callerid/ststest"
	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/pipeline"
)

func env(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }

func TestLocal(t *testing.T) {
	// VENN_LOCAL_USER plays another local user (local trust only).
	id, err := Local(env(map[string]string{LocalUserEnv: "controller.demo", "USER": "someone"}))
	if err != nil || id.ID != "local:controller.demo" || id.Principal != "local user controller.demo" {
		t.Fatalf("VENN_LOCAL_USER: %+v %v", id, err)
	}
	if _, err := Local(env(map[string]string{LocalUserEnv: "../x"})); err == nil || !strings.Contains(err.Error(), LocalUserEnv) {
		t.Fatalf("a bad VENN_LOCAL_USER: %v", err)
	}
	// Without it, the OS user: a local identity of some valid name.
	id, err = Local(env(map[string]string{"USER": "fallback"}))
	if err != nil || !id.Local() || id.Name == "" {
		t.Fatalf("OS user: %+v %v", id, err)
	}
}

func stsClient(url string) *sts.Client {
	return sts.NewFromConfig(aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDVENNTEST", "secret", "")})
}

func TestFromSTS(t *testing.T) {
	srvURL := ststest.Start(t, "arn:aws:sts::123456789012:assumed-role/VennFinanceController/ole")
	id, err := FromSTS(context.Background(), stsClient(srvURL))
	if err != nil || id.ID != "aws:123456789012:role/VennFinanceController/ole" || id.Role != "VennFinanceController" {
		t.Fatalf("got %+v %v", id, err)
	}
	// A venn command on AWS storage asks STS; on a local folder it is the
	// local user, whatever VENN_LOCAL_USER says on AWS.
	cfg := aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String(srvURL), Credentials: credentials.NewStaticCredentialsProvider("AKIDVENNTEST", "secret", "")}
	vars := env(map[string]string{LocalUserEnv: "someone.local"})
	if id, err := ForStorage(context.Background(), &cfg, vars); err != nil || id.ID != "aws:123456789012:role/VennFinanceController/ole" {
		t.Fatalf("AWS storage: %+v %v", id, err)
	}
	if id, err := ForStorage(context.Background(), nil, vars); err != nil || id.ID != "local:someone.local" {
		t.Fatalf("local storage: %+v %v", id, err)
	}
	badURL := ststest.Start(t, "")
	if _, err := FromSTS(context.Background(), stsClient(badURL)); err == nil || !strings.Contains(err.Error(), "STS GetCallerIdentity") || !strings.Contains(err.Error(), "InvalidClientTokenId") {
		t.Fatalf("refused credentials: %v", err)
	}
}

func TestFunctionURL(t *testing.T) {
	sample, err := os.ReadFile("../../functions/approve/request-url.json")
	if err != nil {
		t.Fatal(err)
	}
	var got comp.Identity
	var gotBody string
	next := func(ctx context.Context, raw json.RawMessage) (json.RawMessage, error) {
		got, _ = pipeline.CallerOf(ctx)
		gotBody = string(raw)
		return json.RawMessage(`{"done":true}`), nil
	}
	h := FunctionURL(next)
	answer := func(raw []byte) (events.LambdaFunctionURLResponse, error) {
		out, err := h(context.Background(), raw)
		var r events.LambdaFunctionURLResponse
		if err == nil {
			err = json.Unmarshal(out, &r)
		}
		return r, err
	}
	r, err := answer(sample)
	if err != nil || r.StatusCode != 200 || r.Body != `{"done":true}` {
		t.Fatalf("signed request: %+v %v", r, err)
	}
	if got.ID != "aws:123456789012:role/VennFinanceApprover/jane.doe@example.com" || got.Email != "jane.doe@example.com" || gotBody != `{"job":"approve","quarter":"2026Q3","action":"approve","people":[]}` {
		t.Fatalf("next got caller %+v and body %s", got, gotBody)
	}

	var req events.LambdaFunctionURLRequest
	if err := json.Unmarshal(sample, &req); err != nil {
		t.Fatal(err)
	}
	mutate := func(f func(r *events.LambdaFunctionURLRequest)) []byte {
		c := req
		c.RequestContext.Authorizer = &events.LambdaFunctionURLRequestContextAuthorizerDescription{}
		iam := *req.RequestContext.Authorizer.IAM
		c.RequestContext.Authorizer.IAM = &iam
		f(&c)
		b, _ := json.Marshal(c)
		return b
	}
	for _, tt := range []struct {
		name   string
		raw    []byte
		status int
		want   string
	}{
		{"no authorizer (AuthType NONE)", mutate(func(r *events.LambdaFunctionURLRequest) { r.RequestContext.Authorizer = nil }), 403, "no authenticated caller"},
		{"a role ARN is no caller", mutate(func(r *events.LambdaFunctionURLRequest) {
			r.RequestContext.Authorizer.IAM.UserARN = "arn:aws:iam::123456789012:role/VennFinanceApprover"
		}), 403, "not a caller"},
		{"account mismatch", mutate(func(r *events.LambdaFunctionURLRequest) { r.RequestContext.Authorizer.IAM.AccountID = "999999999999" }), 403, "not the ARN's"},
		{"GET", mutate(func(r *events.LambdaFunctionURLRequest) { r.RequestContext.HTTP.Method = "GET" }), 405, "POST the approve event"},
		{"approver in the body", mutate(func(r *events.LambdaFunctionURLRequest) {
			r.Body = `{"job":"approve","quarter":"2026Q3","action":"approve","approver":"ceo@example.com"}`
		}), 400, "approver: not accepted"},
		{"base64 body", mutate(func(r *events.LambdaFunctionURLRequest) {
			r.Body, r.IsBase64Encoded = "eyJqb2IiOiJhcHByb3ZlIiwicXVhcnRlciI6IjIwMjZRMyIsImFjdGlvbiI6ImZpbmFsaXplIn0=", true
		}), 200, ""},
	} {
		r, err := answer(tt.raw)
		if err != nil || r.StatusCode != tt.status || !strings.Contains(r.Body, tt.want) {
			t.Errorf("%s: %d %s %v; want %d with %q", tt.name, r.StatusCode, r.Body, err, tt.status, tt.want)
		}
	}
	// A direct invoke (the event itself) carries no caller: refused as an
	// invocation error.
	if _, err := h(context.Background(), json.RawMessage(`{"job":"approve","quarter":"2026Q3","action":"approve"}`)); err == nil || !strings.Contains(err.Error(), "not a Function URL request") {
		t.Fatalf("direct invoke: %v", err)
	}
}
