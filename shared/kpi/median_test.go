package kpi

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/shopspring/decimal"
)

var decimalOne = decimal.NewFromInt(1)

// TestNthMatchesSort: nth gives the element a full sort puts at k, and
// leaves no larger value before k and no smaller one after it, on random
// lists with and without repeated values and on sorted, reversed, constant
// and organ-pipe orders.
func TestNthMatchesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var lists [][]int64
	for n := 1; n <= 300; n++ {
		for _, spread := range []int64{3, 1 << 40} {
			l := make([]int64, n)
			for i := range l {
				l[i] = r.Int64N(spread) - spread/2
			}
			lists = append(lists, l)
		}
	}
	for _, n := range []int{2, 7, 64, 1000, 4097} {
		up, down, same, pipe := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		for i := range n {
			up[i], down[i], same[i], pipe[i] = int64(i), int64(n-i), 42, int64(min(i, n-i))
		}
		lists = append(lists, up, down, same, pipe)
	}
	for _, l := range lists {
		sorted := slices.Clone(l)
		slices.Sort(sorted)
		for _, k := range []int{0, len(l) / 2, max(0, len(l)/2-1), len(l) - 1} {
			vs := slices.Clone(l)
			got := nth(vs, k)
			if got != sorted[k] {
				t.Fatalf("nth(%v, %d) = %d, want %d", l, k, got, sorted[k])
			}
			if slices.Max(vs[:k+1]) != got || slices.Min(vs[k:]) != got {
				t.Fatalf("nth(%v, %d): not partitioned around %d: %v", l, k, got, vs)
			}
			s2 := slices.Clone(vs)
			slices.Sort(s2)
			if !slices.Equal(s2, sorted) {
				t.Fatalf("nth(%v, %d) lost or changed values: %v", l, k, vs)
			}
		}
	}
}

// TestMedianScaled: odd and even counts, worked by hand.
func TestMedianScaled(t *testing.T) {
	for _, c := range []struct {
		in   []int64
		want string
	}{
		{[]int64{5}, "5"},
		{[]int64{9, 1, 5}, "5"},
		{[]int64{9, 1, 5, 2}, "3.5"},     // (2 + 5) / 2
		{[]int64{4, 4, 4, 1, 9, 9}, "4"}, // (4 + 4) / 2
		{[]int64{-3, 7}, "2"},            // (-3 + 7) / 2
		{[]int64{1, 2}, "1.5"},
	} {
		m := medianScaled(slices.Clone(c.in), decimalOne, RatioPlaces)
		if !m.defined || m.value.String() != c.want || m.den.IntPart() != int64(len(c.in)) {
			t.Errorf("median of %v: %s (defined %v, den %s), want %s", c.in, m.value, m.defined, m.den, c.want)
		}
	}
	if m := medianScaled(nil, decimalOne, RatioPlaces); m.defined {
		t.Error("median of nothing is defined")
	}
}
