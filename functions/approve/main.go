// Command approve is finance's Lambda: draft → approved → final, then the
// payroll export.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/venn-revops/venn/shared/awsenv"
)

func main() {
	cfg, err := awsenv.ConfigFromEnv(os.Getenv)
	if err != nil {
		fail(err)
	}
	env, _, err := awsenv.New(context.Background(), cfg)
	if err != nil {
		fail(err)
	}
	lambda.Start(env.Handler("approve", awsenv.Ledger(env), env.PlanApprove()))
}

// fail reports an init error; Lambda records it as an init failure.
func fail(err error) {
	fmt.Fprintln(os.Stderr, "approve:", err)
	os.Exit(1)
}
