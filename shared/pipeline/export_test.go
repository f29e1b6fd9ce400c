package pipeline_test

import (
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/comp/statementstore"
	compconfig "github.com/venn-revops/venn/shared/config/comp"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
	"github.com/venn-revops/venn/shared/period"
	"github.com/venn-revops/venn/shared/pipeline"
	"github.com/venn-revops/venn/shared/results/localstore"
)

// handStatement is a hand-worked 2026Q3 statement: bonus 1,000.00,
// commission 2,500.00, clawback -250.50, adjustment 120.50; total 3,370.00.
func handStatement(person, name, costCenter string) comp.Statement {
	d := func(s string) comp.Money { return comp.Money{Decimal: decimal.RequireFromString(s)} }
	return comp.Statement{
		ID: "2026Q3/" + person, Quarter: "2026Q3", PersonID: person, EmployeeID: "E-" + person, Name: name,
		Team: "Sales West", CostCenter: costCenter, Currency: "USD",
		Lines: []comp.Line{
			{Key: "bonus", Kind: comp.LineAttainmentBonus, Amount: d("1000.00")},
			{Key: "comm", Kind: comp.LineCommission, Amount: d("2500.00")},
			{Key: "claw", Kind: comp.LineClawback, Amount: d("-250.50"), Ref: "006-LOST"},
			{Key: "adj", Kind: comp.LineAdjustment, Amount: d("120.50"), Ref: "ADJ-1"},
		},
		Total: d("3370.00"), InputHash: "hash-" + person,
	}
}

// exportEnv is an Env over a fresh local lake and store holding two draft
// statements, and the lake's folder.
func exportEnv(t *testing.T) (*pipeline.Env, string) {
	t.Helper()
	dir := t.TempDir()
	blob, err := fsblob.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	store, err := localstore.Open("")
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC)
	env := &pipeline.Env{Blob: blob, Store: store, CodeVersion: "test", KPIConfig: kpi.DefaultConfig(), CompConfig: compconfig.FS(),
		// Every call a microsecond later: each run gets its own run id.
		Now: func() time.Time { clock = clock.Add(time.Second); return clock }}
	stmts := []comp.Statement{handStatement("P1", "Ada Lovelace", "CC-US"), handStatement("P2", "Grace Hopper", "CC-SALES-WEST")}
	if _, _, err := statementstore.SaveDrafts(context.Background(), store, stmts); err != nil {
		t.Fatal(err)
	}
	return env, dir
}

// lakeFiles lists every file under the lake folder with its content.
func lakeFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func added(before, after map[string]string) (keys []string) {
	for k, v := range after {
		if old, ok := before[k]; !ok || old != v {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// An approve that changes nothing writes nothing to the lake; a change of
// status writes one new run and moves current/ to it.
func TestExportWrittenOncePerContent(t *testing.T) {
	ctx := context.Background()
	env, dir := exportEnv(t)
	q := period.MustParse("2026Q3")
	approve := func(people ...string) {
		t.Helper()
		if _, err := statementstore.Approve(ctx, env.Store, "2026Q3", people, comp.Identity{ID: "local:finance"}, time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC), nil); err != nil {
			t.Fatal(err)
		}
	}

	approve("P1")
	first, err := env.Export(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if first.Unchanged || first.Status() != "export written" {
		t.Fatalf("first export: %s", first.Status())
	}
	files := lakeFiles(t, dir)
	cur := "exports/payroll/quarter=2026Q3/current/"
	if files[cur+"payroll.csv"] != files[first.Meta["csv"]] || files[cur+"payroll.csv"] == "" {
		t.Fatalf("current/payroll.csv is not the run's CSV %s", first.Meta["csv"])
	}
	if n := strings.Count(files[cur+"payroll.csv"], "\r\n"); n != 2 {
		t.Errorf("current CSV has %d records, want header + P1", n)
	}

	// The same approval again, and the export again: nothing written.
	approve("P1")
	again, err := env.Export(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Unchanged || again.Status() != "export unchanged" || again.RunID != first.RunID || again.Hash != first.Hash {
		t.Errorf("no-op approve: %s run %s hash %s, want unchanged run %s", again.Status(), again.RunID, again.Hash, first.RunID)
	}
	if got := added(files, lakeFiles(t, dir)); len(got) != 0 {
		t.Errorf("a no-op approve wrote %v", got)
	}

	// P2 approved: one new run (CSV, Parquet part, manifest) and current/.
	approve("P2")
	second, err := env.Export(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if second.Unchanged || second.RunID == first.RunID {
		t.Fatalf("a status change did not write a new run: %s %s", second.Status(), second.RunID)
	}
	after := lakeFiles(t, dir)
	var newRun, newCurrent, newStatus []string
	for _, k := range added(files, after) {
		switch {
		case strings.HasPrefix(k, cur):
			newCurrent = append(newCurrent, strings.TrimPrefix(k, cur))
		case strings.HasPrefix(k, "comp/statement_status/quarter=2026Q3/"):
			newStatus = append(newStatus, k)
		default:
			newRun = append(newRun, k)
		}
	}
	if len(newStatus) != 2 || second.StatusTable == nil || !strings.Contains(newStatus[1], second.StatusTable.RunID) {
		t.Errorf("status table files %v, want one commit (manifest and part)", newStatus)
	}
	// The status table: both statements approved, v2, by local:finance (the identity id).
	var status []comp.StatusRow
	if err := lake.Scan(ctx, env.Blob, second.StatusTable, func(rows []comp.StatusRow) error { status = append(status, rows...); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(status) != 2 {
		t.Fatalf("status rows %+v", status)
	}
	for i, r := range status {
		if r.StatementID != "2026Q3/P"+string(rune('1'+i)) || r.Status != comp.StatusApproved || r.Version != 2 || r.ApprovedBy != "local:finance" ||
			r.ApprovedAt == nil || !r.ApprovedAt.Equal(time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC)) || r.FinalAt != nil || r.Total != 337000 {
			t.Errorf("status row %+v", r)
		}
	}
	if len(newRun) != 5 {
		t.Errorf("new run files %v, want the wide and long CSV, the ASC 340-40 CSV (the embedded accounting.yaml), one Parquet part and the manifest", newRun)
	}
	for _, k := range newRun {
		if !strings.Contains(k, second.RunID) && !strings.Contains(k, "_manifest") {
			t.Errorf("file %s is not in run %s", k, second.RunID)
		}
	}
	if strings.Join(newCurrent, ",") != "asc340.csv,current.json,payroll.csv,payroll_long.csv" {
		t.Errorf("current/ files rewritten: %v", newCurrent)
	}
	if after[cur+"payroll.csv"] != after[second.Meta["csv"]] || strings.Count(after[cur+"payroll.csv"], "\r\n") != 3 {
		t.Errorf("current/payroll.csv is not run %s's CSV", second.RunID)
	}
	// The long format of the embedded payroll.yaml, worked by hand: codes
	// sorted, the clawback a negative deduction, pay date 2026-10-15 from
	// the calendar, P2's entity from its cost center, P1's the default.
	const long = "employee_id,person_id,name,entity,earnings_code,earnings_type,amount,currency,pay_date,period_start,period_end,quarter,statement_id,statement_version,status\r\n"
	const p1 = "E-P1,P1,Ada Lovelace,Venn Revops Inc.,%s,2026-10-15,2026-07-01,2026-09-30,2026Q3,2026Q3/P1,2,approved\r\n"
	const p2 = "E-P2,P2,Grace Hopper,Venn Revops West LLC,%s,2026-10-15,2026-07-01,2026-09-30,2026Q3,2026Q3/P2,2,approved\r\n"
	var want strings.Builder
	want.WriteString(long)
	for _, p := range []string{p1, p2} {
		for _, c := range []string{"ADJ,earning,120.50,USD", "BONUS,earning,1000.00,USD", "CLAWBK,deduction,-250.50,USD", "COMM,earning,2500.00,USD"} {
			want.WriteString(strings.Replace(p, "%s", c, 1))
		}
	}
	if got := after[cur+"payroll_long.csv"]; got != want.String() || got != after[second.Meta["csv_long"]] {
		t.Errorf("current/payroll_long.csv:\n%s\nwant:\n%s", got, want.String())
	}
	var cj pipeline.CurrentExport
	if err := json.Unmarshal([]byte(after[cur+"current.json"]), &cj); err != nil {
		t.Fatal(err)
	}
	if cj.Run != second.RunID || cj.ContentHash != second.Hash || len(cj.Statements) != 2 || cj.Files["csv"] != cur+"payroll.csv" {
		t.Errorf("current.json = %+v", cj)
	}
	for _, s := range cj.Statements {
		if s.Status != comp.StatusApproved || s.Version != 2 {
			t.Errorf("current.json statement %+v, want approved v2", s)
		}
	}
}

// A crash after the run's commit but before current/ was updated is
// repaired by the next export, which writes no new run.
func TestExportRepairsStaleCurrent(t *testing.T) {
	ctx := context.Background()
	env, dir := exportEnv(t)
	q := period.MustParse("2026Q3")
	if _, err := statementstore.Approve(ctx, env.Store, "2026Q3", nil, comp.Identity{ID: "local:finance"}, time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC), nil); err != nil {
		t.Fatal(err)
	}
	first, err := env.Export(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	cur := filepath.Join(dir, "exports/payroll/quarter=2026Q3/current")
	if err := os.RemoveAll(cur); err != nil {
		t.Fatal(err)
	}
	again, err := env.Export(ctx, q)
	if err != nil || !again.Unchanged {
		t.Fatalf("export after a lost current/: %v, %+v", err, again)
	}
	rc, err := env.Blob.Get(ctx, pipeline.CurrentFolder(q)+"/payroll.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	body, _ := io.ReadAll(rc)
	if string(body) != lakeFiles(t, dir)[first.Meta["csv"]] {
		t.Error("current/payroll.csv not restored from the current run")
	}
}
