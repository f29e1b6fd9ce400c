package configstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/venn-revops/venn/shared/pipeline"
)

// Store internals beside the layout's files.
const (
	currentKey = "current.json"
	pushesDir  = "_pushes/"
	versionDir = "_versions/"
)

// ErrNotExist is a missing object or file of a store.
var ErrNotExist = errors.New("not found")

// FileRecord is one pushed file.
type FileRecord struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	// VersionID is the file's version in the store: the S3 object version,
	// or the local store's sha256 prefix.
	VersionID string `json:"version_id"`
	Bytes     int    `json:"bytes"`
}

// PushRecord is the audit record of one push (_pushes/<id>.json) and, for
// the push in force, current.json.
type PushRecord struct {
	ID string `json:"id"` // the push instant, YYYYMMDDTHHMMSS.ffffffZ
	// Version is the version runs record: Hash[:16]@ID.
	Version string `json:"version"`
	// Hash is the content hash of the effective set as the pusher computed
	// it (defaults of the pushing binary filled in).
	Hash     string    `json:"hash"`
	PushedBy string    `json:"pushed_by"` // the caller's ARN on S3, the OS user locally
	PushedAt time.Time `json:"pushed_at"`
	// From is the folder pushed.
	From  string       `json:"from"`
	Files []FileRecord `json:"files"`
	// Defaults are the units the pushed folder left out: each reader uses
	// its own embedded default for them.
	Defaults []string `json:"defaults,omitempty"`
	// Previous is the version that was in force before ("" for the first).
	Previous string `json:"previous,omitempty"`
}

// objects is a store's backend: a local folder or an S3 prefix.
type objects interface {
	// putVersioned keeps a layout file and returns its version id.
	putVersioned(ctx context.Context, key string, data []byte) (string, error)
	// putPlain writes a store record whole (readers see old or new).
	putPlain(ctx context.Context, key string, data []byte) error
	// get reads key at versionID ("": the latest plain object), returning
	// the version read (S3) or "" — ErrNotExist when missing.
	get(ctx context.Context, key, versionID string) ([]byte, string, error)
	// list returns the keys under prefix, sorted.
	list(ctx context.Context, prefix string) ([]string, error)
	// name is how a key is shown to people.
	name(key string) string
}

// Store is a configuration source: the embedded default, a folder in the
// layout (read only), or a store of pushed sets (a local folder or an S3
// prefix). It implements pipeline.ConfigSource; reading a store costs one
// small GET of current.json while nothing was pushed since the last read.
type Store struct {
	uri string
	obj objects // nil: the embedded default or a plain folder
	dir string  // a plain folder in the layout
	// who names the pusher.
	who func(ctx context.Context) (string, error)
	now func() time.Time

	mu       sync.Mutex
	cacheKey string
	cached   *Snapshot
}

// Option configures a Store.
type Option func(*storeOptions)

type storeOptions struct {
	s3  s3API
	sts stsAPI
	now func() time.Time
}

// WithClock sets the push clock (tests; default: the wall clock).
func WithClock(now func() time.Time) Option { return func(o *storeOptions) { o.now = now } }

// Open opens the configuration at uri: "" or "embedded" for the embedded
// default, s3://bucket/prefix for an S3 store, or a folder: a store when it
// holds current.json, else a folder in the layout. A folder must exist:
// Open never creates one.
func Open(ctx context.Context, uri string, opts ...Option) (*Store, error) {
	o := storeOptions{now: time.Now}
	for _, f := range opts {
		f(&o)
	}
	switch {
	case uri == "" || uri == "embedded":
		return &Store{uri: "embedded"}, nil
	case strings.HasPrefix(uri, "s3://"):
		return openS3(ctx, uri, o)
	case strings.Contains(uri, "://"):
		return nil, fmt.Errorf("configuration %q: want a folder or s3://bucket/prefix", uri)
	}
	fi, err := os.Stat(uri)
	if err != nil {
		return nil, fmt.Errorf("configuration folder %s: %w", uri, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("configuration folder %s: not a folder", uri)
	}
	s := &Store{uri: uri, now: o.now, who: osUser}
	if _, err := os.Stat(filepath.Join(uri, currentKey)); err == nil || isStoreFolder(uri) {
		s.obj = dirObjects{root: uri}
	} else {
		s.dir = uri
	}
	return s, nil
}

// isStoreFolder says whether a folder is a (possibly empty) local store:
// it has store internals, or nothing at all.
func isStoreFolder(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if e.Name() == strings.TrimSuffix(pushesDir, "/") || e.Name() == strings.TrimSuffix(versionDir, "/") {
			return true
		}
	}
	return len(entries) == 0
}

func osUser(context.Context) (string, error) {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username, nil
	}
	if v := os.Getenv("USER"); v != "" {
		return v, nil
	}
	return "", errors.New("who is pushing: no OS user name (set USER)")
}

// URI is where the store is.
func (s *Store) URI() string { return s.uri }

// Current reads the configuration in force, validated. For a store, a set
// already read is reused while current.json has not changed; before the
// first push it is the embedded default, and the snapshot says so.
func (s *Store) Current(ctx context.Context) (*Snapshot, error) {
	switch {
	case s.obj == nil && s.dir == "":
		return Embedded(), nil
	case s.obj == nil:
		return LoadFS(os.DirFS(s.dir), s.dir)
	}
	data, vid, err := s.obj.get(ctx, currentKey, "")
	if errors.Is(err, ErrNotExist) {
		e := *Embedded()
		e.Source = s.uri + " (nothing pushed yet: embedded default)"
		return &e, nil
	}
	if err != nil {
		return nil, fmt.Errorf("configuration %s: %w", s.obj.name(currentKey), err)
	}
	key := vid
	if key == "" {
		key = sha256Hex(data)
	}
	s.mu.Lock()
	if s.cached != nil && s.cacheKey == key {
		c := s.cached
		s.mu.Unlock()
		return c, nil
	}
	s.mu.Unlock()
	var rec PushRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("configuration %s: %w", s.obj.name(currentKey), err)
	}
	snap, err := s.read(ctx, &rec)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.cacheKey, s.cached = key, snap
	s.mu.Unlock()
	return snap, nil
}

// read loads the files a push record names, at their versions, checking
// each one's SHA-256.
func (s *Store) read(ctx context.Context, rec *PushRecord) (*Snapshot, error) {
	files := map[string][]byte{}
	for _, f := range rec.Files {
		b, _, err := s.obj.get(ctx, f.Path, f.VersionID)
		if err != nil {
			return nil, fmt.Errorf("configuration %s (version %s of push %s): %w", s.obj.name(f.Path), f.VersionID, rec.ID, err)
		}
		if got := sha256Hex(b); got != f.SHA256 {
			return nil, fmt.Errorf("configuration %s (version %s of push %s): sha256 %s, the push recorded %s", s.obj.name(f.Path), f.VersionID, rec.ID, got, f.SHA256)
		}
		files[f.Path] = b
	}
	snap, err := build(s.uri, files, s.obj.name)
	if err != nil {
		return nil, err
	}
	snap.Version = snap.Hash[:16] + "@" + rec.ID
	snap.Push = rec
	return snap, nil
}

// Push makes the folder's set (LoadFS; validated, so nothing invalid is
// ever pushed) the configuration in force: the files first, each keeping
// its version, then the audit record _pushes/<id>.json, then current.json.
// A reader sees the previous set until current.json is written.
func (s *Store) Push(ctx context.Context, set *Snapshot, from string, files map[string][]byte) (*PushRecord, error) {
	if s.obj == nil {
		if s.dir != "" {
			return nil, fmt.Errorf("push to %s: it holds configuration files but is no store (no current.json); push to an empty folder, an existing store or s3://bucket/prefix", s.uri)
		}
		return nil, errors.New("push: the embedded default cannot be pushed to")
	}
	who, err := s.who(ctx)
	if err != nil {
		return nil, fmt.Errorf("push to %s: %w", s.uri, err)
	}
	var cur PushRecord
	if data, _, err := s.obj.get(ctx, currentKey, ""); err == nil {
		_ = json.Unmarshal(data, &cur) // an unreadable record is replaced
	} else if !errors.Is(err, ErrNotExist) {
		return nil, fmt.Errorf("push to %s: %w", s.uri, err)
	}
	prev := cur.Version
	at := s.now().UTC().Truncate(time.Microsecond)
	if !at.After(cur.PushedAt) {
		// Push ids name audit records: never reuse one, even when two
		// pushes share a clock tick (or the pusher's clock is behind).
		at = cur.PushedAt.Add(time.Microsecond)
	}
	rec := &PushRecord{ID: at.Format("20060102T150405.000000Z"), Hash: set.Hash, PushedBy: who, PushedAt: at, From: from, Defaults: set.Defaults, Previous: prev}
	rec.Version = set.Hash[:16] + "@" + rec.ID
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		vid, err := s.obj.putVersioned(ctx, p, files[p])
		if err != nil {
			return nil, fmt.Errorf("push to %s: %s: %w (nothing is in force yet: current.json is unchanged)", s.uri, p, err)
		}
		rec.Files = append(rec.Files, FileRecord{Path: p, SHA256: sha256Hex(files[p]), VersionID: vid, Bytes: len(files[p])})
	}
	body, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return nil, err
	}
	body = append(body, '\n')
	if err := s.obj.putPlain(ctx, pushesDir+rec.ID+".json", body); err != nil {
		return nil, fmt.Errorf("push to %s: audit record: %w (nothing is in force yet)", s.uri, err)
	}
	if err := s.obj.putPlain(ctx, currentKey, body); err != nil {
		return nil, fmt.Errorf("push to %s: current.json: %w (the audit record %s is written; push again)", s.uri, err, pushesDir+rec.ID+".json")
	}
	return rec, nil
}

// At reads the set of an earlier push (its _pushes/<id>.json record), for
// a rollback: export it, then push it again.
func (s *Store) At(ctx context.Context, pushID string) (*Snapshot, error) {
	if s.obj == nil {
		return nil, fmt.Errorf("configuration %s: not a store, it has no pushes", s.uri)
	}
	if pushID == "" || strings.ContainsAny(pushID, "/\\") {
		return nil, fmt.Errorf("configuration %s: bad push id %q (see venn config show --history)", s.uri, pushID)
	}
	data, _, err := s.obj.get(ctx, pushesDir+pushID+".json", "")
	if err != nil {
		return nil, fmt.Errorf("configuration %s: push %s: %w (see venn config show --history)", s.uri, pushID, err)
	}
	var rec PushRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("configuration %s: %w", s.obj.name(pushesDir+pushID+".json"), err)
	}
	return s.read(ctx, &rec)
}

// Export writes the files of s that are not embedded defaults into dir, in
// the layout: a folder to edit and push. dir must exist and be empty.
func Export(s *Snapshot, dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("export into %s: %w (create the folder first)", dir, err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("export into %s: the folder is not empty", dir)
	}
	for _, p := range s.Paths {
		if s.IsDefault(p) && s.Push != nil {
			continue // left out when it was pushed: keep it out
		}
		b, err := fs.ReadFile(s.Files, p)
		if err != nil {
			return err
		}
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// History lists the audit records of a store's pushes, oldest first.
func (s *Store) History(ctx context.Context) ([]PushRecord, error) {
	if s.obj == nil {
		return nil, nil
	}
	keys, err := s.obj.list(ctx, pushesDir)
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", s.uri, err)
	}
	var out []PushRecord
	for _, k := range keys {
		if !strings.HasSuffix(k, ".json") {
			continue
		}
		b, _, err := s.obj.get(ctx, k, "")
		if err != nil {
			return nil, fmt.Errorf("history of %s: %s: %w", s.uri, k, err)
		}
		var r PushRecord
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("history of %s: %s: %w", s.uri, s.obj.name(k), err)
		}
		out = append(out, r)
	}
	return out, nil
}

// ReadFolder reads a folder in the layout for a push: the validated
// snapshot and the files themselves (only those the folder has; the units
// it leaves out stay defaults).
func ReadFolder(dir string) (*Snapshot, map[string][]byte, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("configuration folder %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return nil, nil, fmt.Errorf("configuration folder %s: not a folder", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, currentKey)); err == nil {
		return nil, nil, fmt.Errorf("configuration folder %s: it is a store (current.json); validate or push the folder you edit, not a store", dir)
	}
	snap, err := LoadFS(os.DirFS(dir), dir)
	if err != nil {
		return nil, nil, err
	}
	files := map[string][]byte{}
	for _, p := range snap.Paths {
		if unitOf(p) == "" || slices.Contains(snap.Defaults, unitOf(p)) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			return nil, nil, err
		}
		files[p] = b
	}
	return snap, files, nil
}

// Load implements pipeline.ConfigSource.
func (s *Store) Load(ctx context.Context) (*pipeline.ConfigSet, error) {
	snap, err := s.Current(ctx)
	if err != nil {
		return nil, err
	}
	return snap.ConfigSet(), nil
}

// ConfigSet is what a job takes from the snapshot.
func (s *Snapshot) ConfigSet() *pipeline.ConfigSet {
	return &pipeline.ConfigSet{Version: s.Version, KPI: s.KPI, Comp: s.Comp, Extract: s.Extract, Score: s.Score}
}
