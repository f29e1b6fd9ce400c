package comp

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/venn-revops/venn/shared/period"
)

// TestDisputeStateMachine walks every state × action pair against the
// table written out here (not read from disputeMoves).
func TestDisputeStateMachine(t *testing.T) {
	want := map[DisputeState]map[DisputeAction]DisputeState{
		DisputeNone:      {DisputeRaise: DisputeOpen},
		DisputeOpen:      {DisputeAnswer: DisputeAnswered, DisputeResolve: DisputeResolved, DisputeWithdraw: DisputeWithdrawn},
		DisputeAnswered:  {DisputeReply: DisputeOpen, DisputeResolve: DisputeResolved, DisputeWithdraw: DisputeWithdrawn},
		DisputeResolved:  {},
		DisputeWithdrawn: {},
	}
	for from, moves := range want {
		for _, a := range DisputeActions {
			got, err := NextDisputeState("D1", from, a)
			to, legal := moves[a]
			switch {
			case legal && (err != nil || got != to):
				t.Errorf("%q + %s = %q, %v; want %q", from, a, got, err, to)
			case !legal && !errors.Is(err, ErrDisputeTransition):
				t.Errorf("%q + %s = %q, %v; want an illegal transition", from, a, got, err)
			case !legal && !strings.Contains(err.Error(), "dispute D1 is") || (!legal && !strings.Contains(err.Error(), "cannot "+string(a))):
				t.Errorf("%q + %s: error %q should name the dispute, its state and the action", from, a, err)
			}
		}
	}
	_, err := NextDisputeState("D1", DisputeResolved, DisputeReply)
	if err == nil || !strings.HasSuffix(err.Error(), "(allowed: nothing: it is closed)") {
		t.Errorf("closed dispute: %v", err)
	}
	_, err = NextDisputeState("D1", DisputeAnswered, DisputeAnswer)
	if err == nil || !strings.HasSuffix(err.Error(), "(allowed: reply, resolve, withdraw)") {
		t.Errorf("answered dispute: %v", err)
	}
	if _, err := ParseDisputeAction("approve"); !errors.Is(err, ErrDisputeInvalid) {
		t.Errorf("ParseDisputeAction(approve) = %v", err)
	}
}

const disputePolicyYAML = `
approve: [{local: true}]
finalize: [{local: true}]
four_eyes: true
match_email: false
people:
  - {identity: "local:alex", person: 005000000000002AAA}
  - {identity: "local:maria", person: 005000000000001AAA}
  - {identity: "local:priya", person: 005000000000003AAA}
  - {identity: "local:fin.alex", person: 005000000000002AAA}
disputes:
  finance: [{identity: "local:fin"}, {identity: "local:fin.alex"}]
  route: manager
`

func disputePolicy(t *testing.T, yaml string) *ApprovalPolicy {
	t.Helper()
	p, err := ParseApprovals(ApprovalsFile, []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// act is a request by local user name at minute m of 2026-10-05.
func act(t *testing.T, p *ApprovalPolicy, user string, m int, text string) DisputeAct {
	t.Helper()
	id, err := LocalIdentity(user)
	if err != nil {
		t.Fatal(err)
	}
	return DisputeAct{Caller: id, CallerPeople: p.PeopleOf(id), At: time.Date(2026, 10, 5, 9, m, 0, 0, time.UTC), Text: text}
}

// disputedStatement is Alex's 2026Q2 statement, two lines.
func disputedStatement() *Statement {
	return &Statement{ID: "2026Q2/" + alex, Quarter: "2026Q2", PersonID: alex, Name: "Alex Romero", EmployeeID: "E1002", Team: "Sales East",
		CostCenter: "CC-SALES-EAST", Currency: "USD", InputHash: "0123456789abcdef0123",
		Lines: []Line{
			{Key: "bookings_bonus", Kind: LineAttainmentBonus, Amount: Money{dec("4000.00")}, Exact: dec("4000"), Explain: "bonus"},
			{Key: "new_business_commission/tier1", Kind: LineCommission, Amount: Money{dec("6250.00")}, Exact: dec("6250"), Explain: "125,000 × 5%"},
		},
		Total: Money{dec("10250.00")}}
}

var alexParty = DisputeParty{PersonID: alex, Managers: []string{maria}}

func TestDisputeWhoMayDoWhat(t *testing.T) {
	p := disputePolicy(t, disputePolicyYAML)
	st := disputedStatement()
	raise := func(user string) (*Dispute, error) {
		return p.RaiseDispute(st, 3, "new_business_commission/tier1", nil, alexParty, act(t, p, user, 0, "deal 006B07 is missing"))
	}
	// Raise: the rep and the manager above them; nobody else.
	for _, tt := range []struct {
		user, rule string
		role       DisputeRole
	}{
		{"alex", "", RoleRep}, {"maria", "", RoleManager},
		{"priya", RuleNotParty, ""}, {"fin", RuleNotParty, ""}, {"stranger", RuleNotParty, ""},
	} {
		d, err := raise(tt.user)
		if tt.rule != "" {
			var r *ApprovalRefusal
			if !errors.As(err, &r) || r.Rule != tt.rule || !errors.Is(err, ErrApprovalRefused) {
				t.Errorf("raise by %s: %v, want refused by %s", tt.user, err, tt.rule)
			}
			continue
		}
		if err != nil || d.History[0].Role != tt.role || d.State != DisputeOpen || d.RaisedBy != "local:"+tt.user {
			t.Fatalf("raise by %s: %+v %v", tt.user, d, err)
		}
	}
	// Routing: raised by the rep, the manager is asked first; raised by the
	// manager, finance only.
	byRep, _ := raise("alex")
	byMgr, _ := raise("maria")
	if len(byRep.Routed) != 2 || byRep.Routed[0] != (DisputeRoute{Role: RoleManager, Person: maria}) || byRep.Routed[1].Role != RoleFinance {
		t.Errorf("routed %+v", byRep.Routed)
	}
	if len(byMgr.Routed) != 1 || byMgr.Routed[0].Role != RoleFinance {
		t.Errorf("raised by the manager, routed %+v", byMgr.Routed)
	}
	if byRep.LineAmount.StringFixed(2) != "6250.00" || byRep.StatementVersion != 3 || byRep.ID != "2026Q2/"+alex+"/1" {
		t.Errorf("dispute %+v", byRep)
	}

	// Answer and resolve, on the dispute raised by the rep.
	for _, tt := range []struct {
		name    string
		d       *Dispute
		user    string
		action  DisputeAction
		outcome DisputeOutcome
		rule    string
		role    DisputeRole
	}{
		{"finance answers", byRep, "fin", DisputeAnswer, "", "", RoleFinance},
		{"the routed manager answers", byRep, "maria", DisputeAnswer, "", "", RoleManager},
		{"the manager who raised it does not answer it", byMgr, "maria", DisputeAnswer, "", RuleOwnInquiry, ""},
		{"the rep does not answer", byRep, "alex", DisputeAnswer, "", RuleOwnPay, ""},
		{"another rep does not answer", byRep, "priya", DisputeAnswer, "", RuleNotAllowed, ""},
		{"finance resolves", byRep, "fin", DisputeResolve, OutcomeNoChange, "", RoleFinance},
		{"a manager does not resolve", byRep, "maria", DisputeResolve, OutcomeNoChange, RuleNotAllowed, ""},
		{"finance never resolves its own pay", byRep, "fin.alex", DisputeResolve, OutcomeNoChange, RuleOwnPay, ""},
		{"the rep withdraws", byRep, "alex", DisputeWithdraw, "", "", RoleRep},
		{"finance does not withdraw", byRep, "fin", DisputeWithdraw, "", RuleNotParty, ""},
	} {
		a := act(t, p, tt.user, 5, "looked at it")
		a.Action, a.Outcome = tt.action, tt.outcome
		got, err := p.Apply(tt.d, alexParty, a)
		if tt.rule != "" {
			var r *ApprovalRefusal
			if !errors.As(err, &r) || r.Rule != tt.rule {
				t.Errorf("%s: %v, want refused by %s", tt.name, err, tt.rule)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if last := got.History[len(got.History)-1]; last.Role != tt.role || last.By != "local:"+tt.user || len(got.History) != len(tt.d.History)+1 {
			t.Errorf("%s: history %+v", tt.name, got.History)
		}
		if len(tt.d.History) != 1 {
			t.Fatalf("%s: Apply changed the dispute it was given", tt.name)
		}
	}

	// Routed to finance only: the manager may not answer.
	fin := disputePolicy(t, strings.Replace(disputePolicyYAML, "route: manager", "route: finance", 1))
	d, err := fin.RaiseDispute(st, 3, "bookings_bonus", nil, alexParty, act(t, fin, "alex", 0, "why?"))
	if err != nil || len(d.Routed) != 1 || d.Routed[0].Role != RoleFinance {
		t.Fatalf("route finance: %+v %v", d, err)
	}
	a := act(t, fin, "maria", 1, "because")
	a.Action = DisputeAnswer
	var refusal *ApprovalRefusal
	if _, err := fin.Apply(d, alexParty, a); !errors.As(err, &refusal) || refusal.Rule != RuleNotRouted {
		t.Errorf("manager answering a dispute routed to finance: %v", err)
	}
	if _, err := ParseApprovals(ApprovalsFile, []byte(strings.Replace(disputePolicyYAML, "route: manager", "route: boss", 1))); err == nil ||
		!strings.Contains(err.Error(), "disputes.route") {
		t.Errorf("bad route: %v", err)
	}

	// Without a disputes block, nothing is allowed.
	bare := disputePolicy(t, strings.Split(disputePolicyYAML, "disputes:")[0])
	if _, err := bare.RaiseDispute(st, 3, "bookings_bonus", nil, alexParty, act(t, bare, "alex", 0, "why")); !errors.Is(err, ErrApprovalRefused) || !strings.Contains(err.Error(), "no disputes block") {
		t.Errorf("no disputes block: %v", err)
	}
}

// TestDisputeWhoMayRead: the disputes on Alex's statements are read by
// Alex, Maria (his manager) and finance; Priya and a stranger are refused
// as not a party; read is no move of the state machine.
func TestDisputeWhoMayRead(t *testing.T) {
	p := disputePolicy(t, disputePolicyYAML)
	for user, rule := range map[string]string{"alex": "", "maria": "", "fin": "", "priya": RuleNotParty, "stranger": RuleNotParty} {
		a := act(t, p, user, 0, "")
		a.Action = DisputeRead
		err := p.ReadDisputes(alexParty, a)
		var r *ApprovalRefusal
		switch {
		case rule == "" && err != nil:
			t.Errorf("read by %s: %v", user, err)
		case rule != "" && (!errors.As(err, &r) || r.Rule != rule || !strings.Contains(err.Error(), "reads the disputes")):
			t.Errorf("read by %s: %v, want refused by %s", user, err, rule)
		}
	}
	d, err := p.RaiseDispute(disputedStatement(), 3, "bookings_bonus", nil, alexParty, act(t, p, "alex", 0, "why?"))
	if err != nil {
		t.Fatal(err)
	}
	a := act(t, p, "alex", 1, "")
	a.Action = DisputeRead
	if _, err := p.Apply(d, alexParty, a); !errors.Is(err, ErrDisputeTransition) {
		t.Errorf("Apply(read): %v, want a transition error", err)
	}
}

func TestDisputeRequestsChecked(t *testing.T) {
	p := disputePolicy(t, disputePolicyYAML)
	st := disputedStatement()
	secret := "my pay is 6250.00 and the deal is 006B07"
	if _, err := p.RaiseDispute(st, 3, "no/such/line", nil, alexParty, act(t, p, "alex", 0, secret)); !errors.Is(err, ErrDisputeInvalid) || !strings.Contains(err.Error(), `no line "no/such/line"`) {
		t.Errorf("unknown line: %v", err)
	}
	if _, err := p.RaiseDispute(st, 3, "bookings_bonus", nil, alexParty, act(t, p, "alex", 0, "  ")); !errors.Is(err, ErrDisputeInvalid) {
		t.Errorf("no text: %v", err)
	}
	d, err := p.RaiseDispute(st, 3, "bookings_bonus", nil, alexParty, act(t, p, "alex", 0, secret))
	if err != nil {
		t.Fatal(err)
	}
	// One open dispute per line: a second is refused, naming the first.
	if _, err := p.RaiseDispute(st, 3, "bookings_bonus", []Dispute{*d}, alexParty, act(t, p, "maria", 1, secret)); !errors.Is(err, ErrDisputeInvalid) || !strings.Contains(err.Error(), "already has dispute "+d.ID+" open") {
		t.Errorf("second open dispute on a line: %v", err)
	}
	d2, err := p.RaiseDispute(st, 3, "new_business_commission/tier1", []Dispute{*d}, alexParty, act(t, p, "maria", 1, secret))
	if err != nil || d2.ID != "2026Q2/"+alex+"/2" {
		t.Errorf("a dispute on another line: %+v %v", d2, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	amount := func(s string) *decimal.Decimal { v := dec(s); return &v }
	for _, tt := range []struct {
		name    string
		outcome DisputeOutcome
		amount  *decimal.Decimal
		paidIn  string
		want    string
	}{
		{"no outcome", "", nil, "", "outcome"},
		{"no change with an amount", OutcomeNoChange, amount("10"), "", "no_change takes no amount"},
		{"adjustment without amount", OutcomeAdjustment, nil, "2026Q3", "needs an amount"},
		{"adjustment of zero", OutcomeAdjustment, amount("0.00"), "2026Q3", "adjustment of zero"},
		{"fractions of a cent", OutcomeAdjustment, amount("312.455"), "2026Q3", "more than 2 decimal places"},
		{"paid in the disputed quarter", OutcomeAdjustment, amount("312.45"), "2026Q2", "quarter after 2026Q2"},
	} {
		a := act(t, p, "fin", 3, secret)
		a.Action, a.Outcome, a.Amount, a.PaidIn = DisputeResolve, tt.outcome, tt.amount, tt.paidIn
		_, err := p.Apply(d, alexParty, a)
		if !errors.Is(err, ErrDisputeInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
			continue
		}
		// Pay is private: errors reach logs, so they never quote the text
		// or an amount.
		for _, leak := range []string{"6250", "006B07", "312.45", "312.455"} {
			if strings.Contains(err.Error(), leak) {
				t.Errorf("%s: error %q quotes %s", tt.name, err, leak)
			}
		}
	}
	// An amount on a non-resolve step.
	a := act(t, p, "fin", 3, "see the CRM")
	a.Action, a.Amount = DisputeAnswer, amount("1")
	if _, err := p.Apply(d, alexParty, a); !errors.Is(err, ErrDisputeInvalid) {
		t.Errorf("answer with an amount: %v", err)
	}
	// Raise is not an action on an existing dispute.
	a.Action, a.Amount = DisputeRaise, nil
	if _, err := p.Apply(d, alexParty, a); !errors.Is(err, ErrDisputeTransition) {
		t.Errorf("raise again: %v", err)
	}
}

func TestDisputeHistoryAppendOnly(t *testing.T) {
	p := disputePolicy(t, disputePolicyYAML)
	d, err := p.RaiseDispute(disputedStatement(), 3, "bookings_bonus", nil, alexParty, act(t, p, "alex", 0, "why 4,000?"))
	if err != nil {
		t.Fatal(err)
	}
	a := act(t, p, "fin", 1, "attainment 80%")
	a.Action = DisputeAnswer
	next, err := p.Apply(d, alexParty, a)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Extends(next); err != nil {
		t.Errorf("a real step: %v", err)
	}
	if err := next.Extends(next); err == nil {
		t.Error("a write adding nothing was accepted")
	}
	tampered := *next
	tampered.History = append([]DisputeEvent(nil), next.History...)
	tampered.History[0].Text = "something else"
	if err := d.Extends(&tampered); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("rewritten history: %v", err)
	}
	moved := *next
	moved.Line = "new_business_commission/tier1"
	if err := d.Extends(&moved); err == nil {
		t.Error("a write moving the dispute to another line was accepted")
	}
}

// TestDisputeAdjustmentPaidNextQuarter: a 2026Q2 dispute resolved with an
// adjustment of 312.45 is a line on Alex's 2026Q3 statement. By hand: his
// 2026Q3 lines are 13,000.00 + 15,000.00 + 3,600.00 + 1,000.00 = 32,600.00
// (TestDemoWorkedExamples); with the adjustment 32,912.45. A second
// dispute paid in 2026Q4 is not in 2026Q3. A person with nothing else in
// the quarter (Priya's manager-side adjustment of -120.50 stands alone in
// a run without plans) gets a statement of just that line.
func TestDisputeAdjustmentPaidNextQuarter(t *testing.T) {
	in := demoInput(t)
	in.Disputes = []DisputeAdjustment{
		{DisputeID: "2026Q2/" + alex + "/1", PersonID: alex, StatementID: "2026Q2/" + alex, Line: "new_business_commission/tier1", PaidIn: "2026Q3",
			Amount: Money{dec("312.45")}, Currency: "USD", Reason: "006B07 was split 50/50, not 25/75", ResolvedBy: "local:fin"},
		{DisputeID: "2026Q2/" + alex + "/2", PersonID: alex, PaidIn: "2026Q4", Amount: Money{dec("99.00")}, Currency: "USD", Reason: "later", ResolvedBy: "local:fin"},
	}
	out, err := Run(in)
	if err != nil {
		t.Fatal(err)
	}
	var st *Statement
	for i := range out.Statements {
		if out.Statements[i].PersonID == alex {
			st = &out.Statements[i]
		}
	}
	if st == nil {
		t.Fatal("no statement for Alex")
	}
	last := st.Lines[len(st.Lines)-1]
	if len(st.Lines) != 6 || last.Kind != LineDisputeAdjustment || last.Key != "dispute/2026Q2/"+alex+"/1" || last.Ref != "2026Q2/"+alex+"/1" ||
		last.Amount.StringFixed(2) != "312.45" || last.Author != "local:fin" {
		t.Fatalf("lines %+v", st.Lines)
	}
	// 32,600.00 of bonus and commission, the analytics SPIF's 800.00 and
	// the dispute's 312.45.
	if st.Total.StringFixed(2) != "33712.45" {
		t.Errorf("total %s, want 33,712.45", st.Total.StringFixed(2))
	}
	if _, _, _, adj := st.Subtotals(); adj.StringFixed(2) != "312.45" {
		t.Errorf("adjustment subtotal %s", adj)
	}
	if n := len(st.Inputs.Carried); n != 1 || st.Inputs.Carried[0].Kind != LineDisputeAdjustment {
		t.Errorf("carried inputs %+v: the dispute adjustment is an input of the hash", st.Inputs.Carried)
	}

	// Alone: two disputes for Priya, -120.50 + 250.00 = 129.50.
	lone := RunInput{Quarter: period.Quarter{Year: 2026, Q: 3}, People: demoPeople(), Assignments: &Assignments{File: "assignments.yaml"}, KnownKPI: knownKPIs,
		Disputes: []DisputeAdjustment{
			{DisputeID: "2026Q2/" + priya + "/1", PersonID: priya, PaidIn: "2026Q3", Amount: Money{dec("-120.50")}, Currency: "USD", Reason: "double credit", ResolvedBy: "local:fin"},
			{DisputeID: "2026Q2/" + priya + "/2", PersonID: priya, PaidIn: "2026Q3", Amount: Money{dec("250.00")}, Currency: "USD", Reason: "missing deal", ResolvedBy: "local:fin"},
		}}
	out, err = Run(lone)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Statements) != 1 || out.Statements[0].Total.StringFixed(2) != "129.50" || len(out.Statements[0].Lines) != 2 {
		t.Fatalf("statements %+v", out.Statements)
	}

	// Due on a statement finalized without it (the store passes it on):
	// paid here, and the line says so; one due later is not.
	lone.Disputes[1].PaidIn = "2026Q2"
	lone.Disputes = append(lone.Disputes, DisputeAdjustment{DisputeID: "2026Q2/" + priya + "/3", PersonID: priya, PaidIn: "2026Q4", Amount: Money{dec("7.00")}, Currency: "USD", Reason: "r", ResolvedBy: "local:fin"})
	out, err = Run(lone)
	if err != nil {
		t.Fatal(err)
	}
	if st := out.Statements[0]; st.Total.StringFixed(2) != "129.50" || len(st.Lines) != 2 ||
		!strings.HasSuffix(st.Lines[1].Explain, "(due on the 2026Q2 statement, which was finalized without it: paid on this one, the next payable)") {
		t.Fatalf("moved adjustment: %+v", st.Lines)
	}
	lone.Disputes = lone.Disputes[:2]
	lone.Disputes[1].PaidIn = "2026Q3"

	// Bad adjustments are validation errors, before anything is computed.
	lone.Disputes = append(lone.Disputes,
		DisputeAdjustment{DisputeID: "2026Q2/" + priya + "/1", PersonID: priya, PaidIn: "2026Q3", Amount: Money{dec("1")}, Currency: "USD"},
		DisputeAdjustment{DisputeID: "2026Q2/nobody/1", PersonID: "nobody", PaidIn: "2026Q3", Amount: Money{dec("1")}, Currency: "USD"},
		DisputeAdjustment{DisputeID: "2026Q2/" + tom + "/1", PersonID: tom, PaidIn: "2026Q3", Amount: Money{dec("1")}, Currency: "EUR"})
	_, err = Run(lone)
	for _, want := range []string{"listed twice", `"nobody" is not in the roster`, "EUR, but " + tom + " is paid in USD"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bad adjustments: %v, want %q", err, want)
		}
	}
}

// TestDisputedStatementGolden is a statement with its dispute history, as
// its person reads it: one dispute answered, replied to and resolved with
// an adjustment, one answered and resolved with no change, one open.
func TestDisputedStatementGolden(t *testing.T) {
	p := disputePolicy(t, disputePolicyYAML)
	st := disputedStatement()
	step := func(d *Dispute, user string, m int, action DisputeAction, text string, outcome DisputeOutcome, amount string, paidIn string) *Dispute {
		t.Helper()
		a := act(t, p, user, m, text)
		a.Action, a.Outcome, a.PaidIn = action, outcome, paidIn
		if amount != "" {
			v := dec(amount)
			a.Amount = &v
		}
		next, err := p.Apply(d, alexParty, a)
		if err != nil {
			t.Fatal(err)
		}
		return next
	}
	d1, err := p.RaiseDispute(st, 3, "new_business_commission/tier1", nil, alexParty, act(t, p, "alex", 0, "006B07 (250,000) closed 06-28 is missing from my credits"))
	if err != nil {
		t.Fatal(err)
	}
	d1 = step(d1, "maria", 10, DisputeAnswer, "the split to Priya was entered after close; asking finance", "", "", "")
	d1 = step(d1, "alex", 20, DisputeReply, "the split was 50/50, see the opportunity", "", "", "")
	d1 = step(d1, "fin", 30, DisputeResolve, "50% of 006B07 was not credited: 125,000 x 5% = 6,250.00 less 5,937.55 already paid on the corrected split", OutcomeAdjustment, "312.45", "2026Q3")
	d2, err := p.RaiseDispute(st, 3, "bookings_bonus", []Dispute{*d1}, alexParty, act(t, p, "maria", 40, "is the bonus prorated?"))
	if err != nil {
		t.Fatal(err)
	}
	d2 = step(d2, "fin", 45, DisputeAnswer, "no: Alex was on the plan all 91 days", "", "", "")
	d2 = step(d2, "fin", 46, DisputeResolve, "answered; the bonus is right", OutcomeNoChange, "", "")
	d3, err := p.RaiseDispute(st, 3, "bookings_bonus", []Dispute{*d1, *d2}, alexParty, act(t, p, "alex", 50, "which deals count toward the bonus?"))
	if err != nil {
		t.Fatal(err)
	}
	v := &DisputedStatement{Statement: st, Status: StatusFinal, Version: 3, Disputes: []Dispute{*d1, *d2, *d3}}
	var text bytes.Buffer
	if err := v.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	js, err := v.JSON()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "disputes-2026Q2-alex.txt", text.Bytes())
	golden(t, "disputes-2026Q2-alex.json", js)
	// The JSON reads back to the same disputes.
	var back DisputedStatement
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&back); err != nil {
		t.Fatal(err)
	}
	if len(back.Disputes) != 3 || back.Disputes[0].Adjustment() == nil || back.Disputes[0].Adjustment().Amount.StringFixed(2) != "312.45" ||
		back.Disputes[1].Adjustment() != nil || back.Disputes[2].State != DisputeOpen {
		t.Errorf("read back %+v", back.Disputes)
	}
}
