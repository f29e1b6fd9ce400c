package gluecatalog_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/venn-revops/venn/shared/demo"
	"github.com/venn-revops/venn/shared/gluecatalog"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
)

// The manifests the real jobs commit (the demo: two nights of extracts, two
// quarter closes, payouts, approvals and exports) register at run folders
// that hold exactly the files each head manifest committed.
func TestDemoLakeRegistersAtCommittedFolders(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole demo")
	}
	ctx := context.Background()
	out := t.TempDir()
	rep, err := demo.Run(ctx, demo.Options{Out: out}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	b, err := fsblob.New(rep.Lake)
	if err != nil {
		t.Fatal(err)
	}
	partitions, client := gluecatalog.NewGlueFake(t)
	n, err := gluecatalog.New(client, gluecatalog.TestDatabase, gluecatalog.WithLake(gluecatalog.TestBucket, gluecatalog.TestPrefix)).Sync(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if n < 20 {
		t.Fatalf("only %d partitions committed by the demo", n)
	}
	tables := map[string]int{} // partitions per table
	registered := partitions()
	for _, p := range registered {
		table := p.Table
		tables[table]++
		folder, ok := strings.CutPrefix(p.Location, gluecatalog.LakeRoot)
		if !ok || !strings.HasSuffix(folder, "/") {
			t.Fatalf("%s at %s", table, p.Location)
		}
		// The location is the run folder of the partition's head manifest.
		m, err := lake.ReadManifest(ctx, b, p.Manifest)
		if err != nil {
			t.Fatal(err)
		}
		if head, err := lake.Latest(ctx, b, m.Partition); err != nil || head.Key() != m.Key() {
			t.Fatalf("%s registered %s, the head is %v (%v)", table, m.Key(), head, err)
		}
		files := m.Files
		if strings.HasPrefix(table, "crm_changes_") {
			files = m.Changes
		}
		// Every committed file is in the folder Athena reads, and nothing else is.
		var listed []string
		err = filepath.WalkDir(filepath.Join(rep.Lake, folder), func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				rel, _ := filepath.Rel(rep.Lake, path)
				listed = append(listed, filepath.ToSlash(rel))
			}
			if os.IsNotExist(err) && len(files) == 0 {
				return nil // no files committed: the folder never existed
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(listed) != len(files) {
			t.Errorf("%s at %s: %d files there, %d committed", table, folder, len(listed), len(files))
		}
		for i, f := range files {
			if i < len(listed) && listed[i] != f.Key {
				t.Errorf("%s: file %s, committed %s", table, listed[i], f.Key)
			}
		}
	}
	t.Logf("%d manifests registered as %d partitions: %v", n, len(registered), tables)
	for _, table := range []string{"crm_snapshot_opportunity", "crm_changes_opportunity", "kpi_gold", "kpi_credit", "kpi_response", "comp_statement_lines", "exports_payroll"} {
		if tables[table] == 0 {
			t.Errorf("no %s partition registered from the demo lake (%v)", table, tables)
		}
	}
}
