package lake

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Retention of superseded runs.
//
// A rerun commits a new run folder and leaves the superseded one in place:
// a reader that resolved the old manifest a moment ago may still be reading
// its files (DuckDB views generated before the rerun, a long Athena query,
// a job that read its inputs). So superseded runs are deleted only after a
// retention period, counted from the commit that superseded them, by Sweep:
//
//   - the committed run of a partition (the one its newest manifest names)
//     is never deleted, nor anything without a run=<id> folder in its key
//     (exports/payroll/quarter=Q/current/, for instance);
//   - a run folder of the partition, or a sidecar run folder under it
//     (statements/run=<id>/, csv/run=<id>/, scorecard/run=<id>/, which
//     carry the run id of the commit they belong to), is deleted once the
//     commit that superseded the last manifest naming its run is older
//     than the retention;
//   - a run no manifest names (a crashed or conflicting writer) is deleted
//     once its run id, the writer's start time, is older than the
//     retention and than the partition's committed head; a run id that is
//     no timestamp is left alone;
//   - a superseded manifest is deleted with its run, after its files: an
//     interrupted sweep leaves at most a manifest naming missing files,
//     which no reader resolves (readers take the newest) and the next
//     sweep removes;
//   - a nested partition (a folder under the partition with manifests of
//     its own) is swept as a partition of its own.
//
// Sweeping again is safe: it recomputes everything from the listing.

// Deleter is the part of a Blob that can delete. The local folder and S3
// implement it; the retention sweep needs it.
type Deleter interface {
	// Delete removes keys; a missing key is no error.
	Delete(ctx context.Context, keys ...string) error
}

// MinRetention is the shortest retention Sweep accepts: shorter could
// delete a run a job or a query started reading a moment before it was
// superseded. Zero means keep forever.
const MinRetention = time.Hour

// DefaultRetention is the retention of superseded runs unless configured.
const DefaultRetention = 30 * 24 * time.Hour

// runIDLayout is how the jobs name runs: their start time (UTC).
const runIDLayout = "20060102T150405.000000Z"

// SweepOptions configure Sweep.
type SweepOptions struct {
	// Retention is how long a superseded run stays; 0 keeps every run.
	Retention time.Duration
	// Now is the sweep's clock (nil: time.Now).
	Now func() time.Time
	// DryRun lists what would be deleted without deleting it.
	DryRun bool
	// Prefixes are the lake prefixes to sweep (default: the whole lake).
	Prefixes []string
}

// SweepReport is what a sweep deleted (or, dry, would delete).
type SweepReport struct {
	Deleted []string // keys, sorted
	// Kept counts the superseded or unreferenced runs still inside the
	// retention.
	Kept int
	// Partitions is how many partitions were swept.
	Partitions int
}

// ParseRetention reads a retention setting: a Go duration ("720h") or a
// number of days ("30d", "30"), "0" for keep forever.
func ParseRetention(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	days := strings.TrimSuffix(s, "d")
	var d time.Duration
	if n, err := parseDays(days); err == nil {
		d = time.Duration(n) * 24 * time.Hour
	} else if d, err = time.ParseDuration(s); err != nil {
		return 0, fmt.Errorf("retention %q: want days (30d) or a duration (720h), 0 to keep forever", s)
	}
	if d < 0 || (d > 0 && d < MinRetention) {
		return 0, fmt.Errorf("retention %q: at least %s (or 0 to keep forever): a shorter one could delete a run a reader is still reading", s, MinRetention)
	}
	return d, nil
}

func parseDays(s string) (int, error) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" || len(s) > 6 {
		return 0, errors.New("not a day count")
	}
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n, nil
}

// Sweep deletes the superseded runs whose retention has passed (see
// above). With Retention 0 it deletes nothing.
func Sweep(ctx context.Context, b Blob, opt SweepOptions) (*SweepReport, error) {
	if opt.Retention != 0 && opt.Retention < MinRetention {
		return nil, fmt.Errorf("lake sweep: retention %s is under the minimum %s", opt.Retention, MinRetention)
	}
	del, canDelete := b.(Deleter)
	if !canDelete && !opt.DryRun && opt.Retention > 0 {
		return nil, fmt.Errorf("lake sweep: this storage (%T) cannot delete", b)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	prefixes := opt.Prefixes
	if len(prefixes) == 0 {
		prefixes = []string{""}
	}
	rep := &SweepReport{}
	for _, prefix := range prefixes {
		l, err := ListPartitions(ctx, b, prefix)
		if err != nil {
			return rep, fmt.Errorf("lake sweep: %w", err)
		}
		if opt.Retention == 0 {
			continue
		}
		parts := make([]string, 0, len(l.Partitions))
		for p := range l.Partitions {
			parts = append(parts, p)
		}
		slices.Sort(parts)
		for _, p := range parts {
			keys := partitionKeys(l, p, parts)
			doomed, kept, err := sweepPartition(ctx, b, p, l.Partitions[p], keys, opt.Now().Add(-opt.Retention))
			if err != nil {
				return rep, fmt.Errorf("lake sweep: %s: %w", p, err)
			}
			rep.Partitions++
			rep.Kept += kept
			if len(doomed) == 0 {
				continue
			}
			if !opt.DryRun {
				if err := del.Delete(ctx, doomed...); err != nil {
					return rep, fmt.Errorf("lake sweep: %s: %w", p, err)
				}
			}
			rep.Deleted = append(rep.Deleted, doomed...)
		}
	}
	slices.Sort(rep.Deleted)
	return rep, nil
}

// partitionKeys are the keys that belong to partition p, relative to the
// folder they are under: its own (not those of a partition nested under
// it) and, for a CRM snapshot, those of the night's change files, which
// the snapshot's manifest commits (crm/changes/ has no manifests).
// Rejects are diagnostics of every run, committed or not: never swept.
func partitionKeys(l *Listing, p string, parts []string) []string {
	var nested []string
	for _, q := range parts {
		if strings.HasPrefix(q, p+"/") {
			nested = append(nested, q+"/")
		}
	}
	bases := []string{p + "/"}
	if rest, ok := strings.CutPrefix(p, "crm/snapshot/"); ok {
		bases = append(bases, "crm/changes/"+rest+"/")
	}
	var out []string
	for _, k := range l.Keys {
		if !slices.ContainsFunc(bases, func(b string) bool { return strings.HasPrefix(k, b) }) {
			continue
		}
		if slices.ContainsFunc(nested, func(n string) bool { return strings.HasPrefix(k, n) }) {
			continue
		}
		out = append(out, k)
	}
	return out
}

// sweepPartition returns the keys of partition p (manifest sequences seqs,
// ascending; keys, its own keys) to delete given the cutoff: runs and
// manifests superseded before it. kept counts the runs it keeps only for
// their retention.
func sweepPartition(ctx context.Context, b Blob, p string, seqs []int, keys []string, cutoff time.Time) (doomed []string, kept int, err error) {
	ms := make([]*Manifest, len(seqs))
	for i, seq := range seqs {
		if ms[i], err = ReadManifest(ctx, b, ManifestKey(p, seq)); err != nil {
			return nil, 0, err
		}
	}
	head := ms[len(ms)-1]
	// supersededAt: for each run a manifest names, when the commit after
	// the last manifest naming it was made (the head's run: never).
	supersededAt := map[string]time.Time{}
	for i, m := range ms {
		if i+1 < len(ms) {
			supersededAt[m.RunID] = ms[i+1].CommittedAt
		} else {
			delete(supersededAt, m.RunID)
		}
	}
	expired := func(run string) (bool, bool) { // (delete, counted as kept)
		if run == head.RunID {
			return false, false
		}
		if at, ok := supersededAt[run]; ok {
			return !at.After(cutoff), at.After(cutoff)
		}
		started, err := time.Parse(runIDLayout, run)
		if err != nil {
			return false, false // not ours to judge
		}
		old := !started.After(cutoff) && started.Before(head.CommittedAt)
		return old, !old
	}
	runs := map[string]bool{} // runs judged, for the kept count
	for _, k := range keys {
		if _, _, isManifest := parseManifestKey(k); isManifest {
			continue
		}
		run, ok := runOf(k)
		if !ok {
			continue
		}
		del, keep := expired(run)
		if del {
			doomed = append(doomed, k)
		}
		if keep && !runs[run] {
			kept++
		}
		runs[run] = true
	}
	// Manifests after their files, so an interrupted sweep never leaves
	// files without the manifest that lets the next sweep find their age.
	for i, m := range ms[:len(ms)-1] {
		if ms[i+1].CommittedAt.After(cutoff) {
			continue
		}
		// A manifest naming the head's run folder (a rerun into the same
		// folder) is just old; its files stay with the head.
		if del, _ := expired(m.RunID); del || m.RunID == head.RunID {
			doomed = append(doomed, m.Key())
		}
	}
	return doomed, kept, nil
}

// runOf finds the run id of a key: its first run=<id> folder (partition
// paths are key=value folders, never run=).
func runOf(key string) (string, bool) {
	segs := strings.Split(key, "/")
	for _, s := range segs[:len(segs)-1] {
		if id, ok := strings.CutPrefix(s, "run="); ok && id != "" {
			return id, true
		}
	}
	return "", false
}
