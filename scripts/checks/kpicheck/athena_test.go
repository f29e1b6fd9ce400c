package kpicheck

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/athena"

	"github.com/venn-revops/venn/scripts/checks/athenafake"
	"github.com/venn-revops/venn/shared/athenakpi"
	"github.com/venn-revops/venn/shared/demo"
	"github.com/venn-revops/venn/shared/democrm"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/kpisql"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
	"github.com/venn-revops/venn/shared/lakeviews"
	"github.com/venn-revops/venn/shared/pipeline"
	"github.com/venn-revops/venn/shared/results/localstore"
	"github.com/venn-revops/venn/shared/runledger"
)

// athenaOnDemo runs the demo and serves the Athena protocol fake over its
// lake's views file (database "main", one DuckDB session: the file's SET
// VARIABLE lives in it).
func athenaOnDemo(t *testing.T) (*demo.Report, *fsblob.Blob, *athenafake.Fake, string) {
	t.Helper()
	r, b, db := demoViews(t)
	fake, endpoint := athenafake.Start(t, db, "main")
	return r, b, fake, endpoint
}

// demoViews runs the demo and opens DuckDB over its lake's own views file
// (_views/duckdb.sql, the latest_crm_snapshot_* views: the night the KPI
// job read), in one session: the file's SET VARIABLE lives in it.
func demoViews(t *testing.T) (*demo.Report, *fsblob.Blob, *sql.DB) {
	t.Helper()
	r, b := runDemo(t)
	views, err := lakeviews.Write(context.Background(), b, r.Lake)
	if err != nil {
		t.Fatal(err)
	}
	db := openViews(t, b, nil)
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(string(views.DuckDB)); err != nil {
		t.Fatalf("%s: %v", lakeviews.DuckDBKey, err)
	}
	return r, b, db
}

// athenaClient is the real SDK client pointed at a local endpoint.
func athenaClient(endpoint string) *athena.Client {
	return athena.New(athena.Options{
		Region:       "eu-west-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local", ""),
	})
}

// TestAthenaRunnerOnDemoLake drives shared/athenakpi through the real SDK
// against the Athena protocol fake, which runs the queries on DuckDB over
// the demo lake's views file (database "main", the snapshot tables with
// their dt partition column, each restricted to the night the KPI job
// read): the runner starts the query, polls past RUNNING, reads every
// page (the demo's ~2,000 values take several 1,000-row pages), and its
// values equal the engine's for every KPI of the catalog; the gold rows
// written from them are the engine's rows.
func TestAthenaRunnerOnDemoLake(t *testing.T) {
	ctx := context.Background()
	r, b, fake, endpoint := athenaOnDemo(t)
	fake.Running = 2
	run := &athenakpi.Runner{Client: athenaClient(endpoint), Database: "main", Workgroup: "venn", Output: "s3://results/athena/",
		Dialect: kpisql.DuckDB, FirstPoll: time.Millisecond, MaxPoll: 5 * time.Millisecond}

	nights := athenakpi.Nights{}
	for name, key := range r.ClosedKPIs.Inputs {
		m, err := lake.ReadManifest(ctx, b, key)
		if err != nil {
			t.Fatal(err)
		}
		nights[name] = m.Dt
	}
	res := r.ClosedKPIs.Result
	cfg := kpi.DefaultConfig()
	p := kpi.Period{Quarter: r.Closed, AsOf: res.AsOf, Final: res.Final}

	// The generator covers the whole catalog: the KPI job's call runs.
	if err := athenakpi.Complete(); err != nil {
		t.Fatal(err)
	}
	got, st, err := run.Compute(ctx, cfg, p, nights)
	if err != nil {
		t.Fatal(err)
	}
	rep := CompareGenerated(res.Values, got.Values)
	t.Logf("athena fake, demo %s: query %s, %d rows, %d values compared, %d mismatches", p.Quarter, st.QueryID, st.Rows, rep.Values, len(rep.Mismatches))
	if len(rep.Mismatches) > 0 {
		t.Errorf("%d of %d values differ:\n%s", len(rep.Mismatches), rep.Values, rep.Summary(30))
	}
	// The credit table, row for row (the second query).
	want := slices.Clone(res.Credits)
	kpisql.SortCredits(want)
	if len(want) == 0 {
		t.Error("the demo has no credit rows: the comparison proves nothing")
	}
	if diff := CompareCredits(want, got.Credits, 5); len(diff) > 0 {
		t.Errorf("credit rows differ (engine %d, athena %d):\n%s", len(want), len(got.Credits), diff)
	}
	// The response table, row for row (the third query).
	if len(res.Responses) == 0 {
		t.Error("the demo has no response rows: the comparison proves nothing")
	}
	if !slices.Equal(res.Responses, got.Responses) {
		t.Errorf("response rows differ (engine %d, athena %d):\n%s", len(res.Responses), len(got.Responses), firstDiff(res.Responses, got.Responses))
	}
	if st.Rows <= 1000 {
		t.Errorf("only %d rows: the test does not page", st.Rows)
	}
	polls, pages := 0, 0
	for _, c := range fake.Calls {
		switch c {
		case "GetQueryExecution":
			polls++
		case "GetQueryResults":
			pages++
		}
	}
	if polls < 3 || pages < 2 {
		t.Errorf("%d polls and %d result pages: want the runner to poll past RUNNING and page", polls, pages)
	}

	// Gold: the rows the job would write from the SQL's result are the
	// engine's rows for every covered KPI key the SQL reports.
	engineRows := map[string]kpi.GoldRow{}
	for _, g := range res.Rows() {
		engineRows[g.KPI+"|"+g.Dimension+"|"+g.Key+"|"+g.Model] = g
	}
	for _, g := range got.Rows() {
		e, ok := engineRows[g.KPI+"|"+g.Dimension+"|"+g.Key+"|"+g.Model]
		if !ok {
			continue // a key the engine leaves out is its empty value (compared above)
		}
		if !goldEqual(e, g) {
			t.Errorf("gold row %s %s=%s: engine %+v, athena %+v", g.KPI, g.Dimension, g.Key, e, g)
		}
	}

	// A failing query surfaces Athena's reason.
	_, _, _, err = run.Query(ctx, "SELECT * FROM no_such_table")
	if err == nil || !strings.Contains(err.Error(), "failed") || !strings.Contains(err.Error(), "no_such_table") {
		t.Errorf("failing query: err = %v, want Athena's failure reason", err)
	}
}

func goldEqual(a, b kpi.GoldRow) bool {
	eq := func(x, y *int64) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return a.Quarter == b.Quarter && a.AsOf == b.AsOf && a.Final == b.Final && a.Side == b.Side && a.Unit == b.Unit &&
		a.Value == b.Value && a.Defined == b.Defined && a.Currency == b.Currency && a.ConfigHash == b.ConfigHash &&
		eq(a.Amount, b.Amount) && eq(a.Numerator, b.Numerator) && eq(a.Denominator, b.Denominator)
}

// TestKPIJobOnAthenaInTwoInvocations drives the KPI job's handler as the
// nightly state machine does for an org past KpiAthenaMinRows, against the
// Athena protocol fake over the demo lake: a kpi event with defer starts
// the three queries (catalog, credits, responses) and answers their ticket
// without waiting; reading them before they succeeded is refused; the test
// then polls them through the SDK (the state machine's Wait and Choice
// states) and sends the ticket back in a kpi event, whose run writes the
// gold: the engine's rows, no more and no fewer, and the credit and
// response tables.
func TestKPIJobOnAthenaInTwoInvocations(t *testing.T) {
	ctx := context.Background()
	r, b, fake, endpoint := athenaOnDemo(t)
	client := athenaClient(endpoint)
	runner := &athenakpi.Runner{Client: client, Database: "main", Workgroup: "venn", Dialect: kpisql.DuckDB,
		FirstPoll: time.Millisecond, MaxPoll: 5 * time.Millisecond}
	store, err := localstore.Open(filepath.Join(t.TempDir(), "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return democrm.DefaultAsOf.Add(12 * time.Hour) }
	env := &pipeline.Env{Blob: b, Store: store, Now: now, CodeVersion: "test", KPIConfig: kpi.DefaultConfig(),
		KPISQL: runner, KPISQLMinRows: 1, TempDir: t.TempDir(), Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Metrics: io.Discard}
	handle := env.Handler("kpi", runledger.New(store, runledger.WithClock(now)), env.PlanKPI())

	start, err := handle(ctx, json.RawMessage(`{"job":"kpi","mode":"rerun","quarter":"`+r.Closed.String()+`","defer":true}`))
	if err != nil {
		t.Fatal(err)
	}
	var started struct{ Query *pipeline.KPIQuery }
	if err := json.Unmarshal(start, &started); err != nil || started.Query == nil {
		t.Fatalf("start answered %s (%v), want a query ticket", start, err)
	}
	k := started.Query
	if k.Quarter != r.Closed.String() || !k.Final || k.Inputs["Lead"] == "" || k.Inputs["Contract"] == "" {
		t.Fatalf("ticket %+v: want the closed quarter's final figures over the night's snapshots", k)
	}
	if slices.Contains(fake.Calls, "GetQueryExecution") {
		t.Error("the start invocation polled the query: it must return at once")
	}
	finish := json.RawMessage(`{"job":"kpi","query":` + string(mustJSON(t, k)) + `}`)

	// Too early: the queries still run (the fake answers RUNNING twice).
	fake.Running = 2
	if _, err := handle(ctx, finish); err == nil || !strings.Contains(err.Error(), "has not finished") {
		t.Fatalf("finish while running: err = %v", err)
	}
	// The state machine's loop: wait, read the states, until every query
	// ended (however long DuckDB takes on a busy machine: the test's
	// timeout bounds it). The state machine reads them in one
	// BatchGetQueryExecution, which the fake does not serve: one
	// GetQueryExecution each here.
	for _, id := range k.IDs {
		for polls := 1; ; polls++ {
			out, err := client.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: aws.String(id)})
			if err != nil {
				t.Fatal(err)
			}
			if s := out.QueryExecution.Status.State; s == "SUCCEEDED" {
				break
			} else if s != "RUNNING" && s != "QUEUED" {
				t.Fatalf("query %s: %s after %d polls", id, s, polls)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	done, err := handle(ctx, finish)
	if err != nil {
		t.Fatal(err)
	}
	var sum struct {
		Gold         string
		Queries      []string
		CreditRows   int `json:"credit_rows"`
		ResponseRows int `json:"response_rows"`
	}
	if err := json.Unmarshal(done, &sum); err != nil || !slices.Equal(sum.Queries, k.IDs) || len(k.IDs) != 3 || sum.Gold == "" {
		t.Fatalf("finish answered %s (%v)", done, err)
	}
	// The credit and response tables came from their queries too (their
	// values are compared with the engine's in the generated-SQL tests).
	if eng := r.ClosedKPIs.Result; sum.CreditRows != len(eng.Credits) || sum.ResponseRows != len(eng.Responses) {
		t.Errorf("finish wrote %d credit and %d response rows, the engine %d and %d", sum.CreditRows, sum.ResponseRows, len(eng.Credits), len(eng.Responses))
	}
	// A duplicate delivery of the finish replays it; no second read.
	pages := strings.Count(strings.Join(fake.Calls, " "), "GetQueryResults")
	if again, err := handle(ctx, finish); err != nil || string(again) != string(done) {
		t.Errorf("duplicate finish: %s, %v", again, err)
	}
	if n := strings.Count(strings.Join(fake.Calls, " "), "GetQueryResults"); n != pages {
		t.Errorf("the duplicate finish read the results again (%d pages, then %d)", pages, n)
	}

	gold, err := lake.ReadManifest(ctx, b, sum.Gold)
	if err != nil {
		t.Fatal(err)
	}
	if gold.Meta["input.Lead"] != k.Inputs["Lead"] || gold.Meta["retention_source"] != string(r.ClosedKPIs.Result.RetentionSource) {
		t.Errorf("gold metadata %v: want the ticket's inputs and the engine's retention reading %s", gold.Meta, r.ClosedKPIs.Result.RetentionSource)
	}
	got := map[string]kpi.GoldRow{}
	err = lake.ScanFiles(ctx, b, gold.Files, func(rows []kpi.GoldRow) error {
		for _, g := range rows {
			got[g.KPI+"|"+g.Dimension+"|"+g.Key+"|"+g.Model] = g
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, g := range r.ClosedKPIs.Result.Rows() {
		if !kpisql.Covered(g.KPI) {
			continue
		}
		want++
		a, ok := got[g.KPI+"|"+g.Dimension+"|"+g.Key+"|"+g.Model]
		switch {
		case !ok:
			t.Errorf("gold lacks %s %s=%s [%s]", g.KPI, g.Dimension, g.Key, g.Model)
		case !goldEqual(g, a):
			t.Errorf("gold row %s %s=%s: engine %+v, athena %+v", g.KPI, g.Dimension, g.Key, g, a)
		}
	}
	if len(got) != want || want < 1000 {
		t.Errorf("gold has %d rows, the engine %d for the covered KPIs", len(got), want)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
