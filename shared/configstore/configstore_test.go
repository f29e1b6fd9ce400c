package configstore_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/venn-revops/venn/shared/configstore"
	"github.com/venn-revops/venn/shared/configstore/configtest"
)

// writeDefault copies the embedded configuration into dir in the layout,
// as a user starting from the demo's default would.
func writeDefault(t *testing.T, dir string) { configtest.CopyDefault(t, dir) }

func write(t *testing.T, dir, p string, b []byte) {
	t.Helper()
	full := filepath.Join(dir, filepath.FromSlash(p))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func edit(t *testing.T, dir, p, old, new string) { configtest.Edit(t, dir, p, old, new) }

// TestValidate changes one thing in a copy of the default configuration
// and checks the error names the file, the key and the reason.
func TestValidate(t *testing.T) {
	type change struct{ file, old, new string }
	cases := []struct {
		name    string
		changes []change
		add     map[string]string // extra files
		remove  []string
		want    []string // substrings of the error, "" when valid
		// defaults: the units taken from the embedded default
		defaults []string
	}{
		{name: "the default as is"},
		{name: "bad target value",
			changes: []change{{"kpi.yaml", `bookings: "1600000.00", pipeline: "4800000.00"`, `bookings: "1.6M", pipeline: "4800000.00"`}},
			want:    []string{"/kpi.yaml: ", `"1.6M" is not a decimal number`}},
		{name: "target for an unknown dimension",
			changes: []change{{"kpi.yaml", `{quarter: 2026Q3, dimension: team, key: Sales East,`, `{quarter: 2026Q3, dimension: territory, key: Sales East,`}},
			want:    []string{"/kpi.yaml: targets[2].dimension: "}},
		{name: "unknown KPI in a plan",
			changes: []change{{"comp/plans/marketing-manager.yaml", "kpi: mktg_sourced_pipeline,", "kpi: mktg_sourced_pipe,"}},
			want:    []string{"/comp/plans/marketing-manager.yaml: ", "mktg_sourced_pipe"}},
		{name: "assignment to an unknown plan",
			changes: []change{{"comp/assignments.yaml", "{role: sdr, plan: sdr, from: 2025-01-01}", "{role: sdr, plan: sdr_2027, from: 2025-01-01}"}},
			want:    []string{"/comp/assignments.yaml: roles", "sdr_2027"}},
		{name: "assignment to an unknown role",
			changes: []change{{"comp/assignments.yaml", "name: Tom Becker, role: account_executive", "name: Tom Becker, role: account_exec"}},
			want:    []string{"/comp/assignments.yaml: people", "account_exec"}},
		{name: "plan paid in another currency than kpi.yaml",
			changes: []change{{"comp/plans/sdr.yaml", "currency: USD", "currency: EUR"}},
			want:    []string{"/comp/plans/sdr.yaml: currency: EUR, but ", "/kpi.yaml pays everyone in USD"}},
		{name: "plan metric on a model kpi.yaml does not compute",
			changes: []change{{"kpi.yaml", "    w_shaped:\n      window: opp_creation\n      weights: {first_touch: 0.3, lead_creation: 0.3, opp_creation: 0.3, middle: 0.1}\n", ""}},
			want:    []string{"/comp/plans/marketing-manager.yaml: components.influenced_bookings.metric.model: w_shaped is not an attribution model of "}},
		{name: "adjustment in another currency than kpi.yaml",
			changes: []change{{"comp/adjustments.yaml", "amount: -120.50\n    currency: USD", "amount: -120.50\n    currency: EUR"}},
			want:    []string{"/comp/adjustments.yaml: ADJ-2026Q3-002.currency: "}},
		{name: "unknown key in the extract configuration",
			changes: []change{{"extract.yaml", "fields:\n  User:", "field:\n  User:"}},
			want:    []string{"/extract.yaml", "field"}},
		{name: "misspelt file is refused, not replaced by a default",
			add:  map[string]string{"kpis.yaml": "version: 1\n"},
			want: []string{"/kpis.yaml: not part of the configuration layout"}},
		{name: "several problems are reported together",
			changes: []change{
				{"kpi.yaml", `bookings: "1600000.00", pipeline: "4800000.00"`, `bookings: "1.6M", pipeline: "4800000.00"`},
				{"comp/assignments.yaml", "{role: sdr, plan: sdr, from: 2025-01-01}", "{role: sdr, plan: sdr_2027, from: 2025-01-01}"},
			},
			want: []string{"2 problem(s)", "/kpi.yaml: ", "/comp/assignments.yaml: roles"}},
		{name: "bad scoring configuration",
			changes: []change{{"score.yaml", "test_fraction: 0.25", "test_fraction: 1.5"}},
			want:    []string{"/score.yaml", "split.test_fraction"}},
		{name: "scoring on a Lead column the job does not read",
			changes: []change{{"score.yaml", "fields: [lead_source, segment, region]", "fields: [lead_source, rating]"}},
			want:    []string{`"rating" is not a Lead column the score job reads`}},
		{name: "a unit left out is the embedded default, and says so",
			remove:   []string{"extract.yaml", "score.yaml"},
			defaults: []string{"extract.yaml", "score.yaml"}},
		{name: "the optional accounting.yaml (the embedded one is the demo's) is part of the layout",
			add: map[string]string{"comp/accounting.yaml": "capitalise_deal_types: [new_business]\nbenefit_months: 48\n"}},
		{name: "a bad accounting.yaml is refused, naming it",
			add:  map[string]string{"comp/accounting.yaml": "capitalise_deal_types: [new_business]\nbenefit_months: 0\n"},
			want: []string{"accounting.yaml: benefit_months: 0: want the expected benefit period"}},
		{name: "notes and hidden files are ignored",
			add: map[string]string{"README.md": "# our config\n", ".git/HEAD": "ref: x\n"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeDefault(t, dir)
			for _, ch := range c.changes {
				edit(t, dir, ch.file, ch.old, ch.new)
			}
			for p, body := range c.add {
				write(t, dir, p, []byte(body))
			}
			for _, p := range c.remove {
				if err := os.Remove(filepath.Join(dir, p)); err != nil {
					t.Fatal(err)
				}
			}
			snap, err := configstore.LoadFS(os.DirFS(dir), dir)
			if len(c.want) == 0 {
				if err != nil {
					t.Fatalf("valid configuration refused: %v", err)
				}
				if strings.Join(snap.Defaults, ",") != strings.Join(c.defaults, ",") {
					t.Errorf("defaults %v, want %v", snap.Defaults, c.defaults)
				}
				return
			}
			var ve *configstore.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want a ValidationError", err)
			}
			for _, w := range c.want {
				if strings.HasPrefix(w, "/") {
					w = dir + w
				}
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
		})
	}
}

// The embedded default is valid, its version says so, and it is what a
// copy of it into a folder hashes to.
func TestEmbeddedIsTheDefaultsCopy(t *testing.T) {
	e := configstore.Embedded()
	if !strings.HasSuffix(e.Version, "@embedded") || len(e.Defaults) != len(configstore.Units) {
		t.Fatalf("embedded: version %q, defaults %v", e.Version, e.Defaults)
	}
	dir := t.TempDir()
	writeDefault(t, dir)
	s, err := configstore.LoadFS(os.DirFS(dir), dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.Hash != e.Hash || s.Version != e.Hash[:16] || len(s.Defaults) != 0 {
		t.Errorf("copy of the default: hash %s version %s defaults %v; embedded hash %s", s.Hash, s.Version, s.Defaults, e.Hash)
	}
}

// ContentHash is sha256 over "path NUL sha256(content) LF" lines in path
// order, as sha256sum computes it: the expected value was computed with
//
//	printf 'a.yaml\0%s\nb/c.yaml\0%s\n' $(printf 'x' | sha256sum | cut -c1-64) $(printf '' | sha256sum | cut -c1-64) | sha256sum
func TestContentHash(t *testing.T) {
	got := configstore.ContentHash(map[string][]byte{"b/c.yaml": {}, "a.yaml": []byte("x")})
	const want = "ecd51712b3f723ebc9ae1a76e3aab7dd7899cca089a1856bf3de19983e3f0c96"
	if got != want {
		t.Fatalf("ContentHash = %s, want %s", got, want)
	}
}
