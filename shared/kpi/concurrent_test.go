package kpi

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

// reusing is a source that overwrites its one buffer between batches, as
// lake.Scan does.
func reusing(base, n, batch int) Source[User] {
	return func(fn func([]User) error) error {
		buf := make([]User, batch)
		for i := 0; i < n; i += batch {
			k := min(batch, n-i)
			for j := range k {
				buf[j] = User{ID: fmt.Sprint(base + i + j)}
			}
			if err := fn(buf[:k]); err != nil {
				return err
			}
		}
		return nil
	}
}

func TestConcurrentDeliversEveryRowOnce(t *testing.T) {
	var srcs []Source[User]
	want := 0
	for s := range 7 {
		srcs = append(srcs, reusing(s*1000, 100*s+3, 16))
		want += 100*s + 3
	}
	for _, workers := range []int{1, 2, 4} {
		var ids []string
		err := Concurrent(workers, srcs...)(func(rows []User) error {
			for _, r := range rows {
				ids = append(ids, r.ID)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(ids)
		if len(ids) != want || len(slices.Compact(ids)) != want {
			t.Fatalf("workers %d: %d rows (%d distinct), want %d", workers, len(ids), len(slices.Compact(slices.Clone(ids))), want)
		}
	}
}

func TestConcurrentStopsOnError(t *testing.T) {
	boom := errors.New("boom")
	bad := func(fn func([]User) error) error { return boom }
	err := Concurrent(2, reusing(0, 5000, 8), bad, reusing(9000, 5000, 8))(func([]User) error { return nil })
	if !errors.Is(err, boom) {
		t.Fatalf("source error: %v", err)
	}
	stop := errors.New("consumer")
	err = Concurrent(2, reusing(0, 5000, 8), reusing(9000, 5000, 8))(func([]User) error { return stop })
	if !errors.Is(err, stop) {
		t.Fatalf("consumer error: %v", err)
	}
}
