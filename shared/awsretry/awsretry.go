// Package awsretry holds the retry policy Venn's batch jobs give their AWS
// clients, and a context-aware sleep for the adapters' own retry loops.
package awsretry

import (
	"context"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// Batch is the SDK's standard retryer (throttling, 5xx, dropped connections,
// with jittered exponential backoff) with more attempts, a longer backoff cap
// and no client-wide retry quota. The standard 3 attempts and its quota suit
// an interactive service; under sustained throttling the quota drains and
// every call then fails at once, while a nightly batch would rather wait.
// What still fails after attempts fails the run loudly. Extra error codes
// are retried as well (e.g. Glue's ConcurrentModificationException).
func Batch(attempts int, maxBackoff time.Duration, extraCodes ...string) aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = attempts
		o.MaxBackoff = maxBackoff
		o.RateLimiter = ratelimit.None
		if len(extraCodes) > 0 {
			codes := make(map[string]struct{}, len(extraCodes))
			for _, c := range extraCodes {
				codes[c] = struct{}{}
			}
			o.Retryables = append(slices.Clone(o.Retryables), retry.RetryableErrorCode{Codes: codes})
		}
	})
}

// Sleep waits d, or returns ctx's error as soon as ctx ends.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
