// Command approve is finance's Lambda: draft → approved → final, then the
// payroll export. It is served through its Function URL (AuthType
// AWS_IAM): the approver is the IAM principal that signed the request
// (shared/callerid), checked against approvals.yaml; a direct invoke is
// refused.
package main

import (
	"context"
	"os"

	"github.com/venn-revops/venn/shared/awsenv"
	"github.com/venn-revops/venn/shared/callerid"
	"github.com/venn-revops/venn/shared/pipeline"
)

func main() {
	awsenv.Start("approve", func(ctx context.Context, s *awsenv.Setup) (pipeline.Planner, error) {
		// The PII key hashes the caller's email to find their own statement.
		if err := awsenv.LoadPII(ctx, s.Config, s.Clients, s.Env, os.Getenv); err != nil {
			return nil, err
		}
		s.Serve = callerid.FunctionURL
		return s.Env.PlanApprove(), nil
	})
}
