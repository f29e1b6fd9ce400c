// Package period models calendar quarters in UTC. Every boundary is half-open,
// [Start, End), so a timestamp at 23:59:59.9995 on the last day belongs to the
// quarter and midnight after it does not.
package period

import (
	"fmt"
	"strconv"
	"time"
)

// Quarter is a calendar quarter, for example 2025Q3.
type Quarter struct {
	Year int
	Q    int // 1..4
}

// Parse reads "YYYYQn" (case-insensitive Q).
func Parse(s string) (Quarter, error) {
	if len(s) != 6 || (s[4] != 'Q' && s[4] != 'q') {
		return Quarter{}, fmt.Errorf("quarter %q: want YYYYQn, for example 2025Q3", s)
	}
	y, err := strconv.Atoi(s[:4])
	if err != nil || y < 1970 {
		return Quarter{}, fmt.Errorf("quarter %q: bad year", s)
	}
	q := int(s[5] - '0')
	if q < 1 || q > 4 {
		return Quarter{}, fmt.Errorf("quarter %q: quarter must be 1 to 4", s)
	}
	return Quarter{Year: y, Q: q}, nil
}

// MustParse is Parse for constants in tests and examples.
func MustParse(s string) Quarter {
	q, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return q
}

// Of returns the quarter that contains t (in UTC).
func Of(t time.Time) Quarter {
	t = t.UTC()
	return Quarter{Year: t.Year(), Q: (int(t.Month())-1)/3 + 1}
}

func (q Quarter) String() string { return fmt.Sprintf("%04dQ%d", q.Year, q.Q) }

// IsZero reports whether q is the zero value.
func (q Quarter) IsZero() bool { return q.Year == 0 }

// Start is the first instant of the quarter, UTC.
func (q Quarter) Start() time.Time {
	return time.Date(q.Year, time.Month((q.Q-1)*3+1), 1, 0, 0, 0, 0, time.UTC)
}

// End is the first instant after the quarter (exclusive bound).
func (q Quarter) End() time.Time { return q.Next().Start() }

// Contains reports whether t falls in [Start, End).
func (q Quarter) Contains(t time.Time) bool {
	return !t.Before(q.Start()) && t.Before(q.End())
}

// Days is the number of calendar days in the quarter.
func (q Quarter) Days() int { return int(q.End().Sub(q.Start()).Hours() / 24) }

// Next is the following quarter.
func (q Quarter) Next() Quarter {
	if q.Q == 4 {
		return Quarter{Year: q.Year + 1, Q: 1}
	}
	return Quarter{Year: q.Year, Q: q.Q + 1}
}

// Prev is the preceding quarter.
func (q Quarter) Prev() Quarter {
	if q.Q == 1 {
		return Quarter{Year: q.Year - 1, Q: 4}
	}
	return Quarter{Year: q.Year, Q: q.Q - 1}
}

// Before reports whether q is earlier than o.
func (q Quarter) Before(o Quarter) bool {
	return q.Year < o.Year || (q.Year == o.Year && q.Q < o.Q)
}

// SamePointIn maps an as-of instant inside q to the same offset from the start
// of other, clamped to other's end. It answers "QTD against the same point of
// the previous quarter": day 40 of Q3 compares with day 40 of Q2.
func (q Quarter) SamePointIn(asOf time.Time, other Quarter) time.Time {
	t := other.Start().Add(asOf.Sub(q.Start()))
	if t.After(other.End()) {
		return other.End()
	}
	return t
}

// Date returns midnight UTC of the given calendar day.
func Date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// Day truncates t to midnight UTC.
func Day(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
