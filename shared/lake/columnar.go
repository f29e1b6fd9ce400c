package lake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"unsafe"

	"github.com/parquet-go/parquet-go"
)

// The columnar fast path of Scan/ScanFiles (after grafana/tempo's
// parquetquery): instead of rebuilding each row and converting it through
// parquet.GenericReader[T], it walks every projected column chunk page by
// page with typed slices (int64, int32, bit-packed booleans, byte arrays,
// dictionary indexes) and stores the values straight into T's fields at
// their offsets, resolving a dictionary-encoded string column once per
// chunk.
//
// It is correct because it runs only when every field of T maps to a
// top-level, non-repeated file column whose physical and logical type are
// exactly those parquet.SchemaOf(T) gives the field, so GenericReader would
// copy the stored value unconverted (a null reads as nil for a pointer
// field and as the zero value otherwise, as GenericReader does). It
// declines (plan returns nil, the scan falls back to GenericReader) for any
// other shape: a field kind other than string, int64, int32, bool or a
// pointer to the last three, time.Time, untagged fields or an embedded
// non-struct, a column the file lacks, nested or repeated columns, or a
// type mismatch.

// fieldKind is a supported Go field shape.
type fieldKind uint8

const (
	kindString fieldKind = iota
	kindInt64
	kindInt32
	kindBool
	kindInt64Ptr
	kindInt32Ptr
	kindBoolPtr
)

// physical is the Parquet physical type a field kind is stored as.
func (k fieldKind) physical() parquet.Kind {
	switch k {
	case kindString:
		return parquet.ByteArray
	case kindInt64, kindInt64Ptr:
		return parquet.Int64
	case kindInt32, kindInt32Ptr:
		return parquet.Int32
	}
	return parquet.Boolean
}

// projField is one field of a projection struct.
type projField struct {
	column string
	offset uintptr
	kind   fieldKind
	typ    parquet.Type // the leaf type parquet.SchemaOf(T) gives the field
}

// typePlans caches the projection fields of each T (a nil slice: T is not
// supported), so reflection runs once per type, not once per file.
var typePlans sync.Map // reflect.Type → []projField

func projectionOf(t reflect.Type) []projField {
	if v, ok := typePlans.Load(t); ok {
		return v.([]projField)
	}
	fields := buildProjection(t)
	typePlans.Store(t, fields)
	return fields
}

func buildProjection(t reflect.Type) (fields []projField) {
	if t.Kind() != reflect.Struct || t.NumField() == 0 {
		return nil
	}
	defer func() {
		if recover() != nil { // parquet.SchemaOf panics on types it cannot map
			fields = nil
		}
	}()
	schema := parquet.SchemaOf(reflect.New(t).Interface())
	fields, ok := appendProjection(nil, t, 0, schema)
	if !ok {
		return nil
	}
	return fields
}

// appendProjection adds t's fields, at base within the row, to fields. An
// embedded struct's fields are columns of the row itself, as parquet-go
// maps them (pipeline's deal projection embeds kpi.Opportunity).
func appendProjection(fields []projField, t reflect.Type, base uintptr, schema *parquet.Schema) ([]projField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("parquet")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if f.Anonymous {
			if f.Type.Kind() != reflect.Struct {
				return nil, false
			}
			var ok bool
			if fields, ok = appendProjection(fields, f.Type, base+f.Offset, schema); !ok {
				return nil, false
			}
			continue
		}
		if !f.IsExported() || name == "" {
			return nil, false
		}
		kind, ok := kindOf(f.Type)
		if !ok {
			return nil, false
		}
		leaf, ok := schema.Lookup(name)
		if !ok || !leaf.Node.Leaf() || leaf.MaxRepetitionLevel != 0 || leaf.Node.Type().Kind() != kind.physical() {
			return nil, false
		}
		fields = append(fields, projField{column: name, offset: base + f.Offset, kind: kind, typ: leaf.Node.Type()})
	}
	return fields, true
}

func kindOf(t reflect.Type) (fieldKind, bool) {
	ptr := t.Kind() == reflect.Pointer
	if ptr {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return kindString, !ptr
	case reflect.Int64:
		return pick(ptr, kindInt64Ptr, kindInt64), true
	case reflect.Int32:
		return pick(ptr, kindInt32Ptr, kindInt32), true
	case reflect.Bool:
		return pick(ptr, kindBoolPtr, kindBool), true
	}
	return 0, false
}

func pick(ptr bool, p, v fieldKind) fieldKind {
	if ptr {
		return p
	}
	return v
}

// columnPlan is one projection field matched to a file's leaf column.
type columnPlan struct {
	projField
	index  int   // leaf column index in the file
	maxDef uint8 // 0: required column, 1: optional
}

// planColumns matches T's projection to a file schema, or returns nil when
// the fast path must decline (see the comment at the top of this file).
func planColumns(fields []projField, s *parquet.Schema) []columnPlan {
	if fields == nil {
		return nil
	}
	plan := make([]columnPlan, 0, len(fields))
	for _, f := range fields {
		leaf, ok := s.Lookup(f.column)
		if !ok || !leaf.Node.Leaf() || leaf.MaxRepetitionLevel != 0 || leaf.MaxDefinitionLevel > 1 {
			return nil
		}
		ft := leaf.Node.Type()
		if ft.Kind() != f.typ.Kind() || ft.String() != f.typ.String() {
			return nil
		}
		plan = append(plan, columnPlan{projField: f, index: leaf.ColumnIndex, maxDef: uint8(leaf.MaxDefinitionLevel)})
	}
	return plan
}

// scanColumns reads pf through plan into buf, calling fn per batch of at
// most len(buf) rows (never spanning row groups). fn's error is returned
// as is (kpi.Concurrent compares it).
//
// borrow: plain string values are not copied off their pages; every page a
// batch read from is held until fn has returned (see ScanFilesBorrowed).
func scanColumns[T any](ctx context.Context, key string, pf *parquet.File, plan []columnPlan, buf []T, borrow bool, fn func([]T) error) error {
	cursors := make([]columnCursor, len(plan))
	for i := range plan {
		cursors[i].plan = &plan[i]
		cursors[i].borrow = borrow
	}
	size := unsafe.Sizeof(buf[0])
	for _, rg := range pf.RowGroups() {
		chunks := rg.ColumnChunks()
		for i := range cursors {
			cursors[i].open(chunks[cursors[i].plan.index])
		}
		err := func() error {
			defer func() {
				for i := range cursors {
					cursors[i].close()
				}
			}()
			for left := rg.NumRows(); left > 0; {
				if err := ctx.Err(); err != nil {
					return err
				}
				n := int(min(left, int64(len(buf))))
				base := unsafe.Pointer(&buf[0])
				for i := range cursors {
					if err := cursors[i].fill(base, size, n); err != nil {
						return fmt.Errorf("scan %s: column %s: %w", key, cursors[i].plan.column, err)
					}
				}
				err := fn(buf[:n])
				for i := range cursors {
					cursors[i].releaseHeld()
				}
				if err != nil {
					return err
				}
				left -= int64(n)
			}
			for i := range cursors {
				if err := cursors[i].finish(); err != nil {
					return fmt.Errorf("scan %s: column %s: %w", key, cursors[i].plan.column, err)
				}
			}
			return nil
		}()
		if err != nil {
			return err
		}
	}
	return nil
}

// columnCursor walks one column chunk page by page. For the current page it
// holds the definition levels (nil when every row has a value) and the
// page's non-null values as one typed slice.
type columnCursor struct {
	plan  *columnPlan
	pages parquet.Pages
	page  parquet.Page
	rows  int // rows of the current page
	at    int // next row of the page
	vi    int // next non-null value of the page
	defs  []byte

	// A string page is either dictionary indexes (idx, into dictStrs) or
	// byte arrays: pageStr holds all of them, offs their offsets (from
	// offBase), so a value is a substring, built when stored.
	idx     []int32
	pageStr string
	offs    []uint32
	offBase uint32
	i64s    []int64
	i32s    []int32
	bools   []bool

	// The interned dictionary of the chunk: one string allocation for all
	// its entries, shared by every row that uses them.
	dict     parquet.Dictionary
	dictStrs []string

	// borrow: plain string values point into their page (lent is set
	// for such a page), so that page is not released when the cursor
	// moves on but held until the batch's fn has returned (releaseHeld).
	borrow bool
	lent   bool
	held   []parquet.Page
}

func (c *columnCursor) open(cc parquet.ColumnChunk) {
	c.pages = cc.Pages()
	c.page, c.rows, c.at, c.vi, c.defs = nil, 0, 0, 0, nil
	c.dict, c.dictStrs = nil, nil
}

// drop lets go of the current page: back to parquet-go's pool, or onto
// the held list while strings of the current batch may point into it.
func (c *columnCursor) drop() {
	if c.page == nil {
		return
	}
	if c.lent {
		c.held = append(c.held, c.page)
	} else {
		parquet.Release(c.page)
	}
	c.page, c.lent = nil, false
}

// releaseHeld returns the pages a finished batch borrowed from to the pool.
func (c *columnCursor) releaseHeld() {
	for i, p := range c.held {
		if poisonBorrowed {
			poison(p)
		}
		parquet.Release(p)
		c.held[i] = nil
	}
	c.held = c.held[:0]
}

// poisonBorrowed makes releaseHeld overwrite every string page it
// releases (see PoisonBorrowed).
var poisonBorrowed = false

// PoisonBorrowed is a test switch: while on, ScanFilesBorrowed overwrites
// each page it lent strings from with '#' once the batch's fn has
// returned, so a string kept past fn without a clone reads as "####…"
// instead of, by chance, as a plausible value from a later page. It
// returns a func that restores the previous setting. Never set it in
// production; it is not safe for concurrent use with a running scan.
func PoisonBorrowed(on bool) (restore func()) {
	prev := poisonBorrowed
	poisonBorrowed = on
	return func() { poisonBorrowed = prev }
}

// poison overwrites a held page's values (held pages are plain byte
// arrays: see lent).
func poison(p parquet.Page) {
	v := p.Data()
	d, _ := v.ByteArray()
	for i := range d {
		d[i] = '#'
	}
}

// close ends the row group's chunk: only after the last batch's fn has
// returned, so every page can go back to the pool.
func (c *columnCursor) close() {
	c.drop()
	c.releaseHeld()
	if c.pages != nil {
		c.pages.Close()
		c.pages = nil
	}
}

// finish checks the chunk holds no rows beyond those read.
func (c *columnCursor) finish() error {
	if c.at < c.rows {
		return fmt.Errorf("%d values beyond the row group's rows", c.rows-c.at)
	}
	for {
		p, err := c.pages.ReadPage()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		n := p.NumRows()
		parquet.Release(p)
		if n > 0 {
			return fmt.Errorf("%d values beyond the row group's rows", n)
		}
	}
}

// next loads the next page and decodes its non-null values.
func (c *columnCursor) next() error {
	c.drop()
	p, err := c.pages.ReadPage()
	if errors.Is(err, io.EOF) {
		return errors.New("fewer values than the row group's rows")
	}
	if err != nil {
		return err
	}
	c.page, c.rows, c.at, c.vi = p, int(p.NumRows()), 0, 0
	c.defs = nil
	if c.plan.maxDef > 0 {
		c.defs = p.DefinitionLevels()
		if len(c.defs) != c.rows {
			return fmt.Errorf("%d definition levels for %d rows", len(c.defs), c.rows)
		}
	}
	data := p.Data()
	dict := p.Dictionary()
	var idx []int32
	nvals := 0
	if dict != nil {
		idx = data.Int32()
		nvals = len(idx)
		for _, i := range idx {
			if i < 0 || int(i) >= dict.Len() {
				return fmt.Errorf("dictionary index %d out of %d entries", i, dict.Len())
			}
		}
	}
	switch c.plan.kind {
	case kindString:
		if dict != nil {
			if dict != c.dict {
				dv := dict.Page().Data()
				d, offs := dv.ByteArray()
				c.dict, c.dictStrs = dict, splitStrings(d, offs, c.dictStrs[:0])
			}
			c.idx, c.pageStr, c.offs = idx, "", nil
		} else {
			d, offs := data.ByteArray()
			nvals = max(len(offs)-1, 0)
			c.idx, c.pageStr, c.offs, c.offBase = nil, "", offs, 0
			switch {
			case nvals == 0 || offs[nvals] == offs[0]:
			case c.borrow:
				// No copy: the page is held until the batch is done.
				c.pageStr, c.offBase = unsafe.String(&d[offs[0]], int(offs[nvals]-offs[0])), offs[0]
				c.lent = true
			default:
				// One copy per page: every value of the page shares it.
				c.pageStr, c.offBase = string(d[offs[0]:offs[nvals]]), offs[0]
			}
		}
	case kindInt64, kindInt64Ptr:
		c.i64s, nvals = pageValues(data.Int64, dict, idx, c.i64s, nvals)
	case kindInt32, kindInt32Ptr:
		c.i32s, nvals = pageValues(data.Int32, dict, idx, c.i32s, nvals)
	case kindBool, kindBoolPtr:
		var bits []byte
		if dict != nil {
			dv := dict.Page().Data()
			bits = dv.Boolean()
		} else {
			bits = data.Boolean()
			nvals = int(p.NumValues())
			if c.defs != nil {
				nvals = c.rows - countNulls(c.defs, c.plan.maxDef)
			}
		}
		c.bools = grow(c.bools, nvals)
		for k := range nvals {
			i := k
			if idx != nil {
				i = int(idx[k])
			}
			if i/8 >= len(bits) {
				return fmt.Errorf("boolean value %d beyond the page's %d bytes", i, len(bits))
			}
			c.bools[k] = bits[i/8]>>(i%8)&1 == 1
		}
	}
	want := c.rows
	if c.defs != nil {
		want = c.rows - countNulls(c.defs, c.plan.maxDef)
	}
	if nvals != want {
		return fmt.Errorf("%d values for %d non-null rows", nvals, want)
	}
	return nil
}

// pageValues returns a page's int values: the page's own slice, or the
// dictionary entries its indexes name.
func pageValues[V int32 | int64](plain func() []V, dict parquet.Dictionary, idx []int32, scratch []V, n int) ([]V, int) {
	if dict == nil {
		v := plain()
		return v, len(v)
	}
	var entries []V
	switch d := dict.Page().Data(); any(scratch).(type) {
	case []int64:
		entries = any(d.Int64()).([]V)
	default:
		entries = any(d.Int32()).([]V)
	}
	scratch = grow(scratch, n)
	for k, i := range idx {
		scratch[k] = entries[i]
	}
	return scratch, n
}

func countNulls(defs []byte, maxDef uint8) int {
	n := 0
	for _, d := range defs {
		if d != maxDef {
			n++
		}
	}
	return n
}

func grow[V any](s []V, n int) []V {
	if cap(s) < n {
		return make([]V, n)
	}
	return s[:n]
}

// splitStrings copies a dictionary's byte arrays into one string and
// returns its substrings: one allocation per dictionary instead of one per
// value. A kept value keeps its dictionary's (or page's, see next) bytes
// alive; clone what you keep from a large table (the KPI engine does).
func splitStrings(data []byte, offsets []uint32, out []string) []string {
	if len(offsets) < 2 {
		return out
	}
	all := string(data[offsets[0]:offsets[len(offsets)-1]])
	base := offsets[0]
	for k := 1; k < len(offsets); k++ {
		out = append(out, all[offsets[k-1]-base:offsets[k]-base])
	}
	return out
}

// str is the i-th non-null value of the current string page.
func (c *columnCursor) str(i int) string {
	if c.idx != nil {
		return c.dictStrs[c.idx[i]]
	}
	return c.pageStr[c.offs[i]-c.offBase : c.offs[i+1]-c.offBase]
}

// fillStrings is fillValues for string fields, building each value from
// the page as it is stored.
func fillStrings(c *columnCursor, base unsafe.Pointer, size uintptr, n int) error {
	for row := 0; row < n; {
		if c.at == c.rows {
			if err := c.next(); err != nil {
				return err
			}
			continue
		}
		k := min(n-row, c.rows-c.at)
		p := unsafe.Add(base, uintptr(row)*size+c.plan.offset)
		for j := range k {
			q := (*string)(unsafe.Add(p, uintptr(j)*size))
			if c.defs == nil || c.defs[c.at+j] == c.plan.maxDef {
				*q = c.str(c.vi)
				c.vi++
			} else {
				*q = ""
			}
		}
		row += k
		c.at += k
	}
	return nil
}

// fill stores the column's next n rows into the field of rows base[0:n].
func (c *columnCursor) fill(base unsafe.Pointer, size uintptr, n int) error {
	switch c.plan.kind {
	case kindString:
		return fillStrings(c, base, size, n)
	case kindInt64:
		return fillValues(c, &c.i64s, base, size, n)
	case kindInt32:
		return fillValues(c, &c.i32s, base, size, n)
	case kindBool:
		return fillValues(c, &c.bools, base, size, n)
	case kindInt64Ptr:
		return fillPointers(c, &c.i64s, base, size, n)
	case kindInt32Ptr:
		return fillPointers(c, &c.i32s, base, size, n)
	default:
		return fillPointers(c, &c.bools, base, size, n)
	}
}

// fillValues stores values of type V at the field's offset of n rows; a
// null stores V's zero value. *vals is the current page's non-null values
// (next replaces it page by page).
func fillValues[V any](c *columnCursor, vals *[]V, base unsafe.Pointer, size uintptr, n int) error {
	var zero V
	for row := 0; row < n; {
		if c.at == c.rows {
			if err := c.next(); err != nil {
				return err
			}
			continue
		}
		k := min(n-row, c.rows-c.at)
		p := unsafe.Add(base, uintptr(row)*size+c.plan.offset)
		v := *vals
		if c.defs == nil {
			for j, x := range v[c.vi : c.vi+k] {
				*(*V)(unsafe.Add(p, uintptr(j)*size)) = x
			}
			c.vi += k
		} else {
			for j, d := range c.defs[c.at : c.at+k] {
				q := (*V)(unsafe.Add(p, uintptr(j)*size))
				if d == c.plan.maxDef {
					*q = v[c.vi]
					c.vi++
				} else {
					*q = zero
				}
			}
		}
		row += k
		c.at += k
	}
	return nil
}

// fillPointers is fillValues for pointer fields (*V): nil for a null, else
// a pointer into one fresh slab per batch (never reused, since a caller may
// keep a row), so a batch costs one allocation per pointer column instead
// of one per value.
func fillPointers[V any](c *columnCursor, vals *[]V, base unsafe.Pointer, size uintptr, n int) error {
	slab := make([]V, n)
	for row := 0; row < n; {
		if c.at == c.rows {
			if err := c.next(); err != nil {
				return err
			}
			continue
		}
		k := min(n-row, c.rows-c.at)
		p := unsafe.Add(base, uintptr(row)*size+c.plan.offset)
		v := *vals
		for j := range k {
			q := (**V)(unsafe.Add(p, uintptr(j)*size))
			if c.defs == nil || c.defs[c.at+j] == c.plan.maxDef {
				slab[row+j] = v[c.vi]
				c.vi++
				*q = &slab[row+j]
			} else {
				*q = nil
			}
		}
		row += k
		c.at += k
	}
	return nil
}
