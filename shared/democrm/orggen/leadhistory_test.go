package orggen

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/score"
)

// The lead history replays to the leads as they are: for every lead, its
// Status rows chain from Open - Not Contacted (each OldValue the previous
// NewValue) to its current Status, its Title and Industry rows end at the
// current values, the rows are in time order from a "created" row at the
// lead's creation, and the lead's SystemModstamp is not before its last
// row, and nothing changes after a conversion. The org has closed, recycled and re-worked leads, and leads whose
// title changed after creation.
func TestLeadHistoryReplaysToTheLeads(t *testing.T) {
	o := Generate(Config{Seed: 2026})
	s := load(t, o)
	type replay struct {
		status, title, industry string
		created, last           int64
		rows                    int
		converted               bool
	}
	byLead := map[string]*replay{}
	for _, r := range sortedRows(s["LeadHistory"]) {
		H := func(f string) crm.Value { return val(crm.LeadHistory, r, f) }
		if r.Modstamp() != H("CreatedDate").I {
			t.Fatalf("history %s: stamp column %d, CreatedDate %d", r.ID(), r.Modstamp(), H("CreatedDate").I)
		}
		lead := H("LeadId").S
		rp := byLead[lead]
		if rp == nil {
			if H("Field").S != "created" {
				t.Fatalf("lead %s: first history row is %s, want created", lead, H("Field").S)
			}
			rp = &replay{status: statusOpen, created: H("CreatedDate").I}
			byLead[lead] = rp
		}
		at := H("CreatedDate").I
		if at < rp.last {
			t.Fatalf("lead %s: history row %s out of time order", lead, r.ID())
		}
		rp.last, rp.rows = at, rp.rows+1
		if rp.converted && H("Field").S != "leadConverted" {
			t.Fatalf("lead %s: %s changed after its conversion (a converted lead is read-only)", lead, H("Field").S)
		}
		rp.converted = rp.converted || H("Field").S == "leadConverted"
		old, new := H("OldValue"), H("NewValue")
		prev := map[string]*string{"Status": &rp.status, "Title": &rp.title, "Industry": &rp.industry}[H("Field").S]
		if prev == nil {
			continue // created, leadConverted
		}
		// A title or industry at creation is not in the history: only
		// a second change must start where the first ended.
		if (*prev != "" || H("Field").S == "Status") && (old.S != *prev || old.Null) || new.Null {
			t.Fatalf("lead %s: %s changed from %q (null %v), but it was %q", lead, H("Field").S, old.S, old.Null, *prev)
		}
		*prev = new.S
	}
	var recycled, reworked, retitled int
	for id, l := range s["Lead"] {
		L := func(f string) crm.Value { return val(crm.Lead, l, f) }
		rp := byLead[id]
		if rp == nil {
			t.Fatalf("lead %s has no history", id)
		}
		if rp.created != L("CreatedDate").I || rp.last > l.Modstamp() {
			t.Fatalf("lead %s: created row at %d (lead %d), last row at %d after the lead's stamp %d", id, rp.created, L("CreatedDate").I, rp.last, l.Modstamp())
		}
		if rp.status != L("Status").S {
			t.Fatalf("lead %s: history ends at status %q, the lead is %q", id, rp.status, L("Status").S)
		}
		if rp.industry != "" && rp.industry != L("Industry").S || rp.title != "" && rp.title != L("Title").S {
			t.Fatalf("lead %s: history ends at title %q industry %q, the lead has %q, %q", id, rp.title, rp.industry, L("Title").S, L("Industry").S)
		}
		if rp.status == statusRecycled {
			recycled++
		}
		if rp.title != "" {
			retitled++
		}
	}
	for _, r := range s["LeadHistory"] {
		H := func(f string) crm.Value { return val(crm.LeadHistory, r, f) }
		if H("Field").S == "Status" && H("OldValue").S == statusRecycled && H("NewValue").S == statusWorking {
			reworked++
		}
	}
	t.Logf("%d leads, %d history rows; %d recycled now, %d worked again after recycling, %d with a title change or enrichment", len(s["Lead"]), len(s["LeadHistory"]), recycled, reworked, retitled)
	if recycled < 20 || reworked < 10 || retitled < 100 {
		t.Errorf("too few status and title changes for the lead-exit and scoring tests")
	}
}

// sortedRows are rows in Id order (history Ids follow lead and time).
func sortedRows(m map[string]*crm.Row) []*crm.Row {
	out := slices.Collect(maps.Values(m))
	slices.SortFunc(out, func(a, b *crm.Row) int { return strings.Compare(a.ID(), b.ID()) })
	return out
}

// Each generated title parses back to the rank it was drawn as (the
// planted signal's rank is the scoring features' title_rank).
func TestLeadTitlesParseToTheirRank(t *testing.T) {
	for rank, titles := range leadTitles {
		for _, title := range titles {
			if got := score.TitleRank(title); got != titleRanks[rank] {
				t.Errorf("%q parses as %s, drawn as %s", title, got, titleRanks[rank])
			}
			if score.TitleDepartment(title) == "" {
				t.Errorf("%q has no department", title)
			}
		}
	}
}

// An org that tracks no lead field has an empty LeadHistory and the same
// leads.
func TestLeadHistoryOff(t *testing.T) {
	on, off := Generate(Config{Seed: 5, Leads: 300}), Generate(Config{Seed: 5, Leads: 300, LeadHistoryOff: true})
	if n := off.Count(crm.LeadHistory); n != 0 || on.Count(crm.LeadHistory) == 0 {
		t.Fatalf("history rows: %d with tracking, %d without", on.Count(crm.LeadHistory), n)
	}
	a, b := load(t, on)["Lead"], load(t, off)["Lead"]
	for id, r := range a {
		if o := b[id]; o == nil || !slices.Equal(r.Values, o.Values) {
			t.Fatalf("lead %s differs without history tracking", id)
		}
	}
}
