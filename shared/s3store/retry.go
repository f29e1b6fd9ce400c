package s3store

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/venn-revops/venn/shared/awsretry"
)

// Retryer is the retry policy for the lake's S3 client:
//
//	s3.NewFromConfig(cfg, func(o *s3.Options) { o.Retryer = s3store.Retryer() })
//
// The SDK's standard retryer already retries 503 SlowDown and 5xx, but with
// 3 attempts and a client-wide retry quota that sustained throttling drains,
// after which every call fails at once ("retry quota exceeded") although S3
// asks only to slow down. A nightly batch would rather wait: 10 attempts,
// exponential backoff with jitter up to 20s, no quota.
func Retryer() aws.Retryer { return awsretry.Batch(10, 20*time.Second) }
