// Package lifecycletest is the statement lifecycle suite: the rules of
// shared/comp/statementstore checked against any results.Store. The
// localstore runs it in statementstore's tests; the DynamoDB adapter runs it
// against dynalite, so both backends are held to the same lifecycle.
package lifecycletest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/comp/statementstore"
	"github.com/venn-revops/venn/shared/period"
	"github.com/venn-revops/venn/shared/results"
)

// Run runs every lifecycle case, each on a fresh store from newStore.
func Run(t *testing.T, newStore func(t *testing.T) results.Store) {
	cases := []struct {
		name string
		run  func(*testing.T, func(*testing.T) results.Store)
	}{
		{"SaveDraftsIdempotentAndReplace", testSaveDraftsIdempotentAndReplace},
		{"Lifecycle", testLifecycle},
		{"RecomputeAfterFinalMakesCorrection", testRecomputeAfterFinalMakesCorrection},
		{"CorrectionSkipsFinalQuarters", testCorrectionSkipsFinalQuarters},
		{"ConcurrentApproversOneWins", testConcurrentApproversOneWins},
		{"LostResponseCountsAsSuccess", testLostResponseCountsAsSuccess},
		{"MissingStatement", testMissingStatement},
		{"EngineStatementsThroughLifecycle", testEngineStatementsThroughLifecycle},
		{"GuardRefusalMovesNothing", testGuardRefusalMovesNothing},
	}
	for _, c := range append(cases, disputeCases...) {
		t.Run(c.name, func(t *testing.T) { c.run(t, newStore) })
	}
}

var at = time.Date(2026, 10, 5, 9, 30, 0, 0, time.UTC)

// ident is the local identity of user name (the store records whatever
// authenticated identity it is given; the policy is tested in comp and
// pipeline).
func ident(name string) comp.Identity {
	id, err := comp.LocalIdentity(name)
	if err != nil {
		panic(err)
	}
	return id
}

// statement builds a small statement: a bonus line and a commission line.
func statement(person, bonus, commission string) comp.Statement {
	line := func(key, kind, amt string) comp.Line {
		d := decimal.RequireFromString(amt)
		return comp.Line{Key: key, Kind: kind, Exact: d, Amount: comp.Money{Decimal: d}, Explain: kind + " " + amt}
	}
	b, c := line("bonus/ae@v1/2026-07-01/bookings_bonus", comp.LineAttainmentBonus, bonus), line("commission/ae@v1/2026-07-01/nb", comp.LineCommission, commission)
	total := b.Amount.Add(c.Amount.Decimal)
	return comp.Statement{ID: "2026Q3/" + person, Quarter: "2026Q3", PersonID: person, EmployeeID: "E-" + person, Name: "Person " + person,
		Currency: "USD", Lines: []comp.Line{b, c}, Plans: []comp.PlanUse{}, Credits: []comp.DealCredit{},
		Total: comp.Money{Decimal: total}, InputHash: "hash-" + bonus + "-" + commission, CodeVersion: "v1"}
}

func actions(os []statementstore.Outcome) []string {
	var out []string
	for _, o := range os {
		out = append(out, o.Action)
	}
	return out
}

func mustSave(t *testing.T, s results.Store, stmts ...comp.Statement) []statementstore.Outcome {
	t.Helper()
	os, _, err := statementstore.SaveDrafts(context.Background(), s, stmts)
	if err != nil {
		t.Fatal(err)
	}
	return os
}

func testSaveDraftsIdempotentAndReplace(t *testing.T, newStore func(t *testing.T) results.Store) {
	s := newStore(t)
	a := statement("P1", "1000.00", "500.00")
	if got := actions(mustSave(t, s, a)); got[0] != "created" {
		t.Fatalf("first save: %v", got)
	}
	// Same statement, new build: unchanged.
	a2 := a
	a2.CodeVersion = "v2"
	if got := mustSave(t, s, a2); got[0].Action != "unchanged" || got[0].Version != 1 {
		t.Fatalf("resave: %+v", got)
	}
	// A changed draft replaces the old draft.
	b := statement("P1", "1000.00", "600.00")
	if got := mustSave(t, s, b); got[0].Action != "replaced" || got[0].Version != 2 {
		t.Fatalf("replace: %+v", got)
	}
	st, err := statementstore.Get(context.Background(), s, "2026Q3", "P1")
	if err != nil || st.Statement.Total.StringFixed(2) != "1600.00" || st.Status != comp.StatusDraft {
		t.Fatalf("stored %+v, %v", st, err)
	}
}

func testLifecycle(t *testing.T, newStore func(t *testing.T) results.Store) {
	ctx := context.Background()
	s := newStore(t)
	mustSave(t, s, statement("P1", "1000.00", "500.00"), statement("P2", "200.00", "0.00"))

	// Finalizing a draft is refused.
	if _, err := statementstore.Finalize(ctx, s, "2026Q3", []string{"P1"}, ident("cfo"), at, nil); !errors.Is(err, statementstore.ErrNotApproved) {
		t.Fatalf("finalize draft: %v", err)
	}
	os, err := statementstore.Approve(ctx, s, "2026Q3", nil, ident("finance.lead"), at, nil)
	if err != nil || len(os) != 2 || os[0].Action != "approved" || os[1].Action != "approved" {
		t.Fatalf("approve all: %+v %v", os, err)
	}
	// Double approve: same approver is a no-op, another approver is refused.
	if os, err := statementstore.Approve(ctx, s, "2026Q3", []string{"P1"}, ident("finance.lead"), at, nil); err != nil || os[0].Action != "unchanged" {
		t.Fatalf("double approve, same approver: %+v %v", os, err)
	}
	if _, err := statementstore.Approve(ctx, s, "2026Q3", []string{"P1"}, ident("someone.else"), at, nil); !errors.Is(err, statementstore.ErrAlreadyApproved) {
		t.Fatalf("double approve, other approver: %v", err)
	}
	// An approved statement that would change is not overwritten.
	if _, _, err := statementstore.SaveDrafts(ctx, s, []comp.Statement{statement("P1", "1000.00", "700.00")}); !errors.Is(err, statementstore.ErrApproved) {
		t.Fatalf("save over approved: %v", err)
	}
	if st, _ := statementstore.Get(ctx, s, "2026Q3", "P1"); st.Statement.Total.StringFixed(2) != "1500.00" {
		t.Fatalf("approved statement was overwritten: %s", st.Statement.Total)
	}
	// Reopen, save the change, approve again.
	if os, err := statementstore.Reopen(ctx, s, "2026Q3", []string{"P1"}, ident("finance.lead"), "late CRM correction", at); err != nil || os[0].Action != "reopened" {
		t.Fatalf("reopen: %+v %v", os, err)
	}
	if got := mustSave(t, s, statement("P1", "1000.00", "700.00")); got[0].Action != "replaced" {
		t.Fatalf("save after reopen: %+v", got)
	}
	if _, err := statementstore.Approve(ctx, s, "2026Q3", []string{"P1"}, ident("finance.lead"), at, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := statementstore.Finalize(ctx, s, "2026Q3", nil, ident("cfo"), at.Add(time.Hour), nil); err != nil {
		t.Fatal(err)
	}
	// After final: approve, reopen refused; finalize again a no-op.
	if _, err := statementstore.Approve(ctx, s, "2026Q3", []string{"P1"}, ident("finance.lead"), at, nil); !errors.Is(err, statementstore.ErrFinal) {
		t.Fatalf("approve after final: %v", err)
	}
	if _, err := statementstore.Reopen(ctx, s, "2026Q3", []string{"P1"}, ident("x"), "y", at); !errors.Is(err, statementstore.ErrFinal) {
		t.Fatalf("reopen after final: %v", err)
	}
	if os, err := statementstore.Finalize(ctx, s, "2026Q3", []string{"P1"}, ident("cfo"), at, nil); err != nil || os[0].Action != "unchanged" {
		t.Fatalf("finalize twice: %+v %v", os, err)
	}
	st, _ := statementstore.Get(ctx, s, "2026Q3", "P1")
	// Who is recorded as the identity's stable id, and in full on the
	// record and in the history (the audit trail).
	if st.ApprovedBy != "local:finance.lead" || st.FinalBy != "local:cfo" || st.ApprovedIdentity == nil || st.ApprovedIdentity.Principal != "local user finance.lead" ||
		st.FinalIdentity == nil || st.FinalIdentity.ID != "local:cfo" {
		t.Errorf("recorded approved by %q (%+v), final by %q (%+v)", st.ApprovedBy, st.ApprovedIdentity, st.FinalBy, st.FinalIdentity)
	}
	if last := st.History[len(st.History)-1]; last.By != "local:cfo" || last.Identity == nil || last.Identity.Principal != "local user cfo" {
		t.Errorf("last history event %+v", last)
	}
	if len(st.History) != 6 { // draft, approved, reopened→draft, draft (recomputed), approved, final
		t.Errorf("history has %d events: %+v", len(st.History), st.History)
	}
	hist, err := statementstore.History(ctx, s, "P1")
	if err != nil || len(hist) != 1 || hist[0].Status != comp.StatusFinal {
		t.Fatalf("history index: %+v %v", hist, err)
	}
	recs, err := statementstore.Exportable(ctx, s, "2026Q3")
	if err != nil || len(recs) != 2 {
		t.Fatalf("exportable: %d %v", len(recs), err)
	}
}

func testRecomputeAfterFinalMakesCorrection(t *testing.T, newStore func(t *testing.T) results.Store) {
	ctx := context.Background()
	s := newStore(t)
	mustSave(t, s, statement("P1", "1000.00", "500.00"))
	if _, err := statementstore.Approve(ctx, s, "2026Q3", nil, ident("fin"), at, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := statementstore.Finalize(ctx, s, "2026Q3", nil, ident("cfo"), at, nil); err != nil {
		t.Fatal(err)
	}
	before, _ := s.Get(ctx, statementstore.PK("2026Q3"), "P1")

	// Same amounts again: nothing to correct.
	if got := mustSave(t, s, statement("P1", "1000.00", "500.00")); got[0].Action != "unchanged" {
		t.Fatalf("same recompute: %+v", got)
	}
	// Commission recomputed 500.00 → 412.35: a correction of −87.65 for 2026Q4.
	os, corrs, err := statementstore.SaveDrafts(ctx, s, []comp.Statement{statement("P1", "1000.00", "412.35")})
	if err != nil || os[0].Action != "corrected" || len(corrs) != 1 {
		t.Fatalf("recompute after final: %+v %+v %v", os, corrs, err)
	}
	c := corrs[0]
	if c.ToQuarter != "2026Q4" || c.Delta.StringFixed(2) != "-87.65" || len(c.Diff) != 1 ||
		c.Diff[0].Old.StringFixed(2) != "500.00" || c.Diff[0].New.StringFixed(2) != "412.35" || len(c.Lines) != 1 ||
		c.Lines[0].Kind != comp.LinePriorPeriod || c.Lines[0].Amount.StringFixed(2) != "-87.65" {
		t.Fatalf("correction: %+v", c)
	}
	prev, err := statementstore.PreviousFinal(ctx, s, "2026Q4", 2)
	if err != nil || len(prev) != 1 || prev[0].ID != "2026Q3/P1" || prev[0].Total.StringFixed(2) != "1500.00" {
		t.Fatalf("previous final statements: %+v %v", prev, err)
	}
	after, _ := s.Get(ctx, statementstore.PK("2026Q3"), "P1")
	if after.Version != before.Version || string(after.Body) != string(before.Body) {
		t.Fatal("final statement was rewritten")
	}
	// Saving the same recomputation again stores no second correction.
	if _, _, err := statementstore.SaveDrafts(ctx, s, []comp.Statement{statement("P1", "1000.00", "412.35")}); err != nil {
		t.Fatal(err)
	}
	got, err := statementstore.Corrections(ctx, s, "2026Q4")
	if err != nil || len(got) != 1 || got[0].ID != c.ID {
		t.Fatalf("stored corrections: %+v %v", got, err)
	}
	// A second recomputation, 412.35 → 400.00, pays only the new difference
	// (−12.35) against what was paid so far (500.00 − 87.65 = 412.35).
	_, corrs, err = statementstore.SaveDrafts(ctx, s, []comp.Statement{statement("P1", "1000.00", "400.00")})
	if err != nil || len(corrs) != 1 || corrs[0].Delta.StringFixed(2) != "-12.35" || corrs[0].Diff[0].Old.StringFixed(2) != "412.35" {
		t.Fatalf("second correction: %+v %v", corrs, err)
	}
	// Back to the original numbers: +100.00 restores the 500.00 paid in total.
	_, corrs, err = statementstore.SaveDrafts(ctx, s, []comp.Statement{statement("P1", "1000.00", "500.00")})
	if err != nil || len(corrs) != 1 || corrs[0].Delta.StringFixed(2) != "100.00" {
		t.Fatalf("third correction: %+v %v", corrs, err)
	}
	got, _ = statementstore.Corrections(ctx, s, "2026Q4")
	sum := decimal.Zero
	for _, c := range got {
		sum = sum.Add(c.Delta.Decimal)
	}
	if len(got) != 3 || !sum.IsZero() {
		t.Fatalf("corrections %d summing to %s, want 3 summing to 0", len(got), sum)
	}
}

// A correction goes to the first quarter after its own whose statement for
// the person is not final: once 2026Q4 is final, a new 2026Q3 correction
// is paid in 2027Q1, and counts what 2026Q4 already paid.
func testCorrectionSkipsFinalQuarters(t *testing.T, newStore func(t *testing.T) results.Store) {
	ctx := context.Background()
	s := newStore(t)
	finalize := func(q string) {
		t.Helper()
		if _, err := statementstore.Approve(ctx, s, q, nil, ident("fin"), at, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := statementstore.Finalize(ctx, s, q, nil, ident("cfo"), at, nil); err != nil {
			t.Fatal(err)
		}
	}
	mustSave(t, s, statement("P1", "1000.00", "500.00"))
	finalize("2026Q3")
	_, corrs, err := statementstore.SaveDrafts(ctx, s, []comp.Statement{statement("P1", "1000.00", "412.35")})
	if err != nil || len(corrs) != 1 || corrs[0].ToQuarter != "2026Q4" {
		t.Fatalf("first correction: %+v %v", corrs, err)
	}
	// 2026Q4 is computed (paying the correction) and finalized.
	q4 := statement("P1", "800.00", "300.00")
	q4.ID, q4.Quarter = "2026Q4/P1", "2026Q4"
	mustSave(t, s, q4)
	finalize("2026Q4")
	// 412.35 → 400.00: −12.35 against what was paid (500.00 − 87.65), and
	// paid in 2027Q1, the first quarter not final.
	_, corrs, err = statementstore.SaveDrafts(ctx, s, []comp.Statement{statement("P1", "1000.00", "400.00")})
	if err != nil || len(corrs) != 1 || corrs[0].ToQuarter != "2027Q1" || corrs[0].Delta.StringFixed(2) != "-12.35" {
		t.Fatalf("correction after the next quarter is final: %+v %v", corrs, err)
	}
	if got, err := statementstore.Corrections(ctx, s, "2027Q1"); err != nil || len(got) != 1 || got[0].ID != corrs[0].ID {
		t.Fatalf("2027Q1 corrections: %+v %v", got, err)
	}
	// The same recomputation again: already paid across both quarters.
	if os, corrs, err := statementstore.SaveDrafts(ctx, s, []comp.Statement{statement("P1", "1000.00", "400.00")}); err != nil || len(corrs) != 0 || os[0].Action != "unchanged" {
		t.Fatalf("repeat: %+v %+v %v", os, corrs, err)
	}
}

func testConcurrentApproversOneWins(t *testing.T, newStore func(t *testing.T) results.Store) {
	ctx := context.Background()
	for round := 0; round < 20; round++ {
		s := newStore(t)
		mustSave(t, s, statement("P1", "1000.00", "500.00"))
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, who := range []string{"alice", "bob"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = statementstore.Approve(ctx, s, "2026Q3", []string{"P1"}, ident(who), at, nil)
			}()
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, statementstore.ErrAlreadyApproved):
				t.Fatalf("loser got %v, want statementstore.ErrAlreadyApproved", err)
			}
		}
		st, _ := statementstore.Get(ctx, s, "2026Q3", "P1")
		if wins != 1 || st.Version != 2 {
			t.Fatalf("round %d: %d winners, version %d", round, wins, st.Version)
		}
	}
}

// lostResponse applies the first Put and then reports a failed condition,
// as DynamoDB does when the SDK retries a write whose response was lost.
type lostResponse struct {
	results.Store
	mu   sync.Mutex
	lost bool
}

func (l *lostResponse) Put(ctx context.Context, it results.Item, cond results.Condition) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.Store.Put(ctx, it, cond); err != nil {
		return err
	}
	if !l.lost {
		l.lost = true
		return results.ErrConditionFailed
	}
	return nil
}

func testLostResponseCountsAsSuccess(t *testing.T, newStore func(t *testing.T) results.Store) {
	ctx := context.Background()
	s := &lostResponse{Store: newStore(t)}
	os, _, err := statementstore.SaveDrafts(ctx, s, []comp.Statement{statement("P1", "1000.00", "500.00")})
	if err != nil || os[0].Action != "created" {
		t.Fatalf("create with lost response: %+v %v", os, err)
	}
	s.lost = false
	out, err := statementstore.Approve(ctx, s, "2026Q3", nil, ident("fin"), at, nil)
	if err != nil || out[0].Action != "approved" || out[0].Version != 2 {
		t.Fatalf("approve with lost response: %+v %v", out, err)
	}
}

func testMissingStatement(t *testing.T, newStore func(t *testing.T) results.Store) {
	if _, err := statementstore.Approve(context.Background(), newStore(t), "2026Q3", []string{"nobody"}, ident("fin"), at, nil); !errors.Is(err, statementstore.ErrNotFound) {
		t.Fatalf("approve missing: %v", err)
	}
}

const sdrPlan = `
id: sdr
version: 1
name: SDR
effective_from: 2026-01-01
currency: USD
target_variable: 9000
components:
  - id: sqls_bonus
    kind: attainment_bonus
    weight: 1
    metric: {kpi: sqls, scope: individual}
    target: 30
    curve:
      threshold: 0.5
      cap: 1.5
      points: [{attainment: 0.5, payout: 0.5}, {attainment: 1.5, payout: 1.5}]
`

func quarterRun(t *testing.T, q string, sqls int64, corrections []comp.Correction) []comp.Statement {
	t.Helper()
	plan, err := comp.ParsePlan("sdr.yaml", []byte(sdrPlan))
	if err != nil {
		t.Fatal(err)
	}
	// sqls SQLs accepted in the quarter, one a day from its first day.
	qq := period.MustParse(q)
	var acts []comp.Activity
	for i := int64(0); i < sqls; i++ {
		acts = append(acts, comp.Activity{KPI: "sqls", PersonID: "005A", Date: qq.Start().AddDate(0, 0, int(i)), Ref: fmt.Sprintf("00Q%03d", i)})
	}
	out, err := comp.Run(comp.RunInput{
		Quarter:     qq,
		People:      []comp.Person{{ID: "005A", EmployeeID: "E1", Name: "Nina Brooks", Currency: "USD"}},
		Plans:       []*comp.Plan{plan},
		Assignments: &comp.Assignments{People: []comp.PersonAssignment{{Person: "005A", Plan: "sdr", From: comp.Day{Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}}}},
		Activities:  acts,
		KnownKPI:    func(name string) bool { return name == "sqls" },
		Corrections: corrections,
		CodeVersion: "e2e",
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Statements
}

// The engine's statements through the whole lifecycle: saved twice
// (idempotent), approved, final, recomputed with a restated KPI (a
// correction, no overwrite), and the correction paid in the next quarter.
func testEngineStatementsThroughLifecycle(t *testing.T, newStore func(t *testing.T) results.Store) {
	ctx := context.Background()
	s := newStore(t)
	// 33 SQLs of 30: attainment 110%, payout 110%, 9,000 × 1.1 = 9,900.00.
	q3 := quarterRun(t, "2026Q3", 33, nil)
	if got := mustSave(t, s, q3...); got[0].Action != "created" {
		t.Fatalf("%+v", got)
	}
	if got := mustSave(t, s, quarterRun(t, "2026Q3", 33, nil)...); got[0].Action != "unchanged" {
		t.Fatalf("same inputs saved again: %+v", got)
	}
	if _, err := statementstore.Approve(ctx, s, "2026Q3", nil, ident("fin"), at, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := statementstore.Finalize(ctx, s, "2026Q3", nil, ident("cfo"), at, nil); err != nil {
		t.Fatal(err)
	}
	// SQLs restated to 31: 103.33%, 9,300.00; the correction is −600.00.
	_, corrs, err := statementstore.SaveDrafts(ctx, s, quarterRun(t, "2026Q3", 31, nil))
	if err != nil || len(corrs) != 1 || corrs[0].Delta.StringFixed(2) != "-600.00" {
		t.Fatalf("correction %+v %v", corrs, err)
	}
	if st, _ := statementstore.Get(ctx, s, "2026Q3", "005A"); st.Statement.Total.StringFixed(2) != "9900.00" || st.Status != comp.StatusFinal {
		t.Fatalf("final statement changed: %s %s", st.Status, st.Statement.Total)
	}
	pending, err := statementstore.Corrections(ctx, s, "2026Q4")
	if err != nil {
		t.Fatal(err)
	}
	// Q4: 30 SQLs → 9,000.00, less the −600.00 correction = 8,400.00.
	q4 := quarterRun(t, "2026Q4", 30, pending)
	if q4[0].Total.StringFixed(2) != "8400.00" || q4[0].Lines[1].Kind != comp.LinePriorPeriod {
		t.Fatalf("Q4 statement %s %+v", q4[0].Total, q4[0].Lines)
	}
	if got := mustSave(t, s, q4...); got[0].Action != "created" {
		t.Fatalf("%+v", got)
	}
}

// testGuardRefusalMovesNothing: a statement the guard refuses keeps its
// status and version; the others move; the error names the statement.
func testGuardRefusalMovesNothing(t *testing.T, newStore func(t *testing.T) results.Store) {
	ctx := context.Background()
	s := newStore(t)
	mustSave(t, s, statement("P1", "1000.00", "500.00"), statement("P2", "200.00", "0.00"))
	refused := errors.New("refused by the test guard")
	var seen []string
	guard := func(action string, rec *statementstore.Record) error {
		seen = append(seen, action+" "+rec.Statement.PersonID+" "+rec.Status)
		if rec.Statement.PersonID == "P1" {
			return refused
		}
		return nil
	}
	os, err := statementstore.Approve(ctx, s, "2026Q3", []string{"P1"}, ident("fin"), at, guard)
	if !errors.Is(err, refused) || os[0].Version != 1 || os[0].Action != "" {
		t.Fatalf("refused approve: %+v %v", os, err)
	}
	if st, _ := statementstore.Get(ctx, s, "2026Q3", "P1"); st.Status != comp.StatusDraft || st.Version != 1 || st.ApprovedBy != "" {
		t.Fatalf("a refused statement moved: %s v%d by %q", st.Status, st.Version, st.ApprovedBy)
	}
	if _, err := statementstore.Approve(ctx, s, "2026Q3", []string{"P2"}, ident("fin"), at, guard); err != nil {
		t.Fatal(err)
	}
	if _, err := statementstore.Finalize(ctx, s, "2026Q3", []string{"P2"}, ident("cfo"), at, guard); err != nil {
		t.Fatal(err)
	}
	want := []string{"approve P1 draft", "approve P2 draft", "finalize P2 approved"}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Fatalf("guard saw %v, want %v", seen, want)
	}
}
