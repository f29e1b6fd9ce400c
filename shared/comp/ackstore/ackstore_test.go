package ackstore_test

import (
	"testing"

	"github.com/venn-revops/venn/shared/comp/ackstore/acktest"
	"github.com/venn-revops/venn/shared/results"
	"github.com/venn-revops/venn/shared/results/localstore"
)

// TestLocalstore runs the acknowledgement cases on the embedded store.
func TestLocalstore(t *testing.T) {
	acktest.Run(t, func(t *testing.T) results.Store {
		s, err := localstore.Open("")
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
