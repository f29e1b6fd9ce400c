package lake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"
)

// The commit protocol.
//
// A partition (e.g. crm/snapshot/object=Lead/dt=2026-11-20) is committed by a
// manifest: <partition>/_manifest-NNNNNN.json, NNNNNN = 000001, 000002, …
// The highest sequence number present is the partition's committed state;
// each commit names the one it supersedes. Manifests are written with
// Blob.PutIfAbsent (S3 If-None-Match: *), which is the only compare-and-swap
// every S3 implementation (and local test servers) honours. So:
//
//   - a crash before the manifest leaves only an unreferenced run folder:
//     readers, who go only through manifests, still see the previous commit;
//   - two concurrent writers that both observed sequence N both try N+1 and
//     exactly one PutIfAbsent succeeds; the loser gets ErrCommitConflict and
//     its run folder stays invisible (expired later by lifecycle);
//   - a rerun of the same night commits N+1 over the same inputs: same
//     content, new run folder, and readers see one manifest, never both;
//   - a conditional PUT whose response was lost and that the SDK retried
//     fails with "exists"; Commit then reads the stored manifest back and
//     treats byte-for-byte equality as success (PITFALLS: lost responses).
//
// A single mutable _manifest.json could not give the last three without a
// compare-and-swap on overwrite, which S3 local servers do not offer.

// ManifestFormat is the version of the manifest JSON layout.
const ManifestFormat = 1

// manifestPrefix starts every manifest key's last segment.
const manifestPrefix = "_manifest-"

// ErrCommitConflict means another writer committed the partition first.
var ErrCommitConflict = errors.New("lake: another run committed this partition first")

// ErrNoSnapshot is returned when no committed manifest matches a lookup.
var ErrNoSnapshot = errors.New("lake: no committed snapshot")

// Column is one column of a manifest's schema.
type Column struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Required bool   `json:"required,omitempty"`
	// Field and Kind (CRM snapshots) are the org field behind the column
	// and its crm.FieldType name, so a later run can keep a column whose
	// field the org dropped as a null column of the same type.
	Field string `json:"field,omitempty"`
	Kind  string `json:"kind,omitempty"`
}

// SchemaChange is one entry of a partition's schema history: the night the
// snapshot's column set changed, the new version and the columns added
// and removed (removed: the org dropped the field; the column stays, null).
type SchemaChange struct {
	Dt      string   `json:"dt"`
	Version string   `json:"schema_version"`
	Added   []string `json:"added,omitempty"`
	Removed []string `json:"removed,omitempty"`
}

// Counts are a commit's record counts.
type Counts struct {
	Upserts int64 `json:"upserts"`
	Deletes int64 `json:"deletes"`
	Rejects int64 `json:"rejects"`
}

// Manifest is a partition commit. Its JSON field order is the struct's, so
// the same commit always serializes to the same bytes.
type Manifest struct {
	Format    int    `json:"format"`
	Table     string `json:"table"` // "crm/snapshot", "kpi", "comp/statements", …
	Partition string `json:"partition"`
	Object    string `json:"object,omitempty"`
	Dt        string `json:"dt,omitempty"`
	Sequence  int    `json:"sequence"`
	RunID     string `json:"run_id"`
	// Supersedes is the manifest key of the partition's previous commit.
	Supersedes    string   `json:"supersedes,omitempty"`
	SchemaVersion string   `json:"schema_version"`
	Schema        []Column `json:"schema"`
	// SchemaHistory lists every change of the object's snapshot schema up
	// to this commit, oldest first, carried forward from the previous
	// snapshot (CRM snapshots; empty while the schema never changed).
	SchemaHistory []SchemaChange `json:"schema_history,omitempty"`
	Files         []File         `json:"files"`
	Rows          int64          `json:"rows"`
	// Watermark is the newest SystemModstamp the snapshot reflects (UTC).
	Watermark *time.Time `json:"watermark,omitempty"`
	// Previous is the manifest this snapshot was merged from (yesterday's
	// snapshot), for lineage.
	Previous string `json:"previous,omitempty"`
	// FieldsPresent are the registry fields the source described and the
	// run selected; RemovedFields are registry fields it did not (written as
	// null); NewFields are source fields the registry does not know.
	FieldsPresent []string `json:"fields_present,omitempty"`
	NewFields     []string `json:"new_fields,omitempty"`
	RemovedFields []string `json:"removed_fields,omitempty"`
	// Changes and Rejects are the run's change files and reject files. A
	// full pull (Mode "full") writes no change files: they would duplicate
	// the snapshot, which then is the whole increment.
	Changes []File  `json:"changes,omitempty"`
	Rejects []File  `json:"rejects,omitempty"`
	Counts  *Counts `json:"counts,omitempty"`
	Mode    string  `json:"mode,omitempty"` // full, incremental, bulk
	// PIIHashed lists the columns holding HMAC-SHA256 hashes, and PIIKeyID
	// identifies the key (never the key itself) so a key rotation is visible.
	PIIHashed []string `json:"pii_hashed,omitempty"`
	PIIKeyID  string   `json:"pii_key_id,omitempty"`
	// Meta is free-form, writer-defined provenance (input manifests, code
	// version, …) for the gold tables.
	Meta map[string]string `json:"meta,omitempty"`
	// CommittedAt is the writer's clock at commit.
	CommittedAt time.Time `json:"committed_at"`
}

// Key is the manifest's own key.
func (m *Manifest) Key() string { return ManifestKey(m.Partition, m.Sequence) }

// ManifestKey is the key of commit seq of partition.
func ManifestKey(partition string, seq int) string {
	return fmt.Sprintf("%s/%s%06d.json", partition, manifestPrefix, seq)
}

// RunFolder is the key prefix (no trailing slash) of a run's data files.
func RunFolder(partition, runID string) string { return partition + "/run=" + runID }

// SnapshotPartition is the partition of an object's snapshot for a night.
func SnapshotPartition(object, dt string) string {
	return "crm/snapshot/object=" + object + "/dt=" + dt
}

// ChangesPartition is the partition of an object's change files for a night.
func ChangesPartition(object, dt string) string {
	return "crm/changes/object=" + object + "/dt=" + dt
}

// RejectsPartition is the partition of an object's reject files for a night.
func RejectsPartition(object, dt string) string {
	return "crm/rejects/object=" + object + "/dt=" + dt
}

// DateString formats t as a dt partition value (UTC date).
func DateString(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// parseManifestKey returns the partition and sequence of a manifest key.
func parseManifestKey(key string) (partition string, seq int, ok bool) {
	dir, base := path.Split(key)
	if !strings.HasPrefix(base, manifestPrefix) || !strings.HasSuffix(base, ".json") {
		return "", 0, false
	}
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(base, manifestPrefix), ".json"))
	if err != nil || n <= 0 {
		return "", 0, false
	}
	return strings.TrimSuffix(dir, "/"), n, true
}

// Head returns the sequence number of partition's latest commit (0 when it
// has none). Writers read it before reading their inputs and pass it to
// Commit, so a commit made by someone else in between is detected.
func Head(ctx context.Context, b Blob, partition string) (int, error) {
	keys, err := b.List(ctx, partition+"/"+manifestPrefix)
	if err != nil {
		return 0, fmt.Errorf("list manifests of %s: %w", partition, err)
	}
	head := 0
	for _, k := range keys {
		if p, seq, ok := parseManifestKey(k); ok && p == partition && seq > head {
			head = seq
		}
	}
	return head, nil
}

// Encode serializes m deterministically (struct field order, two-space
// indent, trailing newline).
func (m *Manifest) Encode() ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode manifest of %s: %w", m.Partition, err)
	}
	return append(b, '\n'), nil
}

// Commit publishes m as commit head+1 of m.Partition, where head is the
// sequence the writer observed (Head) before reading its inputs. It sets
// m.Format, m.Sequence and m.Supersedes. It returns ErrCommitConflict when
// another commit took that sequence; the caller must not retry blindly (its
// inputs may be stale) but may rerun from Head.
func Commit(ctx context.Context, b Blob, m *Manifest, head int) error {
	m.Format = ManifestFormat
	m.Sequence = head + 1
	m.Supersedes = ""
	if head > 0 {
		m.Supersedes = ManifestKey(m.Partition, head)
	}
	body, err := m.Encode()
	if err != nil {
		return err
	}
	key := m.Key()
	err = b.PutIfAbsent(ctx, key, body)
	if err == nil {
		return nil
	}
	if !errors.Is(err, ErrExists) {
		return fmt.Errorf("commit %s: %w", key, err)
	}
	// Someone holds the key: us, if the SDK retried a PUT whose response
	// was lost, or a concurrent writer.
	stored, gerr := readAll(ctx, b, key)
	if gerr != nil {
		return fmt.Errorf("commit %s: key exists and cannot be read back: %w", key, gerr)
	}
	if bytes.Equal(stored, body) {
		return nil
	}
	return fmt.Errorf("commit %s (run %s): %w", key, m.RunID, ErrCommitConflict)
}

func readAll(ctx context.Context, b Blob, key string) ([]byte, error) {
	rc, err := b.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// ReadManifest reads the manifest at key.
func ReadManifest(ctx context.Context, b Blob, key string) (*Manifest, error) {
	body, err := readAll(ctx, b, key)
	if err != nil {
		return nil, fmt.Errorf("read manifest %s: %w", key, err)
	}
	var m Manifest
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("decode manifest %s: %w", key, err)
	}
	if m.Format != ManifestFormat {
		return nil, fmt.Errorf("manifest %s: format %d, this reader knows %d", key, m.Format, ManifestFormat)
	}
	return &m, nil
}

// Latest returns the latest commit of a partition, or ErrNoSnapshot.
func Latest(ctx context.Context, b Blob, partition string) (*Manifest, error) {
	head, err := Head(ctx, b, partition)
	if err != nil {
		return nil, err
	}
	if head == 0 {
		return nil, fmt.Errorf("%s: %w", partition, ErrNoSnapshot)
	}
	return ReadManifest(ctx, b, ManifestKey(partition, head))
}

// Snapshot returns the committed snapshot of object for night dt
// ("YYYY-MM-DD"), or an error wrapping ErrNoSnapshot.
func Snapshot(ctx context.Context, b Blob, object, dt string) (*Manifest, error) {
	return Latest(ctx, b, SnapshotPartition(object, dt))
}

// LatestSnapshot returns the newest committed snapshot of object whose dt is
// on or before asOf's UTC date, or an error wrapping ErrNoSnapshot.
//
// It lists the object's snapshot prefix and keeps only manifest keys: data
// files are never chosen by listing. (Blob has no delimiter listing, so the
// listing also walks run folders: a few keys per night.)
func LatestSnapshot(ctx context.Context, b Blob, object string, asOf time.Time) (*Manifest, error) {
	prefix := "crm/snapshot/object=" + object + "/dt="
	keys, err := b.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("list snapshots of %s: %w", object, err)
	}
	limit := DateString(asOf)
	best, bestDt, bestSeq := "", "", 0
	for _, k := range keys {
		part, seq, ok := parseManifestKey(k)
		if !ok || !strings.HasPrefix(part, prefix) {
			continue
		}
		dt := strings.TrimPrefix(part, prefix)
		if strings.Contains(dt, "/") || dt > limit {
			continue
		}
		if dt > bestDt || (dt == bestDt && seq > bestSeq) {
			best, bestDt, bestSeq = k, dt, seq
		}
	}
	if best == "" {
		return nil, fmt.Errorf("%s as of %s: %w", object, limit, ErrNoSnapshot)
	}
	return ReadManifest(ctx, b, best)
}
