package extract

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/democrm"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/salesforce"
)

// bulkEnv pulls from a demo CRM whose Bulk jobs take polls to complete,
// reading its results in pages of 150.
func bulkEnv(t *testing.T, baseURL string) *loadEnv {
	return newLoadEnv(t, baseURL, func(c *salesforce.Config) { c.BulkPageSize, c.PollInterval = 150, time.Millisecond })
}

// bulkConfig pulls Lead over Bulk (any pending count above 1).
func bulkConfig(runID string) Config {
	return Config{Objects: []*crm.Object{crm.Lead}, PII: lake.PII{Key: testKey}, RunID: runID, BulkThreshold: 1, SliceMinRows: -1, DeadlineMargin: 30 * time.Second}
}

// resumeBulk invokes the extract until it answers no more, each invocation
// stopping after budget(i) readings of the wall clock; after each one it
// notes where the checkpoint's Bulk job stood.
func resumeBulk(t *testing.T, e *loadEnv, night time.Time, prefix string, budget func(i int) int) (n int, preparing, midResults int, sum Summary, err error) {
	t.Helper()
	for i := 1; i <= 300; i++ {
		start := time.Now()
		deadline := start.Add(time.Hour)
		clock := &stepClock{start: start, deadline: deadline, budget: budget(i)}
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		sum, err = Run(ctx, e.deps(night, clock.now), bulkConfig(fmt.Sprintf("%s-%03d", prefix, i)))
		cancel()
		if err != nil || !sum.More {
			return i, preparing, midResults, sum, err
		}
		cp, _, rerr := ReadCheckpoint(context.Background(), e.store, "Lead")
		if rerr != nil || cp.Bulk == nil || cp.Bulk.JobID == "" {
			t.Fatalf("invocation %d: more, but the checkpoint %+v (%v) has no Bulk job", i, cp, rerr)
		}
		switch {
		case !cp.Bulk.Complete:
			preparing++
		case cp.Bulk.Locator != "":
			midResults++
		}
	}
	t.Fatal("not done after 300 invocations")
	return
}

// TestBulkPullResumesItsJob: a Bulk API 2.0 pull cut by the deadline while
// Salesforce prepares the job and again between results pages resumes on
// the next invocation from the checkpoint's job id and locator, creating
// one job in all, and commits the snapshot of a Bulk pull made in one
// invocation, row for row; then an incremental night over Bulk does the
// same. A failed job fails the run and the next invocation starts a new
// job.
func TestBulkPullResumesItsJob(t *testing.T) {
	ctx := context.Background()
	leads := 1500
	if testing.Short() {
		leads = 600
	}
	org := democrm.Generate(democrm.Config{Seed: 11, Leads: leads})
	srv := democrm.NewServer(org, democrm.WithBulkPolls(8))
	baseURL, stop := srv.Start()
	defer stop()
	single, resumed := bulkEnv(t, baseURL), bulkEnv(t, baseURL)
	night1 := org.Clock().Add(time.Minute)

	if sum, err := Run(ctx, single.deps(night1, nil), bulkConfig("single")); err != nil || sum.Objects[0].Pages < 3 {
		t.Fatalf("single bulk pull: %v\n%s", err, sum)
	}
	before := srv.Counts()
	n, preparing, midResults, sum, err := resumeBulk(t, resumed, night1, "n1", func(i int) int { return 3 + i%4 })
	if err != nil {
		t.Fatalf("resumed bulk pull: %v\n%s", err, sum)
	}
	created := srv.Counts().BulkCreate - before.BulkCreate
	t.Logf("night 1: %d invocations, %d stopped while the job was prepared, %d between results pages, %d jobs created", n, preparing, midResults, created)
	if preparing == 0 || midResults == 0 {
		t.Fatalf("stopped %d times while preparing, %d mid-results: the test does not exercise both", preparing, midResults)
	}
	if created != 1 {
		t.Errorf("the resumed pull created %d Bulk jobs, want 1", created)
	}
	if o := sum.Objects[0]; !o.Committed || o.Mode != ModeFull {
		t.Fatalf("last invocation: %+v", o)
	}
	sameLoadSnapshot(t, single, resumed, lake.DateString(night1))

	// Night 2: changes pulled incrementally over Bulk.
	if _, err := org.SimulateNight(5); err != nil {
		t.Fatal(err)
	}
	night2 := org.Clock().Add(time.Minute)
	if sum, err := Run(ctx, single.deps(night2, nil), bulkConfig("single2")); err != nil || sum.Objects[0].Mode != ModeBulk {
		t.Fatalf("single bulk night 2: %v\n%s", err, sum)
	}
	if _, _, _, sum, err := resumeBulk(t, resumed, night2, "n2", func(i int) int { return 3 + i%4 }); err != nil || sum.Objects[0].Mode != ModeBulk {
		t.Fatalf("resumed bulk night 2: %v\n%s", err, sum)
	}
	sameLoadSnapshot(t, single, resumed, lake.DateString(night2))

	// A job that fails: the run fails, nothing moves, and the next
	// invocation creates a new job instead of resuming the failed one.
	if _, err := org.SimulateNight(5); err != nil {
		t.Fatal(err)
	}
	night3 := org.Clock().Add(time.Minute)
	wm, _, _ := ReadWatermark(ctx, resumed.store, "Lead")
	srv.FailNextBulkJob("QUERY_TIMEOUT: the query took too long")
	before = srv.Counts()
	_, _, _, _, err = resumeBulk(t, resumed, night3, "n3", func(i int) int { return 3 + i%4 })
	if err == nil {
		t.Fatal("a failed Bulk job committed")
	}
	if cp, _, _ := ReadCheckpoint(ctx, resumed.store, "Lead"); cp.State != PullFailed || cp.InProgress() {
		t.Errorf("checkpoint after the failed job: %+v", cp)
	}
	if now, _, _ := ReadWatermark(ctx, resumed.store, "Lead"); !now.SystemModstamp.Equal(wm.SystemModstamp) {
		t.Errorf("the watermark moved over a failed job: %v → %v", wm.SystemModstamp, now.SystemModstamp)
	}
	if _, _, _, sum, err := resumeBulk(t, resumed, night3, "n3b", func(i int) int { return 3 + i%4 }); err != nil || !sum.Objects[0].Committed {
		t.Fatalf("after the failed job: %v\n%s", err, sum)
	}
	// The failed job, the new one, and the merging invocation's job of
	// soft deletes (not resumable: it runs whole where the merge runs).
	if created := srv.Counts().BulkCreate - before.BulkCreate; created != 3 {
		t.Errorf("%d jobs created around the failure, want 3 (the failed one, a new one, the deletes)", created)
	}
}
