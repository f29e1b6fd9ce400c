package kpi

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
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

// TestEveryExpectFileIsChecked: TestEveryKPIHasAFixture counts a KPI as
// covered by any testdata/*.expect.yaml, so each of those files must be
// checked by a test: named in a _test.go file of the package, or an anchor
// file's expectations (TestAnchorConfigs).
func TestEveryExpectFileIsChecked(t *testing.T) {
	srcs, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	var code strings.Builder
	for _, f := range srcs {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		code.Write(b)
	}
	files, err := filepath.Glob("testdata/*.expect.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no expect files: %v", err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		if strings.Contains(code.String(), `"`+name+`"`) {
			continue
		}
		if a, ok := strings.CutPrefix(name, "boundaries-org."); ok {
			if _, err := fs.Stat(kpiconfig.Anchors, "anchors/"+strings.TrimSuffix(a, ".expect.yaml")+".yaml"); err == nil {
				continue
			}
		}
		t.Errorf("testdata/%s is checked by no test: call checkExpect on it", name)
	}
}
