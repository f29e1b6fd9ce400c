// Package viewcheck runs the generated lake views (shared/lakeviews) and the
// example queries in DuckDB over a demo lake that holds superseded runs, and
// checks every count against the manifests, read here independently.
package viewcheck

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/venn-revops/venn/shared/comp"
	compconfig "github.com/venn-revops/venn/shared/config/comp"
	"github.com/venn-revops/venn/shared/demo"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
	"github.com/venn-revops/venn/shared/lakeviews"
	"github.com/venn-revops/venn/shared/period"
	"github.com/venn-revops/venn/shared/pipeline"
	"github.com/venn-revops/venn/shared/results/localstore"
)

// demoLake is the demo's lake after a second KPI run of the quarter to
// date and a finalize of the closed quarter (make demo, then make
// approve): both supersede committed runs, as the bug report's lake did.
// Besides, a gold partition as a lake written before the as_of rename has
// it (asof= folder, asof column).
type demoLake struct {
	root string // absolute
	blob *fsblob.Blob
	rep  *demo.Report
	err  error
}

var (
	once   sync.Once
	shared demoLake
)

// legacyRow is a gold row as KPI gold schema 2 wrote it.
type legacyRow struct {
	Quarter string `parquet:"quarter,dict"`
	AsOf    int32  `parquet:"asof,date"`
	Final   bool   `parquet:"final"`
	KPI     string `parquet:"kpi,dict"`
	Value   int64  `parquet:"value,decimal(6:18)"`
}

// legacyQuarter, legacyAsOf and legacyRows are the legacy partition.
const (
	legacyQuarter = "2025Q1"
	legacyAsOf    = "2025-03-31"
	legacyRows    = 3
)

// TestMain removes the shared demo lake after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if shared.rep != nil {
		os.RemoveAll(filepath.Dir(shared.rep.Lake))
	}
	os.Exit(code)
}

func theLake(t *testing.T) *demoLake {
	t.Helper()
	once.Do(func() { shared = build() })
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return &shared
}

func build() demoLake {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "viewcheck-")
	if err != nil {
		return demoLake{err: err}
	}
	d := demoLake{}
	d.rep, d.err = demo.Run(ctx, demo.Options{Out: dir}, io.Discard)
	if d.err != nil {
		return d
	}
	if d.root, d.err = filepath.Abs(d.rep.Lake); d.err != nil {
		return d
	}
	if d.blob, d.err = fsblob.New(d.root); d.err != nil {
		return d
	}
	store, err := localstore.Open(d.rep.Results)
	if err != nil {
		d.err = err
		return d
	}
	start := time.Now()
	asOf := d.rep.QTD.Result.AsOf
	env := &pipeline.Env{Blob: d.blob, Store: store, CodeVersion: pipeline.CodeVersion(), KPIConfig: kpi.DefaultConfig(), CompConfig: compconfig.FS(),
		Now: func() time.Time { return asOf.Add(time.Hour + time.Since(start)) }, PII: demo.PII()}
	// The night's KPI job rerun: a new run of the same partitions.
	if _, d.err = env.KPIFor(ctx, period.Of(asOf), asOf, false); d.err != nil {
		return d
	}
	// make approve after make demo: the closed quarter finalized, a new
	// payroll export run.
	// As a local user other than the demo's approver (four eyes).
	controller, err := comp.LocalIdentity("viewcheck.controller")
	if err != nil {
		d.err = err
		return d
	}
	if _, d.err = env.Approve(pipeline.WithCaller(ctx, controller), pipeline.Event{Job: "approve", Quarter: d.rep.Closed.String(), Action: "finalize"}); d.err != nil {
		return d
	}
	rows := make([]legacyRow, legacyRows)
	day, _ := time.Parse(time.DateOnly, legacyAsOf)
	for i := range rows {
		rows[i] = legacyRow{Quarter: legacyQuarter, AsOf: int32(day.Unix() / 86400), Final: true, KPI: "kpi" + strconv.Itoa(i), Value: int64(i) * 1_000_000}
	}
	_, d.err = lake.WriteTable(ctx, d.blob, "kpi/quarter="+legacyQuarter+"/asof="+legacyAsOf, rows, lake.TableOptions{Table: "kpi", RunID: "20250401T020000.000000Z"})
	return d
}

// committed is what the manifests say, read without the lake package: per
// Glue table, the rows of each partition's newest manifest, and the
// partition values.
type committed struct {
	rows       map[string]int64                        // table → rows
	partitions map[string]map[string]int64             // table → partition path → rows
	superseded map[string]int64                        // table → rows of older manifests
	values     map[string]map[string]map[string]string // table → partition path → key → value
}

type rawManifest struct {
	Table     string `json:"table"`
	Partition string `json:"partition"`
	Object    string `json:"object"`
	Files     []struct {
		Key  string `json:"key"`
		Rows int64  `json:"rows"`
	} `json:"files"`
	Changes []struct {
		Key  string `json:"key"`
		Rows int64  `json:"rows"`
	} `json:"changes"`
}

// glueName spells Glue's table names (infra/glue.yaml), by hand.
var glueName = map[string]string{
	"kpi": "kpi_gold", "kpi/credit": "kpi_credit", "kpi/response": "kpi_response",
	"comp/statement_lines": "comp_statement_lines", "exports/payroll": "exports_payroll",
}

var camel = regexp.MustCompile(`([a-z0-9])([A-Z])`)

func readCommitted(t *testing.T, root string) committed {
	t.Helper()
	c := committed{rows: map[string]int64{}, partitions: map[string]map[string]int64{}, superseded: map[string]int64{}, values: map[string]map[string]map[string]string{}}
	manifests := map[string][]string{} // folder → manifest files
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() && strings.HasPrefix(e.Name(), "_manifest-") {
			manifests[filepath.Dir(p)] = append(manifests[filepath.Dir(p)], p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, ms := range manifests {
		sort.Strings(ms) // zero-padded sequence numbers
		for i, p := range ms {
			raw, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			var m rawManifest
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			add := func(table string, rows int64, sub string) {
				if i < len(ms)-1 {
					c.superseded[table] += rows
					return
				}
				c.rows[table] += rows
				if c.partitions[table] == nil {
					c.partitions[table], c.values[table] = map[string]int64{}, map[string]map[string]string{}
				}
				c.partitions[table][m.Partition] += rows
				vals := map[string]string{}
				for _, seg := range strings.Split(sub, "/") {
					k, v, _ := strings.Cut(seg, "=")
					vals[k] = v
				}
				c.values[table][m.Partition] = vals
			}
			if m.Table == "crm/snapshot" {
				name := strings.ToLower(camel.ReplaceAllString(m.Object, "${1}_${2}"))
				var snap, changes int64
				for _, f := range m.Files {
					snap += f.Rows
				}
				for _, f := range m.Changes {
					changes += f.Rows
				}
				dt := m.Partition[strings.LastIndex(m.Partition, "/")+1:]
				add("crm_snapshot_"+name, snap, dt)
				add("crm_changes_"+name, changes, dt)
				continue
			}
			name, ok := glueName[m.Table]
			if !ok { // no Glue table yet: the view is named after the lake path
				name = strings.ReplaceAll(m.Table, "/", "_")
			}
			var rows int64
			for _, f := range m.Files {
				rows += f.Rows
			}
			segs := strings.Split(m.Partition, "/")
			first := 0
			for first < len(segs) && !strings.Contains(segs[first], "=") {
				first++
			}
			add(name, rows, strings.Join(segs[first:], "/"))
		}
	}
	return c
}

func openDuck(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1) // SET VARIABLE and views live in the one session
	return db
}

// readFile runs a generated SQL file as `duckdb -c ".read FILE"` does:
// statement after statement.
func readFile(t *testing.T, db *sql.DB, path string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(string(raw)); err != nil {
		t.Fatalf(".read %s: %v", path, err)
	}
}

func count(t *testing.T, db *sql.DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// The generated views count exactly the committed rows of every table,
// where a glob over the same folders counts the superseded runs too.
func TestViewsCountCommittedRowsOnly(t *testing.T) {
	d := theLake(t)
	res, err := lakeviews.Write(context.Background(), d.blob, d.root)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Lake.Skipped) > 0 {
		t.Errorf("manifests without a view: %v", res.Lake.Skipped)
	}
	if keep := os.Getenv("VIEWCHECK_KEEP"); keep != "" { // a folder to inspect the generated files in
		os.WriteFile(filepath.Join(keep, "duckdb.sql"), res.DuckDB, 0o644)
		os.WriteFile(filepath.Join(keep, "athena.sql"), res.Athena, 0o644)
	}
	want := readCommitted(t, d.root)
	db := openDuck(t)
	readFile(t, db, filepath.Join(d.root, lakeviews.DuckDBKey))

	views := map[string]bool{}
	rows, err := db.Query(`SELECT view_name FROM duckdb_views() WHERE NOT internal`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		views[v] = true
	}
	rows.Close()
	for table, n := range want.rows {
		if n == 0 {
			if views[table] {
				t.Errorf("%s has no committed rows, yet a view", table)
			}
			continue
		}
		if !views[table] || !views["latest_"+table] && !strings.HasPrefix(table, "crm_changes_") {
			t.Errorf("%s (%d committed rows): no view or no latest_ view", table, n)
			continue
		}
		if got := count(t, db, "SELECT count(*) FROM "+table); got != n {
			t.Errorf("%s: %d rows through the view, the head manifests commit %d", table, got, n)
		}
	}
	// The lake really holds superseded runs, which a glob counts.
	for _, table := range []string{"kpi_gold", "exports_payroll"} {
		if want.superseded[table] == 0 {
			t.Fatalf("the test lake has no superseded %s run", table)
		}
	}
	glob := count(t, db, "SELECT count(*) FROM read_parquet(? || '/exports/payroll/**/*.parquet')", d.root)
	if view := count(t, db, "SELECT count(*) FROM exports_payroll"); glob <= view {
		t.Errorf("a glob counts %d payroll rows, the view %d: the lake should hold a superseded export", glob, view)
	}
	// The legacy asof= partition reads as as_of, its column too.
	if got := count(t, db, "SELECT count(*) FROM kpi_gold WHERE quarter = ? AND as_of = DATE '"+legacyAsOf+"'", legacyQuarter); got != legacyRows {
		t.Errorf("legacy asof= partition: %d rows as as_of %s, want %d", got, legacyAsOf, legacyRows)
	}
	// Partition columns come from the folders, typed as Glue types them.
	for table, parts := range want.values {
		if want.rows[table] == 0 || strings.HasPrefix(table, "crm_changes_") && len(parts) == 0 {
			continue
		}
		for part, vals := range parts {
			if want.partitions[table][part] == 0 {
				continue
			}
			var where []string
			for k, v := range vals {
				if k == "asof" {
					k = "as_of"
				}
				if k == "dt" || k == "as_of" {
					where = append(where, k+" = DATE '"+v+"'")
				} else {
					where = append(where, k+" = '"+v+"'")
				}
			}
			if got := count(t, db, "SELECT count(*) FROM "+table+" WHERE "+strings.Join(where, " AND ")); got != want.partitions[table][part] {
				t.Errorf("%s WHERE %s: %d rows, manifest of %s: %d", table, strings.Join(where, " AND "), got, part, want.partitions[table][part])
			}
		}
	}
	checkLatest(t, db, want, filepath.Join(d.root, lakeviews.AthenaKey))
}

// checkLatest: latest_ views keep the newest night of a snapshot and the
// newest as_of of each quarter; the Athena file's views, run in DuckDB over
// the same base views, agree.
func checkLatest(t *testing.T, db *sql.DB, want committed, athena string) {
	t.Helper()
	latest := map[string]int64{}
	for table, parts := range want.partitions {
		if want.rows[table] == 0 {
			continue
		}
		newest := map[string]string{} // group → newest partition
		for part, vals := range want.values[table] {
			day := vals["dt"] + vals["as_of"] + vals["asof"]
			group := vals["quarter"]
			if day == "" {
				latest[table] += parts[part] // one run per quarter
				continue
			}
			if cur, ok := newest[group]; !ok || day > dayOf(want.values[table][cur]) {
				newest[group] = part
			}
		}
		for _, part := range newest {
			latest[table] += parts[part]
		}
		if strings.HasPrefix(table, "crm_changes_") {
			delete(latest, table)
		}
	}
	got := map[string]int64{}
	for table, n := range latest {
		got[table] = count(t, db, "SELECT count(*) FROM latest_"+table)
		if got[table] != n {
			t.Errorf("latest_%s: %d rows, the newest partitions commit %d", table, got[table], n)
		}
	}
	readFile(t, db, athena)
	for table := range latest {
		if strings.HasPrefix(table, "score_") {
			continue // no Glue table yet: not in the Athena file
		}
		if n := count(t, db, "SELECT count(*) FROM latest_"+table); n != got[table] {
			t.Errorf("latest_%s: the Athena view counts %d rows in DuckDB, the DuckDB view %d", table, n, got[table])
		}
	}
}

func dayOf(vals map[string]string) string { return vals["dt"] + vals["as_of"] + vals["asof"] }
