package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestPlanDoc renders the embedded sample plan through the command: the
// same bytes as the comp package's golden documents (checked by hand
// there), to stdout and into a folder.
func TestPlanDoc(t *testing.T) {
	t.Setenv("CONFIG_URI", "")
	golden := func(name string) string {
		b, err := os.ReadFile(filepath.Join("..", "..", "shared", "comp", "testdata", "golden", "plandoc", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	code, out, errOut := runIn(t, "plan", "doc", "--plan", "ae@v1", "--format", "md")
	if code != exitOK || out != golden("ae-v1.md") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	dir := t.TempDir()
	if code, _, errOut := runIn(t, "plan", "doc", "--plan", "sdr@v1", "--dir", dir); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	b, err := os.ReadFile(filepath.Join(dir, "sdr-v1.html"))
	if err != nil || string(b) != golden("sdr-v1.html") {
		t.Fatalf("sdr-v1.html: %v\n%s", err, b)
	}
	for _, bad := range [][]string{{"plan", "doc", "--format", "pdf"}, {"plan", "doc", "--format", "html"}, {"plan", "nope"}} {
		if code, _, _ := runIn(t, bad...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", bad, code, exitUsage)
		}
	}
	if code, _, errOut := runIn(t, "plan", "doc", "--plan", "ae@v9"); code != exitFailed {
		t.Errorf("an unknown plan: exit %d (%s)", code, errOut)
	}
}
