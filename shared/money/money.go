// Package money holds Venn's rules for exact amounts: decimals from
// shopspring/decimal, never float, and one stated rounding rule.
//
// Rounding rule: amounts are rounded to the cent half away from zero
// ("commercial rounding": 0.005 → 0.01, -0.005 → -0.01). Distributions of an
// amount over shares use the largest-remainder method so the parts always sum
// to the whole to the cent.
package money

import (
	"fmt"
	"sort"

	"github.com/shopspring/decimal"
)

// Scale is the number of decimal places money carries in the lake and in
// statements (DECIMAL(18,2)).
const Scale = 2

var hundred = decimal.NewFromInt(100)

// Round rounds d to the cent, half away from zero.
func Round(d decimal.Decimal) decimal.Decimal { return d.Round(Scale) }

// Cents converts d to an integer count of cents, rounding by Round. It is the
// int64 backing of a DECIMAL(18,2) Parquet column.
func Cents(d decimal.Decimal) int64 { return Round(d).Mul(hundred).IntPart() }

// FromCents is the inverse of Cents.
func FromCents(c int64) decimal.Decimal { return decimal.New(c, -Scale) }

// Parse reads a decimal amount given as text ("1234.50"). It rejects values
// with more than Scale decimal places rather than rounding them silently.
func Parse(s string) (decimal.Decimal, error) {
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("%q is not a number", s)
	}
	if d.Exponent() < -Scale && !d.Equal(d.Truncate(Scale)) {
		return decimal.Decimal{}, fmt.Errorf("%q has more than %d decimal places", s, Scale)
	}
	return d, nil
}

// Allocate splits total (already in cents) into parts proportional to weights,
// to the cent, by the largest-remainder method: each part gets the floor of
// its exact share, then the leftover cents go one each to the parts with the
// largest fractional remainders; ties go to the earlier index. The parts sum
// exactly to total. Weights must be non-negative with a positive sum; a
// negative total (a clawback) is split by the same rule on its magnitude.
func Allocate(total decimal.Decimal, weights []decimal.Decimal) ([]decimal.Decimal, error) {
	if len(weights) == 0 {
		return nil, fmt.Errorf("allocate %s: no shares", total)
	}
	sum := decimal.Zero
	for i, w := range weights {
		if w.IsNegative() {
			return nil, fmt.Errorf("allocate %s: share %d is negative (%s)", total, i, w)
		}
		sum = sum.Add(w)
	}
	if !sum.IsPositive() {
		return nil, fmt.Errorf("allocate %s: shares sum to zero", total)
	}
	sign := int64(1)
	cents := Cents(total)
	if cents < 0 {
		sign, cents = -1, -cents
	}
	whole := decimal.NewFromInt(cents)
	parts := make([]int64, len(weights))
	type rem struct {
		i int
		r decimal.Decimal
	}
	rems := make([]rem, len(weights))
	var given int64
	for i, w := range weights {
		exact := whole.Mul(w).Div(sum)
		fl := exact.Floor()
		parts[i] = fl.IntPart()
		given += parts[i]
		rems[i] = rem{i, exact.Sub(fl)}
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].r.GreaterThan(rems[b].r) })
	for k := int64(0); k < cents-given; k++ {
		parts[rems[k].i]++
	}
	out := make([]decimal.Decimal, len(parts))
	for i, p := range parts {
		out[i] = FromCents(sign * p)
	}
	return out, nil
}

// Sum adds amounts exactly.
func Sum(ds ...decimal.Decimal) decimal.Decimal {
	s := decimal.Zero
	for _, d := range ds {
		s = s.Add(d)
	}
	return s
}

// Format renders an amount with thousands separators and two decimals, for
// readable statements and the demo tables: 1234567.5 → "1,234,567.50".
func Format(d decimal.Decimal) string {
	s := Round(d).StringFixed(Scale)
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	intPart, frac := s[:len(s)-3], s[len(s)-3:]
	var b []byte
	for i := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, intPart[i])
	}
	out := string(b) + frac
	if neg {
		return "-" + out
	}
	return out
}
