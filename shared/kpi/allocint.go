package kpi

import (
	"cmp"
	"math/big"
	"slices"

	"github.com/shopspring/decimal"
)

// allocPrecision is decimal.Div's precision when allocInt was written:
// money.Allocate's quotients are rounded there, so allocInt rounds there
// too, and declines if the package setting ever differs.
const allocPrecision = 16

var allocScale = new(big.Int).Exp(big.NewInt(10), big.NewInt(allocPrecision), nil)

// allocInt is money.Allocate(FromCents(cents), weights) in cents, without
// decimals: the same steps on the weights' coefficients brought to one
// exponent. Allocate's exact share cents×w/Σw is a quotient rounded half
// up at 16 places (decimal.Div); here it is R = round(cents×W×10¹⁶ / ΣW)
// on integers, the same number in units of 10⁻¹⁶, so the floors and the
// remainders, hence the largest-remainder order (stable: ties to the
// earlier touch) and every part, are the same. It returns false, and
// leaves the split to Allocate, for a negative weight, a zero sum, a
// coefficient beyond int64 or another division precision.
func allocInt(cents int64, weights []decimal.Decimal, out []int64) bool {
	if decimal.DivisionPrecision != allocPrecision || len(weights) == 0 {
		return false
	}
	exp := int32(0)
	for _, w := range weights {
		if w.IsNegative() || w.NumDigits() > 18 {
			return false
		}
		if !w.IsZero() {
			exp = min(exp, w.Exponent())
		}
	}
	ws := make([]big.Int, len(weights))
	var sum, p big.Int
	for i, w := range weights {
		if w.IsZero() {
			continue
		}
		ws[i].SetInt64(w.CoefficientInt64())
		if d := w.Exponent() - exp; d > 0 {
			p.Exp(big.NewInt(10), big.NewInt(int64(d)), nil)
			ws[i].Mul(&ws[i], &p)
		}
		sum.Add(&sum, &ws[i])
	}
	if sum.Sign() <= 0 {
		return false
	}
	sign, c := int64(1), cents
	if c < 0 {
		sign, c = -1, -c
	}
	var scaled, q, r big.Int
	scaled.Mul(big.NewInt(c), allocScale)
	fracs := make([]int64, len(weights))
	order := make([]int, len(weights))
	var given int64
	for i := range ws {
		order[i] = i
		q.Mul(&ws[i], &scaled)
		q.QuoRem(&q, &sum, &r)
		if r.Lsh(&r, 1).Cmp(&sum) >= 0 {
			q.Add(&q, big.NewInt(1))
		}
		q.QuoRem(&q, allocScale, &r)
		out[i] = q.Int64()
		fracs[i] = r.Int64()
		given += out[i]
	}
	left := c - given
	if left < 0 || left > int64(len(weights)) {
		return false // cannot happen (the rounded shares sum to c within n×10⁻¹⁶)
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(fracs[b], fracs[a]) })
	for k := range left {
		out[order[k]]++
	}
	for i := range out {
		out[i] *= sign
	}
	return true
}
