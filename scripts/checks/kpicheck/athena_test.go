package kpicheck

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/athena"

	"github.com/venn-revops/venn/scripts/checks/athenafake"
	"github.com/venn-revops/venn/shared/athenakpi"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/kpisql"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lakeviews"
)

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
	r, b := runDemo(t)
	views, err := lakeviews.Write(ctx, b, r.Lake)
	if err != nil {
		t.Fatal(err)
	}
	db := openViews(t, b, nil)
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(string(views.DuckDB)); err != nil {
		t.Fatal(err)
	}
	fake, endpoint := athenafake.Start(t, db, "main")
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
