package kpi

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/money"
)

// split's integer path for equal weights must give exactly what
// money.Allocate gives: same cents, leftover cents on the earliest touches,
// clawbacks split on their magnitude.
func TestSplitEqualWeightsMatchesAllocate(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	weightsOf := []decimal.Decimal{decimal.NewFromInt(1), decimal.RequireFromString("0.25"), decimal.RequireFromString("0.333333333333333333")}
	cases := []int64{1, 2, 7, 99, 100, 101, -1, -7, -100001, 999_999_999_999_99, -123_456_789_012}
	for range 300 {
		cases = append(cases, rng.Int64N(2e12)-1e12)
	}
	for _, cents := range cases {
		for n := 2; n <= 13; n++ {
			weights := slices.Repeat([]decimal.Decimal{weightsOf[rng.IntN(len(weightsOf))]}, n)
			amount := money.FromCents(cents)
			got, err := split(cents, amount, weights)
			if err != nil {
				t.Fatal(err)
			}
			want, err := allocateCents(amount, weights, make([]int64, n))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%d cents over %d equal weights %s: %v, Allocate %v", cents, n, weights[0], got, want)
			}
		}
	}
	// Unequal weights still go through Allocate.
	w := []decimal.Decimal{decimal.NewFromInt(1), decimal.NewFromInt(2)}
	if got, _ := split(100, money.FromCents(100), w); !slices.Equal(got, []int64{33, 67}) {
		t.Errorf("1:2 split of 100 cents: %v", got)
	}
}
