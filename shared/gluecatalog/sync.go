package gluecatalog

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/venn-revops/venn/shared/lake"
)

// syncPrefixes are the lake prefixes whose partitions are registered.
var syncPrefixes = []string{"crm/snapshot/", "kpi/", "comp/", "exports/payroll/"}

// Sync registers the latest commit of every partition in the lake, for a lake
// whose partitions were committed before registration was enabled (a stack
// deployed without GLUE_DATABASE): reruns cannot do it, since a past night's
// snapshot is never committed again and a rerun over unchanged inputs
// replays. It is Register over each partition's head manifest, so it is
// idempotent and never moves a partition back. It returns how many
// partitions' manifests it registered.
func (c *Catalog) Sync(ctx context.Context, b lake.Blob) (int, error) {
	heads := map[string]int{} // partition → highest sequence
	for _, prefix := range syncPrefixes {
		keys, err := b.List(ctx, prefix)
		if err != nil {
			return 0, fmt.Errorf("gluecatalog: sync: list %s: %w", prefix, err)
		}
		for _, k := range keys {
			if partition, seq, ok := manifestKey(k); ok && seq > heads[partition] {
				heads[partition] = seq
			}
		}
	}
	partitions := make([]string, 0, len(heads))
	for p := range heads {
		partitions = append(partitions, p)
	}
	sort.Strings(partitions)
	for i, p := range partitions {
		m, err := lake.ReadManifest(ctx, b, lake.ManifestKey(p, heads[p]))
		if err == nil {
			err = c.Register(ctx, m)
		}
		if err != nil {
			return i, fmt.Errorf("gluecatalog: sync: %w", err)
		}
	}
	return len(partitions), nil
}

// manifestKey splits a manifest key (lake.ManifestKey) into its partition
// and sequence; other keys (data files, statements) are not manifests.
func manifestKey(key string) (partition string, seq int, ok bool) {
	dir, base := path.Split(key)
	num, ok := strings.CutPrefix(base, "_manifest-")
	if !ok {
		return "", 0, false
	}
	num, ok = strings.CutSuffix(num, ".json")
	n, err := strconv.Atoi(num)
	if !ok || err != nil || n <= 0 || lake.ManifestKey(strings.TrimSuffix(dir, "/"), n) != key {
		return "", 0, false
	}
	return strings.TrimSuffix(dir, "/"), n, true
}
