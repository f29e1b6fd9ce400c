package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/comp/statementstore"
	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/period"
)

type callerKey struct{}

// WithCaller returns ctx carrying the authenticated caller of an approve
// event: the IAM principal of a Function URL request (functions/approve),
// the STS caller identity or the local user (scripts/venn). The approve job
// reads who approves from here only, never from the event.
func WithCaller(ctx context.Context, id comp.Identity) context.Context {
	return context.WithValue(ctx, callerKey{}, id)
}

// CallerOf returns the caller WithCaller put in ctx.
func CallerOf(ctx context.Context) (comp.Identity, bool) {
	id, ok := ctx.Value(callerKey{}).(comp.Identity)
	return id, ok && !id.IsZero()
}

// ErrNoCaller means an approve event arrived without an authenticated
// caller (a direct Lambda invoke, for example).
var ErrNoCaller = errors.New("no authenticated caller: the approver is the caller, so an approval must come through an authenticated door (the Function URL with AWS_IAM auth, or the venn command)")

// Approval is what an approve event did.
type Approval struct {
	Quarter  period.Quarter
	Action   string
	Caller   comp.Identity
	Outcomes []statementstore.Outcome
	// Export is the quarter's payroll export after the approval: a new
	// run, or the current one when its content did not change.
	Export *PayrollExport
}

// Approve runs an approve event for the caller in ctx: approve or finalize
// the quarter's statements (all of them when the event names no people),
// then write the finance export of everything approved or final.
//
// The approval policy (approvals.yaml of the comp configuration) is
// checked first, for every statement the event would move: if any is
// refused (the caller is not allowed, is the person paid, or approved what
// they now finalize under four eyes), nothing moves and the error names
// each refusal. The same checks run again inside each statement's
// conditional write, for a statement that changed in between.
func (e *Env) Approve(ctx context.Context, ev Event) (*Approval, error) {
	q, err := period.Parse(ev.Quarter)
	if err != nil {
		return nil, err
	}
	caller, ok := CallerOf(ctx)
	if !ok {
		return nil, fmt.Errorf("%s %s: %w", ev.Action, q, ErrNoCaller)
	}
	policy, err := comp.LoadApprovals(e.CompConfig)
	if err != nil {
		return nil, fmt.Errorf("%s %s: comp configuration: %w", ev.Action, q, err)
	}
	if err := policy.Allowed(ev.Action, caller); err != nil {
		return nil, fmt.Errorf("%s %s: %w", ev.Action, q, err)
	}
	people, err := e.callerPeople(ctx, policy, caller)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", ev.Action, q, err)
	}
	guard := func(action string, rec *statementstore.Record) error {
		return policy.Check(comp.ApprovalRequest{Action: action, Caller: caller, CallerPeople: people, Statement: rec.Statement, ApprovedBy: rec.ApprovedBy, Approver: rec.ApprovedIdentity})
	}
	if err := e.preflight(ctx, q, ev, guard); err != nil {
		return nil, err
	}
	at := e.now()
	var outs []statementstore.Outcome
	switch ev.Action {
	case comp.ActionApprove:
		outs, err = statementstore.Approve(ctx, e.Store, q.String(), ev.People, caller, at, guard)
	case comp.ActionFinalize:
		outs, err = statementstore.Finalize(ctx, e.Store, q.String(), ev.People, caller, at, guard)
	default:
		return nil, fmt.Errorf("approve %s: unknown action %q", q, ev.Action)
	}
	a := &Approval{Quarter: q, Action: ev.Action, Caller: caller, Outcomes: outs}
	if err != nil {
		return a, fmt.Errorf("%s %s: %w", ev.Action, q, err)
	}
	if a.Export, err = e.Export(ctx, q); err != nil {
		return a, err
	}
	e.log().Info("statements "+ev.Action+"d", "quarter", q.String(), "caller", caller.ID, "principal", caller.Principal, "statements", len(outs), "export", a.Export.Key())
	return a, nil
}

// preflight applies guard to every statement the event would move, so a
// request with one refused statement moves none: finance fixes the request
// (or asks a colleague) instead of finding a half-approved quarter.
func (e *Env) preflight(ctx context.Context, q period.Quarter, ev Event, guard statementstore.Guard) error {
	all, err := statementstore.List(ctx, e.Store, q.String())
	if err != nil {
		return fmt.Errorf("%s %s: %w", ev.Action, q, err)
	}
	moves := comp.StatusDraft
	if ev.Action == comp.ActionFinalize {
		moves = comp.StatusApproved
	}
	var refused []error
	for i := range all {
		rec := &all[i].Record
		if len(ev.People) > 0 && !slices.Contains(ev.People, rec.Statement.PersonID) {
			continue
		}
		if rec.Status != moves {
			continue // a no-op or an error of the lifecycle, reported by the move itself
		}
		if err := guard(ev.Action, rec); err != nil {
			refused = append(refused, err)
		}
	}
	if len(refused) > 0 {
		return fmt.Errorf("%s %s: nothing was moved: %w", ev.Action, q, errors.Join(refused...))
	}
	return nil
}

// userEmailRow is the projection of the User snapshot that matches callers
// to CRM people.
type userEmailRow struct {
	ID    string `parquet:"id"`
	Email string `parquet:"email,optional"`
}

// callerPeople are the CRM people the caller is: the policy's mapping, and
// with match_email the users whose email is the caller's. The lake keeps
// emails as HMAC-SHA256 with the PII key (lake.PII) unless configured in
// clear, so the caller's email is hashed the same way and the hashes
// compared. It fails closed: when it cannot tell (no User snapshot, hashed
// emails and no key, or another key than the snapshot's), the approval is
// refused rather than risk someone approving their own pay.
func (e *Env) callerPeople(ctx context.Context, policy *comp.ApprovalPolicy, caller comp.Identity) ([]string, error) {
	people := policy.PeopleOf(caller)
	if policy.MatchEmail == nil || !*policy.MatchEmail || caller.Email == "" {
		return people, nil
	}
	why := func(reason string, args ...any) error {
		return fmt.Errorf("cannot tell whether %s is paid by these statements (%s match_email): %s", caller, comp.ApprovalsFile, fmt.Sprintf(reason, args...))
	}
	m, err := lake.LatestSnapshot(ctx, e.Blob, crm.User.Name, e.now())
	if err != nil {
		return nil, why("the User snapshot: %v", err)
	}
	want := caller.Email
	if slices.Contains(m.PIIHashed, "Email") {
		if len(e.PII.Key) == 0 {
			return nil, why("the snapshot %s keeps emails hashed and this job has no PII key (PII_SECRET_ARN, or VENN_PII_KEY locally)", m.Key())
		}
		if m.PIIKeyID != e.PII.KeyID() {
			return nil, why("the snapshot %s was hashed with PII key %s, this job has key %s", m.Key(), m.PIIKeyID, e.PII.KeyID())
		}
		want = e.PII.Hash(crm.Email, caller.Email)
	}
	err = lake.Scan(ctx, e.Blob, m, func(rows []userEmailRow) error {
		for _, u := range rows {
			if u.Email != "" && strings.EqualFold(strings.TrimSpace(u.Email), want) && !slices.Contains(people, u.ID) {
				people = append(people, u.ID)
			}
		}
		return nil
	})
	if err != nil {
		return nil, why("reading %s: %v", m.Key(), err)
	}
	return people, nil
}
