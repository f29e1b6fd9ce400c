// Package functions_test runs the four real Lambda bootstraps (extract, kpi,
// payouts, approve) end to end over the real protocols: each is a built
// binary driven through the Lambda Runtime API (shared/lambdaruntime), and
// talks to a real S3-protocol server (gofakes3), a real DynamoDB-protocol
// server (dynalite) and the demo Salesforce org over the Salesforce REST
// protocol. What these tests prove that the in-process demo cannot: the
// functions' wiring and environment configuration, the aws-lambda-go event
// loop and its error reports, and the idempotency of whole processes under
// duplicate delivery and a crash mid-run.
//
// The bootstraps are built natively (GOOS/GOARCH of this machine, CGO off,
// -tags lambda.norpc): the arm64 binaries of `make build` cannot run on an
// amd64 test machine, and the code is the same.
package functions_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/comp/statementstore"
	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/democrm"
	"github.com/venn-revops/venn/shared/dynamo"
	"github.com/venn-revops/venn/shared/dynamo/dynamotest"
	"github.com/venn-revops/venn/shared/extract"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lambdaruntime"
	"github.com/venn-revops/venn/shared/money"
	"github.com/venn-revops/venn/shared/runledger"
	"github.com/venn-revops/venn/shared/s3store"
)

// The functions under test, by folder.
var functionNames = []string{"extract", "kpi", "payouts", "approve"}

const (
	lakeBucket = "venn-lake-e2e"
	lakePrefix = "lake" // exercised on purpose: keys live under s3://bucket/lake/
	sfClientID = "venn-e2e"
	sfSecret   = "venn-e2e-secret"
	quarter    = "2026Q3" // the demo org's last closed quarter
	// approverARN signs the approvals: a session of the approver role, as
	// Lambda puts it in a Function URL request's requestContext.
	approverARN = "arn:aws:sts::123456789012:assumed-role/VennFinanceApprover/jane.doe@example.com"
	approver    = "aws:123456789012:role/VennFinanceApprover/jane.doe@example.com" // its identity id
)

// night is the demo org's "now" (VENN_NOW): the extract's partition date.
var night = democrm.DefaultAsOf

var (
	buildOnce sync.Once
	binDir    string
	binaries  map[string]string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// bootstrap returns the built binary of function fn. All four are built once
// per test binary, on first use, so -short builds nothing.
func bootstrap(t *testing.T, fn string) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "venn-functions-e2e")
		if buildErr != nil {
			return
		}
		binaries = map[string]string{}
		for _, name := range functionNames {
			dir := filepath.Join(binDir, name)
			if buildErr = os.Mkdir(dir, 0o755); buildErr != nil {
				return
			}
			if binaries[name], buildErr = lambdaruntime.BuildTo("github.com/venn-revops/venn/functions/"+name, dir); buildErr != nil {
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatalf("build the bootstraps: %v", buildErr)
	}
	return binaries[fn]
}

func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("Lambda end-to-end: builds and runs the bootstraps against local servers; skipped with -short")
	}
}

// world is one deployment: a lake bucket, a results table, a Salesforce org,
// and the environment a function gets in it.
type world struct {
	org   *democrm.Org
	crm   *democrm.Server
	s3    *s3.Client
	blob  lake.Blob // the lake read back through the real SDK
	store *dynamo.Store
	env   map[string]string
	ddb   *dynamotest.Server
}

func newWorld(t *testing.T) *world { return newWorldOf(t, democrm.Config{}) }

// newWorldOf is newWorld over an org generated from cfg, its demo CRM
// served with opts.
func newWorldOf(t *testing.T, cfg democrm.Config, opts ...democrm.Option) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{org: democrm.Generate(cfg)}
	w.crm = democrm.NewServer(w.org, append([]democrm.Option{democrm.WithClientCredentials(sfClientID, sfSecret)}, opts...)...)
	crmURL, stopCRM := w.crm.Start()
	t.Cleanup(stopCRM)

	ddb := dynamotest.Start(t) // skips without dynalite; fails under CI=true
	w.ddb = ddb
	table := ddb.NewTable(t)
	w.store = dynamo.New(ddb.Client(), table)

	s3srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(s3srv.Close)
	w.s3 = s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s3srv.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	if _, err := w.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(lakeBucket)}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	w.blob = s3store.New(w.s3, lakeBucket, lakePrefix)

	w.env = map[string]string{
		"LAKE_BUCKET":               lakeBucket,
		"LAKE_PREFIX":               lakePrefix,
		"RESULTS_TABLE":             table,
		"S3_PATH_STYLE":             "true",
		"AWS_ENDPOINT_URL_S3":       s3srv.URL,
		"AWS_ENDPOINT_URL_DYNAMODB": ddb.Endpoint,
		"AWS_ACCESS_KEY_ID":         "test",
		"AWS_SECRET_ACCESS_KEY":     "test",
		"AWS_EC2_METADATA_DISABLED": "true",
		"VENN_SF_LOGIN_URL":         crmURL,
		"VENN_SF_CLIENT_ID":         sfClientID,
		"VENN_SF_CLIENT_SECRET":     sfSecret,
		"VENN_PII_KEY":              "venn-e2e-pii-key: test only",
		// The handler's clock is the wall clock in AWS; pinned here to the
		// demo org's "now" so the night and the closed quarter are fixed.
		"VENN_NOW": night.Format(time.RFC3339),
		// A crashed run's lock expires 1s after its Lambda deadline instead
		// of a minute, so the crash test's retry does not idle.
		"VENN_LOCK_MARGIN": "1s",
		"TMPDIR":           t.TempDir(),
		// An empty home: no shared AWS config or credentials of this
		// machine reach the functions.
		"HOME": t.TempDir(),
	}
	return w
}

// start runs function fn in its own process under a Lambda Runtime API.
func (w *world) start(t *testing.T, fn string, timeout time.Duration) *lambdaruntime.Harness {
	t.Helper()
	return lambdaruntime.Start(t, bootstrap(t, fn), w.env, lambdaruntime.Options{FunctionName: "venn-" + fn, Timeout: timeout})
}

// event reads a sample event shipped beside a function.
func event(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// urlRequest is ev as the body of a Function URL request (AuthType
// AWS_IAM) signed by callerARN ("" = no IAM authorizer, as with AuthType
// NONE): the payload Lambda hands the approve function.
func urlRequest(t *testing.T, callerARN string, ev []byte) []byte {
	t.Helper()
	req := events.LambdaFunctionURLRequest{Version: "2.0", RawPath: "/", Headers: map[string]string{"content-type": "application/json"}, Body: string(ev),
		RequestContext: events.LambdaFunctionURLRequestContext{AccountID: "123456789012", RequestID: "req-1", APIID: "url1",
			HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{Method: "POST", Path: "/", Protocol: "HTTP/1.1", SourceIP: "203.0.113.7"}}}
	if callerARN != "" {
		acct := strings.Split(callerARN, ":")[4]
		req.RequestContext.Authorizer = &events.LambdaFunctionURLRequestContextAuthorizerDescription{IAM: &events.LambdaFunctionURLRequestContextAuthorizerIAMDescription{
			AccessKey: "ASIAEXAMPLE", AccountID: acct, CallerID: "AROAEXAMPLE:session", UserARN: callerARN, UserID: "AROAEXAMPLE:session"}}
	}
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// urlAnswer decodes a Function URL response: the status and the body.
func urlAnswer(t *testing.T, out []byte) (int, []byte) {
	t.Helper()
	var r events.LambdaFunctionURLResponse
	if err := json.Unmarshal(out, &r); err != nil || r.StatusCode == 0 {
		t.Fatalf("not a Function URL response: %s (%v)", out, err)
	}
	return r.StatusCode, []byte(r.Body)
}

func invoke(t *testing.T, h *lambdaruntime.Harness, ev []byte) []byte {
	t.Helper()
	out, err := h.Invoke(context.Background(), ev)
	if err != nil {
		t.Fatalf("invoke %s: %v\n--- function logs ---\n%s", ev, err, h.Logs())
	}
	return out
}

// invokeAtOnce delivers ev to every harness (separate processes) at the same
// moment, as a Lambda async retry racing the original delivery does.
func invokeAtOnce(t *testing.T, hs []*lambdaruntime.Harness, ev []byte) [][]byte {
	t.Helper()
	outs := make([][]byte, len(hs))
	errs := make([]error, len(hs))
	var wg sync.WaitGroup
	for i, h := range hs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = h.Invoke(context.Background(), ev)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("delivery %d of %s: %v\n--- function logs ---\n%s", i, ev, err, hs[i].Logs())
		}
	}
	return outs
}

func decode[T any](t *testing.T, raw []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("response %s: %v", raw, err)
	}
	return v
}

// manifests lists the committed manifest keys (lake-relative) under prefix,
// with the SDK's own paginator.
func (w *world) manifests(t *testing.T, prefix string) []string {
	t.Helper()
	var keys []string
	pages := s3.NewListObjectsV2Paginator(w.s3, &s3.ListObjectsV2Input{Bucket: aws.String(lakeBucket), Prefix: aws.String(lakePrefix + "/" + prefix)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(context.Background())
		if err != nil {
			t.Fatalf("list s3://%s/%s/%s: %v", lakeBucket, lakePrefix, prefix, err)
		}
		for _, o := range page.Contents {
			if k := strings.TrimPrefix(aws.ToString(o.Key), lakePrefix+"/"); strings.HasPrefix(baseName(k), "_manifest-") {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	return keys
}

func baseName(key string) string { return key[strings.LastIndex(key, "/")+1:] }

// get reads a lake object with GetObject.
func (w *world) get(t *testing.T, key string) []byte {
	t.Helper()
	return w.getIn(t, lakePrefix, key)
}

// getIn reads key of the lake under prefix (a second lake in the bucket).
func (w *world) getIn(t *testing.T, prefix, key string) []byte {
	t.Helper()
	out, err := w.s3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(lakeBucket), Key: aws.String(prefix + "/" + key)})
	if err != nil {
		t.Fatalf("get s3://%s/%s/%s: %v", lakeBucket, prefix, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("read s3://%s/%s/%s: %v", lakeBucket, prefix, key, err)
	}
	return b
}

func (w *world) manifest(t *testing.T, key string) *lake.Manifest {
	t.Helper()
	m := decode[lake.Manifest](t, w.get(t, key))
	if m.Key() != key {
		t.Fatalf("manifest at %s names itself %s", key, m.Key())
	}
	return &m
}

// statements reads the quarter's statements from DynamoDB.
func (w *world) statements(t *testing.T) []statementstore.Stored {
	t.Helper()
	st, err := statementstore.List(context.Background(), w.store, quarter)
	if err != nil {
		t.Fatalf("statements %s: %v", quarter, err)
	}
	return st
}

// ledgerRun is a run-ledger entry with its item's expiry (Unix seconds):
// for a running entry, when its lock may be taken over.
type ledgerRun struct {
	runledger.Entry
	Expires int64
}

// ledger reads a job's run-ledger entries for a period.
func (w *world) ledger(t *testing.T, job, period string) []ledgerRun {
	t.Helper()
	items, err := w.store.Query(context.Background(), "RUN#"+job, period+"#")
	if err != nil {
		t.Fatalf("ledger %s %s: %v", job, period, err)
	}
	var out []ledgerRun
	for _, it := range items {
		out = append(out, ledgerRun{decode[runledger.Entry](t, it.Body), it.Expires})
	}
	return out
}

// oneRun asserts the ledger holds exactly one run of job for period, done at
// the given attempt.
func (w *world) oneRun(t *testing.T, job, period string, attempt int) ledgerRun {
	t.Helper()
	runs := w.ledger(t, job, period)
	if len(runs) != 1 || runs[0].Status != runledger.Done || runs[0].Attempt != attempt {
		t.Fatalf("ledger %s %s: %+v, want one run done at attempt %d", job, period, runs, attempt)
	}
	return runs[0]
}

type idRow struct {
	ID string `parquet:"id"`
}

// checkSnapshots compares every object's committed snapshot with the org:
// the manifest's row count and the Ids in its Parquet files (read back over
// S3) equal the org's live records, none missing and none twice.
func (w *world) checkSnapshots(t *testing.T, runID string) {
	t.Helper()
	dt := lake.DateString(night)
	for _, obj := range crm.Objects {
		m, err := lake.Snapshot(context.Background(), w.blob, obj.Name, dt)
		if err != nil {
			t.Fatalf("%s: %v", obj.Name, err)
		}
		if m.RunID != runID {
			t.Errorf("%s: head manifest %s is run %s, want %s", obj.Name, m.Key(), m.RunID, runID)
		}
		want := map[string]bool{}
		if err := w.org.Each(obj, func(r *crm.Row) error { want[r.ID()] = true; return nil }); err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		if err := lake.Scan(context.Background(), w.blob, m, func(rows []idRow) error {
			for _, r := range rows {
				seen[r.ID]++
			}
			return nil
		}); err != nil {
			t.Fatalf("%s: scan %s: %v", obj.Name, m.Key(), err)
		}
		if m.Rows != int64(len(want)) || len(seen) != len(want) {
			t.Errorf("%s: manifest %d rows, files %d distinct Ids, org %d records", obj.Name, m.Rows, len(seen), len(want))
		}
		for id, n := range seen {
			if n != 1 || !want[id] {
				t.Errorf("%s %s: %d times in the snapshot, in the org: %v", obj.Name, id, n, want[id])
				break
			}
		}
	}
}

func malformedByObject(org *democrm.Org) map[string]int64 {
	n := map[string]int64{}
	for _, m := range org.Malformed() {
		n[m.Object]++
	}
	return n
}

// checkExtract checks an extract response against the org and the lake.
func (w *world) checkExtract(t *testing.T, raw []byte) extract.Summary {
	t.Helper()
	sum := decode[extract.Summary](t, raw)
	if sum.Night != lake.DateString(night) || sum.RunID == "" || len(sum.Objects) != len(crm.Objects) {
		t.Fatalf("extract summary: night %s run %q, %d objects (want %s, %d)", sum.Night, sum.RunID, len(sum.Objects), lake.DateString(night), len(crm.Objects))
	}
	rejects := malformedByObject(w.org)
	for i, o := range sum.Objects {
		obj := crm.Objects[i]
		if o.Object != obj.Name || !o.Committed || o.Err != "" {
			t.Errorf("object %d: %+v, want %s committed", i, o, obj.Name)
		}
		if o.SnapshotRows != int64(w.org.Count(obj)) || o.Rejects != rejects[obj.Name] {
			t.Errorf("%s: %d rows, %d rejects; org has %d records, %d malformed", obj.Name, o.SnapshotRows, o.Rejects, w.org.Count(obj), rejects[obj.Name])
		}
		if !strings.HasPrefix(o.Manifest, lake.SnapshotPartition(obj.Name, sum.Night)+"/_manifest-") {
			t.Errorf("%s: manifest %q is not in %s", obj.Name, o.Manifest, lake.SnapshotPartition(obj.Name, sum.Night))
		}
	}
	w.checkSnapshots(t, sum.RunID)
	return sum
}

type kpiResponse struct {
	Quarter string    `json:"quarter"`
	AsOf    time.Time `json:"as_of"`
	Final   bool      `json:"final"`
	Values  int       `json:"values"`
	Gold    string    `json:"gold"`
	Credits string    `json:"credits"`
	Rows    int       `json:"credit_rows"`
}

type payoutsResponse struct {
	Quarter     string `json:"quarter"`
	Statements  int    `json:"statements"`
	Corrections int    `json:"corrections"`
	Lines       string `json:"lines"`
}

type approveResponse struct {
	Quarter  string `json:"quarter"`
	Action   string `json:"action"`
	Outcomes []struct {
		Person  string `json:"person"`
		Action  string `json:"action"`
		Version int64  `json:"version"`
	} `json:"outcomes"`
	Export string `json:"export"`
}

// versions is each statement's stored version and status, by person.
func versions(st []statementstore.Stored) map[string]string {
	out := map[string]string{}
	for _, s := range st {
		out[s.Statement.PersonID] = fmt.Sprintf("v%d %s", s.Version, s.Status)
	}
	return out
}

// logCount counts the function log lines whose message is msg.
func logCount(hs []*lambdaruntime.Harness, msg string) int {
	n := 0
	for _, h := range hs {
		n += strings.Count(h.Logs(), `"msg":"`+msg+`"`)
	}
	return n
}

// oneRunOneReplay asserts that of two processes delivered the same event,
// exactly one ran the job and the other replayed its stored result. A
// process's log lines reach the harness through a pipe, possibly after its
// response, so the check waits (briefly) for them.
func oneRunOneReplay(t *testing.T, hs []*lambdaruntime.Harness) {
	t.Helper()
	var runs, replays int
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		runs, replays = logCount(hs, "run finished"), logCount(hs, "duplicate delivery: returning the stored result")
		if runs+replays >= 2 || time.Now().After(end) {
			break
		}
	}
	if runs != 1 || replays != 1 {
		t.Fatalf("%d runs and %d replays across the two processes, want 1 and 1", runs, replays)
	}
}

// emfRecord is a CloudWatch Embedded Metric Format record a function printed.
type emfRecord struct {
	Job         string  `json:"Job"`
	Period      string  `json:"Period"`
	Rows        float64 `json:"Rows"`
	PayoutTotal float64 `json:"PayoutTotal"`
	AWS         struct {
		CloudWatchMetrics []struct {
			Namespace string `json:"Namespace"`
			Metrics   []struct {
				Name string `json:"Name"`
				Unit string `json:"Unit"`
			} `json:"Metrics"`
		} `json:"CloudWatchMetrics"`
	} `json:"_aws"`
}

// emfRecords returns the EMF records the processes printed (a run prints
// one; a replay none), waiting briefly for the first to come through the pipe.
func emfRecords(t *testing.T, hs []*lambdaruntime.Harness) []emfRecord {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var out []emfRecord
		for _, h := range hs {
			for _, line := range strings.Split(h.Logs(), "\n") {
				if !strings.HasPrefix(line, "{") || !strings.Contains(line, `"_aws":`) {
					continue
				}
				out = append(out, decode[emfRecord](t, []byte(line)))
			}
		}
		if len(out) > 0 || time.Now().After(end) {
			return out
		}
	}
}

// TestLambdaJobsEndToEnd runs the nightly extract, the quarter close (kpi),
// the payouts and the approval as four Lambda processes, each job's first
// delivery racing a duplicate in a second process, then delivered once more.
func TestLambdaJobsEndToEnd(t *testing.T) {
	skipShort(t)
	t.Parallel()
	w := newWorld(t)

	t.Run("extract", func(t *testing.T) {
		h := w.start(t, "extract", 2*time.Minute)
		first := invoke(t, h, event(t, "extract/event.json"))
		sum := w.checkExtract(t, first)
		if got := w.manifests(t, "crm/snapshot/"); len(got) != len(crm.Objects) {
			t.Fatalf("%d snapshot manifests after one night, want one per object (%d): %v", len(got), len(crm.Objects), got)
		}
		for _, o := range sum.Objects {
			if o.Mode != extract.ModeFull {
				t.Errorf("%s: first night pulled as %s, want full", o.Object, o.Mode)
			}
		}
		w.oneRun(t, "extract", lake.DateString(night), 1)

		// The same night delivered again: the stored summary, no new commit.
		before := w.manifests(t, "crm/")
		if again := invoke(t, h, event(t, "extract/event.json")); !bytes.Equal(again, first) {
			t.Fatalf("redelivery answered %s, the run answered %s", again, first)
		}
		if after := w.manifests(t, "crm/"); !slices.Equal(after, before) {
			t.Fatalf("a redelivery of the night committed again: %d manifests, then %d", len(before), len(after))
		}
	})
	if t.Failed() {
		return
	}

	var kpis kpiResponse
	t.Run("kpi close", func(t *testing.T) {
		h := w.start(t, "kpi", time.Minute)
		kpis = decode[kpiResponse](t, invoke(t, h, event(t, "kpi/event-rerun.json")))
		start, end := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
		if kpis.Quarter != quarter || !kpis.Final || !kpis.AsOf.Equal(end) || kpis.Values == 0 {
			t.Fatalf("kpi response %+v: want final %s figures as of %s", kpis, quarter, end)
		}
		gold := w.manifests(t, "kpi/quarter=")
		if len(gold) != 1 || gold[0] != kpis.Gold || !strings.HasPrefix(kpis.Gold, "kpi/quarter="+quarter+"/") {
			t.Fatalf("kpi manifests %v, response names %s", gold, kpis.Gold)
		}
		m := w.manifest(t, kpis.Gold)
		if m.Rows != int64(kpis.Values) || len(m.Files) == 0 {
			t.Fatalf("gold manifest: %d rows in %d files, response %d values", m.Rows, len(m.Files), kpis.Values)
		}
		// One figure recomputed here from the org: leads created in the
		// quarter, read back from the gold Parquet over S3.
		want := 0
		if err := w.org.Each(crm.Lead, func(r *crm.Row) error {
			if created := crm.TimeOfMicros(r.Values[crm.Lead.Column("created_date")].I); !created.Before(start) && created.Before(end) {
				want++
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if want == 0 {
			t.Fatalf("the demo org created no leads in %s: nothing to check", quarter)
		}
		var got []kpi.GoldRow
		if err := lake.Scan(context.Background(), w.blob, m, func(rows []kpi.GoldRow) error {
			for _, r := range rows {
				if r.KPI == "leads" && r.Dimension == "org" && r.Key == "all" {
					got = append(got, r)
				}
			}
			return nil
		}); err != nil {
			t.Fatalf("scan %s: %v", m.Key(), err)
		}
		if len(got) != 1 || !got[0].Final || got[0].Quarter != quarter || got[0].Value != int64(want)*1_000_000 {
			t.Fatalf("gold leads/org/all: %+v; independently %d leads created in %s", got, want, quarter)
		}
		// The credit rows beside it: every opportunity's rows under each
		// model sum to its amount.
		credits := w.manifests(t, "kpi/credit/")
		if len(credits) != 1 || credits[0] != kpis.Credits || kpis.Rows == 0 {
			t.Fatalf("credit manifests %v, response names %s with %d rows", credits, kpis.Credits, kpis.Rows)
		}
		cm := w.manifest(t, kpis.Credits)
		type oppModel struct{ opp, model string }
		sums, amounts := map[oppModel]int64{}, map[oppModel]int64{}
		if err := lake.Scan(context.Background(), w.blob, cm, func(rows []kpi.CreditRow) error {
			for _, r := range rows {
				k := oppModel{r.Opportunity, r.Model}
				sums[k] += r.Credit
				amounts[k] = r.Amount
			}
			return nil
		}); err != nil {
			t.Fatalf("scan %s: %v", cm.Key(), err)
		}
		if int(cm.Rows) != kpis.Rows || len(sums) == 0 {
			t.Fatalf("credit manifest: %d rows, response %d, %d opportunity-models", cm.Rows, kpis.Rows, len(sums))
		}
		for k, c := range sums {
			if c != amounts[k] {
				t.Errorf("credit rows of %s under %s sum to %d cents, amount %d", k.opp, k.model, c, amounts[k])
			}
		}
	})
	if t.Failed() {
		return
	}

	var pay payoutsResponse
	t.Run("payouts delivered twice at once, then again", func(t *testing.T) {
		ev := event(t, "payouts/event-rerun.json")
		hs := []*lambdaruntime.Harness{w.start(t, "payouts", time.Minute), w.start(t, "payouts", time.Minute)}
		outs := invokeAtOnce(t, hs, ev)
		if !bytes.Equal(outs[0], outs[1]) {
			t.Fatalf("concurrent deliveries answered differently:\n%s\n%s", outs[0], outs[1])
		}
		oneRunOneReplay(t, hs)
		pay = decode[payoutsResponse](t, outs[0])
		st := w.statements(t)
		if pay.Quarter != quarter || pay.Statements == 0 || pay.Statements != len(st) || pay.Corrections != 0 {
			t.Fatalf("payouts response %+v; %d statements in DynamoDB", pay, len(st))
		}
		for _, s := range st {
			if s.Status != "draft" || s.Version != 1 || s.Statement.Quarter != quarter {
				t.Errorf("statement %s: %s v%d, want a first draft", s.Statement.ID, s.Status, s.Version)
			}
		}
		lines := w.manifests(t, "comp/quarter="+quarter+"/")
		if len(lines) != 1 || lines[0] != pay.Lines {
			t.Fatalf("comp manifests %v, response names %s", lines, pay.Lines)
		}
		w.checkStatementFiles(t, w.manifest(t, pay.Lines), st)
		total := decimal.Zero
		for _, s := range st {
			total = total.Add(s.Statement.Total.Decimal)
		}
		emf := emfRecords(t, hs)
		if len(emf) != 1 || emf[0].Job != "payouts" || emf[0].Period != quarter || emf[0].Rows != float64(len(st)) ||
			len(emf[0].AWS.CloudWatchMetrics) != 1 || emf[0].AWS.CloudWatchMetrics[0].Namespace != "Venn" ||
			!decimal.NewFromFloat(emf[0].PayoutTotal).Round(2).Equal(total) {
			t.Errorf("EMF metrics %+v; want one payouts record, %d statements totalling %s", emf, len(st), total)
		}
		before := versions(st)
		// The run's commits under comp/: the statement lines and the
		// statement status table.
		committed := w.manifests(t, "comp/")
		if len(committed) != 2 || !slices.Contains(committed, "comp/statement_status/quarter="+quarter+"/_manifest-000001.json") {
			t.Fatalf("comp/ commits %v, want the lines and the status table", committed)
		}

		again := invoke(t, hs[0], ev)
		if !bytes.Equal(again, outs[0]) {
			t.Fatalf("redelivery answered %s, the run answered %s", again, outs[0])
		}
		if got := w.manifests(t, "comp/"); !slices.Equal(got, committed) {
			t.Fatalf("a redelivery committed again: %v", got)
		}
		if after := versions(w.statements(t)); !maps.Equal(after, before) {
			t.Fatalf("a redelivery moved statements: %v -> %v", before, after)
		}
		w.oneRun(t, "payouts", quarter, 1)
	})
	if t.Failed() {
		return
	}

	t.Run("approve delivered twice at once, then again", func(t *testing.T) {
		ev := urlRequest(t, approverARN, event(t, "approve/event.json"))
		hs := []*lambdaruntime.Harness{w.start(t, "approve", time.Minute), w.start(t, "approve", time.Minute)}
		outs := invokeAtOnce(t, hs, ev)
		if !bytes.Equal(outs[0], outs[1]) {
			t.Fatalf("concurrent deliveries answered differently:\n%s\n%s", outs[0], outs[1])
		}
		oneRunOneReplay(t, hs)
		status, body := urlAnswer(t, outs[0])
		if status != 200 {
			t.Fatalf("approve answered %d: %s", status, body)
		}
		a := decode[approveResponse](t, body)
		st := w.statements(t)
		if a.Quarter != quarter || a.Action != "approve" || len(a.Outcomes) != len(st) || len(st) != pay.Statements {
			t.Fatalf("approve response: %s %s, %d outcomes; %d statements stored, payouts made %d", a.Quarter, a.Action, len(a.Outcomes), len(st), pay.Statements)
		}
		stored := map[string]statementstore.Stored{}
		for _, s := range st {
			stored[s.Statement.PersonID] = s
			// The approver is the IAM principal that signed the request.
			if s.Status != "approved" || s.ApprovedBy != approver || s.ApprovedIdentity == nil || s.ApprovedIdentity.Principal != approverARN ||
				s.History[len(s.History)-1].By != approver {
				t.Errorf("statement %s: %s by %q (%+v), want approved by %s", s.Statement.ID, s.Status, s.ApprovedBy, s.ApprovedIdentity, approver)
			}
		}
		for _, o := range a.Outcomes {
			if s, ok := stored[o.Person]; !ok || o.Action != "approved" || o.Version != s.Version {
				t.Errorf("outcome %+v; stored v%d", o, s.Version)
			}
		}
		exports := w.manifests(t, "exports/payroll/quarter="+quarter+"/")
		if len(exports) != 1 || exports[0] != a.Export {
			t.Fatalf("export manifests %v, response names %s", exports, a.Export)
		}
		w.checkPayrollCSV(t, w.manifest(t, a.Export), stored)
		before := versions(st)

		again := invoke(t, hs[1], ev)
		if !bytes.Equal(again, outs[0]) {
			t.Fatalf("redelivery answered %s, the run answered %s", again, outs[0])
		}
		if got := w.manifests(t, "exports/"); !slices.Equal(got, exports) {
			t.Fatalf("a redelivery exported again: %v", got)
		}
		if after := versions(w.statements(t)); !maps.Equal(after, before) {
			t.Fatalf("a redelivery moved statements: %v -> %v", before, after)
		}
		w.oneRun(t, "approve", quarter, 1)
	})
	if t.Failed() {
		return
	}

	t.Run("finalize: who may, and who may not", func(t *testing.T) { w.checkFinalizeRules(t) })
	t.Run("acknowledge: only your own plan, only its current file", func(t *testing.T) { w.checkAcknowledge(t) })
	if t.Failed() {
		return
	}

	t.Run("a dispute on a final statement line", func(t *testing.T) { w.checkDispute(t) })
	if t.Failed() {
		return
	}

	t.Run("bad events", func(t *testing.T) { w.checkBadEvents(t) })
}

// checkFinalizeRules sends signed finalize requests after jane's approval:
// without an IAM principal, by the person paid (matched by the HMAC of the
// session's email against the User snapshot), by the approver under
// another role (four eyes), then by a controller, who finalizes.
func (w *world) checkFinalizeRules(t *testing.T) {
	h := w.start(t, "approve", time.Minute)
	finalize := event(t, "approve/event-finalize.json")
	before := versions(w.statements(t))
	for _, tt := range []struct{ name, arn, want string }{
		{"no IAM principal (AuthType NONE)", "", "no authenticated caller"},
		{"the approver role may not finalize", approverARN, "rule not_allowed"},
		// Alex Romero is 005000000000002AAA, alex.romero@venn-demo.example.
		{"the person paid", "arn:aws:sts::123456789012:assumed-role/VennFinanceController/alex.romero@venn-demo.example",
			"may not finalize statement 2026Q3/005000000000002AAA of Alex Romero (005000000000002AAA): the caller is the person paid"},
		{"the approver, as controller", "arn:aws:sts::123456789012:assumed-role/VennFinanceController/jane.doe@example.com", "rule four_eyes"},
	} {
		status, body := urlAnswer(t, invoke(t, h, urlRequest(t, tt.arn, finalize)))
		if status != 403 || !strings.Contains(string(body), tt.want) {
			t.Errorf("%s: %d %s, want 403 with %q", tt.name, status, body, tt.want)
		}
	}
	if after := versions(w.statements(t)); !maps.Equal(after, before) {
		t.Fatalf("refused requests moved statements: %v -> %v", before, after)
	}
	const ctrlARN = "arn:aws:sts::123456789012:assumed-role/VennFinanceController/ole.berg@example.com"
	status, body := urlAnswer(t, invoke(t, h, urlRequest(t, ctrlARN, finalize)))
	if status != 200 {
		t.Fatalf("finalize by the controller: %d %s", status, body)
	}
	for _, s := range w.statements(t) {
		if s.Status != "final" || s.ApprovedBy != approver || s.FinalBy != "aws:123456789012:role/VennFinanceController/ole.berg@example.com" ||
			s.FinalIdentity == nil || s.FinalIdentity.Principal != ctrlARN {
			t.Errorf("statement %s: %s, approved by %s, final by %s", s.Statement.ID, s.Status, s.ApprovedBy, s.FinalBy)
		}
	}
}

// checkDispute walks a dispute through the approve Function URL on Alex
// Romero's final 2026Q3 statement, each request signed by a different IAM
// session: Alex raises it (his session is named by his CRM email, matched
// through the User snapshot's HMAC), the raise delivered twice at once
// gives one dispute; Priya may not raise on his line; his manager Maria
// Chen answers (routed to her); Alex may not resolve his own; a request
// for a stale version and one without text are refused; jane (finance)
// resolves it with an adjustment of 250.00, paid on his 2026Q4 statement
// (2026Q3 is final). The texts and the amount are in DynamoDB only, never
// in the function's logs.
func (w *world) checkDispute(t *testing.T) {
	const alex, maria = "005000000000002AAA", "005000000000001AAA"
	session := func(role, name string) string { return "arn:aws:sts::123456789012:assumed-role/" + role + "/" + name }
	alexARN, priyaARN, mariaARN := session("VennSales", "alex.romero@venn-demo.example"), session("VennSales", "priya.nair@venn-demo.example"), session("VennSales", "maria.chen@venn-demo.example")
	ctx := context.Background()
	st, err := statementstore.Get(ctx, w.store, quarter, alex)
	if err != nil || st.Status != "final" {
		t.Fatalf("Alex's statement: %+v %v", st, err)
	}
	line := st.Statement.Lines[len(st.Statement.Lines)-1].Key
	type answer struct {
		Dispute      string `json:"dispute"`
		State        string `json:"state"`
		Version      int64  `json:"version"`
		Caller       string `json:"caller"`
		PaidIn       string `json:"paid_in"`
		PaidInStatus string `json:"paid_in_status"`
	}
	hs := []*lambdaruntime.Harness{w.start(t, "approve", time.Minute), w.start(t, "approve", time.Minute)}
	send := func(arn, ev string) (int, []byte) {
		t.Helper()
		return urlAnswer(t, invoke(t, hs[0], urlRequest(t, arn, []byte(ev))))
	}
	raise := `{"job":"approve","quarter":"2026Q3","action":"raise","dispute":{"person":"` + alex + `","line":"` + line + `","text":"PRIVATE-1 the renewal was mine"}}`
	if status, body := send(priyaARN, raise); status != 403 || !strings.Contains(string(body), "rule not_party") {
		t.Fatalf("Priya raising on Alex's line: %d %s", status, body)
	}
	outs := invokeAtOnce(t, hs, urlRequest(t, alexARN, []byte(raise)))
	if !bytes.Equal(outs[0], outs[1]) {
		t.Fatalf("the raise delivered twice answered differently:\n%s\n%s", outs[0], outs[1])
	}
	status, body := urlAnswer(t, outs[0])
	raised := decode[answer](t, body)
	if status != 200 || raised.Dispute != quarter+"/"+alex+"/1" || raised.State != "open" || raised.Version != 1 ||
		raised.Caller != "aws:123456789012:role/VennSales/alex.romero@venn-demo.example" {
		t.Fatalf("raise: %d %s", status, body)
	}
	if all, err := statementstore.Disputes(ctx, w.store, quarter, alex); err != nil || len(all) != 1 {
		t.Fatalf("%d disputes after the raise delivered twice (%v)", len(all), err)
	}
	id := raised.Dispute
	answerEv := `{"job":"approve","quarter":"2026Q3","action":"answer","dispute":{"id":"` + id + `","version":1,"text":"PRIVATE-2 checking with finance"}}`
	if status, body := send(mariaARN, answerEv); status != 200 || decode[answer](t, body).State != "answered" {
		t.Fatalf("answer by Maria: %d %s", status, body)
	}
	resolve := func(version int, text string) string {
		return `{"job":"approve","quarter":"2026Q3","action":"resolve","dispute":{"id":"` + id + `","version":` + fmt.Sprint(version) + `,"text":"` + text + `","outcome":"adjustment","amount":"250.00"}}`
	}
	for _, tt := range []struct {
		name, arn, ev string
		status        int
		want          string
	}{
		{"Alex resolving his own", session("VennFinanceApprover", "alex.romero@venn-demo.example"), resolve(2, "PRIVATE-3"), 403, "rule own_pay"},
		{"a stale version", approverARN, resolve(1, "PRIVATE-4"), 409, "is at version 2, the action was for version 1"},
		{"no text", approverARN, resolve(2, " "), 400, "dispute.text: required"},
		{"Alex answering his own", alexARN, `{"job":"approve","quarter":"2026Q3","action":"answer","dispute":{"id":"` + id + `","text":"PRIVATE-5"}}`, 403, "rule own_pay"},
	} {
		if status, body := send(tt.arn, tt.ev); status != tt.status || !strings.Contains(string(body), tt.want) {
			t.Errorf("%s: %d %s, want %d with %q", tt.name, status, body, tt.status, tt.want)
		}
	}
	status, body = send(approverARN, resolve(2, "PRIVATE-6 renewal credited to Alex"))
	res := decode[answer](t, body)
	if status != 200 || res.State != "resolved" || res.Version != 3 || res.PaidIn != "2026Q4" || res.PaidInStatus != "" {
		t.Fatalf("resolve by jane: %d %s", status, body)
	}
	if status, body := send(alexARN, `{"job":"approve","quarter":"2026Q3","action":"reply","dispute":{"id":"`+id+`","text":"PRIVATE-7"}}`); status != 409 || !strings.Contains(string(body), "is resolved: cannot reply") {
		t.Errorf("a reply to a resolved dispute: %d %s", status, body)
	}
	d, err := statementstore.GetDispute(ctx, w.store, id)
	if err != nil || d.Version != 3 || len(d.History) != 3 || d.History[1].Role != "manager" || d.History[1].Identity.Principal != mariaARN ||
		d.History[2].By != approver || d.Resolution.Amount.StringFixed(2) != "250.00" || d.Routed[0].Person != maria {
		t.Fatalf("stored dispute %+v %v", d, err)
	}
	adj, err := statementstore.DisputeAdjustments(ctx, w.store, "2026Q4")
	if err != nil || len(adj) != 1 || adj[0].DisputeID != id || adj[0].Amount.StringFixed(2) != "250.00" {
		t.Fatalf("adjustments paid in 2026Q4: %+v %v", adj, err)
	}
	// The read action: Alex and Maria read the whole history through the
	// Function URL; Priya (neither his nor his manager, not finance) is
	// refused.
	readEv := `{"job":"approve","quarter":"2026Q3","action":"read","dispute":{"id":"` + id + `"}}`
	for _, arn := range []string{alexARN, mariaARN} {
		status, body := send(arn, readEv)
		r := decode[struct {
			Disputes []statementstore.StoredDispute
		}](t, body)
		if status != 200 || len(r.Disputes) != 1 || len(r.Disputes[0].History) != 3 || r.Disputes[0].History[2].Text != "PRIVATE-6 renewal credited to Alex" {
			t.Errorf("read by %s: %d %s", arn, status, body)
		}
	}
	if status, body := send(priyaARN, readEv); status != 403 || !strings.Contains(string(body), "rule not_party") || strings.Contains(string(body), "PRIVATE") {
		t.Errorf("read by Priya: %d %s", status, body)
	}
	for _, h := range hs {
		if logs := h.Logs(); strings.Contains(logs, "PRIVATE") || strings.Contains(logs, "250.00") {
			t.Errorf("a dispute's text or amount reached the function's logs:\n%s", logs)
		}
	}
}

type statementLine struct {
	StatementID string `parquet:"statement_id"`
	AmountCents int64  `parquet:"amount,decimal(2:18)"`
}

// checkStatementFiles compares the lake's statement files with the
// statements in DynamoDB: each statement's JSON in the run folder is the
// stored statement byte for byte, and its lines in the statement-lines
// Parquet sum to the stored total.
func (w *world) checkStatementFiles(t *testing.T, m *lake.Manifest, st []statementstore.Stored) {
	t.Helper()
	folder := m.Meta["statements"]
	// The statement files of this commit's run, in the quarter's partition.
	if m.Meta["input.User"] == "" || !strings.HasPrefix(folder, m.Partition+"/") || !strings.HasSuffix(folder, "run="+m.RunID) {
		t.Fatalf("statement lines manifest %s: meta %v", m.Key(), m.Meta)
	}
	sums := map[string]int64{}
	if err := lake.Scan(context.Background(), w.blob, m, func(rows []statementLine) error {
		for _, r := range rows {
			sums[r.StatementID] += r.AmountCents
		}
		return nil
	}); err != nil {
		t.Fatalf("scan %s: %v", m.Key(), err)
	}
	if len(sums) != len(st) {
		t.Errorf("statement lines cover %d statements, DynamoDB holds %d", len(sums), len(st))
	}
	for _, s := range st {
		if got, want := money.FromCents(sums[s.Statement.ID]), s.Statement.Total.Decimal; !got.Equal(want) {
			t.Errorf("%s: lines in the lake sum to %s, stored total %s", s.Statement.ID, got, want)
		}
		want, err := s.Statement.JSON()
		if err != nil {
			t.Fatal(err)
		}
		if got := w.get(t, folder+"/"+comp.StatementFileName(s.Statement.Name, s.Statement.PersonID, ".json")); !bytes.Equal(got, want) {
			t.Errorf("%s: statement JSON in the lake differs from DynamoDB's", s.Statement.ID)
		}
	}
}

// checkPayrollCSV reads the export's CSV over S3: one row per approved
// statement, with the stored total, version and status.
func (w *world) checkPayrollCSV(t *testing.T, m *lake.Manifest, stored map[string]statementstore.Stored) {
	t.Helper()
	if m.Rows != int64(len(stored)) || m.Meta["statements"] != fmt.Sprint(len(stored)) {
		t.Errorf("export manifest: %d rows, meta %v; %d statements approved", m.Rows, m.Meta, len(stored))
	}
	recs, err := csv.NewReader(bytes.NewReader(w.get(t, m.Meta["csv"]))).ReadAll()
	if err != nil {
		t.Fatalf("payroll csv %s: %v", m.Meta["csv"], err)
	}
	if len(recs) != len(stored)+1 || !slices.Equal(recs[0], comp.CSVHeader) {
		t.Fatalf("payroll csv: %d records (header %v), want a header and %d rows", len(recs), recs[0], len(stored))
	}
	col := func(name string) int { return slices.Index(comp.CSVHeader, name) }
	byID := map[string]statementstore.Stored{}
	for _, s := range stored {
		byID[s.Statement.ID] = s
	}
	for _, r := range recs[1:] {
		s, ok := byID[r[col("statement_id")]]
		if !ok {
			t.Errorf("payroll row for unknown statement %q", r[col("statement_id")])
			continue
		}
		delete(byID, s.Statement.ID)
		want := []string{s.Statement.Total.Decimal.StringFixed(2), fmt.Sprint(s.Version), "approved"}
		got := []string{r[col("amount")], r[col("statement_version")], r[col("status")]}
		if !slices.Equal(got, want) {
			t.Errorf("payroll row %s: amount, version, status %v, stored %v", s.Statement.ID, got, want)
		}
	}
	if len(byID) != 0 {
		t.Errorf("approved statements missing from the payroll export: %d", len(byID))
	}
}

// checkBadEvents sends each function events it must refuse: the function
// answers through /error with a message naming the problem, writes nothing,
// and keeps serving.
func (w *world) checkBadEvents(t *testing.T) {
	tests := []struct {
		fn, event, want string
	}{
		{"extract", `{"job":"extract","objects":["Leads"]}`, `extract event: objects: unknown CRM object "Leads"`},
		{"extract", `{"job":"extract","mode":"backfill","from":"2026-11-08","to":"2026-11-01"}`, `extract event: from/to: from must be before to`},
		{"kpi", `{"job":"kpi","mode":"weekly"}`, `kpi event: mode: "weekly" is not qtd, close or rerun`},
		{"kpi", `{"job":"payouts","mode":"close"}`, `kpi event: job is "payouts", this function runs "kpi"`},
		// qtd is the nightly what-if; it needs that night's KPIs to date.
		{"payouts", `{"job":"payouts","mode":"qtd"}`, `what-if 2026Q4: KPIs of 2026Q4 to date: none stored`},
		{"payouts", `{"job":"payouts","mode":"rerun","quarter":"2025Q1"}`, `payouts 2025Q1: final KPIs: `},
		// A direct invoke carries no caller: the approver is the caller.
		{"approve", `{"job":"approve","quarter":"2026Q3","action":"approve"}`, `approve: no authenticated caller`},
		// aws-lambda-go alone would drop what follows the first JSON value;
		// awsenv hands the handler the payload as sent.
		{"approve", string(urlRequest(t, approverARN, nil)) + ` {}`, `approve: no authenticated caller`},
	}
	before := w.manifests(t, "")
	harness := map[string]*lambdaruntime.Harness{}
	for _, tt := range tests {
		h := harness[tt.fn]
		if h == nil {
			h = w.start(t, tt.fn, 30*time.Second)
			harness[tt.fn] = h
		}
		_, err := h.Invoke(context.Background(), []byte(tt.event))
		var fe *lambdaruntime.FunctionError
		ok := errors.As(err, &fe)
		// go-json-experiment words a semantic error "cannot" or "unable
		// to", picked at random once per process on purpose (errors.go,
		// errorModalVerb): both are the same error.
		if !ok || fe.Type == "" || !strings.HasPrefix(strings.Replace(fe.Message, "json: unable to ", "json: cannot ", 1), tt.want) {
			t.Errorf("%s %s: got %v, want a function error starting %q", tt.fn, tt.event, err, tt.want)
		}
	}
	if after := w.manifests(t, ""); !slices.Equal(after, before) {
		t.Errorf("refused events committed something: %d manifests before, %d after", len(before), len(after))
	}
	// Bad bodies of signed Function URL requests: 400, naming the field.
	for _, tt := range []struct{ body, want string }{
		{`{"job":"approve","quarter":"2026Q3","action":"approve","approver":"ceo@example.com"}`, `approve event: approver: not accepted: the approver is the authenticated caller`},
		{`{"job":"approve","quarter":"2026Q3","action":"approve","peple":["005"]}`, `unknown object member name \"peple\"`},
		{`{"job":"approve","quarter":"2026Q3","action":"approve"} {}`, `approve event: trailing data after the JSON object`},
	} {
		out, err := harness["approve"].Invoke(context.Background(), urlRequest(t, approverARN, []byte(tt.body)))
		if err != nil {
			t.Errorf("%s: %v", tt.body, err)
			continue
		}
		if status, body := urlAnswer(t, out); status != 400 || !strings.Contains(string(body), tt.want) {
			t.Errorf("%s: %d %s, want 400 with %q", tt.body, status, body, tt.want)
		}
	}
	// Still serving after the errors: a replayed good event answers.
	out, err := harness["approve"].Invoke(context.Background(), urlRequest(t, approverARN, event(t, "approve/event.json")))
	if err != nil {
		t.Errorf("approve after refused events: %v", err)
	} else if status, body := urlAnswer(t, out); status != 200 {
		t.Errorf("approve after refused events: %d %s", status, body)
	}

	// A missing required variable fails the function's init, with the
	// variable named in the init error or the function's logs.
	env := map[string]string{}
	for k, v := range w.env {
		if k != "RESULTS_TABLE" {
			env[k] = v
		}
	}
	h := lambdaruntime.Start(t, bootstrap(t, "kpi"), env, lambdaruntime.Options{Timeout: 10 * time.Second})
	_, err = h.Invoke(context.Background(), event(t, "kpi/event.json"))
	var ie *lambdaruntime.InitError
	if !errors.As(err, &ie) || !strings.Contains(ie.Message+"\n"+ie.Logs, "RESULTS_TABLE is required") {
		t.Errorf("kpi without RESULTS_TABLE: got %v, want an init error naming RESULTS_TABLE", err)
	}
}

// TestLambdaExtractCrashMidRun kills the extract process while it waits on
// a slow Salesforce page, then redelivers the event, as Lambda's async retry
// does. The retry waits out the dead run's lock (its short deadline plus
// VENN_LOCK_MARGIN), takes the run over and completes it: every snapshot
// holds each org record exactly once, and the object that was mid-flight
// never shows a commit by the killed run.
func TestLambdaExtractCrashMidRun(t *testing.T) {
	skipShort(t)
	t.Parallel()
	w := newWorld(t)
	ev := event(t, "extract/event.json")

	// The first nextRecordsUrl page signals, then hangs for a minute; the
	// objects before it have committed by then.
	reached := make(chan struct{})
	var once sync.Once
	w.crm.Inject(democrm.Fault{Route: democrm.RouteQueryMore, Modify: func() { once.Do(func() { close(reached) }) }})
	w.crm.Inject(democrm.Fault{Route: democrm.RouteQueryMore, Delay: time.Minute})

	// The dead run's lock lasts its deadline plus VENN_LOCK_MARGIN. The
	// deadline stays above the extract's 30s stop margin (extract.Config
	// DeadlineMargin) so the run would start under the wall clock too: under
	// VENN_NOW the extract compares its pinned clock with the Lambda
	// deadline, which this test must not depend on. It leaves the run 35s
	// before the margin stops it: at 35s (5s of work) a loaded 2-core
	// machine sometimes stopped the run before its slow page.
	const deadline = 65 * time.Second
	first := w.start(t, "extract", deadline)
	ctx, kill := context.WithCancel(context.Background())
	defer kill()
	done := make(chan error, 1)
	invoked := time.Now()
	go func() {
		_, err := first.Invoke(ctx, ev)
		done <- err
	}()
	select {
	case <-reached:
	case err := <-done:
		t.Fatalf("the extract ended before its slow page (%v)\n%s", err, first.Logs())
	}
	kill() // the harness kills the process mid-invocation
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("killed invocation: %v", err)
	}

	// What the dead run left: some objects committed, one mid-flight.
	runs := w.ledger(t, "extract", lake.DateString(night))
	if len(runs) != 1 || runs[0].Status != runledger.Running || runs[0].Attempt != 1 {
		t.Fatalf("ledger after the kill: %+v, want one running attempt", runs)
	}
	// The lock is the Lambda deadline plus VENN_LOCK_MARGIN (1s), rounded up
	// to the second: the function read both from its invocation and its
	// environment.
	lockExpiry := time.Unix(runs[0].Expires, 0)
	if lo, hi := invoked.Add(deadline), time.Now().Add(deadline+2*time.Second); lockExpiry.Before(lo) || lockExpiry.After(hi) {
		t.Fatalf("dead run's lock expires at %s, want its deadline plus 1s, within [%s, %s]", lockExpiry, lo, hi)
	}
	committed := w.manifests(t, "crm/snapshot/")
	deadRun := ""
	for _, k := range committed {
		m := w.manifest(t, k)
		if deadRun != "" && m.RunID != deadRun {
			t.Fatalf("two runs committed before the kill: %s, %s", deadRun, m.RunID)
		}
		deadRun = m.RunID
	}
	if len(committed) == 0 || len(committed) >= len(crm.Objects) {
		t.Fatalf("%d objects committed before the kill; the slow page should stop the run midway", len(committed))
	}
	inFlight := crm.Objects[len(committed)]
	var leading []string // objects run in crm.Objects order: the first ones committed
	for _, o := range crm.Objects[:len(committed)] {
		leading = append(leading, lake.ManifestKey(lake.SnapshotPartition(o.Name, lake.DateString(night)), 1))
	}
	slices.Sort(leading)
	if !slices.Equal(committed, leading) {
		t.Fatalf("committed before the kill: %v, want the first objects in order: %v", committed, leading)
	}
	t.Logf("killed run %s after committing %d objects, inside %s", deadRun, len(committed), inFlight.Name)

	// The redelivery, in a fresh process (a cold start).
	// Its deadline covers the wait for the dead lock (up to a minute) and a
	// whole extract under load.
	retry := w.start(t, "extract", 4*time.Minute)
	sum := w.checkExtract(t, invoke(t, retry, ev))
	if sum.RunID == deadRun {
		t.Fatalf("the retry reused the dead run's id %s", deadRun)
	}
	if !strings.Contains(retry.Logs(), "taking over a run whose holder did not finish") {
		t.Errorf("the retry did not report taking over the dead run:\n%s", retry.Logs())
	}
	// The redelivery arrived while the dead run's lock held: it waited for
	// the lock to expire instead of running alongside.
	if run := w.oneRun(t, "extract", lake.DateString(night), 2); run.StartedAt.Before(lockExpiry) {
		t.Errorf("the retry started at %s, before the dead run's lock expired at %s", run.StartedAt, lockExpiry)
	}
	// It resumed from the dead run's commits: the objects committed before
	// the kill were pulled incrementally from their watermarks, the rest whole.
	for i, o := range sum.Objects {
		want := extract.ModeFull
		if i < len(committed) {
			want = extract.ModeIncremental
		}
		if o.Mode != want {
			t.Errorf("%s: retry pulled it as %s, want %s", o.Object, o.Mode, want)
		}
	}

	// Every manifest is either one the dead run finished before it died, or
	// the retry's; the mid-flight object has only the retry's.
	for _, k := range w.manifests(t, "crm/") {
		m := w.manifest(t, k)
		switch {
		case slices.Contains(committed, k):
		case m.RunID == deadRun:
			t.Errorf("manifest %s of the killed run appeared after it died", k)
		case m.RunID != sum.RunID:
			t.Errorf("manifest %s of unknown run %s", k, m.RunID)
		}
		if m.Object == inFlight.Name && m.RunID != sum.RunID {
			t.Errorf("%s was mid-flight when the run died, yet %s commits run %s", inFlight.Name, k, m.RunID)
		}
	}
	if got := w.manifests(t, lake.SnapshotPartition(inFlight.Name, lake.DateString(night))+"/"); len(got) != 1 {
		t.Errorf("%s: manifests %v, want only the retry's", inFlight.Name, got)
	}
}
