package kpi

import (
	"hash/maphash"
	"math/bits"
)

// idFilter is a Bloom filter over the keys of a join map (converted leads
// and contacts of the opportunities that need touches). Most of the 20M
// campaign members of a large org join nothing; the filter answers "not in
// the map" from a bitset small enough to stay in cache, instead of a probe
// of a map of hundreds of thousands of Ids. It has no false negatives, so
// a member it rejects is exactly one the map lookup would reject; a false
// positive (a few percent) only costs the map lookup it would have done.
type idFilter struct {
	bits []uint64
	mask uint64 // bit count - 1 (a power of two)
	seed maphash.Seed
}

// newIDFilter sizes a filter for n keys at about 8 bits per key (two
// probes: about 5% false positives).
func newIDFilter(n int) *idFilter {
	size := uint64(1) << max(10, bits.Len64(uint64(n)*8))
	return &idFilter{bits: make([]uint64, size/64), mask: size - 1, seed: maphash.MakeSeed()}
}

func (f *idFilter) probes(s string) (uint64, uint64) {
	h := maphash.String(f.seed, s)
	return h & f.mask, (h>>32 | h<<32) & f.mask
}

func (f *idFilter) add(s string) {
	a, b := f.probes(s)
	f.bits[a/64] |= 1 << (a % 64)
	f.bits[b/64] |= 1 << (b % 64)
}

// mayContain is false only for a key never added.
func (f *idFilter) mayContain(s string) bool {
	a, b := f.probes(s)
	return f.bits[a/64]&(1<<(a%64)) != 0 && f.bits[b/64]&(1<<(b%64)) != 0
}

// filterOf builds the filter of a map's keys.
func filterOf[V any](m map[string]V) *idFilter {
	f := newIDFilter(len(m))
	for k := range m {
		f.add(k)
	}
	return f
}
