package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/venn-revops/venn/shared/configstore/configtest"
)

// copyDefault exports the embedded configuration into a new folder with
// the command itself: where a user starts from.
func copyDefault(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := config(t, "export", dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func replaceIn(t *testing.T, dir, p, old, new string) { configtest.Edit(t, dir, p, old, new) }

func config(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := configCommand(context.Background(), args, &out, func(string) string { return "" })
	return out.String(), err
}

// Bad usage is a usageError (exit 2) with the usage; what to fix is named.
func TestConfigUsage(t *testing.T) {
	dir := copyDefault(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "name a subcommand"},
		{[]string{"vaildate", dir}, `unknown subcommand "vaildate"`},
		{[]string{"validate"}, "validate takes one folder"},
		{[]string{"push", dir}, "push takes one folder and --to"},
		{[]string{"push", "--to", t.TempDir()}, "push takes one folder and --to"},
		{[]string{"validate", dir, "--to", "x"}, "validate takes no --to"},
		{[]string{"show", dir}, "show takes no arguments"},
		{[]string{"push", dir, "--too", "x"}, "flag provided but not defined: -too"},
	} {
		_, err := config(t, c.args...)
		var ue *usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "usage: venn config") {
			t.Errorf("venn config %q: err = %v, want a usage error saying %q", c.args, err, c.want)
		}
	}
	if out, err := config(t, "push", "--help"); err != nil || !strings.Contains(out, "usage: venn config") {
		t.Errorf("--help: %q, %v", out, err)
	}
}

// An invalid folder is not pushed: the store stays as it was, and the error
// names the file, the key and the reason.
func TestConfigPushRefusesInvalid(t *testing.T) {
	dir := copyDefault(t)
	store := t.TempDir()
	replaceIn(t, dir, "comp/assignments.yaml", "{role: sdr, plan: sdr, from: 2025-01-01}", "{role: sdr, plan: sdr_2027, from: 2025-01-01}")
	_, err := config(t, "push", dir, "--to", store)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "comp/assignments.yaml")+": roles[1].plan: no plan file has id \"sdr_2027\"") || !strings.Contains(err.Error(), "nothing was pushed") {
		t.Fatalf("push of an invalid folder: %v", err)
	}
	if entries, _ := os.ReadDir(store); len(entries) != 0 {
		t.Errorf("a refused push wrote %d entries into the store", len(entries))
	}
	if _, err := config(t, "validate", dir); err == nil {
		t.Error("validate passed an invalid folder")
	}
}

// A mistyped store folder is not created.
func TestConfigPushTypoCreatesNothing(t *testing.T) {
	dir := copyDefault(t)
	typo := filepath.Join(t.TempDir(), "stroe")
	if _, err := config(t, "push", dir, "--to", typo); err == nil || !strings.Contains(err.Error(), typo) {
		t.Fatalf("push to a missing folder: %v", err)
	}
	if _, err := os.Stat(typo); !os.IsNotExist(err) {
		t.Errorf("push created %s", typo)
	}
}

// validate, push and show agree on the version and name who pushed.
func TestConfigValidatePushShow(t *testing.T) {
	dir := copyDefault(t)
	store := t.TempDir()
	out, err := config(t, "validate", dir)
	if err != nil || !strings.Contains(out, ": valid, version ") {
		t.Fatalf("validate: %q, %v", out, err)
	}
	version := strings.Fields(strings.SplitN(out, "version ", 2)[1])[0]
	out, err = config(t, "push", dir, "--to", store)
	if err != nil || !strings.Contains(out, "version "+version+"@") {
		t.Fatalf("push: %q, %v (validate said version %s)", out, err, version)
	}
	out, err = config(t, "show", "--from", store)
	if err != nil || !strings.Contains(out, "version   "+version+"@") || !strings.Contains(out, "pushed by ") || !strings.Contains(out, "kpi.yaml") {
		t.Fatalf("show: %q, %v", out, err)
	}
	out, err = config(t, "show")
	if err != nil || !strings.Contains(out, "@embedded") || !strings.Contains(out, "embedded default") {
		t.Fatalf("show without a store: %q, %v", out, err)
	}
	// Rollback: a second push, then the first exported and pushed again.
	replaceIn(t, dir, "comp/adjustments.yaml", "amount: 500.00", "amount: 650.00")
	if _, err := config(t, "push", dir, "--to", store); err != nil {
		t.Fatal(err)
	}
	out, err = config(t, "show", "--from", store, "--history")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if err != nil || len(lines) != 3 {
		t.Fatalf("history: %q, %v", out, err)
	}
	firstID := strings.SplitN(strings.Fields(lines[1])[1], "@", 2)[1]
	old := t.TempDir()
	if _, err := config(t, "export", "--from", store, "--push", firstID, old); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(old, "comp", "adjustments.yaml"))
	if err != nil || !strings.Contains(string(b), "amount: 500.00") {
		t.Fatalf("export of the first push: %s, %v", b, err)
	}
	if out, err = config(t, "push", old, "--to", store); err != nil || !strings.Contains(out, "version "+version+"@") {
		t.Fatalf("rollback push: %q, %v; want the first content's version %s", out, err, version)
	}
}
