package pagecheck

import (
	"testing"

	"github.com/shopspring/decimal"
)

// The browser test's reading of a printed figure: equal at the printed
// precision passes, anything else fails.
func TestPrintedEquals(t *testing.T) {
	for _, c := range []struct {
		text, gold string
		ok         bool
	}{
		{"1,509,922.37", "1509922.37", true},
		{"1,509,922.37", "1509922.38", false},
		{"43.8%", "0.4375", true}, // half away from zero
		{"43.8%", "0.437499", false},
		{"32.26x", "32.258065", true},
		{"-1.7", "-1.666667", true},
		{"56", "56", true},
		{"56", "57", false},
		{"n/a", "0", false},
	} {
		err := printedEquals(c.text, decimal.RequireFromString(c.gold))
		if (err == nil) != c.ok {
			t.Errorf("printedEquals(%q, %s) = %v, want ok %v", c.text, c.gold, err, c.ok)
		}
	}
}
