package kpi

import (
	"io/fs"
	"os"
	"path"
	"strings"
	"testing"

	kpiconfig "github.com/venn-revops/venn/shared/config/kpi"
)

// TestAnchorConfigs loads every anchor configuration shipped in
// shared/config/kpi/anchors through LoadConfig and computes the boundary
// org under it: testdata/boundaries-org.<anchor>.expect.yaml holds the
// values each anchor's published definitions fix, worked by hand. An
// anchor file without expectations fails.
func TestAnchorConfigs(t *testing.T) {
	names, err := fs.Glob(kpiconfig.Anchors, "anchors/*.yaml")
	if err != nil || len(names) == 0 {
		t.Fatalf("no anchor configurations embedded: %v", err)
	}
	for _, name := range names {
		anchor := strings.TrimSuffix(path.Base(name), ".yaml")
		t.Run(anchor, func(t *testing.T) {
			data, err := fs.ReadFile(kpiconfig.Anchors, name)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := LoadConfig(kpiconfig.AnchorsDir+"/"+anchor+".yaml", data)
			if err != nil {
				t.Fatal(err)
			}
			expect := "boundaries-org." + anchor + ".expect.yaml"
			if _, err := os.Stat("testdata/" + expect); err != nil {
				t.Fatalf("anchor %s has no hand-worked expectations: %v", anchor, err)
			}
			checkExpect(t, cfg, "boundaries-org.yaml", expect)
		})
	}
}
