package configstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// dirObjects is a store in a local folder. A layout file's versions are
// kept under _versions/<path>/<first 16 hex digits of its SHA-256>, so a
// version id names its content and pushing the same bytes again reuses it.
type dirObjects struct{ root string }

func (d dirObjects) putVersioned(_ context.Context, key string, data []byte) (string, error) {
	vid := sha256Hex(data)[:16]
	target := filepath.Join(d.root, filepath.FromSlash(versionDir+key), vid)
	if _, err := os.Stat(target); err == nil {
		return vid, nil
	}
	return vid, writeAtomic(target, data)
}

func (d dirObjects) putPlain(_ context.Context, key string, data []byte) error {
	return writeAtomic(filepath.Join(d.root, filepath.FromSlash(key)), data)
}

// writeAtomic writes path whole: a temporary file renamed over it, so a
// reader sees the old or the new content, never a part.
func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

func (d dirObjects) get(_ context.Context, key, versionID string) ([]byte, string, error) {
	p := filepath.Join(d.root, filepath.FromSlash(key))
	if versionID != "" {
		if strings.ContainsAny(versionID, `/\`) || versionID == ".." {
			return nil, "", fmt.Errorf("%s: bad version id %q", d.name(key), versionID)
		}
		p = filepath.Join(d.root, filepath.FromSlash(versionDir+key), versionID)
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("%s: %w", p, ErrNotExist)
	}
	return b, "", err
}

func (d dirObjects) list(_ context.Context, prefix string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(d.root, filepath.FromSlash(prefix)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, prefix+e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

func (d dirObjects) name(key string) string { return filepath.Join(d.root, filepath.FromSlash(key)) }
