package fsblob_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
)

func TestBlob(t *testing.T) {
	ctx := context.Background()
	b, err := fsblob.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{"crm/snapshot/object=Lead/dt=2026-11-19/_manifest-000001.json", "crm/snapshot/object=Lead/dt=2026-11-19/run=a/part-00000.parquet", "crm/snapshot/object=Lead/dt=2026-11-20/_manifest-000001.json", "crm/snapshot/object=Lead2/dt=2026-11-20/x", "kpi/a"}
	for _, k := range keys {
		if err := b.Put(ctx, k, strings.NewReader("body of "+k)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"crm/snapshot/object=Lead/", keys[:3]},
		{"crm/snapshot/object=Lead", keys[:4]},
		{"crm/snapshot/object=Lead/dt=2026-11-19/_manifest-", keys[:1]},
		{"", keys},
		{"nothing/", nil},
	}
	for _, tt := range tests {
		got, err := b.List(ctx, tt.prefix)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("List(%q) = %v %v, want %v", tt.prefix, got, err, tt.want)
		}
	}
	rc, err := b.Get(ctx, "kpi/a")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(rc)
	rc.Close()
	if string(body) != "body of kpi/a" {
		t.Errorf("Get = %q", body)
	}
	ra, size, c, err := b.Open(ctx, "kpi/a")
	if err != nil || size != int64(len("body of kpi/a")) {
		t.Fatalf("Open: %d %v", size, err)
	}
	p := make([]byte, 2)
	ra.ReadAt(p, 5)
	c.Close()
	if string(p) != "of" {
		t.Errorf("ReadAt = %q", p)
	}
	if _, err := b.Get(ctx, "kpi/missing"); !errors.Is(err, lake.ErrNotExist) {
		t.Errorf("Get missing: %v", err)
	}
	if _, _, _, err := b.Open(ctx, "kpi/missing"); !errors.Is(err, lake.ErrNotExist) {
		t.Errorf("Open missing: %v", err)
	}
	for _, bad := range []string{"", "/abs", "a/../b", "a//b", ".tmp/x", "dir/"} {
		if err := b.Put(ctx, bad, strings.NewReader("x")); err == nil {
			t.Errorf("Put(%q) accepted", bad)
		}
	}
	// No temp files are left behind or listed.
	left, _ := os.ReadDir(filepath.Join(b.Root(), ".tmp"))
	if len(left) != 0 {
		t.Errorf("temp files left: %d", len(left))
	}
}

// TestPutIfAbsentRace: of many concurrent conditional writers exactly one
// wins, and the stored object is the winner's, complete.
func TestPutIfAbsentRace(t *testing.T) {
	ctx := context.Background()
	b, _ := fsblob.New(t.TempDir())
	const n = 16
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = b.PutIfAbsent(ctx, "p/_manifest-000001.json", []byte(strings.Repeat(fmt.Sprint(i%10), 100_000)))
		}()
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		if err == nil {
			if winner >= 0 {
				t.Fatalf("%d and %d both won", winner, i)
			}
			winner = i
		} else if !errors.Is(err, lake.ErrExists) {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	rc, err := b.Get(ctx, "p/_manifest-000001.json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(rc)
	rc.Close()
	if string(body) != strings.Repeat(fmt.Sprint(winner%10), 100_000) {
		t.Errorf("stored object is not the winner's (%d bytes)", len(body))
	}
}
