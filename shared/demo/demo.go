// Package demo runs Venn end to end on the embedded demo org: the demo CRM
// served on 127.0.0.1, the real Salesforce client, a local-folder lake and the
// embedded results store. `make demo` and the end-to-end test run it.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/venn-revops/venn/shared/comp"
	compconfig "github.com/venn-revops/venn/shared/config/comp"
	"github.com/venn-revops/venn/shared/configstore"
	"github.com/venn-revops/venn/shared/democrm"
	"github.com/venn-revops/venn/shared/extract"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
	"github.com/venn-revops/venn/shared/money"
	"github.com/venn-revops/venn/shared/period"
	"github.com/venn-revops/venn/shared/pipeline"
	"github.com/venn-revops/venn/shared/results/localstore"
	"github.com/venn-revops/venn/shared/salesforce"
	"github.com/venn-revops/venn/shared/score"
)

// Options configure the demo run.
type Options struct {
	// Out is the demo's output folder (lake/, results.json). The demo
	// resets it, but only if it is empty or was made by an earlier demo.
	Out string
	// Org is the demo org's configuration (zero: the embedded defaults).
	Org democrm.Config
	// CompConfig overrides the embedded sample comp configuration.
	CompConfig fs.FS
	// Logger receives the jobs' structured logs (nil: discarded).
	Logger *slog.Logger
}

// Report is everything the demo did, for the printout and the
// end-to-end test.
type Report struct {
	Org         *democrm.Org
	Nights      []extract.Summary
	Changes     democrm.NightSummary
	Closed      period.Quarter   // the last closed quarter
	ClosedKPIs  *pipeline.KPIRun // its final figures
	PrevClosed  *pipeline.KPIRun // the quarter before (final), paid and finalized first
	QTD         *pipeline.KPIRun // the quarter to date
	QTDPrev     *kpi.Result      // the same point of the previous quarter
	PrevPayouts *pipeline.PayoutRun
	// Dispute is the demo's dispute on a PrevPayouts line, resolved with an
	// adjustment that Payouts pays (dispute.go).
	Dispute  *pipeline.DisputeOutcome
	Payouts  *pipeline.PayoutRun
	Approval *pipeline.Approval
	Score    *pipeline.ScoreRun  // lead scoring over the same lake
	WhatIf   *pipeline.WhatIfRun // quarter-to-date earnings and the what-if
	Lake     string
	Results  string
}

const demoMarker = ".venn-demo"

// demoClient credentials: the demo CRM accepts exactly these.
const (
	demoClientID     = "venn-demo"
	demoClientSecret = "venn-demo-secret"
	// The local identities the demo acts as (approvals.yaml lets local runs
	// approve and finalize): two people, since four_eyes is on. make
	// approve then finalizes as the OS user, a third.
	demoApprover   = "finance.demo"
	demoController = "controller.demo"
)

// PII is the demo's PII configuration: a fixed key, not a secret, so the
// demo's lake can be matched against again (venn approve on the demo's
// folder).
func PII() lake.PII { return lake.PII{Key: []byte("venn-demo-pii-key: not a secret, demo only")} }

// demoCaller is ctx acting as the demo's local identity user.
func demoCaller(ctx context.Context, user string) context.Context {
	id, err := comp.LocalIdentity(user)
	if err != nil {
		panic(err) // the constants above are valid user names
	}
	return pipeline.WithCaller(ctx, id)
}

// RunDemo runs the whole job on the embedded demo org and prints what a
// newcomer should see to w: two nightly extracts (initial, then incremental
// after a day of changes in the CRM), the closed quarter's final KPIs and its
// payouts (approved and exported), and the quarter-to-date scorecard.
func Run(ctx context.Context, opt Options, w io.Writer) (*Report, error) {
	if err := resetDemoFolder(opt.Out); err != nil {
		return nil, err
	}
	r := &Report{Lake: filepath.Join(opt.Out, "lake"), Results: filepath.Join(opt.Out, "results.json")}
	// The demo org has a custom invoice date the account executive plan
	// holds commission on (docs/comp-plans.md §11a).
	orgCfg := opt.Org
	orgCfg.Shape = democrm.WithInvoicePaidDate(orgCfg.Shape)
	r.Org = democrm.Generate(orgCfg)
	asOf := r.Org.Config().AsOf
	night1 := asOf.Add(-24 * time.Hour)

	srv := democrm.NewServer(r.Org, democrm.WithClientCredentials(demoClientID, demoClientSecret))
	base, stop := srv.Start()
	defer stop()
	client, err := salesforce.New(salesforce.Config{LoginURL: base, ClientID: demoClientID, ClientSecret: demoClientSecret, Logger: opt.Logger})
	if err != nil {
		return nil, err
	}
	blob, err := fsblob.New(r.Lake)
	if err != nil {
		return nil, err
	}
	store, err := localstore.Open(r.Results)
	if err != nil {
		return nil, err
	}
	compFS := opt.CompConfig
	if compFS == nil {
		compFS = compconfig.FS()
	}
	// The jobs' clock starts at the demo night and advances with the wall
	// clock, so durations are real and every run gets its own run ID.
	clock, began := night1, time.Now()
	now := func() time.Time { return clock.Add(time.Since(began)) }
	env := &pipeline.Env{Blob: blob, Store: store, Logger: opt.Logger, Now: now, CodeVersion: pipeline.CodeVersion(),
		KPIConfig: kpi.DefaultConfig(), CompConfig: compFS, PII: PII(), TempDir: filepath.Join(opt.Out, "tmp")}
	if opt.CompConfig == nil {
		// The embedded configuration through the store, as a deployment
		// without CONFIG_URI runs it: its version is on every output.
		if env.Config, err = configstore.Open(ctx, ""); err != nil {
			return nil, err
		}
		if err := env.LoadConfig(ctx); err != nil {
			return nil, err
		}
	}
	src := extract.FromSalesforce(client)

	// Night 1: the first extract pulls everything.
	fmt.Fprintf(w, "Venn demo: a synthetic Salesforce org served on %s (Salesforce REST protocol), lake in %s\n\n", base, r.Lake)
	r.Org.SetClock(night1)
	sum, err := env.Extract(ctx, src, pipeline.Event{Job: "extract", Mode: pipeline.ModeNightly})
	if err != nil {
		return r, err
	}
	r.Nights = append(r.Nights, sum)
	fmt.Fprintf(w, "== Night %s: initial extract ==\n", night1.Format(time.DateOnly))
	if err := sum.WriteTable(w); err != nil {
		return r, err
	}

	// A working day in the CRM: stage moves, new leads, a few deletes.
	r.Org.SetClock(night1.Add(8 * time.Hour))
	if r.Changes, err = r.Org.SimulateNight(1); err != nil {
		return r, err
	}
	fmt.Fprintf(w, "\n-- During the day the CRM changed: %s\n", describeChanges(r.Changes))

	// Night 2: the incremental extract picks up exactly those changes.
	clock, began = asOf, time.Now()
	r.Org.SetClock(asOf)
	if sum, err = env.Extract(ctx, src, pipeline.Event{Job: "extract", Mode: pipeline.ModeNightly}); err != nil {
		return r, err
	}
	r.Nights = append(r.Nights, sum)
	fmt.Fprintf(w, "\n== Night %s: incremental extract ==\n", asOf.Format(time.DateOnly))
	if err := sum.WriteTable(w); err != nil {
		return r, err
	}

	// Quarter close: the quarter before the closed one is paid and
	// finalized first, so the closed quarter can claw back its cancelled
	// deals.
	r.Closed = period.Of(asOf).Prev()
	prev := r.Closed.Prev()
	if r.PrevClosed, err = env.KPIFor(ctx, prev, prev.End(), true); err != nil {
		return r, err
	}
	if r.PrevPayouts, err = env.PayoutsFor(ctx, prev); err != nil {
		return r, err
	}
	for _, step := range []struct{ action, who string }{{"approve", demoApprover}, {"finalize", demoController}} {
		if _, err := env.Approve(demoCaller(ctx, step.who), pipeline.Event{Job: "approve", Quarter: prev.String(), Action: step.action}); err != nil {
			return r, err
		}
	}
	// A rep queries a line of the final statement; the adjustment it is
	// resolved with is paid in the closed quarter's run below.
	if r.Dispute, err = raiseAndResolve(ctx, env, prev.String()); err != nil {
		return r, err
	}
	// Some people acknowledge the plan version they are paid on in the
	// closed quarter (venn plan ack); its statements say who has.
	if err := acknowledgePlans(ctx, env, r.Closed.String(), asOf); err != nil {
		return r, err
	}
	if r.ClosedKPIs, err = env.KPIFor(ctx, r.Closed, r.Closed.End(), true); err != nil {
		return r, err
	}
	if r.Payouts, err = env.PayoutsFor(ctx, r.Closed); err != nil {
		return r, err
	}
	if r.Approval, err = env.Approve(demoCaller(ctx, demoApprover), pipeline.Event{Job: "approve", Quarter: r.Closed.String(), Action: "approve"}); err != nil {
		return r, err
	}

	// The nightly quarter to date, against the same point of last quarter.
	cur := period.Of(asOf)
	if r.QTD, err = env.KPIFor(ctx, cur, asOf, false); err != nil {
		return r, err
	}
	if r.QTDPrev, err = env.ComputeKPIs(ctx, cur.Prev(), cur.SamePointIn(asOf, cur.Prev()), false); err != nil {
		return r, err
	}
	// The nightly quarter-to-date earnings and the rep's what-if.
	if r.WhatIf, err = env.WhatIfFor(ctx, cur, asOf); err != nil {
		return r, err
	}

	fmt.Fprintf(w, "\n== Scorecard: %s closed (final) against %s ==\n", r.Closed, prev)
	if err := kpi.WriteScorecard(w, r.ClosedKPIs.Result, r.PrevClosed.Result); err != nil {
		return r, err
	}
	fmt.Fprintf(w, "\n== Scorecard: %s to date (as of %s) against the same point of %s ==\n", cur, asOf.Format(time.DateOnly), cur.Prev())
	if err := kpi.WriteScorecard(w, r.QTD.Result, r.QTDPrev); err != nil {
		return r, err
	}
	fmt.Fprintf(w, "\n== Payouts %s (approved by %s) ==\n", r.Closed, r.Approval.Caller)
	if err := WritePayoutTable(w, r.Payouts.Statements); err != nil {
		return r, err
	}
	if err := writeDispute(w, r.Dispute, r.Payouts.Statements); err != nil {
		return r, err
	}
	if err := writeHolds(w, r.Closed.String(), r.Payouts.Statements); err != nil {
		return r, err
	}
	if err := writeAcks(ctx, w, env, r.Closed, opt.Out); err != nil {
		return r, err
	}
	if r.Score, err = env.Score(ctx); err != nil {
		return r, err
	}
	fmt.Fprintf(w, "\n== Lead scoring, measured on the most recent leads (docs/scoring.md) ==\n")
	if r.Score.Published {
		err = score.WriteReport(w, r.Score.Result)
	} else {
		_, err = fmt.Fprintf(w, "Not published: %s\n", r.Score.Refused)
	}
	if err != nil {
		return r, err
	}
	fmt.Fprintf(w, "\n== Files ==\n")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "CRM snapshots\t%s/crm/snapshot/object=<Object>/dt=<night>/ (committed by its _manifest-NNNNNN.json; readers go through it)\n", r.Lake)
	fmt.Fprintf(tw, "Rejected records\t%s/crm/rejects/\n", r.Lake)
	fmt.Fprintf(tw, "Gold KPIs\t%s/%s\n", r.Lake, r.ClosedKPIs.Gold.Partition)
	fmt.Fprintf(tw, "Attribution credits\t%s/%s (per opportunity, touch and model)\n", r.Lake, r.ClosedKPIs.Credits.Partition)
	fmt.Fprintf(tw, "Scorecard page (%s to date)\t%s/%s\n", cur, r.Lake, r.QTD.Scorecard.Page)
	fmt.Fprintf(tw, "Scorecard page (%s final)\t%s/%s\n", r.Closed, r.Lake, r.ClosedKPIs.Scorecard.Page)
	fmt.Fprintf(tw, "Weekly digest (text, HTML)\t%s/%s, digest.html\n", r.Lake, r.QTD.Scorecard.DigestText)
	fmt.Fprintf(tw, "Statements (JSON + text)\t%s/%s\n", r.Lake, r.Payouts.Lines.Meta["statements"])
	fmt.Fprintf(tw, "Plan documents (Markdown, HTML, text)\t%s/%s (venn plan doc renders them too)\n", r.Lake, r.Payouts.PlanDocs)
	fmt.Fprintf(tw, "What-if, %s to date (JSON + text)\t%s/%s (earned so far, what each open deal would add)\n", cur, r.Lake, r.WhatIf.Folder)
	fmt.Fprintf(tw, "Statement lines (Parquet)\t%s/%s\n", r.Lake, r.Payouts.Lines.Partition)
	fmt.Fprintf(tw, "Payroll export (current)\t%s/%s/ (payroll.csv; current.json names the run and its hash)\n", r.Lake, pipeline.CurrentFolder(r.Approval.Quarter))
	fmt.Fprintf(tw, "Payroll export (CSV)\t%s/%s\n", r.Lake, r.Approval.Export.Meta["csv"])
	if f := r.Approval.Export.Meta["csv_asc340"]; f != "" {
		fmt.Fprintf(tw, "Commission expense, ASC 340-40 (CSV)\t%s/%s (capitalised, amortised, expensed per person; accounting.yaml; also in current/)\n", r.Lake, f)
	}
	fmt.Fprintf(tw, "Payroll export (Parquet)\t%s/%s\n", r.Lake, r.Approval.Export.Partition)
	if r.Score.Published {
		fmt.Fprintf(tw, "Lead scores\t%s/%s (by score band: %s)\n", r.Lake, r.Score.Scores.Partition, r.Score.Bands.Partition)
	}
	fmt.Fprintf(tw, "Results store\t%s\n", r.Results)
	fmt.Fprintf(tw, "Finalize the quarter\tmake approve ACTION=finalize QUARTER=%s\n", r.Closed)
	return r, tw.Flush()
}

// WritePayoutTable prints one row per person and line kind, and the totals.
func WritePayoutTable(w io.Writer, stmts []comp.Statement) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "Person\tTeam\tPlan\tBonus\tCommission\tClawback\tAdjustment\tTotal\t")
	total := money.Sum()
	for _, s := range stmts {
		bonus, commission, clawback, adjustment := s.Subtotals()
		plans := make([]string, 0, len(s.Plans))
		for _, p := range s.Plans {
			use := p.Plan
			if p.Days < p.QuarterDays {
				use += fmt.Sprintf(" (%d/%d days)", p.Days, p.QuarterDays)
			}
			plans = append(plans, use)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s %s\t\n", s.Name, s.Team, strings.Join(plans, " + "),
			money.Format(bonus), money.Format(commission), money.Format(clawback), money.Format(adjustment), money.Format(s.Total.Decimal), s.Currency)
		total = total.Add(s.Total.Decimal)
	}
	fmt.Fprintf(tw, "Total\t\t\t\t\t\t\t%s\t\n", money.Format(total))
	return tw.Flush()
}

func describeChanges(s democrm.NightSummary) string {
	var parts []string
	for _, kind := range []struct {
		verb string
		m    map[string][]string
	}{{"updated", s.Updated}, {"inserted", s.Inserted}, {"deleted", s.Deleted}} {
		names := make([]string, 0, len(kind.m))
		for obj := range kind.m {
			names = append(names, obj)
		}
		sort.Strings(names)
		for _, obj := range names {
			parts = append(parts, fmt.Sprintf("%d %s %s", len(kind.m[obj]), obj, kind.verb))
		}
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}

// resetDemoFolder empties out, refusing to touch a folder the demo did not
// make: a rerun starts from the same empty state and prints the same numbers.
func resetDemoFolder(out string) error {
	if out == "" {
		return errors.New("demo: no output folder")
	}
	entries, err := os.ReadDir(out)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("demo: %w", err)
	}
	if len(entries) > 0 {
		if _, err := os.Stat(filepath.Join(out, demoMarker)); err != nil {
			return fmt.Errorf("demo: %s is not empty and was not made by the demo; choose another --out", out)
		}
		if err := os.RemoveAll(out); err != nil {
			return fmt.Errorf("demo: reset %s: %w", out, err)
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(out, "tmp"), 0o755); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	return os.WriteFile(filepath.Join(out, demoMarker), []byte("made by `venn demo`; the next demo run empties this folder\n"), 0o644)
}
