package extract

import (
	"context"
	"testing"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/democrm"
	"github.com/venn-revops/venn/shared/lake"
)

// LeadHistory has no SystemModstamp: its window, order and watermark run
// on CreatedDate. A full pull (REST, and Bulk API in a second lake) equals
// the org; the next night's incremental pull brings the day's new history
// row (a recycled lead) and moves the watermark to its CreatedDate.
func TestLeadHistoryExtract(t *testing.T) {
	ctx := context.Background()
	for _, bulk := range []bool{false, true} {
		s := newScenario(t, democrm.Config{Seed: 41, Leads: 400}, crm.Lead, crm.LeadHistory)
		cfg := Config{}
		if bulk {
			cfg.BulkThreshold = 1
		}
		n1, _ := s.night(cfg)
		s.lakeMatchesOrg(crm.LeadHistory, n1)
		s.lakeMatchesOrg(crm.Lead, n1)
		var newest int64
		s.org.Each(crm.LeadHistory, func(r *crm.Row) error { newest = max(newest, r.Values[2].I); return nil })
		if wm, _, err := ReadWatermark(ctx, s.store, "LeadHistory"); err != nil || crm.Micros(wm.SystemModstamp) != newest {
			t.Fatalf("bulk %v: watermark %v (%v), want the newest CreatedDate %v", bulk, wm.SystemModstamp, err, crm.TimeOfMicros(newest))
		}
		if bulk {
			continue
		}
		day, err := s.org.SimulateNight(5)
		if err != nil {
			t.Fatal(err)
		}
		added := day.Inserted["LeadHistory"]
		if len(added) != 1 || len(day.Updated["Lead"]) != 1 {
			t.Fatalf("the day recycled %v with history rows %v, want one of each", day.Updated["Lead"], added)
		}
		n2, sum := s.night(Config{})
		o := objectSummary(t, sum, "LeadHistory")
		if o.Mode != ModeIncremental || o.Upserts != 1 {
			t.Errorf("night 2 LeadHistory: mode %s, %d upserts; want incremental, 1 (%v)", o.Mode, o.Upserts, added)
		}
		s.lakeMatchesOrg(crm.LeadHistory, n2)
		s.lakeMatchesOrg(crm.Lead, n2)
		if wm, _, _ := ReadWatermark(ctx, s.store, "LeadHistory"); !wm.SystemModstamp.After(crm.TimeOfMicros(newest)) {
			t.Errorf("watermark %v did not move past night 1's %v", wm.SystemModstamp, crm.TimeOfMicros(newest))
		}
	}
}

// An org without field history on Lead extracts fine, night after night:
// without the object (skipped, an empty snapshot) or with tracking off (an
// empty object).
func TestOrgWithoutLeadHistory(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  democrm.Config
		mode Mode
	}{
		{"not in the org", democrm.Config{Seed: 42, Leads: 200, Shape: democrm.Shape{Omit: []string{"LeadHistory"}}}, ModeSkipped},
		// No row, no watermark: each night is a full pull of nothing.
		{"tracking off", democrm.Config{Seed: 42, Leads: 200, LeadHistoryOff: true}, ModeFull},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newScenario(t, tc.cfg, crm.Lead, crm.LeadHistory)
			s.night(Config{})
			if _, err := s.org.SimulateNight(5); err != nil {
				t.Fatal(err)
			}
			n2, sum := s.night(Config{})
			if o := objectSummary(t, sum, "LeadHistory"); o.Mode != tc.mode || o.Err != "" || o.SnapshotRows != 0 {
				t.Errorf("LeadHistory night 2: %+v", o)
			}
			if m, err := lake.LatestSnapshot(context.Background(), s.blob, "LeadHistory", n2); err != nil || m.Rows != 0 {
				t.Errorf("LeadHistory snapshot %+v, %v: want an empty one", m, err)
			}
			s.lakeMatchesOrg(crm.Lead, n2)
		})
	}
}
