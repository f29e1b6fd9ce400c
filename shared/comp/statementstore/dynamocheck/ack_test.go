package dynamocheck

import (
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/comp/ackstore/acktest"
	"github.com/venn-revops/venn/shared/dynamo"
	"github.com/venn-revops/venn/shared/dynamo/dynamotest"
	"github.com/venn-revops/venn/shared/results"
)

// TestAcknowledgementsOnDynalite runs the plan-acknowledgement cases (the
// conditional write and its race) on DynamoDB (dynalite).
func TestAcknowledgementsOnDynalite(t *testing.T) {
	srv := dynamotest.Start(t)
	fast := dynamo.WithBatchRetry(10, time.Millisecond, 5*time.Millisecond)
	acktest.Run(t, func(t *testing.T) results.Store {
		return dynamo.New(srv.Client(), srv.NewTable(t), fast)
	})
}
