package main

import (
	"context"
	"io"
	"sync/atomic"

	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/results"
)

// Requests counts what a run asks of S3 and DynamoDB, as the AWS adapters
// would send it: a Put, PutIfAbsent, Get or List is one S3 request, and
// each ReadAt of an opened object one ranged GET (shared/s3store); each
// item written (Put, or one per BatchPut item) one DynamoDB write.
type Requests struct {
	S3Put    int64 `json:"s3_put"`
	S3Get    int64 `json:"s3_get"`
	S3List   int64 `json:"s3_list"`
	DDBWrite int64 `json:"ddb_write"`
	DDBRead  int64 `json:"ddb_read"`
}

type countingBlob struct {
	lake.Blob
	put, get, list atomic.Int64
}

func (b *countingBlob) Put(ctx context.Context, key string, r io.Reader) error {
	b.put.Add(1)
	return b.Blob.Put(ctx, key, r)
}

func (b *countingBlob) PutIfAbsent(ctx context.Context, key string, body []byte) error {
	b.put.Add(1)
	return b.Blob.PutIfAbsent(ctx, key, body)
}

func (b *countingBlob) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	b.get.Add(1)
	return b.Blob.Get(ctx, key)
}

func (b *countingBlob) List(ctx context.Context, prefix string) ([]string, error) {
	b.list.Add(1)
	return b.Blob.List(ctx, prefix)
}

func (b *countingBlob) Open(ctx context.Context, key string) (io.ReaderAt, int64, io.Closer, error) {
	ra, n, c, err := b.Blob.Open(ctx, key)
	if err != nil {
		return ra, n, c, err
	}
	return countingReaderAt{ra, &b.get}, n, c, nil
}

type countingReaderAt struct {
	io.ReaderAt
	n *atomic.Int64
}

func (r countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	r.n.Add(1)
	return r.ReaderAt.ReadAt(p, off)
}

type countingStore struct {
	results.Store
	write, read atomic.Int64
}

func (s *countingStore) Get(ctx context.Context, pk, sk string) (results.Item, error) {
	s.read.Add(1)
	return s.Store.Get(ctx, pk, sk)
}

func (s *countingStore) Query(ctx context.Context, pk, prefix string) ([]results.Item, error) {
	s.read.Add(1)
	return s.Store.Query(ctx, pk, prefix)
}

func (s *countingStore) Put(ctx context.Context, it results.Item, cond results.Condition) error {
	s.write.Add(1)
	return s.Store.Put(ctx, it, cond)
}

func (s *countingStore) BatchPut(ctx context.Context, items []results.Item) error {
	s.write.Add(int64(len(items)))
	return s.Store.BatchPut(ctx, items)
}

func (b *countingBlob) requests(s *countingStore) Requests {
	return Requests{S3Put: b.put.Load(), S3Get: b.get.Load(), S3List: b.list.Load(), DDBWrite: s.write.Load(), DDBRead: s.read.Load()}
}
