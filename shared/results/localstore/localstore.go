// Package localstore is the embedded results store used by the demo and local
// runs: the whole table in memory, persisted to one JSON file after every
// write (written to a temporary file and renamed, so a crash leaves the old
// or the new table, never half of one). It implements results.Store with the
// same condition semantics as the DynamoDB adapter.
package localstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/venn-revops/venn/shared/results"
)

// Store is a file-backed results.Store. The zero value is not usable; call Open.
type Store struct {
	mu    sync.Mutex
	path  string // "" keeps the table in memory only
	items map[key]results.Item
}

type key struct{ pk, sk string }

// Open loads the table at path, creating it when absent. An empty path gives
// an in-memory store.
func Open(path string) (*Store, error) {
	s := &Store{path: path, items: map[key]results.Item{}}
	if path == "" {
		return s, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open results store: %w", err)
	}
	var list []results.Item
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("open results store %s: %w", path, err)
	}
	for _, it := range list {
		s.items[key{it.PK, it.SK}] = it
	}
	return s, nil
}

// Get implements results.Store.
func (s *Store) Get(_ context.Context, pk, sk string) (results.Item, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.items[key{pk, sk}]
	if !ok {
		return results.Item{}, results.ErrNotFound
	}
	return clone(it), nil
}

// Put implements results.Store.
func (s *Store) Put(_ context.Context, it results.Item, cond results.Condition) error {
	if err := validate(it); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, exists := s.items[key{it.PK, it.SK}]
	switch {
	case cond.IfAbsent:
		if exists && !(cond.ExpiredBefore > 0 && old.Expires != 0 && old.Expires < cond.ExpiredBefore) {
			return results.ErrConditionFailed
		}
	case cond.IfVersion > 0:
		if !exists || old.Version != cond.IfVersion {
			return results.ErrConditionFailed
		}
	}
	s.items[key{it.PK, it.SK}] = clone(it)
	if err := s.flush(); err != nil {
		// Keep memory and file in step: undo the write.
		if exists {
			s.items[key{it.PK, it.SK}] = old
		} else {
			delete(s.items, key{it.PK, it.SK})
		}
		return err
	}
	return nil
}

// BatchPut implements results.Store.
func (s *Store) BatchPut(_ context.Context, items []results.Item) error {
	for _, it := range items {
		if err := validate(it); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, it := range items {
		s.items[key{it.PK, it.SK}] = clone(it)
	}
	return s.flush()
}

// Query implements results.Store.
func (s *Store) Query(_ context.Context, pk, prefix string) ([]results.Item, error) {
	return s.scan(func(it results.Item) (string, bool) {
		return it.SK, it.PK == pk && strings.HasPrefix(it.SK, prefix)
	}), nil
}

// QueryIndex implements results.Store.
func (s *Store) QueryIndex(_ context.Context, gsi1pk, prefix string) ([]results.Item, error) {
	return s.scan(func(it results.Item) (string, bool) {
		return it.GSI1SK, it.GSI1PK != "" && it.GSI1PK == gsi1pk && strings.HasPrefix(it.GSI1SK, prefix)
	}), nil
}

func (s *Store) scan(match func(results.Item) (string, bool)) []results.Item {
	s.mu.Lock()
	defer s.mu.Unlock()
	type hit struct {
		sort string
		it   results.Item
	}
	var hits []hit
	for _, it := range s.items {
		if k, ok := match(it); ok {
			hits = append(hits, hit{k + "\x00" + it.PK + "\x00" + it.SK, clone(it)})
		}
	}
	sort.Slice(hits, func(a, b int) bool { return hits[a].sort < hits[b].sort })
	out := make([]results.Item, len(hits))
	for i, h := range hits {
		out[i] = h.it
	}
	return out
}

func (s *Store) flush() error {
	if s.path == "" {
		return nil
	}
	list := make([]results.Item, 0, len(s.items))
	for _, it := range s.items {
		list = append(list, it)
	}
	sort.Slice(list, func(a, b int) bool {
		if list[a].PK != list[b].PK {
			return list[a].PK < list[b].PK
		}
		return list[a].SK < list[b].SK
	})
	b, err := json.MarshalIndent(list, "", " ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return fmt.Errorf("results store: %w", err)
	}
	tmp := s.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("results store: %w", err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return fmt.Errorf("results store: %w", err)
	}
	return nil
}

// The same limits DynamoDB enforces, so local runs fail where AWS would.
func validate(it results.Item) error {
	if it.PK == "" || it.SK == "" {
		return fmt.Errorf("results store: item %q/%q: empty key", it.PK, it.SK)
	}
	if len(it.Body) > 350*1024 {
		return fmt.Errorf("results store: item %s/%s: body is %d bytes, over the 350 KiB budget under DynamoDB's 400 KB item limit", it.PK, it.SK, len(it.Body))
	}
	return nil
}

func clone(it results.Item) results.Item {
	it.Body = append([]byte(nil), it.Body...)
	return it
}
