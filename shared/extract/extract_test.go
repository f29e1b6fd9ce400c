package extract

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
	"github.com/venn-revops/venn/shared/results/localstore"
)

var testKey = []byte("test-pii-key-0123456789abcdef")

type env struct {
	src   *fakeSource
	blob  lake.Blob
	fs    *fsblob.Blob
	store *localstore.Store
}

func newEnv(t *testing.T) *env {
	t.Helper()
	b, err := fsblob.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st, _ := localstore.Open("")
	e := &env{src: newFakeSource(), blob: b, fs: b, store: st}
	e.src.load(t, "Lead", "leads.jsonl")
	return e
}

var (
	night1 = time.Date(2026, 11, 19, 2, 0, 0, 0, time.UTC)
	night2 = time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
)

func (e *env) run(ctx context.Context, at time.Time, cfg Config) (Summary, error) {
	if cfg.Objects == nil {
		cfg.Objects = []*crm.Object{crm.Lead}
	}
	cfg.PII.Key = testKey
	if cfg.RunID == "" {
		cfg.RunID = at.Format("20060102T150405Z")
	}
	return Run(ctx, Deps{Source: e.src, Blob: e.blob, Store: e.store, Now: func() time.Time { return at }}, cfg)
}

// rows reads a manifest's snapshot (or change) files into Id → row values
// and Id → op.
func rows(t *testing.T, b lake.Blob, o *crm.Object, files []lake.File) (map[string][]crm.Value, map[string]string, []string) {
	t.Helper()
	vals, ops := map[string][]crm.Value{}, map[string]string{}
	var order []string
	err := lake.ReadRows(context.Background(), b, o, files, func(r *crm.Row, op string) error {
		if _, dup := vals[r.ID()]; dup {
			t.Errorf("duplicate Id %s", r.ID())
		}
		vals[r.ID()] = append([]crm.Value(nil), r.Values...)
		ops[r.ID()] = op
		order = append(order, r.ID())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return vals, ops, order
}

func ids(m map[string][]crm.Value) string {
	var out []string
	for id := range m {
		out = append(out, id[12:15])
	}
	sortStrings(out)
	return strings.Join(out, ",")
}

func sortStrings(s []string) {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
}

func snapshot(t *testing.T, e *env, dt string) *lake.Manifest {
	t.Helper()
	m, err := lake.Snapshot(context.Background(), e.blob, "Lead", dt)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// night2Changes are the source's changes between the two nights: a record
// committed late with the exact watermark stamp (the cursor tie), an
// update, a soft delete.
func night2Changes(e *env) {
	late := map[string]any{}
	for k, v := range e.src.records["Lead"][2] {
		late[k] = v
	}
	late["Id"], late["Email"], late["SystemModstamp"] = "00Q000000000006EAA", "late@tie.example", "2026-11-19T01:30:00.000+0000"
	e.src.set("Lead", late)
	e.src.update("Lead", "00Q000000000001EAA", "2026-11-19T09:00:00.000+0000", map[string]any{"Status": "MQL"})
	e.src.update("Lead", "00Q000000000002EAA", "2026-11-19T10:00:00.000+0000", map[string]any{"IsDeleted": true})
}

func TestFullThenIncremental(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	sum, err := e.run(ctx, night1, Config{})
	if err != nil {
		t.Fatal(err)
	}
	got := sum.Objects[0]
	if got.Mode != ModeFull || got.SnapshotRows != 4 || got.Rejects != 1 || !got.Committed {
		t.Fatalf("night 1: %+v", got)
	}
	m1 := snapshot(t, e, "2026-11-19")
	if m1.Watermark == nil || !m1.Watermark.Equal(time.Date(2026, 11, 19, 1, 30, 0, 0, time.UTC)) {
		t.Errorf("night 1 watermark %v", m1.Watermark)
	}
	if len(m1.Changes) != 0 || len(m1.Rejects) != 1 || m1.Counts.Rejects != 1 {
		t.Errorf("night 1 manifest: changes %v rejects %v", m1.Changes, m1.Rejects)
	}
	wm, ok, _ := ReadWatermark(ctx, e.store, "Lead")
	if !ok || !wm.SystemModstamp.Equal(*m1.Watermark) || wm.Manifest != m1.Key() {
		t.Errorf("stored watermark %+v", wm)
	}

	night2Changes(e)
	e.src.duplicate = true // every record twice: dedupe by Id
	sum, err = e.run(ctx, night2, Config{})
	if err != nil {
		t.Fatal(err)
	}
	got = sum.Objects[0]
	// Upserts: 006 (the tie) and 001; one delete. 003 and 004 come again
	// through the overlap window, unchanged: no change rows. 005, stuck
	// since night 1, is asked for again by Id and is still bad.
	// Accounting, by hand: the upsert pull returns 003, 004, 006, 001 and
	// the delete pull 002, the re-read 005, each twice: 12 received = 5
	// written (001, 002, 003, 004, 006; 003 and 004 unchanged) + 2 rejects
	// (005 twice) + 5 duplicates.
	if got.Mode != ModeIncremental || got.SnapshotRows != 4 || got.Upserts != 2 || got.Deletes != 1 || got.Rejects != 2 ||
		got.Received != 12 || got.ReceivedReread != 2 || got.Written != 5 || got.Unchanged != 2 || got.Duplicates != 5 ||
		got.Stuck != 1 || got.StuckSince != "2026-11-19" || got.WatermarkHeld {
		t.Fatalf("night 2: %+v", got)
	}
	m2 := snapshot(t, e, "2026-11-20")
	snap, _, order := rows(t, e.blob, crm.Lead, m2.Files)
	if got := ids(snap); got != "001,003,004,006" {
		t.Errorf("snapshot ids %s", got)
	}
	if fmt.Sprint(order) != fmt.Sprint([]string{"00Q000000000001EAA", "00Q000000000003EAA", "00Q000000000004EAA", "00Q000000000006EAA"}) {
		t.Errorf("snapshot not sorted by Id: %v", order)
	}
	if s := snap["00Q000000000001EAA"][crm.Lead.Column("status")].S; s != "MQL" {
		t.Errorf("lead 1 status %q", s)
	}
	mac := hmac.New(sha256.New, testKey)
	mac.Write([]byte("ann@acme.example"))
	if got := snap["00Q000000000001EAA"][crm.Lead.Column("email")].S; got != hex.EncodeToString(mac.Sum(nil)) {
		t.Errorf("email not hashed: %q", got)
	}
	changes, ops, _ := rows(t, e.blob, crm.Lead, m2.Changes)
	if ids(changes) != "001,002,006" || ops["00Q000000000002EAA"] != lake.OpDelete || ops["00Q000000000006EAA"] != lake.OpUpsert {
		t.Errorf("changes %s ops %v", ids(changes), ops)
	}
	if m2.Previous != m1.Key() || !m2.Watermark.Equal(time.Date(2026, 11, 19, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("night 2 lineage %s watermark %v", m2.Previous, m2.Watermark)
	}
	wm, _, _ = ReadWatermark(ctx, e.store, "Lead")
	if !wm.SystemModstamp.Equal(*m2.Watermark) {
		t.Errorf("watermark not advanced: %v", wm.SystemModstamp)
	}
	// The window was watermark − overlap, inclusive, up to the run start.
	want := "SELECT COUNT() FROM Lead WHERE SystemModstamp >= 2026-11-19T01:20:00Z AND SystemModstamp < 2026-11-20T02:00:00Z"
	found := false
	for _, q := range e.src.soql {
		found = found || q == want
	}
	if !found {
		t.Errorf("no query %q in %v", want, e.src.soql)
	}
}

// TestRerunSameNight: the same night run again gives the same snapshot
// bytes, superseding the first commit: readers see one copy.
func TestRerunSameNight(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if _, err := e.run(ctx, night1, Config{}); err != nil {
		t.Fatal(err)
	}
	night2Changes(e)
	if _, err := e.run(ctx, night2, Config{RunID: "first"}); err != nil {
		t.Fatal(err)
	}
	first := snapshot(t, e, "2026-11-20")
	sum, err := e.run(ctx, night2.Add(time.Hour), Config{RunID: "second", Night: night2})
	if err != nil {
		t.Fatal(err)
	}
	// Nothing changed at the source: the overlap re-pull is no upsert.
	if s := sum.Objects[0]; s.Upserts != 0 || s.SnapshotRows != 4 {
		t.Errorf("rerun summary %+v", s)
	}
	second := snapshot(t, e, "2026-11-20")
	if second.Sequence != 2 || second.Supersedes != first.Key() || second.RunID != "second" {
		t.Fatalf("rerun manifest %+v", second)
	}
	if len(first.Files) != 1 || len(second.Files) != 1 || first.Files[0].SHA256 != second.Files[0].SHA256 || first.Rows != second.Rows {
		t.Errorf("rerun content differs: %+v vs %+v", first.Files, second.Files)
	}
	// A full resync of the same night gives the same content too.
	if _, err := e.run(ctx, night2.Add(2*time.Hour), Config{RunID: "resync", Night: night2, FullResync: true}); err != nil {
		t.Fatal(err)
	}
	third := snapshot(t, e, "2026-11-20")
	if third.Mode != string(ModeFull) || third.Files[0].SHA256 != first.Files[0].SHA256 {
		t.Errorf("resync: mode %s files %+v", third.Mode, third.Files)
	}
}

// TestFailureKeepsWatermark: a source failure mid-pull commits nothing and
// leaves the watermark where it was.
func TestFailureKeepsWatermark(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if _, err := e.run(ctx, night1, Config{}); err != nil {
		t.Fatal(err)
	}
	before, _, _ := ReadWatermark(ctx, e.store, "Lead")
	night2Changes(e)
	e.src.failAfter = 1
	sum, err := e.run(ctx, night2, Config{})
	if err == nil || !strings.Contains(err.Error(), "QUERY_TIMEOUT") {
		t.Fatalf("err = %v", err)
	}
	if sum.Objects[0].Committed {
		t.Error("failed object marked committed")
	}
	after, _, _ := ReadWatermark(ctx, e.store, "Lead")
	if after != before {
		t.Errorf("watermark moved: %+v → %+v", before, after)
	}
	if m, err := lake.LatestSnapshot(ctx, e.blob, "Lead", night2); err != nil || m.Dt != "2026-11-19" {
		t.Errorf("latest snapshot %+v %v", m, err)
	}
}

// killedBlob simulates a crash between data files and manifest: the
// conditional manifest write never happens.
type killedBlob struct{ lake.Blob }

func (killedBlob) PutIfAbsent(context.Context, string, []byte) error {
	return errors.New("process killed")
}

func TestKilledBeforeManifest(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if _, err := e.run(ctx, night1, Config{}); err != nil {
		t.Fatal(err)
	}
	before, _, _ := ReadWatermark(ctx, e.store, "Lead")
	night2Changes(e)
	e.blob = killedBlob{e.fs}
	if _, err := e.run(ctx, night2, Config{}); err == nil {
		t.Fatal("killed run succeeded")
	}
	e.blob = e.fs
	// The run's files exist…
	files, _ := e.blob.List(ctx, lake.SnapshotPartition("Lead", "2026-11-20")+"/run=")
	if len(files) == 0 {
		t.Fatal("expected orphaned data files of the killed run")
	}
	// …but readers see only the previous commit, and the cursor stayed.
	m, err := lake.LatestSnapshot(ctx, e.blob, "Lead", night2)
	if err != nil || m.Dt != "2026-11-19" {
		t.Errorf("reader sees %+v %v", m, err)
	}
	if after, _, _ := ReadWatermark(ctx, e.store, "Lead"); after != before {
		t.Errorf("watermark moved after a crash: %+v", after)
	}
	// The next run recovers fully.
	sum, err := e.run(ctx, night2.Add(time.Hour), Config{Night: night2})
	if err != nil || sum.Objects[0].SnapshotRows != 4 || sum.Objects[0].Deletes != 1 {
		t.Fatalf("recovery: %+v %v", sum.Objects, err)
	}
}

// barrierBlob holds every manifest write until n writers have arrived, so
// two runs are guaranteed to race for the same sequence number.
type barrierBlob struct {
	lake.Blob
	wg *sync.WaitGroup
}

func (b barrierBlob) PutIfAbsent(ctx context.Context, key string, body []byte) error {
	b.wg.Done()
	b.wg.Wait()
	return b.Blob.PutIfAbsent(ctx, key, body)
}

func TestConcurrentRunsOneCommits(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if _, err := e.run(ctx, night1, Config{}); err != nil {
		t.Fatal(err)
	}
	night2Changes(e)
	var wg sync.WaitGroup
	wg.Add(2)
	e.blob = barrierBlob{Blob: e.fs, wg: &wg}
	var done sync.WaitGroup
	errs := make([]error, 2)
	sums := make([]Summary, 2)
	for i := range 2 {
		done.Add(1)
		go func() {
			defer done.Done()
			sums[i], errs[i] = e.run(ctx, night2, Config{RunID: fmt.Sprintf("racer%d", i)})
		}()
	}
	done.Wait()
	ok, conflict := 0, 0
	for i := range 2 {
		switch {
		case errs[i] == nil && sums[i].Objects[0].Committed:
			ok++
		case errors.Is(errs[i], lake.ErrCommitConflict):
			conflict++
		default:
			t.Errorf("racer %d: %v", i, errs[i])
		}
	}
	if ok != 1 || conflict != 1 {
		t.Fatalf("ok=%d conflict=%d", ok, conflict)
	}
	e.blob = e.fs
	m := snapshot(t, e, "2026-11-20")
	wm, _, _ := ReadWatermark(ctx, e.store, "Lead")
	if m.Sequence != 1 || wm.Manifest != m.Key() || wm.RunID != m.RunID {
		t.Errorf("manifest %s run %s, watermark %+v", m.Key(), m.RunID, wm)
	}
}

func TestHardDeletesByIDSet(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	for i := 1; i <= 3; i++ {
		e.src.set("CampaignMember", map[string]any{
			"Id": fmt.Sprintf("00v00000000000%dAAA", i), "SystemModstamp": "2026-11-18T10:00:00.000+0000", "CreatedDate": "2026-11-18T10:00:00.000+0000",
			"CampaignId": "701000000000001AAA", "LeadId": fmt.Sprintf("00Q00000000000%dEAA", i), "ContactId": nil, "Status": "Sent", "HasResponded": false, "FirstRespondedDate": nil,
		})
	}
	cfg := Config{Objects: []*crm.Object{crm.CampaignMember}}
	if _, err := e.run(ctx, night1, cfg); err != nil {
		t.Fatal(err)
	}
	e.src.hardDelete("CampaignMember", "00v000000000002AAA")
	sum, err := e.run(ctx, night2, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// 001 and 003 come again through the overlap window unchanged; 002 is gone.
	if s := sum.Objects[0]; s.SnapshotRows != 2 || s.Deletes != 1 || s.Upserts != 0 {
		t.Fatalf("summary %+v", s)
	}
	m, _ := lake.Snapshot(ctx, e.blob, "CampaignMember", "2026-11-20")
	snap, _, _ := rows(t, e.blob, crm.CampaignMember, m.Files)
	changes, ops, _ := rows(t, e.blob, crm.CampaignMember, m.Changes)
	if ids(snap) != "001,003" || ids(changes) != "002" || ops["00v000000000002AAA"] != lake.OpDelete {
		t.Errorf("snapshot %s changes %s %v", ids(snap), ids(changes), ops)
	}
}

func TestDescribeDrift(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	var names []string
	for _, n := range crm.Lead.FieldNames() {
		if n != "Phone" {
			names = append(names, n)
		}
	}
	e.src.describe["Lead"] = append(names, "Score__c")
	sum, err := e.run(ctx, night1, Config{})
	if err != nil {
		t.Fatal(err)
	}
	s := sum.Objects[0]
	if fmt.Sprint(s.NewFields) != "[Score__c]" || fmt.Sprint(s.RemovedFields) != "[Phone]" || s.SnapshotRows != 4 {
		t.Fatalf("summary %+v", s)
	}
	m := snapshot(t, e, "2026-11-19")
	if fmt.Sprint(m.NewFields) != "[Score__c]" || fmt.Sprint(m.RemovedFields) != "[Phone]" {
		t.Errorf("manifest new %v removed %v", m.NewFields, m.RemovedFields)
	}
	snap, _, _ := rows(t, e.blob, crm.Lead, m.Files)
	for id, v := range snap {
		if !v[crm.Lead.Column("phone")].Null {
			t.Errorf("%s phone not null", id)
		}
	}
	for _, q := range e.src.soql {
		if strings.Contains(q, "Phone") {
			t.Errorf("removed field selected: %s", q)
		}
	}
}

func TestDeadlineStopsBeforeObject(t *testing.T) {
	e := newEnv(t)
	now := time.Now()
	ctx, cancel := context.WithDeadline(context.Background(), now.Add(10*time.Second))
	defer cancel()
	_, err := e.run(ctx, now, Config{DeadlineMargin: 30 * time.Second})
	if !errors.Is(err, ErrDeadline) || !strings.Contains(err.Error(), "committed: none") {
		t.Fatalf("err = %v", err)
	}
	if _, err := lake.Snapshot(context.Background(), e.blob, "Lead", lake.DateString(now)); !errors.Is(err, lake.ErrNoSnapshot) {
		t.Errorf("something committed: %v", err)
	}
}

// TestDeadlineStopsBeforeCommit: the deadline comes near once an object
// is pulled, leaving no time to merge: the pull is checkpointed (more to
// do), nothing is committed, the watermark stays, and the next invocation
// merges the staged rows without pulling them again.
func TestDeadlineStopsBeforeCommit(t *testing.T) {
	e := newEnv(t)
	start := time.Now()
	ctx, cancel := context.WithDeadline(context.Background(), start.Add(time.Hour))
	defer cancel()
	clock := start
	e.src.afterQuery = func() { clock = start.Add(59*time.Minute + 50*time.Second) }
	cfg := Config{Objects: []*crm.Object{crm.Lead}, PII: lake.PII{Key: testKey}, DeadlineMargin: 30 * time.Second}
	// The job clock replays a night three days back; only the wall clock
	// approaches the deadline.
	night := start.Add(-72 * time.Hour)
	deps := Deps{Source: e.src, Blob: e.blob, Store: e.store, Now: func() time.Time { return night }, Wall: func() time.Time { return clock }}
	sum, err := Run(ctx, deps, cfg)
	if err != nil || !sum.More || !sum.Objects[0].Pending || sum.Objects[0].Staged != 5 {
		t.Fatalf("err = %v, summary %+v", err, sum)
	}
	if _, ok, _ := ReadWatermark(context.Background(), e.store, "Lead"); ok {
		t.Error("watermark written for an uncommitted object")
	}
	if _, err := lake.Snapshot(context.Background(), e.blob, "Lead", lake.DateString(night)); !errors.Is(err, lake.ErrNoSnapshot) {
		t.Errorf("committed: %v", err)
	}
	queries := len(e.src.soql)
	clock, e.src.afterQuery = start, nil
	sum, err = Run(ctx, deps, cfg)
	if err != nil || sum.More || !sum.Objects[0].Committed || sum.Objects[0].SnapshotRows != 4 || sum.Objects[0].Received != 5 {
		t.Fatalf("second invocation: err = %v, summary %+v", err, sum)
	}
	if again := e.src.soql[queries:]; len(again) != 0 {
		t.Errorf("the merge queried the org again: %q", again)
	}
}

// TestBulkMatchesREST: the Bulk CSV path and the REST JSON path produce
// byte-identical snapshot files.
func TestBulkMatchesREST(t *testing.T) {
	ctx := context.Background()
	restEnv, bulkEnv := newEnv(t), newEnv(t)
	r, err := restEnv.run(ctx, night1, Config{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := bulkEnv.run(ctx, night1, Config{BulkThreshold: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(bulkEnv.src.soql[1], "BULK ") {
		t.Fatalf("bulk not used: %v", bulkEnv.src.soql)
	}
	mr, mb := snapshot(t, restEnv, "2026-11-19"), snapshot(t, bulkEnv, "2026-11-19")
	if mr.Files[0].SHA256 != mb.Files[0].SHA256 || r.Objects[0].Rejects != b.Objects[0].Rejects {
		t.Errorf("REST %+v vs Bulk %+v", mr.Files, mb.Files)
	}
	night2Changes(bulkEnv)
	s, err := bulkEnv.run(ctx, night2, Config{BulkThreshold: 1})
	if err != nil || s.Objects[0].Mode != ModeBulk || s.Objects[0].Deletes != 1 || s.Objects[0].SnapshotRows != 4 {
		t.Errorf("bulk incremental %+v %v", s.Objects, err)
	}
}

// TestSortSpill: a tiny sort budget forces many spilled runs; the result is
// byte-identical to the in-memory sort.
func TestSortSpill(t *testing.T) {
	ctx := context.Background()
	a, b := newEnv(t), newEnv(t)
	for _, e := range []*env{a, b} {
		e.src.duplicate = true
		if _, err := e.run(ctx, night1, Config{}); err != nil {
			t.Fatal(err)
		}
		night2Changes(e)
	}
	if _, err := a.run(ctx, night2, Config{}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.run(ctx, night2, Config{SortBudget: 300}); err != nil {
		t.Fatal(err)
	}
	ma, mb := snapshot(t, a, "2026-11-20"), snapshot(t, b, "2026-11-20")
	if ma.Files[0].SHA256 != mb.Files[0].SHA256 || ma.Changes[0].SHA256 != mb.Changes[0].SHA256 {
		t.Errorf("spilled sort differs")
	}
}

func TestSummaryTable(t *testing.T) {
	s := Summary{Objects: []ObjectSummary{
		{Object: "Lead", Mode: ModeIncremental, Committed: true, SnapshotRows: 4, Upserts: 4, Deletes: 1, Pages: 2, Requests: 3, NewFields: []string{"Score__c"}},
		{Object: "Task", Mode: ModeFull, Err: "query changes: boom"},
	}}
	out := s.String()
	for _, want := range []string{"object", "Lead", "incremental", "+Score__c", "FAILED: query changes: boom", "TOTAL"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if tot := s.Totals(); tot.SnapshotRows != 4 || tot.Committed {
		t.Errorf("totals %+v", tot)
	}
}

// TestBackfillRepairsAGap: a record that reached the source with a stamp
// older than the watermark window (a late sync from another system) is
// missed by the incremental run; a backfill of that range picks it up and
// the watermark does not move backwards.
func TestBackfillRepairsAGap(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if _, err := e.run(ctx, night1, Config{}); err != nil {
		t.Fatal(err)
	}
	lost := map[string]any{}
	for k, v := range e.src.records["Lead"][0] {
		lost[k] = v
	}
	lost["Id"], lost["SystemModstamp"] = "00Q000000000009EAA", "2026-11-18T09:00:00.000+0000"
	e.src.set("Lead", lost)
	sum, err := e.run(ctx, night2, Config{})
	if err != nil || sum.Objects[0].SnapshotRows != 4 {
		t.Fatalf("incremental: %+v %v", sum.Objects, err)
	}
	before, _, _ := ReadWatermark(ctx, e.store, "Lead")
	sum, err = e.run(ctx, night2.Add(time.Hour), Config{Night: night2, RunID: "backfill", Backfill: &Backfill{
		From: time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 18, 23, 0, 0, 0, time.UTC)}})
	if err != nil {
		t.Fatal(err)
	}
	if s := sum.Objects[0]; s.Mode != ModeBackfill || s.SnapshotRows != 5 {
		t.Fatalf("backfill: %+v", s)
	}
	snap, _, _ := rows(t, e.blob, crm.Lead, snapshot(t, e, "2026-11-20").Files)
	if _, ok := snap["00Q000000000009EAA"]; !ok {
		t.Error("backfilled record missing")
	}
	if after, _, _ := ReadWatermark(ctx, e.store, "Lead"); !after.SystemModstamp.Equal(before.SystemModstamp) {
		t.Errorf("watermark moved by a backfill: %v → %v", before.SystemModstamp, after.SystemModstamp)
	}
}

// TestSortOrder: entries order by Id, then SystemModstamp (negative stamps
// included), then delete after upsert, then arrival.
func TestSortOrder(t *testing.T) {
	mk := func(id string, stamp int64) *crm.Row {
		r := &crm.Row{}
		r.Reset(3)
		r.Values[0] = crm.Value{S: id}
		r.Values[1] = crm.Value{I: stamp}
		return r
	}
	s := newSorter(1<<20, t.TempDir())
	defer s.close()
	s.add(mk("B", 5), opUpsert)
	s.add(mk("A", 3), opUpsert)
	s.add(mk("A", -7), opUpsert)
	s.add(mk("B", 5), opDelete)
	s.add(mk("C", 1), opDelete)
	s.add(mk("C", 1), opUpsert) // later arrival, same stamp: the delete still wins
	s.add(mk("A", 3), opUpsert)
	_, rows, ops := drainSorter(t, s)
	var got []string
	for i, r := range rows {
		got = append(got, fmt.Sprintf("%s@%d/%d", r.ID(), r.Modstamp(), ops[i]))
	}
	if want := "[A@3/0 B@5/1 C@1/1]"; fmt.Sprint(got) != want {
		t.Errorf("got %v, want %s", got, want)
	}
}

// The duplicate rule, in memory and across spilled runs: the latest
// SystemModstamp wins whatever the arrival order, then (same stamp) the
// later arrival; identical copies are plain duplicates, same-stamp copies
// with different values are conflicts named by Id.
func TestDuplicateRule(t *testing.T) {
	mk := func(id string, stamp int64, name string) *crm.Row {
		r := &crm.Row{}
		r.Reset(4)
		r.Values[0] = crm.Value{S: id}
		r.Values[1] = crm.Value{I: stamp}
		r.Values[3] = crm.Value{S: name}
		return r
	}
	for _, budget := range []int{1 << 20, 40} {
		s := newSorter(budget, t.TempDir())
		s.add(mk("D", 7, "stale copy"), opUpsert)
		s.add(mk("E", 9, "newest"), opUpsert)
		s.add(mk("F", 2, "same"), opUpsert)
		s.add(mk("D", 7, "true record"), opUpsert) // same stamp, later: wins, a conflict
		s.add(mk("E", 4, "older"), opUpsert)       // older stamp, later: loses
		s.add(mk("F", 2, "same"), opUpsert)        // identical: a duplicate only
		it, rows, _ := drainSorter(t, s)
		var got []string
		for _, r := range rows {
			got = append(got, r.ID()+"="+r.Values[3].S)
		}
		s.close()
		if fmt.Sprint(got) != "[D=true record E=newest F=same]" || it.duplicates != 3 || it.conflicts != 1 || fmt.Sprint(it.conflictIDs) != "[D]" {
			t.Errorf("budget %d: %v, %d duplicates, %d conflicts %v", budget, got, it.duplicates, it.conflicts, it.conflictIDs)
		}
	}
}

// The stuck list is chunked under the store's item size and shrinks
// without leaving stale chunks behind.
func TestStuckListChunks(t *testing.T) {
	ctx := context.Background()
	st, _ := localstore.Open("")
	var recs []StuckRecord
	for i := range 1201 {
		recs = append(recs, StuckRecord{ID: fmt.Sprintf("00Q%012dEAA", i), FirstSeen: "2026-11-19", LastSeen: "2026-11-20", Attempts: 2, Field: "CreatedDate", Reason: "not a datetime"})
	}
	if err := writeStuck(ctx, st, "Lead", recs, 0); err != nil {
		t.Fatal(err)
	}
	got, chunks, err := ReadStuck(ctx, st, "Lead")
	if err != nil || len(got) != 1201 || chunks != 3 || got[1200] != recs[1200] {
		t.Fatalf("%d records in %d chunks, %v", len(got), chunks, err)
	}
	if err := writeStuck(ctx, st, "Lead", recs[:2], chunks); err != nil {
		t.Fatal(err)
	}
	if got, _, err = ReadStuck(ctx, st, "Lead"); err != nil || len(got) != 2 || got[1] != recs[1] {
		t.Fatalf("after shrinking: %d records, %v", len(got), err)
	}
}

// A reject with neither a usable Id nor a readable stamp holds the
// watermark where it was, so the next window covers it again; once it
// decodes it is in the snapshot and the watermark moves on.
func TestIdlessRejectHoldsTheWatermark(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if _, err := e.run(ctx, night1, Config{}); err != nil {
		t.Fatal(err)
	}
	m1 := snapshot(t, e, "2026-11-19")
	fresh := map[string]any{}
	for k, v := range e.src.records["Lead"][0] {
		fresh[k] = v
	}
	fresh["Id"], fresh["SystemModstamp"] = "00Q000000000007EAA", "2026-11-19T12:00:00.000+0000"
	e.src.set("Lead", fresh)
	e.src.update("Lead", "00Q000000000001EAA", "2026-11-19T09:00:00.000+0000", map[string]any{"Status": "MQL"})
	e.src.raw = map[string][]byte{"00Q000000000007EAA": []byte(`{"attributes":{"type":"Lead"},"SystemModstamp":"garbage","LastName":"Nobody"}`)}
	sum, err := e.run(ctx, night2, Config{})
	if err != nil {
		t.Fatal(err)
	}
	got := sum.Objects[0]
	m2 := snapshot(t, e, "2026-11-20")
	if !got.WatermarkHeld || got.Stuck != 2 || !m2.Watermark.Equal(*m1.Watermark) {
		t.Fatalf("night 2: %+v, watermark %v (night 1 %v)", got, m2.Watermark, m1.Watermark)
	}
	if wm, _, _ := ReadWatermark(ctx, e.store, "Lead"); !wm.SystemModstamp.Equal(*m1.Watermark) {
		t.Errorf("stored watermark moved to %v", wm.SystemModstamp)
	}
	night3 := night2.Add(24 * time.Hour)
	e.src.raw = nil
	sum, err = e.run(ctx, night3, Config{})
	if err != nil {
		t.Fatal(err)
	}
	got = sum.Objects[0]
	m3 := snapshot(t, e, "2026-11-21")
	snap, _, _ := rows(t, e.blob, crm.Lead, m3.Files)
	if _, ok := snap["00Q000000000007EAA"]; !ok || got.WatermarkHeld || got.Stuck != 1 || // 005 stays bad, by Id
		!m3.Watermark.Equal(time.Date(2026, 11, 19, 12, 0, 0, 0, time.UTC)) {
		t.Fatalf("night 3: %+v, watermark %v, 007 in snapshot: %v", got, m3.Watermark, ok)
	}
}

// drainSorter iterates s to the end and returns the iterator (for its
// duplicate counts), the rows in order and each row's op.
func drainSorter(t *testing.T, s *sorter) (*iterator, []crm.Row, []byte) {
	t.Helper()
	it, err := s.iterate()
	if err != nil {
		t.Fatal(err)
	}
	var rows []crm.Row
	var ops []byte
	for {
		e, err := it.next()
		if err != nil {
			t.Fatal(err)
		}
		if e == nil {
			return it, rows, ops
		}
		var r crm.Row
		if err := decodeEntry(e, &r); err != nil {
			t.Fatal(err)
		}
		rows, ops = append(rows, r), append(ops, entryOp(e))
	}
}
