package s3store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"

	"github.com/venn-revops/venn/shared/dynamo"
	"github.com/venn-revops/venn/shared/s3store"
)

// The policies retry throttling, and keep retrying after the point where the
// SDK's default quota (500 tokens, 5 per retry) would refuse: 100 retries.
func TestRetryersHaveNoQuota(t *testing.T) {
	slowDown := &smithy.GenericAPIError{Code: "SlowDown", Message: "Please reduce your request rate."}
	throttled := &smithy.GenericAPIError{Code: "ProvisionedThroughputExceededException"}
	tests := []struct {
		name     string
		r        interface{ MaxAttempts() int }
		err      error
		attempts int
	}{
		{"s3", s3store.Retryer(), slowDown, 10},
		{"dynamo", dynamo.Retryer(), throttled, 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.r.(interface {
				MaxAttempts() int
				IsErrorRetryable(error) bool
				GetRetryToken(context.Context, error) (func(error) error, error)
			})
			if r.MaxAttempts() != tc.attempts || !r.IsErrorRetryable(tc.err) {
				t.Fatalf("attempts %d, retryable %v", r.MaxAttempts(), r.IsErrorRetryable(tc.err))
			}
			for i := range 1000 {
				if _, err := r.GetRetryToken(context.Background(), tc.err); err != nil {
					t.Fatalf("retry %d refused: %v", i, err)
				}
			}
		})
	}
	// The default policy does refuse, or this test would prove nothing.
	def := retry.NewStandard()
	var refused error
	for range 1000 {
		if _, refused = def.GetRetryToken(context.Background(), slowDown); refused != nil {
			break
		}
	}
	var qe ratelimit.QuotaExceededError
	if !errors.As(refused, &qe) {
		t.Fatalf("the default retryer never ran out of quota: %v", refused)
	}
}
