package pipeline

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/venn-revops/venn/shared/results/localstore"
	"github.com/venn-revops/venn/shared/runledger"
)

func TestHandlerRunsOnceAndReplays(t *testing.T) {
	store, _ := localstore.Open("")
	env := &Env{Store: store}
	var calls atomic.Int32
	plan := func(ctx context.Context, ev Event) (Run, error) {
		return Run{Period: ev.Quarter, InputHash: hashOf(ev.Action), Do: func(ctx context.Context) (any, Metrics, error) {
			n := calls.Add(1)
			return map[string]any{"call": n}, Metrics{Values: map[string]float64{MetricRows: 7}}, nil
		}}, nil
	}
	h := env.Handler("approve", runledger.New(store), plan)
	ev := json.RawMessage(`{"job":"approve","quarter":"2026Q3","action":"approve"}`)

	// Concurrent duplicate deliveries: the work runs once, every delivery
	// gets the same stored result.
	var wg sync.WaitGroup
	outs := make([]string, 8)
	for i := range outs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			out, err := h(context.Background(), ev)
			if err != nil {
				t.Error(err)
			}
			outs[i] = string(out)
		}(i)
	}
	wg.Wait()
	if calls.Load() != 1 {
		t.Fatalf("work ran %d times for one event", calls.Load())
	}
	for _, o := range outs {
		if o != `{"call":1}` {
			t.Errorf("delivery got %s", o)
		}
	}
	// Whitespace and key order do not make a different payload.
	again := json.RawMessage(`{ "action":"approve", "quarter":"2026Q3" }`)
	if out, err := h(context.Background(), again); err != nil || string(out) != `{"call":1}` || calls.Load() != 1 {
		t.Fatalf("re-encoded duplicate: %s %v (calls %d)", out, err, calls.Load())
	}
	// The same run key with another payload is an error, not a replay.
	other := json.RawMessage(`{"job":"approve","quarter":"2026Q3","action":"approve","people":["someone"]}`)
	if _, err := h(context.Background(), other); err == nil || !strings.Contains(err.Error(), "different payload") {
		t.Fatalf("payload mismatch: %v", err)
	}
	// A malformed event never reaches the work.
	if _, err := h(context.Background(), json.RawMessage(`{"job":"approve","quarter":"2026Q9"}`)); err == nil {
		t.Fatal("bad event accepted")
	}
	if calls.Load() != 1 {
		t.Fatalf("calls %d", calls.Load())
	}
}
