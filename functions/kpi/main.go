// Command kpi is the KPI Lambda: the shared catalog, nightly for the quarter
// to date and at quarter close for the final figures.
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
	lambda.Start(env.Handler("kpi", awsenv.Ledger(env), env.PlanKPI()))
}

// fail reports an init error; Lambda records it as an init failure.
func fail(err error) {
	fmt.Fprintln(os.Stderr, "kpi:", err)
	os.Exit(1)
}
