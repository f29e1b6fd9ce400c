package kpi

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/money"
)

// allocInt must give exactly money.Allocate's cents for every weight shape
// attribution uses (positional decimals scaled by a count, 18-place decay
// weights, zeros) and for rounding ties at Allocate's 16th place.
func TestAllocIntMatchesAllocate(t *testing.T) {
	rng := rand.New(rand.NewPCG(20261123, 7))
	d := decimal.RequireFromString
	tests := []struct {
		cents   int64
		weights []decimal.Decimal
	}{
		{1, []decimal.Decimal{d("1"), d("19999999999999999")}},              // share 0.5e-16 exactly: rounds up
		{3, []decimal.Decimal{d("1"), d("19999999999999999")}},              // 1.5e-16
		{1, []decimal.Decimal{d("2"), d("19999999999999998")}},              // 1e-16
		{100, []decimal.Decimal{d("0.4"), d("0"), d("0.2"), d("0.4")}},      // W-shaped with an empty slot
		{101, []decimal.Decimal{d("0.3"), d("0.3"), d("0.3")}},              // equal remainders: earliest first
		{-101, []decimal.Decimal{d("0.3"), d("0.6"), d("0.3")}},             // a clawback
		{7, []decimal.Decimal{d("1e2"), d("0.000000000000000001"), d("5")}}, // exponents far apart
		{999_999_999_999_99, []decimal.Decimal{d("0.333333333333333333"), d("0.666666666666666667"), d("0.5")}},
	}
	decay := func() decimal.Decimal {
		x, _ := decimal.NewFromFloat(0.5).PowWithPrecision(decimal.NewFromInt(rng.Int64N(400)).Div(decimal.NewFromInt(1+rng.Int64N(90))), decayPlaces)
		return x
	}
	positional := []decimal.Decimal{d("0"), d("0.1"), d("0.2"), d("0.3"), d("0.4"), d("0.5"), d("0.15")}
	for range 3000 {
		n := 1 + rng.IntN(12)
		w := make([]decimal.Decimal, n)
		for i := range w {
			switch rng.IntN(3) {
			case 0:
				w[i] = decay()
			default:
				w[i] = positional[rng.IntN(len(positional))].Mul(decimal.NewFromInt(1 + rng.Int64N(9)))
			}
		}
		cents := rng.Int64N(2e12) - 1e12
		if rng.IntN(4) == 0 {
			cents = rng.Int64N(200) - 100
		}
		tests = append(tests, struct {
			cents   int64
			weights []decimal.Decimal
		}{cents, w})
	}
	used := 0
	for _, tt := range tests {
		want, err := allocateCents(money.FromCents(tt.cents), tt.weights, make([]int64, len(tt.weights)))
		got := make([]int64, len(tt.weights))
		if !allocInt(tt.cents, tt.weights, got) {
			if err == nil && !slices.ContainsFunc(tt.weights, func(w decimal.Decimal) bool { return w.NumDigits() > 18 }) {
				t.Errorf("%d cents by %v: declined, Allocate gives %v", tt.cents, tt.weights, want)
			}
			continue
		}
		used++
		if err != nil {
			t.Errorf("%d cents by %v: Allocate fails (%v), allocInt gives %v", tt.cents, tt.weights, err, got)
			continue
		}
		if !slices.Equal(got, want) {
			t.Errorf("%d cents by %v: allocInt %v, Allocate %v", tt.cents, tt.weights, got, want)
		}
	}
	if used < len(tests)*9/10 {
		t.Errorf("allocInt took only %d of %d cases", used, len(tests))
	}
	// Declined: what Allocate rejects.
	for _, w := range [][]decimal.Decimal{{d("0"), d("0")}, {d("1"), d("-1")}} {
		if allocInt(100, w, make([]int64, len(w))) {
			t.Errorf("%v: allocInt took weights Allocate rejects", w)
		}
	}
}
