// Command score is the lead-scoring Lambda: nightly after the KPIs, it
// learns from the lake which leads converted, measures the model on the
// most recent leads and scores the open ones (docs/scoring.md). It writes
// the scores back to Salesforce when the scoring configuration says so
// (writeback; a dry run by default, which reads no credentials).
package main

import (
	"context"
	"os"

	"github.com/venn-revops/venn/shared/awsenv"
	"github.com/venn-revops/venn/shared/pipeline"
)

func main() {
	awsenv.Start("score", func(_ context.Context, s *awsenv.Setup) (pipeline.Planner, error) {
		return s.Env.PlanScore(awsenv.LeadWriter(s.Config, s.Clients, s.Env, os.Getenv)), nil
	})
}
