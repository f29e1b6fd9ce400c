package comp

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/venn-revops/venn/shared/money"
	"github.com/venn-revops/venn/shared/period"
)

// A dispute is an inquiry on one line of a stored statement: raised by the
// person paid (or a manager above them), routed by approvals.yaml's
// disputes block, answered, and resolved by finance with no change or with
// an adjustment paid on the person's next payable statement. Its history
// only grows. This file is the whole rule: states, who may do what, and
// the adjustment line; statementstore keeps disputes in the results table.
//
// Pay is private: a dispute's text and amounts belong on the statement, in
// the results table and in finance's exports only. Errors made here never
// quote them (they reach logs), only ids, line keys and states.

// DisputeState is where a dispute is in its life.
type DisputeState string

// Dispute states.
const (
	DisputeNone      DisputeState = "" // before it is raised
	DisputeOpen      DisputeState = "open"
	DisputeAnswered  DisputeState = "answered"
	DisputeResolved  DisputeState = "resolved"  // final
	DisputeWithdrawn DisputeState = "withdrawn" // final
)

// DisputeAction is what someone does to a dispute.
type DisputeAction string

// Dispute actions.
const (
	DisputeRaise    DisputeAction = "raise"
	DisputeAnswer   DisputeAction = "answer"
	DisputeReply    DisputeAction = "reply" // the raiser's side answers back: open again
	DisputeResolve  DisputeAction = "resolve"
	DisputeWithdraw DisputeAction = "withdraw"
)

// DisputeRead reads disputes and their history: no move, nothing
// written (ReadDisputes); not one of DisputeActions.
const DisputeRead DisputeAction = "read"

// DisputeActions lists the actions in the order of a dispute's life.
var DisputeActions = []DisputeAction{DisputeRaise, DisputeAnswer, DisputeReply, DisputeResolve, DisputeWithdraw}

// ParseDisputeAction is the action named s, or an error listing them.
func ParseDisputeAction(s string) (DisputeAction, error) {
	if a := DisputeAction(s); slices.Contains(DisputeActions, a) {
		return a, nil
	}
	return "", fmt.Errorf("%w: %q is not a dispute action (%s)", ErrDisputeInvalid, s, joinActions(DisputeActions))
}

// disputeMoves is the state machine: from a state, an action leads to a
// state. Resolved and withdrawn have no moves.
var disputeMoves = map[DisputeState]map[DisputeAction]DisputeState{
	DisputeNone:     {DisputeRaise: DisputeOpen},
	DisputeOpen:     {DisputeAnswer: DisputeAnswered, DisputeResolve: DisputeResolved, DisputeWithdraw: DisputeWithdrawn},
	DisputeAnswered: {DisputeReply: DisputeOpen, DisputeResolve: DisputeResolved, DisputeWithdraw: DisputeWithdrawn},
}

// NextDisputeState is the state action leads to from state, or a
// *DisputeTransitionError.
func NextDisputeState(id string, from DisputeState, action DisputeAction) (DisputeState, error) {
	to, ok := disputeMoves[from][action]
	if !ok {
		return "", &DisputeTransitionError{ID: id, State: from, Action: action}
	}
	return to, nil
}

// DisputeOutcome is how a dispute was resolved.
type DisputeOutcome string

// Outcomes.
const (
	OutcomeNoChange   DisputeOutcome = "no_change"
	OutcomeAdjustment DisputeOutcome = "adjustment"
)

// DisputeRole is the part a caller plays in a dispute.
type DisputeRole string

// Roles.
const (
	RoleRep     DisputeRole = "rep"     // the person paid by the statement
	RoleManager DisputeRole = "manager" // a manager above the person paid
	RoleFinance DisputeRole = "finance" // on approvals.yaml's disputes.finance list
)

// Who may do what: the raiser's side raises, replies and withdraws;
// finance answers and resolves; a manager the dispute is routed to may
// answer a dispute they did not raise themselves.
var disputeRoles = map[DisputeAction][]DisputeRole{
	DisputeRaise:    {RoleRep, RoleManager},
	DisputeReply:    {RoleRep, RoleManager},
	DisputeWithdraw: {RoleRep, RoleManager},
	DisputeAnswer:   {RoleManager, RoleFinance}, // the routed manager answers as manager
	DisputeResolve:  {RoleFinance},
	// Reading: the person paid, a manager above them, finance.
	DisputeRead: {RoleRep, RoleManager, RoleFinance},
}

// Dispute routes (approvals.yaml disputes.route).
const (
	RouteFinance = "finance" // finance answers and resolves
	RouteManager = "manager" // the person's manager is asked first and may answer; finance resolves
)

// Dispute rules, as refusals name them (with RuleNotAllowed and RuleOwnPay).
const (
	RuleNotParty   = "not_party"   // the caller is neither the person paid nor a manager above them
	RuleNotRouted  = "not_routed"  // a manager answering a dispute not routed to them, or one they raised
	RuleOwnInquiry = "own_inquiry" // who raised a dispute does not answer or resolve it
)

// Errors callers branch on.
var (
	// ErrDisputeInvalid is a request that cannot be right whatever the
	// dispute's state: an unknown line, no text, an adjustment of zero.
	ErrDisputeInvalid = errors.New("invalid dispute request")
	// ErrDisputeTransition is an action the dispute's state does not allow.
	ErrDisputeTransition = errors.New("illegal dispute transition")
)

// DisputeTransitionError is an action the state machine refuses.
// errors.Is(err, ErrDisputeTransition) holds.
type DisputeTransitionError struct {
	ID     string
	State  DisputeState
	Action DisputeAction
}

func (e *DisputeTransitionError) Error() string {
	var can []DisputeAction
	for a := range disputeMoves[e.State] {
		can = append(can, a)
	}
	sort.Slice(can, func(i, j int) bool {
		return slices.Index(DisputeActions, can[i]) < slices.Index(DisputeActions, can[j])
	})
	allowed := "nothing: it is closed"
	if len(can) > 0 {
		allowed = joinActions(can)
	}
	state := string(e.State)
	if state == "" {
		state = "not raised"
	}
	return fmt.Sprintf("dispute %s is %s: cannot %s (allowed: %s)", e.ID, state, e.Action, allowed)
}

// Is makes errors.Is(e, ErrDisputeTransition) true.
func (e *DisputeTransitionError) Is(target error) bool { return target == ErrDisputeTransition }

func joinActions(as []DisputeAction) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}

// DisputePolicy is approvals.yaml's disputes block.
type DisputePolicy struct {
	// Finance may answer and resolve disputes (never on their own pay).
	Finance []IdentityMatch `yaml:"finance"`
	// Route is who a new dispute goes to: RouteManager or RouteFinance.
	Route string `yaml:"route"`
}

func (d *DisputePolicy) validate(e *errs) {
	if d.Route != RouteFinance && d.Route != RouteManager {
		e.add("disputes.route", "%q: want %s (the person's manager is asked first, finance resolves) or %s", d.Route, RouteManager, RouteFinance)
	}
}

// DisputeRoute is one addressee of a dispute.
type DisputeRoute struct {
	Role   DisputeRole `json:"role"`
	Person string      `json:"person,omitempty"` // the manager's CRM User Id
}

// DisputeEvent is one step of a dispute's history.
type DisputeEvent struct {
	Seq    int           `json:"seq"`
	Action DisputeAction `json:"action"`
	From   DisputeState  `json:"from"`
	To     DisputeState  `json:"to"`
	By     string        `json:"by"` // Identity ID
	Role   DisputeRole   `json:"role"`
	At     string        `json:"at"` // RFC 3339, UTC
	Text   string        `json:"text"`
	// Outcome and Amount for a resolve (Amount for an adjustment only).
	Outcome DisputeOutcome `json:"outcome,omitempty"`
	Amount  *Money         `json:"amount,omitempty"`
	// Identity is who, as authenticated.
	Identity Identity `json:"identity"`
}

// DisputeResolution is how a resolved dispute ended.
type DisputeResolution struct {
	Outcome DisputeOutcome `json:"outcome"`
	Amount  *Money         `json:"amount,omitempty"`  // the adjustment
	PaidIn  string         `json:"paid_in,omitempty"` // the quarter whose statement pays it
	Reason  string         `json:"reason"`
	By      string         `json:"by"`
	At      string         `json:"at"`
}

// Dispute is an inquiry on one statement line and everything that
// happened to it.
type Dispute struct {
	ID          string `json:"id"` // "<quarter>/<person id>/<n>"
	Quarter     string `json:"quarter"`
	PersonID    string `json:"person_id"`
	StatementID string `json:"statement_id"`
	// StatementVersion and StatementHash are the stored statement the line
	// was read from (its version in the results table, its input hash).
	StatementVersion int64  `json:"statement_version"`
	StatementHash    string `json:"statement_input_hash"`
	// Line is the disputed line's Key (stable across recomputations);
	// LineKind and LineAmount are what it said when raised.
	Line       string             `json:"line"`
	LineKind   string             `json:"line_kind"`
	LineAmount Money              `json:"line_amount"`
	Currency   string             `json:"currency"`
	State      DisputeState       `json:"state"`
	RaisedBy   string             `json:"raised_by"`
	Routed     []DisputeRoute     `json:"routed"`
	Resolution *DisputeResolution `json:"resolution,omitempty"`
	History    []DisputeEvent     `json:"history"`
}

// DisputeID names dispute n of a statement.
func DisputeID(quarter, personID string, n int) string {
	return fmt.Sprintf("%s/%s/%d", quarter, personID, n)
}

// DisputeParty is who the statement's person is: the CRM User Id and their
// managers, nearest first (from the User snapshot's ManagerId chain).
type DisputeParty struct {
	PersonID string
	Managers []string
}

// DisputeAct is one request on a dispute.
type DisputeAct struct {
	Action DisputeAction
	Caller Identity
	// CallerPeople are the CRM people the caller is (ApprovalPolicy.PeopleOf
	// and the email match), as for approvals.
	CallerPeople []string
	At           time.Time
	// Text is the inquiry, answer, reply, withdrawal note or resolution
	// reason: always required, so the history explains itself.
	Text string
	// Outcome and Amount for resolve; PaidIn is the quarter that pays an
	// adjustment (the store finds it: the person's next payable statement).
	Outcome DisputeOutcome
	Amount  *decimal.Decimal
	PaidIn  string
}

// maxDisputeText bounds a message (the whole dispute is one results item).
const maxDisputeText = 4000

// roles are the parts the caller plays for party.
func (p *ApprovalPolicy) disputeRolesOf(act DisputeAct, party DisputeParty) []DisputeRole {
	var roles []DisputeRole
	if slices.Contains(act.CallerPeople, party.PersonID) {
		roles = append(roles, RoleRep)
	}
	for _, m := range party.Managers {
		if slices.Contains(act.CallerPeople, m) {
			roles = append(roles, RoleManager)
			break
		}
	}
	if p.Disputes != nil && !act.Caller.IsZero() {
		for _, m := range p.Disputes.Finance {
			if m.Matches(act.Caller) {
				roles = append(roles, RoleFinance)
				break
			}
		}
	}
	return roles
}

// authorize picks the role the caller acts in, or refuses. d is nil for a
// raise.
func (p *ApprovalPolicy) authorize(act DisputeAct, party DisputeParty, d *Dispute, statementID string) (DisputeRole, error) {
	refuse := func(rule, why string) error {
		return &ApprovalRefusal{Rule: rule, Action: string(act.Action) + " dispute", Caller: act.Caller, Statement: statementID, Person: party.PersonID, Reason: why}
	}
	if act.Caller.IsZero() {
		return "", refuse(RuleNotAllowed, "no authenticated caller")
	}
	if p.Disputes == nil {
		return "", refuse(RuleNotAllowed, ApprovalsFile+" has no disputes block: nobody answers or resolves disputes (docs/comp-plans.md, Disputes)")
	}
	roles := p.disputeRolesOf(act, party)
	// Nobody answers or resolves an inquiry on their own pay, whatever list
	// they are on.
	if (act.Action == DisputeAnswer || act.Action == DisputeResolve) && slices.Contains(roles, RoleRep) {
		return "", refuse(RuleOwnPay, "the caller is the person paid; nobody answers or resolves a dispute on their own pay")
	}
	if (act.Action == DisputeAnswer || act.Action == DisputeResolve) && d != nil && d.RaisedBy == act.Caller.ID {
		return "", refuse(RuleOwnInquiry, "the caller raised this dispute; someone else answers and resolves it")
	}
	for _, want := range disputeRoles[act.Action] {
		if !slices.Contains(roles, want) {
			continue
		}
		if act.Action == DisputeAnswer && want == RoleManager {
			routed := d != nil && slices.ContainsFunc(d.Routed, func(r DisputeRoute) bool {
				return r.Role == RoleManager && slices.Contains(act.CallerPeople, r.Person)
			})
			if !routed || (d != nil && d.RaisedBy == act.Caller.ID) {
				continue
			}
		}
		return want, nil
	}
	switch {
	case act.Action == DisputeAnswer && slices.Contains(roles, RoleManager):
		return "", refuse(RuleNotRouted, "a manager answers only a dispute routed to them that they did not raise; finance answers the others")
	case act.Action == DisputeAnswer || act.Action == DisputeResolve:
		return "", refuse(RuleNotAllowed, "the caller is not on the disputes.finance list")
	case act.Action == DisputeRead:
		return "", refuse(RuleNotParty, "only the person paid, a manager above them or finance reads the disputes on a statement")
	}
	return "", refuse(RuleNotParty, "only the person paid or a manager above them raises, replies to or withdraws a dispute on a statement")
}

// checkDisputeText checks a message without ever quoting it.
func checkDisputeText(id string, text string) error {
	switch t := strings.TrimSpace(text); {
	case t == "":
		return fmt.Errorf("%w: dispute %s: text is required (the inquiry, answer or reason)", ErrDisputeInvalid, id)
	case len(t) > maxDisputeText:
		return fmt.Errorf("%w: dispute %s: text is %d bytes, over %d", ErrDisputeInvalid, id, len(t), maxDisputeText)
	}
	return nil
}

// RaiseDispute opens a dispute on line lineKey of st (stored at version),
// routed by the policy; existing are the disputes already raised on st
// (the new one is number len(existing)+1). The caller must be the person
// paid or a manager above them, and a line has at most one dispute open
// at a time.
func (p *ApprovalPolicy) RaiseDispute(st *Statement, version int64, lineKey string, existing []Dispute, party DisputeParty, act DisputeAct) (*Dispute, error) {
	act.Action = DisputeRaise
	n := len(existing) + 1
	if party.PersonID != st.PersonID {
		return nil, fmt.Errorf("raise dispute on %s: the party is %s, not the statement's person", st.ID, party.PersonID)
	}
	role, err := p.authorize(act, party, nil, st.ID)
	if err != nil {
		return nil, err
	}
	id := DisputeID(st.Quarter, st.PersonID, n)
	i := slices.IndexFunc(st.Lines, func(l Line) bool { return l.Key == lineKey })
	if i < 0 {
		return nil, fmt.Errorf("%w: statement %s has no line %q (the line's key, as on the statement JSON)", ErrDisputeInvalid, st.ID, lineKey)
	}
	if err := checkDisputeText(id, act.Text); err != nil {
		return nil, err
	}
	if act.Amount != nil || act.Outcome != "" || act.PaidIn != "" {
		return nil, fmt.Errorf("%w: dispute %s: raise takes text only (an amount or outcome comes with resolve)", ErrDisputeInvalid, id)
	}
	for _, o := range existing {
		if o.Line == lineKey && (o.State == DisputeOpen || o.State == DisputeAnswered) {
			return nil, fmt.Errorf("%w: line %s of statement %s already has dispute %s %s: add to it (reply) instead", ErrDisputeInvalid, lineKey, st.ID, o.ID, o.State)
		}
	}
	l := st.Lines[i]
	d := &Dispute{ID: id, Quarter: st.Quarter, PersonID: st.PersonID, StatementID: st.ID, StatementVersion: version, StatementHash: st.InputHash,
		Line: l.Key, LineKind: l.Kind, LineAmount: l.Amount, Currency: st.Currency, RaisedBy: act.Caller.ID, History: []DisputeEvent{}}
	// Routing: the nearest manager who did not raise it, when the rule
	// says so; finance always (finance resolves).
	if p.Disputes.Route == RouteManager {
		for _, m := range party.Managers {
			if !slices.Contains(act.CallerPeople, m) {
				d.Routed = append(d.Routed, DisputeRoute{Role: RoleManager, Person: m})
				break
			}
		}
	}
	d.Routed = append(d.Routed, DisputeRoute{Role: RoleFinance})
	d.record(act, role, DisputeOpen)
	return d, nil
}

// ReadDisputes allows the caller of act (action read) to read the
// disputes on party's statements: the person paid, a manager above them,
// or finance (approvals.yaml disputes.finance); anyone else is refused
// (RuleNotParty), as acknowledgements are only one's own.
func (p *ApprovalPolicy) ReadDisputes(party DisputeParty, act DisputeAct) error {
	if act.Action != DisputeRead {
		return fmt.Errorf("%w: %q is not the read action", ErrDisputeInvalid, act.Action)
	}
	_, err := p.authorize(act, party, nil, "")
	return err
}

// Apply returns d after act (answer, reply, resolve or withdraw), with the
// step appended to its history; d itself is not changed. It refuses a
// caller the policy does not allow, an action d's state does not allow,
// and a malformed request.
func (p *ApprovalPolicy) Apply(d *Dispute, party DisputeParty, act DisputeAct) (*Dispute, error) {
	if act.Action == DisputeRaise || act.Action == DisputeRead {
		return nil, &DisputeTransitionError{ID: d.ID, State: d.State, Action: act.Action}
	}
	if _, ok := disputeRoles[act.Action]; !ok {
		return nil, fmt.Errorf("%w: dispute %s: unknown action %q", ErrDisputeInvalid, d.ID, act.Action)
	}
	if party.PersonID != d.PersonID {
		return nil, fmt.Errorf("dispute %s: the party is %s, not the dispute's person", d.ID, party.PersonID)
	}
	role, err := p.authorize(act, party, d, d.StatementID)
	if err != nil {
		return nil, err
	}
	to, err := NextDisputeState(d.ID, d.State, act.Action)
	if err != nil {
		return nil, err
	}
	if err := checkDisputeText(d.ID, act.Text); err != nil {
		return nil, err
	}
	if act.Action != DisputeResolve && (act.Amount != nil || act.Outcome != "" || act.PaidIn != "") {
		return nil, fmt.Errorf("%w: dispute %s: %s takes text only (an amount or outcome comes with resolve)", ErrDisputeInvalid, d.ID, act.Action)
	}
	next := *d
	next.Routed = slices.Clone(d.Routed)
	next.History = slices.Clone(d.History)
	if act.Action == DisputeResolve {
		res, err := resolution(d, act)
		if err != nil {
			return nil, err
		}
		next.Resolution = res
	}
	next.record(act, role, to)
	return &next, nil
}

// resolution checks a resolve request: no change takes no amount; an
// adjustment takes a non-zero amount in cents and a quarter after the
// dispute's to pay it in.
func resolution(d *Dispute, act DisputeAct) (*DisputeResolution, error) {
	bad := func(why string) error { return fmt.Errorf("%w: resolve dispute %s: %s", ErrDisputeInvalid, d.ID, why) }
	r := &DisputeResolution{Outcome: act.Outcome, Reason: act.Text, By: act.Caller.ID, At: stampUTC(act.At)}
	switch act.Outcome {
	case OutcomeNoChange:
		if act.Amount != nil || act.PaidIn != "" {
			return nil, bad("no_change takes no amount")
		}
	case OutcomeAdjustment:
		switch {
		case act.Amount == nil:
			return nil, bad("an adjustment needs an amount (in the statement's currency, negative to take back)")
		case act.Amount.IsZero():
			return nil, bad("an adjustment of zero is no change: resolve with outcome no_change")
		case !act.Amount.Equal(money.Round(*act.Amount)):
			return nil, bad(fmt.Sprintf("the amount has more than %d decimal places", money.Scale))
		}
		from, err := period.Parse(d.Quarter)
		if err != nil {
			return nil, bad(err.Error())
		}
		to, err := period.Parse(act.PaidIn)
		if err != nil || !from.Before(to) {
			return nil, bad(fmt.Sprintf("an adjustment is paid in a quarter after %s, not %q", d.Quarter, act.PaidIn))
		}
		amt := Money{*act.Amount}
		r.Amount, r.PaidIn = &amt, act.PaidIn
	default:
		return nil, bad(fmt.Sprintf("outcome %q: want %s or %s", act.Outcome, OutcomeNoChange, OutcomeAdjustment))
	}
	return r, nil
}

// record appends act to d's history and moves d to state to.
func (d *Dispute) record(act DisputeAct, role DisputeRole, to DisputeState) {
	ev := DisputeEvent{Seq: len(d.History) + 1, Action: act.Action, From: d.State, To: to, By: act.Caller.ID, Role: role,
		At: stampUTC(act.At), Text: act.Text, Outcome: act.Outcome, Identity: act.Caller}
	if d.Resolution != nil && d.Resolution.Amount != nil && act.Action == DisputeResolve {
		amt := *d.Resolution.Amount
		ev.Amount = &amt
	}
	d.History = append(d.History, ev)
	d.State = to
}

func stampUTC(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Extends reports whether next is d with steps appended and nothing of d's
// history changed: the store refuses any other write, so the history is
// append-only.
func (d *Dispute) Extends(next *Dispute) error {
	if next.ID != d.ID || next.StatementID != d.StatementID || next.Line != d.Line {
		return fmt.Errorf("dispute %s: a write may not change what is disputed", d.ID)
	}
	if len(next.History) <= len(d.History) {
		return fmt.Errorf("dispute %s: a write must add to the history", d.ID)
	}
	for i := range d.History {
		a, b := d.History[i], next.History[i]
		if a.Seq != b.Seq || a.Action != b.Action || a.From != b.From || a.To != b.To || a.By != b.By || a.At != b.At || a.Text != b.Text ||
			a.Outcome != b.Outcome || (a.Amount == nil) != (b.Amount == nil) || (a.Amount != nil && !a.Amount.Equal(b.Amount.Decimal)) {
			return fmt.Errorf("dispute %s: history step %d would change; the history is append-only", d.ID, a.Seq)
		}
	}
	return nil
}

// LineDisputeAdjustment is a resolved dispute's adjustment, paid on the
// person's next payable statement.
const LineDisputeAdjustment = "dispute_adjustment"

// DisputeAdjustment is what a resolved dispute pays: an input of the run
// of quarter PaidIn.
type DisputeAdjustment struct {
	DisputeID   string `json:"dispute_id"`
	PersonID    string `json:"person_id"`
	StatementID string `json:"statement_id"` // the disputed statement
	Line        string `json:"line"`         // the disputed line's key
	PaidIn      string `json:"paid_in"`
	Amount      Money  `json:"amount"`
	Currency    string `json:"currency"`
	Reason      string `json:"reason"`
	ResolvedBy  string `json:"resolved_by"`
}

// Adjustment is what d pays, or nil when it pays nothing (not resolved, or
// resolved with no change).
func (d *Dispute) Adjustment() *DisputeAdjustment {
	r := d.Resolution
	if d.State != DisputeResolved || r == nil || r.Outcome != OutcomeAdjustment || r.Amount == nil {
		return nil
	}
	return &DisputeAdjustment{DisputeID: d.ID, PersonID: d.PersonID, StatementID: d.StatementID, Line: d.Line, PaidIn: r.PaidIn,
		Amount: *r.Amount, Currency: d.Currency, Reason: r.Reason, ResolvedBy: r.By}
}

// line is the adjustment as a statement line of quarter q; its key and
// ref name the dispute, so the statement shows where the money comes from.
func (a DisputeAdjustment) line(q string) Line {
	moved := ""
	if a.PaidIn != q {
		moved = fmt.Sprintf(" (due on the %s statement, which was finalized without it: paid on this one, the next payable)", a.PaidIn)
	}
	return Line{
		Key: "dispute/" + a.DisputeID, Kind: LineDisputeAdjustment, Ref: a.DisputeID, Reason: a.Reason, Author: a.ResolvedBy,
		Exact: a.Amount.Decimal, Amount: cents(a.Amount.Decimal),
		Explain: fmt.Sprintf("dispute %s on statement %s, line %s: resolved with an adjustment of %s by %s: %s",
			a.DisputeID, a.StatementID, a.Line, fmtMoney(a.Amount.Decimal, a.Currency), a.ResolvedBy, a.Reason) + moved,
	}
}

// prepareDisputes takes the adjustments paid in this quarter, checking
// each against the roster and the person's pay currency. One due in an
// earlier quarter is paid here too: the store passes it only when that
// quarter's statement was finalized without it (statementstore
// DisputeAdjustments), and the line says so.
func (r *run) prepareDisputes() ValidationErrors {
	e := &errs{file: "disputes"}
	seen := map[string]bool{}
	for _, a := range r.in.Disputes {
		if a.PaidIn > r.q.String() {
			continue
		}
		p := r.people[a.PersonID]
		switch {
		case seen[a.DisputeID]:
			e.add(a.DisputeID, "listed twice")
			continue
		case p == nil:
			e.add(a.DisputeID+".person", "%q is not in the roster", a.PersonID)
			continue
		case p.EmployeeID == "":
			e.add(a.DisputeID+".person", "%s (%s) has no employee ID: cannot be paid", a.PersonID, p.Name)
		case a.Currency != r.currency(p):
			e.add(a.DisputeID+".currency", "%s, but %s is paid in %s", a.Currency, a.PersonID, r.currency(p))
		}
		seen[a.DisputeID] = true
		r.disputes[a.PersonID] = append(r.disputes[a.PersonID], a)
	}
	for _, ds := range r.disputes {
		sort.Slice(ds, func(i, j int) bool { return ds[i].DisputeID < ds[j].DisputeID })
	}
	return e.list
}
