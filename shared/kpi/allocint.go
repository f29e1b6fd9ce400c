package kpi

import (
	"math/bits"

	"github.com/shopspring/decimal"
)

// Integer helpers of splitCents: 64-bit sums with carry and a 128-bit
// product divided exactly, so no split allocates or rounds early.

func bitsAdd(a, b uint64) (sum, carry uint64) { return bits.Add64(a, b, 0) }

// mulDiv is (a×b) / d and its remainder, for b ≤ d (the quotient then
// fits 64 bits: it is at most a).
func mulDiv(a, b, d uint64) (q, r uint64) {
	hi, lo := bits.Mul64(a, b)
	return bits.Div64(hi, lo, d)
}

// units is a configured weight (at most weightPlaces decimals, validated
// by the configuration) as an integer of 10⁻⁹.
func units(w decimal.Decimal) uint64 { return uint64(w.Shift(weightPlaces).IntPart()) }
