package period

import (
	"testing"
	"time"
)

func TestParseAndBounds(t *testing.T) {
	tests := []struct {
		in         string
		start, end string
		days       int
	}{
		{"2025Q1", "2025-01-01", "2025-04-01", 90},
		{"2024Q1", "2024-01-01", "2024-04-01", 91},
		{"2025Q4", "2025-10-01", "2026-01-01", 92},
		{"2025q3", "2025-07-01", "2025-10-01", 92},
	}
	for _, tt := range tests {
		q, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("%s: %v", tt.in, err)
		}
		if got := q.Start().Format(time.DateOnly); got != tt.start {
			t.Errorf("%s start %s want %s", tt.in, got, tt.start)
		}
		if got := q.End().Format(time.DateOnly); got != tt.end {
			t.Errorf("%s end %s want %s", tt.in, got, tt.end)
		}
		if q.Days() != tt.days {
			t.Errorf("%s days %d want %d", tt.in, q.Days(), tt.days)
		}
	}
	for _, bad := range []string{"", "2025Q5", "2025Q0", "25Q1", "2025-Q1", "abcdQ1"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func TestContainsIsHalfOpen(t *testing.T) {
	q := MustParse("2025Q3")
	lastMicro := time.Date(2025, 9, 30, 23, 59, 59, 999500000, time.UTC)
	if !q.Contains(lastMicro) {
		t.Error("23:59:59.9995 on the last day must be inside the quarter")
	}
	if q.Contains(q.End()) {
		t.Error("End is exclusive")
	}
	if !q.Contains(q.Start()) {
		t.Error("Start is inclusive")
	}
	if Of(lastMicro) != q || Of(q.End()) != q.Next() {
		t.Error("Of disagrees with Contains")
	}
}

func TestNeighboursAndSamePoint(t *testing.T) {
	q := MustParse("2025Q1")
	if q.Prev().String() != "2024Q4" || q.Prev().Next() != q {
		t.Errorf("prev/next broken: %v", q.Prev())
	}
	asOf := time.Date(2025, 2, 10, 0, 0, 0, 0, time.UTC) // day 40 of Q1
	got := q.SamePointIn(asOf, q.Prev())
	if want := time.Date(2024, 11, 10, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("same point %v want %v", got, want)
	}
	// Q3 has 92 days, Q2 91: the last day of Q3 clamps to the end of Q2.
	q3 := MustParse("2025Q3")
	if got := q3.SamePointIn(q3.End(), q3.Prev()); !got.Equal(q3.Prev().End()) {
		t.Errorf("clamp %v", got)
	}
}
