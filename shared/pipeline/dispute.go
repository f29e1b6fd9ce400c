package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/comp/statementstore"
	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/lake"
)

// DisputeRequest is a dispute action's request in an approve event. Who
// acts is the authenticated caller, as for approvals; the text and amount
// go to the results table and the statement, never to a log or an error.
//
//	raise     person, line (the line's key on the statement JSON), text
//	answer    id, text
//	reply     id, text
//	resolve   id, text (the reason), outcome no_change | adjustment, amount (adjustment)
//	withdraw  id, text
//	read      id (one dispute) or person (all of theirs in the quarter):
//	          the disputes with their whole history, for the person paid,
//	          a manager above them or finance; nothing is written
//
// Version, when set, is the dispute version the caller read: if the
// dispute has moved on since, the action is refused as stale.
type DisputeRequest struct {
	ID      string `json:"id,omitempty"`
	Person  string `json:"person,omitempty"`
	Line    string `json:"line,omitempty"`
	Text    string `json:"text"`
	Outcome string `json:"outcome,omitempty"`
	Amount  string `json:"amount,omitempty"`
	Version int64  `json:"version,omitempty"`
}

// IsDisputeAction reports whether an approve event's action is a dispute
// action.
func IsDisputeAction(action string) bool {
	_, err := comp.ParseDisputeAction(action)
	return err == nil || comp.DisputeAction(action) == comp.DisputeRead
}

// validateDispute checks a dispute action's event; its messages never
// quote the text or the amount.
func (e Event) validateDispute() error {
	bad := func(field, why string) error { return fmt.Errorf("%s event: %s: %s", e.Job, field, why) }
	d := e.Dispute
	if d == nil {
		return bad("dispute", fmt.Sprintf("required for %s: {\"id\" or \"person\" and \"line\", \"text\", …}", e.Action))
	}
	if len(e.People) > 0 {
		return bad("people", "a dispute action names its dispute (dispute.id) or statement (dispute.person), not people")
	}
	if comp.DisputeAction(e.Action) == comp.DisputeRead {
		switch {
		case (d.ID == "") == (d.Person == ""):
			return bad("dispute", "read names one dispute (id) or a person (person: all of theirs in the quarter)")
		case d.ID != "" && !strings.HasPrefix(d.ID, e.Quarter+"/"):
			return bad("dispute.id", fmt.Sprintf("want %s/<person id>/<n>: a dispute on a statement of the event's quarter", e.Quarter))
		case d.Text != "" || d.Line != "" || d.Outcome != "" || d.Amount != "" || d.Version != 0:
			return bad("dispute", "read takes only id or person")
		}
		return nil
	}
	if strings.TrimSpace(d.Text) == "" {
		return bad("dispute.text", "required: the inquiry, answer or reason")
	}
	if d.Version < 0 {
		return bad("dispute.version", "a dispute version is 1 or more")
	}
	if comp.DisputeAction(e.Action) == comp.DisputeRaise {
		if d.ID != "" || d.Version != 0 {
			return bad("dispute.id", "raise opens a new dispute: give person and line, not id or version")
		}
		if strings.TrimSpace(d.Person) == "" || strings.TrimSpace(d.Line) == "" {
			return bad("dispute", "raise needs person (whose statement) and line (the line's key)")
		}
	} else {
		if d.Person != "" || d.Line != "" {
			return bad("dispute", e.Action+" acts on a dispute: give id, not person and line")
		}
		if !strings.HasPrefix(d.ID, e.Quarter+"/") {
			return bad("dispute.id", fmt.Sprintf("want %s/<person id>/<n>: a dispute on a statement of the event's quarter", e.Quarter))
		}
	}
	resolve := comp.DisputeAction(e.Action) == comp.DisputeResolve
	switch {
	case !resolve && (d.Outcome != "" || d.Amount != ""):
		return bad("dispute.outcome", "only resolve takes an outcome or amount")
	case resolve && d.Outcome != string(comp.OutcomeNoChange) && d.Outcome != string(comp.OutcomeAdjustment):
		return bad("dispute.outcome", fmt.Sprintf("resolve needs %s or %s", comp.OutcomeNoChange, comp.OutcomeAdjustment))
	case resolve && (d.Amount != "") != (d.Outcome == string(comp.OutcomeAdjustment)):
		return bad("dispute.amount", "an adjustment needs an amount; no_change takes none")
	}
	if d.Amount != "" {
		if _, err := decimal.NewFromString(d.Amount); err != nil {
			return bad("dispute.amount", "not a decimal amount (e.g. 312.45, or -120.50 to take back)")
		}
	}
	return nil
}

// DisputeOutcome is what a dispute action did.
type DisputeOutcome struct {
	Quarter string
	Action  comp.DisputeAction
	Caller  comp.Identity
	Dispute *statementstore.StoredDispute
	// PaidIn is where a resolved adjustment is paid (resolve with an
	// adjustment only).
	PaidIn *statementstore.Payable
}

// Dispute runs a dispute action for the caller in ctx: raise a dispute on
// a statement line, or answer, reply to, resolve or withdraw one, as
// approvals.yaml's disputes block allows (comp.ApprovalPolicy). A resolve
// with an adjustment is paid on the person's next payable statement
// (statementstore.NextPayable): the payouts run of that quarter adds it.
func (e *Env) Dispute(ctx context.Context, ev Event) (*DisputeOutcome, error) {
	action, err := comp.ParseDisputeAction(ev.Action)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*DisputeOutcome, error) {
		return nil, fmt.Errorf("%s dispute %s: %w", action, ev.Quarter, err)
	}
	dc, err := e.disputeCaller(ctx, ev)
	if err != nil {
		return fail(err)
	}
	caller, policy, party, req := dc.caller, dc.policy, dc.party, ev.Dispute
	act := comp.DisputeAct{Action: action, Caller: caller, CallerPeople: dc.people, At: e.now(), Text: req.Text, Outcome: comp.DisputeOutcome(req.Outcome)}
	if req.Amount != "" {
		amt, err := decimal.NewFromString(req.Amount)
		if err != nil {
			return fail(fmt.Errorf("%w: dispute.amount: not a decimal amount", comp.ErrDisputeInvalid))
		}
		act.Amount = &amt
	}
	out := &DisputeOutcome{Quarter: ev.Quarter, Action: action, Caller: caller}
	if action == comp.DisputeRaise {
		out.Dispute, err = statementstore.RaiseDispute(ctx, e.Store, ev.Quarter, party.PersonID, func(st *statementstore.Stored, existing []comp.Dispute) (*comp.Dispute, error) {
			return policy.RaiseDispute(st.Statement, st.Version, req.Line, existing, party, act)
		})
	} else {
		out.Dispute, err = statementstore.UpdateDispute(ctx, e.Store, req.ID, req.Version, func(cur *statementstore.StoredDispute) (*comp.Dispute, error) {
			a := act
			if a.Action == comp.DisputeResolve && a.Outcome == comp.OutcomeAdjustment {
				pay, err := statementstore.NextPayable(ctx, e.Store, cur.Quarter, cur.PersonID)
				if err != nil {
					return nil, err
				}
				a.PaidIn, out.PaidIn = pay.Quarter, &pay
			}
			return policy.Apply(&cur.Dispute, party, a)
		})
	}
	if err != nil {
		return fail(err)
	}
	// Ids, states and who: never the text or an amount (pay is private).
	e.log().Info("dispute "+string(action), "quarter", ev.Quarter, "dispute", out.Dispute.ID, "line", out.Dispute.Line,
		"state", string(out.Dispute.State), "version", out.Dispute.Version, "caller", caller.ID)
	return out, nil
}

// disputeCall is who acts in a dispute event and on whose statements.
type disputeCall struct {
	caller comp.Identity
	policy *comp.ApprovalPolicy
	people []string // the caller's CRM people
	party  comp.DisputeParty
}

// disputeCaller finds the caller of dispute event ev (in ctx), the
// approval policy, and the party: the person whose statement it is (the
// request's person, else the one its id names) and their managers.
func (e *Env) disputeCaller(ctx context.Context, ev Event) (*disputeCall, error) {
	caller, ok := CallerOf(ctx)
	if !ok {
		return nil, ErrNoCaller
	}
	req := ev.Dispute
	if req == nil {
		return nil, fmt.Errorf("%w: no dispute request", comp.ErrDisputeInvalid)
	}
	policy, err := comp.LoadApprovals(e.CompConfig)
	if err != nil {
		return nil, fmt.Errorf("comp configuration: %w", err)
	}
	people, err := e.callerPeople(ctx, policy, caller)
	if err != nil {
		return nil, err
	}
	person := req.Person
	if req.ID != "" || person == "" {
		parts := strings.Split(req.ID, "/")
		if len(parts) != 3 {
			return nil, fmt.Errorf("%w: dispute id %q: want <quarter>/<person id>/<n>", comp.ErrDisputeInvalid, req.ID)
		}
		person = parts[1]
	}
	managers, err := e.managersOf(ctx, person)
	if err != nil {
		return nil, err
	}
	return &disputeCall{caller: caller, policy: policy, people: people, party: comp.DisputeParty{PersonID: person, Managers: managers}}, nil
}

// ReadDisputes returns, for the caller in ctx, the disputes a read event
// names (one by id, or all of a person's in the quarter) with their whole
// history, as stored: only to the person paid, a manager above them or
// finance (comp.ApprovalPolicy.ReadDisputes). Nothing is written, and the
// log has ids and counts only.
func (e *Env) ReadDisputes(ctx context.Context, ev Event) ([]statementstore.StoredDispute, error) {
	fail := func(err error) ([]statementstore.StoredDispute, error) {
		return nil, fmt.Errorf("read disputes %s: %w", ev.Quarter, err)
	}
	dc, err := e.disputeCaller(ctx, ev)
	if err != nil {
		return fail(err)
	}
	act := comp.DisputeAct{Action: comp.DisputeRead, Caller: dc.caller, CallerPeople: dc.people, At: e.now()}
	if err := dc.policy.ReadDisputes(dc.party, act); err != nil {
		return fail(err)
	}
	var out []statementstore.StoredDispute
	if id := ev.Dispute.ID; id != "" {
		d, err := statementstore.GetDispute(ctx, e.Store, id)
		if err != nil {
			return fail(err)
		}
		out = append(out, *d)
	} else if out, err = statementstore.Disputes(ctx, e.Store, ev.Quarter, dc.party.PersonID); err != nil {
		return fail(err)
	}
	e.log().Info("dispute read", "quarter", ev.Quarter, "person", dc.party.PersonID, "disputes", len(out), "caller", dc.caller.ID)
	return out, nil
}

// planReadDisputes plans a read: keyed by the caller, what they read and
// the stored versions of what it names, so a read of unchanged disputes
// replays and a read after any change reads again.
func (e *Env) planReadDisputes(ctx context.Context, caller comp.Identity, ev Event) (Run, error) {
	req := ev.Dispute
	parts := []string{"dispute", ev.Action, caller.ID, ev.Quarter, req.ID, req.Person}
	var stored []statementstore.StoredDispute
	var err error
	if req.ID != "" {
		var d *statementstore.StoredDispute
		if d, err = statementstore.GetDispute(ctx, e.Store, req.ID); err == nil {
			stored = append(stored, *d)
		}
	} else {
		stored, err = statementstore.Disputes(ctx, e.Store, ev.Quarter, req.Person)
	}
	if err != nil && !errors.Is(err, statementstore.ErrNoDispute) {
		return Run{}, fmt.Errorf("read disputes %s: %w", ev.Quarter, err)
	}
	for _, d := range stored {
		parts = append(parts, fmt.Sprintf("%s@%d", d.ID, d.Version))
	}
	return Run{Period: ev.Quarter, InputHash: hashOf(parts...), Do: func(ctx context.Context) (any, Metrics, error) {
		ds, err := e.ReadDisputes(WithCaller(ctx, caller), ev)
		if err != nil {
			return nil, Metrics{}, err
		}
		// The history itself goes back to the caller who may read it; the
		// log line above has ids and counts only.
		return map[string]any{"quarter": ev.Quarter, "action": ev.Action, "caller": caller.ID, "disputes": ds},
			Metrics{Values: map[string]float64{MetricRows: float64(len(ds))}}, nil
	}}, nil
}

// userManagerRow is the projection of the User snapshot that finds a
// person's managers.
type userManagerRow struct {
	ID        string `parquet:"id"`
	ManagerID string `parquet:"manager_id,optional"`
}

// managersOf is the person's ManagerId chain in the latest User snapshot,
// nearest first. It fails closed: without the snapshot nobody can be told
// to be the person's manager.
func (e *Env) managersOf(ctx context.Context, personID string) ([]string, error) {
	m, err := lake.LatestSnapshot(ctx, e.Blob, crm.User.Name, e.now())
	if err != nil {
		return nil, fmt.Errorf("the managers of %s: the User snapshot: %w", personID, err)
	}
	manager := map[string]string{}
	err = lake.Scan(ctx, e.Blob, m, func(rows []userManagerRow) error {
		for _, u := range rows {
			manager[u.ID] = u.ManagerID
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("the managers of %s: %s: %w", personID, m.Key(), err)
	}
	var chain []string
	seen := map[string]bool{personID: true}
	for id := manager[personID]; id != "" && !seen[id]; id = manager[id] {
		seen[id] = true
		chain = append(chain, id)
	}
	return chain, nil
}

// planDispute is PlanApprove's run for a dispute action: keyed by who does
// what to which dispute, with what words, so a redelivered request replays
// the stored answer instead of raising a second dispute or failing as an
// illegal transition.
func (e *Env) planDispute(caller comp.Identity, ev Event) (Run, error) {
	req, _ := json.Marshal(ev.Dispute)
	return Run{Period: ev.Quarter, InputHash: hashOf("dispute", ev.Action, caller.ID, string(req)), Do: func(ctx context.Context) (any, Metrics, error) {
		out, err := e.Dispute(WithCaller(ctx, caller), ev)
		if err != nil {
			return nil, Metrics{}, err
		}
		d := out.Dispute
		// What the caller needs to act next; the text and amounts are in
		// the results table and on the statement (venn dispute show).
		summary := map[string]any{"quarter": ev.Quarter, "action": ev.Action, "caller": caller.ID, "dispute": d.ID, "line": d.Line,
			"state": d.State, "version": d.Version, "statement": d.StatementID}
		if out.PaidIn != nil {
			summary["paid_in"], summary["paid_in_status"] = out.PaidIn.Quarter, out.PaidIn.Status
		}
		return summary, Metrics{Values: map[string]float64{MetricRows: 1}}, nil
	}}, nil
}
