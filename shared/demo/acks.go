package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/period"
	"github.com/venn-revops/venn/shared/pipeline"
	"github.com/venn-revops/venn/shared/runledger"
)

// demoAcks are the demo's plan acknowledgements: four people read the
// document of the plan version they are paid on in the closed quarter and
// acknowledge it, each signed in as themselves (a CRM email matched
// through the lake's HMAC, or approvals.yaml's people mapping for
// maria.chen), a minute apart on the demo night. Everyone else on a plan has not: their
// statements say "not acknowledged" and `venn plan acks --missing` lists
// them.
var demoAcks = []struct {
	who, person, plan string // person: who the caller is in the CRM
}{
	{"maria.chen", "005000000000001AAA", "sales_manager@v1"},
	{"alex.romero@venn-demo.example", "005000000000002AAA", "ae@v1"},
	{"priya.nair@venn-demo.example", "005000000000003AAA", "ae@v1"},
	{"olivia.grant@venn-demo.example", "005000000000012AAA", "marketing_manager@v1"},
}

// acknowledgePlans records demoAcks for quarter q as `venn plan ack` does:
// the approve job's acknowledge event through its handler and run ledger,
// the caller in the context, the plan file's SHA-256 as its document
// states it. The job's clock is fixed (at + 1, 2, … minutes), so a rerun
// of the demo writes the same statements.
func acknowledgePlans(ctx context.Context, env *pipeline.Env, q string, at time.Time) error {
	cfg, err := comp.LoadConfig(env.CompConfig)
	if err != nil {
		return fmt.Errorf("demo acknowledgements: %w", err)
	}
	hash := map[string]string{}
	for _, p := range cfg.Plans {
		hash[p.Ref()] = p.Hash
	}
	log := env.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ledger := runledger.New(env.Store, runledger.WithLogger(log))
	for i, a := range demoAcks {
		job := *env
		now := at.Add(time.Duration(i+1) * time.Minute)
		job.Now, job.Metrics = func() time.Time { return now }, io.Discard
		ev, err := json.Marshal(pipeline.Event{Job: "approve", Quarter: q, Action: comp.ActionAcknowledge, Plan: a.plan, SHA256: hash[a.plan]})
		if err != nil {
			return err
		}
		if _, err := job.Handler("approve", ledger, job.PlanApprove())(demoCaller(ctx, a.who), ev); err != nil {
			return fmt.Errorf("demo acknowledgement of %s by %s: %w", a.plan, a.who, err)
		}
	}
	return nil
}

// writeAcks prints who has acknowledged the plan versions they are on in
// quarter q and who has not (venn plan acks).
func writeAcks(ctx context.Context, w io.Writer, env *pipeline.Env, q period.Quarter, out string) error {
	lines, err := env.AckReport(ctx, q)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\n== Plan acknowledgements %s (bin/venn plan acks --out %s --quarter %s --missing lists who has not) ==\n", q, out, q)
	return comp.WriteAckReport(w, q, lines, false)
}
