package blobtest_test

import (
	"testing"

	"github.com/venn-revops/venn/shared/lake/fsblob"
	"github.com/venn-revops/venn/shared/s3store/blobtest"
)

// The local folder passes the same contract as S3.
func TestFSBlobConformance(t *testing.T) {
	b, err := fsblob.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	blobtest.Run(t, b)
}

// The retention sweep on the local folder, with a pinned clock.
func TestFSBlobSweep(t *testing.T) {
	b, err := fsblob.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	blobtest.RunSweep(t, b)
}
