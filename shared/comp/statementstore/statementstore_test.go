package statementstore_test

import (
	"testing"

	"github.com/venn-revops/venn/shared/comp/statementstore/lifecycletest"
	"github.com/venn-revops/venn/shared/results"
	"github.com/venn-revops/venn/shared/results/localstore"
)

// TestLocalstore runs the lifecycle suite on the embedded store.
func TestLocalstore(t *testing.T) {
	lifecycletest.Run(t, func(t *testing.T) results.Store {
		s, err := localstore.Open("")
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
