// Package fsblob is the local-folder lake.Blob used by the demo, local runs
// and tests. Keys map to files under a root folder. Writes are atomic: a
// reader sees the old object, the new one, or none, never half of one,
// across processes as well as goroutines.
package fsblob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/venn-revops/venn/shared/lake"
)

// tmpDir holds files being written. It sits under the root (so rename and
// link stay on one file system) and is never listed.
const tmpDir = ".tmp"

// Blob is a lake.Blob over a local folder.
type Blob struct {
	root string
}

var _ lake.Blob = (*Blob)(nil)

// New returns a Blob rooted at root, creating the folder if needed.
func New(root string) (*Blob, error) {
	if err := os.MkdirAll(filepath.Join(root, tmpDir), 0o755); err != nil {
		return nil, fmt.Errorf("fsblob: create root %s: %w", root, err)
	}
	return &Blob{root: root}, nil
}

// Root is the folder the keys are relative to (DuckDB and tests read files
// there directly).
func (b *Blob) Root() string { return b.root }

// Path returns the file path of key.
func (b *Blob) Path(key string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	return filepath.Join(b.root, filepath.FromSlash(key)), nil
}

// checkKey rejects keys that could escape the root or collide with the
// temporary folder.
func checkKey(key string) error {
	if key == "" || strings.HasPrefix(key, "/") || strings.HasSuffix(key, "/") {
		return fmt.Errorf("fsblob: invalid key %q", key)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." || seg == tmpDir || strings.ContainsRune(seg, '\\') {
			return fmt.Errorf("fsblob: invalid key %q", key)
		}
	}
	return nil
}

// writeTemp copies r into a new temporary file and returns its path; the
// caller moves it into place.
func (b *Blob) writeTemp(r io.Reader) (string, error) {
	f, err := os.CreateTemp(filepath.Join(b.root, tmpDir), "put-*")
	if err != nil {
		return "", fmt.Errorf("fsblob: temp file: %w", err)
	}
	_, err = io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("fsblob: write temp file: %w", err)
	}
	return f.Name(), nil
}

// Put implements lake.Blob: temp file + rename, so readers never see a
// partial object.
func (b *Blob) Put(ctx context.Context, key string, r io.Reader) error {
	path, err := b.Path(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("fsblob: put %s: %w", key, err)
	}
	tmp, err := b.writeTemp(r)
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("fsblob: put %s: %w", key, err)
	}
	return nil
}

// PutIfAbsent implements lake.Blob. The body is written to a temp file and
// hard-linked to the key: link(2) fails with EEXIST if the key exists, so
// exactly one of several concurrent writers (in any process) wins, and the
// winner's object appears complete.
func (b *Blob) PutIfAbsent(ctx context.Context, key string, body []byte) error {
	path, err := b.Path(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("fsblob: put %s: %w", key, err)
	}
	tmp, err := b.writeTemp(strings.NewReader(string(body)))
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return lake.ErrExists
		}
		return fmt.Errorf("fsblob: put-if-absent %s: %w", key, err)
	}
	return nil
}

// Get implements lake.Blob.
func (b *Blob) Get(_ context.Context, key string) (io.ReadCloser, error) {
	path, err := b.Path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("get %s: %w", key, lake.ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("fsblob: get %s: %w", key, err)
	}
	return f, nil
}

// Open implements lake.Blob.
func (b *Blob) Open(_ context.Context, key string) (io.ReaderAt, int64, io.Closer, error) {
	path, err := b.Path(key)
	if err != nil {
		return nil, 0, nil, err
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil, fmt.Errorf("open %s: %w", key, lake.ErrNotExist)
	}
	if err != nil {
		return nil, 0, nil, fmt.Errorf("fsblob: open %s: %w", key, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, nil, fmt.Errorf("fsblob: stat %s: %w", key, err)
	}
	return f, st.Size(), f, nil
}

// List implements lake.Blob: keys under prefix (a plain string prefix, as in
// S3, not necessarily ending at a slash), in lexical order.
func (b *Blob) List(ctx context.Context, prefix string) ([]string, error) {
	// Walk only the deepest folder the prefix names.
	dir := ""
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		dir = prefix[:i]
	}
	start := filepath.Join(b.root, filepath.FromSlash(dir))
	var keys []string
	err := filepath.WalkDir(start, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, rerr := filepath.Rel(b.root, path)
		if rerr != nil {
			return rerr
		}
		key := filepath.ToSlash(rel)
		if d.IsDir() {
			if key == tmpDir {
				return fs.SkipDir
			}
			// Skip folders that cannot contain a matching key.
			if key != "." && !strings.HasPrefix(key+"/", prefix) && !strings.HasPrefix(prefix, key+"/") {
				return fs.SkipDir
			}
			return nil
		}
		if strings.HasPrefix(key, prefix) {
			keys = append(keys, key)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("fsblob: list %q: %w", prefix, err)
	}
	sort.Strings(keys)
	return keys, nil
}

var _ lake.Deleter = (*Blob)(nil)

// Delete implements lake.Deleter: each file is removed (a missing one is no
// error), then the folders the removals emptied, up to the first that still
// holds something, so a swept run leaves no empty run=<id>/ folder behind.
func (b *Blob) Delete(ctx context.Context, keys ...string) error {
	root := filepath.Clean(b.root)
	for _, key := range keys {
		path, err := b.Path(key)
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("fsblob: delete %s: %w", key, err)
		}
		for dir := filepath.Dir(path); strings.HasPrefix(dir, root+string(filepath.Separator)); dir = filepath.Dir(dir) {
			if os.Remove(dir) != nil { // not empty (or gone): stop
				break
			}
		}
	}
	return nil
}
