package extract

import (
	"bufio"
	"bytes"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/venn-revops/venn/shared/crm"
)

// The change sorter: changes arrive ordered by (SystemModstamp, Id) and must
// be deduplicated by Id and merged with the previous snapshot, which is
// stored ordered by Id. Entries are encoded compactly into an arena; when
// the arena reaches its byte budget it is sorted and spilled to a temp file,
// and the runs are k-way merged at the end. Memory is bounded by the arena
// budget plus one read buffer per run, whatever the table size; small
// pulls never touch the disk.

// Op ranks: at equal Id and SystemModstamp a delete sorts after (wins over)
// an upsert, since deleting a record stamps it.
const (
	opUpsert byte = 0
	opDelete byte = 1
)

// entry layout: u16 id length, id, 8-byte big-endian modstamp with the sign
// bit flipped, 1-byte op, 8-byte big-endian arrival sequence, then the
// values. Everything after the id compares bytewise in the right order, so
// "last entry of an Id group" is the newest version, a delete at a tie, and
// the latest arrival after that.
const tailLen = 17

func encodeEntry(dst []byte, row *crm.Row, op byte, seq uint64) []byte {
	id := row.ID()
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(id)))
	dst = append(dst, id...)
	dst = binary.BigEndian.AppendUint64(dst, uint64(row.Modstamp())^(1<<63))
	dst = append(dst, op)
	dst = binary.BigEndian.AppendUint64(dst, seq)
	dst = binary.AppendUvarint(dst, uint64(len(row.Values)))
	for _, v := range row.Values {
		switch {
		case v.Null:
			dst = append(dst, 0)
		case v.S != "":
			dst = append(dst, 1)
			dst = binary.AppendUvarint(dst, uint64(len(v.S)))
			dst = append(dst, v.S...)
		case v.B:
			dst = append(dst, 3)
		default:
			// An int, a false bool, or an empty string: all three decode
			// from (I, B=false, S="") correctly.
			dst = append(dst, 2)
			dst = binary.AppendVarint(dst, v.I)
		}
	}
	return dst
}

// entryID returns the id bytes of an encoded entry.
func entryID(e []byte) []byte {
	n := int(binary.BigEndian.Uint16(e))
	return e[2 : 2+n]
}

func entryTail(e []byte) []byte {
	n := int(binary.BigEndian.Uint16(e))
	return e[2+n : 2+n+tailLen]
}

func entryOp(e []byte) byte { return entryTail(e)[8] }

// entryValues returns the encoded values of an entry.
func entryValues(e []byte) []byte {
	n := int(binary.BigEndian.Uint16(e))
	return e[2+n+tailLen:]
}

// sameStampAndOp reports whether two entries have the same SystemModstamp
// and op (the tail without the arrival sequence).
func sameStampAndOp(a, b []byte) bool { return bytes.Equal(entryTail(a)[:9], entryTail(b)[:9]) }

func compareEntries(a, b []byte) int {
	if c := bytes.Compare(entryID(a), entryID(b)); c != 0 {
		return c
	}
	return bytes.Compare(entryTail(a), entryTail(b))
}

// decodeEntry fills row from an encoded entry. Strings are copied, so row
// does not alias e.
func decodeEntry(e []byte, row *crm.Row) error {
	n := int(binary.BigEndian.Uint16(e))
	p := e[2+n+tailLen:]
	count, k := binary.Uvarint(p)
	if k <= 0 {
		return errors.New("corrupt sort entry")
	}
	p = p[k:]
	row.Reset(int(count))
	for i := range row.Values {
		if len(p) == 0 {
			return errors.New("corrupt sort entry")
		}
		tag := p[0]
		p = p[1:]
		switch tag {
		case 0:
		case 1:
			l, k := binary.Uvarint(p)
			if k <= 0 || int(l) > len(p)-k {
				return errors.New("corrupt sort entry")
			}
			row.Values[i] = crm.Value{S: string(p[k : k+int(l)])}
			p = p[k+int(l):]
		case 2:
			v, k := binary.Varint(p)
			if k <= 0 {
				return errors.New("corrupt sort entry")
			}
			row.Values[i] = crm.Value{I: v}
			p = p[k:]
		case 3:
			row.Values[i] = crm.Value{B: true}
		default:
			return errors.New("corrupt sort entry")
		}
	}
	return nil
}

// sorter collects entries and yields them ordered by (Id, modstamp, op, seq).
type sorter struct {
	budget  int // arena bytes before a spill
	tempDir string
	arena   []byte
	offs    []uint32
	seq     uint64
	runs    []*os.File
	spilled int64 // bytes written to disk, for the summary/logs
}

func newSorter(budget int, tempDir string) *sorter {
	return &sorter{budget: budget, tempDir: tempDir}
}

func (s *sorter) add(row *crm.Row, op byte) error {
	s.seq++
	if s.arena == nil {
		// The arena fills to the budget before each spill: allocating it
		// once spares growing it step by step (append grows a large slice
		// by a quarter at a time, copying it each time). In the extract
		// benchmark this cut the pipeline's CPU by a quarter.
		s.arena = make([]byte, 0, s.budget+s.budget/8)
	}
	start := len(s.arena)
	s.arena = binary.BigEndian.AppendUint32(s.arena, 0)
	s.arena = encodeEntry(s.arena, row, op, s.seq)
	binary.BigEndian.PutUint32(s.arena[start:], uint32(len(s.arena)-start-4))
	s.offs = append(s.offs, uint32(start))
	if len(s.arena) >= s.budget {
		return s.spill()
	}
	return nil
}

func (s *sorter) at(off uint32) []byte {
	n := binary.BigEndian.Uint32(s.arena[off:])
	return s.arena[off+4 : off+4+n]
}

func (s *sorter) sortArena() {
	slices.SortFunc(s.offs, func(a, b uint32) int { return compareEntries(s.at(a), s.at(b)) })
}

// spill writes the sorted arena to a run file and empties it.
func (s *sorter) spill() error {
	if len(s.offs) == 0 {
		return nil
	}
	s.sortArena()
	f, err := os.CreateTemp(s.tempDir, "venn-sort-*.run")
	if err != nil {
		return fmt.Errorf("spill sorted changes: %w", err)
	}
	// Unlink now: the open handle keeps the data, and a crash leaves nothing.
	os.Remove(f.Name())
	w := bufio.NewWriterSize(f, 1<<18)
	for _, off := range s.offs {
		n := binary.BigEndian.Uint32(s.arena[off:])
		if _, err := w.Write(s.arena[off : off+4+n]); err != nil {
			f.Close()
			return fmt.Errorf("spill sorted changes: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("spill sorted changes: %w", err)
	}
	s.spilled += int64(len(s.arena))
	s.runs = append(s.runs, f)
	s.arena, s.offs = s.arena[:0], s.offs[:0]
	return nil
}

// close releases the spill files.
func (s *sorter) close() {
	for _, f := range s.runs {
		f.Close()
	}
	s.runs = nil
}

// iterator yields the newest entry of each Id, in Id order. Duplicate
// resolution: of several entries of one Id, the one with the latest
// SystemModstamp wins; at the same stamp a delete wins over an upsert, and
// then the later arrival (the later position in the pull, or the later
// pull of the night). The entries resolved away are counted; same-stamp
// same-op copies whose values differ are conflicts, named by Id (never by
// value: values may be personal data).
type iterator struct {
	h       runHeap
	cur     []byte // last yielded entry (owned copy)
	pending []byte // first entry of the next Id group
	done    bool

	duplicates  int64
	conflicts   int64
	conflictIDs []string // the first maxConflictIDs, for the log
}

// maxConflictIDs bounds the Ids kept for the conflict log line.
const maxConflictIDs = 20

// run is one sorted source: the in-memory arena or a spill file.
type run struct {
	mem  *sorter
	pos  int
	r    *bufio.Reader
	head []byte
	buf  []byte
}

func (r *run) next() (bool, error) {
	if r.mem != nil {
		if r.pos >= len(r.mem.offs) {
			return false, nil
		}
		r.head = r.mem.at(r.mem.offs[r.pos])
		r.pos++
		return true, nil
	}
	var hdr [4]byte
	if _, err := io.ReadFull(r.r, hdr[:]); err != nil {
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		return false, fmt.Errorf("read sort run: %w", err)
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if cap(r.buf) < int(n) {
		r.buf = make([]byte, n)
	}
	r.buf = r.buf[:n]
	if _, err := io.ReadFull(r.r, r.buf); err != nil {
		return false, fmt.Errorf("read sort run: %w", err)
	}
	r.head = r.buf
	return true, nil
}

type runHeap []*run

func (h runHeap) Len() int           { return len(h) }
func (h runHeap) Less(i, j int) bool { return compareEntries(h[i].head, h[j].head) < 0 }
func (h runHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)        { *h = append(*h, x.(*run)) }
func (h *runHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// iterate finishes collecting and returns the deduplicating iterator.
func (s *sorter) iterate() (*iterator, error) {
	var runs []*run
	if len(s.runs) == 0 {
		s.sortArena()
		runs = append(runs, &run{mem: s})
	} else {
		if err := s.spill(); err != nil {
			return nil, err
		}
		for _, f := range s.runs {
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				return nil, fmt.Errorf("rewind sort run: %w", err)
			}
			runs = append(runs, &run{r: bufio.NewReaderSize(f, 1<<16)})
		}
	}
	it := &iterator{}
	for _, r := range runs {
		ok, err := r.next()
		if err != nil {
			return nil, err
		}
		if ok {
			it.h = append(it.h, r)
		}
	}
	heap.Init(&it.h)
	return it, nil
}

// pop takes the smallest head entry (copied) from the heap.
func (it *iterator) pop() ([]byte, error) {
	if len(it.h) == 0 {
		return nil, nil
	}
	r := it.h[0]
	e := append([]byte(nil), r.head...)
	ok, err := r.next()
	if err != nil {
		return nil, err
	}
	if ok {
		heap.Fix(&it.h, 0)
	} else {
		heap.Pop(&it.h)
	}
	return e, nil
}

// next returns the newest entry of the next Id, or nil at the end.
func (it *iterator) next() ([]byte, error) {
	if it.done {
		return nil, nil
	}
	e := it.pending
	it.pending = nil
	if e == nil {
		var err error
		if e, err = it.pop(); err != nil {
			return nil, err
		}
		if e == nil {
			it.done = true
			return nil, nil
		}
	}
	for {
		n, err := it.pop()
		if err != nil {
			return nil, err
		}
		if n == nil {
			it.done = len(it.h) == 0
			break
		}
		if !bytes.Equal(entryID(n), entryID(e)) {
			it.pending = n
			break
		}
		it.duplicates++
		if sameStampAndOp(e, n) && !bytes.Equal(entryValues(e), entryValues(n)) {
			it.conflicts++
			if len(it.conflictIDs) < maxConflictIDs {
				it.conflictIDs = append(it.conflictIDs, string(entryID(n)))
			}
		}
		e = n // later entries of the same Id are newer
	}
	it.cur = e
	return e, nil
}
