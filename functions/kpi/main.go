// Command kpi is the KPI Lambda: the shared catalog, nightly for the quarter
// to date and at quarter close for the final figures.
package main

import (
	"context"

	"github.com/venn-revops/venn/shared/awsenv"
	"github.com/venn-revops/venn/shared/pipeline"
)

func main() {
	awsenv.Start("kpi", func(_ context.Context, s *awsenv.Setup) (pipeline.Planner, error) {
		return s.Env.PlanKPI(), nil
	})
}
