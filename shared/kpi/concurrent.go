package kpi

import "sync"

// Concurrent merges several sources of one object (typically one per
// Parquet part file) into one Source that reads up to workers of them at
// once, so decoding overlaps with the engine's work on another core.
//
// A batch is handed over, not copied: its source stays blocked in its
// callback until fn has returned, so each worker has at most one batch in
// flight and a source's batch (and anything it points into, such as the
// borrowed strings of lake.ScanFilesBorrowed) lives exactly as long as for
// a direct call. While fn works on one worker's batch, the other workers
// decode their next ones.
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
	type batch struct {
		rows []T
		done chan error // fn's verdict on rows: nil, or errStopped
	}
	return func(fn func([]T) error) error {
		batches := make(chan batch)
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
				done := make(chan error, 1)
				for s := range next {
					if s == nil {
						continue
					}
					err := s(func(rows []T) error {
						select {
						case batches <- batch{rows, done}:
						case <-stop:
							return errStopped
						}
						return <-done // the loop below answers every batch it takes
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
		for b := range batches {
			select {
			case <-stop:
				b.done <- errStopped // drain so the workers can exit
				continue
			default:
			}
			if err := fn(b.rows); err != nil {
				fail(err)
				b.done <- errStopped
				continue
			}
			b.done <- nil
		}
		// Every worker has returned (batches is closed after wg.Wait), so
		// firstErr is settled.
		return firstErr
	}
}

type stoppedError struct{}

func (stoppedError) Error() string { return "kpi: source stopped" }

var errStopped error = stoppedError{}
