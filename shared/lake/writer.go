package lake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"unsafe"

	"github.com/parquet-go/parquet-go"

	"github.com/venn-revops/venn/shared/crm"
)

// WriterOptions bound the files a writer produces. Zero values take the
// defaults.
type WriterOptions struct {
	RowGroupRows int    // rows per row group (DefaultRowGroupRows)
	FileRows     int    // rows per part file before rolling over (DefaultFileRows)
	TempDir      string // where files are staged before upload ("" = os.TempDir())
	// PageBytes is the size at which a column's page is cut
	// (parquet.DefaultPageBufferSize, 256 KiB). Tests set it small to get
	// many pages per chunk.
	PageBytes int
	// FileName is the part files' name before the number ("part":
	// part-00000.parquet). Writers sharing one run folder (the slices of
	// a sliced load) each take their own.
	FileName string
}

func (o WriterOptions) withDefaults() WriterOptions {
	if o.RowGroupRows <= 0 {
		o.RowGroupRows = DefaultRowGroupRows
	}
	if o.FileRows <= 0 {
		o.FileRows = DefaultFileRows
	}
	if o.PageBytes <= 0 {
		o.PageBytes = parquet.DefaultPageBufferSize
	}
	if o.FileName == "" {
		o.FileName = "part"
	}
	if o.RowGroupRows > o.FileRows {
		o.RowGroupRows = o.FileRows
	}
	return o
}

// File is one committed data file, as a manifest lists it.
type File struct {
	Key    string `json:"key"`
	Rows   int64  `json:"rows"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// encoder is what a part file needs from a parquet-go writer.
type encoder interface {
	Flush() error
	Close() error
}

// parts stages numbered part files in a local temp file (hashing as it
// goes) and uploads each finished file with Blob.Put. Staging on disk keeps
// memory bounded by one row group and lets the S3 adapter upload from an
// *os.File (PITFALLS: transfer manager buffering). Shared by RowWriter and
// TableWriter so both produce identical file layouts.
type parts struct {
	ctx    context.Context
	blob   Blob
	folder string // run folder key, e.g. ".../run=20261120T020000Z"
	name   string // "part" → part-00000.parquet
	opts   WriterOptions
	open   func(w io.Writer) encoder

	tmp     *os.File
	sum     hash.Hash
	counter countingWriter
	enc     encoder
	rows    int // rows in the current file
	inGroup int // rows in the current row group
	files   []File
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// before is called before writing each row: it opens a file when none is
// open.
func (p *parts) before() error {
	if p.enc != nil {
		return nil
	}
	if err := p.ctx.Err(); err != nil {
		return err
	}
	f, err := os.CreateTemp(p.opts.TempDir, "venn-part-*.parquet")
	if err != nil {
		return fmt.Errorf("stage part file: %w", err)
	}
	p.tmp, p.sum = f, sha256.New()
	p.counter = countingWriter{w: io.MultiWriter(f, p.sum)}
	p.enc = p.open(&p.counter)
	p.rows, p.inGroup = 0, 0
	return nil
}

// after is called after n rows were written: it closes the row group or the
// file when their bound is reached.
func (p *parts) after(n int) error {
	p.rows += n
	p.inGroup += n
	if p.rows >= p.opts.FileRows {
		return p.finish()
	}
	if p.inGroup >= p.opts.RowGroupRows {
		p.inGroup = 0
		if err := p.enc.Flush(); err != nil {
			return fmt.Errorf("flush row group of %s: %w", p.nextKey(), err)
		}
	}
	return nil
}

func (p *parts) nextKey() string {
	return fmt.Sprintf("%s/%s-%05d.parquet", p.folder, p.name, len(p.files))
}

// finish closes and uploads the open file, if any.
func (p *parts) finish() error {
	if p.enc == nil {
		return nil
	}
	key := p.nextKey()
	enc, tmp := p.enc, p.tmp
	p.enc, p.tmp = nil, nil
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if err := enc.Close(); err != nil {
		return fmt.Errorf("write %s: %w", key, err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("rewind %s: %w", key, err)
	}
	if err := p.blob.Put(p.ctx, key, tmp); err != nil {
		return fmt.Errorf("upload %s: %w", key, err)
	}
	p.files = append(p.files, File{Key: key, Rows: int64(p.rows), Bytes: p.counter.n, SHA256: hex.EncodeToString(p.sum.Sum(nil))})
	return nil
}

// abort drops the open file without uploading it.
func (p *parts) abort() {
	if p.tmp != nil {
		p.tmp.Close()
		os.Remove(p.tmp.Name())
		p.tmp, p.enc = nil, nil
	}
}

// RowWriter writes crm.Rows of one object into numbered Parquet part files
// of a run folder (part-00000.parquet, …), rolling over every FileRows rows
// and flushing a row group every RowGroupRows rows. Files are uploaded as
// they complete; nothing is visible to readers until a manifest naming them
// is committed. A RowWriter is not safe for concurrent use.
type RowWriter struct {
	schema *ObjectSchema
	parts  parts
	batch  []parquet.Row
	values []parquet.Value // backing store of batch, reused
	wg     *parquet.GenericWriter[any]
}

const rowBatch = 256

// NewRowWriter returns a writer of s's rows into folder (a run folder key
// without a trailing slash). table names the lake table ("crm/snapshot",
// "crm/changes") in the file metadata.
func NewRowWriter(ctx context.Context, b Blob, folder, table string, s *ObjectSchema, opts WriterOptions) *RowWriter {
	w := &RowWriter{schema: s}
	opts = opts.withDefaults()
	w.parts = parts{ctx: ctx, blob: b, folder: folder, name: opts.FileName, opts: opts}
	w.parts.open = func(out io.Writer) encoder {
		// The run id is deliberately not in the file: a rerun with the same
		// input produces byte-identical files (same sha256).
		// GenericWriter[any] with an explicit schema: rows go in as
		// parquet.Row values through WriteRows, no reflection.
		w.wg = parquet.NewGenericWriter[any](out, s.Schema,
			parquet.KeyValueMetadata(MetaObject, s.Object.Name),
			parquet.KeyValueMetadata(MetaSchemaVersion, s.Version),
			parquet.KeyValueMetadata(MetaTable, table),
			parquet.CreatedBy("venn", "1", ""),
			parquet.PageBufferSize(w.parts.opts.PageBytes),
		)
		return w.wg
	}
	return w
}

// Write appends one row. op is OpUpsert or OpDelete for change files and
// ignored for snapshots.
func (w *RowWriter) Write(row *crm.Row, op string) error {
	if len(row.Values) != len(w.schema.Object.Fields) {
		return fmt.Errorf("%s row has %d values, want %d", w.schema.Object.Name, len(row.Values), len(w.schema.Object.Fields))
	}
	if err := w.parts.before(); err != nil {
		return err
	}
	n := len(w.schema.Object.Fields)
	if w.schema.Changes {
		n++
	}
	if w.values == nil {
		w.values = make([]parquet.Value, 0, n*rowBatch)
	}
	start := len(w.values)
	w.values = w.values[:start+n]
	pr := w.values[start : start+n : start+n]
	for i, f := range w.schema.Object.Fields {
		pr[w.schema.Column[i]] = toParquet(f, row.Values[i], w.schema.Column[i])
	}
	if w.schema.Changes {
		pr[w.schema.OpIndex] = parquet.ByteArrayValue(unsafeBytes(op)).Level(0, 0, w.schema.OpIndex)
	}
	w.batch = append(w.batch, pr)
	// Flush the batch at a row-group or file boundary so parts.after sees
	// exact counts.
	room := min(w.parts.opts.FileRows-w.parts.rows, w.parts.opts.RowGroupRows-w.parts.inGroup)
	if len(w.batch) >= rowBatch || len(w.batch) >= room {
		return w.flushBatch()
	}
	return nil
}

func (w *RowWriter) flushBatch() error {
	if len(w.batch) == 0 {
		return nil
	}
	n, err := w.wg.WriteRows(w.batch)
	if err != nil {
		return fmt.Errorf("encode %s rows into %s: %w", w.schema.Object.Name, w.parts.nextKey(), err)
	}
	// The values may point into strings of the caller's rows; parquet-go
	// copied them into its column buffers during WriteRows.
	w.batch, w.values = w.batch[:0], w.values[:0]
	return w.parts.after(n)
}

// Close finishes the last file and returns every file written, in order.
func (w *RowWriter) Close() ([]File, error) {
	if err := w.flushBatch(); err != nil {
		w.parts.abort()
		return nil, err
	}
	if err := w.parts.finish(); err != nil {
		return nil, err
	}
	return w.parts.files, nil
}

// Abort drops the file being written; already uploaded parts stay in the
// (uncommitted, invisible) run folder.
func (w *RowWriter) Abort() { w.parts.abort() }

// unsafeBytes views a string's bytes without copying. Safe here because
// parquet-go copies byte-array values into its own buffers in WriteRows and
// never writes through the slice.
func unsafeBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// toParquet converts a registry value to its Parquet leaf value.
func toParquet(f crm.Field, v crm.Value, col int) parquet.Value {
	def := 1
	if required(f) {
		def = 0
	}
	if v.Null {
		return parquet.NullValue().Level(0, 0, col)
	}
	var pv parquet.Value
	switch f.Type {
	case crm.Bool:
		pv = parquet.BooleanValue(v.B)
	case crm.Date, crm.Percent: // int32 columns; CheckRow bounds Percent
		pv = parquet.Int32Value(int32(v.I))
	case crm.DateTime, crm.Currency, crm.Int, crm.Rate:
		pv = parquet.Int64Value(v.I)
	default:
		pv = parquet.ByteArrayValue(unsafeBytes(v.S))
	}
	return pv.Level(0, def, col)
}

// fromParquet is the inverse of toParquet.
func fromParquet(f crm.Field, pv parquet.Value) crm.Value {
	if pv.IsNull() {
		return crm.Value{Null: true}
	}
	switch f.Type {
	case crm.Bool:
		return crm.Value{B: pv.Boolean()}
	case crm.Date, crm.Percent:
		return crm.Value{I: int64(pv.Int32())}
	case crm.DateTime, crm.Currency, crm.Int, crm.Rate:
		return crm.Value{I: pv.Int64()}
	}
	return crm.Value{S: string(pv.ByteArray())}
}
