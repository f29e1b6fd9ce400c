package extract

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/democrm"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
	"github.com/venn-revops/venn/shared/results/localstore"
	"github.com/venn-revops/venn/shared/salesforce"
)

func TestBase62RoundTrip(t *testing.T) {
	for _, s := range []string{"000000000000", "5g0000000001", "zzzzzzzzzzzz", "5g00000abcXY"} {
		v, err := base62Value(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := base62Digits(v, 12); got != s {
			t.Errorf("%s → %v → %s", s, v, got)
		}
	}
	// Worked by hand: "132G" is 1·62³ + 3·62² + 2·62 + 16 = 250,000 (the
	// chunk size of Salesforce's own PK chunking example).
	if v, _ := base62Value("132G"); v.Cmp(big.NewInt(250_000)) != 0 {
		t.Errorf("132G = %v, want 250000", v)
	}
	if _, err := base62Value("5g-0"); err == nil {
		t.Error("a hyphen read as base62")
	}
}

func TestIDRangeContains(t *testing.T) {
	r := IDRange{From: "00Q5g0000000ABC", To: "00Q5g0000000abc"}
	for id, want := range map[string]bool{
		"00Q5g0000000ABCAAA": true,  // the lower bound's own Id
		"00Q5g0000000ABBzzz": false, // just below
		"00Q5g0000000abbAAA": true,  // lowercase sorts after uppercase
		"00Q5g0000000abcAAA": false, // the upper bound's own Id
	} {
		if got := r.contains(id); got != want {
			t.Errorf("%s in %s: %v", id, r, got)
		}
	}
	if !(IDRange{}).contains("anything") || len((IDRange{}).where()) != 0 {
		t.Error("the zero range is every Id")
	}
}

// loadEnv is a lake and results store pulling from the demo CRM.
type loadEnv struct {
	src   Source
	blob  lake.Blob
	store *localstore.Store
}

// newLoadEnv pulls from the demo CRM at baseURL with a client of 200-record
// pages, changed by mod.
func newLoadEnv(t *testing.T, baseURL string, mod func(*salesforce.Config)) *loadEnv {
	t.Helper()
	cfg := salesforce.Config{LoginURL: baseURL, ClientID: "venn-demo", ClientSecret: "venn-demo-secret", PageSize: 200, RetryBaseDelay: time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	client, err := salesforce.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := fsblob.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st, _ := localstore.Open("")
	return &loadEnv{src: FromSalesforce(client), blob: b, store: st}
}

func (e *loadEnv) deps(now time.Time, wall func() time.Time) Deps {
	return Deps{Source: e.src, Blob: e.blob, Store: e.store, Now: func() time.Time { return now }, Wall: wall}
}

// TestSlicedLoadEqualsSinglePull: a first load planned in Id slices over
// the demo CRM (through the Salesforce client, over HTTP), each slice
// pulled resumably over several invocations and all of them at once,
// then committed by the object's nightly run, gives the snapshot of a
// single pull row for row, in the same order; the next night's
// incremental run over either snapshot gives the same again.
func TestSlicedLoadEqualsSinglePull(t *testing.T) {
	ctx := context.Background()
	leads := 3000
	if testing.Short() {
		leads = 1200
	}
	org := democrm.Generate(democrm.Config{Seed: 5, Leads: leads})
	baseURL, stop := democrm.NewServer(org).Start()
	defer stop()
	single, sliced := newLoadEnv(t, baseURL, nil), newLoadEnv(t, baseURL, nil)
	night1 := org.Clock().Add(time.Minute)
	dt1 := lake.DateString(night1)
	objects := []*crm.Object{crm.Lead}
	cfg := func(runID string) Config {
		return Config{Objects: objects, PII: lake.PII{Key: testKey}, RunID: runID, SliceMinRows: int64(leads / 3), SliceRows: int64(leads / 7)}
	}

	// The single pull: slicing off.
	one := cfg("single")
	one.SliceMinRows = -1
	if sum, err := Run(ctx, single.deps(night1, nil), one); err != nil {
		t.Fatalf("single pull: %v\n%s", err, sum)
	}

	// The plan: Id slices covering the object, each counted under the
	// target, in order, open at both ends.
	plans, err := PlanLoads(ctx, sliced.deps(night1, nil), cfg("plan1"))
	if err != nil {
		t.Fatal(err)
	}
	if len(plans) != 1 || plans[0].Object != "Lead" {
		t.Fatalf("plans %+v", plans)
	}
	l := plans[0].Load
	var want int64
	if err := org.Each(crm.Lead, func(*crm.Row) error { want++; return nil }); err != nil {
		t.Fatal(err)
	}
	var counted int64
	for i, s := range l.Slices {
		counted += s.Count
		if s.Count > int64(leads/7) || s.Count == 0 {
			t.Errorf("slice %d: %d records counted, target %d", i+1, s.Count, leads/7)
		}
		if i > 0 && l.Slices[i-1].IDs.To != s.IDs.From {
			t.Errorf("slice %d starts at %q, slice %d ends at %q", i+1, s.IDs.From, i, l.Slices[i-1].IDs.To)
		}
	}
	if len(l.Slices) < 7 || l.Slices[0].IDs.From != "" || l.Slices[len(l.Slices)-1].IDs.To != "" || counted != l.Count {
		t.Fatalf("%d slices counting %d of %d: %+v", len(l.Slices), counted, l.Count, l.Slices)
	}
	t.Logf("%d leads (%d live and counted) in %d slices", leads, l.Count, len(l.Slices))
	if again, err := PlanLoads(ctx, sliced.deps(night1, nil), cfg("plan2")); err != nil || len(again) != 1 || again[0].Load.ID != "plan1" {
		t.Fatalf("planned again: %+v, %v; want the load in progress", again, err)
	}

	// Before every slice is merged, the nightly run of the object fails
	// and commits nothing.
	if _, err := Run(ctx, sliced.deps(night1, nil), cfg("early")); err == nil {
		t.Fatal("the nightly run committed a load whose slices are not pulled")
	}

	// Every slice at once, each resumed over invocations that stop after
	// a few pages.
	var wg sync.WaitGroup
	invocations := make([]int, len(l.Slices))
	errs := make([]error, len(l.Slices))
	for i := range l.Slices {
		wg.Go(func() {
			for inv := 1; inv <= 100; inv++ {
				start := time.Now()
				deadline := start.Add(time.Hour)
				clock := &stepClock{start: start, deadline: deadline, budget: 40 + 7*i + 13*inv}
				c := cfg(fmt.Sprintf("inv%02d-%03d", i, inv))
				c.Slice = &SliceRef{Load: l.ID, Index: i + 1}
				c.DeadlineMargin = 30 * time.Second
				dctx, cancel := context.WithDeadline(ctx, deadline)
				sum, err := Run(dctx, sliced.deps(night1, clock.now), c)
				cancel()
				if err != nil {
					errs[i] = fmt.Errorf("slice %d invocation %d: %w", i+1, inv, err)
					return
				}
				if !sum.More {
					invocations[i] = inv
					return
				}
			}
			errs[i] = fmt.Errorf("slice %d not done after 100 invocations", i+1)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if slices.Max(invocations) < 2 {
		t.Fatalf("invocations per slice %v: the test does not exercise resuming", invocations)
	}
	t.Logf("invocations per slice: %v", invocations)
	if _, err := lake.Snapshot(ctx, sliced.blob, "Lead", dt1); !errors.Is(err, lake.ErrNotExist) && !errors.Is(err, lake.ErrNoSnapshot) {
		t.Fatalf("a snapshot is visible before the load is committed: %v", err)
	}

	sum, err := Run(ctx, sliced.deps(night1, nil), cfg("commit"))
	if err != nil {
		t.Fatalf("commit: %v\n%s", err, sum)
	}
	o := sum.Objects[0]
	if !o.Committed || o.Mode != ModeFull {
		t.Fatalf("commit: %+v", o)
	}
	m := sameLoadSnapshot(t, single, sliced, dt1)
	// The slices' own files, in slice order (a slice of rejects only has
	// none).
	folder := lake.RunFolder(lake.SnapshotPartition("Lead", dt1), l.ID) + "/slice-"
	for i, f := range m.Files {
		if len(f.Key) < len(folder) || f.Key[:len(folder)] != folder || i > 0 && f.Key <= m.Files[i-1].Key {
			t.Errorf("file %d is %s, want slices' files under %s in order", i, f.Key, folder)
		}
	}
	if len(m.Files) < len(l.Slices)/2 || m.RunID != l.ID {
		t.Errorf("the committed snapshot has %d files in run %s, want about one per slice (%d) in run %s", len(m.Files), m.RunID, len(l.Slices), l.ID)
	}
	if got, _, _ := ReadLoad(ctx, sliced.store, "Lead"); got.State != LoadCommitted || got.Manifest != m.Key() {
		t.Errorf("load after the commit: %+v", got)
	}
	if again, err := PlanLoads(ctx, sliced.deps(night1, nil), cfg("plan3")); err != nil || len(again) != 0 {
		t.Errorf("planned after the commit: %+v, %v", again, err)
	}

	// Night 2: incremental over each snapshot.
	if _, err := org.SimulateNight(3); err != nil {
		t.Fatal(err)
	}
	night2 := org.Clock().Add(time.Minute)
	for _, e := range []*loadEnv{single, sliced} {
		sum, err := Run(ctx, e.deps(night2, nil), cfg("night2"))
		if err != nil || sum.Objects[0].Mode != ModeIncremental {
			t.Fatalf("night 2: %v\n%s", err, sum)
		}
	}
	sameLoadSnapshot(t, single, sliced, lake.DateString(night2))
}

// sameLoadSnapshot compares the two lakes' Lead snapshots of dt row for
// row and in order, their watermarks and reject counts; it returns b's.
func sameLoadSnapshot(t *testing.T, a, b *loadEnv, dt string) *lake.Manifest {
	t.Helper()
	ctx := context.Background()
	ma, err := lake.Snapshot(ctx, a.blob, "Lead", dt)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := lake.Snapshot(ctx, b.blob, "Lead", dt)
	if err != nil {
		t.Fatal(err)
	}
	ra, _, orderA := rows(t, a.blob, crm.Lead, ma.Files)
	rb, _, orderB := rows(t, b.blob, crm.Lead, mb.Files)
	if !slices.Equal(orderA, orderB) || !maps.EqualFunc(ra, rb, slices.Equal) {
		t.Errorf("%s: the sliced snapshot differs from the single pull's (%d vs %d rows)", dt, len(rb), len(ra))
	}
	if ma.Rows != mb.Rows || ma.Rows != int64(len(ra)) || !ma.Watermark.Equal(*mb.Watermark) || *ma.Counts != *mb.Counts {
		t.Errorf("%s: rows %d vs %d, watermark %v vs %v, counts %+v vs %+v", dt, ma.Rows, mb.Rows, ma.Watermark, mb.Watermark, *ma.Counts, *mb.Counts)
	}
	wa, _, _ := ReadWatermark(ctx, a.store, "Lead")
	wb, _, _ := ReadWatermark(ctx, b.store, "Lead")
	if !wa.SystemModstamp.Equal(wb.SystemModstamp) {
		t.Errorf("%s: stored watermark %v vs %v", dt, wa.SystemModstamp, wb.SystemModstamp)
	}
	sa, _, _ := ReadStuck(ctx, a.store, "Lead")
	sb, _, _ := ReadStuck(ctx, b.store, "Lead")
	if len(sa) != len(sb) {
		t.Errorf("%s: %d stuck rejects vs %d", dt, len(sa), len(sb))
	}
	return mb
}
