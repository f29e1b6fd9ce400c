package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/venn-revops/venn/shared/extract"
)

// progressPrinter prints an extract's progress on stderr: a line per object
// at most every interval while it pulls (rows, rows/s, pages), and one when
// it is done.
type progressPrinter struct {
	w        io.Writer
	now      func() time.Time
	interval time.Duration

	mu      sync.Mutex
	started map[string]time.Time
	printed map[string]time.Time
}

func newProgressPrinter(w io.Writer) *progressPrinter {
	return &progressPrinter{w: w, now: time.Now, interval: 2 * time.Second, started: map[string]time.Time{}, printed: map[string]time.Time{}}
}

// report is extract.Deps.Progress.
func (p *progressPrinter) report(pr extract.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	start, ok := p.started[pr.Object]
	if !ok {
		start = now
		p.started[pr.Object] = now
	}
	elapsed := now.Sub(start)
	if pr.Done {
		fmt.Fprintf(p.w, "extract %s: done, %d rows, %d pages in %s%s\n", pr.Object, pr.Rows, pr.Pages, elapsed.Round(time.Millisecond), rate(pr.Rows, elapsed))
		return
	}
	if last, ok := p.printed[pr.Object]; ok && now.Sub(last) < p.interval || !ok && elapsed < p.interval {
		return
	}
	p.printed[pr.Object] = now
	fmt.Fprintf(p.w, "extract %s: %d rows, %d pages so far%s\n", pr.Object, pr.Rows, pr.Pages, rate(pr.Rows, elapsed))
}

func rate(rows int64, d time.Duration) string {
	if d < 100*time.Millisecond {
		return ""
	}
	return fmt.Sprintf(" (%.0f rows/s)", float64(rows)/d.Seconds())
}
