// Command extract is the nightly CRM extract Lambda: Salesforce → Parquet
// snapshots in the lake, one committed partition per object and night.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/venn-revops/venn/shared/awsenv"
)

func main() {
	ctx := context.Background()
	cfg, err := awsenv.ConfigFromEnv(os.Getenv)
	if err != nil {
		fail(err)
	}
	env, clients, err := awsenv.New(ctx, cfg)
	if err != nil {
		fail(err)
	}
	src, err := awsenv.Salesforce(ctx, cfg, clients, env, os.Getenv)
	if err != nil {
		fail(err)
	}
	lambda.Start(env.Handler("extract", awsenv.Ledger(env), env.PlanExtract(src)))
}

// fail reports an init error; Lambda records it as an init failure.
func fail(err error) {
	fmt.Fprintln(os.Stderr, "extract:", err)
	os.Exit(1)
}
