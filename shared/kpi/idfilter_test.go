package kpi

import (
	"fmt"
	"testing"
)

// The filter must never reject an added key (the member step would lose a
// touch); false positives only cost a map lookup, but a broken hash would
// make them near 100%, so their rate is bounded too.
func TestIDFilter(t *testing.T) {
	for _, n := range []int{0, 1, 100, 50_000} {
		keys := map[string]int32{}
		for i := range n {
			keys[fmt.Sprintf("00Q%015d", i*7)] = int32(i)
		}
		f := filterOf(keys)
		for k := range keys {
			if !f.mayContain(k) {
				t.Fatalf("n=%d: added key %s rejected", n, k)
			}
		}
		fp := 0
		const probes = 20_000
		for i := range probes {
			if f.mayContain(fmt.Sprintf("003%015d", i)) {
				fp++
			}
		}
		if fp > probes/10 {
			t.Errorf("n=%d: %d of %d absent keys pass the filter", n, fp, probes)
		}
	}
}
