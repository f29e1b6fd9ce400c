package gluecatalog

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/gluecatalog/gluefake"
	"github.com/venn-revops/venn/shared/lake"
)

type wantPartition struct {
	Table     string `json:"table"`
	Partition string `json:"partition"`
	Location  string `json:"location"`
}

type mappingCase struct {
	Name     string          `json:"name"`
	Manifest lake.Manifest   `json:"manifest"`
	Want     []wantPartition `json:"want"`
	Error    string          `json:"error"`
}

func loadCases(t *testing.T) []mappingCase {
	t.Helper()
	raw, err := os.ReadFile("testdata/targets.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []mappingCase `json:"cases"`
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("testdata/targets.json: %v", err)
	}
	if len(doc.Cases) < 10 {
		t.Fatalf("only %d cases in testdata/targets.json", len(doc.Cases))
	}
	return doc.Cases
}

// lakeRoot is where the test lake lives, as the want locations spell it.
const lakeRoot = "s3://" + testBucket + "/" + testPrefix

func TestTargets(t *testing.T) {
	for _, tc := range loadCases(t) {
		t.Run(tc.Name, func(t *testing.T) {
			got, err := Targets(&tc.Manifest)
			if tc.Error != "" {
				if err == nil || !strings.Contains(err.Error(), tc.Error) {
					t.Fatalf("error %v, want one containing %q", err, tc.Error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.Want) {
				t.Fatalf("%d targets %+v, want %d", len(got), got, len(tc.Want))
			}
			for i, w := range tc.Want {
				folder := strings.TrimSuffix(strings.TrimPrefix(w.Location, lakeRoot), "/")
				if got[i].Table != w.Table || got[i].Spec() != w.Partition || got[i].Folder != folder {
					t.Errorf("target %d: %s %s %s, want %s %s %s", i, got[i].Table, got[i].Spec(), got[i].Folder, w.Table, w.Partition, folder)
				}
			}
		})
	}
	_, err := Targets(&lake.Manifest{Table: "comp/statements", Partition: "comp/statements/quarter=2026Q3", RunID: "r"})
	if !errors.Is(err, ErrUnknownTable) {
		t.Fatalf("unknown table: %v, want ErrUnknownTable", err)
	}
}

// Every case registered through the real SDK client: each partition at its
// committed run folder, with the table's columns, formats and SerDe.
func TestRegisterEveryTableKind(t *testing.T) {
	fake, client := newGlueFake(t)
	cat := New(client, testDatabase, WithLake(testBucket, "lake")) // no slash: normalized as s3store does
	ctx := context.Background()
	for _, tc := range loadCases(t) {
		t.Run(tc.Name, func(t *testing.T) {
			fake.TakeCalls()
			err := cat.Register(ctx, &tc.Manifest)
			if tc.Error != "" {
				if err == nil || !strings.Contains(err.Error(), tc.Error) {
					t.Fatalf("error %v, want one containing %q", err, tc.Error)
				}
				if calls := fake.TakeCalls(); len(calls) != 0 {
					t.Fatalf("a rejected manifest still called Glue: %v", calls)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.Want {
				values := partitionValues(w.Partition)
				p, ok := fake.Partition(w.Table, values...)
				if !ok {
					t.Fatalf("%s %s not registered", w.Table, w.Partition)
				}
				sd, table := p.StorageDescriptor, fake.Tables[w.Table].StorageDescriptor
				if sd.Location != w.Location {
					t.Errorf("%s %s at %s, want %s", w.Table, w.Partition, sd.Location, w.Location)
				}
				if !slices.Equal(sd.Columns, table.Columns) || len(sd.Columns) == 0 {
					t.Errorf("%s: partition columns %v, table's %v", w.Table, sd.Columns, table.Columns)
				}
				if sd.InputFormat != table.InputFormat || sd.OutputFormat != table.OutputFormat || sd.InputFormat == "" ||
					sd.SerdeInfo == nil || sd.SerdeInfo.SerializationLibrary != "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe" {
					t.Errorf("%s: formats %s / %s, SerDe %+v", w.Table, sd.InputFormat, sd.OutputFormat, sd.SerdeInfo)
				}
				m := tc.Manifest
				if p.Parameters[ParamManifest] != m.Partition+"/_manifest-"+leftPad(m.Sequence)+".json" ||
					p.Parameters[ParamSequence] != strconv.Itoa(m.Sequence) || p.Parameters[ParamRunID] != m.RunID {
					t.Errorf("%s: parameters %v", w.Table, p.Parameters)
				}
			}
		})
	}
}

// A rerun of the night supersedes: the partitions move to the new run
// folder. A late registration of the older commit leaves them there, and
// registering the same commit again writes nothing.
func TestRerunMovesPartitionAndIsIdempotent(t *testing.T) {
	fake, client := newGlueFake(t)
	cat := New(client, testDatabase, WithLake(testBucket, testPrefix))
	ctx := context.Background()
	commit := func(seq int, run string, changes bool) *lake.Manifest {
		m := &lake.Manifest{Table: "crm/snapshot", Partition: lake.SnapshotPartition("Opportunity", "2026-11-20"), Object: "Opportunity", Dt: "2026-11-20",
			Sequence: seq, RunID: run}
		m.Files = []lake.File{{Key: lake.RunFolder(m.Partition, run) + "/part-00000.parquet"}}
		if changes {
			m.Changes = []lake.File{{Key: lake.RunFolder(lake.ChangesPartition("Opportunity", "2026-11-20"), run) + "/part-00000.parquet"}}
		}
		return m
	}
	at := func(table string) string {
		p, ok := fake.Partition(table, "2026-11-20")
		if !ok {
			t.Fatalf("%s dt=2026-11-20 not registered", table)
		}
		return p.StorageDescriptor.Location + " seq " + p.Parameters[ParamSequence]
	}
	first, rerun := commit(1, "20261120T020000.000000Z", true), commit(2, "20261120T091500.000000Z", false)

	if err := cat.Register(ctx, first); err != nil {
		t.Fatal(err)
	}
	if got, want := fake.TakeCalls(), []string{"GetTable", "CreatePartition", "GetTable", "CreatePartition"}; !slices.Equal(got, want) {
		t.Fatalf("first registration: calls %v, want %v", got, want)
	}
	if got, want := at("crm_snapshot_opportunity"), lakeRoot+"crm/snapshot/object=Opportunity/dt=2026-11-20/run=20261120T020000.000000Z/ seq 1"; got != want {
		t.Fatalf("after the first run: %s, want %s", got, want)
	}

	if err := cat.Register(ctx, rerun); err != nil {
		t.Fatal(err)
	}
	if got, want := fake.TakeCalls(), slices.Repeat([]string{"GetTable", "CreatePartition", "GetPartition", "UpdatePartition"}, 2); !slices.Equal(got, want) {
		t.Fatalf("rerun: calls %v, want %v", got, want)
	}
	wantSnap := lakeRoot + "crm/snapshot/object=Opportunity/dt=2026-11-20/run=20261120T091500.000000Z/ seq 2"
	// The rerun was a full pull (no change files): the first run's changes
	// are superseded, so the partition moves to the rerun's empty folder.
	wantChanges := lakeRoot + "crm/changes/object=Opportunity/dt=2026-11-20/run=20261120T091500.000000Z/ seq 2"
	check := func(when string) {
		t.Helper()
		if got := at("crm_snapshot_opportunity"); got != wantSnap {
			t.Errorf("%s: snapshot %s, want %s", when, got, wantSnap)
		}
		if got := at("crm_changes_opportunity"); got != wantChanges {
			t.Errorf("%s: changes %s, want %s", when, got, wantChanges)
		}
	}
	check("after the rerun")

	for _, late := range []*lake.Manifest{first, rerun} {
		if err := cat.Register(ctx, late); err != nil {
			t.Fatal(err)
		}
		if got, want := fake.TakeCalls(), slices.Repeat([]string{"GetTable", "CreatePartition", "GetPartition"}, 2); !slices.Equal(got, want) {
			t.Fatalf("registering sequence %d again: calls %v, want %v (no update)", late.Sequence, got, want)
		}
		check("registering sequence " + strconv.Itoa(late.Sequence) + " again")
	}
}

func TestRegisterErrorsNameTablePartitionLocation(t *testing.T) {
	ctx := context.Background()
	kpi := &lake.Manifest{Table: "kpi", Partition: "kpi/quarter=2026Q4/as_of=2026-11-20", Sequence: 1, RunID: "20261120T020000.000000Z"}
	tests := []struct {
		name     string
		database string
		bucket   string
		m        *lake.Manifest
		want     []string
	}{
		{name: "table missing from the catalog", database: testDatabase, bucket: testBucket,
			m:    &lake.Manifest{Table: "crm/snapshot", Partition: lake.SnapshotPartition("Widget", "2026-11-20"), Object: "Widget", Dt: "2026-11-20", Sequence: 1, RunID: "r1"},
			want: []string{"glue table venn_test.crm_snapshot_widget partition dt=2026-11-20", "does not exist", "EntityNotFoundException"}},
		{name: "wrong database", database: "venn_prod", bucket: testBucket, m: kpi,
			want: []string{"glue table venn_prod.kpi_gold partition quarter=2026Q4/as_of=2026-11-20", "GLUE_DATABASE"}},
		{name: "catalog over another bucket than the job writes", database: testDatabase, bucket: "venn-lake-prod", m: kpi,
			want: []string{"kpi_gold partition quarter=2026Q4/as_of=2026-11-20", `table location "s3://venn-lake-test/lake/kpi/"`,
				"s3://venn-lake-prod/lake/kpi/quarter=2026Q4/as_of=2026-11-20/run=20261120T020000.000000Z/"}},
		{name: "partition keys differ from the table's", database: testDatabase, bucket: testBucket,
			m:    &lake.Manifest{Table: "kpi", Partition: "kpi/quarter=2026Q4", Sequence: 1, RunID: "r1"},
			want: []string{"kpi_gold partition quarter=2026Q4", "partition keys are [quarter as_of], the lake path has [quarter]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake, client := newGlueFake(t)
			err := New(client, tc.database, WithLake(tc.bucket, testPrefix)).Register(ctx, tc.m)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if len(fake.Parts) != 0 {
				t.Errorf("partitions written: %v", fake.Parts)
			}
		})
	}
}

func TestThrottlingRetried(t *testing.T) {
	ctx := context.Background()
	m := &lake.Manifest{Table: "exports/payroll", Partition: "exports/payroll/quarter=2026Q3", Sequence: 1, RunID: "20261002T100000.000000Z"}
	want := lakeRoot + "exports/payroll/quarter=2026Q3/run=20261002T100000.000000Z/"

	fake, client := newGlueFake(t)
	fake.Throttle["GetTable"], fake.Throttle["CreatePartition"] = 2, 3
	if err := New(client, testDatabase, WithLake(testBucket, testPrefix)).Register(ctx, m); err != nil {
		t.Fatalf("throttled 5 times: %v", err)
	}
	if got, want := fake.TakeCalls(), []string{"GetTable", "GetTable", "GetTable", "CreatePartition", "CreatePartition", "CreatePartition", "CreatePartition"}; !slices.Equal(got, want) {
		t.Fatalf("calls %v, want %v", got, want)
	}
	if p, ok := fake.Partition("exports_payroll", "2026Q3"); !ok || p.StorageDescriptor.Location != want {
		t.Fatalf("partition %+v, want at %s", p, want)
	}

	// Throttled beyond the retryer's 10 attempts: the run fails, naming what
	// it could not register.
	fake, client = newGlueFake(t)
	fake.Throttle["CreatePartition"] = 100
	err := New(client, testDatabase, WithLake(testBucket, testPrefix)).Register(ctx, m)
	if err == nil || !strings.Contains(err.Error(), "ThrottlingException") || !strings.Contains(err.Error(), "exports_payroll partition quarter=2026Q3 at "+want) {
		t.Fatalf("error %v", err)
	}
	if n := strings.Count(strings.Join(fake.TakeCalls(), " "), "CreatePartition"); n != 10 {
		t.Fatalf("%d CreatePartition attempts, want 10", n)
	}
}

// PITFALLS, lost responses: the SDK resends a CreatePartition or
// UpdatePartition whose response was lost; the resent create meets
// AlreadyExistsException for the partition it made itself, which is success.
func TestLostResponseRetried(t *testing.T) {
	ctx := context.Background()
	first := &lake.Manifest{Table: "comp/statement_lines", Partition: "comp/quarter=2026Q3", Sequence: 1, RunID: "20261001T060000.000000Z"}
	rerun := &lake.Manifest{Table: "comp/statement_lines", Partition: "comp/quarter=2026Q3", Sequence: 2, RunID: "20261002T060000.000000Z"}
	fake, client := newGlueFake(t)
	cat := New(client, testDatabase, WithLake(testBucket, testPrefix))

	fake.Lose["CreatePartition"] = 1
	if err := cat.Register(ctx, first); err != nil {
		t.Fatalf("create whose response was lost: %v", err)
	}
	if got, want := fake.TakeCalls(), []string{"GetTable", "CreatePartition", "CreatePartition", "GetPartition"}; !slices.Equal(got, want) {
		t.Fatalf("calls %v, want %v", got, want)
	}
	fake.Lose["UpdatePartition"] = 1
	if err := cat.Register(ctx, rerun); err != nil {
		t.Fatalf("update whose response was lost: %v", err)
	}
	if got, want := fake.TakeCalls(), []string{"GetTable", "CreatePartition", "GetPartition", "UpdatePartition", "UpdatePartition"}; !slices.Equal(got, want) {
		t.Fatalf("calls %v, want %v", got, want)
	}
	p, _ := fake.Partition("comp_statement_lines", "2026Q3")
	if want := lakeRoot + "comp/quarter=2026Q3/run=20261002T060000.000000Z/"; p.StorageDescriptor.Location != want {
		t.Fatalf("at %s, want %s", p.StorageDescriptor.Location, want)
	}
}

// The mapping's table names, partition keys and lake paths are those of
// infra/glue.yaml, for every CRM object and gold table; every table whose
// partitions are registered is reachable; projected tables are not touched.
func TestMappingMatchesGlueYAML(t *testing.T) {
	tables := map[string]fakeTable{}
	for _, tb := range gluefake.Definitions(t, testDatabase, testBucket, testPrefix) {
		tables[tb.Name] = tb
	}
	var ms []*lake.Manifest
	for _, o := range crm.Objects {
		ms = append(ms, &lake.Manifest{Table: snapshotTable, Partition: lake.SnapshotPartition(o.Name, "2026-11-20"), Object: o.Name, Dt: "2026-11-20", RunID: "r"})
	}
	ms = append(ms,
		&lake.Manifest{Table: "kpi", Partition: "kpi/quarter=2026Q4/as_of=2026-11-20", RunID: "r"},
		&lake.Manifest{Table: "kpi/credit", Partition: "kpi/credit/quarter=2026Q4/as_of=2026-11-20", RunID: "r"},
		&lake.Manifest{Table: "kpi/response", Partition: "kpi/response/quarter=2026Q4/as_of=2026-11-20", RunID: "r"},
		&lake.Manifest{Table: "comp/statement_lines", Partition: "comp/quarter=2026Q3", RunID: "r"},
		&lake.Manifest{Table: "comp/statement_status", Partition: "comp/statement_status/quarter=2026Q3", RunID: "r"},
		&lake.Manifest{Table: "exports/payroll", Partition: "exports/payroll/quarter=2026Q3", RunID: "r"},
		&lake.Manifest{Table: "score/lead", Partition: "score/lead/as_of=2026-11-20", RunID: "r"},
		&lake.Manifest{Table: "score/factor", Partition: "score/factor/as_of=2026-11-20", RunID: "r"},
		&lake.Manifest{Table: "score/metric", Partition: "score/metric/as_of=2026-11-20", RunID: "r"},
		&lake.Manifest{Table: "score/band", Partition: "score/band/as_of=2026-11-20", RunID: "r"})
	reached := map[string]bool{}
	for _, m := range ms {
		targets, err := Targets(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, tg := range targets {
			reached[tg.Table] = true
			tb, ok := tables[tg.Table]
			if !ok {
				t.Errorf("%s: no table %s in infra/glue.yaml", m.Partition, tg.Table)
				continue
			}
			var keys []string
			for _, k := range tb.PartitionKeys {
				keys = append(keys, k.Name)
			}
			if !slices.Equal(keys, tg.Keys) {
				t.Errorf("%s: partition keys %v, infra/glue.yaml has %v", tg.Table, tg.Keys, keys)
			}
			if loc := tb.StorageDescriptor.Location; loc != lakeRoot+tg.Root {
				t.Errorf("%s: lake path %s, infra/glue.yaml location %s", tg.Table, tg.Root, loc)
			}
		}
	}
	for name, tb := range tables {
		registered := tb.Parameters["projection.enabled"] == "false"
		if registered != reached[name] {
			t.Errorf("%s: registered by the jobs %v (projection.enabled %q), reached by the mapping %v", name, registered, tb.Parameters["projection.enabled"], reached[name])
		}
	}
	if len(reached) != 2*len(crm.Objects)+10 {
		t.Errorf("%d tables reached, want %d", len(reached), 2*len(crm.Objects)+10)
	}
}

// Every lake table the writers commit (lake.TableOptions.Table and the
// extract's manifest Table, as literals in their source) has a mapping, so a
// new gold table cannot ship without its Glue registration.
func TestEveryWrittenTableIsMapped(t *testing.T) {
	literal := regexp.MustCompile(`\bTable:\s*"([^"]+)"`)
	var found []string
	for _, dir := range []string{"../pipeline", "../extract"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range literal.FindAllStringSubmatch(string(src), -1) {
				found = append(found, m[1])
				if _, gold := goldTables[m[1]]; !gold && m[1] != snapshotTable {
					t.Errorf("%s writes lake table %q, which has no Glue mapping", f, m[1])
				}
			}
		}
	}
	if len(found) < 4 {
		t.Fatalf("found only %v: the scan is missing writers", found)
	}
}

func partitionValues(spec string) []string {
	var vs []string
	for _, seg := range strings.Split(spec, "/") {
		_, v, _ := strings.Cut(seg, "=")
		vs = append(vs, v)
	}
	return vs
}

func leftPad(seq int) string {
	s := strconv.Itoa(seq)
	return strings.Repeat("0", 6-len(s)) + s
}
