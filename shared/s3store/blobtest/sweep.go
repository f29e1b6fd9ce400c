package blobtest

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/lake"
)

// day is a UTC midnight of 2026.
func day(month time.Month, d int) time.Time { return time.Date(2026, month, d, 0, 0, 0, 0, time.UTC) }

// sweepLake is the retention scenario, worked by hand. Run ids:
// r1 = 20261001T…, r2 = 20261002T…, r3 = 20261215T….
//
//	kpi/quarter=2026Q3/as_of=2026-09-30: r1 (superseded 2026-10-02), r2
//	  (superseded 2026-12-15), r3 head; scorecard/run=<id>/ sidecars;
//	  orphans: an old timestamp run, a young one, a run id no timestamp
//	comp/quarter=2026Q3: r1 (superseded 2026-10-02), r2 head; statements/
//	  sidecars; nested partition comp/quarter=2026Q3/status with r1 as head
//	crm/snapshot/object=Lead/dt=2026-10-01: r1 (superseded 2026-10-02), r2
//	  head; the night's change files and rejects of both runs
//	exports/payroll/quarter=2026Q3: r1 (superseded 2026-10-02), r2 head;
//	  csv/run=<id>/ sidecars and the stable current/ folder
const (
	r1 = "20261001T020000.000000Z"
	r2 = "20261002T020000.000000Z"
	r3 = "20261215T020000.000000Z"
)

type commit struct {
	partition, run string
	at             time.Time
}

var sweepCommits = []commit{
	{"kpi/quarter=2026Q3/as_of=2026-09-30", r1, day(10, 1)},
	{"kpi/quarter=2026Q3/as_of=2026-09-30", r2, day(10, 2)},
	{"kpi/quarter=2026Q3/as_of=2026-09-30", r3, day(12, 15)},
	{"comp/quarter=2026Q3", r1, day(10, 1)},
	{"comp/quarter=2026Q3", r2, day(10, 2)},
	{"comp/quarter=2026Q3/status", r1, day(10, 1)},
	{"crm/snapshot/object=Lead/dt=2026-10-01", r1, day(10, 1)},
	{"crm/snapshot/object=Lead/dt=2026-10-01", r2, day(10, 2)},
	{"exports/payroll/quarter=2026Q3", r1, day(10, 1)},
	{"exports/payroll/quarter=2026Q3", r2, day(10, 2)},
}

var sweepFiles = []string{
	"kpi/quarter=2026Q3/as_of=2026-09-30/run=" + r1 + "/part-00000.parquet",
	"kpi/quarter=2026Q3/as_of=2026-09-30/run=" + r2 + "/part-00000.parquet",
	"kpi/quarter=2026Q3/as_of=2026-09-30/run=" + r3 + "/part-00000.parquet",
	"kpi/quarter=2026Q3/as_of=2026-09-30/scorecard/run=" + r1 + "/scorecard.html",
	"kpi/quarter=2026Q3/as_of=2026-09-30/scorecard/run=" + r3 + "/scorecard.html",
	"kpi/quarter=2026Q3/as_of=2026-09-30/run=20260901T020000.000000Z/part-00000.parquet", // crashed long ago
	"kpi/quarter=2026Q3/as_of=2026-09-30/run=20261219T020000.000000Z/part-00000.parquet", // writing now
	"kpi/quarter=2026Q3/as_of=2026-09-30/run=by-hand/part-00000.parquet",                 // not a job's run id
	"comp/quarter=2026Q3/run=" + r1 + "/part-00000.parquet",
	"comp/quarter=2026Q3/run=" + r2 + "/part-00000.parquet",
	"comp/quarter=2026Q3/statements/run=" + r1 + "/jane-doe-005.json",
	"comp/quarter=2026Q3/statements/run=" + r2 + "/jane-doe-005.json",
	"comp/quarter=2026Q3/status/run=" + r1 + "/part-00000.parquet",
	"crm/snapshot/object=Lead/dt=2026-10-01/run=" + r1 + "/part-00000.parquet",
	"crm/snapshot/object=Lead/dt=2026-10-01/run=" + r2 + "/part-00000.parquet",
	"crm/changes/object=Lead/dt=2026-10-01/run=" + r1 + "/part-00000.parquet",
	"crm/changes/object=Lead/dt=2026-10-01/run=" + r2 + "/part-00000.parquet",
	"crm/rejects/object=Lead/dt=2026-10-01/run=" + r1 + "/rejects-00000.jsonl",
	"exports/payroll/quarter=2026Q3/run=" + r1 + "/part-00000.parquet",
	"exports/payroll/quarter=2026Q3/run=" + r2 + "/part-00000.parquet",
	"exports/payroll/quarter=2026Q3/csv/run=" + r1 + "/payroll.csv",
	"exports/payroll/quarter=2026Q3/csv/run=" + r2 + "/payroll.csv",
	"exports/payroll/quarter=2026Q3/current/payroll.csv",
	"exports/payroll/quarter=2026Q3/current/current.json",
}

// sweptOn20261220 is what a 30-day retention deletes on 2026-12-20: every
// run superseded on 2026-10-02 and its manifest, the sidecars and change
// files of those runs, the orphan that started before the head and long
// ago. Kept: the heads, r2 of the KPI partition (superseded 5 days ago),
// the nested status partition's r1, rejects, current/, the young and the
// hand-named orphans.
var sweptOn20261220 = []string{
	"comp/quarter=2026Q3/_manifest-000001.json",
	"comp/quarter=2026Q3/run=" + r1 + "/part-00000.parquet",
	"comp/quarter=2026Q3/statements/run=" + r1 + "/jane-doe-005.json",
	"crm/changes/object=Lead/dt=2026-10-01/run=" + r1 + "/part-00000.parquet",
	"crm/snapshot/object=Lead/dt=2026-10-01/_manifest-000001.json",
	"crm/snapshot/object=Lead/dt=2026-10-01/run=" + r1 + "/part-00000.parquet",
	"exports/payroll/quarter=2026Q3/_manifest-000001.json",
	"exports/payroll/quarter=2026Q3/csv/run=" + r1 + "/payroll.csv",
	"exports/payroll/quarter=2026Q3/run=" + r1 + "/part-00000.parquet",
	"kpi/quarter=2026Q3/as_of=2026-09-30/_manifest-000001.json",
	"kpi/quarter=2026Q3/as_of=2026-09-30/run=20260901T020000.000000Z/part-00000.parquet",
	"kpi/quarter=2026Q3/as_of=2026-09-30/run=" + r1 + "/part-00000.parquet",
	"kpi/quarter=2026Q3/as_of=2026-09-30/scorecard/run=" + r1 + "/scorecard.html",
}

// sweptOn20270115 is what the same retention deletes later, on
// 2027-01-15: the KPI partition's r2 (superseded 2026-12-15, 31 days
// before) and its manifest; the young orphan (started 2026-12-19) is still
// inside the retention.
var sweptOn20270115 = []string{
	"kpi/quarter=2026Q3/as_of=2026-09-30/_manifest-000002.json",
	"kpi/quarter=2026Q3/as_of=2026-09-30/run=" + r2 + "/part-00000.parquet",
}

// RunSweep checks lake.Sweep on b (which must be empty and a lake.Deleter)
// against the hand-worked scenario above, with a pinned clock.
func RunSweep(t *testing.T, b lake.Blob) {
	ctx := context.Background()
	heads := map[string]int{}
	for _, c := range sweepCommits {
		m := &lake.Manifest{Table: "t", Partition: c.partition, RunID: c.run, CommittedAt: c.at, Files: []lake.File{}}
		if err := lake.Commit(ctx, b, m, heads[c.partition]); err != nil {
			t.Fatal(err)
		}
		heads[c.partition]++
	}
	for _, k := range sweepFiles {
		if err := b.Put(ctx, k, bytes.NewReader([]byte(k))); err != nil {
			t.Fatal(err)
		}
	}
	all, err := b.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	at := func(d time.Time) func() time.Time { return func() time.Time { return d } }
	month := 30 * 24 * time.Hour

	if rep, err := lake.Sweep(ctx, b, lake.SweepOptions{Retention: 0, Now: at(day(12, 20))}); err != nil || len(rep.Deleted) > 0 {
		t.Fatalf("retention 0 (keep forever): deleted %v (%v), want nothing", rep.Deleted, err)
	}
	// The boundary, dry: a second before the runs superseded on 2026-10-02
	// are 30 days superseded, only the crashed orphan goes; at 30 days,
	// they go too (the later commits lie ahead of that clock).
	oldOrphan := []string{"kpi/quarter=2026Q3/as_of=2026-09-30/run=20260901T020000.000000Z/part-00000.parquet"}
	for _, c := range []struct {
		now  time.Time
		want []string
	}{{day(10, 2).Add(month - time.Second), oldOrphan}, {day(10, 2).Add(month), sweptOn20261220}, {day(12, 20), sweptOn20261220}} {
		dry, err := lake.Sweep(ctx, b, lake.SweepOptions{Retention: month, Now: at(c.now), DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(dry.Deleted, c.want) {
			t.Fatalf("dry run on %s lists\n%v\nwant\n%v", c.now, dry.Deleted, c.want)
		}
	}
	if after, _ := b.List(ctx, ""); !slices.Equal(after, all) {
		t.Fatalf("the dry run deleted something: %d keys left of %d", len(after), len(all))
	}
	rep, err := lake.Sweep(ctx, b, lake.SweepOptions{Retention: month, Now: at(day(12, 20))})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Deleted, sweptOn20261220) {
		t.Fatalf("swept\n%v\nwant\n%v", rep.Deleted, sweptOn20261220)
	}
	if rep.Kept != 2 { // the KPI partition's r2 and the young orphan (by-hand is not judged)
		t.Errorf("kept %d runs for their retention, want 2", rep.Kept)
	}
	left, err := b.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	want := slices.DeleteFunc(slices.Clone(all), func(k string) bool { return slices.Contains(sweptOn20261220, k) })
	if !slices.Equal(left, want) {
		t.Fatalf("left\n%v\nwant\n%v", left, want)
	}
	// Every partition still resolves to its committed head.
	for p, n := range heads {
		m, err := lake.Latest(ctx, b, p)
		if err != nil || m.Sequence != n {
			t.Errorf("%s after the sweep: %v, %v; want sequence %d", p, m, err, n)
		}
	}
	// Safe to rerun: nothing more to delete on the same day.
	if again, err := lake.Sweep(ctx, b, lake.SweepOptions{Retention: month, Now: at(day(12, 20))}); err != nil || len(again.Deleted) > 0 {
		t.Fatalf("second sweep: %v, %v", again.Deleted, err)
	}
	later, err := lake.Sweep(ctx, b, lake.SweepOptions{Retention: month, Now: at(time.Date(2027, 1, 15, 0, 0, 0, 0, time.UTC))})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(later.Deleted, sweptOn20270115) {
		t.Fatalf("on 2027-01-15 swept\n%v\nwant\n%v", later.Deleted, sweptOn20270115)
	}
}
