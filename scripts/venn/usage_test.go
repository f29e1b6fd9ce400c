package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/extract"
)

// runIn runs the command line in process, capturing what it prints.
func runIn(t *testing.T, args ...string) (code int, out, errOut string) {
	t.Helper()
	var o, e bytes.Buffer
	stdout, stderr = &o, &e
	t.Cleanup(func() { stdout, stderr = os.Stdout, os.Stderr })
	code = run(context.Background(), args)
	return code, o.String(), e.String()
}

// Usage paths exit 2 with the usage on stderr; help exits 0 with it on
// stdout; each command's --help has its usage line, flags and examples.
func TestUsageAndHelp(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		code     int
		inStdout []string
		inStderr []string
	}{
		{"no command", nil, exitUsage, nil, []string{"Usage:", "Commands:"}},
		{"help", []string{"help"}, exitOK, []string{"Commands:", "extract", "catalog-sync", "Exit codes: 0 done, 1 the job failed, 2 bad usage"}, nil},
		{"--help", []string{"--help"}, exitOK, []string{"Commands:"}, nil},
		{"help of a command", []string{"help", "payouts"}, exitOK, []string{"venn payouts [--mode close|rerun|qtd]", "Examples:"}, nil},
		{"help of an unknown command", []string{"help", "kpis"}, exitUsage, nil, []string{`unknown command "kpis"`, "Commands:"}},
		{"unknown command", []string{"extarct"}, exitUsage, nil, []string{`venn: unknown command "extarct"`, "Commands:"}},
		{"bad flag", []string{"kpi", "--quater", "2026Q3"}, exitUsage, nil, []string{"venn kpi: flag provided but not defined: -quater", "Usage:\n  venn kpi"}},
		{"bad flag value", []string{"demo", "--leads", "many"}, exitUsage, nil, []string{"venn demo: invalid value \"many\" for flag -leads"}},
		{"stray argument", []string{"kpi", "rerun"}, exitUsage, nil, []string{`unexpected argument "rerun"`}},
		{"bad event from flags", []string{"kpi", "--mode", "rerun"}, exitUsage, nil, []string{"kpi event: quarter: required: rerun recomputes a named quarter"}},
		{"bad quarter", []string{"payouts", "--mode", "rerun", "--quarter", "2026Q5"}, exitUsage, nil, []string{"payouts event: quarter:"}},
		{"bad approve action", []string{"approve", "--quarter", "2026Q3", "--action", "aprove"}, exitUsage, nil, []string{`action: "aprove" is not approve, finalize, acknowledge or a dispute action`}},
		{"event file with event flags", []string{"kpi", "--event", "x.json", "--mode", "qtd"}, exitUsage, nil, []string{"--event runs the file exactly: drop --mode"}},
		{"missing event file", []string{"kpi", "--event", "no-such-event.json"}, exitUsage, nil, []string{"--event: open no-such-event.json"}},
		{"half the AWS storage", []string{"kpi", "--lake", "s3://b/p"}, exitUsage, nil, []string{"--lake and --results go together"}},
		{"both storages", []string{"kpi", "--out", "x", "--lake", "s3://b/p", "--results", "dynamodb://tbl"}, exitUsage, nil, []string{"give one or the other"}},
		{"bad lake URI", []string{"kpi", "--lake", "b/p", "--results", "dynamodb://tbl"}, exitUsage, nil, []string{`--lake "b/p": want s3://bucket/prefix`}},
		{"bad results URI", []string{"scorecard", "--quarter", "2026Q3", "--lake", "s3://b", "--results", "tbl"}, exitUsage, nil, []string{`--results "tbl": want dynamodb://table`}},
		{"scorecard without quarter", []string{"scorecard"}, exitUsage, nil, []string{"--quarter is required"}},
		{"scorecard final and asof", []string{"scorecard", "--quarter", "2026Q3", "--final", "--asof", "2026-09-01"}, exitUsage, nil, []string{"--final and --asof"}},
		{"export bad quarter", []string{"export", "--quarter", "Q3"}, exitUsage, nil, []string{"--quarter:"}},
		{"catalog-sync on a folder", []string{"catalog-sync", "--out", "x"}, exitUsage, nil, []string{"give --lake and --results, not --out"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runIn(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
			for _, want := range tt.inStdout {
				if !strings.Contains(out, want) {
					t.Errorf("stdout lacks %q:\n%s", want, out)
				}
			}
			for _, want := range tt.inStderr {
				if !strings.Contains(errOut, want) {
					t.Errorf("stderr lacks %q:\n%s", want, errOut)
				}
			}
			if tt.code == exitUsage && out != "" {
				t.Errorf("bad usage printed on stdout:\n%s", out)
			}
		})
	}
}

// Every command has a --help on stdout, exit 0, naming its usage, flags
// and examples.
func TestEveryCommandHelp(t *testing.T) {
	for _, c := range commands() {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runIn(t, c.name, "--help")
			if code != exitOK || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			for _, want := range []string{"Usage:\n  venn " + c.name, c.summary} {
				if !strings.Contains(out, want) {
					t.Errorf("--help lacks %q:\n%s", want, out)
				}
			}
			if c.setup != nil && (!strings.Contains(out, "Flags:") || !strings.Contains(out, "Examples:\n  venn "+c.name)) {
				t.Errorf("--help lacks flags or examples:\n%s", out)
			}
		})
	}
}

// The progress printer prints an object's line at most once per interval
// while it pulls, and always when it is done, with rows/s from its clock.
func TestProgressPrinter(t *testing.T) {
	var buf bytes.Buffer
	p := newProgressPrinter(&buf)
	clock := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
	p.now = func() time.Time { return clock }
	step := func(d time.Duration, pr extract.Progress) {
		clock = clock.Add(d)
		p.report(pr)
	}
	step(0, extract.Progress{Object: "Lead", Rows: 1, Pages: 1})                          // starts the clock, not printed
	step(time.Second, extract.Progress{Object: "Lead", Rows: 2001, Pages: 2})             // 1s: within the interval
	step(time.Second, extract.Progress{Object: "Lead", Rows: 4001, Pages: 3})             // 2s: printed, 2000 rows/s
	step(time.Second, extract.Progress{Object: "Lead", Rows: 6001, Pages: 4})             // 1s after the last line
	step(time.Second, extract.Progress{Object: "Lead", Rows: 8000, Pages: 4, Done: true}) // done at 4s
	step(0, extract.Progress{Object: "Task", Rows: 0, Pages: 0, Done: true})              // an empty object
	want := "extract Lead: 4001 rows, 3 pages so far (2000 rows/s)\n" +
		"extract Lead: done, 8000 rows, 4 pages in 4s (2000 rows/s)\n" +
		"extract Task: done, 0 rows, 0 pages in 0s\n"
	if buf.String() != want {
		t.Errorf("printed:\n%s\nwant:\n%s", buf.String(), want)
	}
}

// A mistyped --out is refused, named, and not created, by every command
// that reads an existing lake; extract may start a new folder but not in a
// parent that does not exist, and refuses before creating anything when the
// PII key or the credentials file is wrong.
func TestTypoFolderNotCreated(t *testing.T) {
	t.Setenv("VENN_SF_LOGIN_URL", "http://127.0.0.1:9") // never reached
	t.Setenv("VENN_SF_CLIENT_ID", "id")
	t.Setenv("VENN_SF_CLIENT_SECRET", "secret")
	t.Setenv("VENN_PII_KEY", "")
	t.Setenv("PII_CLEAR", "")
	dir := t.TempDir()
	typo := filepath.Join(dir, "outt")
	worldReadable := filepath.Join(dir, "creds.json")
	if err := os.WriteFile(worldReadable, []byte(`{}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args    []string
		created string // the folder that must not exist afterwards
		want    string
	}{
		{[]string{"kpi", "--out", typo}, typo, "--out " + typo},
		{[]string{"payouts", "--out", typo}, typo, "--out " + typo},
		{[]string{"approve", "--out", typo, "--quarter", "2026Q3"}, typo, "make demo"},
		{[]string{"export", "--out", typo, "--quarter", "2026Q3"}, typo, "--out " + typo},
		{[]string{"scorecard", "--out", typo, "--quarter", "2026Q3"}, typo, "--out " + typo},
		{[]string{"extract", "--out", filepath.Join(typo, "lake")}, typo, "parent folder " + typo + " does not exist"},
		{[]string{"extract", "--out", typo}, typo, "VENN_PII_KEY is not set"},
		{[]string{"extract", "--out", typo, "--credentials", worldReadable}, typo, "readable by every user"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args[:1], " ")+" "+tt.want, func(t *testing.T) {
			code, out, errOut := runIn(t, tt.args...)
			if code != exitFailed || !strings.Contains(out+errOut, tt.want) {
				t.Errorf("exit %d, want 1 with %q\nstdout:\n%s\nstderr:\n%s", code, tt.want, out, errOut)
			}
			if _, err := os.Stat(tt.created); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s exists after the command (stat: %v)", tt.created, err)
			}
		})
	}
	// validate checks all but storage on a folder extract has not started,
	// and says so, creating nothing; here the PII key is missing.
	if code, out, errOut := runIn(t, "validate", "--out", typo); code != exitFailed || !strings.Contains(out, "skip  storage "+typo+": no Venn lake there yet") ||
		!strings.Contains(out, "FAIL  salesforce connection and PII key: VENN_PII_KEY is not set") {
		t.Errorf("validate on a new folder: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(typo); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("validate created %s", typo)
	}
	// An existing folder that is not a Venn lake is named too.
	if code, _, errOut := runIn(t, "kpi", "--out", dir); code != exitFailed || !strings.Contains(errOut, "no Venn lake and results there") {
		t.Errorf("kpi on a folder without a lake: exit %d %s", code, errOut)
	}
}
