package main

// The end-to-end tests build the venn binary once and run it as a user
// would, against the demo CRM over HTTP (VENN_SF_*), first on a local
// folder, then on a real S3-protocol server (gofakes3) and a real
// DynamoDB-protocol server (dynalite). What they check comes from the demo
// org itself (record counts, leads created in the quarter) and from the
// stores read back directly, not from what venn prints.

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
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/venn-revops/venn/shared/callerid"
	"github.com/venn-revops/venn/shared/callerid/ststest"
	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/comp/statementstore"
	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/democrm"
	"github.com/venn-revops/venn/shared/dynamo"
	"github.com/venn-revops/venn/shared/dynamo/dynamotest"
	"github.com/venn-revops/venn/shared/gluecatalog"
	"github.com/venn-revops/venn/shared/gluecatalog/gluefake"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
	"github.com/venn-revops/venn/shared/lakeviews"
	"github.com/venn-revops/venn/shared/results"
	"github.com/venn-revops/venn/shared/results/localstore"
	"github.com/venn-revops/venn/shared/s3store"
)

const (
	sfClientID = "venn-cli-test"
	sfSecret   = "venn-cli-test-secret"
	quarter    = "2026Q3" // the demo org's last closed quarter
)

var (
	buildOnce sync.Once
	binDir    string
	vennBin   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binary builds venn once per test binary, on first use (-short builds
// nothing).
func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the venn binary against local servers; skipped with -short")
	}
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "venn-cli-test"); buildErr != nil {
			return
		}
		vennBin = filepath.Join(binDir, "venn")
		out, err := exec.Command("go", "build", "-o", vennBin, "github.com/venn-revops/venn/scripts/venn").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return vennBin
}

// cli runs the binary with a clean environment plus env.
type cli struct {
	t   *testing.T
	bin string
	env map[string]string
}

// newCLI starts the demo CRM and returns a cli whose VENN_SF_* point at it.
func newCLI(t *testing.T) (*cli, *democrm.Org) {
	t.Helper()
	c := &cli{t: t, bin: binary(t)}
	org := democrm.Generate(democrm.Config{})
	url, stop := democrm.NewServer(org, democrm.WithClientCredentials(sfClientID, sfSecret)).Start()
	t.Cleanup(stop)
	c.env = map[string]string{
		"VENN_SF_LOGIN_URL":     url,
		"VENN_SF_CLIENT_ID":     sfClientID,
		"VENN_SF_CLIENT_SECRET": sfSecret,
		"VENN_PII_KEY":          "venn-cli-test-pii-key: test only",
		"VENN_NOW":              democrm.DefaultAsOf.Format(time.RFC3339),
		"TMPDIR":                t.TempDir(),
		"HOME":                  t.TempDir(), // no AWS config of this machine
	}
	return c, org
}

// run runs venn and returns its exit code and output.
func (c *cli) run(args ...string) (int, string, string) {
	c.t.Helper()
	cmd := exec.Command(c.bin, args...)
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "VENN_") || strings.HasPrefix(k, "AWS_") || k == "HOME" || k == "TMPDIR" {
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	for k, v := range c.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatalf("venn %v: %v", args, err)
	}
	return code, out.String(), errOut.String()
}

// must runs venn and fails the test unless it exits 0.
func (c *cli) must(args ...string) (string, string) {
	c.t.Helper()
	code, out, errOut := c.run(args...)
	if code != exitOK {
		c.t.Fatalf("venn %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out, errOut
}

// stores are the lake and results a run wrote, read back directly.
type stores struct {
	blob  lake.Blob
	store func() results.Store // reopened after each run (the local file changes)
	// where maps a location venn printed back to its lake key.
	keyOf func(printed string) string
}

// leadsCreatedIn counts the org's leads created in [start, end): the
// leads KPI, computed here from the org.
func leadsCreatedIn(t *testing.T, org *democrm.Org, start, end time.Time) int {
	t.Helper()
	n := 0
	if err := org.Each(crm.Lead, func(r *crm.Row) error {
		if c := crm.TimeOfMicros(r.Values[crm.Lead.Column("created_date")].I); !c.Before(start) && c.Before(end) {
			n++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// jobs runs every job command in order on one storage and checks each
// against the org and the stores.
//
// approver is the identity id the approve command must record: the caller
// (STS on AWS storage, the local user on a folder), never a flag.
func jobs(t *testing.T, c *cli, org *democrm.Org, storage []string, st stores, approver string) {
	ctx := context.Background()
	with := func(args ...string) []string { return append(args, storage...) }
	night := lake.DateString(democrm.DefaultAsOf)

	// extract: one snapshot per object holding exactly the org's records,
	// and a progress line per object counting every record served.
	out, errOut := c.must(with("extract")...)
	if !strings.Contains(out, "Extract of night "+night) {
		t.Errorf("extract report:\n%s", out)
	}
	malformed := map[string]int{}
	for _, m := range org.Malformed() {
		malformed[m.Object]++
	}
	for _, obj := range crm.Objects {
		m, err := lake.Snapshot(ctx, st.blob, obj.Name, night)
		if err != nil {
			t.Fatalf("%s: %v", obj.Name, err)
		}
		ids := map[string]bool{}
		if err := lake.Scan(ctx, st.blob, m, func(rows []struct {
			ID string `parquet:"id"`
		}) error {
			for _, r := range rows {
				ids[r.ID] = true
			}
			return nil
		}); err != nil {
			t.Fatalf("%s: scan: %v", obj.Name, err)
		}
		if m.Rows != int64(org.Count(obj)) || len(ids) != org.Count(obj) {
			t.Errorf("%s: snapshot of %d rows, %d distinct Ids; the org has %d records", obj.Name, m.Rows, len(ids), org.Count(obj))
		}
		served := org.Count(obj) + malformed[obj.Name]
		if want := fmt.Sprintf("extract %s: done, %d rows, ", obj.Name, served); !strings.Contains(errOut, want) {
			t.Errorf("progress lacks %q:\n%s", want, errOut)
		}
	}
	if t.Failed() {
		return
	}

	// The same night again: the ledger replays, nothing is committed.
	before, err := st.blob.List(ctx, "crm/")
	if err != nil {
		t.Fatal(err)
	}
	if _, errOut := c.must(with("extract", "--quiet")...); !strings.Contains(errOut, "already done") || strings.Contains(errOut, "extract Lead:") {
		t.Errorf("second extract of the night, stderr:\n%s", errOut)
	}
	if after, _ := st.blob.List(ctx, "crm/"); !slices.Equal(after, before) {
		t.Errorf("a rerun of the night wrote to the lake: %d keys, then %d", len(before), len(after))
	}

	// kpi: the final figures of the closed quarter; leads recomputed here.
	start, end := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	leads := leadsCreatedIn(t, org, start, end)
	out, _ = c.must(with("kpi", "--mode", "rerun", "--quarter", quarter, "--json")...)
	var kr struct {
		Gold string `json:"gold"`
	}
	if err := json.Unmarshal([]byte(out), &kr); err != nil {
		t.Fatalf("kpi --json: %v\n%s", err, out)
	}
	gold, err := lake.ReadManifest(ctx, st.blob, kr.Gold)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	if err := lake.Scan(ctx, st.blob, gold, func(rows []kpi.GoldRow) error {
		for _, r := range rows {
			if r.KPI == "leads" && r.Dimension == "org" && r.Key == "all" {
				got = append(got, r.Value)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != int64(leads)*1_000_000 {
		t.Errorf("gold leads/org/all %v; the org created %d leads in %s", got, leads, quarter)
	}

	// scorecard: the stored final figures, leads among them.
	out, _ = c.must(with("scorecard", "--quarter", quarter, "--final")...)
	if !regexp.MustCompile(fmt.Sprintf(`(?m)^  leads +%d( |$)`, leads)).MatchString(out) {
		t.Errorf("scorecard lacks the line leads %d:\n%s", leads, out)
	}
	if m := regexp.MustCompile(`(?m)^scorecard page: (.+)$`).FindStringSubmatch(out); m == nil || !bytes.Contains(readKey(t, st.blob, st.keyOf(m[1])), []byte("<html")) {
		t.Errorf("scorecard names no HTML page in the lake:\n%s", out)
	}
	if code, _, errOut := c.run(with("scorecard", "--quarter", "2026Q2", "--final")...); code != exitFailed || !strings.Contains(errOut, "final KPIs of 2026Q2: none stored") {
		t.Errorf("scorecard of a quarter never closed: exit %d, %s", code, errOut)
	}

	// payouts: draft statements stored; the report names each person.
	out, _ = c.must(with("payouts", "--mode", "rerun", "--quarter", quarter)...)
	stmts, err := statementstore.List(ctx, st.store(), quarter)
	if err != nil || len(stmts) == 0 {
		t.Fatalf("statements after payouts: %d, %v", len(stmts), err)
	}
	for _, s := range stmts {
		if s.Status != comp.StatusDraft || !strings.Contains(out, s.Statement.Name) {
			t.Errorf("statement %s: status %s; in the report: %v", s.Statement.ID, s.Status, strings.Contains(out, s.Statement.Name))
		}
	}

	// approve, then the payroll CSV it names against the stored statements.
	if code, _, errOut := c.run(with("approve", "--quarter", quarter, "--approver", "finance@example.com")...); code != exitUsage || !strings.Contains(errOut, "approver") {
		t.Errorf("approve --approver: exit %d, %s; want a usage error (the approver is the caller)", code, errOut)
	}
	out, _ = c.must(with("approve", "--quarter", quarter)...)
	stmts, _ = statementstore.List(ctx, st.store(), quarter)
	for _, s := range stmts {
		if s.ApprovedBy != approver {
			t.Errorf("statement %s approved by %q, want the caller %s", s.Statement.ID, s.ApprovedBy, approver)
		}
	}
	if !strings.Contains(out, "approve by "+approver) {
		t.Errorf("approve does not say who approved (%s):\n%s", approver, out)
	}
	// The first approval writes the export; approve names the quarter's
	// stable current/ file, the one finance imports.
	m := regexp.MustCompile(`(?m)^payroll export \(export written\): (.+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("approve names no written payroll export:\n%s", out)
	}
	if want := "exports/payroll/quarter=" + quarter + "/current/payroll.csv"; !strings.HasSuffix(m[1], want) {
		t.Errorf("approve names %s, want the current file %s", m[1], want)
	}
	checkPayroll(t, readKey(t, st.blob, st.keyOf(m[1])), stmts, comp.StatusApproved)

	// export: the same rows again, printed.
	out, _ = c.must(with("export", "--quarter", quarter, "--print")...)
	checkPayroll(t, []byte(out), stmts, comp.StatusApproved)

	// validate: configuration, storage and the CRM all answer.
	out, _ = c.must(with("validate")...)
	for _, want := range []string{"ok    KPI definitions and comp configuration (", "ok    storage", "ok    salesforce connection and PII key"} {
		if !strings.Contains(out, want) {
			t.Errorf("validate lacks %q:\n%s", want, out)
		}
	}
	// With a wrong secret the CRM check fails, naming the login URL.
	bad := &cli{t: t, bin: c.bin, env: map[string]string{}}
	for k, v := range c.env {
		bad.env[k] = v
	}
	bad.env["VENN_SF_CLIENT_SECRET"] = "wrong"
	if code, out, _ := bad.run(with("validate")...); code != exitFailed || !strings.Contains(out, "FAIL  salesforce connection and PII key: salesforce "+c.env["VENN_SF_LOGIN_URL"]) {
		t.Errorf("validate with a wrong secret: exit %d\n%s", code, out)
	}
}

func readKey(t *testing.T, b lake.Blob, key string) []byte {
	t.Helper()
	rc, err := b.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	defer rc.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(rc); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// checkPayroll compares a payroll CSV with the stored statements: one row
// each, the stored total and status.
func checkPayroll(t *testing.T, data []byte, stmts []statementstore.Stored, status string) {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("payroll csv: %v\n%s", err, data)
	}
	if !slices.Equal(recs[0], comp.CSVHeader) || len(recs) != len(stmts)+1 {
		t.Fatalf("payroll csv: header %v and %d rows; %d statements", recs[0], len(recs)-1, len(stmts))
	}
	col := func(name string) int { return slices.Index(comp.CSVHeader, name) }
	byID := map[string]statementstore.Stored{}
	for _, s := range stmts {
		byID[s.Statement.ID] = s
	}
	for _, r := range recs[1:] {
		s, ok := byID[r[col("statement_id")]]
		if !ok {
			t.Errorf("payroll row for unknown statement %q", r[col("statement_id")])
			continue
		}
		if r[col("amount")] != s.Statement.Total.Decimal.StringFixed(2) || r[col("status")] != status {
			t.Errorf("payroll row %s: amount %s status %s; stored %s %s", s.Statement.ID, r[col("amount")], r[col("status")], s.Statement.Total.Decimal.StringFixed(2), status)
		}
	}
}

// TestLocalJobs runs every job on a local folder.
func TestLocalJobs(t *testing.T) {
	t.Parallel()
	c, org := newCLI(t)
	out := filepath.Join(t.TempDir(), "mylake")
	root := filepath.Join(out, "lake")
	blob, err := fsblob.New(root)
	if err != nil {
		t.Fatal(err)
	}
	st := stores{
		blob: blob,
		store: func() results.Store {
			s, err := localstore.Open(filepath.Join(out, "results.json"))
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		keyOf: func(p string) string { return filepath.ToSlash(strings.TrimPrefix(p, root+string(filepath.Separator))) },
	}
	// A local folder is its user's own: VENN_LOCAL_USER plays a local user.
	c.env[callerid.LocalUserEnv] = "fin.local"
	jobs(t, c, org, []string{"--out", out}, st, "local:fin.local")

	lakeCommands(t, c, []string{"--out", out}, st, root)

	// config (h-config's): the embedded configuration exported to a
	// folder validates as is.
	cfgDir := t.TempDir()
	c.must("config", "export", cfgDir)
	if out, _ := c.must("config", "validate", cfgDir); !strings.Contains(out, cfgDir+": valid, version ") {
		t.Errorf("config validate of the exported default:\n%s", out)
	}
	if code, _, errOut := c.run("config", "valdate", cfgDir); code != exitUsage || !strings.Contains(errOut, `unknown subcommand "valdate"`) {
		t.Errorf("config with a typo: exit %d %s", code, errOut)
	}
	// A target changed and pushed to a store is what the next kpi run
	// with --config uses: 2026Q3's org bookings target 1,500,000.00 becomes
	// 1,200,000.00.
	kpiYAML := filepath.Join(cfgDir, "kpi.yaml")
	body, err := os.ReadFile(kpiYAML)
	if err != nil {
		t.Fatal(err)
	}
	const was = `{quarter: 2026Q3, dimension: org, key: all, bookings: "1500000.00"`
	if !bytes.Contains(body, []byte(was)) {
		t.Fatalf("%s has no %s", kpiYAML, was)
	}
	body = bytes.Replace(body, []byte(was), []byte(`{quarter: 2026Q3, dimension: org, key: all, bookings: "1200000.00"`), 1)
	if err := os.WriteFile(kpiYAML, body, 0o644); err != nil {
		t.Fatal(err)
	}
	storeDir := t.TempDir()
	pushed, _ := c.must("config", "push", cfgDir, "--to", storeDir)
	pm := regexp.MustCompile(`: version (\S+)`).FindStringSubmatch(pushed)
	if pm == nil {
		t.Fatalf("config push names no version:\n%s", pushed)
	}
	if _, errOut := c.must("kpi", "--out", out, "--mode", "rerun", "--quarter", quarter, "--config", storeDir); strings.Contains(errOut, "already done") {
		t.Errorf("kpi with a pushed configuration replayed the run made with the embedded one")
	}
	sc, _ := c.must("scorecard", "--out", out, "--quarter", quarter, "--final")
	if !regexp.MustCompile(`(?m)^  bookings_target +1,200,000\.00( |$)`).MatchString(sc) {
		t.Errorf("scorecard after the push lacks bookings_target 1,200,000.00:\n%s", sc)
	}
	if vout, _ := c.must("validate", "--out", out, "--config", storeDir); !strings.Contains(vout, "ok    KPI definitions and comp configuration ("+pm[1]+")") {
		t.Errorf("validate --config does not name the pushed version %s:\n%s", pm[1], vout)
	}
	// catalog-sync needs Glue, refused on a folder.
	if code, _, errOut := c.run("catalog-sync", "--out", out); code != exitUsage || !strings.Contains(errOut, "not --out") {
		t.Errorf("catalog-sync --out: exit %d %s", code, errOut)
	}
}

// TestAWSJobs runs every job on an S3 lake and a DynamoDB results table.
func TestAWSJobs(t *testing.T) {
	t.Parallel()
	c, org := newCLI(t)
	ctx := context.Background()
	ddb := dynamotest.Start(t) // skips without dynalite; fails under CI=true
	table := ddb.NewTable(t)
	s3srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(s3srv.Close)
	client := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(s3srv.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	const bucket = "venn-cli-lake"
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_S3": s3srv.URL, "AWS_ENDPOINT_URL_DYNAMODB": ddb.Endpoint, "AWS_REGION": "us-east-1",
		"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_EC2_METADATA_DISABLED": "true",
		// Who the credentials are: a local STS answering GetCallerIdentity.
		// VENN_LOCAL_USER has no say on AWS storage.
		"AWS_ENDPOINT_URL_STS": ststest.Start(t, "arn:aws:sts::123456789012:assumed-role/VennFinanceApprover/fin@example.com"),
		callerid.LocalUserEnv:  "someone.local",
	} {
		c.env[k] = v
	}
	store := dynamo.New(ddb.Client(), table)
	prefix := "s3://" + bucket + "/lake/"
	st := stores{
		blob:  s3store.New(client, bucket, "lake"),
		store: func() results.Store { return store },
		keyOf: func(p string) string { return strings.TrimPrefix(p, prefix) },
	}
	storage := []string{"--lake", "s3://" + bucket + "/lake", "--results", "dynamodb://" + table, "--s3-path-style"}
	jobs(t, c, org, storage, st, "aws:123456789012:role/VennFinanceApprover/fin@example.com")

	lakeCommands(t, c, storage, st, "s3://"+bucket+"/lake")

	// catalog-sync needs a Glue database: none given, so it says which.
	if code, _, errOut := c.run(append([]string{"catalog-sync"}, storage[:4]...)...); code != exitUsage || !strings.Contains(errOut, "--glue-database") {
		t.Errorf("catalog-sync without a Glue database: exit %d %s", code, errOut)
	}
	catalogSync(t, c, storage, st, bucket)
	// A table that does not exist fails validate, naming it.
	if code, out, _ := c.run("validate", "--lake", "s3://"+bucket+"/lake", "--results", "dynamodb://no-such-table", "--s3-path-style"); code != exitFailed || !strings.Contains(out, "DynamoDB table no-such-table") {
		t.Errorf("validate with a missing table: exit %d\n%s", code, out)
	}
}

// lakeCommands runs views and gc on a lake the jobs wrote: the views file
// lands in the lake and reads the files from root; gc with the default
// retention keeps the runs superseded minutes ago; a retention under an
// hour is bad usage.
func lakeCommands(t *testing.T, c *cli, storage []string, st stores, root string) {
	t.Helper()
	c.must(append([]string{"views"}, storage...)...)
	rc, err := st.blob.Get(context.Background(), lakeviews.DuckDBKey)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CREATE OR REPLACE VIEW kpi_gold AS", "CREATE OR REPLACE VIEW latest_kpi_gold AS", "'" + root + "'"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("views: %s has no %q", lakeviews.DuckDBKey, want)
		}
	}
	before, err := st.blob.List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := c.must(append([]string{"gc", "--dry-run"}, storage...)...); !strings.Contains(out, "would delete 0 files") {
		t.Errorf("gc --dry-run right after the jobs:\n%s", out)
	}
	if code, _, errOut := c.run(append([]string{"gc", "--retention", "10m"}, storage...)...); code != exitUsage || !strings.Contains(errOut, "at least 1h") {
		t.Errorf("gc --retention 10m: exit %d %s", code, errOut)
	}
	if after, _ := st.blob.List(context.Background(), ""); len(after) != len(before) {
		t.Errorf("gc deleted %d keys; the retention had not passed", len(before)-len(after))
	}
}

// TestDemoThenApprove is make demo then make approve: the demo's folder is
// ready for finance's finalize.
func TestDemoThenApprove(t *testing.T) {
	t.Parallel()
	c := &cli{t: t, bin: binary(t), env: map[string]string{"TMPDIR": t.TempDir()}}
	out := filepath.Join(t.TempDir(), "out")
	c.must("demo", "--out", out, "--leads", "3000")
	// The demo approved as finance.demo, who may not finalize too (four eyes).
	c.env[callerid.LocalUserEnv] = "finance.demo"
	if code, _, errOut := c.run("approve", "--out", out, "--quarter", quarter, "--action", "finalize"); code != exitFailed || !strings.Contains(errOut, "rule four_eyes") || !strings.Contains(errOut, "nothing was moved") {
		t.Fatalf("finalize by the demo's approver: exit %d, %s", code, errOut)
	}
	// make approve: the OS user finalizes.
	delete(c.env, callerid.LocalUserEnv)
	c.must("approve", "--out", out, "--quarter", quarter, "--action", "finalize")
	s, err := localstore.Open(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	stmts, err := statementstore.List(context.Background(), s, quarter)
	if err != nil || len(stmts) == 0 {
		t.Fatalf("statements: %d, %v", len(stmts), err)
	}
	for _, st := range stmts {
		if st.Status != comp.StatusFinal || st.ApprovedBy != "local:finance.demo" || !strings.HasPrefix(st.FinalBy, "local:") || st.FinalBy == st.ApprovedBy {
			t.Errorf("%s: %s after finalize, approved by %s, final by %s", st.Statement.ID, st.Status, st.ApprovedBy, st.FinalBy)
		}
	}

	disputeCommands(t, c, out)
	planAckCommands(t, c, out)
}

// disputeCommands drives venn dispute on the demo's folder: the demo's
// resolved 2026Q2 dispute is listed; Maria Chen raises one on Alex
// Romero's final 2026Q3 statement by line number; Alex may not answer it
// (his own pay); finance resolves it for the version it read with 99.99,
// paid on his 2026Q4 statement; show prints the statement with it, as
// text and JSON; a flag another subcommand takes is a usage error.
func disputeCommands(t *testing.T, c *cli, out string) {
	const alex = "005000000000002AAA"
	as := func(user string) { c.env[callerid.LocalUserEnv] = user }
	list, _ := c.must("dispute", "list", "--out", out, "--quarter", "2026Q2")
	if !strings.Contains(list, "2026Q2/"+alex+"/1") || !strings.Contains(list, "adjustment 250.00 USD, paid in 2026Q3") {
		t.Errorf("dispute list 2026Q2:\n%s", list)
	}
	as("maria.chen")
	raised, _ := c.must("dispute", "raise", "--out", out, "--quarter", quarter, "--person", alex, "--line", "1", "--text", "is the bonus prorated?")
	id := quarter + "/" + alex + "/1"
	if !strings.Contains(raised, "dispute "+id+" on line bonus/") || !strings.Contains(raised, "open (version 1), raise by local:maria.chen") {
		t.Fatalf("raise:\n%s", raised)
	}
	as("alex.romero@venn-demo.example")
	if code, _, errOut := c.run("dispute", "answer", "--out", out, "--id", id, "--text", "it is fine"); code != exitFailed || !strings.Contains(errOut, "rule own_pay") {
		t.Errorf("Alex answering a dispute on his pay: exit %d, %s", code, errOut)
	}
	as("finance.demo")
	if code, _, errOut := c.run("dispute", "answer", "--out", out, "--quarter", quarter, "--id", id, "--text", "x"); code != exitUsage || !strings.Contains(errOut, "venn dispute answer does not take --quarter") {
		t.Errorf("answer --quarter: exit %d, %s", code, errOut)
	}
	resolved, _ := c.must("dispute", "resolve", "--out", out, "--id", id, "--version", "1", "--outcome", "adjustment", "--amount", "99.99", "--text", "prorated by a day")
	if !strings.Contains(resolved, "resolved (version 2)") || !strings.Contains(resolved, "paid on the 2026Q4 statement (not computed yet)") {
		t.Errorf("resolve:\n%s", resolved)
	}
	text, _ := c.must("dispute", "show", "--out", out, "--quarter", quarter, "--person", alex)
	for _, want := range []string{"Compensation statement " + id[:len(id)-2], "Status: final", "Disputes: 1 (0 open)", "resolved: adjustment of USD 99.99, paid on the 2026Q4 statement",
		"raise by maria.chen (local:maria.chen) as manager: is the bonus prorated?", "resolve (adjustment USD 99.99) by finance.demo (local:finance.demo) as finance: prorated by a day"} {
		if !strings.Contains(text, want) {
			t.Errorf("dispute show lacks %q:\n%s", want, text)
		}
	}
	js, _ := c.must("dispute", "show", "--out", out, "--quarter", quarter, "--person", alex, "--json")
	var v comp.DisputedStatement
	if err := json.Unmarshal([]byte(js), &v); err != nil || v.Statement.PersonID != alex || len(v.Disputes) != 1 || len(v.Disputes[0].History) != 2 || v.Disputes[0].Resolution.PaidIn != "2026Q4" {
		t.Errorf("dispute show --json: %v\n%s", err, js)
	}
	delete(c.env, callerid.LocalUserEnv)
}

// catalogSync registers the lake the jobs wrote in the Glue protocol fake
// (seeded from infra/glue.yaml) through the built binary: every registered
// partition points at the committed run folder of its partition's head
// manifest, the jobs' main tables are there, and a second sync registers the
// same set.
func catalogSync(t *testing.T, c *cli, storage []string, st stores, bucket string) {
	t.Helper()
	ctx := context.Background()
	const database = "venn_cli"
	fake, url := gluefake.Start(t, database, bucket, "lake/")
	glue := &cli{t: t, bin: c.bin, env: map[string]string{}}
	for k, v := range c.env {
		glue.env[k] = v
	}
	// The fake answers requests signed for eu-west-1 only; S3 and DynamoDB
	// here ignore the region.
	glue.env["AWS_ENDPOINT_URL_GLUE"], glue.env["AWS_REGION"] = url, "eu-west-1"
	registered := func() map[string]string { // table/values → manifest
		fake.Mu.Lock()
		defer fake.Mu.Unlock()
		out := map[string]string{}
		for key, p := range fake.Parts {
			out[key] = p.Parameters[gluecatalog.ParamManifest]
			if !strings.HasSuffix(p.StorageDescriptor.Location, "/") || !strings.HasPrefix(p.StorageDescriptor.Location, "s3://"+bucket+"/lake/") {
				t.Errorf("partition %q at %s", key, p.StorageDescriptor.Location)
			}
		}
		return out
	}
	out, _ := glue.must(append([]string{"catalog-sync", "--glue-database", database}, storage...)...)
	first := registered()
	// It counts committed lake partitions (manifests); a snapshot's
	// manifest registers its crm_changes_ partition too.
	manifests := map[string]bool{}
	for _, m := range first {
		manifests[m] = true
	}
	if want := fmt.Sprintf("registered %d partitions in %s", len(manifests), database); !strings.Contains(out, want) {
		t.Errorf("catalog-sync says %q, want %q (%d Glue partitions)", out, want, len(first))
	}
	tables := map[string]bool{}
	for key, manifest := range first {
		table, _, _ := strings.Cut(key, "\x00")
		tables[table] = true
		m, err := lake.ReadManifest(ctx, st.blob, manifest)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if head, err := lake.Latest(ctx, st.blob, m.Partition); err != nil || head.Key() != m.Key() {
			t.Errorf("%s registered %s, the head is %v (%v)", table, m.Key(), head, err)
		}
	}
	for _, want := range []string{"crm_snapshot_lead", "crm_snapshot_opportunity", "kpi_gold", "comp_statement_lines", "exports_payroll"} {
		if !tables[want] {
			t.Errorf("no %s partition registered (%v)", want, tables)
		}
	}
	glue.must(append([]string{"catalog-sync", "--glue-database", database}, storage...)...)
	if again := registered(); !maps.Equal(again, first) {
		t.Errorf("a second catalog-sync changed the registrations: %d then %d", len(first), len(again))
	}
}
