package kpi

import "strings"

// interner maps the repeated strings of opportunities (owners, accounts,
// lead sources, campaigns) to small integers, so a million opportunities
// hold 4-byte indexes instead of a string header and a copy each.
type interner struct {
	idx map[string]uint32
	s   []string
}

func newInterner() *interner {
	n := &interner{idx: map[string]uint32{}}
	n.id("") // 0 is the empty string
	return n
}

func (n *interner) id(s string) uint32 {
	if i, ok := n.idx[s]; ok {
		return i
	}
	i := uint32(len(n.s))
	s = strings.Clone(s) // never keep a reader's buffer alive
	n.s = append(n.s, s)
	n.idx[s] = i
	return i
}

func (n *interner) str(i uint32) string { return n.s[i] }

// oppChunk bounds the copy when the opportunity table grows: chunks are
// appended, never reallocated, so peak memory is the table plus one chunk.
const oppChunk = 1 << 14

type oppTable struct {
	chunks [][]opp
	n      int32
}

func (t *oppTable) add(o opp) int32 {
	if int(t.n)%oppChunk == 0 {
		t.chunks = append(t.chunks, make([]opp, 0, oppChunk))
	}
	c := &t.chunks[len(t.chunks)-1]
	*c = append(*c, o)
	t.n++
	return t.n - 1
}

func (t *oppTable) at(i int32) *opp { return &t.chunks[i/oppChunk][i%oppChunk] }
