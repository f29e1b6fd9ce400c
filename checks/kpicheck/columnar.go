package kpicheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unsafe"

	"github.com/parquet-go/parquet-go"

	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/lake"
)

// ScanColumns is a prototype of a columnar lake scan: it reads a projection
// struct's columns chunk by chunk (parquet-go pages and ReadValues) and
// writes each value straight into the struct field, instead of rebuilding
// and schema-converting whole rows as parquet.GenericReader does. It exists
// to measure what a columnar fast path in shared/lake would buy; the
// engine's production path stays lake.Scan. Supported field types: string,
// bool, int32, int64 and pointers to bool, int32, int64.
func ScanColumns[T any](ctx context.Context, b lake.Blob, files []lake.File, fn func([]T) error) error {
	plan, err := columnPlan(reflect.TypeFor[T]())
	if err != nil {
		return err
	}
	var rows []T
	values := make([]parquet.Value, 4096)
	for _, f := range files {
		r, size, closer, err := b.Open(ctx, f.Key)
		if err != nil {
			return fmt.Errorf("open %s: %w", f.Key, err)
		}
		pf, err := parquet.OpenFile(r, size)
		if err != nil {
			closer.Close()
			return fmt.Errorf("open %s: %w", f.Key, err)
		}
		for _, rg := range pf.RowGroups() {
			if err := ctx.Err(); err != nil {
				closer.Close()
				return err
			}
			n := int(rg.NumRows())
			if n == 0 {
				continue
			}
			if cap(rows) < n {
				rows = make([]T, n)
			}
			rows = rows[:n]
			clear(rows)
			chunks := rg.ColumnChunks()
			for _, p := range plan {
				leaf, ok := pf.Schema().Lookup(p.name)
				if !ok {
					closer.Close()
					return fmt.Errorf("%s: no column %q", f.Key, p.name)
				}
				if err := p.fill(chunks[leaf.ColumnIndex], unsafe.Pointer(&rows[0]), unsafe.Sizeof(rows[0]), n, values); err != nil {
					closer.Close()
					return fmt.Errorf("%s: column %s: %w", f.Key, p.name, err)
				}
			}
			for lo := 0; lo < n; lo += scanBatch {
				if err := fn(rows[lo:min(lo+scanBatch, n)]); err != nil {
					closer.Close()
					return err
				}
			}
		}
		closer.Close()
	}
	return nil
}

// scanBatch is the batch size handed on, like lake.Scan's 1024-row batches
// but larger, since batches are copied once by kpi.Concurrent.
const scanBatch = 8192

type column struct {
	name   string
	offset uintptr
	kind   reflect.Kind
	ptr    bool
}

func columnPlan(t reflect.Type) ([]column, error) {
	var out []column
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("parquet"), ",")
		c := column{name: name, offset: f.Offset, kind: f.Type.Kind()}
		if c.kind == reflect.Pointer {
			c.ptr, c.kind = true, f.Type.Elem().Kind()
		}
		switch c.kind {
		case reflect.String, reflect.Bool, reflect.Int32, reflect.Int64:
		default:
			return nil, fmt.Errorf("%s.%s: unsupported type %s", t.Name(), f.Name, f.Type)
		}
		if c.ptr && c.kind == reflect.String {
			return nil, fmt.Errorf("%s.%s: *string is not supported", t.Name(), f.Name)
		}
		out = append(out, c)
	}
	return out, nil
}

// fill reads one column chunk into field c of n rows starting at base.
// Pointer fields point into one slab per chunk, so a row group costs one
// allocation per pointer column, not one per value.
func (c column) fill(cc parquet.ColumnChunk, base unsafe.Pointer, size uintptr, n int, buf []parquet.Value) error {
	var slab64 []int64
	var slab32 []int32
	var slabB []bool
	if c.ptr {
		switch c.kind {
		case reflect.Int64:
			slab64 = make([]int64, n)
		case reflect.Int32:
			slab32 = make([]int32, n)
		case reflect.Bool:
			slabB = make([]bool, n)
		}
	}
	pages := cc.Pages()
	defer pages.Close()
	i := 0
	for {
		page, err := pages.ReadPage()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		vr := page.Values()
		for {
			k, err := vr.ReadValues(buf)
			for _, v := range buf[:k] {
				if i >= n {
					return fmt.Errorf("more values than the row group's %d rows", n)
				}
				if !v.IsNull() {
					p := unsafe.Add(base, uintptr(i)*size+c.offset)
					switch c.kind {
					case reflect.String:
						*(*string)(p) = string(v.ByteArray())
					case reflect.Int64:
						if c.ptr {
							slab64[i] = v.Int64()
							*(**int64)(p) = &slab64[i]
						} else {
							*(*int64)(p) = v.Int64()
						}
					case reflect.Int32:
						if c.ptr {
							slab32[i] = v.Int32()
							*(**int32)(p) = &slab32[i]
						} else {
							*(*int32)(p) = v.Int32()
						}
					case reflect.Bool:
						if c.ptr {
							slabB[i] = v.Boolean()
							*(**bool)(p) = &slabB[i]
						} else {
							*(*bool)(p) = v.Boolean()
						}
					}
				}
				i++
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				parquet.Release(page)
				return err
			}
		}
		parquet.Release(page)
	}
	if i != n {
		return fmt.Errorf("%d values for %d rows", i, n)
	}
	return nil
}

// ColumnarInputs is Inputs over ScanColumns (see there).
func (f Files) ColumnarInputs(ctx context.Context, b lake.Blob, workers int) kpi.Inputs {
	return kpi.Inputs{
		Users:              colScan[kpi.User](ctx, b, f["User"], workers),
		Accounts:           colScan[kpi.Account](ctx, b, f["Account"], workers),
		Campaigns:          colScan[kpi.Campaign](ctx, b, f["Campaign"], workers),
		Leads:              colScan[kpi.Lead](ctx, b, f["Lead"], workers),
		Opportunities:      colScan[kpi.Opportunity](ctx, b, f["Opportunity"], workers),
		OpportunityHistory: colScan[kpi.OpportunityHistory](ctx, b, f["OpportunityHistory"], workers),
		ContactRoles:       colScan[kpi.ContactRole](ctx, b, f["OpportunityContactRole"], workers),
		CampaignMembers:    colScan[kpi.CampaignMember](ctx, b, f["CampaignMember"], workers),
		Tasks:              colScan[kpi.Task](ctx, b, f["Task"], workers),
	}
}

func colScan[T any](ctx context.Context, b lake.Blob, files []lake.File, workers int) kpi.Source[T] {
	srcs := make([]kpi.Source[T], len(files))
	for i, f := range files {
		srcs[i] = func(fn func([]T) error) error { return ScanColumns(ctx, b, []lake.File{f}, fn) }
	}
	return kpi.Concurrent(workers, srcs...)
}
