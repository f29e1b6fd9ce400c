// Package configtest holds the test helpers for configuration folders:
// a copy of the embedded default to edit, and an edit that fails loudly when
// the text it changes is not there exactly once.
package configtest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/venn-revops/venn/shared/configstore"
)

// CopyDefault writes the embedded configuration into dir (existing and
// empty) in the layout, as `venn config export` does.
func CopyDefault(t testing.TB, dir string) {
	t.Helper()
	if err := configstore.Export(configstore.Embedded(), dir); err != nil {
		t.Fatal(err)
	}
}

// Edit replaces old by new in the file p of dir; old must occur exactly
// once, so a fixture that drifts from the default fails instead of testing
// nothing.
func Edit(t testing.TB, dir, p, old, new string) {
	t.Helper()
	full := filepath.Join(dir, filepath.FromSlash(p))
	b, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b, []byte(old)); n != 1 {
		t.Fatalf("%s: %q occurs %d times, want once", p, old, n)
	}
	if err := os.WriteFile(full, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}
