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
// when both are done; everything a wrote is then visible to the caller. A
// nil sidecar runs a, then b, here.
func (s *sidecar) both(a, b func()) {
	if s == nil {
		a()
		b()
		return
	}
	s.jobs <- a
	b()
	<-s.done
}

func (s *sidecar) stop() { close(s.jobs) }

// eachJoined is each for rows that join a map the step only reads: the
// lookups (join, the costly part) run half on side, half here (all here
// for a nil side), then fn gets every row in order with its join.
func eachJoined[T, V any](side *sidecar, src Source[T], join func(*T) V, fn func(*T, V) error) (int64, error) {
	if src == nil {
		return 0, nil
	}
	var n int64
	var joined []V
	lookup := func(rows []T, out []V) {
		for i := range rows {
			out[i] = join(&rows[i])
		}
	}
	err := src(func(rows []T) error {
		n += int64(len(rows))
		joined = slices.Grow(joined[:0], len(rows))[:len(rows)]
		h := len(rows) / 2
		side.both(func() { lookup(rows[:h], joined[:h]) }, func() { lookup(rows[h:], joined[h:]) })
		for i := range rows {
			if err := fn(&rows[i], joined[i]); err != nil {
				return err
			}
		}
		clear(joined) // drop the pointers a join may hold
		return nil
	})
	return n, err
}

// joinOpp joins a row to the opportunity index: the index of the Id key
// gives, or -1 when key declines the row or the Id is not indexed.
func joinOpp[T any](e *engine, key func(*T) (string, bool)) func(*T) int32 {
	return func(r *T) int32 {
		if id, ok := key(r); ok {
			if j, ok := e.oppIdx[id]; ok {
				return j
			}
		}
		return -1
	}
}
