package orggen

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/crm"
)

func liveIDs(o *Org, obj *crm.Object, all bool) []string {
	var ids []string
	each := o.Each
	if all {
		each = o.EachAll
	}
	_ = each(obj, func(r *crm.Row) error { ids = append(ids, r.ID()); return nil })
	return ids
}

func replicationCode(err error) string {
	var re *ReplicationError
	if errors.As(err, &re) {
		return re.Code
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// TestDeletesAndPurge walks a Recycle Bin through its life: a soft delete is
// in queryAll and getDeleted, stays there for 15 days, then is purged; an
// emptied bin and a hard delete purge at once. Times are worked by hand
// from the clock.
func TestDeletesAndPurge(t *testing.T) {
	o := Generate(Config{Seed: 2, Leads: 50, Malformed: -1})
	leads := liveIDs(o, crm.Lead, false)
	cms := liveIDs(o, crm.CampaignMember, false)
	t0 := DefaultAsOf.Add(time.Hour)
	o.SetClock(t0)
	if err := o.Delete(crm.Lead, leads[0]); err != nil {
		t.Fatal(err)
	}
	if err := o.Delete(crm.CampaignMember, cms[0]); err != nil {
		t.Fatal(err)
	}
	if err := o.Delete(crm.Lead, leads[0]); err == nil {
		t.Error("a second delete of the same record was accepted")
	}
	inAll := func(id string) bool { return slices.Contains(liveIDs(o, crm.Lead, true), id) }

	// At t0 itself the window stops at t0 (exclusive): the deletion shows
	// from the next minute.
	if res, err := o.GetDeleted(crm.Lead, t0.Add(-time.Hour), t0.Add(time.Hour)); err != nil || len(res.Records) != 0 || !res.LatestDateCovered.Equal(t0) {
		t.Fatalf("getDeleted at the deletion instant: %+v, %v", res, err)
	}
	o.SetClock(t0.Add(time.Minute))
	res, err := o.GetDeleted(crm.Lead, t0.Add(-time.Hour), t0.Add(time.Hour))
	if err != nil || len(res.Records) != 1 || res.Records[0].ID != leads[0] || !res.Records[0].DeletedDate.Equal(t0) ||
		!res.EarliestDateAvailable.Equal(DefaultHistoryStart) || !res.LatestDateCovered.Equal(t0.Add(time.Minute)) {
		t.Fatalf("getDeleted after delete: %+v, %v", res, err)
	}
	if res, err := o.GetDeleted(crm.CampaignMember, t0.Add(-time.Hour), t0.Add(time.Hour)); err != nil || len(res.Records) != 1 || res.Records[0].ID != cms[0] {
		t.Fatalf("getDeleted lists the campaign member: %+v, %v", res, err)
	}

	o.SetClock(t0.Add(15*24*time.Hour - time.Second))
	if !inAll(leads[0]) {
		t.Fatal("purged before 15 days")
	}
	o.SetClock(t0.Add(15 * 24 * time.Hour))
	if inAll(leads[0]) {
		t.Fatal("still in queryAll 15 days after deletion")
	}
	if got := o.EarliestDateAvailable(crm.Lead); !got.Equal(t0) {
		t.Fatalf("earliestDateAvailable %v, want the purged deletion %v", got, t0)
	}
	if _, err := o.GetDeleted(crm.Lead, t0.Add(-time.Hour), t0.Add(2*time.Hour)); replicationCode(err) != "INVALID_REPLICATION_DATE" {
		t.Fatalf("a window from before the purge: %v", err)
	}
	if res, err := o.GetDeleted(crm.Lead, t0, t0.Add(2*time.Hour)); err != nil || len(res.Records) != 0 {
		t.Fatalf("a window from earliestDateAvailable: %+v, %v", res, err)
	}

	// Emptying the bin purges at once.
	t1 := o.Clock().Add(time.Hour)
	o.SetClock(t1)
	if err := o.Delete(crm.Lead, leads[1]); err != nil {
		t.Fatal(err)
	}
	o.SetClock(t1.Add(time.Hour))
	o.EmptyRecycleBin()
	if inAll(leads[1]) || !o.EarliestDateAvailable(crm.Lead).Equal(t1) {
		t.Fatalf("after EmptyRecycleBin: in queryAll %v, earliest %v", inAll(leads[1]), o.EarliestDateAvailable(crm.Lead))
	}

	// A hard delete never shows, and moves earliestDateAvailable.
	t2 := t1.Add(2 * time.Hour)
	o.SetClock(t2)
	if err := o.HardDelete(crm.Lead, leads[2]); err != nil {
		t.Fatal(err)
	}
	if inAll(leads[2]) || !o.EarliestDateAvailable(crm.Lead).Equal(t2) {
		t.Fatal("hard delete: still in queryAll or earliest not moved")
	}
	if res, err := o.GetDeleted(crm.Lead, t2, t2.Add(time.Hour)); err != nil || len(res.Records) != 0 {
		t.Fatalf("getDeleted lists a hard delete: %+v, %v", res, err)
	}

	// Undelete restores from the bin, not after a purge.
	o.SetClock(t2.Add(time.Hour))
	if err := o.Delete(crm.Lead, leads[3]); err != nil {
		t.Fatal(err)
	}
	if err := o.Undelete(crm.Lead, leads[3]); err != nil || !slices.Contains(liveIDs(o, crm.Lead, false), leads[3]) {
		t.Fatalf("undelete: %v", err)
	}
	if err := o.Undelete(crm.Lead, leads[1]); err == nil {
		t.Error("undelete of a purged record was accepted")
	}
}

func TestReplicationWindows(t *testing.T) {
	o := Generate(Config{Seed: 2, Leads: 50, Malformed: -1})
	now := time.Date(2026, 11, 21, 12, 30, 45, 0, time.UTC)
	o.SetClock(now.Add(-10 * time.Minute))
	id := liveIDs(o, crm.Opportunity, false)[0]
	if err := o.Update(crm.Opportunity, id, map[string]any{"StageName": "Proposal"}); err != nil { // stamped 12:20:45
		t.Fatal(err)
	}
	o.SetClock(now)
	tests := []struct {
		name       string
		start, end time.Time
		code       string
		ids        int
		latest     time.Time
	}{
		{"covers the update", now.Add(-time.Hour), now.Add(-5 * time.Minute), "", 1, time.Date(2026, 11, 21, 12, 25, 0, 0, time.UTC)},
		{"seconds ignored: end 12:20:59 is 12:20", now.Add(-time.Hour), time.Date(2026, 11, 21, 12, 20, 59, 0, time.UTC), "", 0, time.Date(2026, 11, 21, 12, 20, 0, 0, time.UTC)},
		{"seconds ignored: start 12:20:50 is 12:20", time.Date(2026, 11, 21, 12, 20, 50, 0, time.UTC), now, "", 1, time.Date(2026, 11, 21, 12, 30, 0, 0, time.UTC)},
		{"end in the future stops at now", now.Add(-time.Hour), now.Add(time.Hour), "", 1, time.Date(2026, 11, 21, 12, 30, 0, 0, time.UTC)},
		{"start equals end to the minute", time.Date(2026, 11, 21, 11, 0, 10, 0, time.UTC), time.Date(2026, 11, 21, 11, 0, 50, 0, time.UTC), "INVALID_REPLICATION_DATE", 0, time.Time{}},
		{"start after end", now, now.Add(-time.Hour), "INVALID_REPLICATION_DATE", 0, time.Time{}},
		{"start 31 days ago", now.Add(-31 * 24 * time.Hour), now, "INVALID_REPLICATION_DATE", 0, time.Time{}},
		{"start 29 days ago", now.Add(-29 * 24 * time.Hour), now, "", 1, time.Date(2026, 11, 21, 12, 30, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		res, err := o.GetUpdated(crm.Opportunity, tc.start, tc.end)
		if code := replicationCode(err); code != tc.code {
			t.Errorf("%s: error %q, want %q", tc.name, code, tc.code)
			continue
		}
		if tc.code != "" {
			continue
		}
		if len(res.IDs) != tc.ids || (tc.ids == 1 && res.IDs[0] != id) || !res.LatestDateCovered.Equal(tc.latest) {
			t.Errorf("%s: %+v, want %d ids, latest %v", tc.name, res, tc.ids, tc.latest)
		}
	}
}

func TestDefectMistakes(t *testing.T) {
	org := Generate(Config{Seed: 3, Leads: 20, Malformed: -1})
	var lead *crm.Row
	_ = org.Each(crm.Lead, func(r *crm.Row) error {
		if lead == nil && r.Values[crm.Lead.Column("converted_account_id")].Null {
			lead = r
		}
		return nil
	})
	tests := []struct {
		d    Defect
		want string
	}{
		{Defect{Kind: DefectInvalidUTF8, Field: "IsConverted"}, "string field"},
		{Defect{Kind: DefectShortID, Field: "Company"}, "Id field"},
		{Defect{Kind: DefectBadValue, Field: "Company"}, "Defect.Text"},
		{Defect{Kind: DefectBadChecksum, Field: "ConvertedAccountId"}, "is null"},
		{Defect{Kind: DefectBadValue, Field: "Colour__c"}, "no field"},
		{Defect{Kind: 99}, "unknown defect"},
	}
	for _, tc := range tests {
		err := org.Corrupt(crm.Lead, lead.ID(), tc.d)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Corrupt(%+v) = %v, want an error about %q", tc.d, err, tc.want)
		}
	}
	if err := org.Corrupt(crm.Lead, "00Q5g0000000zzzAAA", Defect{Kind: DefectNotAnObject}); err == nil {
		t.Error("Corrupt of an unknown Id was accepted")
	}
}

func TestShapeRejected(t *testing.T) {
	for _, sh := range []Shape{
		{Omit: []string{"Widget"}},
		{Fields: map[string]map[string]string{"Lead": {"Colour__c": "X__c"}}},
		{Fields: map[string]map[string]string{"Lead": {"SystemModstamp": "X"}}},
		{Fields: map[string]map[string]string{"Lead": {"Segment__c": "Region__c"}}},
		{Custom: []CustomObject{{Name: "Sub"}}},
		{Custom: []CustomObject{{Name: "Sub__c", Prefix: "a-1"}}},
		{Extra: map[string][]ExtraField{"Lead": {{Name: "X__c"}, {Name: "x__C"}}}},
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), "Config.Shape") {
					t.Errorf("%+v: recovered %v, want a Config.Shape panic", sh, r)
				}
			}()
			Generate(Config{Seed: 1, Leads: 5, Shape: sh})
		}()
	}
}

// TestSimulateNightShaped runs a night on an org without campaign members
// and stage history: the changes to the objects it has still happen.
func TestSimulateNightShaped(t *testing.T) {
	o := Generate(Config{Seed: 5, Leads: 300, Shape: Shape{Omit: []string{"CampaignMember", "OpportunityHistory"}, Fields: MissingCustomFields()}})
	s, err := o.SimulateNight(99)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Inserted["Lead"]) != 3 || len(s.Updated["Opportunity"]) == 0 || len(s.Inserted["OpportunityHistory"]) != 0 || len(s.Deleted["CampaignMember"]) != 0 {
		t.Errorf("summary %+v", s)
	}
}
