package kpi

import (
	"errors"
	"fmt"
	"time"

	"github.com/venn-revops/venn/shared/period"
)

const dayMicros = int64(86_400_000_000)

// Period is what Compute measures: a quarter, either final (at quarter
// close: the whole quarter) or to date (events at or after AsOf ignored).
// In both cases the state of every record is the state known at AsOf
// (opportunity stage, amount and close date from the stage history).
type Period struct {
	Quarter period.Quarter
	AsOf    time.Time
	Final   bool
}

// window is the period in microseconds: events count when
// start <= t < end; state is read as known strictly before asOf. An as-of
// at the quarter's first instant is allowed: the period is then empty
// (end = start) and every snapshot is the state known before the quarter.
type window struct {
	q          period.Quarter
	start, end int64 // [start, end): quarter start to min(quarter end, AsOf)
	qEnd       int64 // quarter end (open pipeline's close-date range)
	nextEnd    int64 // next quarter's end (next quarter's coverage)
	asOf       int64
}

func (w *window) in(t int64) bool    { return t >= w.start && t < w.end }
func (w *window) inDay(d int32) bool { return w.in(int64(d) * dayMicros) }

// inQuarterDay is whether a close date falls in the whole quarter, as-of
// aside (open pipeline's range).
func (w *window) inQuarterDay(d int32) bool {
	t := int64(d) * dayMicros
	return t >= w.start && t < w.qEnd
}
func (w *window) known(t int64) bool { return t < w.asOf }
func micros(t time.Time) int64       { return t.UnixMicro() }
func floorDay(t int64) int64 {
	if t < 0 {
		return (t - dayMicros + 1) / dayMicros
	}
	return t / dayMicros
}

func newWindow(p Period) (window, error) {
	if p.Quarter.IsZero() {
		return window{}, errors.New("kpi: period has no quarter")
	}
	if p.AsOf.IsZero() {
		return window{}, fmt.Errorf("kpi: %s: as-of instant is required", p.Quarter)
	}
	if p.AsOf.Before(p.Quarter.Start()) {
		return window{}, fmt.Errorf("kpi: %s: as-of %s is before the quarter start", p.Quarter, p.AsOf.UTC().Format(time.RFC3339))
	}
	if p.Final && p.AsOf.Before(p.Quarter.End()) {
		return window{}, fmt.Errorf("kpi: %s: final figures need an as-of at or after the quarter end %s, got %s",
			p.Quarter, p.Quarter.End().Format(time.DateOnly), p.AsOf.UTC().Format(time.RFC3339))
	}
	w := window{q: p.Quarter, start: micros(p.Quarter.Start()), qEnd: micros(p.Quarter.End()),
		nextEnd: micros(p.Quarter.Next().End()), asOf: micros(p.AsOf)}
	w.end = min(w.qEnd, w.asOf)
	return w, nil
}
