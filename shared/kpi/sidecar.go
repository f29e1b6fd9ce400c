package kpi

import "slices"

// sidecar is a goroutine that runs one half of a batch's work while the
// engine's goroutine runs the other. The consuming goroutine, not the
// decoders, bounds the opportunity and lead steps; splitting a batch's work
// into two parts that touch disjoint state lets it use the other core
// without locks or merging.
type sidecar struct {
	jobs chan func()
	done chan struct{}
}

func newSidecar() *sidecar {
	s := &sidecar{jobs: make(chan func()), done: make(chan struct{})}
	go func() {
		for f := range s.jobs {
			f()
			s.done <- struct{}{}
		}
	}()
	return s
}

// both runs a on the sidecar and b on the caller's goroutine and returns
// when both are done; everything a wrote is then visible to the caller.
func (s *sidecar) both(a, b func()) {
	s.jobs <- a
	b()
	<-s.done
}

func (s *sidecar) stop() { close(s.jobs) }

// eachJoined is each for rows that join the opportunity index: the
// lookups (the costly part, and read only) run half on the sidecar, half
// here, then fn gets every row in order with its opportunity's index, or
// -1 when key declines the row or the Id is not indexed.
func eachJoined[T any](e *engine, src Source[T], key func(*T) (string, bool), fn func(*T, int32) error) (int64, error) {
	if src == nil {
		return 0, nil
	}
	var n int64
	var idx []int32
	lookup := func(rows []T, idx []int32) {
		for i := range rows {
			idx[i] = -1
			if id, ok := key(&rows[i]); ok {
				if j, ok := e.oppIdx[id]; ok {
					idx[i] = j
				}
			}
		}
	}
	err := src(func(rows []T) error {
		n += int64(len(rows))
		idx = slices.Grow(idx[:0], len(rows))[:len(rows)]
		h := len(rows) / 2
		e.side.both(func() { lookup(rows[:h], idx[:h]) }, func() { lookup(rows[h:], idx[h:]) })
		for i := range rows {
			if err := fn(&rows[i], idx[i]); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}
