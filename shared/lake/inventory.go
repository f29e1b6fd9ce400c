package lake

import (
	"context"
	"fmt"
	"sort"
)

// Listing is one listing of a lake prefix: every key under it, and the
// manifests among them grouped by partition. The generated views and the
// retention sweep start from it; neither ever takes a data file from the
// listing without a manifest naming it.
type Listing struct {
	// Keys are every key under the prefix, in lexical order.
	Keys []string
	// Partitions maps each partition to its manifests' sequence numbers,
	// ascending: the last is the committed head.
	Partitions map[string][]int
}

// ListPartitions lists prefix once and groups its manifest keys by
// partition.
func ListPartitions(ctx context.Context, b Blob, prefix string) (*Listing, error) {
	keys, err := b.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", prefix, err)
	}
	l := &Listing{Keys: keys, Partitions: map[string][]int{}}
	for _, k := range keys {
		if p, seq, ok := parseManifestKey(k); ok {
			l.Partitions[p] = append(l.Partitions[p], seq)
		}
	}
	for _, seqs := range l.Partitions {
		sort.Ints(seqs)
	}
	return l, nil
}

// Heads are the manifest keys of every partition's committed head, sorted.
func (l *Listing) Heads() []string {
	out := make([]string, 0, len(l.Partitions))
	for p, seqs := range l.Partitions {
		out = append(out, ManifestKey(p, seqs[len(seqs)-1]))
	}
	sort.Strings(out)
	return out
}
