// Package lake writes and reads Venn's Parquet lake: Hive-partitioned files
// under immutable run folders, committed by a manifest written last.
package lake

import (
	"context"
	"errors"
	"io"
)

// ErrNotExist is returned by Blob.Open and Blob.Get for a missing key.
var ErrNotExist = errors.New("lake: object does not exist")

// ErrExists is returned by Blob.PutIfAbsent when the key already exists.
var ErrExists = errors.New("lake: object already exists")

// Blob is the object storage the lake writes to: a local folder
// (shared/lake/fsblob) or S3 (shared/s3store). Keys are slash-separated
// paths relative to the lake root, e.g. "crm/snapshot/object=Lead/dt=2026-11-20/_manifest.json".
type Blob interface {
	// Put stores the whole content of r under key, replacing any object.
	// Writers only Put into fresh run folders; readers never see a key
	// before its manifest names it.
	Put(ctx context.Context, key string, r io.Reader) error
	// PutIfAbsent stores body only if key does not exist (S3 If-None-Match: *),
	// else returns ErrExists.
	PutIfAbsent(ctx context.Context, key string, body []byte) error
	// Get returns the object's content, or ErrNotExist.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Open returns a random-access reader (for Parquet footers and column
	// chunks) and the object's size, or ErrNotExist.
	Open(ctx context.Context, key string) (io.ReaderAt, int64, io.Closer, error)
	// List returns the keys under prefix in lexical order. Readers never
	// use it to find data (they go through manifests); it serves the
	// "latest committed partition" lookup and maintenance.
	List(ctx context.Context, prefix string) ([]string, error)
}
