package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A mistyped --out is refused with the folder named, and nothing is created.
func TestApproveRefusesMissingOut(t *testing.T) {
	out := filepath.Join(t.TempDir(), "outt")
	err := approve([]string{"--out", out, "--quarter", "2026Q3", "--approver", "a@corp"})
	if err == nil || !strings.Contains(err.Error(), out) || !strings.Contains(err.Error(), "make demo") {
		t.Fatalf("approve with a missing --out: err = %v, want one naming %s and make demo", err, out)
	}
	if _, serr := os.Stat(out); !os.IsNotExist(serr) {
		t.Errorf("approve created %s (stat err %v)", out, serr)
	}
}
