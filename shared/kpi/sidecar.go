package kpi

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
