// Package blobtest is the conformance suite every lake.Blob must pass: the
// S3 adapter (against gofakes3) and the local folder (shared/lake/fsblob).
// It checks the contract the lake relies on: whole-object replace, the
// conditional manifest write, missing keys, random access for Parquet
// footers, and lexical listing.
package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/venn-revops/venn/shared/lake"
)

// LargeSize is the size of the suite's large object: over two 5 MiB parts,
// so an S3 store with the minimum part size uploads it in three parts.
const LargeSize = 11<<20 + 12345

// Run exercises b. The store must hold no keys under "blobtest/".
func Run(t *testing.T, b lake.Blob) {
	ctx := context.Background()
	t.Run("missing", func(t *testing.T) {
		if _, err := b.Get(ctx, "blobtest/missing/a"); !errors.Is(err, lake.ErrNotExist) {
			t.Fatalf("Get: want ErrNotExist, got %v", err)
		}
		if _, _, _, err := b.Open(ctx, "blobtest/missing/a"); !errors.Is(err, lake.ErrNotExist) {
			t.Fatalf("Open: want ErrNotExist, got %v", err)
		}
		keys, err := b.List(ctx, "blobtest/missing/")
		if err != nil || len(keys) != 0 {
			t.Fatalf("List of an empty prefix: %v, %v", keys, err)
		}
	})
	t.Run("put replaces", func(t *testing.T) {
		key := "blobtest/put/x.json"
		for _, body := range []string{`{"v":1}`, `{"v":2,"longer":true}`, ``} {
			if err := b.Put(ctx, key, bytes.NewReader([]byte(body))); err != nil {
				t.Fatal(err)
			}
			if got := get(t, b, key); string(got) != body {
				t.Fatalf("Get after Put: %q, want %q", got, body)
			}
		}
	})
	t.Run("put if absent", func(t *testing.T) {
		key := "blobtest/cond/_manifest.json"
		first := []byte(`{"run":"r1"}`)
		if err := b.PutIfAbsent(ctx, key, first); err != nil {
			t.Fatal(err)
		}
		if err := b.PutIfAbsent(ctx, key, []byte(`{"run":"r2"}`)); !errors.Is(err, lake.ErrExists) {
			t.Fatalf("second PutIfAbsent with other content: want ErrExists, got %v", err)
		}
		if got := get(t, b, key); !bytes.Equal(got, first) {
			t.Fatalf("PutIfAbsent overwrote: %q", got)
		}
	})
	t.Run("concurrent put if absent has one winner", func(t *testing.T) {
		key := "blobtest/race/_manifest.json"
		const writers = 8
		errs := make([]error, writers)
		var wg sync.WaitGroup
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = b.PutIfAbsent(ctx, key, []byte(fmt.Sprintf(`{"run":"r%d"}`, i)))
			}()
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("writers %d and %d both won", winner, i)
			case err == nil:
				winner = i
			case !errors.Is(err, lake.ErrExists):
				t.Fatalf("writer %d: %v", i, err)
			}
		}
		if winner < 0 {
			t.Fatal("no writer won")
		}
		if got := get(t, b, key); string(got) != fmt.Sprintf(`{"run":"r%d"}`, winner) {
			t.Fatalf("stored %q, winner was %d", got, winner)
		}
	})
	t.Run("large object and random access", func(t *testing.T) {
		key := "blobtest/large/part-00000.parquet"
		data := Bytes(LargeSize, 7)
		if err := b.Put(ctx, key, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		if got := get(t, b, key); sha256.Sum256(got) != sha256.Sum256(data) {
			t.Fatalf("large object round trip differs (%d bytes back of %d)", len(got), len(data))
		}
		ra, size, closer, err := b.Open(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		defer closer.Close()
		if size != int64(len(data)) {
			t.Fatalf("Open size %d, want %d", size, len(data))
		}
		reads := []struct {
			name    string
			off     int64
			n       int
			wantN   int
			wantEOF bool
		}{
			{"footer length and magic", size - 8, 8, 8, false},
			{"across the first part boundary", 5<<20 - 100, 200, 200, false},
			{"head", 0, 4, 4, false},
			{"past the end is short with EOF", size - 10, 100, 10, true},
			{"at the end", size, 1, 0, true},
		}
		for _, r := range reads {
			p := make([]byte, r.n)
			n, err := ra.ReadAt(p, r.off)
			if n != r.wantN || (err == io.EOF) != r.wantEOF || (err != nil && err != io.EOF) {
				t.Fatalf("%s: ReadAt(%d bytes at %d) = %d, %v; want %d bytes, EOF %v", r.name, r.n, r.off, n, err, r.wantN, r.wantEOF)
			}
			if !bytes.Equal(p[:n], data[r.off:r.off+int64(n)]) {
				t.Fatalf("%s: wrong bytes", r.name)
			}
		}
		// Parquet readers read column chunks in parallel.
		var wg sync.WaitGroup
		errc := make(chan error, 16)
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				off := int64(i) * (size / 16)
				p := make([]byte, 4096)
				if n, err := ra.ReadAt(p, off); n != len(p) || err != nil || !bytes.Equal(p, data[off:off+4096]) {
					errc <- fmt.Errorf("parallel ReadAt at %d: %d bytes, %v", off, n, err)
				}
			}()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Fatal(err)
		}
	})
	t.Run("list is lexical", func(t *testing.T) {
		// Byte order puts "x=1-b" ('-') before "x=1/" ('/') before "x=10";
		// a directory walk would not.
		keys := []string{
			"blobtest/list/x=10/d",
			"blobtest/list/x=1/a",
			"blobtest/list/x=1-b/c",
			"blobtest/list/x=1/b/deep",
			"blobtest/listing/not-under-the-prefix",
		}
		for _, k := range keys {
			if err := b.Put(ctx, k, bytes.NewReader([]byte(k))); err != nil {
				t.Fatal(err)
			}
		}
		want := []string{"blobtest/list/x=1-b/c", "blobtest/list/x=1/a", "blobtest/list/x=1/b/deep", "blobtest/list/x=10/d"}
		got, err := b.List(ctx, "blobtest/list/")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("List:\n got %q\nwant %q", got, want)
		}
		got, err = b.List(ctx, "blobtest/list/x=1/")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want[1:3]) {
			t.Fatalf("List of a sub-folder: got %q", got)
		}
	})
}

// Bytes returns n pseudo-random bytes from seed: incompressible, and
// reproducible so a failure can be replayed.
func Bytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := n &^ 7; i < n; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

func get(t *testing.T, b lake.Blob, key string) []byte {
	t.Helper()
	rc, err := b.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get %s: %v", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("Get %s: read: %v", key, err)
	}
	return data
}
