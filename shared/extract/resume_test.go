package extract

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/lake"
)

// tiedLeads fills src with n leads whose SystemModstamps come in groups
// that share a stamp (group sizes cycle 1..6, some groups a millisecond
// apart inside one second, so whole-second SOQL bounds cut through them),
// every seventh soft-deleted. It returns the live Ids, worked out from the
// records themselves.
func tiedLeads(t *testing.T, src *fakeSource, n int, start time.Time) map[string]bool {
	t.Helper()
	tmpl := src.records["Lead"][0]
	src.records["Lead"] = nil
	live := map[string]bool{}
	stamp, group, left := start, 1, 1
	for i := range n {
		if left == 0 {
			group = group%6 + 1
			left = group
			if i%4 == 0 {
				stamp = stamp.Add(time.Millisecond) // same second
			} else {
				stamp = stamp.Add(1500 * time.Millisecond)
			}
		}
		left--
		id, err := crm.NormalizeID(fmt.Sprintf("00Q00000%07d", i+1))
		if err != nil {
			t.Fatal(err)
		}
		rec := maps.Clone(tmpl)
		rec["Id"], rec["SystemModstamp"] = id, stamp.Format("2006-01-02T15:04:05.000-0700")
		rec["LastName"] = fmt.Sprintf("L%d", i)
		rec["IsDeleted"] = i%7 == 3
		src.records["Lead"] = append(src.records["Lead"], rec)
		if !rec["IsDeleted"].(bool) {
			live[id] = true
		}
	}
	return live
}

// stepClock is a wall clock that stays far from the deadline for budget
// readings, then reads just inside the margin: the pull then stops at the
// next new SystemModstamp. Each invocation gets its own budget.
type stepClock struct {
	start, deadline time.Time
	reads, budget   int
}

func (c *stepClock) now() time.Time {
	c.reads++
	if c.reads > c.budget {
		return c.deadline.Add(-time.Second)
	}
	return c.start
}

// resumeUntilDone invokes the extract until it reports no more work,
// each invocation stopping after a few stamp groups; it returns the
// invocations and the last summary.
func resumeUntilDone(t *testing.T, e *env, at time.Time, budgets func(i int) int) (int, Summary) {
	t.Helper()
	start := time.Now()
	deadline := start.Add(time.Hour)
	for i := 1; i <= 200; i++ {
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		clock := &stepClock{start: start, deadline: deadline, budget: budgets(i)}
		cfg := Config{Objects: []*crm.Object{crm.Lead}, PII: lake.PII{Key: testKey}, DeadlineMargin: 30 * time.Second, RunID: fmt.Sprintf("%s-%03d", at.Format("20060102T150405Z"), i)}
		sum, err := Run(ctx, Deps{Source: e.src, Blob: e.blob, Store: e.store, Now: func() time.Time { return at }, Wall: clock.now}, cfg)
		cancel()
		if err != nil {
			t.Fatalf("invocation %d: %v\n%s", i, err, sum)
		}
		if !sum.More {
			return i, sum
		}
		if o := sum.Objects[0]; !o.Pending || o.Committed || o.Err != "" {
			t.Fatalf("invocation %d: more but %+v", i, o)
		}
		if _, err := lake.Snapshot(context.Background(), e.blob, "Lead", lake.DateString(at)); err == nil && i == 1 {
			t.Fatalf("invocation %d: a snapshot is visible before the pull is merged", i)
		}
	}
	t.Fatal("not done after 200 invocations")
	return 0, Summary{}
}

// TestResumedPullEqualsSinglePull: over stamp ties (served in reverse Id
// order), soft deletes and an incremental night, a pull resumed over many
// invocations commits the same snapshot, change files and counts as one
// invocation, and the snapshot holds exactly the org's live records.
func TestResumedPullEqualsSinglePull(t *testing.T) {
	for _, reverse := range []bool{false, true} {
		t.Run(fmt.Sprintf("reverseTies=%v", reverse), func(t *testing.T) {
			base := time.Date(2026, 11, 18, 3, 0, 0, 0, time.UTC)
			single, resumed := newEnv(t), newEnv(t)
			var live map[string]bool
			for _, e := range []*env{single, resumed} {
				e.src.reverseTies = reverse
				live = tiedLeads(t, e.src, 300, base)
			}
			// Night 1: a full pull.
			if _, err := single.run(context.Background(), night1, Config{}); err != nil {
				t.Fatal(err)
			}
			n, sum := resumeUntilDone(t, resumed, night1, func(i int) int { return 1 + i%5 })
			if n < 10 {
				t.Fatalf("only %d invocations: the test does not exercise resuming", n)
			}
			// An invocation whose merge was cut short checkpoints nothing.
			if o := sum.Objects[0]; !o.Committed || o.Invocations < n/2 || o.Invocations > n || o.Pending {
				t.Fatalf("last invocation: %+v", o)
			}
			sameSnapshot(t, single, resumed, "2026-11-19", live)

			// Night 2: changes inside one stamp, updates and soft deletes
			// since the watermark, pulled incrementally.
			for _, e := range []*env{single, resumed} {
				tie := "2026-11-19T09:00:00.250+0000"
				for i, rec := range e.src.records["Lead"] {
					if i%9 == 0 {
						e.src.update("Lead", rec["Id"].(string), tie, map[string]any{"Status": "MQL", "IsDeleted": i%18 == 0})
					}
				}
			}
			live = map[string]bool{}
			for _, rec := range single.src.records["Lead"] {
				if rec["IsDeleted"] != true {
					live[rec["Id"].(string)] = true
				}
			}
			s1, err := single.run(context.Background(), night2, Config{})
			if err != nil {
				t.Fatal(err)
			}
			n, s2 := resumeUntilDone(t, resumed, night2, func(i int) int { return 1 + i%3 })
			t.Logf("night 2: %d invocations", n)
			a, b := s1.Objects[0], s2.Objects[0]
			if a.Upserts != b.Upserts || a.Deletes != b.Deletes || a.Received != b.Received || a.Duplicates != b.Duplicates || a.SnapshotRows != b.SnapshotRows {
				t.Errorf("single %+v\nresumed %+v", a, b)
			}
			sameSnapshot(t, single, resumed, "2026-11-20", live)
			m1, m2 := snapshot(t, single, "2026-11-20"), snapshot(t, resumed, "2026-11-20")
			c1, o1, _ := rows(t, single.blob, crm.Lead, m1.Changes)
			c2, o2, _ := rows(t, resumed.blob, crm.Lead, m2.Changes)
			if !maps.EqualFunc(c1, c2, slices.Equal) || !maps.Equal(o1, o2) {
				t.Errorf("change files differ: %d vs %d rows", len(c1), len(c2))
			}
			cp, _, err := ReadCheckpoint(context.Background(), resumed.store, "Lead")
			if err != nil || cp.State != PullDone || cp.Manifest != m2.Key() {
				t.Errorf("checkpoint after the merge: %+v, %v", cp, err)
			}
		})
	}
}

// sameSnapshot compares the two lakes' snapshots of dt row for row, and
// both with the live Ids the test worked out from the org's records.
func sameSnapshot(t *testing.T, a, b *env, dt string, live map[string]bool) {
	t.Helper()
	ma, mb := snapshot(t, a, dt), snapshot(t, b, dt)
	ra, _, orderA := rows(t, a.blob, crm.Lead, ma.Files)
	rb, _, orderB := rows(t, b.blob, crm.Lead, mb.Files)
	if len(ra) != len(live) {
		t.Errorf("%s: %d rows, the org has %d live leads", dt, len(ra), len(live))
	}
	for id := range live {
		if _, ok := ra[id]; !ok {
			t.Errorf("%s: live lead %s missing", dt, id)
		}
	}
	if !slices.Equal(orderA, orderB) || !maps.EqualFunc(ra, rb, slices.Equal) {
		t.Errorf("%s: resumed snapshot differs from the single pull's (%d vs %d rows)", dt, len(rb), len(ra))
	}
	if !ma.Watermark.Equal(*mb.Watermark) || ma.Rows != mb.Rows {
		t.Errorf("%s: watermark %v vs %v, rows %d vs %d", dt, ma.Watermark, mb.Watermark, ma.Rows, mb.Rows)
	}
	wa, _, _ := ReadWatermark(context.Background(), a.store, "Lead")
	wb, _, _ := ReadWatermark(context.Background(), b.store, "Lead")
	if !wa.SystemModstamp.Equal(wb.SystemModstamp) {
		t.Errorf("%s: stored watermark %v vs %v", dt, wa.SystemModstamp, wb.SystemModstamp)
	}
}

// TestMergeGivesUpEarly: an invocation that pulled the window's tail and
// then finds, part way through the merge, that at its pace the merge would
// not finish before the deadline's margin gives up at once (instead of
// running into the deadline and losing the work) and answers more; the
// next invocation, which pulls nothing, merges to the end. The snapshot
// equals a single pull's row for row.
func TestMergeGivesUpEarly(t *testing.T) {
	defer func(n int64) { mergeCheckRows = n }(mergeCheckRows)
	mergeCheckRows = 8
	base := time.Date(2026, 11, 18, 3, 0, 0, 0, time.UTC)
	single, resumed := newEnv(t), newEnv(t)
	var live map[string]bool
	for _, e := range []*env{single, resumed} {
		live = tiedLeads(t, e.src, 400, base)
	}
	if _, err := single.run(context.Background(), night1, Config{}); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	start := time.Now()
	deadline := start.Add(time.Hour)
	gaveUp, mergedFresh := 0, false
	for i := 1; ; i++ {
		if i > 200 {
			t.Fatal("not done after 200 invocations")
		}
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		// Far from the deadline for a few readings of the clock, then
		// just inside the margin.
		clock := &stepClock{start: start, deadline: deadline, budget: 2 + (i*7)%19}
		before := strings.Count(logs.String(), "merge abandoned early")
		_, version, _ := ReadCheckpoint(context.Background(), resumed.store, "Lead")
		cfg := Config{Objects: []*crm.Object{crm.Lead}, PII: lake.PII{Key: testKey}, DeadlineMargin: 30 * time.Second, RunID: fmt.Sprintf("giveup-%03d", i)}
		sum, err := Run(ctx, Deps{Source: resumed.src, Blob: resumed.blob, Store: resumed.store, Now: func() time.Time { return night1 }, Wall: clock.now,
			Logger: slog.New(slog.NewJSONHandler(&logs, nil))}, cfg)
		cancel()
		if err != nil {
			t.Fatalf("invocation %d: %v", i, err)
		}
		if strings.Count(logs.String(), "merge abandoned early") > before {
			gaveUp++
			if o := sum.Objects[0]; !sum.More || !o.Pending || o.Committed {
				t.Fatalf("invocation %d gave up its merge but answered %+v", i, sum)
			}
			// Written again (a new version: the next invocation is a new
			// run for the run ledger, not a replay of this one).
			if cp, v, _ := ReadCheckpoint(context.Background(), resumed.store, "Lead"); cp.State != PullPulled || v <= version || cp.MergesCut == 0 {
				t.Fatalf("invocation %d gave up its merge with the checkpoint %s, version %d → %d, %d merges cut", i, cp.State, version, v, cp.MergesCut)
			}
			// The next invocation pulls nothing and merges to the end,
			// whatever its clock says.
			mergedFresh = true
			continue
		}
		if !sum.More {
			if mergedFresh && sum.Objects[0].Committed {
				break
			}
			t.Fatalf("invocation %d committed without a merge given up first (%d given up)", i, gaveUp)
		}
	}
	if gaveUp == 0 {
		t.Fatal("no merge gave up: the test does not exercise it")
	}
	sameSnapshot(t, single, resumed, "2026-11-19", live)
}

// The merge speed an invocation expects: the assumed 150,000 rows/s until
// it has pulled enough to tell, then twice its pull's speed when slower.
func TestMergeRate(t *testing.T) {
	for _, tc := range []struct {
		pulled  int64
		elapsed time.Duration
		want    int64
	}{
		{0, 0, 150_000},
		{9_999, 10 * time.Second, 150_000},        // too few records to tell
		{50_000, 500 * time.Millisecond, 150_000}, // too short to tell
		{100_000, 10 * time.Second, 20_000},       // 10,000 rows/s pulled: 2 × 10,000
		{1_000_000, 5 * time.Second, 150_000},     // faster than assumed: the assumption
	} {
		r := &objectRun{pulledHere: tc.pulled, pullTime: tc.elapsed}
		if got := r.mergeRate(); got != tc.want {
			t.Errorf("%d rows in %v: %d rows/s, want %d", tc.pulled, tc.elapsed, got, tc.want)
		}
	}
}
