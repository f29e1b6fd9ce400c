package dynamo

import (
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
func Retryer() aws.Retryer { return awsretry.Batch(8, 5*time.Second) }
