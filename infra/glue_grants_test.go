package infra

import (
	"path"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/gluecatalog"
	"github.com/venn-revops/venn/shared/lake"
)

// glueARN is the Sub text of a Glue catalog ARN in this template.
const glueARN = "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:"

// registerActions are the calls gluecatalog.Catalog makes, and all a
// function may do in Glue. The extract's snapshot tables also follow the
// committed schemas (columns appended, configured objects' tables
// created), so it may update and create tables too: only its own
// crm_snapshot_*/crm_changes_* tables, as the resources say.
var (
	registerActions = []string{"glue:CreatePartition", "glue:GetPartition", "glue:GetTable", "glue:UpdatePartition"}
	extractActions  = []string{"glue:CreatePartition", "glue:CreateTable", "glue:GetPartition", "glue:GetTable", "glue:UpdatePartition", "glue:UpdateTable"}
)

// committed is a sample of the manifests each function commits and then
// registers (shared/pipeline: extract, kpi, payouts, approve, score).
func committed() map[string][]*lake.Manifest {
	var snapshots []*lake.Manifest
	for _, o := range crm.Objects {
		snapshots = append(snapshots, &lake.Manifest{Table: "crm/snapshot", Partition: lake.SnapshotPartition(o.Name, "2026-11-20"), Object: o.Name, Dt: "2026-11-20", RunID: "r"})
	}
	return map[string][]*lake.Manifest{
		"ExtractFunction": snapshots,
		"KpiFunction": {
			{Table: "kpi", Partition: "kpi/quarter=2026Q4/as_of=2026-11-20", RunID: "r"},
			{Table: "kpi/credit", Partition: "kpi/credit/quarter=2026Q4/as_of=2026-11-20", RunID: "r"},
			{Table: "kpi/response", Partition: "kpi/response/quarter=2026Q4/as_of=2026-11-20", RunID: "r"},
		},
		"PayoutsFunction": {
			{Table: "comp/statement_lines", Partition: "comp/quarter=2026Q3", RunID: "r"},
			{Table: "comp/statement_status", Partition: "comp/statement_status/quarter=2026Q3", RunID: "r"},
		},
		"ScoreFunction": {
			{Table: "score/lead", Partition: "score/lead/as_of=2026-11-20", RunID: "r"},
			{Table: "score/factor", Partition: "score/factor/as_of=2026-11-20", RunID: "r"},
			{Table: "score/metric", Partition: "score/metric/as_of=2026-11-20", RunID: "r"},
			{Table: "score/band", Partition: "score/band/as_of=2026-11-20", RunID: "r"},
		},
		"ApproveFunction": {
			{Table: "exports/payroll", Partition: "exports/payroll/quarter=2026Q3", RunID: "r"},
			{Table: "comp/statement_status", Partition: "comp/statement_status/quarter=2026Q3", RunID: "r"},
		},
	}
}

// sharedTables are registered by two functions, each when it changes them:
// the statement status by payouts (new drafts) and by approve (approvals).
// Commits of one partition are serialized by the manifest commit, and a
// registration never moves a partition back to an older commit.
var sharedTables = map[string]int{"comp_statement_status": 2}

// Each function that commits has GLUE_DATABASE, the database of the
// GlueCatalog stack, and may register partitions of exactly the tables its
// manifests map to (gluecatalog.Targets): catalog, database and those
// tables, the four calls the adapter makes, nothing else in Glue.
func TestGlueRegistrationGrants(t *testing.T) {
	tmpl := loadTemplate(t, templatePath)
	db := subText(get(tmpl, "Resources", "GlueCatalog", "Properties", "Parameters", "DatabaseName"))
	if db == "" {
		t.Fatal("GlueCatalog passes no DatabaseName")
	}
	jobs := committed()
	fns := functionProps(t, tmpl)

	// The tables each function's grant names, by function.
	granted := map[string][]string{}
	for _, st := range policyStatements(tmpl) {
		if !slices.ContainsFunc(st.actions, func(a string) bool { return strings.HasPrefix(a, "glue:") }) || fns[st.where] == nil {
			continue
		}
		// A read-only grant is the KPI job's reading of the snapshot
		// tables through Athena (KPI_ATHENA_MIN_ROWS), which registers
		// nothing.
		if !slices.ContainsFunc(st.actions, func(a string) bool { return !strings.HasPrefix(a, "glue:Get") }) {
			if st.where != "KpiFunction" {
				t.Errorf("%s: read-only glue grant %v: only the KPI job reads through Athena", st.where, st.actions)
			}
			continue
		}
		acts := slices.Clone(st.actions)
		sort.Strings(acts)
		want := registerActions
		if st.where == "ExtractFunction" {
			want = extractActions
		}
		if st.effect != "Allow" || !slices.Equal(acts, want) || st.condition != nil {
			t.Errorf("%s: glue statement %s %v, want Allow %v", st.where, st.effect, acts, want)
		}
		var catalog, database bool
		for _, r := range st.resources {
			s := subText(r)
			switch {
			case s == glueARN+"catalog":
				catalog = true
			case s == glueARN+"database/"+db:
				database = true
			case strings.HasPrefix(s, glueARN+"table/"+db+"/"):
				granted[st.where] = append(granted[st.where], strings.TrimPrefix(s, glueARN+"table/"+db+"/"))
			default:
				t.Errorf("%s: glue resource %v is not the catalog, database %s or one of its tables", st.where, r, db)
			}
		}
		if !catalog || !database {
			t.Errorf("%s: glue grant without the catalog (%v) or the database (%v): Glue authorizes partition calls on all three", st.where, catalog, database)
		}
	}

	for id, p := range fns {
		env := get(p, "Environment", "Variables")
		if got := subText(get(env, "GLUE_DATABASE")); (jobs[id] != nil) != (got == db) {
			t.Errorf("%s: GLUE_DATABASE %q, want %q exactly when the function commits", id, got, db)
		}
		if jobs[id] == nil && granted[id] != nil {
			t.Errorf("%s commits nothing but may register %v", id, granted[id])
		}
	}

	// Every table a function registers is granted to it, and every grant
	// is used by some table it registers.
	for id, ms := range jobs {
		used := map[string]bool{}
		for _, m := range ms {
			targets, err := gluecatalog.Targets(m)
			if err != nil {
				t.Fatal(err)
			}
			for _, tg := range targets {
				i := slices.IndexFunc(granted[id], func(pattern string) bool { ok, _ := path.Match(pattern, tg.Table); return ok })
				if i < 0 {
					t.Errorf("%s registers %s but its grant names only %v", id, tg.Table, granted[id])
					continue
				}
				used[granted[id][i]] = true
			}
		}
		for _, pattern := range granted[id] {
			if !used[pattern] {
				t.Errorf("%s: grant on table %s, which it never registers", id, pattern)
			}
		}
	}

	// Every registered (not projected) table of glue.yaml is granted to
	// exactly one function (two for sharedTables); projected tables to none.
	for _, tb := range catalog(t) {
		var who []string
		for id, patterns := range granted {
			if slices.ContainsFunc(patterns, func(pattern string) bool { ok, _ := path.Match(pattern, tb.name); return ok }) {
				who = append(who, id)
			}
		}
		if want := max(1, sharedTables[tb.name]); tb.projection != nil {
			want = 0
			if len(who) != want {
				t.Errorf("%s uses projection, yet %v may register its partitions", tb.name, who)
			}
		} else if len(who) != want {
			t.Errorf("%s: partitions registered by %v, want exactly one function", tb.name, who)
		}
	}

	// Nothing else in the template may change the catalog: readers read.
	for _, st := range policyStatements(tmpl) {
		if fns[st.where] != nil {
			continue
		}
		for _, a := range st.actions {
			if strings.HasPrefix(a, "glue:") && !strings.HasPrefix(a, "glue:Get") {
				t.Errorf("%s: %s", st.where, a)
			}
		}
	}
}
