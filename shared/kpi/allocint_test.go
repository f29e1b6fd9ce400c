package kpi

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/money"
)

// Under largest_remainder, splitCents must give exactly money.Allocate's
// cents (an independent decimal implementation of the same rule) for the
// weight shapes attribution uses: positional units scaled by a count,
// decay weights in 2⁻⁴⁰, equal weights, zeros, clawbacks.
func TestSplitCentsMatchesAllocate(t *testing.T) {
	rng := rand.New(rand.NewPCG(20261123, 7))
	var rem []uint64
	for k := range 5000 {
		n := 1 + rng.IntN(12)
		w := make([]uint64, n)
		for i := range w {
			switch k % 3 {
			case 0: // positional: 0.1 … 0.5 in 10⁻⁹, some scaled by a middle count
				w[i] = uint64(rng.IntN(6)) * 100_000_000 * uint64(1+rng.IntN(3))
			case 1: // decay
				w[i] = uint64(rng.Int64N(1 << 40))
			default: // even
				w[i] = 1
			}
		}
		cents := rng.Int64N(2e12) - 1e12
		if k%7 == 0 {
			cents = rng.Int64N(200) - 100
		}
		dw := make([]decimal.Decimal, n)
		for i, x := range w {
			dw[i] = decimal.NewFromUint64(x)
		}
		got := make([]int64, n)
		ok := splitCents(cents, w, RoundLargestRemainder, got, &rem)
		parts, err := money.Allocate(money.FromCents(cents), dw)
		if !ok {
			if err == nil {
				t.Fatalf("%d cents by %v: splitCents refused, Allocate gives %v", cents, w, parts)
			}
			continue
		}
		want := make([]int64, n)
		for i, p := range parts {
			want[i] = money.Cents(p)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%d cents by %v: splitCents %v, Allocate %v", cents, w, got, want)
		}
	}
}

// Hand-worked splits under both rules (docs/kpis.md §3 rule 10 has the
// same examples).
func TestSplitCentsRules(t *testing.T) {
	cases := []struct {
		name          string
		cents         int64
		w             []uint64
		largest, half []int64
	}{
		// 1.01 over two equal touches: 50.5 each. Largest remainder: floors
		// 50+50, the odd cent to the earlier. Half up: 51+51 = 102, one cent
		// too many, taken from the largest share (tie: the earliest).
		{"odd cent, two equal", 101, []uint64{1, 1}, []int64{51, 50}, []int64{50, 51}},
		// 100.00 over three equal touches: 3333.33… each; largest remainder
		// gives the leftover cent to the earliest; half up rounds all down
		// and the cent goes to the largest share, the earliest.
		{"thirds", 10000, []uint64{1, 1, 1}, []int64{3334, 3333, 3333}, []int64{3334, 3333, 3333}},
		// 0.10 by W-shaped weights .3/.3/.3/.1 split to 10 cents: shares 3,3,3,1.
		{"exact", 10, []uint64{3, 3, 3, 1}, []int64{3, 3, 3, 1}, []int64{3, 3, 3, 1}},
		// 1.00 by 0.225, 0.225, 0.45, 0.1 (full path, FT, LC, OC+CW,
		// middle): 22.5, 22.5, 45, 10. Largest remainder: floors 22+22+45+10
		// = 99, the cent to the first .5 (FT). Half up: 23+23+45+10 = 101,
		// one cent back from the largest share (OC+CW, 45 → 44).
		{"full path", 100, []uint64{225, 225, 450, 100}, []int64{23, 22, 45, 10}, []int64{23, 23, 44, 10}},
		// A clawback of −1.01 over two equal touches: the magnitude's split, negated.
		{"clawback", -101, []uint64{1, 1}, []int64{-51, -50}, []int64{-50, -51}},
		// Two touches, weights 1:2, 1.00: 33.33… and 66.66…
		{"one to two", 100, []uint64{1, 2}, []int64{33, 67}, []int64{33, 67}},
		// Zero weight gets nothing; one weighted touch takes all.
		{"single weighted", 999, []uint64{0, 5, 0}, []int64{0, 999, 0}, []int64{0, 999, 0}},
	}
	var rem []uint64
	for _, c := range cases {
		for _, r := range []struct {
			rule Rounding
			want []int64
		}{{RoundLargestRemainder, c.largest}, {RoundHalfUpLargestShare, c.half}} {
			got := make([]int64, len(c.w))
			if !splitCents(c.cents, c.w, r.rule, got, &rem) {
				t.Fatalf("%s %s: refused", c.name, r.rule)
			}
			if !slices.Equal(got, r.want) {
				t.Errorf("%s %s: %v, want %v", c.name, r.rule, got, r.want)
			}
		}
	}
	if splitCents(100, []uint64{0, 0}, RoundLargestRemainder, make([]int64, 2), &rem) {
		t.Error("zero weights: accepted")
	}
}
