package money

import (
	"math/rand"
	"testing"

	"github.com/shopspring/decimal"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestRoundHalfAwayFromZero(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0.005", "0.01"}, {"0.004999", "0"}, {"-0.005", "-0.01"},
		{"2559.375", "2559.38"}, {"1.015", "1.02"}, {"-1.015", "-1.02"}, {"10", "10"},
	}
	for _, tt := range tests {
		if got := Round(d(tt.in)); !got.Equal(d(tt.want)) {
			t.Errorf("Round(%s) = %s want %s", tt.in, got, tt.want)
		}
	}
	if Cents(d("-12.345")) != -1235 || Cents(d("12.344")) != 1234 {
		t.Error("Cents disagrees with Round")
	}
	if !FromCents(-1235).Equal(d("-12.35")) {
		t.Error("FromCents")
	}
}

func TestParse(t *testing.T) {
	for _, ok := range []string{"0", "12", "12.5", "12.50", "-3.10", "12.500"} {
		if _, err := Parse(ok); err != nil {
			t.Errorf("Parse(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "abc", "1.005", "1e", "12,50"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func TestAllocateWorkedExamples(t *testing.T) {
	tests := []struct {
		total   string
		weights []string
		want    []string
	}{
		// 100.00 in thirds: 33.33 each leaves 1 cent, to the first (ties go to the earlier index).
		{"100", []string{"1", "1", "1"}, []string{"33.34", "33.33", "33.33"}},
		// U-shaped 40/20/40 of 0.01: the cent goes to the largest remainder (first 40%).
		{"0.01", []string{"0.4", "0.2", "0.4"}, []string{"0.01", "0", "0"}},
		{"-100", []string{"1", "1", "1"}, []string{"-33.34", "-33.33", "-33.33"}},
		{"50", []string{"1"}, []string{"50"}},
		{"10", []string{"0", "1"}, []string{"0", "10"}},
	}
	for _, tt := range tests {
		ws := make([]decimal.Decimal, len(tt.weights))
		for i, w := range tt.weights {
			ws[i] = d(w)
		}
		got, err := Allocate(d(tt.total), ws)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if !got[i].Equal(d(tt.want[i])) {
				t.Errorf("Allocate(%s, %v)[%d] = %s want %s", tt.total, tt.weights, i, got[i], tt.want[i])
			}
		}
	}
	if _, err := Allocate(d("1"), nil); err == nil {
		t.Error("no shares accepted")
	}
	if _, err := Allocate(d("1"), []decimal.Decimal{d("-1"), d("2")}); err == nil {
		t.Error("negative share accepted")
	}
	if _, err := Allocate(d("1"), []decimal.Decimal{d("0")}); err == nil {
		t.Error("zero sum accepted")
	}
}

// Property: parts always sum exactly to the rounded total.
func TestAllocateSumsToTotal(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for i := 0; i < 2000; i++ {
		total := decimal.New(r.Int63n(2_000_000_00)-1_000_000_00, -2)
		n := 1 + r.Intn(9)
		ws := make([]decimal.Decimal, n)
		ws[0] = decimal.NewFromInt(1 + r.Int63n(1000))
		for j := 1; j < n; j++ {
			ws[j] = decimal.New(r.Int63n(1000), -int32(r.Intn(4)))
		}
		parts, err := Allocate(total, ws)
		if err != nil {
			t.Fatal(err)
		}
		if s := Sum(parts...); !s.Equal(total) {
			t.Fatalf("parts of %s sum to %s", total, s)
		}
	}
}

func TestFormat(t *testing.T) {
	tests := map[string]string{"0": "0.00", "1234567.5": "1,234,567.50", "-1000": "-1,000.00", "999.999": "1,000.00", "12": "12.00"}
	for in, want := range tests {
		if got := Format(d(in)); got != want {
			t.Errorf("Format(%s) = %s want %s", in, got, want)
		}
	}
}
