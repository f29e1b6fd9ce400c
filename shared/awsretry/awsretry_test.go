package awsretry

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/smithy-go"
)

func TestBatchPolicy(t *testing.T) {
	r := Batch(7, 3*time.Second, "ConcurrentModificationException")
	if r.MaxAttempts() != 7 {
		t.Errorf("attempts %d", r.MaxAttempts())
	}
	tests := []struct {
		code string
		want bool
	}{
		{"ThrottlingException", true},
		{"ConcurrentModificationException", true},
		{"ValidationException", false},
	}
	for _, tt := range tests {
		err := &smithy.GenericAPIError{Code: tt.code}
		if got := r.IsErrorRetryable(err); got != tt.want {
			t.Errorf("%s retryable = %v, want %v", tt.code, got, tt.want)
		}
	}
	if Batch(3, time.Second).IsErrorRetryable(&smithy.GenericAPIError{Code: "ConcurrentModificationException"}) {
		t.Error("an extra code leaked into a retryer that did not ask for it")
	}
	// No retry quota: a long run of retries never exhausts a token bucket.
	for i := 0; i < 1000; i++ {
		if _, err := r.GetRetryToken(context.Background(), errors.New("x")); err != nil {
			t.Fatalf("retry %d refused: %v", i, err)
		}
	}
	if d, err := r.RetryDelay(20, &smithy.GenericAPIError{Code: "ThrottlingException"}); err != nil || d > 3*time.Second {
		t.Errorf("delay %v %v exceeds the cap", d, err)
	}
}

func TestSleep(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled sleep: %v", err)
	}
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Fatal(err)
	}
}
