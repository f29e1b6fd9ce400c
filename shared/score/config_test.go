package score

import (
	"strings"
	"testing"

	scoreconfig "github.com/venn-revops/venn/shared/config/score"
)

func TestDefaultConfigLoads(t *testing.T) {
	c := DefaultConfig()
	if c.Target != TargetConverted || c.HorizonDays != 90 || c.MinConversions != 120 || c.Writeback.Enabled || !c.Writeback.DryRun || !c.LeadItems {
		t.Errorf("default configuration read as %+v", c)
	}
}

// Each bad file is rejected before anything is computed, naming the key
// and the reason.
func TestLoadConfigRejects(t *testing.T) {
	def := string(scoreconfig.Default)
	edit := func(old, new string) string {
		if !strings.Contains(def, old) {
			t.Fatalf("default.yaml lacks %q", old)
		}
		return strings.Replace(def, old, new, 1)
	}
	cases := []struct{ name, file, want string }{
		{"empty", "", "empty file"},
		{"two documents", def + "\n---\nversion: 1\n", "more than one YAML document"},
		{"unknown key", edit("  horizon_days: 90", "  horizon_days: 90\n  horizon: 90"), `target.horizon: unknown key "horizon"`},
		{"wrong type", edit("horizon_days: 90", "horizon_days: ninety"), `target.horizon_days: "ninety" is not a valid int`},
		{"missing key", edit("  horizon_days: 90\n", ""), "target.horizon_days: required"},
		{"key without value", edit("  horizon_days: 90", "  horizon_days:"), "target.horizon_days: a value is required"},
		{"bad target", edit("kind: converted", "kind: closed"), `target.kind: "closed" is not converted`},
		{"horizon zero", edit("horizon_days: 90", "horizon_days: 0"), "target.horizon_days: must be 1–730"},
		{"outcome field by name", edit("fields: [lead_source, segment, region]", "fields: [lead_source, converted_date]"), `features.fields[1]: "converted_date" cannot be a feature`},
		{"status as a feature", edit("fields: [lead_source, segment, region]", "fields: [status]"), `features.fields[0]: "status" cannot be a feature`},
		{"duplicate field", edit("fields: [lead_source, segment, region]", "fields: [segment, segment]"), "listed twice"},
		{"window beyond horizon", edit("window_days: 0", "window_days: 90"), "features.window_days: must be 0 or more and below"},
		{"negative l2", edit("l2: 1.0", "l2: -1"), "model.l2: must be a positive number"},
		{"test share too large", edit("test_fraction: 0.25", "test_fraction: 0.9"), "split.test_fraction: must be 0.05–0.5"},
		{"no conversions asked", edit("min_conversions: 120", "min_conversions: 0"), "publish.min_conversions: must be at least 1"},
		{"auc drop", edit("max_auc_drop: 0.05", "max_auc_drop: 2"), "publish.max_auc_drop"},
		{"lead_items missing", edit("  lead_items: true\n", ""), "publish.lead_items: required"},
		{"write-back field", edit("score_field: Venn_Score__c", "score_field: Rating"), "writeback.score_field"},
		{"alias", edit("horizon_days: 90", "horizon_days: &h 90\n  x: *h"), "aliases"},
	}
	for _, c := range cases {
		_, err := LoadConfig("score.yaml", []byte(c.file))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "score.yaml: ") {
			t.Errorf("%s: error %v, want one naming score.yaml and %q", c.name, err, c.want)
		}
	}
}
