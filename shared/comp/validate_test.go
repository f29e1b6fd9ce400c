package comp

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/venn-revops/venn/shared/period"
)

// loadAndValidate runs a plan file through ParsePlan and Validate, as
// LoadPlans and Run do.
func loadAndValidate(t *testing.T, file string) ValidationErrors {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "invalid", file))
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParsePlan(file, b)
	if err == nil {
		err = Validate([]*Plan{p}, knownKPIs)
	}
	var v ValidationErrors
	if !errors.As(err, &v) {
		t.Fatalf("%s: want ValidationErrors, got %v", file, err)
	}
	for _, e := range v {
		if e.File != file {
			t.Errorf("%s: error does not name the file: %v", file, e)
		}
	}
	return v
}

// readWant reads a want.txt: one expected error per line, each the start
// of an error message ("file: key path: reason"); # starts a comment.
func readWant(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}

// wantErrors checks that every expected line starts one of the errors.
func wantErrors(t *testing.T, v ValidationErrors, want []string) {
	t.Helper()
	for _, w := range want {
		found := false
		for _, e := range v {
			if strings.HasPrefix(e.Error(), w) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("missing error %q in %v", w, v)
		}
	}
}

// Each plan file in testdata/invalid is refused with the errors listed for
// it in testdata/invalid/want.txt (file, key path by component id, reason).
func TestInvalidPlanFixtures(t *testing.T) {
	want := map[string][]string{}
	for _, w := range readWant(t, "testdata/invalid/want.txt") {
		file, _, _ := strings.Cut(w, ": ")
		want[file] = append(want[file], w)
	}
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatal(files, err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			if len(want[name]) == 0 {
				t.Fatalf("no expected error for %s in want.txt", name)
			}
			wantErrors(t, loadAndValidate(t, name), want[name])
			delete(want, name)
		})
	}
	for name := range want {
		t.Errorf("want.txt names %s, which is not a fixture", name)
	}
}

// Each folder testdata/invalid/config-*/ is a whole configuration
// (plans/, assignments.yaml, adjustments.yaml) refused by one CheckConfig
// call with every error in its want.txt.
func TestInvalidConfigFixtures(t *testing.T) {
	dirs, err := filepath.Glob("testdata/invalid/config-*")
	if err != nil || len(dirs) == 0 {
		t.Fatal(dirs, err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			cfg, err := CheckConfig(os.DirFS(dir), knownKPIs)
			var v ValidationErrors
			if cfg != nil || !errors.As(err, &v) {
				t.Fatalf("want ValidationErrors and no config, got %v, %v", cfg, err)
			}
			wantErrors(t, v, readWant(t, filepath.Join(dir, "want.txt")))
		})
	}
}

// Valid shapes are accepted: a commission-only plan without
// target_variable, a one-point (step) curve, a cap between the threshold
// and the last point, quoted plain decimals, non-ASCII names.
func TestValidPlanFixtures(t *testing.T) {
	plans, err := LoadPlans(os.DirFS("testdata/valid"))
	if err != nil {
		t.Fatal(err)
	}
	if len(plans) < 4 {
		t.Fatalf("%d plans", len(plans))
	}
	if err := Validate(plans, knownKPIs); err != nil {
		t.Fatal(err)
	}
	for _, p := range plans {
		var b bytes.Buffer
		if err := p.WriteText(&b); err != nil {
			t.Fatal(err)
		}
	}
}

// Curves of the valid shapes, worked by hand.
func TestCurveStepAndInnerCap(t *testing.T) {
	plans, err := LoadPlans(os.DirFS("testdata/valid"))
	if err != nil {
		t.Fatal(err)
	}
	curve := map[string]*Curve{}
	for _, p := range plans {
		for _, c := range p.Components {
			if c.Curve != nil {
				curve[p.ID] = c.Curve
			}
		}
	}
	tests := []struct {
		plan, att, payout string
	}{
		// Step: nothing below 100%, 100% at or above it, whatever the excess.
		{"step", "0.99", "0"},
		{"step", "1", "1"},
		{"step", "1.7", "1"},
		// Cap 150% inside the segment (100%, 100%)–(200%, 300%), slope 2:
		// 120% pays 1 + 0.2 × 2 = 140%; 150% pays 1 + 0.5 × 2 = 200%;
		// 180% counts as 150%: 200%.
		{"cap_inside", "1.2", "1.4"},
		{"cap_inside", "1.5", "2"},
		{"cap_inside", "1.8", "2"},
		{"cap_inside", "0.4", "0"},
		// (50%, 25%)–(100%, 100%), slope 1.5: 70% pays 0.25 + 0.2 × 1.5 = 55%.
		{"cap_inside", "0.7", "0.55"},
	}
	for _, tt := range tests {
		got, seg := curve[tt.plan].eval(rat(dec(tt.att)))
		if got.Cmp(rat(dec(tt.payout))) != 0 {
			t.Errorf("%s at %s: payout %s (%s), want %s", tt.plan, tt.att, got.FloatString(6), seg, tt.payout)
		}
	}
}

func TestLoadPlansReportsEveryFile(t *testing.T) {
	_, err := LoadPlans(os.DirFS("testdata/invalid"))
	var v ValidationErrors
	if !errors.As(err, &v) {
		t.Fatalf("want ValidationErrors, got %v", err)
	}
	files := map[string]bool{}
	for _, e := range v {
		files[e.File] = true
	}
	for _, f := range []string{"empty.yaml", "two-documents.yaml", "unknown-key.yaml", "alias-bomb.yaml", "deep-nesting.yaml"} {
		if !files[f] {
			t.Errorf("no error names %s", f)
		}
	}
}

func TestShippedPlansAreValid(t *testing.T) {
	plans, err := LoadPlans(os.DirFS("../config/comp/plans"))
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(plans, knownKPIs); err != nil {
		t.Fatal(err)
	}
	if len(plans) != 5 {
		t.Errorf("want the 5 sample plans, got %d", len(plans))
	}
}

func TestAssignmentAndAdjustmentErrors(t *testing.T) {
	in := demoInput(t)
	// Two plans on one day: Alex also put on the SDR role from 2026-09-01.
	extra := *in.Assignments
	extra.People = append(append([]PersonAssignment(nil), extra.People...), PersonAssignment{Person: alex, Role: "sdr", From: Day{day("2026-09-01")}})
	in.Assignments = &extra
	// The integration user put on a plan: has no employee ID.
	extra.People = append(extra.People, PersonAssignment{Person: integration, Plan: "sdr", From: Day{day("2026-01-01")}})
	in.Adjustments = append(in.Adjustments, Adjustment{ID: "ADJ-X", PersonID: lena, Quarter: "2026Q3", Amount: D("10"), Currency: "EUR", Reason: "r", Author: "a"})
	_, err := Run(in)
	var v ValidationErrors
	if !errors.As(err, &v) {
		t.Fatalf("want ValidationErrors, got %v", err)
	}
	for _, want := range []string{"two plans active on 2026-09-01", "no employee ID: cannot be paid", "EUR, but " + lena + " is paid in USD"} {
		if !strings.Contains(v.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, v)
		}
	}
}

func TestAdjustmentsFileErrors(t *testing.T) {
	_, err := ParseAdjustments("adj.yaml", []byte(`adjustments:
  - {id: A1, person: P, quarter: 2026Q5, amount: 10.005, currency: usd, reason: "", author: x}
  - {id: A1, person: P, quarter: 2026Q3, currency: USD, reason: r, author: x}
`))
	for _, want := range []string{
		"adj.yaml: adjustments[0].reason: required",
		"adj.yaml: adjustments[0].quarter: quarter \"2026Q5\"",
		"adj.yaml: adjustments[0].currency: \"usd\" is not an ISO 4217",
		"adj.yaml: adjustments[0].amount: \"10.005\" has more than 2 decimal places",
		"adj.yaml: adjustments[1].id: \"A1\" is used twice",
		"adj.yaml: adjustments[1].amount: required",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
}

func TestAssignmentsFileErrors(t *testing.T) {
	_, err := ParseAssignments("asg.yaml", []byte(`roles:
  - {role: ae, from: 2026-01-01}
people:
  - {person: P1, role: ae, plan: ae, from: 2026-13-01}
  - {person: P2, role: ae, from: 2026-05-01, to: 2026-04-01}
  - {person: P3, role: ae, from: 2026-01-01, to: 2026-06-30}
  - {person: P3, plan: sdr, from: 2026-06-30}
`))
	for _, want := range []string{"asg.yaml: roles[0].plan: required", "asg.yaml: people[0]: give exactly one of role or plan",
		`"2026-13-01" is not a date`, "asg.yaml: people[1].to: 2026-04-01 is before from 2026-05-01",
		"asg.yaml: people[3]: P3 is also assigned by people[2] on 2026-06-30: two plans would be active on the same day"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
}

func TestNothingComputedWhenInvalid(t *testing.T) {
	in := demoInput(t)
	in.Deals = append(in.Deals, Deal{ID: "006BAD", OwnerID: alex, Amount: dec("100"), Currency: "USD", CloseDate: day("2026-08-01"), Won: true,
		Splits: []Split{{alex, dec("50")}, {priya, dec("40")}}})
	in.Deals = append(in.Deals, in.Deals[0])
	out, err := Run(in)
	if out != nil || err == nil || !strings.Contains(err.Error(), "deals: 006BAD: splits sum to 90%, want 100%") ||
		!strings.Contains(err.Error(), "deals: 006A01: listed twice") {
		t.Fatalf("out %v err %v", out, err)
	}
	in = demoInput(t)
	in.Quarter = period.Quarter{}
	if _, err := Run(in); err == nil {
		t.Fatal("zero quarter accepted")
	}
}

func TestLoadConfigNamesFiles(t *testing.T) {
	fsys := fstest.MapFS{
		"plans/bad.yaml":   {Data: []byte("id: x\nid: y\n")},
		"assignments.yaml": {Data: []byte("roles: []\npeople: []\nextra: 1\n")},
		"adjustments.yaml": {Data: []byte("")},
		"plans/README.md":  {Data: []byte("not a plan")},
		"plans/other.yml":  {Data: []byte("---\n")},
	}
	_, err := LoadConfig(fsys)
	for _, want := range []string{
		`plans/bad.yaml: line 2: mapping key "id" already defined at line 1`,
		"plans/other.yml: file is empty",
		`assignments.yaml: extra: unknown key "extra" (line 3)`,
		"adjustments.yaml: file is empty",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
}

func TestMissingKPIValueNamesPersonAndMetric(t *testing.T) {
	in := demoInput(t)
	delete(in.Metrics.(MetricTable), MetricKey{"mktg_influenced_bookings", "org", "all", "w_shaped"})
	delete(in.Metrics.(MetricTable), MetricKey{"mktg_sourced_pipeline", "org", "all", ""})
	_, err := Run(in)
	for _, want := range []string{
		`metrics: ` + olivia + `: no value for KPI mktg_influenced_bookings scope org key "all" model "w_shaped"`,
		`metrics: ` + olivia + `: no value for KPI mktg_sourced_pipeline scope org key "all"`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
}

func TestPlanVersionsMustNotOverlap(t *testing.T) {
	plan := func(file string, version int, from, to string) *Plan {
		src := fmt.Sprintf(`id: ae
version: %d
name: AE
effective_from: %s
%scurrency: USD
target_variable: 100
components:
  - {id: a, kind: attainment_bonus, weight: 1, metric: {kpi: bookings, scope: org}, target: 1,
     curve: {threshold: 0, cap: 1, points: [{attainment: 0, payout: 0}, {attainment: 1, payout: 1}]}}
`, version, from, to)
		p, err := ParsePlan(file, []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	// v1 to 2026-06-30 then v2 from 2026-07-01: fine.
	if err := Validate([]*Plan{plan("v1.yaml", 1, "2026-01-01", "effective_to: 2026-06-30\n"), plan("v2.yaml", 2, "2026-07-01", "")}, knownKPIs); err != nil {
		t.Fatal(err)
	}
	err := Validate([]*Plan{plan("v1.yaml", 1, "2026-01-01", "effective_to: 2026-07-01\n"), plan("v2.yaml", 2, "2026-07-01", ""), plan("v2b.yaml", 2, "2027-01-01", "")}, knownKPIs)
	for _, want := range []string{"v2.yaml: effective_from: plan ae v2 overlaps v1 (v1.yaml)", "v2b.yaml: version: plan ae version 2 is also defined in v2.yaml"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
}

func TestSpansFollowPlanVersions(t *testing.T) {
	v1 := `id: ae
version: 1
name: AE
effective_from: 2026-01-01
effective_to: 2026-08-15
currency: USD
target_variable: 100
components:
  - {id: a, kind: attainment_bonus, weight: 1, metric: {kpi: bookings, scope: org}, target: 1,
     curve: {threshold: 0, cap: 1, points: [{attainment: 0, payout: 0}, {attainment: 1, payout: 1}]}}
`
	p1, _ := ParsePlan("v1.yaml", []byte(v1))
	p2, _ := ParsePlan("v2.yaml", []byte(strings.Replace(strings.Replace(v1, "version: 1", "version: 2", 1), "effective_from: 2026-01-01\neffective_to: 2026-08-15", "effective_from: 2026-08-16", 1)))
	a := &Assignments{Roles: []RoleAssignment{{Role: "ae", Plan: "ae", From: Day{day("2026-01-01")}}},
		People: []PersonAssignment{{Person: "P", Role: "ae", From: Day{day("2026-07-10")}, To: Day{day("2026-09-20")}}}}
	spans, err := a.Spans("P", period.MustParse("2026Q3"), []*Plan{p1, p2})
	if err != nil {
		t.Fatal(err)
	}
	// 07-10..08-15 on v1 (37 days), 08-16..09-20 on v2 (36 days).
	if len(spans) != 2 || spans[0].Plan.Version != 1 || spans[0].Days != 37 || spans[1].Plan.Version != 2 || spans[1].Days != 36 {
		t.Fatalf("spans %+v", spans)
	}
}

// FuzzParsePlan: no input makes the plan loader panic or hang, and what it
// accepts is validated without panicking either.
func FuzzParsePlan(f *testing.F) {
	for _, dir := range []string{"testdata/invalid", "testdata/valid", "../config/comp/plans"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, file := range files {
			if b, err := os.ReadFile(file); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePlan("fuzz.yaml", b)
		if err != nil {
			var v ValidationErrors
			if !errors.As(err, &v) {
				t.Fatalf("not a ValidationErrors: %v", err)
			}
			return
		}
		_ = Validate([]*Plan{p}, knownKPIs)
	})
}
