// Command score is the lead-scoring Lambda: nightly after the KPIs, it
// learns from the lake which leads converted, measures the model on the
// most recent leads and scores the open ones (docs/scoring.md).
package main

import (
	"context"

	"github.com/venn-revops/venn/shared/awsenv"
	"github.com/venn-revops/venn/shared/pipeline"
)

func main() {
	awsenv.Start("score", func(_ context.Context, s *awsenv.Setup) (pipeline.Planner, error) {
		return s.Env.PlanScore(), nil
	})
}
