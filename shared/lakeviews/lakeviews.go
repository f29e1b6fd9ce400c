// Package lakeviews generates SQL views over the lake's committed runs, so
// DuckDB (and, through the same file lists, Spark) reads the lake without
// Athena and without counting superseded runs.
//
// A plain glob over the lake (read_parquet('out/lake/exports/**/*.parquet'))
// reads every run folder, the superseded ones too: a quarter approved twice
// shows its payroll rows twice. Only the manifests say which run of a
// partition is committed. So the views are generated from them: one view
// per table (named as the Glue table, with the same partition columns) over
// the explicit list of the files its partitions' head manifests name, plus
// latest_* views. The file is a picture of the lake at generation time;
// the jobs and `venn views` regenerate it after commits.
//
// Athena needs no file lists (its Glue partitions already point at the
// committed run folders); its file holds the latest_* views only.
package lakeviews

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/venn-revops/venn/shared/gluecatalog"
	"github.com/venn-revops/venn/shared/lake"
)

// Where the generated files live, relative to the lake root.
const (
	DuckDBKey = "_views/duckdb.sql"
	AthenaKey = "_views/athena.sql"
)

// RootVariable is the DuckDB variable the views prefix every file key with:
// the lake's folder or s3://bucket/prefix. The file sets it unless the
// session already did, so one file serves a copy of the lake elsewhere.
const RootVariable = "venn_lake"

// Table is one table of the lake as its committed manifests describe it.
type Table struct {
	Name string   // the Glue table name: crm_snapshot_lead, kpi_gold, …
	Keys []string // partition keys, current names (as_of, not asof)
	// Unregistered: Glue has no table for it (yet), so the Athena file
	// leaves it out; the DuckDB view is named after the lake path.
	Unregistered bool
	// Partitions are the committed partitions, sorted by path.
	Partitions []Partition
}

// Partition is the committed run of one partition.
type Partition struct {
	Manifest string   // key of the head manifest
	Values   []string // partition values, in Keys order
	// PathKeys are the keys as the folder names them (a lake written before
	// the as_of rename has asof=); RootKeys are the key=value segments of
	// the table's own path (object=Lead), which are no column.
	PathKeys      []string
	RootKeys      []string
	SchemaVersion string
	Files         []string // data file keys, as the manifest lists them
	Rows          int64    // the rows of Files
	committed     []lake.File
}

// Rows is the table's committed row count, summed from the manifests.
func (t *Table) Rows() int64 {
	var n int64
	for _, p := range t.Partitions {
		n += p.Rows
	}
	return n
}

// Lake is what the views are generated from.
type Lake struct {
	Tables []Table // sorted by name
	// Skipped are head manifests of lake tables no view is generated for
	// (no Glue table maps them), by manifest key.
	Skipped []string
	// Expired are change files a manifest names that the lake no longer
	// holds (the S3 lifecycle expires crm/changes/ after
	// ChangesRetentionDays); the views leave them out.
	Expired []string
}

// changesPrefix holds the change files a snapshot manifest names; it has
// no manifests of its own.
const changesPrefix = "crm/changes/"

// Collect lists the lake once, reads the head manifest of every partition
// and groups them by table. A data file a head manifest names that the
// lake does not hold is an error (naming both), except a change file the
// lifecycle expired.
func Collect(ctx context.Context, b lake.Blob) (*Lake, error) {
	l, err := lake.ListPartitions(ctx, b, "")
	if err != nil {
		return nil, fmt.Errorf("lakeviews: %w", err)
	}
	exists := make(map[string]bool, len(l.Keys))
	for _, k := range l.Keys {
		exists[k] = true
	}
	tables := map[string]*Table{}
	out := &Lake{}
	for _, key := range l.Heads() {
		m, err := lake.ReadManifest(ctx, b, key)
		if err != nil {
			return nil, fmt.Errorf("lakeviews: %w", err)
		}
		targets, err := gluecatalog.Targets(m)
		unknown := errors.Is(err, gluecatalog.ErrUnknownTable)
		if unknown {
			// A table Glue does not know yet (a new gold table): named
			// after its lake path, partitioned by its folders.
			var t gluecatalog.Target
			if t, err = unregistered(m); err != nil {
				out.Skipped = append(out.Skipped, key)
				continue
			}
			targets = []gluecatalog.Target{t}
		}
		if err != nil {
			return nil, fmt.Errorf("lakeviews: %s: %w", key, err)
		}
		for _, t := range targets {
			p, err := partitionOf(m, t)
			if err != nil {
				return nil, fmt.Errorf("lakeviews: %s: %w", key, err)
			}
			for _, f := range p.committed {
				switch {
				case exists[f.Key]:
					p.Files = append(p.Files, f.Key)
					p.Rows += f.Rows
				case strings.HasPrefix(f.Key, changesPrefix):
					out.Expired = append(out.Expired, f.Key)
				default:
					return nil, fmt.Errorf("lakeviews: %s names %s, which the lake does not hold", key, f.Key)
				}
			}
			p.committed = nil
			tb := tables[t.Table]
			if tb == nil {
				tb = &Table{Name: t.Table, Keys: t.Keys, Unregistered: unknown}
				tables[t.Table] = tb
			} else if !equal(tb.Keys, t.Keys) {
				return nil, fmt.Errorf("lakeviews: %s: table %s has partition keys %v here and %v elsewhere", key, t.Table, t.Keys, tb.Keys)
			}
			tb.Partitions = append(tb.Partitions, p)
		}
	}
	for _, tb := range tables {
		sort.Slice(tb.Partitions, func(i, j int) bool { return tb.Partitions[i].Manifest < tb.Partitions[j].Manifest })
		out.Tables = append(out.Tables, *tb)
	}
	sort.Slice(out.Tables, func(i, j int) bool { return out.Tables[i].Name < out.Tables[j].Name })
	return out, nil
}

// unregistered is the target of a manifest of a table Glue has no table
// for: score/lead (partition score/lead/as_of=…) is the view score_lead.
func unregistered(m *lake.Manifest) (gluecatalog.Target, error) {
	segs := strings.Split(m.Partition, "/")
	i := slices.IndexFunc(segs, func(s string) bool { return strings.Contains(s, "=") })
	if i <= 0 || m.Table == "" || m.RunID == "" {
		return gluecatalog.Target{}, fmt.Errorf("partition %s: no table path", m.Partition)
	}
	t := gluecatalog.Target{Table: strings.ReplaceAll(m.Table, "/", "_"), Root: strings.Join(segs[:i], "/") + "/", Folder: lake.RunFolder(m.Partition, m.RunID)}
	for _, seg := range segs[i:] {
		k, v, ok := strings.Cut(seg, "=")
		if !ok || k == "" {
			return gluecatalog.Target{}, fmt.Errorf("partition %s: segment %q is not key=value", m.Partition, seg)
		}
		t.Keys = append(t.Keys, lake.PartitionKey(k))
		t.Values = append(t.Values, v)
	}
	return t, nil
}

// partitionOf is the committed run of target t of manifest m: the files of
// the manifest (data or change files) under t's run folder.
func partitionOf(m *lake.Manifest, t gluecatalog.Target) (Partition, error) {
	p := Partition{Manifest: m.Key(), Values: t.Values, SchemaVersion: m.SchemaVersion}
	for _, seg := range strings.Split(strings.TrimSuffix(t.Root, "/"), "/") {
		if k, _, ok := strings.Cut(seg, "="); ok {
			p.RootKeys = append(p.RootKeys, k)
		}
	}
	rest := strings.TrimPrefix(path.Dir(t.Folder), t.Root)
	for _, seg := range strings.Split(rest, "/") {
		k, _, _ := strings.Cut(seg, "=")
		p.PathKeys = append(p.PathKeys, k)
	}
	if len(p.PathKeys) != len(t.Keys) {
		return p, fmt.Errorf("run folder %s has keys %v, the table %v", t.Folder, p.PathKeys, t.Keys)
	}
	for _, files := range [][]lake.File{m.Files, m.Changes} {
		for _, f := range files {
			if strings.HasPrefix(f.Key, t.Folder+"/") {
				p.committed = append(p.committed, f)
			}
		}
	}
	return p, nil
}

func equal(a, b []string) bool { return strings.Join(a, "/") == strings.Join(b, "/") }

// Result is what Write wrote.
type Result struct {
	Lake   *Lake
	DuckDB []byte
	Athena []byte
}

// Write generates both files from the lake's manifests and stores them at
// DuckDBKey and AthenaKey. root is the lake as DuckDB should open it (an
// absolute folder, or s3://bucket/prefix).
func Write(ctx context.Context, b lake.Blob, root string) (*Result, error) {
	l, err := Collect(ctx, b)
	if err != nil {
		return nil, err
	}
	r := &Result{Lake: l, DuckDB: DuckDB(l, root), Athena: Athena(l)}
	for key, body := range map[string][]byte{DuckDBKey: r.DuckDB, AthenaKey: r.Athena} {
		if err := b.Put(ctx, key, bytes.NewReader(body)); err != nil {
			return nil, fmt.Errorf("lakeviews: %w", err)
		}
	}
	return r, nil
}
