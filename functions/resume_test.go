package functions_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/democrm"
	"github.com/venn-revops/venn/shared/extract"
	"github.com/venn-revops/venn/shared/lake"
)

// TestLambdaExtractResumesALargePull is issue 18's acceptance: a 1M-lead
// object pulled from the demo CRM by the extract Lambda under a short
// deadline, resumed across invocations of the same event until it answers
// more: false, commits a snapshot equal row for row to one invocation's
// pull of the same org (a second lake and results table). The rows are
// compared by a sorted list of row hashes computed with parquet-go's own
// reader, not Venn's. No timing is asserted: how many invocations it takes
// depends on the machine; it must be more than one.
//
// VENN_RESUME_LEADS overrides the size for a quicker local run.
func TestLambdaExtractResumesALargePull(t *testing.T) {
	skipShort(t)
	leads := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("VENN_RESUME_LEADS")); err == nil && v > 0 {
		leads = v
	}
	w := newWorldOf(t, democrm.Config{Seed: 18, Leads: leads})
	ev := []byte(`{"job":"extract","mode":"nightly","objects":["Lead"]}`)

	// The resumed pull: 20 s per invocation, stopping 5 s before the
	// deadline. A page of the demo CRM can take seconds on a loaded
	// machine, and the merge of 1M rows may not fit 20 s there: an
	// invocation that overruns fails like a Lambda timeout, and the next
	// attempt gets twice the time (as an operator raising the function's
	// timeout would). The checkpoint keeps what was pulled, so every retry
	// goes on from it; a merge that was cut short starts straight away.
	w.env["EXTRACT_DEADLINE_MARGIN"] = "5s"
	// Over REST (TestLambdaExtractResumesABulkPull resumes a Bulk pull).
	w.env["BULK_THRESHOLD"] = strconv.Itoa(2 * leads)
	timeout := 20 * time.Second
	resumed := w.start(t, "extract", timeout)
	var sum extract.Summary
	invocations, failed := 0, 0
	lastStaged := int64(-1)
	for sum.More || invocations == 0 {
		invocations++
		if invocations > 200 {
			t.Fatalf("still more to pull after %d invocations", invocations-1)
		}
		out, err := resumed.Invoke(context.Background(), ev)
		if err != nil {
			// A loaded machine can overrun the margin: the invocation
			// fails without a checkpoint, as a Lambda timeout would, and
			// the state machine's retry resumes from the last one.
			failed++
			timeout = min(2*timeout, 10*time.Minute)
			t.Logf("invocation %d failed (retried with a %s timeout): %v", invocations, timeout, err)
			if failed > 20 {
				t.Fatalf("%d invocations failed; last: %v\n%s", failed, err, resumed.Logs())
			}
			resumed = w.start(t, "extract", timeout)
			sum.More = true
			continue
		}
		sum = decode[extract.Summary](t, out)
		if len(sum.Objects) != 1 {
			t.Fatalf("invocation %d: summary %+v", invocations, sum)
		}
		o := sum.Objects[0]
		t.Logf("invocation %d: more=%v staged=%d committed=%v", invocations, sum.More, o.Staged, o.Committed)
		if sum.More && (o.Committed || !o.Pending) {
			t.Fatalf("invocation %d: more but %+v", invocations, o)
		}
		if sum.More && o.Staged == lastStaged {
			// No progress: the merge gave up at the margin. Give the
			// next attempt twice the time, as an operator answering the
			// budget alarm would raise the function's timeout.
			timeout = min(2*timeout, 10*time.Minute)
			t.Logf("invocation %d made no progress (retrying with a %s timeout)", invocations, timeout)
			resumed = w.start(t, "extract", timeout)
		}
		lastStaged = o.Staged
		if sum.More {
			// Nothing is visible before the merge.
			if keys := w.manifests(t, lake.SnapshotPartition("Lead", lake.DateString(night))+"/"); len(keys) != 0 {
				t.Fatalf("invocation %d: snapshot manifests %v before the pull is done", invocations, keys)
			}
			if _, ok, _ := extract.ReadWatermark(context.Background(), w.store, "Lead"); ok {
				t.Fatalf("invocation %d: the watermark moved before the merge", invocations)
			}
		}
	}
	if invocations < 2 {
		t.Fatalf("the pull fit in one invocation: the test does not exercise resuming (%d leads)", leads)
	}
	got := sum.Objects[0]
	if !got.Committed || got.SnapshotRows != int64(w.org.Count(crm.Lead)) {
		t.Fatalf("resumed pull: %+v; the org has %d leads", got, w.org.Count(crm.Lead))
	}
	if cp, _, err := extract.ReadCheckpoint(context.Background(), w.store, "Lead"); err != nil || cp.State != extract.PullDone || cp.Manifest != got.Manifest {
		t.Errorf("checkpoint after the merge: %+v (%v)", cp, err)
	}

	// One invocation with all the time it needs, into its own lake prefix
	// and results table.
	rows := sameAsSinglePull(t, w, ev, got.Manifest)
	if rows != w.org.Count(crm.Lead) {
		t.Fatalf("%d rows, the org has %d leads", rows, w.org.Count(crm.Lead))
	}
	t.Logf("%d leads over %d invocations: %d rows, equal to the single pull's row for row", leads, invocations, rows)
}

// rowHashes reads a snapshot's Parquet files (the manifest under prefix)
// with parquet-go's generic reader and returns the sorted SHA-256 of each
// row's values (column, null, type and bytes of each).
func (w *world) rowHashes(t *testing.T, prefix, manifest string) [][32]byte {
	t.Helper()
	get := func(key string) []byte { return w.getIn(t, prefix, key) }
	m := decode[lake.Manifest](t, get(manifest))
	var out [][32]byte
	for _, f := range m.Files {
		body := get(f.Key)
		pf, err := parquet.OpenFile(bytes.NewReader(body), int64(len(body)))
		if err != nil {
			t.Fatalf("%s: %v", f.Key, err)
		}
		r := parquet.NewReader(pf)
		rows := make([]parquet.Row, 256)
		for {
			n, err := r.ReadRows(rows)
			for _, row := range rows[:n] {
				h := sha256.New()
				for _, v := range row {
					var hdr [10]byte
					binary.BigEndian.PutUint16(hdr[:], uint16(v.Column()))
					if v.IsNull() {
						hdr[2] = 1
					}
					hdr[3] = byte(v.Kind())
					binary.BigEndian.PutUint32(hdr[4:], uint32(len(v.Bytes())))
					h.Write(hdr[:])
					h.Write(v.Bytes())
				}
				out = append(out, [32]byte(h.Sum(nil)))
			}
			if err != nil {
				break
			}
		}
		r.Close()
	}
	if int64(len(out)) != m.Rows {
		t.Fatalf("%s: read %d rows, the manifest says %d", manifest, len(out), m.Rows)
	}
	slices.SortFunc(out, func(x, y [32]byte) int { return bytes.Compare(x[:], y[:]) })
	return out
}
