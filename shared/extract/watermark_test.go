package extract

import (
	"context"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/results"
	"github.com/venn-revops/venn/shared/results/localstore"
)

// lostPut stores the item but reports a failed condition, as a retried
// conditional write whose first response was lost does.
type lostPut struct{ results.Store }

func (l lostPut) Put(ctx context.Context, it results.Item, c results.Condition) error {
	if err := l.Store.Put(ctx, it, c); err != nil {
		return err
	}
	return results.ErrConditionFailed
}

func TestAdvanceWatermark(t *testing.T) {
	ctx := context.Background()
	t1 := time.Date(2026, 11, 19, 1, 30, 0, 0, time.UTC)
	t2 := t1.Add(time.Hour)
	tests := []struct {
		name    string
		stored  *Watermark // nil: none
		write   Watermark
		lost    bool
		want    time.Time
		version int64
	}{
		{"first write", nil, Watermark{SystemModstamp: t1, RunID: "a"}, false, t1, 1},
		{"forward", &Watermark{SystemModstamp: t1, RunID: "a"}, Watermark{SystemModstamp: t2, RunID: "b"}, false, t2, 2},
		{"never backwards", &Watermark{SystemModstamp: t2, RunID: "b"}, Watermark{SystemModstamp: t1, RunID: "c"}, false, t2, 1},
		{"lost response is success", &Watermark{SystemModstamp: t1, RunID: "a"}, Watermark{SystemModstamp: t2, RunID: "b"}, true, t2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, _ := localstore.Open("")
			var s results.Store = st
			if tt.stored != nil {
				if err := advanceWatermark(ctx, st, "Lead", storedWatermark{}, *tt.stored); err != nil {
					t.Fatal(err)
				}
			}
			prev, err := readWatermark(ctx, st, "Lead")
			if err != nil {
				t.Fatal(err)
			}
			if tt.lost {
				s = lostPut{st}
			}
			if err := advanceWatermark(ctx, s, "Lead", prev, tt.write); err != nil {
				t.Fatal(err)
			}
			got, err := readWatermark(ctx, st, "Lead")
			if err != nil || !got.SystemModstamp.Equal(tt.want) || got.version != tt.version {
				t.Errorf("stored %+v version %d, want %v version %d (%v)", got.Watermark, got.version, tt.want, tt.version, err)
			}
		})
	}
	// A stale writer (it read version 1, someone wrote version 2 further
	// ahead) re-reads and leaves the newer watermark alone.
	st, _ := localstore.Open("")
	advanceWatermark(ctx, st, "Lead", storedWatermark{}, Watermark{SystemModstamp: t1})
	stale, _ := readWatermark(ctx, st, "Lead")
	advanceWatermark(ctx, st, "Lead", stale, Watermark{SystemModstamp: t2.Add(time.Hour)})
	if err := advanceWatermark(ctx, st, "Lead", stale, Watermark{SystemModstamp: t2}); err != nil {
		t.Fatal(err)
	}
	if got, _ := readWatermark(ctx, st, "Lead"); !got.SystemModstamp.Equal(t2.Add(time.Hour)) {
		t.Errorf("stale writer moved the watermark back to %v", got.SystemModstamp)
	}
}
