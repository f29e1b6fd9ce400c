package gluecatalog

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
)

// A lake committed before registration was enabled: Sync registers the head
// commit of each partition, and a second Sync writes nothing.
func TestSyncRegistersEachPartitionsHead(t *testing.T) {
	ctx := context.Background()
	b, err := fsblob.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	commit := func(m *lake.Manifest, head int) {
		t.Helper()
		m.Files = []lake.File{{Key: lake.RunFolder(m.Partition, m.RunID) + "/part-00000.parquet"}}
		if err := b.Put(ctx, m.Files[0].Key, bytes.NewReader([]byte("PAR1"))); err != nil {
			t.Fatal(err)
		}
		if err := lake.Commit(ctx, b, m, head); err != nil {
			t.Fatal(err)
		}
	}
	lead := func(dt, run string) *lake.Manifest {
		return &lake.Manifest{Table: "crm/snapshot", Partition: lake.SnapshotPartition("Lead", dt), Object: "Lead", Dt: dt, RunID: run}
	}
	commit(lead("2026-11-19", "20261119T020000.000000Z"), 0)
	commit(lead("2026-11-20", "20261120T020000.000000Z"), 0)
	commit(lead("2026-11-20", "20261120T093000.000000Z"), 1) // the rerun is the head
	commit(&lake.Manifest{Table: "kpi", Partition: "kpi/quarter=2026Q4/as_of=2026-11-20", RunID: "20261120T030000.000000Z"}, 0)
	commit(&lake.Manifest{Table: "comp/statement_lines", Partition: "comp/quarter=2026Q3", RunID: "20261001T060000.000000Z"}, 0)
	commit(&lake.Manifest{Table: "exports/payroll", Partition: "exports/payroll/quarter=2026Q3", RunID: "20261002T100000.000000Z"}, 0)
	// Statement files beside the run folders are not manifests.
	if err := b.Put(ctx, "comp/quarter=2026Q3/statements/run=20261001T060000.000000Z/005000000000001.json", strings.NewReader("{}")); err != nil {
		t.Fatal(err)
	}

	fake, client := newGlueFake(t)
	cat := New(client, testDatabase, WithLake(testBucket, testPrefix))
	n, err := cat.Sync(ctx, b)
	if err != nil || n != 5 {
		t.Fatalf("synced %d partitions, %v; want 5", n, err)
	}
	want := map[string]string{
		"crm_snapshot_lead 2026-11-19": "crm/snapshot/object=Lead/dt=2026-11-19/run=20261119T020000.000000Z/",
		"crm_changes_lead 2026-11-19":  "crm/changes/object=Lead/dt=2026-11-19/run=20261119T020000.000000Z/",
		"crm_snapshot_lead 2026-11-20": "crm/snapshot/object=Lead/dt=2026-11-20/run=20261120T093000.000000Z/",
		"crm_changes_lead 2026-11-20":  "crm/changes/object=Lead/dt=2026-11-20/run=20261120T093000.000000Z/",
		"kpi_gold 2026Q4 2026-11-20":   "kpi/quarter=2026Q4/as_of=2026-11-20/run=20261120T030000.000000Z/",
		"comp_statement_lines 2026Q3":  "comp/quarter=2026Q3/run=20261001T060000.000000Z/",
		"exports_payroll 2026Q3":       "exports/payroll/quarter=2026Q3/run=20261002T100000.000000Z/",
	}
	if len(fake.Parts) != len(want) {
		t.Errorf("%d partitions registered, want %d", len(fake.Parts), len(want))
	}
	for k, loc := range want {
		f := strings.Fields(k)
		p, ok := fake.Partition(f[0], f[1:]...)
		if !ok || p.StorageDescriptor.Location != lakeRoot+loc {
			t.Errorf("%s: %+v, want at %s", k, p.StorageDescriptor, lakeRoot+loc)
		}
	}
	fake.TakeCalls()
	if n, err := cat.Sync(ctx, b); err != nil || n != 5 {
		t.Fatalf("second sync: %d, %v", n, err)
	}
	if calls := fake.TakeCalls(); slices.Contains(calls, "UpdatePartition") {
		t.Fatalf("second sync rewrote partitions: %v", calls)
	}
}

func TestManifestKey(t *testing.T) {
	tests := []struct {
		key, partition string
		seq            int
	}{
		{"kpi/quarter=2026Q4/as_of=2026-11-20/_manifest-000002.json", "kpi/quarter=2026Q4/as_of=2026-11-20", 2},
		{"comp/quarter=2026Q3/_manifest-000010.json", "comp/quarter=2026Q3", 10},
		{"comp/quarter=2026Q3/run=r/part-00000.parquet", "", 0},
		{"comp/quarter=2026Q3/_manifest-000000.json", "", 0},
		{"comp/quarter=2026Q3/_manifest-2.json", "", 0}, // not lake.ManifestKey's spelling
		{"comp/quarter=2026Q3/_manifest-000002.json.tmp", "", 0},
	}
	for _, tc := range tests {
		p, seq, ok := manifestKey(tc.key)
		if p != tc.partition || seq != tc.seq || ok != (tc.seq > 0) {
			t.Errorf("%s: %q %d %v, want %q %d", tc.key, p, seq, ok, tc.partition, tc.seq)
		}
	}
}
