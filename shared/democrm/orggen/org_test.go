package orggen

import (
	"bytes"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/crm"
)

// dump writes every record the org holds (valid and soft-deleted, with its
// wire defect if any) and the synthetic malformed records, object by object
// in Id order. The wire bytes are pinned by the server's golden test.
func dump(o *Org) []byte {
	var b []byte
	for _, obj := range crm.Objects {
		o.mu.RLock()
		t := o.tables[obj.Name]
		o.mu.RUnlock()
		_ = o.EachAll(obj, func(r *crm.Row) error {
			b = fmt.Appendf(b, "%s %v\n", obj.Name, r.Values)
			return nil
		})
		for _, bad := range t.bad {
			b = fmt.Appendf(b, "%s bad %v %v\n", obj.Name, bad.row.Values, bad.d.Defect)
		}
	}
	return b
}

func TestGenerateIsDeterministic(t *testing.T) {
	cfg := Config{Seed: 42, Leads: 2000}
	a, b := dump(Generate(cfg)), dump(Generate(cfg))
	if !bytes.Equal(a, b) {
		t.Fatal("two Generate calls with the same Config differ")
	}
	if bytes.Equal(a, dump(Generate(Config{Seed: 43, Leads: 2000}))) {
		t.Fatal("a different seed made the same org")
	}
}

// TestIndexesMatchRecords checks the per-record bookkeeping the server
// sorts and filters by: the stored SystemModstamp is the rendered one, and
// Ids are valid, ascending and resolvable.
func TestIndexesMatchRecords(t *testing.T) {
	o := Generate(Config{Seed: 3, Leads: 3000})
	rc := &renderCtx{g: &o.gen}
	for _, obj := range crm.Objects {
		tb := o.tables[obj.Name]
		var row crm.Row
		prev := ""
		for i := int64(0); i < tb.n; i++ {
			tb.current(rc, i, &row)
			id := row.ID()
			if got := row.Modstamp(); got != tb.stamps[i] {
				t.Fatalf("%s %s: stored SystemModstamp %v, rendered %v", obj.Name, id, crm.TimeOfMicros(tb.stamps[i]), crm.TimeOfMicros(got))
			}
			if created := row.Values[2].I; created > row.Modstamp() {
				t.Fatalf("%s %s: created after its last modification", obj.Name, id)
			}
			if len(id) != 18 || id[:3] != keyPrefix[obj.Name] || id <= prev {
				t.Fatalf("%s record %d: Id %q is not an 18-character %s Id after %q", obj.Name, i, id, keyPrefix[obj.Name], prev)
			}
			if n, err := tb.number(id); err != nil || n != i {
				t.Fatalf("%s %s resolves to %d, %v", obj.Name, id, n, err)
			}
			prev = id
		}
	}
}

func TestIDChecksum(t *testing.T) {
	// Worked examples: the suffix has a bit per uppercase letter of each
	// 5-character chunk (A = none, B = first, ... 5 = all five).
	tests := []struct {
		prefix string
		n      int64
		want   string
	}{
		{"00Q", 0, "00Q5g0000000000EAA"},  // Q: 3rd char of chunk 1 → 1<<2 → E
		{"006", 61, "0065g000000000zAAA"}, // lowercase letters set no bit
		{"006", 10, "0065g000000000AAAQ"}, // A: 5th char of chunk 3 → 1<<4 → Q
		{"701", 62*62*62*62*62 - 1, "7015g00000zzzzzAAA"},
	}
	for _, tc := range tests {
		if got := makeID(tc.prefix, tc.n); got != tc.want {
			t.Errorf("makeID(%s, %d) = %s, want %s", tc.prefix, tc.n, got, tc.want)
		}
		if n, err := parseID(tc.prefix, tc.want); err != nil || n != tc.n {
			t.Errorf("parseID(%s) = %d, %v", tc.want, n, err)
		}
	}
	if _, err := parseID("006", "0065g000000000AAAA"); err == nil {
		t.Error("a wrong checksum was accepted")
	}
}

func TestMutations(t *testing.T) {
	o := Generate(Config{Seed: 1, Leads: 300})
	leads, cms := o.Count(crm.Lead), o.Count(crm.CampaignMember)
	var leadID, cmID, oppID string
	_ = o.Each(crm.Lead, func(r *crm.Row) error { leadID = r.ID(); return nil })
	_ = o.Each(crm.CampaignMember, func(r *crm.Row) error { cmID = r.ID(); return nil })
	_ = o.Each(crm.Opportunity, func(r *crm.Row) error { oppID = r.ID(); return nil })
	clock := DefaultAsOf.Add(90 * time.Minute)
	o.SetClock(clock)

	if err := o.Update(crm.Opportunity, oppID, map[string]any{"Amount": "1234.50", "StageName": "Negotiation", "CloseDate": "2026-12-15"}); err != nil {
		t.Fatal(err)
	}
	row := find(t, o, crm.Opportunity, oppID, false)
	if v := row.Values[crm.Opportunity.Column("amount")]; v.I != 123450 || v.Null {
		t.Fatalf("Amount = %+v, want 123450 cents", v)
	}
	if row.Modstamp() != crm.Micros(clock) {
		t.Fatal("Update did not bump SystemModstamp to the clock")
	}

	id, err := o.Insert(crm.Lead, map[string]any{"LastName": "New", "Company": "Newco", "Status": "Open - Not Contacted", "IsConverted": false})
	if err != nil {
		t.Fatal(err)
	}
	if id <= leadID || o.Count(crm.Lead) != leads+1 {
		t.Fatalf("inserted %s after %s; count %d", id, leadID, o.Count(crm.Lead))
	}
	if r := find(t, o, crm.Lead, id, false); r.Values[2].I != crm.Micros(clock) {
		t.Fatal("inserted lead's CreatedDate is not the clock")
	}

	if err := o.Delete(crm.Lead, leadID); err != nil {
		t.Fatal(err)
	}
	if o.Count(crm.Lead) != leads || find(t, o, crm.Lead, leadID, true).Values[3].B != true {
		t.Fatal("soft delete: the lead should leave Each and show IsDeleted in EachAll")
	}
	if err := o.Delete(crm.CampaignMember, cmID); err != nil {
		t.Fatal(err)
	}
	if o.Count(crm.CampaignMember) != cms-1 {
		t.Fatal("hard delete did not remove the campaign member")
	}
	for _, err := range []error{
		o.Update(crm.CampaignMember, cmID, map[string]any{"Status": "Sent"}),
		o.Update(crm.Lead, id, map[string]any{"Colour__c": "red"}),
		o.Update(crm.Lead, id, map[string]any{"IsConverted": "yes"}),
		o.Update(crm.Lead, id, map[string]any{"SystemModstamp": clock}),
		o.Update(crm.Opportunity, oppID, map[string]any{"Amount": "1.005"}),
	} {
		if err == nil {
			t.Error("a bad mutation was accepted")
		}
	}
}

func find(t *testing.T, o *Org, obj *crm.Object, id string, all bool) *crm.Row {
	t.Helper()
	var found *crm.Row
	each := o.Each
	if all {
		each = o.EachAll
	}
	_ = each(obj, func(r *crm.Row) error {
		if r.ID() == id {
			found = r
		}
		return nil
	})
	if found == nil {
		t.Fatalf("%s %s not found", obj.Name, id)
	}
	return found
}

func TestSimulateNight(t *testing.T) {
	run := func() (*Org, NightSummary) {
		o := Generate(Config{Seed: 5, Leads: 1000})
		s, err := o.SimulateNight(99)
		if err != nil {
			t.Fatal(err)
		}
		return o, s
	}
	o, s := run()
	_, s2 := run()
	if !bytes.Equal(dump(o), dump(func() *Org { o2, _ := run(); return o2 }())) {
		t.Fatal("SimulateNight with the same seed made different changes")
	}
	want := map[string]int{"Opportunity": 5}
	for obj, n := range want {
		if len(s.Updated[obj]) != n {
			t.Errorf("updated %d %s, want %d", len(s.Updated[obj]), obj, n)
		}
	}
	if len(s.Inserted["Lead"]) != 3 || len(s.Inserted["OpportunityHistory"]) != 5 || len(s.Deleted["Lead"]) != 1 || len(s.Deleted["CampaignMember"]) != 1 {
		t.Errorf("summary %+v", s)
	}
	if s.Changes() != s2.Changes() || !s.To.Equal(s.From.Add(24*time.Hour)) || !o.Clock().Equal(s.To) {
		t.Errorf("summary window %v..%v, clock %v", s.From, s.To, o.Clock())
	}
	for _, id := range s.Updated["Opportunity"] {
		st := crm.TimeOfMicros(find(t, o, crm.Opportunity, id, false).Modstamp())
		if !st.After(s.From) || st.After(s.To) {
			t.Errorf("opportunity %s stamped %v, outside the night", id, st)
		}
	}
}

func TestScaleMillionLeads(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a million leads")
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	o := Generate(Config{Seed: 1, Leads: 1_000_000})
	runtime.GC()
	runtime.ReadMemStats(&after)
	if o.Count(crm.Lead) != 1_000_000 {
		t.Fatalf("Count(Lead) = %d", o.Count(crm.Lead))
	}
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 1<<30 {
		t.Fatalf("a million-lead org holds %d MB; the budget is 1 GB", grew>>20)
	}
	// The last leads render without materialising the rest.
	var row crm.Row
	rc := &renderCtx{g: &o.gen}
	o.tables["Lead"].current(rc, 999_999, &row)
	if row.ID() != makeID("00Q", 999_999) {
		t.Fatalf("last lead Id %s", row.ID())
	}
	runtime.KeepAlive(o)
}

// TestOrderedMatchesReference checks both sort paths of the
// (SystemModstamp, Id) cursor order against a plain comparison sort.
func TestOrderedMatchesReference(t *testing.T) {
	o := Generate(Config{Seed: 8, Leads: 3000})
	tb := o.tables["Task"]
	check := func(label string) {
		t.Helper()
		o.mu.RLock()
		defer o.mu.RUnlock()
		got := tb.ordered()
		want := make([]int32, 0, len(got))
		for i := int64(0); i < tb.n+tb.inserted; i++ {
			if !tb.gone[i] {
				want = append(want, int32(i))
			}
		}
		sort.SliceStable(want, func(a, b int) bool { return tb.stamp(int64(want[a])) < tb.stamp(int64(want[b])) })
		if !slices.Equal(got, want) {
			t.Fatalf("%s: cursor order differs from the reference", label)
		}
	}
	check("whole-second stamps")
	var ids []string
	_ = o.Each(crm.Task, func(r *crm.Row) error {
		if len(ids) < 3 {
			ids = append(ids, r.ID())
		}
		return nil
	})
	o.SetClock(time.Date(2026, 3, 1, 12, 0, 0, 500_000_000, time.UTC)) // mid-history, half a second
	for _, id := range ids {
		if err := o.Touch(crm.Task, id); err != nil {
			t.Fatal(err)
		}
	}
	check("sub-second stamps after mutations")
}
