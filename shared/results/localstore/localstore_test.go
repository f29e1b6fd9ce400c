package localstore

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/venn-revops/venn/shared/results"
	"github.com/venn-revops/venn/shared/results/resultstest"
)

func TestConformanceInMemory(t *testing.T) {
	s, err := Open("")
	if err != nil {
		t.Fatal(err)
	}
	resultstest.Run(t, s)
}

func TestConformanceOnDiskAndReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.json")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	resultstest.Run(t, s)
	again, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := again.Get(context.Background(), "T#ver", "s")
	if err != nil || got.Version != 2 {
		t.Fatalf("reopened store lost data: %+v %v", got, err)
	}
	var _ results.Store = again
}
