package lakeviews_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
	"github.com/venn-revops/venn/shared/lakeviews"
)

// commit writes a manifest of partition naming files (rows 10 each),
// putting the files unless missing says not to.
func commit(t *testing.T, b lake.Blob, table, partition, run string, files, changes []string, put bool) {
	t.Helper()
	ctx := context.Background()
	head, err := lake.Head(ctx, b, partition)
	if err != nil {
		t.Fatal(err)
	}
	m := &lake.Manifest{Table: table, Partition: partition, RunID: run, CommittedAt: time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC), SchemaVersion: "v1"}
	for _, f := range files {
		m.Files = append(m.Files, lake.File{Key: lake.RunFolder(partition, run) + "/" + f, Rows: 10})
	}
	for _, f := range changes {
		m.Changes = append(m.Changes, lake.File{Key: f, Rows: 1})
	}
	if put {
		for _, f := range m.Files {
			if err := b.Put(ctx, f.Key, bytes.NewReader(nil)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if strings.HasPrefix(partition, "crm/snapshot/") {
		seg := strings.Split(partition, "/")
		m.Object, m.Dt = strings.TrimPrefix(seg[2], "object="), strings.TrimPrefix(seg[3], "dt=")
	}
	if err := lake.Commit(ctx, b, m, head); err != nil {
		t.Fatal(err)
	}
}

// A lake with a superseded run, a legacy asof= partition, a table Glue does
// not know and an expired change file: Collect keeps each partition's
// committed run only, with the keys the views need (hand-listed).
func TestCollect(t *testing.T) {
	b, err := fsblob.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	commit(t, b, "kpi", "kpi/quarter=2026Q4/as_of=2026-11-19", "r1", []string{"part-00000.parquet"}, nil, true)
	commit(t, b, "kpi", "kpi/quarter=2026Q4/as_of=2026-11-19", "r2", []string{"part-00000.parquet", "part-00001.parquet"}, nil, true)
	commit(t, b, "kpi", "kpi/quarter=2026Q3/asof=2026-09-30", "r0", []string{"part-00000.parquet"}, nil, true)
	commit(t, b, "score/lead", "score/lead/as_of=2026-11-20", "r3", []string{"part-00000.parquet"}, nil, true)
	commit(t, b, "crm/snapshot", "crm/snapshot/object=Lead/dt=2026-11-20", "r4", []string{"part-00000.parquet"},
		[]string{"crm/changes/object=Lead/dt=2026-11-20/run=r4/part-00000.parquet"}, true) // the change file expired: never put

	l, err := lakeviews.Collect(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	type part struct {
		values, pathKeys []string
		files            int
		rows             int64
	}
	got := map[string][]part{}
	keys := map[string][]string{}
	for _, tb := range l.Tables {
		keys[tb.Name] = tb.Keys
		for _, p := range tb.Partitions {
			got[tb.Name] = append(got[tb.Name], part{p.Values, p.PathKeys, len(p.Files), p.Rows})
		}
	}
	want := map[string][]part{
		"kpi_gold": {
			{[]string{"2026Q3", "2026-09-30"}, []string{"quarter", "asof"}, 1, 10},
			{[]string{"2026Q4", "2026-11-19"}, []string{"quarter", "as_of"}, 2, 20},
		},
		"score_lead":        {{[]string{"2026-11-20"}, []string{"as_of"}, 1, 10}},
		"crm_snapshot_lead": {{[]string{"2026-11-20"}, []string{"dt"}, 1, 10}},
		"crm_changes_lead":  {{[]string{"2026-11-20"}, []string{"dt"}, 0, 0}}, // its file expired
	}
	for name, w := range want {
		if len(got[name]) != len(w) {
			t.Errorf("%s: %d partitions, want %d", name, len(got[name]), len(w))
			continue
		}
		for i := range w {
			g := got[name][i]
			if !slices.Equal(g.values, w[i].values) || !slices.Equal(g.pathKeys, w[i].pathKeys) || g.files != w[i].files || g.rows != w[i].rows {
				t.Errorf("%s partition %d: %+v, want %+v", name, i, g, w[i])
			}
		}
	}
	if !slices.Equal(keys["kpi_gold"], []string{"quarter", "as_of"}) {
		t.Errorf("kpi_gold keys %v", keys["kpi_gold"])
	}
	if len(l.Tables) != len(want) {
		t.Errorf("%d tables, want %d", len(l.Tables), len(want))
	}
	if !slices.Equal(l.Expired, []string{"crm/changes/object=Lead/dt=2026-11-20/run=r4/part-00000.parquet"}) {
		t.Errorf("expired %v", l.Expired)
	}

	duck := string(lakeviews.DuckDB(l, "/lake"))
	for _, w := range []string{
		`SELECT * EXCLUDE ("run") RENAME ("asof" AS "as_of")`,             // the legacy layout
		`'kpi/quarter=2026Q4/as_of=2026-11-19/run=r2/part-00001.parquet'`, // the committed run
		`WHERE (quarter = '2026Q3' AND as_of = DATE '2026-09-30')` + "\n   OR (quarter = '2026Q4' AND as_of = DATE '2026-11-19');",
		`SELECT * EXCLUDE ("run", "object")`,
		`SET VARIABLE venn_lake = coalesce(getvariable('venn_lake'), '/lake');`,
	} {
		if !strings.Contains(duck, w) {
			t.Errorf("duckdb.sql lacks %q", w)
		}
	}
	for _, bad := range []string{"run=r1/", "VIEW crm_changes_lead", "VIEW latest_crm_changes"} {
		if strings.Contains(duck, bad) {
			t.Errorf("duckdb.sql has %q", bad)
		}
	}
	athena := string(lakeviews.Athena(l))
	if !strings.Contains(athena, "CREATE OR REPLACE VIEW latest_kpi_gold AS SELECT t.* FROM kpi_gold t\nJOIN (SELECT quarter, max(as_of) AS as_of FROM kpi_gold GROUP BY quarter) l\n  ON t.quarter = l.quarter AND t.as_of = l.as_of;") {
		t.Errorf("athena.sql latest_kpi_gold:\n%s", athena)
	}
	// The score tables are Glue tables too (as_of partitions).
	if !strings.Contains(athena, "CREATE OR REPLACE VIEW latest_score_lead AS") {
		t.Error("athena.sql has no latest_score_lead view over the Glue table score_lead")
	}
}

// A committed file the lake lost (not a lifecycle-expired change file)
// fails the generation, naming manifest and file.
func TestCollectMissingFile(t *testing.T) {
	b, err := fsblob.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	commit(t, b, "exports/payroll", "exports/payroll/quarter=2026Q3", "r1", []string{"part-00000.parquet"}, nil, false)
	_, err = lakeviews.Collect(context.Background(), b)
	if err == nil || !strings.Contains(err.Error(), "exports/payroll/quarter=2026Q3/_manifest-000001.json names exports/payroll/quarter=2026Q3/run=r1/part-00000.parquet, which the lake does not hold") {
		t.Fatalf("Collect: %v", err)
	}
}
