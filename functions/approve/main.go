// Command approve is finance's Lambda: draft → approved → final, then the
// payroll export.
package main

import (
	"context"

	"github.com/venn-revops/venn/shared/awsenv"
	"github.com/venn-revops/venn/shared/pipeline"
)

func main() {
	awsenv.Start("approve", func(_ context.Context, s *awsenv.Setup) (pipeline.Planner, error) {
		return s.Env.PlanApprove(), nil
	})
}
