package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/venn-revops/venn/shared/callerid"
	"github.com/venn-revops/venn/shared/comp"
	compconfig "github.com/venn-revops/venn/shared/config/comp"
	"github.com/venn-revops/venn/shared/period"
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

// planAckCommands drives venn plan ack and acks on the demo's folder as
// the demo's mapped local user (approvals.yaml maps local:maria.chen to
// 005000000000001AAA): refused for someone else and for another file,
// stored once, then listed by acks.
func planAckCommands(t *testing.T, c *cli, out string) {
	cfg, err := comp.LoadConfig(compconfig.FS())
	if err != nil {
		t.Fatal(err)
	}
	lines, err := comp.AckReport(period.MustParse(quarter), nil, cfg.Plans, cfg.Assignments, nil)
	if err != nil {
		t.Fatal(err)
	}
	var plan, sha string
	for _, l := range lines {
		if l.PersonID == "005000000000001AAA" {
			plan, sha = l.Plan, l.FileSHA256
		}
	}
	if plan == "" {
		t.Fatal("Maria Chen has no plan in " + quarter)
	}
	c.env[callerid.LocalUserEnv] = "maria.chen"
	ack := func(args ...string) (int, string, string) {
		return c.run(append([]string{"plan", "ack", "--out", out, "--quarter", quarter, "--plan", plan}, args...)...)
	}
	if code, _, errOut := ack("--sha256", sha, "--person", "005000000000002AAA"); code != exitFailed || !strings.Contains(errOut, "own_acknowledgement") {
		t.Errorf("for someone else: exit %d %s", code, errOut)
	}
	if code, _, errOut := ack("--sha256", strings.Repeat("0", 64)); code != exitFailed || !strings.Contains(errOut, "another plan file") {
		t.Errorf("another file: exit %d %s", code, errOut)
	}
	code, stdout, errOut := ack("--sha256", sha)
	if code != exitOK || !strings.Contains(stdout, "005000000000001AAA "+plan+": acknowledged by local:maria.chen") {
		t.Fatalf("ack: exit %d\n%s\n%s", code, stdout, errOut)
	}
	all, _ := c.must("plan", "acks", "--out", out, "--quarter", quarter)
	if !strings.Contains(all, "yes, by local:maria.chen") || !strings.Contains(all, "not acknowledged") {
		t.Errorf("acks:\n%s", all)
	}
	missing, _ := c.must("plan", "acks", "--out", out, "--quarter", quarter, "--missing")
	if strings.Contains(missing, "local:maria.chen") {
		t.Errorf("acks --missing lists the acknowledged:\n%s", missing)
	}
}
