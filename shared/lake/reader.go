package lake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"

	"github.com/parquet-go/parquet-go"

	"github.com/venn-revops/venn/shared/crm"
)

// readBufferSize is how much parquet-go reads from a file at a time. On S3
// every ReadAt is a ranged GET; with parquet-go's default of 4 KiB a page
// costs a GET for its header and one for its body, while 1 MiB blocks take
// several pages per GET (a file is read column chunk by column chunk, so
// memory is about one block per projected column being read).
const readBufferSize = 1 << 20

// openFile opens a committed file and checks its size against the manifest
// (a truncated upload or a replaced object fails loudly here).
func openFile(ctx context.Context, b Blob, f File) (*parquet.File, io.Closer, error) {
	ra, size, closer, err := b.Open(ctx, f.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("open %s: %w", f.Key, err)
	}
	if f.Bytes > 0 && size != f.Bytes {
		closer.Close()
		return nil, nil, fmt.Errorf("open %s: %d bytes, manifest says %d", f.Key, size, f.Bytes)
	}
	pf, err := parquet.OpenFile(ra, size, parquet.ReadBufferSize(readBufferSize))
	if err != nil {
		closer.Close()
		return nil, nil, fmt.Errorf("open parquet %s: %w", f.Key, err)
	}
	return pf, closer, nil
}

// ReadRows streams the rows of files (a manifest's Files or Changes) as
// rows of o, in file order. Columns are matched by name, so files written
// under an older registry read fine: a column the file lacks reads as null,
// a column o lacks is ignored. When the files carry the _op column, op is
// its value, else "". row is reused between calls; memory stays at one
// batch of rows.
func ReadRows(ctx context.Context, b Blob, o *crm.Object, files []File, fn func(row *crm.Row, op string) error) error {
	for _, f := range files {
		if err := readFileRows(ctx, b, o, f, fn); err != nil {
			return err
		}
	}
	return nil
}

func readFileRows(ctx context.Context, b Blob, o *crm.Object, f File, fn func(row *crm.Row, op string) error) error {
	pf, closer, err := openFile(ctx, b, f)
	if err != nil {
		return err
	}
	defer closer.Close()
	cols := make([]int, len(o.Fields))
	for i, fld := range o.Fields {
		cols[i] = -1
		if leaf, ok := pf.Schema().Lookup(fld.Column); ok {
			cols[i] = leaf.ColumnIndex
		}
	}
	opCol := -1
	if leaf, ok := pf.Schema().Lookup(OpColumn); ok {
		opCol = leaf.ColumnIndex
	}
	r := parquet.NewReader(pf)
	defer r.Close()
	buf := make([]parquet.Row, 512)
	var row crm.Row
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := r.ReadRows(buf)
		for _, pr := range buf[:n] {
			row.Reset(len(o.Fields))
			for i, c := range cols {
				if c >= 0 {
					row.Values[i] = fromParquet(o.Fields[i], pr[c])
				}
			}
			op := ""
			if opCol >= 0 {
				op = string(pr[opCol].ByteArray())
			}
			if ferr := fn(&row, op); ferr != nil {
				return ferr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", f.Key, err)
		}
	}
}

// Scan reads every file of m into T and calls fn with batches of at most
// 1024 rows (the slice is reused: copy what you keep). Memory stays bounded
// by one batch plus parquet-go's page buffers. When T's fields are plain
// strings, int64, int32, bool or pointers to the last three (an embedded
// struct's fields count as T's), matching the file's column types exactly
// (every engine projection), a columnar fast path fills them straight from
// the column pages (columnar.go); any other
// T, or a file it does not match, is read with parquet.GenericReader[T],
// with the same results. Strings of one page share one allocation:
// strings.Clone what you keep from a large table.
//
// T is a projection struct: only its columns are read, matched by Parquet
// column name (the tag's first item). Its tags must use the lake's logical
// types, e.g.
//
//	type opp struct {
//		ID        string    `parquet:"id"`
//		Modstamp  time.Time `parquet:"system_modstamp,timestamp(microsecond)"`
//		Amount    int64     `parquet:"amount,optional,decimal(2:18)"`    // cents
//		CloseDate time.Time `parquet:"close_date,optional,date"`
//		IsWon     *bool     `parquet:"is_won,optional"`
//		Stage     string    `parquet:"stage_name,optional"`
//	}
//
// The rule for nullable columns (all but id, system_modstamp and
// created_date): tag them "optional" to match the file's schema. A pointer
// field (*bool, *int64) keeps null distinct from the zero value; a
// non-pointer field reads null as its zero value, with or without the tag
// (parquet-go converts silently; pinned by a test). Use a pointer wherever
// null and zero mean different things: a null checkbox is not false, a
// null amount is not $0. Percent columns are DECIMAL(9,2) on int32: use an
// int32 field with decimal(2:9).
func Scan[T any](ctx context.Context, b Blob, m *Manifest, fn func(rows []T) error) error {
	return ScanFiles(ctx, b, m.Files, fn)
}

// ScanFiles is Scan over an explicit file list (e.g. a manifest's Changes).
func ScanFiles[T any](ctx context.Context, b Blob, files []File, fn func(rows []T) error) error {
	return scanFiles(ctx, b, files, false, fn)
}

// ScanFilesBorrowed is ScanFiles without copying string values off the
// column pages: on the columnar fast path a row's strings point into
// parquet-go's pooled page buffers, which go back to the pool once fn has
// returned. So a string is valid only until fn returns; a caller that
// keeps one (a map key, a field of a kept struct) must strings.Clone it.
// Beware of Go maps: assigning to an existing string key replaces the
// stored key with the one given, so m[borrowed] = v keeps borrowed.
//
// It exists for the KPI engine, which scans the largest tables and clones
// the few values it keeps: copying every string of every page was the
// largest single cost of its scan.
func ScanFilesBorrowed[T any](ctx context.Context, b Blob, files []File, fn func(rows []T) error) error {
	return scanFiles(ctx, b, files, true, fn)
}

func scanFiles[T any](ctx context.Context, b Blob, files []File, borrow bool, fn func(rows []T) error) error {
	buf := make([]T, 1024)
	for _, f := range files {
		if err := scanFile(ctx, b, f, buf, borrow, fn); err != nil {
			return err
		}
	}
	return nil
}

// columnar enables the columnar fast path (columnar.go); tests turn it off
// to compare it with GenericReader.
var columnar = true

func scanFile[T any](ctx context.Context, b Blob, f File, buf []T, borrow bool, fn func(rows []T) error) (err error) {
	pf, closer, err := openFile(ctx, b, f)
	if err != nil {
		return err
	}
	defer closer.Close()
	// parquet-go panics when T's schema cannot be converted from the file's.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("scan %s as %T: %v", f.Key, buf[:0], p)
		}
	}()
	if columnar {
		if plan := planColumns(projectionOf(reflect.TypeFor[T]()), pf.Schema()); plan != nil {
			return scanColumns(ctx, f.Key, pf, plan, buf, borrow, fn)
		}
	}
	r := parquet.NewGenericReader[T](pf)
	defer r.Close()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		clear(buf)
		n, rerr := r.Read(buf)
		if n > 0 {
			if ferr := fn(buf[:n]); ferr != nil {
				return ferr
			}
		}
		if errors.Is(rerr, io.EOF) {
			return nil
		}
		if rerr != nil {
			return fmt.Errorf("scan %s: %w", f.Key, rerr)
		}
	}
}
