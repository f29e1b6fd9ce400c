package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/comp/statementstore"
	compconfig "github.com/venn-revops/venn/shared/config/comp"
	"github.com/venn-revops/venn/shared/democrm"
	"github.com/venn-revops/venn/shared/dynamo"
	"github.com/venn-revops/venn/shared/dynamo/dynamotest"
	"github.com/venn-revops/venn/shared/extract"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
	"github.com/venn-revops/venn/shared/pipeline"
	"github.com/venn-revops/venn/shared/results"
	"github.com/venn-revops/venn/shared/results/localstore"
	"github.com/venn-revops/venn/shared/runledger"
	"github.com/venn-revops/venn/shared/salesforce"
)

// TestCloseThenRerun is the runbook's quarter close followed by its "rerun a
// quarter", through the jobs' real handlers (event parsing, planning, run
// ledger) over the demo CRM, on the local store and on DynamoDB (dynalite):
// the shipped rerun events sent after the close replay it; a quarter
// without a mode is that quarter's close; quarters out of range are refused
// before anything runs; after finalizing, a rerun over changed inputs is a
// new run that leaves the final statements as they are and books the
// difference as a correction for the next quarter.
func TestCloseThenRerun(t *testing.T) {
	if testing.Short() {
		t.Skip("extracts the demo org")
	}
	stores := []struct {
		name string
		open func(t *testing.T) results.Store
	}{
		{"local", func(t *testing.T) results.Store {
			s, err := localstore.Open("")
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
		{"dynalite", func(t *testing.T) results.Store {
			srv := dynamotest.Start(t)
			return dynamo.New(srv.Client(), srv.NewTable(t), dynamo.WithBatchRetry(10, time.Millisecond, 5*time.Millisecond))
		}},
	}
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) { closeThenRerun(t, s.open(t)) })
	}
}

func closeThenRerun(t *testing.T, store results.Store) {
	ctx := context.Background()
	org := democrm.Generate(democrm.Config{})
	asOf := democrm.DefaultAsOf // 2026-11-20: 2026Q3 is the closed quarter
	org.SetClock(asOf)
	base, stop := democrm.NewServer(org, democrm.WithClientCredentials("id", "secret")).Start()
	t.Cleanup(stop)
	client, err := salesforce.New(salesforce.Config{LoginURL: base, ClientID: "id", ClientSecret: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	blob, err := fsblob.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	var logs bytes.Buffer
	env := &pipeline.Env{Blob: blob, Store: store, Logger: slog.New(slog.NewJSONHandler(&logs, nil)), Now: func() time.Time { return asOf.Add(time.Since(began)) },
		CodeVersion: "test", KPIConfig: kpi.DefaultConfig(), CompConfig: compconfig.FS(),
		PII: lake.PII{Key: []byte("lifecycle test key")}, TempDir: t.TempDir()}
	if _, err := env.Extract(ctx, extract.FromSalesforce(client), pipeline.Event{Job: "extract", Mode: pipeline.ModeNightly}); err != nil {
		t.Fatal(err)
	}
	ledger := runledger.New(store)
	handlers := map[string]func(context.Context, json.RawMessage) (json.RawMessage, error){
		"kpi":     env.Handler("kpi", ledger, env.PlanKPI()),
		"payouts": env.Handler("payouts", ledger, env.PlanPayouts()),
		"approve": env.Handler("approve", ledger, env.PlanApprove()),
	}
	send := func(job, raw string) (json.RawMessage, error) {
		if strings.HasSuffix(raw, ".json") {
			b, err := os.ReadFile("../../functions/" + job + "/" + raw)
			if err != nil {
				t.Fatal(err)
			}
			raw = string(b)
		}
		return handlers[job](ctx, json.RawMessage(raw))
	}
	must := func(job, raw string) json.RawMessage {
		t.Helper()
		out, err := send(job, raw)
		if err != nil {
			t.Fatalf("%s %s: %v", job, raw, err)
		}
		return out
	}

	// The close, as the quarterly schedule sends it.
	kpiClose := must("kpi", "event-close.json")
	payClose := must("payouts", "event.json")
	// The runbook's rerun of the closed quarter over unchanged inputs, and
	// a quarter without a mode (the close of that quarter): replays.
	for _, ev := range []struct{ job, raw string }{
		{"kpi", "event-rerun.json"}, {"kpi", `{"quarter":"2026Q3"}`},
		{"payouts", "event-rerun.json"}, {"payouts", `{"job":"payouts","quarter":"2026Q3"}`},
	} {
		want := kpiClose
		if ev.job == "payouts" {
			want = payClose
		}
		if got := must(ev.job, ev.raw); !bytes.Equal(got, want) {
			t.Errorf("%s %s after the close: answered %s, want the close's stored result %s", ev.job, ev.raw, got, want)
		}
	}
	stmts, err := statementstore.List(ctx, store, "2026Q3")
	if err != nil || len(stmts) == 0 {
		t.Fatalf("statements after the close: %d, %v", len(stmts), err)
	}
	for _, s := range stmts {
		if s.Version != 1 || s.Status != "draft" {
			t.Errorf("%s: v%d %s after replays, want the close's first draft", s.Statement.PersonID, s.Version, s.Status)
		}
	}

	// Out of range or meaningless: refused, naming the field, before any work.
	for _, ev := range []struct{ job, raw, want string }{
		{"payouts", `{"mode":"rerun","quarter":"2026Q4"}`, "payouts event: quarter: 2026Q4 has not closed yet"},
		{"kpi", `{"mode":"rerun","quarter":"1999Q1"}`, "kpi event: quarter: 1999Q1 is before the earliest quarter"},
		{"kpi", `{"mode":"rerun","quarter":"2026Q5"}`, "kpi event: quarter: quarter \"2026Q5\": quarter must be 1 to 4"},
		{"kpi", `{"mode":"qtd","quarter":"2026Q3"}`, "kpi event: quarter: qtd computes the quarter to date of 2026-11-20 (2026Q4), not 2026Q3"},
	} {
		if _, err := send(ev.job, ev.raw); err == nil || !strings.Contains(err.Error(), ev.want) {
			t.Errorf("%s %s: want %q, got %v", ev.job, ev.raw, ev.want, err)
		}
	}

	approveAndFinalize(t, ctx, store, handlers["approve"])
	final, err := statementstore.List(ctx, store, "2026Q3")
	if err != nil {
		t.Fatal(err)
	}

	// Changed inputs: a 100.00 adjustment added for one person. The rerun is
	// a new run; the final statements stay as they were; the 100.00 is a
	// correction paid in the next quarter (2026Q4).
	const person = "005000000000007AAA"
	env.CompConfig = withAdjustment(t, compconfig.FS(), `
  - id: ADJ-2026Q3-LIFECYCLE
    person: `+person+`
    quarter: 2026Q3
    amount: 100.00
    currency: USD
    reason: "late SPIF, booked after the close"
    author: finance.ops@example.com
`)
	rerun := must("payouts", "event-rerun.json")
	if bytes.Equal(rerun, payClose) {
		t.Fatalf("a rerun over changed inputs replayed the close: %s", rerun)
	}
	var sum struct{ Corrections int }
	if err := json.Unmarshal(rerun, &sum); err != nil || sum.Corrections != 1 {
		t.Fatalf("rerun answered %s (%v), want one correction", rerun, err)
	}
	after, err := statementstore.List(ctx, store, "2026Q3")
	if err != nil || len(after) != len(final) {
		t.Fatalf("statements after the rerun: %d of %d, %v", len(after), len(final), err)
	}
	for i := range final {
		a, b := final[i], after[i]
		if b.Status != "final" || b.Version != a.Version || !b.Statement.Total.Decimal.Equal(a.Statement.Total.Decimal) {
			t.Errorf("final statement %s: %s v%d total %s after the rerun, was v%d total %s", a.Statement.PersonID, b.Status, b.Version, b.Statement.Total.Decimal, a.Version, a.Statement.Total.Decimal)
		}
	}
	corr, err := statementstore.Corrections(ctx, store, "2026Q4")
	if err != nil || len(corr) != 1 || corr[0].PersonID != person || corr[0].FromQuarter != "2026Q3" || !corr[0].Delta.Decimal.Equal(decimal.RequireFromString("100.00")) {
		t.Fatalf("corrections for 2026Q4: %+v, %v; want %s +100.00 from 2026Q3", corr, err, person)
	}
	// The same rerun sent again replays the new run.
	if again := must("payouts", "event-rerun.json"); !bytes.Equal(again, rerun) {
		t.Errorf("the changed-input rerun sent again answered %s, want %s", again, rerun)
	}

	disputeFinalStatement(t, ctx, store, handlers["approve"], &logs)
}

// disputeFinalStatement walks a dispute through the approve handler on
// Alex Romero's final 2026Q3 statement: he raises it (signed in under his
// email, matched through the lake's HMAC), a stranger may not, Maria Chen
// (his manager, local:maria.chen in approvals.yaml) answers, a reply for a
// stale version is refused, finance resolves with an adjustment of 250.00
// paid in 2026Q4 (his next statement that is not final). The texts and the
// amount never reach the logs.
func disputeFinalStatement(t *testing.T, ctx context.Context, store results.Store, h func(context.Context, json.RawMessage) (json.RawMessage, error), logs *bytes.Buffer) {
	t.Helper()
	const alex, maria = "005000000000002AAA", "005000000000001AAA"
	st, err := statementstore.Get(ctx, store, "2026Q3", alex)
	if err != nil {
		t.Fatal(err)
	}
	line := st.Statement.Lines[0].Key
	type answer struct {
		Dispute      string `json:"dispute"`
		State        string `json:"state"`
		Version      int64  `json:"version"`
		PaidIn       string `json:"paid_in"`
		PaidInStatus string `json:"paid_in_status"`
	}
	send := func(who, raw string) (answer, error) {
		t.Helper()
		out, err := h(as(ctx, t, who), json.RawMessage(raw))
		if err != nil {
			return answer{}, err
		}
		var a answer
		if err := json.Unmarshal(out, &a); err != nil {
			t.Fatalf("%s: %s", out, err)
		}
		return a, nil
	}
	raise := `{"quarter":"2026Q3","action":"raise","dispute":{"person":"` + alex + `","line":"` + line + `","text":"SECRET-INQUIRY deal 006A02 split"}}`
	if _, err := send("stranger", raise); !errors.Is(err, comp.ErrApprovalRefused) || !strings.Contains(err.Error(), "rule not_party") {
		t.Fatalf("raise by a stranger: %v", err)
	}
	first, err := send("Alex.Romero@venn-demo.example", raise)
	if err != nil || first.Dispute != "2026Q3/"+alex+"/1" || first.State != "open" || first.Version != 1 {
		t.Fatalf("raise: %+v %v", first, err)
	}
	// A redelivery replays: still one dispute.
	if again, err := send("Alex.Romero@venn-demo.example", raise); err != nil || again != first {
		t.Fatalf("raise redelivered: %+v %v", again, err)
	}
	id := first.Dispute
	if a, err := send("maria.chen", `{"quarter":"2026Q3","action":"answer","dispute":{"id":"`+id+`","version":1,"text":"SECRET-ANSWER asking finance"}}`); err != nil || a.State != "answered" || a.Version != 2 {
		t.Fatalf("answer by the manager: %+v %v", a, err)
	}
	if _, err := send("Alex.Romero@venn-demo.example", `{"quarter":"2026Q3","action":"reply","dispute":{"id":"`+id+`","version":1,"text":"SECRET-REPLY"}}`); !errors.Is(err, statementstore.ErrStaleDispute) {
		t.Fatalf("a reply for version 1: %v", err)
	}
	if _, err := send("Alex.Romero@venn-demo.example", `{"quarter":"2026Q3","action":"resolve","dispute":{"id":"`+id+`","text":"SECRET-MINE","outcome":"adjustment","amount":"250.00"}}`); !errors.Is(err, comp.ErrApprovalRefused) || !strings.Contains(err.Error(), "rule own_pay") {
		t.Fatalf("resolving his own dispute: %v", err)
	}
	res, err := send("fin", `{"quarter":"2026Q3","action":"resolve","dispute":{"id":"`+id+`","version":2,"text":"SECRET-REASON split missed","outcome":"adjustment","amount":"250.00"}}`)
	if err != nil || res.State != "resolved" || res.PaidIn != "2026Q4" || res.PaidInStatus != "" || res.Version != 3 {
		t.Fatalf("resolve: %+v %v", res, err)
	}
	stored, err := statementstore.GetDispute(ctx, store, id)
	if err != nil || len(stored.History) != 3 || stored.History[1].By != "local:maria.chen" || stored.History[1].Role != comp.RoleManager ||
		len(stored.Routed) != 2 || stored.Routed[0].Person != maria {
		t.Fatalf("stored dispute %+v %v", stored, err)
	}
	adj, err := statementstore.DisputeAdjustments(ctx, store, "2026Q4")
	if err != nil || len(adj) != 1 || adj[0].Amount.StringFixed(2) != "250.00" || adj[0].PersonID != alex {
		t.Fatalf("adjustments paid in 2026Q4: %+v %v", adj, err)
	}
	// The read action: Alex, Maria (his manager) and finance read the whole
	// history; the log has ids and counts only. (Every local user is on
	// the demo's disputes.finance list, so the refusal of someone else is
	// tested through the Function URL, functions/lambda_test.go.)
	read := func(who, req string) ([]statementstore.StoredDispute, error) {
		t.Helper()
		out, err := h(as(ctx, t, who), json.RawMessage(`{"quarter":"2026Q3","action":"read","dispute":`+req+`}`))
		if err != nil {
			return nil, err
		}
		var r struct {
			Disputes []statementstore.StoredDispute
		}
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("%s: %s", out, err)
		}
		return r.Disputes, nil
	}
	for _, c := range []struct{ who, req string }{
		{"Alex.Romero@venn-demo.example", `{"id":"` + id + `"}`}, {"maria.chen", `{"person":"` + alex + `"}`}, {"fin", `{"id":"` + id + `"}`},
	} {
		ds, err := read(c.who, c.req)
		if err != nil || len(ds) != 1 || ds[0].Version != 3 || len(ds[0].History) != 3 || ds[0].History[0].Text != "SECRET-INQUIRY deal 006A02 split" ||
			ds[0].Resolution == nil || ds[0].Resolution.Amount.StringFixed(2) != "250.00" {
			t.Fatalf("read by %s: %+v %v", c.who, ds, err)
		}
	}
	if !strings.Contains(logs.String(), `"msg":"dispute read"`) {
		t.Errorf("no log of the read:\n%s", logs.String())
	}
	for _, leak := range []string{"SECRET", "250.00"} {
		if strings.Contains(logs.String(), leak) {
			t.Errorf("the logs hold %q:\n%s", leak, logs.String())
		}
	}
	if !strings.Contains(logs.String(), `"msg":"dispute resolve"`) {
		t.Errorf("no log of the resolve:\n%s", logs.String())
	}
}

// withAdjustment is the comp configuration with one more adjustment.
func withAdjustment(t *testing.T, base fs.FS, entry string) fs.FS {
	t.Helper()
	out := fstest.MapFS{}
	err := fs.WalkDir(base, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(base, path)
		if path == "adjustments.yaml" {
			b = append(bytes.TrimRight(b, "\n"), []byte("\n"+strings.TrimLeft(entry, "\n"))...)
		}
		out[path] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// as is ctx with local user name as the authenticated caller.
func as(ctx context.Context, t *testing.T, name string) context.Context {
	t.Helper()
	id, err := comp.LocalIdentity(name)
	if err != nil {
		t.Fatal(err)
	}
	return pipeline.WithCaller(ctx, id)
}

// approveAndFinalize walks the approval rules of the embedded
// approvals.yaml (local users may approve and finalize; four eyes; nobody
// moves their own statement) through the approve handler and the run
// ledger, on the quarter's drafts.
func approveAndFinalize(t *testing.T, ctx context.Context, store results.Store, h func(context.Context, json.RawMessage) (json.RawMessage, error)) {
	t.Helper()
	approve := json.RawMessage(`{"quarter":"2026Q3","action":"approve"}`)
	finalize := json.RawMessage(`{"quarter":"2026Q3","action":"finalize"}`)
	unmoved := func(status string) {
		t.Helper()
		st, err := statementstore.List(ctx, store, "2026Q3")
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range st {
			if s.Status != status {
				t.Fatalf("%s is %s after a refused request, want %s", s.Statement.ID, s.Status, status)
			}
		}
	}
	// No caller (a direct invoke): refused. A name in the event: refused.
	if _, err := h(ctx, approve); !errors.Is(err, pipeline.ErrNoCaller) {
		t.Fatalf("approve without a caller: %v", err)
	}
	if _, err := h(as(ctx, t, "fin"), json.RawMessage(`{"quarter":"2026Q3","action":"approve","approver":"fin"}`)); err == nil ||
		!strings.Contains(err.Error(), "approver: not accepted: the approver is the authenticated caller") {
		t.Fatalf("approve naming an approver: %v", err)
	}
	// Alex Romero (005000000000002AAA, alex.romero@venn-demo.example in the
	// demo org) signs in under his email: the lake holds his email as an
	// HMAC, which his hashed email matches, so the request is refused as a
	// whole and nothing moves.
	_, err := h(as(ctx, t, "Alex.Romero@venn-demo.example"), approve)
	if !errors.Is(err, comp.ErrApprovalRefused) || !strings.Contains(err.Error(), "statement 2026Q3/005000000000002AAA of Alex Romero (005000000000002AAA)") ||
		!strings.Contains(err.Error(), "rule own_pay") || !strings.Contains(err.Error(), "nothing was moved") {
		t.Fatalf("self-approval: %v", err)
	}
	unmoved(comp.StatusDraft)
	// He may approve the others' statements, not his own.
	st, _ := statementstore.List(ctx, store, "2026Q3")
	var others []string
	for _, s := range st {
		if s.Statement.PersonID != "005000000000002AAA" {
			others = append(others, s.Statement.PersonID)
		}
	}
	if len(others) != len(st)-1 {
		t.Fatalf("Alex Romero has no statement in 2026Q3 (%d statements)", len(st))
	}
	// fin approves all; a redelivery replays; the same event from another
	// caller is another request (and finds them approved by fin).
	first, err := h(as(ctx, t, "fin"), approve)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := h(as(ctx, t, "fin"), approve); err != nil || !bytes.Equal(again, first) {
		t.Fatalf("redelivery by the same caller: %s %v, want the stored %s", again, err, first)
	}
	if _, err := h(as(ctx, t, "fin2"), approve); !errors.Is(err, statementstore.ErrAlreadyApproved) {
		t.Fatalf("the same approval by another caller: %v, want already approved", err)
	}
	// Four eyes: fin may not finalize what fin approved.
	_, err = h(as(ctx, t, "fin"), finalize)
	if !errors.Is(err, comp.ErrApprovalRefused) || !strings.Contains(err.Error(), "rule four_eyes") || !strings.Contains(err.Error(), "fin (local:fin)") {
		t.Fatalf("finalize by the approver: %v", err)
	}
	unmoved(comp.StatusApproved)
	if _, err := h(as(ctx, t, "ctrl"), finalize); err != nil {
		t.Fatal(err)
	}
	st, _ = statementstore.List(ctx, store, "2026Q3")
	for _, s := range st {
		if s.Status != comp.StatusFinal || s.ApprovedBy != "local:fin" || s.FinalBy != "local:ctrl" || s.FinalIdentity == nil || s.FinalIdentity.Principal != "local user ctrl" {
			t.Errorf("%s: %s, approved by %q, final by %q", s.Statement.ID, s.Status, s.ApprovedBy, s.FinalBy)
		}
	}
}
