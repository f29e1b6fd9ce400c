// Command payouts is the quarter-close Lambda: draft statements from the final
// KPIs, the deals and the comp plans.
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
	lambda.Start(env.Handler("payouts", awsenv.Ledger(env), env.PlanPayouts()))
}

// fail reports an init error; Lambda records it as an init failure.
func fail(err error) {
	fmt.Fprintln(os.Stderr, "payouts:", err)
	os.Exit(1)
}
