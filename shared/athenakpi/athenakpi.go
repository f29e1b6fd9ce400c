// Package athenakpi computes the KPI catalog on Athena: it compiles the
// definitions to Trino SQL over the lake's Glue tables (shared/kpisql),
// starts the query, polls it with backoff, reads the result pages and
// returns the values as the engine's kpi.Result, whose gold rows the KPI
// job writes as it writes the engine's. The KPI job chooses it for orgs
// above a configured size (pipeline.Env.KPISQL; docs/configuration.md).
package athenakpi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/athena/types"

	"github.com/venn-revops/venn/shared/gluecatalog"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/kpisql"
)

// API is the part of the Athena client the runner calls.
type API interface {
	StartQueryExecution(ctx context.Context, in *athena.StartQueryExecutionInput, opts ...func(*athena.Options)) (*athena.StartQueryExecutionOutput, error)
	GetQueryExecution(ctx context.Context, in *athena.GetQueryExecutionInput, opts ...func(*athena.Options)) (*athena.GetQueryExecutionOutput, error)
	GetQueryResults(ctx context.Context, in *athena.GetQueryResultsInput, opts ...func(*athena.Options)) (*athena.GetQueryResultsOutput, error)
	StopQueryExecution(ctx context.Context, in *athena.StopQueryExecutionInput, opts ...func(*athena.Options)) (*athena.StopQueryExecutionOutput, error)
}

// Runner runs queries in one Athena workgroup over one Glue database.
type Runner struct {
	Client    API
	Database  string // the Glue database of the lake's tables (venn_<stage>)
	Workgroup string // "" = primary
	// Output is the S3 location of the query results (s3://bucket/prefix/);
	// "" when the workgroup enforces its own.
	Output string
	// Dialect is kpisql.Trino in production. The local Athena fake runs
	// DuckDB, so its tests compile for kpisql.DuckDB.
	Dialect kpisql.Dialect
	// FirstPoll and MaxPoll bound the backoff between GetQueryExecution
	// calls (doubling); zero: 250 ms and 5 s.
	FirstPoll, MaxPoll time.Duration
	Logger             *slog.Logger
	// AllowPartial computes the KPIs the generator covers even while it
	// lacks some (the tests); the KPI job never sets it.
	AllowPartial bool
}

// Stats are what Athena reports of one query: what the scale figures and
// the bill are made of.
type Stats struct {
	QueryID      string
	BytesScanned int64
	EngineMillis int64
	Rows         int
}

// Query runs one statement and returns its rows (NULL as nil), without the
// header row Athena puts first.
func (r *Runner) Query(ctx context.Context, text string) ([]string, [][]*string, Stats, error) {
	id, err := r.start(ctx, text)
	if err != nil {
		return nil, nil, Stats{}, err
	}
	st := Stats{QueryID: id}
	if err := r.wait(ctx, &st); err != nil {
		return nil, nil, st, err
	}
	cols, rows, err := r.results(ctx, st.QueryID)
	st.Rows = len(rows)
	return cols, rows, st, err
}

// start starts one statement and returns its query execution Id.
func (r *Runner) start(ctx context.Context, text string) (string, error) {
	in := &athena.StartQueryExecutionInput{
		QueryString:           aws.String(text),
		QueryExecutionContext: &types.QueryExecutionContext{Database: aws.String(r.Database), Catalog: aws.String("AwsDataCatalog")},
	}
	if r.Workgroup != "" {
		in.WorkGroup = aws.String(r.Workgroup)
	}
	if r.Output != "" {
		in.ResultConfiguration = &types.ResultConfiguration{OutputLocation: aws.String(r.Output)}
	}
	start, err := r.Client.StartQueryExecution(ctx, in)
	if err != nil {
		return "", fmt.Errorf("athena: start query in workgroup %q: %w", r.workgroup(), err)
	}
	return aws.ToString(start.QueryExecutionId), nil
}

func (r *Runner) workgroup() string {
	if r.Workgroup == "" {
		return "primary"
	}
	return r.Workgroup
}

// wait polls the query until it ends, backing off from FirstPoll to
// MaxPoll. A context that ends first stops the query (best effort) so it
// is not billed to the end.
func (r *Runner) wait(ctx context.Context, st *Stats) error {
	delay, maxDelay := r.FirstPoll, r.MaxPoll
	if delay <= 0 {
		delay = 250 * time.Millisecond
	}
	if maxDelay <= 0 {
		maxDelay = 5 * time.Second
	}
	for {
		done, ended, err := r.status(ctx, st)
		switch {
		case err != nil:
			return r.stop(ctx, st.QueryID, err)
		case ended != nil:
			return ended
		case done:
			return nil
		}
		select {
		case <-ctx.Done():
			return r.stop(ctx, st.QueryID, fmt.Errorf("athena: query %s: %w", st.QueryID, ctx.Err()))
		case <-time.After(delay):
		}
		delay = min(2*delay, maxDelay)
	}
}

// status reads a query's state and statistics into st: true when it
// succeeded, false while it is queued or running. A failed or cancelled
// query is ended, an error naming the reason; a state that cannot be read
// is readErr.
func (r *Runner) status(ctx context.Context, st *Stats) (done bool, ended, readErr error) {
	out, err := r.Client.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: &st.QueryID})
	if err != nil {
		return false, nil, fmt.Errorf("athena: query %s: status: %w", st.QueryID, err)
	}
	qe := out.QueryExecution
	if qe == nil || qe.Status == nil {
		return false, fmt.Errorf("athena: query %s: status without a state", st.QueryID), nil
	}
	if s := qe.Statistics; s != nil {
		st.BytesScanned, st.EngineMillis = aws.ToInt64(s.DataScannedInBytes), aws.ToInt64(s.EngineExecutionTimeInMillis)
	}
	switch qe.Status.State {
	case types.QueryExecutionStateSucceeded:
		return true, nil, nil
	case types.QueryExecutionStateFailed, types.QueryExecutionStateCancelled:
		msg := aws.ToString(qe.Status.StateChangeReason)
		if e := qe.Status.AthenaError; e != nil && e.ErrorMessage != nil && !strings.Contains(msg, *e.ErrorMessage) {
			msg += ": " + *e.ErrorMessage
		}
		return false, fmt.Errorf("athena: query %s %s: %s", st.QueryID, strings.ToLower(string(qe.Status.State)), msg), nil
	}
	return false, nil, nil
}

// stop asks Athena to cancel a query the caller gives up on, and returns
// err.
func (r *Runner) stop(ctx context.Context, id string, err error) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, serr := r.Client.StopQueryExecution(sctx, &athena.StopQueryExecutionInput{QueryExecutionId: &id}); serr != nil {
		return errors.Join(err, fmt.Errorf("athena: stop query %s: %w", id, serr))
	}
	return err
}

// results reads every page of a finished query. The first row of the
// first page is the header.
func (r *Runner) results(ctx context.Context, id string) ([]string, [][]*string, error) {
	var cols []string
	var rows [][]*string
	p := athena.NewGetQueryResultsPaginator(r.Client, &athena.GetQueryResultsInput{QueryExecutionId: &id, MaxResults: aws.Int32(1000)})
	for first := true; p.HasMorePages(); first = false {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("athena: query %s: results: %w", id, err)
		}
		if page.ResultSet == nil {
			continue
		}
		for i, row := range page.ResultSet.Rows {
			vals := make([]*string, len(row.Data))
			for j, d := range row.Data {
				vals[j] = d.VarCharValue
			}
			if first && i == 0 {
				for _, v := range vals {
					cols = append(cols, aws.ToString(v))
				}
				continue
			}
			rows = append(rows, vals)
		}
	}
	return cols, rows, nil
}

// Nights names, per CRM object, the snapshot night (dt, YYYY-MM-DD) the
// run reads: the nights of the manifests the KPI job resolved.
type Nights map[string]string

// Tables are the relations of the generated SQL: each object's Glue table
// (gluecatalog.SnapshotTable) restricted to its night's partition. An
// optional object (kpisql.OptionalObjects) without a night has no
// snapshot: the SQL reads it as no rows.
func (r *Runner) Tables(nights Nights) (kpisql.Tables, error) {
	t := kpisql.Tables{}
	add := func(o string, required bool) error {
		dt, ok := nights[o]
		if !ok {
			if required {
				return fmt.Errorf("athenakpi: no snapshot night for %s", o)
			}
			return nil
		}
		if _, err := time.Parse(time.DateOnly, dt); err != nil {
			return fmt.Errorf("athenakpi: snapshot night of %s: %w", o, err)
		}
		t[o] = fmt.Sprintf(`(SELECT * FROM "%s"."%s" WHERE dt = DATE '%s')`, r.Database, gluecatalog.SnapshotTable(o), dt)
		return nil
	}
	for _, o := range kpisql.Objects() {
		if err := add(o, true); err != nil {
			return nil, err
		}
	}
	for _, o := range kpisql.OptionalObjects() {
		if err := add(o, false); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// ErrIncomplete is returned while the SQL generator lacks KPIs of the
// catalog: gold computed on Athena would silently miss them.
var ErrIncomplete = errors.New("athenakpi: the KPI SQL generator does not cover the whole catalog")

// Complete reports, as ErrIncomplete naming them, the catalog KPIs the
// generator has no SQL for.
func Complete() error {
	if m := kpisql.Missing(); len(m) > 0 {
		return fmt.Errorf("%w: no SQL yet for %s", ErrIncomplete, strings.Join(m, ", "))
	}
	return nil
}

// ComputeKPIs is Compute for the KPI job (pipeline.SQLCatalog).
func (r *Runner) ComputeKPIs(ctx context.Context, cfg *kpi.Config, p kpi.Period, nights map[string]string) (*kpi.Result, error) {
	res, _, err := r.Compute(ctx, cfg, p, nights)
	return res, err
}

// Compute runs the catalog, the credit table and the response table for
// cfg and p over the snapshot nights (three queries, started together)
// and returns them as the engine's result and what Athena reported (the
// catalog query's Id and rows; bytes and engine time of all three). It
// waits for the queries: Start and Finish are the same in two calls, for a
// caller that waits elsewhere (the nightly state machine).
func (r *Runner) Compute(ctx context.Context, cfg *kpi.Config, p kpi.Period, nights Nights) (*kpi.Result, Stats, error) {
	ids, err := r.Start(ctx, cfg, p, nights)
	if err != nil {
		return nil, Stats{}, err
	}
	sts := make([]Stats, len(ids))
	for i, id := range ids {
		sts[i].QueryID = id
		if err := r.wait(ctx, &sts[i]); err != nil {
			return nil, sts[0], err
		}
	}
	return r.finish(ctx, cfg, p, sts)
}

// StartKPIs is Start for the KPI job (pipeline.SQLQueries).
func (r *Runner) StartKPIs(ctx context.Context, cfg *kpi.Config, p kpi.Period, nights map[string]string) ([]string, error) {
	return r.Start(ctx, cfg, p, nights)
}

// FinishKPIs is Finish for the KPI job (pipeline.SQLQueries).
func (r *Runner) FinishKPIs(ctx context.Context, cfg *kpi.Config, p kpi.Period, ids []string) (*kpi.Result, error) {
	res, _, err := r.Finish(ctx, cfg, p, ids)
	return res, err
}

// Start compiles the catalog, the credit table and the response table for
// cfg and p over the snapshot nights, starts their three queries and
// returns their query execution Ids (in that order) without waiting.
func (r *Runner) Start(ctx context.Context, cfg *kpi.Config, p kpi.Period, nights Nights) ([]string, error) {
	if err := Complete(); err != nil && !r.AllowPartial {
		return nil, err
	}
	tables, err := r.Tables(nights)
	if err != nil {
		return nil, err
	}
	var texts [3]string
	if texts[0], err = kpisql.Compile(cfg, p, r.Dialect, tables); err != nil {
		return nil, err
	}
	if texts[1], err = kpisql.CompileCredits(cfg, p, r.Dialect, tables); err != nil {
		return nil, err
	}
	if texts[2], err = kpisql.CompileResponses(cfg, p, r.Dialect, tables); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(texts))
	for _, text := range texts {
		id, err := r.start(ctx, text)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	if r.Logger != nil {
		r.Logger.Info("kpi queries started on athena", "queries", ids, "quarter", p.Quarter.String())
	}
	return ids, nil
}

// Finish reads the rows of the three queries Start started for the same
// cfg and p, once every one has succeeded, as Compute returns them. A
// query still queued or running, failed or cancelled is an error naming
// it.
func (r *Runner) Finish(ctx context.Context, cfg *kpi.Config, p kpi.Period, ids []string) (*kpi.Result, Stats, error) {
	if len(ids) != 3 {
		return nil, Stats{}, fmt.Errorf("athena: %d query Ids, want the catalog's, the credits' and the responses'", len(ids))
	}
	sts := make([]Stats, len(ids))
	for i, id := range ids {
		sts[i].QueryID = id
		done, ended, err := r.status(ctx, &sts[i])
		if err = errors.Join(ended, err); err != nil {
			return nil, sts[0], err
		}
		if !done {
			return nil, sts[0], fmt.Errorf("athena: query %s has not finished: read its results only after it succeeded", id)
		}
	}
	return r.finish(ctx, cfg, p, sts)
}

// finish reads the succeeded catalog, credit and response queries' rows
// as the engine's result.
func (r *Runner) finish(ctx context.Context, cfg *kpi.Config, p kpi.Period, sts []Stats) (*kpi.Result, Stats, error) {
	st, cst, rst := sts[0], sts[1], sts[2]
	st.BytesScanned, st.EngineMillis = st.BytesScanned+cst.BytesScanned+rst.BytesScanned, st.EngineMillis+cst.EngineMillis+rst.EngineMillis
	cols, raw, err := r.results(ctx, st.QueryID)
	st.Rows = len(raw)
	if err != nil {
		return nil, st, err
	}
	rows, err := toRows(cols, raw)
	if err != nil {
		return nil, st, fmt.Errorf("athena: query %s: %w", st.QueryID, err)
	}
	values, err := kpisql.Values(cfg, rows)
	if err != nil {
		return nil, st, fmt.Errorf("athena: query %s: %w", st.QueryID, err)
	}
	ccols, craw, err := r.results(ctx, cst.QueryID)
	if err != nil {
		return nil, st, err
	}
	crows, err := byColumns(ccols, craw, kpisql.CreditColumns)
	if err != nil {
		return nil, st, fmt.Errorf("athena: query %s: %w", cst.QueryID, err)
	}
	credits, err := kpisql.Credits(crows)
	if err != nil {
		return nil, st, fmt.Errorf("athena: query %s: %w", cst.QueryID, err)
	}
	rcols, rraw, err := r.results(ctx, rst.QueryID)
	if err != nil {
		return nil, st, err
	}
	rrows, err := byColumns(rcols, rraw, kpisql.ResponseColumns)
	if err != nil {
		return nil, st, fmt.Errorf("athena: query %s: %w", rst.QueryID, err)
	}
	responses, err := kpisql.Responses(rrows)
	if err != nil {
		return nil, st, fmt.Errorf("athena: query %s: %w", rst.QueryID, err)
	}
	if r.Logger != nil {
		r.Logger.Info("kpi catalog on athena", "query", st.QueryID, "credit_query", cst.QueryID, "response_query", rst.QueryID, "quarter", p.Quarter.String(),
			"values", len(values), "credit_rows", len(credits), "response_rows", len(responses), "bytes_scanned", st.BytesScanned, "engine_ms", st.EngineMillis)
	}
	res := kpisql.Result(cfg, p, values)
	res.Credits, res.Responses = credits, responses
	return res, st, nil
}

// byColumns orders each result row as want (the generator's columns), by
// the header's column names.
func byColumns(cols []string, raw [][]*string, want []string) ([][]*string, error) {
	idx := make([]int, len(want))
	for i, c := range want {
		if idx[i] = slices.Index(cols, c); idx[i] < 0 {
			return nil, fmt.Errorf("result has no column %q (columns %v)", c, cols)
		}
	}
	rows := make([][]*string, len(raw))
	for n, v := range raw {
		if len(v) != len(cols) {
			return nil, fmt.Errorf("result row %d has %d columns, want %d", n+1, len(v), len(cols))
		}
		rows[n] = make([]*string, len(idx))
		for i, j := range idx {
			rows[n][i] = v[j]
		}
	}
	return rows, nil
}

// toRows maps result rows to kpisql rows by the header's column names.
func toRows(cols []string, raw [][]*string) ([]kpisql.Row, error) {
	idx := make([]int, len(kpisql.Columns))
	for i, c := range kpisql.Columns {
		if idx[i] = slices.Index(cols, c); idx[i] < 0 {
			return nil, fmt.Errorf("result has no column %q (columns %v)", c, cols)
		}
	}
	out := make([]kpisql.Row, len(raw))
	for n, v := range raw {
		if len(v) != len(cols) {
			return nil, fmt.Errorf("result row %d has %d columns, want %d", n+1, len(v), len(cols))
		}
		str := func(i int) string { return aws.ToString(v[idx[i]]) }
		var defined bool
		switch d := str(7); d {
		case "true":
			defined = true
		case "false":
		default:
			return nil, fmt.Errorf("result row %d: defined %q is not a boolean", n+1, d)
		}
		if v[idx[4]] == nil {
			return nil, fmt.Errorf("result row %d: value is NULL", n+1)
		}
		out[n] = kpisql.Row{KPI: str(0), Dimension: str(1), Key: str(2), Model: str(3), Value: str(4), Num: v[idx[5]], Den: v[idx[6]], Defined: defined}
	}
	return out, nil
}
