package demo

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/comp/statementstore"
	"github.com/venn-revops/venn/shared/pipeline"
)

// The demo's dispute: Alex Romero (signed in under his CRM email, matched
// through the lake's HMAC) queries a commission line of his final 2026Q2
// statement, his manager Maria Chen answers, finance resolves it with an
// adjustment of DisputeAmount, paid as a line on his 2026Q3 statement.
const (
	demoRep       = "alex.romero@venn-demo.example"
	demoRepID     = "005000000000002AAA"
	demoManager   = "maria.chen" // approvals.yaml maps this local user to Maria Chen
	DisputeAmount = "250.00"
)

// raiseAndResolve walks the demo's dispute through the approve job's
// dispute actions, on the person's final statement of quarter prev.
func raiseAndResolve(ctx context.Context, env *pipeline.Env, prev string) (*pipeline.DisputeOutcome, error) {
	st, err := statementstore.Get(ctx, env.Store, prev, demoRepID)
	if err != nil {
		return nil, fmt.Errorf("demo dispute: %w", err)
	}
	line := ""
	for _, l := range st.Statement.Lines {
		if l.Kind == comp.LineCommission {
			line = l.Key
			break
		}
	}
	if line == "" {
		return nil, fmt.Errorf("demo dispute: statement %s has no commission line", st.Statement.ID)
	}
	steps := []struct {
		who    string
		action comp.DisputeAction
		req    pipeline.DisputeRequest
	}{
		{demoRep, comp.DisputeRaise, pipeline.DisputeRequest{Person: demoRepID, Line: line,
			Text: "My split on a Q2 deal was 50/50, but this line pays me 25%."}},
		{demoManager, comp.DisputeAnswer, pipeline.DisputeRequest{Text: "Confirmed: the split was changed in the CRM after the close. Over to finance."}},
		{demoApprover, comp.DisputeResolve, pipeline.DisputeRequest{Text: "Split corrected to 50/50: the missing 25% at the plan rate.",
			Outcome: string(comp.OutcomeAdjustment), Amount: DisputeAmount}},
	}
	var out *pipeline.DisputeOutcome
	for _, s := range steps {
		req := s.req
		if out != nil {
			req.ID, req.Version = out.Dispute.ID, out.Dispute.Version
		}
		if out, err = env.Dispute(demoCaller(ctx, s.who), pipeline.Event{Job: "approve", Quarter: prev, Action: string(s.action), Dispute: &req}); err != nil {
			return nil, fmt.Errorf("demo dispute: %w", err)
		}
	}
	return out, nil
}

// writeDispute prints the demo's dispute with its history and the line
// that pays it on the next statement.
func writeDispute(w io.Writer, d *pipeline.DisputeOutcome, next []comp.Statement) error {
	fmt.Fprintf(w, "\n== Dispute on a %s statement line, paid on %s (venn dispute show --quarter %s --person %s) ==\n",
		d.Dispute.Quarter, d.PaidIn.Quarter, d.Dispute.Quarter, d.Dispute.PersonID)
	if err := comp.WriteDisputes(w, []comp.Dispute{d.Dispute.Dispute}); err != nil {
		return err
	}
	for _, st := range next {
		for i, l := range st.Lines {
			if l.Kind == comp.LineDisputeAdjustment && l.Ref == d.Dispute.ID {
				_, err := fmt.Fprintf(w, "  on statement %s, line %d: %s\n", st.ID, i+1, strings.TrimSpace(l.Explain))
				return err
			}
		}
	}
	return fmt.Errorf("demo dispute %s: no line pays it on the %s statements", d.Dispute.ID, d.PaidIn.Quarter)
}
