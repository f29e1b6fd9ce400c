package functions_test

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/democrm"
	"github.com/venn-revops/venn/shared/extract"
	"github.com/venn-revops/venn/shared/lambdaruntime"
)

// resumeLambda starts the extract function with timeout and invokes ev
// until it answers more: false, calling each after every invocation that
// answered more. A loaded machine can overrun the margin: the invocation
// fails without a checkpoint, as a Lambda timeout would, and the next
// attempt gets twice the time (up to maxTimeout, as an operator raising the
// function's timeout would) and resumes from the last checkpoint; more
// than maxFailed such failures fail the test. It returns the last summary
// and the invocations made.
func resumeLambda(t *testing.T, w *world, ev []byte, timeout, maxTimeout time.Duration, maxFailed int, each func(i int, sum extract.Summary)) (extract.Summary, int) {
	t.Helper()
	fn := w.start(t, "extract", timeout)
	failed := 0
	for i := 1; i <= 200; i++ {
		out, err := fn.Invoke(context.Background(), ev)
		if err != nil {
			failed++
			timeout = min(2*timeout, maxTimeout)
			t.Logf("invocation %d failed (retried with a %s timeout): %v", i, timeout, err)
			if failed > maxFailed {
				t.Fatalf("%d invocations failed; last: %v\n%s", failed, err, fn.Logs())
			}
			fn = w.start(t, "extract", timeout)
			continue
		}
		sum := decode[extract.Summary](t, out)
		if len(sum.Objects) != 1 {
			t.Fatalf("invocation %d: summary %+v", i, sum)
		}
		if !sum.More {
			return sum, i
		}
		each(i, sum)
	}
	t.Fatal("still more to pull after 200 invocations")
	return extract.Summary{}, 0
}

// sameAsSinglePull runs ev once with all the time it needs, into its own
// lake prefix and results table, and checks its snapshot equals the one
// committed as manifest row for row; it returns the rows.
func sameAsSinglePull(t *testing.T, w *world, ev []byte, manifest string) int {
	t.Helper()
	single := maps.Clone(w.env)
	single["LAKE_PREFIX"] = "single"
	single["RESULTS_TABLE"] = w.ddb.NewTable(t)
	delete(single, "EXTRACT_DEADLINE_MARGIN")
	one := lambdaruntime.Start(t, bootstrap(t, "extract"), single, lambdaruntime.Options{FunctionName: "venn-extract", Timeout: 10 * time.Minute})
	sumOne := decode[extract.Summary](t, invoke(t, one, ev))
	if sumOne.More || len(sumOne.Objects) != 1 || !sumOne.Objects[0].Committed || sumOne.Objects[0].Invocations != 0 {
		t.Fatalf("single pull: %+v", sumOne)
	}
	a := w.rowHashes(t, lakePrefix, manifest)
	b := w.rowHashes(t, "single", sumOne.Objects[0].Manifest)
	if len(a) == 0 || !slices.EqualFunc(a, b, func(x, y [32]byte) bool { return x == y }) {
		t.Fatalf("resumed snapshot (%d rows) differs from the single pull's (%d rows)", len(a), len(b))
	}
	return len(a)
}

// TestLambdaExtractResumesABulkPull: a Bulk API 2.0 pull through the
// extract Lambda with 6-second invocations, against a demo CRM whose job
// takes five slow status polls to complete and whose results come in slow
// pages, so invocations stop while Salesforce prepares the job and again
// between pages. Each resumes from the checkpoint's job id and locator:
// one job is created in all, and the snapshot equals one invocation's Bulk
// pull of the same org row for row. No timing is asserted beyond "more
// than one invocation".
func TestLambdaExtractResumesABulkPull(t *testing.T) {
	skipShort(t)
	w := newWorldOf(t, democrm.Config{Seed: 181, Leads: 20_000}, democrm.WithBulkPolls(5), democrm.WithBulkPageSize(2500))
	w.crm.Inject(democrm.Fault{Route: democrm.RouteBulkPoll, Times: 1_000_000, Delay: time.Second})
	w.crm.Inject(democrm.Fault{Route: democrm.RouteBulkResults, Times: 1_000_000, Delay: 700 * time.Millisecond})
	ev := []byte(`{"job":"extract","mode":"nightly","objects":["Lead"]}`)
	w.env["BULK_THRESHOLD"] = "1000"
	w.env["EXTRACT_DEADLINE_MARGIN"] = "2s"
	preparing, midResults := 0, 0
	sum, invocations := resumeLambda(t, w, ev, 6*time.Second, 5*time.Minute, 10, func(i int, sum extract.Summary) {
		cp, _, err := extract.ReadCheckpoint(context.Background(), w.store, "Lead")
		if err != nil || cp.Bulk == nil || cp.Bulk.JobID == "" {
			t.Fatalf("invocation %d: more, checkpoint %+v (%v) without a Bulk job", i, cp, err)
		}
		if !cp.Bulk.Complete {
			preparing++
		} else if cp.Bulk.Locator != "" {
			midResults++
		}
	})
	t.Logf("%d invocations: %d stopped while the job was prepared, %d between results pages", invocations, preparing, midResults)
	got := sum.Objects[0]
	if !got.Committed || got.Mode != extract.ModeFull || invocations < 2 || preparing == 0 {
		t.Fatalf("after %d invocations (%d while preparing): %+v", invocations, preparing, got)
	}
	if n := w.crm.Counts().BulkCreate; n != 1 {
		t.Fatalf("the resumed pull created %d Bulk jobs, want 1", n)
	}
	sameAsSinglePull(t, w, ev, got.Manifest)
}
