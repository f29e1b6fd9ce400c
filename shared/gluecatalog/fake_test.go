package gluecatalog

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/glue"

	"github.com/venn-revops/venn/shared/gluecatalog/gluefake"
)

// Why a protocol fake (gluefake): no Glue-compatible server can be installed
// here. So the adapter is driven through the REAL SDK client (its JSON 1.1
// serializers, SigV4 signing, error decoding and retryer) against a small
// server that speaks the Glue wire protocol for the operations the adapter
// calls, seeded from the real table definitions in infra/glue.yaml.

const (
	testDatabase = "venn_test"
	testBucket   = "venn-lake-test"
	testPrefix   = "lake/"
)

type (
	glueFake   = gluefake.Fake
	fakeTable  = gluefake.Table
	fakeColumn = gluefake.Column
)

// newGlueFake serves the tables of infra/glue.yaml (with testBucket and
// testPrefix substituted) and returns a real SDK client pointed at it.
func newGlueFake(t *testing.T) (*glueFake, *glue.Client) {
	t.Helper()
	f, url := gluefake.Start(t, testDatabase, testBucket, testPrefix)
	client := glue.New(glue.Options{
		BaseEndpoint: aws.String(url),
		Region:       "eu-west-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		// The adapter's retryer, with its backoff capped so the throttling
		// test takes milliseconds; attempts and retryable codes unchanged.
		Retryer: retry.AddWithMaxBackoffDelay(Retryer(), time.Millisecond),
	})
	return f, client
}
