package pipeline

import (
	"context"
	"fmt"
	"slices"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/comp/ackstore"
	"github.com/venn-revops/venn/shared/period"
)

// Acknowledged is what an acknowledge event did.
type Acknowledged struct {
	Ack     *comp.Acknowledgement
	Created bool // false: the same file was acknowledged before; Ack is that one
}

// Acknowledge records the caller's acknowledgement of a plan version they
// are paid on in the event's quarter (comp.NewAcknowledgement: their own,
// the plan file's current SHA-256), through the same authenticated doors
// as approvals (WithCaller), with a conditional write (ackstore).
func (e *Env) Acknowledge(ctx context.Context, ev Event) (*Acknowledged, error) {
	q, err := period.Parse(ev.Quarter)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Acknowledged, error) {
		return nil, fmt.Errorf("acknowledge %s %s: %w", ev.Plan, q, err)
	}
	caller, ok := CallerOf(ctx)
	if !ok {
		return fail(ErrNoCaller)
	}
	policy, err := comp.LoadApprovals(e.CompConfig)
	if err != nil {
		return fail(fmt.Errorf("comp configuration: %w", err))
	}
	cfg, err := comp.CheckConfig(e.CompConfig, knownKPI)
	if err != nil {
		return fail(fmt.Errorf("comp configuration: %w", err))
	}
	people, err := e.callerPeople(ctx, policy, caller)
	if err != nil {
		return fail(err)
	}
	person := ""
	switch {
	case len(ev.People) == 1:
		person = ev.People[0]
	case len(people) == 1:
		person = people[0]
	default:
		return fail(&comp.ApprovalRefusal{Rule: comp.RuleOwnAcknowledgement, Action: comp.ActionAcknowledge, Caller: caller,
			Reason: fmt.Sprintf("the caller is %d CRM people (%v); name the person (people)", len(people), people)})
	}
	i := slices.IndexFunc(cfg.Plans, func(p *comp.Plan) bool { return p.Ref() == ev.Plan })
	if i < 0 {
		return fail(fmt.Errorf("%w: no plan version %s in the configuration", comp.ErrNotOnPlan, ev.Plan))
	}
	a, err := comp.NewAcknowledgement(q, caller, people, person, cfg.Plans[i], ev.SHA256, cfg.Assignments, cfg.Plans, e.now())
	if err != nil {
		return fail(err)
	}
	stored, created, err := ackstore.Put(ctx, e.Store, a)
	if err != nil {
		return fail(err)
	}
	e.log().Info("plan acknowledged", "plan", ev.Plan, "person", person, "caller", caller.ID, "created", created)
	return &Acknowledged{Ack: stored, Created: created}, nil
}

// planAcknowledge plans an acknowledge event, keyed by who acknowledges
// which file for whom: a redelivery replays.
func (e *Env) planAcknowledge(caller comp.Identity, ev Event) Run {
	parts := append([]string{ev.Action, caller.ID, ev.Quarter, ev.Plan, ev.SHA256}, ev.People...)
	return Run{Period: ev.Plan, InputHash: hashOf(parts...), Do: func(ctx context.Context) (any, Metrics, error) {
		a, err := e.Acknowledge(WithCaller(ctx, caller), ev)
		if err != nil {
			return nil, Metrics{}, err
		}
		return map[string]any{"action": ev.Action, "quarter": ev.Quarter, "plan": a.Ack.Plan, "person": a.Ack.PersonID, "sha256": a.Ack.FileSHA256,
			"by": a.Ack.By, "at": a.Ack.At, "created": a.Created}, Metrics{Values: map[string]float64{MetricRows: 1}}, nil
	}}
}

// AckReport lists who has and has not acknowledged the plan versions they
// are on in quarter q (comp.AckReport), from the User snapshot's names.
func (e *Env) AckReport(ctx context.Context, q period.Quarter) ([]comp.AckLine, error) {
	cfg, err := comp.CheckConfig(e.CompConfig, knownKPI)
	if err != nil {
		return nil, fmt.Errorf("acknowledgements %s: comp configuration: %w", q, err)
	}
	var refs []string
	for _, p := range cfg.Plans {
		refs = append(refs, p.Ref())
	}
	acks, err := ackstore.ListPlans(ctx, e.Store, refs)
	if err != nil {
		return nil, err
	}
	var people []comp.Person
	if snaps, err := e.snapshots(ctx, e.now(), payoutInputs[0]); err == nil {
		if people, err = e.people(ctx, snaps[payoutInputs[0].Name]); err != nil {
			return nil, err
		}
	}
	return comp.AckReport(q, people, cfg.Plans, cfg.Assignments, acks)
}

// markAcknowledgements shows on each statement whether its plan files
// were acknowledged (as the store has them now).
func (e *Env) markAcknowledgements(ctx context.Context, stmts []comp.Statement) error {
	var refs []string
	for _, s := range stmts {
		for _, u := range s.Plans {
			refs = append(refs, u.Plan)
		}
	}
	acks, err := ackstore.ListPlans(ctx, e.Store, refs)
	if err != nil {
		return err
	}
	comp.AcknowledgementsOn(stmts, acks)
	return nil
}
