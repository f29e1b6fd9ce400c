package lake_test

import (
	"context"
	"io"
	"sync/atomic"
	"testing"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/lake"
)

// countingBlob counts ReadAt calls: on S3 (shared/s3store) each one is a
// ranged GET, so a scan must read in large blocks, not parquet-go's default
// 4 KiB.
type countingBlob struct {
	lake.Blob
	reads atomic.Int64
}

type countingReader struct {
	io.ReaderAt
	reads *atomic.Int64
}

func (r countingReader) ReadAt(p []byte, off int64) (int, error) {
	r.reads.Add(1)
	return r.ReaderAt.ReadAt(p, off)
}

func (b *countingBlob) Open(ctx context.Context, key string) (io.ReaderAt, int64, io.Closer, error) {
	ra, size, c, err := b.Blob.Open(ctx, key)
	return countingReader{ra, &b.reads}, size, c, err
}

func TestScanReadsInLargeBlocks(t *testing.T) {
	b := &countingBlob{Blob: newBlob(t)}
	rows := randomRows(crm.Lead, 60_000, 9)
	s := lake.NewObjectSchema(crm.Lead, false)
	files := writeRows(t, b, "snap/object=Lead/run=r1", s, rows, lake.WriterOptions{RowGroupRows: 20_000})
	var bytes int64
	for _, f := range files {
		bytes += f.Bytes
	}
	for _, columnar := range []bool{true, false} {
		restore := lake.SetColumnar(columnar)
		b.reads.Store(0)
		n := 0
		if err := lake.ScanFiles(context.Background(), b, files, func(r []kpi.Lead) error { n += len(r); return nil }); err != nil {
			t.Fatal(err)
		}
		restore()
		// About one read per column chunk (3 row groups × 12 projected
		// columns) plus the footer: 41 with 1 MiB blocks, 92 with
		// parquet-go's default 4 KiB buffer (a header read and a body read
		// per page).
		if reads := b.reads.Load(); n != len(rows) || reads > 50 {
			t.Errorf("columnar=%v: %d rows in %d ReadAt calls for a %d-byte file", columnar, n, reads, bytes)
		}
	}
}
