// Package nodebin finds the npm-installed test servers and tools (dynalite,
// asl-validator) that scripts/node/package.json pins, for Go tests.
package nodebin

import (
	"os"
	"path/filepath"
	"testing"
)

// InstallHint is the command that installs the tools.
const InstallHint = "npm ci --prefix scripts/node"

// Find returns the path of scripts/node/node_modules/.bin/<name>, looked up
// from the test's working directory upwards (or $VENN_NODE_BIN/<name> when
// set). When the tool is missing the test is skipped with a message naming
// the install command, except under CI=true, where a missing server must
// never pass silently, so the test fails.
func Find(t testing.TB, name string) string {
	t.Helper()
	if p, ok := lookup(name); ok {
		return p
	}
	msg := name + " is not installed: run `" + InstallHint + "` (needs node and npm)"
	if os.Getenv("CI") == "true" {
		t.Fatal("CI=true: " + msg)
	}
	t.Skip("SKIPPING integration test: " + msg)
	return ""
}

func lookup(name string) (string, bool) {
	if dir := os.Getenv("VENN_NODE_BIN"); dir != "" {
		p := filepath.Join(dir, name)
		_, err := os.Stat(p)
		return p, err == nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		p := filepath.Join(dir, "scripts", "node", "node_modules", ".bin", name)
		if _, err := os.Stat(p); err == nil {
			return p, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}
