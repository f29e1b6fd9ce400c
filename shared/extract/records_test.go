package extract

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/democrm"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
	"github.com/venn-revops/venn/shared/results/localstore"
	"github.com/venn-revops/venn/shared/salesforce"
)

// Multi-night scenarios over the demo CRM (real HTTP, the real client):
// records served malformed on one night and correct on a later one. After
// every night the lake is compared with the org's own truth (org.Each),
// never with what the extract reported.

type scenario struct {
	t     *testing.T
	org   *democrm.Org
	srv   *democrm.Server
	c     *salesforce.Client
	blob  lake.Blob
	store *localstore.Store
	objs  []*crm.Object
}

func newScenario(t *testing.T, cfg democrm.Config, objs ...*crm.Object) *scenario {
	t.Helper()
	if cfg.Malformed == 0 {
		cfg.Malformed = -1 // only the defects a test sets
	}
	org := democrm.Generate(cfg)
	srv := democrm.NewServer(org)
	base, stop := srv.Start()
	t.Cleanup(stop)
	c, err := salesforce.New(salesforce.Config{LoginURL: base, ClientID: "venn-demo", ClientSecret: "venn-demo-secret", PageSize: 2000,
		RetryBaseDelay: time.Millisecond, RetryMaxDelay: 5 * time.Millisecond, PollInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := fsblob.New(t.TempDir())
	store, _ := localstore.Open("")
	return &scenario{t: t, org: org, srv: srv, c: c, blob: b, store: store, objs: objs}
}

// night runs the extract a minute after the org's clock.
func (s *scenario) night(cfg Config) (time.Time, Summary) {
	s.t.Helper()
	now := s.org.Clock().Add(time.Minute)
	cfg.Objects = s.objs
	cfg.PII = lake.PII{Key: testKey}
	sum, err := Run(context.Background(), Deps{Source: FromSalesforce(s.c), Blob: s.blob, Store: s.store, Now: func() time.Time { return now }}, cfg)
	if err != nil {
		s.t.Fatalf("night %s: %v\n%s", lake.DateString(now), err, sum)
	}
	s.t.Logf("night %s:\n%s", lake.DateString(now), sum)
	for _, o := range sum.Objects {
		if o.Received != o.Written+o.Rejects+o.Duplicates {
			s.t.Errorf("%s: received %d != written %d + rejects %d + duplicates %d", o.Object, o.Received, o.Written, o.Rejects, o.Duplicates)
		}
	}
	return now, sum
}

// nextDay moves the org's clock on by a day.
func (s *scenario) nextDay() { s.org.SetClock(s.org.Clock().Add(24 * time.Hour)) }

// lakeMatchesOrg compares the night's snapshot of obj with the org's live
// records, value by value (PII hashed the same way), except the Ids in
// missing (rejected tonight): the lake must not hold their current values
// (it may hold an older copy, or nothing for a new record).
func (s *scenario) lakeMatchesOrg(obj *crm.Object, night time.Time, missing ...string) {
	s.t.Helper()
	m, err := lake.Snapshot(context.Background(), s.blob, obj.Name, lake.DateString(night))
	if err != nil {
		s.t.Fatal(err)
	}
	got, _, _ := rows(s.t, s.blob, obj, m.Files)
	want := map[string][]crm.Value{}
	hash := (&lake.PII{Key: testKey}).Plan(obj)
	s.org.Each(obj, func(r *crm.Row) error {
		c := crm.Row{Values: append([]crm.Value(nil), r.Values...)}
		hash(&c)
		want[c.ID()] = c.Values
		return nil
	})
	skip := map[string]bool{}
	held := 0
	for _, id := range missing {
		skip[id] = true
		if g, ok := got[id]; ok {
			held++
			if fmt.Sprint(g) == fmt.Sprint(want[id]) {
				s.t.Errorf("%s %s is in the lake with its current values, want it held back as a reject", obj.Name, id)
			}
		}
	}
	var ids []string
	for id := range want {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	bad := 0
	for _, id := range ids {
		if skip[id] {
			continue
		}
		g, ok := got[id]
		switch {
		case !ok:
			s.t.Errorf("%s %s missing from the lake", obj.Name, id)
			bad++
		case fmt.Sprint(g) != fmt.Sprint(want[id]):
			s.t.Errorf("%s %s: lake %v, org %v", obj.Name, id, g, want[id])
			bad++
		}
		if bad > 5 {
			s.t.Fatalf("%s: too many mismatches", obj.Name)
		}
	}
	if n := len(want) - len(skip) + held; len(got) != n {
		s.t.Errorf("%s: lake has %d rows, org %d live (%d held back)", obj.Name, len(got), len(want), len(skip))
	}
}

// stuckIDs reads the object's stuck list: Ids, and the raw Ids of the
// records without a usable one.
func (s *scenario) stuckIDs(obj *crm.Object) map[string]StuckRecord {
	s.t.Helper()
	recs, _, err := ReadStuck(context.Background(), s.store, obj.Name)
	if err != nil {
		s.t.Fatal(err)
	}
	out := map[string]StuckRecord{}
	for _, r := range recs {
		key := r.ID
		if key == "" {
			key = r.RawID
		}
		out[key] = r
	}
	return out
}

func firstIDs(t *testing.T, org *democrm.Org, obj *crm.Object, n int) []string {
	t.Helper()
	var ids []string
	org.Each(obj, func(r *crm.Row) error {
		if len(ids) < n {
			ids = append(ids, r.ID())
		}
		return nil
	})
	if len(ids) < n {
		t.Fatalf("the org has %d %s records, want %d", len(ids), obj.Name, n)
	}
	return ids
}

// A new deal served with Amount "n/a" is rejected and stuck on night 2;
// on night 3 it is served correctly (its SystemModstamp unchanged, so only
// the re-read by Id finds it) and is in the snapshot with the right values.
func TestStuckRejectRecoversNextNight(t *testing.T) {
	s := newScenario(t, democrm.Config{Seed: 21, Leads: 300}, crm.Opportunity)
	n1, _ := s.night(Config{})
	s.lakeMatchesOrg(crm.Opportunity, n1)

	s.nextDay()
	account := firstIDs(t, s.org, crm.Account, 1)[0]
	deal, err := s.org.Insert(crm.Opportunity, map[string]any{
		"Name": "Northwind - New Business", "AccountId": account, "OwnerId": "005000000000002AAA", "StageName": "Prospecting",
		"Amount": "48250.00", "CurrencyIsoCode": "USD", "CloseDate": s.org.Clock().Add(30 * 24 * time.Hour), "IsClosed": false, "IsWon": false,
		"Type": "New Business", "Probability": "10",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.org.Corrupt(crm.Opportunity, deal, democrm.Defect{Kind: democrm.DefectBadValue}); err != nil {
		t.Fatal(err)
	}
	// Another deal edited later: the watermark moves past the bad one, so
	// only the re-read by Id can bring it back.
	other := firstIDs(t, s.org, crm.Opportunity, 1)[0]
	s.org.SetClock(s.org.Clock().Add(time.Hour))
	s.org.Touch(crm.Opportunity, other)
	n2, sum := s.night(Config{})
	o := sum.Objects[0]
	if o.Rejects != 1 || o.Stuck != 1 || o.StuckSince != lake.DateString(n2) || o.WatermarkHeld {
		t.Fatalf("night 2: %+v", o)
	}
	s.lakeMatchesOrg(crm.Opportunity, n2, deal)
	if st := s.stuckIDs(crm.Opportunity)[deal]; st.Field != "Amount" || st.FirstSeen != lake.DateString(n2) || st.Attempts != 1 {
		t.Errorf("stuck entry %+v", st)
	}

	if !sum.Objects[0].Watermark.After(crm.TimeOfMicros(0)) {
		t.Fatal("no watermark")
	}
	// Night 3: still bad. It stays stuck, first seen on night 2.
	s.nextDay()
	s.org.Touch(crm.Opportunity, other)
	n3, sum := s.night(Config{})
	if o := sum.Objects[0]; o.Stuck != 1 || o.StuckSince != lake.DateString(n2) || o.ReceivedReread != 1 || o.Rejects != 1 {
		t.Fatalf("night 3: %+v", o)
	}
	s.lakeMatchesOrg(crm.Opportunity, n3, deal)
	if st := s.stuckIDs(crm.Opportunity)[deal]; st.Attempts != 2 || st.FirstSeen != lake.DateString(n2) {
		t.Errorf("stuck entry %+v", st)
	}

	// Night 4: served correctly, no edit.
	if err := s.org.Repair(crm.Opportunity, deal); err != nil {
		t.Fatal(err)
	}
	s.nextDay()
	n4, sum := s.night(Config{})
	if o := sum.Objects[0]; o.Stuck != 0 || o.Recovered != 1 || o.Rejects != 0 || o.StuckSince != "" {
		t.Fatalf("night 4: %+v", o)
	}
	s.lakeMatchesOrg(crm.Opportunity, n4)
	if len(s.stuckIDs(crm.Opportunity)) != 0 {
		t.Error("the stuck list still holds the recovered deal")
	}
}

// A stuck record deleted in the org leaves the list (gone) and never
// reaches the lake.
func TestStuckRejectDeletedLeavesTheList(t *testing.T) {
	s := newScenario(t, democrm.Config{Seed: 22, Leads: 200}, crm.Lead)
	s.night(Config{})
	s.nextDay()
	lead, err := s.org.Insert(crm.Lead, map[string]any{"LastName": "Quarantine", "Company": "Broken Bytes", "Status": "Open - Not Contacted", "OwnerId": "005000000000002AAA", "IsConverted": false})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.org.Corrupt(crm.Lead, lead, democrm.Defect{Kind: democrm.DefectInvalidUTF8, Field: "LastName"}); err != nil {
		t.Fatal(err)
	}
	s.org.SetClock(s.org.Clock().Add(time.Hour))
	s.org.Touch(crm.Lead, firstIDs(t, s.org, crm.Lead, 1)[0])
	n2, sum := s.night(Config{})
	if o := sum.Objects[0]; o.Stuck != 1 || o.Rejects != 1 {
		t.Fatalf("night 2: %+v", o)
	}
	s.lakeMatchesOrg(crm.Lead, n2, lead)
	s.nextDay()
	if err := s.org.HardDelete(crm.Lead, lead); err != nil {
		t.Fatal(err)
	}
	n3, sum := s.night(Config{})
	if o := sum.Objects[0]; o.Stuck != 0 || o.Gone != 1 {
		t.Fatalf("night 3: %+v", o)
	}
	s.lakeMatchesOrg(crm.Lead, n3)
}

// Every REST record defect on one page, night 1 (full pull): each bad
// record is quarantined, the rest of its page is kept; the valid 15-char
// Id is completed and the same-stamp copy resolved to the true record.
// Night 2, all repaired: Id-usable rejects come back through the re-read,
// the Id-less ones (bad checksum, wrong prefix, hyphen) through the held
// watermark, and the lake equals the org.
func TestEveryRESTDefectQuarantinedThenRecovered(t *testing.T) {
	s := newScenario(t, democrm.Config{Seed: 23, Leads: 2100}, crm.Lead)
	kinds := []democrm.Defect{
		{Kind: democrm.DefectInvalidUTF8},
		{Kind: democrm.DefectLoneSurrogate},
		{Kind: democrm.DefectDuplicateKey},
		{Kind: democrm.DefectNotAnObject},
		{Kind: democrm.DefectBadValue, Field: "CreatedDate"},
		{Kind: democrm.DefectNullValue, Field: "OwnerId"},
		{Kind: democrm.DefectNullValue, Field: "Status"},
		{Kind: democrm.DefectWrongType},
		{Kind: democrm.DefectBadChecksum},
		{Kind: democrm.DefectWrongPrefix},
		{Kind: democrm.DefectHyphenID},
		{Kind: democrm.DefectBadChecksum, Field: "OwnerId"},
		{Kind: democrm.DefectShortID},
		{Kind: democrm.DefectSameStampCopy},
	}
	ids := firstIDs(t, s.org, crm.Lead, len(kinds))
	var rejected []string
	copies := 0
	for i, d := range kinds {
		if err := s.org.Corrupt(crm.Lead, ids[i], d); err != nil {
			t.Fatalf("%v: %v", d.Kind, err)
		}
		if d.Kind.Rejects() {
			rejected = append(rejected, ids[i])
		}
		if d.Kind == democrm.DefectSameStampCopy {
			copies++
		}
	}
	live := s.org.Count(crm.Lead)
	n1, sum := s.night(Config{})
	o := sum.Objects[0]
	// Independent counts: the org's live leads, plus one extra copy.
	if o.Rejects != int64(len(rejected)) || o.Received != int64(live+copies) || o.Written != int64(live-len(rejected)) ||
		o.Duplicates != int64(copies) || o.Conflicts != int64(copies) || o.Pages < 2 {
		t.Fatalf("night 1: %+v (live %d, rejected %d)", o, live, len(rejected))
	}
	s.lakeMatchesOrg(crm.Lead, n1, rejected...)
	if o.Stuck != len(rejected) || !o.WatermarkHeld {
		t.Errorf("night 1 stuck %d (want %d), watermark held %v", o.Stuck, len(rejected), o.WatermarkHeld)
	}

	s.org.RepairAll()
	s.nextDay()
	n2, sum := s.night(Config{})
	if o := sum.Objects[0]; o.Stuck != 0 || o.Rejects != 0 || o.WatermarkHeld {
		t.Fatalf("night 2: %+v", o)
	}
	s.lakeMatchesOrg(crm.Lead, n2)
}

// Bulk CSV rows with bad quoting or the wrong number of cells are
// quarantined and the other rows kept; the next night (REST) recovers them.
func TestBulkRowDefectsQuarantined(t *testing.T) {
	s := newScenario(t, democrm.Config{Seed: 24, Leads: 400}, crm.Lead)
	ids := firstIDs(t, s.org, crm.Lead, 3)
	for i, d := range []democrm.Defect{{Kind: democrm.DefectCSVQuoting}, {Kind: democrm.DefectCSVColumns}, {Kind: democrm.DefectInvalidUTF8}} {
		if err := s.org.Corrupt(crm.Lead, ids[i], d); err != nil {
			t.Fatal(err)
		}
	}
	n1, sum := s.night(Config{BulkThreshold: 1})
	if o := sum.Objects[0]; o.Rejects != 3 || o.Stuck != 3 || o.Written != int64(s.org.Count(crm.Lead)-3) {
		t.Fatalf("night 1 (bulk): %+v", o)
	}
	s.lakeMatchesOrg(crm.Lead, n1, ids...)
	s.org.RepairAll()
	s.nextDay()
	n2, sum := s.night(Config{})
	if o := sum.Objects[0]; o.Stuck != 0 || o.Recovered != 3 {
		t.Fatalf("night 2: %+v", o)
	}
	s.lakeMatchesOrg(crm.Lead, n2)
}

// A body cut short fails the object cleanly: nothing committed, the
// watermark and the stuck list unchanged; the next run catches up.
func TestTruncatedPageFailsTheObjectCleanly(t *testing.T) {
	s := newScenario(t, democrm.Config{Seed: 25, Leads: 300}, crm.Lead)
	n1, _ := s.night(Config{})
	before, _, _ := ReadWatermark(context.Background(), s.store, "Lead")
	s.nextDay()
	s.org.Touch(crm.Lead, firstIDs(t, s.org, crm.Lead, 1)[0])
	s.srv.Inject(democrm.Fault{Route: democrm.RoutePages, Body: democrm.BodyTruncated})
	now := s.org.Clock().Add(time.Minute)
	sum, err := Run(context.Background(), Deps{Source: FromSalesforce(s.c), Blob: s.blob, Store: s.store, Now: func() time.Time { return now }},
		Config{Objects: s.objs, PII: lake.PII{Key: testKey}})
	if err == nil || sum.Objects[0].Committed {
		t.Fatalf("a truncated page did not fail the object: %v %+v", err, sum.Objects)
	}
	if after, _, _ := ReadWatermark(context.Background(), s.store, "Lead"); after != before {
		t.Errorf("watermark moved: %+v → %+v", before, after)
	}
	if m, err := lake.LatestSnapshot(context.Background(), s.blob, "Lead", now); err != nil || m.Dt != lake.DateString(n1) {
		t.Errorf("latest snapshot after the failure: %v %v", m, err)
	}
	n2, _ := s.night(Config{RunID: "retry"})
	s.lakeMatchesOrg(crm.Lead, n2)
}

// Describe and token retries are counted in the run summary.
func TestSummaryCountsEveryRetry(t *testing.T) {
	s := newScenario(t, democrm.Config{Seed: 26, Leads: 100}, crm.Lead)
	s.srv.Inject(democrm.Fault{Route: democrm.RouteToken, Times: 2, Status: 503})
	s.srv.Inject(democrm.Fault{Route: democrm.RouteDescribe, Times: 1, Status: 503})
	_, sum := s.night(Config{})
	if r := sum.Totals().Retries; r != 3 {
		t.Errorf("retries %d, want 2 token + 1 describe", r)
	}
	if got, want := sum.Totals().Requests, s.srv.Counts().Total; got != want {
		t.Errorf("requests %d, server saw %d", got, want)
	}
}
