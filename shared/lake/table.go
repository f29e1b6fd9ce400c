package lake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/parquet-go/parquet-go"
)

// TableOptions describe one commit of a gold table (kpi/, comp/, exports/).
type TableOptions struct {
	Table string // lake table name, recorded in files and manifest, e.g. "kpi"
	RunID string // names the run folder; required
	// Meta is provenance recorded in the manifest (input manifests, plan
	// version, code version, …).
	Meta map[string]string
	// Now stamps CommittedAt; nil means time.Now.
	Now func() time.Time
	WriterOptions
}

// TableWriter writes rows of T (a struct with parquet tags, e.g.
// `Amount int64 \`parquet:"amount,decimal(2:18)"\“) into
// <partition>/run=<RunID>/part-NNNNN.parquet and commits them with a
// manifest exactly as the CRM snapshots are committed (see Commit): nothing
// is visible until Commit, a rerun supersedes, concurrent writers conflict.
type TableWriter[T any] struct {
	ctx       context.Context
	partition string
	opts      TableOptions
	head      int
	parts     parts
	w         *parquet.GenericWriter[T]
	schema    *parquet.Schema
}

// NewTableWriter starts a run of partition (e.g. "kpi/quarter=2026Q4/as_of=2026-11-20").
// It records the partition's current head so Commit detects a concurrent
// commit.
func NewTableWriter[T any](ctx context.Context, b Blob, partition string, opts TableOptions) (*TableWriter[T], error) {
	if opts.RunID == "" {
		return nil, fmt.Errorf("write table %s: RunID is required", partition)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	head, err := Head(ctx, b, partition)
	if err != nil {
		return nil, err
	}
	tw := &TableWriter[T]{ctx: ctx, partition: partition, opts: opts, head: head, schema: parquet.SchemaOf(new(T))}
	tw.parts = parts{ctx: ctx, blob: b, folder: RunFolder(partition, opts.RunID), name: "part", opts: opts.WriterOptions.withDefaults()}
	tw.parts.open = func(out io.Writer) encoder {
		tw.w = parquet.NewGenericWriter[T](out,
			parquet.Compression(zstdCodec),
			parquet.KeyValueMetadata(MetaTable, opts.Table),
			parquet.KeyValueMetadata(MetaSchemaVersion, tableSchemaVersion(tw.schema)),
			parquet.CreatedBy("venn", "1", ""),
		)
		return tw.w
	}
	return tw, nil
}

// tableSchemaVersion digests the Go-derived Parquet schema, so a change of
// T's columns or types shows up as a new version.
func tableSchemaVersion(s *parquet.Schema) string {
	sum := sha256.Sum256([]byte(s.String()))
	return "v1-" + hex.EncodeToString(sum[:6])
}

// Write appends rows, rolling files and row groups at their bounds.
func (tw *TableWriter[T]) Write(rows []T) error {
	for len(rows) > 0 {
		if err := tw.parts.before(); err != nil {
			return err
		}
		room := min(tw.parts.opts.FileRows-tw.parts.rows, tw.parts.opts.RowGroupRows-tw.parts.inGroup)
		chunk := rows[:min(room, len(rows))]
		n, err := tw.w.Write(chunk)
		if err != nil {
			return fmt.Errorf("encode %s rows into %s: %w", tw.opts.Table, tw.parts.nextKey(), err)
		}
		if err := tw.parts.after(n); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// Commit finishes the files and commits the manifest. It returns the
// committed manifest, or an error wrapping ErrCommitConflict.
func (tw *TableWriter[T]) Commit() (*Manifest, error) {
	if err := tw.parts.finish(); err != nil {
		return nil, err
	}
	m := &Manifest{
		Table:         tw.opts.Table,
		Partition:     tw.partition,
		RunID:         tw.opts.RunID,
		SchemaVersion: tableSchemaVersion(tw.schema),
		Schema:        schemaColumns(tw.schema),
		Files:         tw.parts.files,
		Meta:          tw.opts.Meta,
		CommittedAt:   tw.opts.Now().UTC(),
	}
	if m.Files == nil {
		m.Files = []File{}
	}
	for _, f := range m.Files {
		m.Rows += f.Rows
	}
	if err := Commit(tw.ctx, tw.parts.blob, m, tw.head); err != nil {
		return nil, err
	}
	return m, nil
}

// Abort drops the file in progress; nothing is committed.
func (tw *TableWriter[T]) Abort() { tw.parts.abort() }

// WriteTable writes rows into partition and commits them in one call. See
// TableWriter.
func WriteTable[T any](ctx context.Context, b Blob, partition string, rows []T, opts TableOptions) (*Manifest, error) {
	tw, err := NewTableWriter[T](ctx, b, partition, opts)
	if err != nil {
		return nil, err
	}
	if err := tw.Write(rows); err != nil {
		tw.Abort()
		return nil, err
	}
	return tw.Commit()
}

// schemaColumns describes a Parquet schema's top-level columns for a
// manifest.
func schemaColumns(s *parquet.Schema) []Column {
	var out []Column
	for _, f := range s.Fields() {
		typ := f.Type().String()
		if lt := f.Type().LogicalType(); lt != nil {
			typ = lt.String()
		}
		out = append(out, Column{Name: f.Name(), Type: typ, Required: f.Required()})
	}
	return out
}
