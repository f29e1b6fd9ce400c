// Command extract is the nightly CRM extract Lambda: Salesforce → Parquet
// snapshots in the lake, one committed partition per object and night.
package main

import (
	"context"
	"os"

	"github.com/venn-revops/venn/shared/awsenv"
	"github.com/venn-revops/venn/shared/pipeline"
)

func main() {
	awsenv.Start("extract", func(ctx context.Context, s *awsenv.Setup) (pipeline.Planner, error) {
		src, err := awsenv.Salesforce(ctx, s.Config, s.Clients, s.Env, os.Getenv)
		if err != nil {
			return nil, err
		}
		return s.Env.PlanExtract(src), nil
	})
}
