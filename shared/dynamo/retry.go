package dynamo

import (
	"errors"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/venn-revops/venn/shared/awsretry"
)

// Retryer is the retry policy for the results table's DynamoDB client:
//
//	dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.Retryer = dynamo.Retryer() })
//
// The SDK's standard retryer retries throttling and 5xx with 3 attempts and
// a client-wide retry quota; under sustained throttling (a KPI write burst on
// a cold on-demand table) the quota drains and every call then fails at once.
// 8 attempts with jittered backoff up to 5s and no quota ride it out; what
// still fails, fails the run loudly. UnprocessedItems are BatchPut's own loop.
//
// A response cut off mid-body (io.ErrUnexpectedEOF while the SDK decodes it)
// is retried too: the SDK counts it as a deserialization error, not a
// connection error, so it would fail the job. Retrying is as safe as after a
// dropped connection: the first attempt may have landed, and Put treats a
// failed condition over the item it wrote as success (attempts > 1).
func Retryer() aws.Retryer {
	return cutOffRetryer{awsretry.Batch(8, 5*time.Second).(aws.RetryerV2)}
}

// cutOffRetryer is a retryer that also retries a response body cut short.
type cutOffRetryer struct{ aws.RetryerV2 }

func (r cutOffRetryer) IsErrorRetryable(err error) bool {
	return CutOff(err) || r.RetryerV2.IsErrorRetryable(err)
}

// CutOff reports whether err is a response that ended mid-body. The SDK
// wraps the read error in its deserialization error; some paths keep only
// its text, hence the fallback on the message.
func CutOff(err error) bool {
	return err != nil && (errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), io.ErrUnexpectedEOF.Error()))
}
