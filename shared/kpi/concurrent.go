package kpi

import "sync"

// Concurrent merges several sources of one object (typically one per
// Parquet part file) into one Source that reads up to workers of them at
// once, so decoding overlaps with the engine's work on another core. Each
// batch is copied before it is handed on, because a source may reuse its
// slice once its callback returns; at most 2×workers batches are in flight,
// so memory stays bounded by batches, not by the table. The copies are
// recycled once fn returns (fn must not keep the slice, as for any Source),
// so a 20M-row table does not become 20M rows of garbage to collect.
//
// Rows arrive in no particular order across sources. Compute does not
// depend on row order: every tie is broken by an Id (see docs/kpis.md).
// The first error of a source or of fn stops the others and is returned.
func Concurrent[T any](workers int, sources ...Source[T]) Source[T] {
	// One worker, not none, for a single source: decoding it still overlaps
	// with fn (an object kept in one large part file, e.g. 1M opportunities).
	if workers <= 1 {
		return func(fn func([]T) error) error {
			for _, s := range sources {
				if s == nil {
					continue
				}
				if err := s(fn); err != nil {
					return err
				}
			}
			return nil
		}
	}
	return func(fn func([]T) error) error {
		batches := make(chan []T, 2*workers)
		// free holds copies fn is done with; workers take one before
		// allocating. Its capacity covers every batch that can be in flight.
		free := make(chan []T, 3*workers+1)
		stop := make(chan struct{})
		var once sync.Once
		var firstErr error
		fail := func(err error) {
			once.Do(func() { firstErr = err; close(stop) })
		}
		next := make(chan Source[T])
		var wg sync.WaitGroup
		for range min(workers, len(sources)) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for s := range next {
					if s == nil {
						continue
					}
					err := s(func(rows []T) error {
						var cp []T
						select {
						case cp = <-free:
						default:
						}
						if cap(cp) < len(rows) {
							cp = make([]T, len(rows))
						}
						cp = cp[:len(rows)]
						copy(cp, rows)
						select {
						case batches <- cp:
							return nil
						case <-stop:
							return errStopped
						}
					})
					if err != nil && err != errStopped {
						fail(err)
						return
					}
				}
			}()
		}
		go func() {
			defer close(next)
			for _, s := range sources {
				select {
				case next <- s:
				case <-stop:
					return
				}
			}
		}()
		go func() { wg.Wait(); close(batches) }()
		for rows := range batches {
			select {
			case <-stop:
				continue // drain so the workers can exit
			default:
			}
			if err := fn(rows); err != nil {
				fail(err)
			}
			select {
			case free <- rows:
			default:
			}
		}
		// Every worker has returned (batches is closed after wg.Wait), so
		// firstErr is settled.
		return firstErr
	}
}

type stoppedError struct{}

func (stoppedError) Error() string { return "kpi: source stopped" }

var errStopped error = stoppedError{}
