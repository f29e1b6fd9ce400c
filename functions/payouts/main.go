// Command payouts is the quarter-close Lambda: draft statements from the final
// KPIs, the deals and the comp plans.
package main

import (
	"context"

	"github.com/venn-revops/venn/shared/awsenv"
	"github.com/venn-revops/venn/shared/pipeline"
)

func main() {
	awsenv.Start("payouts", func(_ context.Context, s *awsenv.Setup) (pipeline.Planner, error) {
		return s.Env.PlanPayouts(), nil
	})
}
