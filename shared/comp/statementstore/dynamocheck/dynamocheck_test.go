package dynamocheck

import (
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/comp/statementstore/lifecycletest"
	"github.com/venn-revops/venn/shared/dynamo"
	"github.com/venn-revops/venn/shared/dynamo/dynamotest"
	"github.com/venn-revops/venn/shared/results"
)

// TestLifecycleOnDynalite starts one dynalite and gives each case a fresh
// table. Skipped with -short (it starts a server).
func TestLifecycleOnDynalite(t *testing.T) {
	if testing.Short() {
		t.Skip("starts dynalite")
	}
	srv := dynamotest.Start(t)
	fast := dynamo.WithBatchRetry(10, time.Millisecond, 5*time.Millisecond)
	lifecycletest.Run(t, func(t *testing.T) results.Store {
		return dynamo.New(srv.Client(), srv.NewTable(t), fast)
	})
}
