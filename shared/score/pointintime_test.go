package score

import (
	"testing"
	"time"
)

// A hand-worked lead whose title, industry and source changed after it
// arrived on 2026-01-10 at 09:00 (rows given out of time order):
//
//	2026-01-10 09:00  Industry  null → Software     (at creation: kept)
//	2026-01-15        Title     Sales Manager → Director of Sales
//	2026-02-01        Industry  Software → Retail
//	2026-02-10        LeadSource Web → Referral
//	2026-03-01        Title     Director of Sales → VP Sales
//	2026-03-05        Status    (not a field the model reads)
//
// Now it says Referral, VP Sales, Retail, SMB. At creation (window 0) it
// was Web, Sales Manager, Software, SMB (segment never changed). At a cut
// 30 days after creation (2026-02-09 09:00) it was Web (changed on 02-10),
// Director of Sales (changed 01-15, then 03-01), Retail (02-01 is before
// the cut), SMB. A second lead's row is ignored.
func TestPointInTimeHandWorked(t *testing.T) {
	at := func(s string) int64 {
		tm, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UnixMicro()
	}
	data := &Data{
		Fields: []string{"lead_source", "segment", "title", "industry"},
		Leads: []Lead{
			{ID: "L1", Created: at("2026-01-10 09:00"), Values: []string{"Referral", "SMB", "VP Sales", "Retail"}},
			{ID: "L2", Created: at("2026-01-11 09:00"), Values: []string{"Web", "SMB", "CEO", ""}},
		},
		History: []FieldChange{
			{LeadID: "L1", Field: "title", At: at("2026-03-01 10:00"), Old: "Director of Sales", New: "VP Sales"},
			{LeadID: "L1", Field: "lead_source", At: at("2026-02-10 10:00"), Old: "Web", New: "Referral"},
			{LeadID: "L1", Field: "industry", At: at("2026-01-10 09:00"), Old: "", New: "Software"},
			{LeadID: "L1", Field: "status", At: at("2026-03-05 10:00"), Old: "Open", New: "Working"},
			{LeadID: "L1", Field: "title", At: at("2026-01-15 10:00"), Old: "Sales Manager", New: "Director of Sales"},
			{LeadID: "L1", Field: "industry", At: at("2026-02-01 10:00"), Old: "Software", New: "Retail"},
			{LeadID: "L2", Field: "title", At: at("2026-02-01 10:00"), Old: "CTO", New: "CEO"},
		},
	}
	byID, pos := map[string]int{"L1": 0, "L2": 1}, map[string]int{}
	for i, f := range data.Fields {
		pos[f] = i
	}
	for _, tc := range []struct {
		windowDays int
		want       []string
	}{
		{0, []string{"Web", "SMB", "Sales Manager", "Software"}},
		{30, []string{"Web", "SMB", "Director of Sales", "Retail"}},
		{90, []string{"Referral", "SMB", "VP Sales", "Retail"}},
	} {
		valueAt, _ := pointInTime(data, byID, pos, int64(tc.windowDays)*usDay)
		for fi, want := range tc.want {
			if got := valueAt(0, fi); got != want {
				t.Errorf("window %d days: %s = %q, want %q", tc.windowDays, data.Fields[fi], got, want)
			}
		}
		if got := valueAt(1, 2); tc.windowDays < 21 && got != "CTO" || tc.windowDays >= 21 && got != "CEO" {
			t.Errorf("window %d days: L2 title %q", tc.windowDays, got)
		}
	}
}
