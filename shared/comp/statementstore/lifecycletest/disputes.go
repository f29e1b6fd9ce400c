package lifecycletest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/comp/statementstore"
	"github.com/venn-revops/venn/shared/results"
)

// The dispute cases of the suite: P1 is paid, M1 is their manager, fin
// and fin2 are finance.
var disputeCases = []struct {
	name string
	run  func(*testing.T, func(*testing.T) results.Store)
}{
	{"DisputeRaiseAnswerResolvePaysNextQuarter", testDisputeFlow},
	{"DisputeConcurrentRaisesAllKept", testDisputeConcurrentRaises},
	{"DisputeConcurrentActorsOneWins", testDisputeConcurrentActors},
	{"DisputeStaleVersionRefused", testDisputeStale},
	{"DisputeHistoryNeverRewritten", testDisputeAppendOnly},
	{"DisputeLostResponseCountsAsSuccess", testDisputeLostResponse},
	{"DisputePaidInFinalMovesOn", testDisputePaidInFinalMovesOn},
}

func disputePolicy(t *testing.T) *comp.ApprovalPolicy {
	t.Helper()
	p, err := comp.ParseApprovals(comp.ApprovalsFile, []byte(`
approve: [{local: true}]
finalize: [{local: true}]
four_eyes: false
match_email: false
people:
  - {identity: "local:p1", person: P1}
  - {identity: "local:m1", person: M1}
disputes:
  finance: [{identity: "local:fin"}, {identity: "local:fin2"}]
  route: manager
`))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var p1Party = comp.DisputeParty{PersonID: "P1", Managers: []string{"M1"}}

// disputeAct is user's request at minute m.
func disputeAct(p *comp.ApprovalPolicy, user string, m int, action comp.DisputeAction, text string) comp.DisputeAct {
	id := ident(user)
	return comp.DisputeAct{Action: action, Caller: id, CallerPeople: p.PeopleOf(id), At: at.Add(time.Duration(m) * time.Minute), Text: text}
}

// withLines is P1's statement of quarter with n commission lines of 100.00.
func withLines(quarter string, n int) comp.Statement {
	st := statement("P1", "1000.00", "500.00")
	st.ID, st.Quarter = quarter+"/P1", quarter
	for i := 3; i <= n; i++ {
		d := decimal.RequireFromString("100.00")
		st.Lines = append(st.Lines, comp.Line{Key: fmt.Sprintf("commission/extra/%d", i), Kind: comp.LineCommission, Exact: d, Amount: comp.Money{Decimal: d}, Explain: "extra"})
		st.Total = comp.Money{Decimal: st.Total.Add(d)}
	}
	return st
}

func raise(ctx context.Context, s results.Store, p *comp.ApprovalPolicy, quarter, line, user string, m int) (*statementstore.StoredDispute, error) {
	return statementstore.RaiseDispute(ctx, s, quarter, "P1", func(st *statementstore.Stored, existing []comp.Dispute) (*comp.Dispute, error) {
		return p.RaiseDispute(st.Statement, st.Version, line, existing, p1Party, disputeAct(p, user, m, comp.DisputeRaise, "please check "+line))
	})
}

func act(ctx context.Context, s results.Store, p *comp.ApprovalPolicy, id string, expect int64, a comp.DisputeAct) (*statementstore.StoredDispute, error) {
	return statementstore.UpdateDispute(ctx, s, id, expect, func(cur *statementstore.StoredDispute) (*comp.Dispute, error) {
		if a.Action == comp.DisputeResolve && a.Outcome == comp.OutcomeAdjustment {
			pay, err := statementstore.NextPayable(ctx, s, cur.Quarter, cur.PersonID)
			if err != nil {
				return nil, err
			}
			a.PaidIn = pay.Quarter
		}
		return p.Apply(&cur.Dispute, p1Party, a)
	})
}

func finalize(t *testing.T, s results.Store, quarter string) {
	t.Helper()
	ctx := context.Background()
	if _, err := statementstore.Approve(ctx, s, quarter, nil, ident("fin"), at, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := statementstore.Finalize(ctx, s, quarter, nil, ident("ctl"), at, nil); err != nil {
		t.Fatal(err)
	}
}

// raisedOnFinalQ2 is a fresh store with P1's 2026Q2 and 2026Q3 final and
// a dispute raised by P1 on a 2026Q2 line.
func raisedOnFinalQ2(t *testing.T, newStore func(t *testing.T) results.Store) (context.Context, results.Store, *comp.ApprovalPolicy, *statementstore.StoredDispute) {
	t.Helper()
	ctx := context.Background()
	s := newStore(t)
	p := disputePolicy(t)
	mustSave(t, s, withLines("2026Q2", 2), withLines("2026Q3", 2))
	finalize(t, s, "2026Q2")
	finalize(t, s, "2026Q3")
	d, err := raise(ctx, s, p, "2026Q2", "commission/ae@v1/2026-07-01/nb", "p1", 0)
	if err != nil {
		t.Fatal(err)
	}
	return ctx, s, p, d
}

// testDisputeFlow: raise on a final 2026Q2 line, the manager answers,
// finance resolves with 312.45; 2026Q3 is final too, so it is paid in
// 2026Q4, and only 2026Q4's run sees it.
func testDisputeFlow(t *testing.T, newStore func(t *testing.T) results.Store) {
	ctx, s, p, d := raisedOnFinalQ2(t, newStore)
	var err error
	if d.ID != "2026Q2/P1/1" || d.Version != 1 || d.StatementVersion != 3 || d.State != comp.DisputeOpen {
		t.Fatalf("raised %+v", d)
	}
	if d, err = act(ctx, s, p, d.ID, 1, disputeAct(p, "m1", 1, comp.DisputeAnswer, "asking finance")); err != nil || d.Version != 2 {
		t.Fatalf("answer: %+v %v", d, err)
	}
	res := disputeAct(p, "fin", 2, comp.DisputeResolve, "a deal was missed")
	amt := decimal.RequireFromString("312.45")
	res.Outcome, res.Amount = comp.OutcomeAdjustment, &amt
	if d, err = act(ctx, s, p, d.ID, 2, res); err != nil {
		t.Fatal(err)
	}
	if d.Version != 3 || d.State != comp.DisputeResolved || d.Resolution.PaidIn != "2026Q4" || len(d.History) != 3 {
		t.Fatalf("resolved %+v", d)
	}
	got, err := statementstore.GetDispute(ctx, s, d.ID)
	if err != nil || got.Version != 3 || len(got.History) != 3 || got.History[1].Role != comp.RoleManager {
		t.Fatalf("stored %+v %v", got, err)
	}
	for q, want := range map[string]int{"2026Q3": 0, "2026Q4": 1, "2027Q1": 0} {
		adj, err := statementstore.DisputeAdjustments(ctx, s, q)
		if err != nil || len(adj) != want {
			t.Fatalf("adjustments paid in %s: %+v %v, want %d", q, adj, err, want)
		}
		if want == 1 && (adj[0].Amount.StringFixed(2) != "312.45" || adj[0].DisputeID != d.ID) {
			t.Errorf("adjustment %+v", adj[0])
		}
	}
	// The person's history index holds the statements and the dispute.
	items, err := s.QueryIndex(ctx, "PERSON#P1", "2026Q2")
	if err != nil || len(items) != 2 || items[1].Kind != "dispute" {
		t.Fatalf("person index under 2026Q2: %+v %v", items, err)
	}
	if hist, err := statementstore.History(ctx, s, "P1"); err != nil || len(hist) != 2 {
		t.Fatalf("statement history with a dispute indexed beside it: %d %v", len(hist), err)
	}
	// Closed: no further action.
	if _, err := act(ctx, s, p, d.ID, 0, disputeAct(p, "p1", 3, comp.DisputeReply, "thanks")); !errors.Is(err, comp.ErrDisputeTransition) {
		t.Errorf("reply to a resolved dispute: %v", err)
	}
	if _, err := statementstore.GetDispute(ctx, s, "2026Q2/P1/9"); !errors.Is(err, statementstore.ErrNoDispute) {
		t.Errorf("unknown dispute: %v", err)
	}
	if _, err := statementstore.GetDispute(ctx, s, "2026Q2/P1/01"); !errors.Is(err, comp.ErrDisputeInvalid) {
		t.Errorf("malformed dispute id: %v", err)
	}
}

// testDisputePaidInFinalMovesOn: resolved while 2026Q4 had no statement,
// the adjustment names 2026Q4; 2026Q4 is then finalized without it (its
// payouts ran before, or were not rerun). It is not added to a rerun of
// 2026Q4 (that would pay it again as a correction) but flows into 2027Q1,
// the next payable statement; once 2027Q1 carries it and is final, a rerun
// of 2027Q1 keeps it and 2027Q2 does not pay it again.
func testDisputePaidInFinalMovesOn(t *testing.T, newStore func(t *testing.T) results.Store) {
	ctx, s, p, d := raisedOnFinalQ2(t, newStore)
	var err error
	res := disputeAct(p, "fin", 1, comp.DisputeResolve, "a deal was missed")
	amt := decimal.RequireFromString("312.45")
	res.Outcome, res.Amount = comp.OutcomeAdjustment, &amt
	if d, err = act(ctx, s, p, d.ID, 1, res); err != nil || d.Resolution.PaidIn != "2026Q4" {
		t.Fatalf("resolved %+v %v", d, err)
	}
	paidIn := func(want map[string]int) {
		t.Helper()
		for q, n := range want {
			adj, err := statementstore.DisputeAdjustments(ctx, s, q)
			if err != nil || len(adj) != n || (n == 1 && (adj[0].DisputeID != d.ID || adj[0].PaidIn != "2026Q4")) {
				t.Errorf("adjustments paid in %s: %+v %v, want %d", q, adj, err, n)
			}
		}
	}
	paidIn(map[string]int{"2026Q4": 1, "2027Q1": 0})
	mustSave(t, s, withLines("2026Q4", 2)) // without the adjustment
	paidIn(map[string]int{"2026Q4": 1, "2027Q1": 0})
	finalize(t, s, "2026Q4")
	paidIn(map[string]int{"2026Q4": 0, "2027Q1": 1, "2027Q2": 0})
	q1 := withLines("2027Q1", 2)
	q1.Lines = append(q1.Lines, comp.Line{Key: "dispute/" + d.ID, Kind: comp.LineDisputeAdjustment, Exact: amt, Amount: comp.Money{Decimal: amt}, Explain: "dispute"})
	q1.Total = comp.Money{Decimal: q1.Total.Add(amt)}
	mustSave(t, s, q1)
	finalize(t, s, "2027Q1")
	paidIn(map[string]int{"2026Q4": 0, "2027Q1": 1, "2027Q2": 0})
}

// testDisputeConcurrentRaises: six raises on six lines at once all land,
// numbered 1 to 6; six raises on one line at once leave exactly one open
// dispute, the others refused.
func testDisputeConcurrentRaises(t *testing.T, newStore func(t *testing.T) results.Store) {
	ctx := context.Background()
	s := newStore(t)
	p := disputePolicy(t)
	st := withLines("2026Q3", 6)
	mustSave(t, s, st)
	const n = 6
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = raise(ctx, s, p, "2026Q3", st.Lines[i].Key, "p1", i)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("raise %d: %v", i, err)
		}
	}
	all, err := statementstore.Disputes(ctx, s, "2026Q3", "P1")
	if err != nil || len(all) != n {
		t.Fatalf("%d disputes stored, want %d (%v)", len(all), n, err)
	}
	lines := map[string]bool{}
	for i, d := range all {
		if d.ID != fmt.Sprintf("2026Q3/P1/%d", i+1) {
			t.Errorf("dispute %d is %s", i, d.ID)
		}
		lines[d.Line] = true
	}
	if len(lines) != n {
		t.Errorf("lines disputed: %v", lines)
	}

	s = newStore(t)
	mustSave(t, s, st)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = raise(ctx, s, p, "2026Q3", st.Lines[0].Key, "p1", i)
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, comp.ErrDisputeInvalid) || !strings.Contains(err.Error(), "already has dispute 2026Q3/P1/1 open"):
			t.Errorf("a losing raise: %v", err)
		}
	}
	if all, _ := statementstore.Disputes(ctx, s, "2026Q3", "P1"); wins != 1 || len(all) != 1 {
		t.Fatalf("%d raises won, %d stored", wins, len(all))
	}
}

// testDisputeConcurrentActors: finance resolves while the rep withdraws
// and the manager answers, all at once and without a version: exactly one
// wins, the others are refused by the state the winner left, and the
// stored history is the raise plus the winner's step.
func testDisputeConcurrentActors(t *testing.T, newStore func(t *testing.T) results.Store) {
	ctx := context.Background()
	p := disputePolicy(t)
	for round := range 10 {
		s := newStore(t)
		mustSave(t, s, withLines("2026Q3", 2))
		d, err := raise(ctx, s, p, "2026Q3", "bonus/ae@v1/2026-07-01/bookings_bonus", "p1", 0)
		if err != nil {
			t.Fatal(err)
		}
		res := disputeAct(p, "fin", 1, comp.DisputeResolve, "right as computed")
		res.Outcome = comp.OutcomeNoChange
		acts := []comp.DisputeAct{res, disputeAct(p, "p1", 1, comp.DisputeWithdraw, "found it"), disputeAct(p, "m1", 1, comp.DisputeAnswer, "looks right")}
		errs := make([]error, len(acts))
		var wg sync.WaitGroup
		for i, a := range acts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = act(ctx, s, p, d.ID, 0, a)
			}()
		}
		wg.Wait()
		got, err := statementstore.GetDispute(ctx, s, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner < 0:
				winner = i
			case err == nil:
				// An answer then a resolve or withdraw is a legal sequence:
				// both land, in order, nothing lost.
				if acts[winner].Action != comp.DisputeAnswer && acts[i].Action != comp.DisputeAnswer {
					t.Fatalf("round %d: %s and %s both won", round, acts[winner].Action, acts[i].Action)
				}
			case !errors.Is(err, comp.ErrDisputeTransition):
				t.Fatalf("round %d: %s lost with %v, want an illegal transition", round, acts[i].Action, err)
			}
		}
		wins := 0
		for _, err := range errs {
			if err == nil {
				wins++
			}
		}
		if winner < 0 || len(got.History) != 1+wins || got.Version != int64(1+wins) {
			t.Fatalf("round %d: %d wins, history %d steps at version %d", round, wins, len(got.History), got.Version)
		}
		for i, err := range errs {
			if err == nil && !hasStep(got.Dispute, acts[i]) {
				t.Fatalf("round %d: %s succeeded but is not in the history", round, acts[i].Action)
			}
		}
	}
}

func hasStep(d comp.Dispute, a comp.DisputeAct) bool {
	for _, ev := range d.History {
		if ev.Action == a.Action && ev.By == a.Caller.ID && ev.Text == a.Text {
			return true
		}
	}
	return false
}

// testDisputeStale: an action for version 1 after someone moved the
// dispute to version 2 fails with ErrStaleDispute and writes nothing.
func testDisputeStale(t *testing.T, newStore func(t *testing.T) results.Store) {
	ctx, s, p, d := raisedOnBonus(t, newStore)
	if _, err := act(ctx, s, p, d.ID, 1, disputeAct(p, "fin", 1, comp.DisputeAnswer, "attainment 80%")); err != nil {
		t.Fatal(err)
	}
	_, err := act(ctx, s, p, d.ID, 1, disputeAct(p, "p1", 2, comp.DisputeWithdraw, "ok"))
	if !errors.Is(err, statementstore.ErrStaleDispute) || !strings.Contains(err.Error(), "at version 2, the action was for version 1") {
		t.Fatalf("stale action: %v", err)
	}
	if got, _ := statementstore.GetDispute(ctx, s, d.ID); got.Version != 2 || len(got.History) != 2 {
		t.Fatalf("a stale action wrote: v%d, %d steps", got.Version, len(got.History))
	}
	// With the current version it goes through.
	if got, err := act(ctx, s, p, d.ID, 2, disputeAct(p, "p1", 2, comp.DisputeReply, "80% of what?")); err != nil || got.Version != 3 {
		t.Fatalf("current version: %+v %v", got, err)
	}
}

// testDisputeAppendOnly: a write that rewrites an earlier step is refused.
func testDisputeAppendOnly(t *testing.T, newStore func(t *testing.T) results.Store) {
	ctx, s, p, d := raisedOnBonus(t, newStore)
	_, err := statementstore.UpdateDispute(ctx, s, d.ID, 0, func(cur *statementstore.StoredDispute) (*comp.Dispute, error) {
		next, err := p.Apply(&cur.Dispute, p1Party, disputeAct(p, "fin", 1, comp.DisputeAnswer, "fine"))
		if err != nil {
			return nil, err
		}
		next.History[0].Text = "I never asked"
		return next, nil
	})
	if err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("rewriting the raise: %v", err)
	}
	if got, _ := statementstore.GetDispute(ctx, s, d.ID); got.Version != 1 || got.History[0].Text != "please check bonus/ae@v1/2026-07-01/bookings_bonus" {
		t.Fatalf("stored after a refused rewrite: %+v", got)
	}
}

// raisedOnBonus is a fresh store holding P1's 2026Q3 statement with a
// dispute P1 raised on its bonus line.
func raisedOnBonus(t *testing.T, newStore func(t *testing.T) results.Store) (context.Context, results.Store, *comp.ApprovalPolicy, *statementstore.StoredDispute) {
	t.Helper()
	ctx := context.Background()
	s := newStore(t)
	p := disputePolicy(t)
	mustSave(t, s, withLines("2026Q3", 2))
	d, err := raise(ctx, s, p, "2026Q3", "bonus/ae@v1/2026-07-01/bookings_bonus", "p1", 0)
	if err != nil {
		t.Fatal(err)
	}
	return ctx, s, p, d
}

func testDisputeLostResponse(t *testing.T, newStore func(t *testing.T) results.Store) {
	ctx := context.Background()
	inner := newStore(t)
	mustSave(t, inner, withLines("2026Q3", 2))
	s := &lostResponse{Store: inner}
	p := disputePolicy(t)
	d, err := raise(ctx, s, p, "2026Q3", "bonus/ae@v1/2026-07-01/bookings_bonus", "p1", 0)
	if err != nil || d.ID != "2026Q3/P1/1" {
		t.Fatalf("raise with a lost response: %+v %v", d, err)
	}
	s.lost = false
	got, err := act(ctx, s, p, d.ID, 1, disputeAct(p, "fin", 1, comp.DisputeAnswer, "see the CRM"))
	if err != nil || got.Version != 2 {
		t.Fatalf("answer with a lost response: %+v %v", got, err)
	}
	if all, _ := statementstore.Disputes(ctx, s, "2026Q3", ""); len(all) != 1 || len(all[0].History) != 2 {
		t.Fatalf("stored %+v", all)
	}
}
