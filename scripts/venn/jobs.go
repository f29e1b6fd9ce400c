package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/venn-revops/venn/shared/awsenv"
	"github.com/venn-revops/venn/shared/callerid"
	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/comp/statementstore"
	"github.com/venn-revops/venn/shared/demo"
	"github.com/venn-revops/venn/shared/extract"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/period"
	"github.com/venn-revops/venn/shared/pipeline"
	"github.com/venn-revops/venn/shared/salesforce"
)

// The commands print to these (tests run the built binary, so os.Stdout is
// what they read).
var (
	stdout io.Writer = os.Stdout
	stderr io.Writer = os.Stderr
)

// eventFlags are the flags every job command shares besides storage.
type eventFlags struct {
	event    string
	jsonOut  bool
	strs     map[string]*string
	flagSets *flag.FlagSet
}

func addEventFlags(fs *flag.FlagSet) *eventFlags {
	e := &eventFlags{flagSets: fs, strs: map[string]*string{}}
	fs.StringVar(&e.event, "event", "", "run this event `FILE` exactly, as the Lambda function takes it (functions/<job>/event*.json); no other event flag with it")
	fs.BoolVar(&e.jsonOut, "json", false, "print the job's JSON response (as the Lambda function returns it) instead of the report")
	return e
}

// str declares an event flag.
func (e *eventFlags) str(name, value, usage string) *string {
	p := e.flagSets.String(name, value, usage)
	e.strs[name] = p
	return p
}

// raw is the job's event: the --event file verbatim, or built from the
// flags; either is parsed as the Lambda function parses it, and a bad event
// is a usage error (exit 2) before anything is opened.
func (e *eventFlags) raw(job string, build func() pipeline.Event) ([]byte, pipeline.Event, error) {
	var raw []byte
	if e.event != "" {
		var set []string
		e.flagSets.Visit(func(f *flag.Flag) {
			if _, ok := e.strs[f.Name]; ok {
				set = append(set, "--"+f.Name)
			}
		})
		if len(set) > 0 {
			return nil, pipeline.Event{}, usagef("--event runs the file exactly: drop %s", strings.Join(set, ", "))
		}
		b, err := os.ReadFile(e.event)
		if err != nil {
			return nil, pipeline.Event{}, usagef("--event: %v", err)
		}
		raw = b
	} else {
		ev := build()
		ev.Job = job
		raw, _ = json.Marshal(ev)
	}
	ev, err := pipeline.ParseEvent(raw, job)
	if err != nil {
		if e.event != "" {
			err = fmt.Errorf("%s: %w", e.event, err)
		}
		return nil, pipeline.Event{}, badUsage{err}
	}
	return raw, ev, nil
}

// jobAction is the action of a job command over an existing lake: the
// event from the flags (or --event), validated before anything is opened,
// run through the handler and run ledger, then reported.
func jobAction(job string, st *storageFlags, ef *eventFlags, build func() pipeline.Event, plan func(*backend) pipeline.Planner,
	report func(ctx context.Context, b *backend, out []byte) error) func(context.Context, []string) error {
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		raw, _, err := ef.raw(job, build)
		if err != nil {
			return err
		}
		b, err := st.open(ctx, existing)
		if err != nil {
			return err
		}
		out, err := b.run(ctx, job, raw, plan(b))
		if err != nil {
			return err
		}
		return b.done(job, ef, out, func() error { return report(ctx, b, out) })
	}
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// printResponse prints the raw response under --json, and says when the
// run ledger replayed a run already done.
func (b *backend) done(job string, e *eventFlags, out []byte, report func() error) error {
	if b.replayed.Load() {
		fmt.Fprintf(stderr, "venn %s: this run was already done over the same inputs: the run ledger returned its stored result (nothing was recomputed)\n", job)
	}
	if e.jsonOut {
		_, err := fmt.Fprintf(stdout, "%s\n", out)
		return err
	}
	return report()
}

func extractCommand() *command {
	return &command{
		name:     "extract",
		summary:  "pull Salesforce into the lake (nightly, full resync, backfill), as the extract Lambda",
		synopsis: "extract [--mode nightly|full_resync|backfill|plan] [--objects Lead,...] [--from D --to D | --quarter Q] [storage] [--credentials FILE] [--quiet]",
		about: `Reads the Salesforce credentials from VENN_SF_LOGIN_URL, VENN_SF_CLIENT_ID and
VENN_SF_CLIENT_SECRET (or the JWT variables VENN_SF_USERNAME and VENN_SF_PRIVATE_KEY[_FILE]),
or --credentials FILE (the JSON of the Secrets Manager secret; not readable by other users).
Emails and phones are hashed with VENN_PII_KEY; extract refuses to run without it. VENN_NOW
pins the night. The same event run twice replays the first run's result (run ledger).
Progress per object (rows, pages, rows/s) goes to stderr; --quiet hides it.`,
		examples: []string{
			"venn extract --out mylake",
			"venn extract --out mylake --mode full_resync --objects Lead",
			"venn extract --out mylake --mode backfill --from 2026-11-01 --to 2026-11-08 --objects Opportunity",
			"venn extract --lake s3://my-lake/lake --results dynamodb://venn-results --event functions/extract/event.json",
		},
		setup: func(fs *flag.FlagSet) func(context.Context, []string) error {
			st := addStorage(fs)
			ef := addEventFlags(fs)
			mode := ef.str("mode", "", "nightly (default), full_resync, backfill, or plan (lists the nightly events and plans the slices of large first loads, pulls nothing)")
			objects := ef.str("objects", "", "comma-separated object API names (default: every configured object)")
			from := ef.str("from", "", "backfill: first day, YYYY-MM-DD")
			to := ef.str("to", "", "backfill: day after the last, YYYY-MM-DD")
			quarter := ef.str("quarter", "", "backfill: a whole quarter, e.g. 2026Q3 (instead of --from and --to)")
			creds := fs.String("credentials", "", "Salesforce credentials JSON `FILE` (default: the VENN_SF_* variables)")
			quiet := fs.Bool("quiet", false, "no progress lines on stderr")
			return func(ctx context.Context, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				raw, ev, err := ef.raw("extract", func() pipeline.Event {
					return pipeline.Event{Mode: *mode, Objects: splitList(*objects), From: *from, To: *to, Quarter: *quarter}
				})
				if err != nil {
					return err
				}
				if err := st.check(mayCreate); err != nil {
					return err
				}
				var source extract.Source
				var b *backend
				if st.lake != "" && *creds == "" && os.Getenv("CRM_SECRET_ARN") != "" {
					// The deployment's secrets, as the Lambda reads them.
					if b, err = st.open(ctx, mayCreate); err != nil {
						return err
					}
					if source, err = awsenv.Salesforce(ctx, b.cfg, b.clients, b.env, os.Getenv); err != nil {
						return err
					}
				} else {
					// Credentials and the PII key are checked before any
					// folder is created.
					cr, key, err := crmCredentials(*creds)
					if err != nil {
						return err
					}
					if b, err = st.open(ctx, mayCreate); err != nil {
						return err
					}
					if source, err = awsenv.SalesforceSource(b.cfg, b.env, cr, key); err != nil {
						return err
					}
				}
				if !*quiet {
					b.env.ExtractOptions.Progress = newProgressPrinter(stderr).report
				}
				out, err := b.run(ctx, "extract", raw, b.env.PlanExtract(source))
				if err != nil {
					return err
				}
				return b.done("extract", ef, out, func() error {
					if ev.Mode == pipeline.ModePlan {
						_, err := fmt.Fprintf(stdout, "%s\n", out)
						return err
					}
					var sum extract.Summary
					if err := json.Unmarshal(out, &sum); err != nil {
						return fmt.Errorf("extract response: %w", err)
					}
					fmt.Fprintf(stdout, "Extract of night %s (run %s) into %s\n", sum.Night, sum.RunID, b.where(""))
					return sum.WriteTable(stdout)
				})
			}
		},
	}
}

// crmCredentials reads the Salesforce credentials (a file, or the VENN_SF_*
// variables) and the PII key (VENN_PII_KEY).
func crmCredentials(file string) (salesforce.Credentials, string, error) {
	var cr salesforce.Credentials
	var err error
	if file != "" {
		if err := privateFile(file); err != nil {
			return cr, "", err
		}
		cr, err = salesforce.LoadCredentialsFile(file)
	} else {
		cr, err = salesforce.CredentialsFromEnv(os.Getenv)
		if err != nil {
			err = fmt.Errorf("%w; or pass --credentials FILE", err)
		}
	}
	if err != nil {
		return cr, "", fmt.Errorf("salesforce credentials: %w", err)
	}
	key := os.Getenv("VENN_PII_KEY")
	if key == "" && os.Getenv("PII_CLEAR") == "" {
		return cr, "", errors.New("VENN_PII_KEY is not set: the extract hashes emails and phones with it (a secret of at least 16 bytes; keep it, the same key gives the same hashes night after night)")
	}
	return cr, key, nil
}

// privateFile refuses a secrets file other users can read.
func privateFile(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("--credentials: %w", err)
	}
	if st.Mode().Perm()&0o004 != 0 {
		return fmt.Errorf("--credentials %s: readable by every user of this machine (mode %04o); it holds a Salesforce secret: chmod 600 %s", path, st.Mode().Perm(), path)
	}
	return nil
}

// kpiPayoutsFlags are the flags of the kpi and payouts events.
func quarterModeFlags(ef *eventFlags, job string) func() pipeline.Event {
	modes := "close (default: the quarter that just ended, final), rerun (with --quarter) or qtd (quarter to date)"
	if job == "payouts" {
		modes = "close (default: the quarter that just ended), rerun (with --quarter) or qtd (quarter-to-date earnings and the what-if)"
	}
	mode := ef.str("mode", "", modes)
	quarter := ef.str("quarter", "", "the quarter, e.g. 2026Q3")
	asof := ef.str("asof", "", "qtd or close: as of the end of this day, YYYY-MM-DD")
	return func() pipeline.Event { return pipeline.Event{Mode: *mode, Quarter: *quarter, AsOf: *asof} }
}

func kpiCommand() *command {
	return &command{
		name:     "kpi",
		summary:  "compute the KPI catalog of a quarter from the lake, as the kpi Lambda",
		synopsis: "kpi [--mode close|rerun|qtd] [--quarter Q] [--asof D] [storage]",
		about: `Writes the gold KPI tables to the lake and the values to the results store.
The same quarter over the same snapshots and definitions replays the stored result.`,
		examples: []string{
			"venn kpi --out mylake --mode rerun --quarter 2026Q3",
			"venn kpi --out mylake --mode qtd",
			"venn kpi --lake s3://my-lake/lake --results dynamodb://venn-results --event functions/kpi/event-close.json",
		},
		setup: func(fs *flag.FlagSet) func(context.Context, []string) error {
			st := addStorage(fs)
			ef := addEventFlags(fs)
			build := quarterModeFlags(ef, "kpi")
			return jobAction("kpi", st, ef, build, func(b *backend) pipeline.Planner { return b.env.PlanKPI() }, func(ctx context.Context, b *backend, out []byte) error {
				var r struct {
					Quarter string    `json:"quarter"`
					AsOf    time.Time `json:"as_of"`
					Final   bool      `json:"final"`
					Values  int       `json:"values"`
					Gold    string    `json:"gold"`
					Page    string    `json:"scorecard"`
				}
				if err := json.Unmarshal(out, &r); err != nil {
					return fmt.Errorf("kpi response: %w", err)
				}
				kind, flag := "to date", ""
				if r.Final {
					kind, flag = "final", " --final"
				}
				fmt.Fprintf(stdout, "KPIs %s (%s, as of %s): %d values\ngold table:     %s\nscorecard page: %s\nscorecard:      venn scorecard --quarter %s%s %s\n",
					r.Quarter, kind, r.AsOf.Format(time.RFC3339), r.Values, b.where(r.Gold), b.where(r.Page), r.Quarter, flag, st.flagsText())
				return nil
			})
		},
	}
}

// flagsText repeats the storage flags for a suggested next command.
func (s *storageFlags) flagsText() string {
	if s.lake != "" {
		return "--lake " + s.lake + " --results " + s.results
	}
	return "--out " + s.out
}

func payoutsCommand() *command {
	return &command{
		name:     "payouts",
		summary:  "compute the draft comp statements of a closed quarter, or the quarter to date and what-if, as the payouts Lambda",
		synopsis: "payouts [--mode close|rerun|qtd] [--quarter Q] [--asof DAY] [storage]",
		about: `Needs the quarter's final KPIs (venn kpi --mode rerun --quarter Q). Prints each
person's payout; the statements go to the lake and the results store as drafts, for approve.

--mode qtd (the nightly chain's last step) needs the night's quarter-to-date KPIs (venn kpi
--mode qtd): it writes each person's earnings so far and what closing each open deal would
add, as JSON and text beside the statements (comp/quarter=Q/whatif/asof=DAY/run=<id>/), and
prints only the folder: pay is private (docs/comp-plans.md, the what-if).`,
		examples: []string{
			"venn payouts --out mylake --mode rerun --quarter 2026Q3",
			"venn payouts --out mylake --mode qtd",
		},
		setup: func(fs *flag.FlagSet) func(context.Context, []string) error {
			st := addStorage(fs)
			ef := addEventFlags(fs)
			build := quarterModeFlags(ef, "payouts")
			return jobAction("payouts", st, ef, build, func(b *backend) pipeline.Planner { return b.env.PlanPayouts() }, func(ctx context.Context, b *backend, out []byte) error {
				var r struct {
					Quarter string `json:"quarter"`
					Lines   string `json:"lines"`
					AsOf    string `json:"as_of"`
					People  int    `json:"people"`
					Refused int    `json:"refused_deals"`
					Folder  string `json:"folder"`
				}
				if err := json.Unmarshal(out, &r); err != nil {
					return fmt.Errorf("payouts response: %w", err)
				}
				if r.Folder != "" {
					fmt.Fprintf(stdout, "What-if %s as of %s: %d people, %d open deal(s) refused\nfiles (one JSON and one text per person): %s\n", r.Quarter, r.AsOf, r.People, r.Refused, b.where(r.Folder))
					return nil
				}
				stored, err := statementstore.List(ctx, b.env.Store, r.Quarter)
				if err != nil {
					return err
				}
				stmts := make([]comp.Statement, 0, len(stored))
				for _, s := range stored {
					stmts = append(stmts, *s.Statement)
				}
				fmt.Fprintf(stdout, "Payouts %s: %d statements\n", r.Quarter, len(stmts))
				if err := demo.WritePayoutTable(stdout, stmts); err != nil {
					return err
				}
				fmt.Fprintf(stdout, "statement lines: %s\napprove: venn approve --quarter %s %s\n", b.where(r.Lines), r.Quarter, st.flagsText())
				return nil
			})
		},
	}
}

func approveCommand() *command {
	return &command{
		name:     "approve",
		summary:  "approve or finalize a quarter's statements and write the payroll export, as the approve Lambda",
		synopsis: "approve --quarter Q [--action approve|finalize] [--people id,...] [storage]",
		about: `The approver is whoever runs the command, never a flag: on AWS storage the identity
STS GetCallerIdentity gives for the command's credentials; on a local folder the OS user
(VENN_LOCAL_USER=name plays another local user: local trust only, the folder is yours).
shared/config/comp/approvals.yaml says who may approve and finalize (four eyes; nobody
approves their own statement); a refused request moves no statement.`,
		examples: []string{
			"venn approve --out out --quarter 2026Q3 --action finalize",
			"VENN_LOCAL_USER=controller.demo venn approve --out out --quarter 2026Q3 --action finalize",
		},
		setup: func(fs *flag.FlagSet) func(context.Context, []string) error {
			st := addStorage(fs)
			ef := addEventFlags(fs)
			quarter := ef.str("quarter", "", "the quarter, e.g. 2026Q3 (required)")
			action := ef.str("action", "approve", "approve or finalize")
			people := ef.str("people", "", "comma-separated person Ids (default: everyone)")
			build := func() pipeline.Event {
				return pipeline.Event{Quarter: *quarter, Action: *action, People: splitList(*people)}
			}
			return jobAction("approve", st, ef, build, approvePlanner, func(ctx context.Context, b *backend, out []byte) error {
				var r struct {
					Quarter  string `json:"quarter"`
					Action   string `json:"action"`
					Caller   string `json:"caller"`
					Outcomes []struct {
						Person  string `json:"person"`
						Action  string `json:"action"`
						Version int64  `json:"version"`
					} `json:"outcomes"`
					Export        string            `json:"export"`
					ExportStatus  string            `json:"export_status"`
					ExportCurrent map[string]string `json:"export_current"`
				}
				if err := json.Unmarshal(out, &r); err != nil {
					return fmt.Errorf("approve response: %w", err)
				}
				for _, o := range r.Outcomes {
					fmt.Fprintf(stdout, "%s  %s  v%d  %s\n", r.Quarter, o.Person, o.Version, o.Action)
				}
				fmt.Fprintf(stdout, "%s by %s\n", r.Action, r.Caller)
				// The stable current/ file is what finance imports; the run
				// folder only when an older stored response lacks it.
				if csv := r.ExportCurrent["csv"]; csv != "" {
					fmt.Fprintf(stdout, "payroll export (%s): %s\n", r.ExportStatus, b.where(csv))
					return nil
				}
				return printExport(ctx, b, r.Export)
			})
		},
	}
}

// approvePlanner plans the approve job for whoever runs the command
// (shared/callerid): STS's answer for the command's credentials on AWS
// storage, the local user on a folder. The PII key (VENN_PII_KEY, or
// PII_SECRET_ARN on AWS; the demo's on a folder without either) hashes the
// caller's email to find their own statement.
func approvePlanner(b *backend) pipeline.Planner {
	plan := b.env.PlanApprove()
	return func(ctx context.Context, ev pipeline.Event) (pipeline.Run, error) {
		var awsCfg *aws.Config
		if b.clients != nil {
			awsCfg = &b.clients.AWS
			if err := awsenv.LoadPII(ctx, b.cfg, b.clients, b.env, os.Getenv); err != nil {
				return pipeline.Run{}, err
			}
		} else if key := os.Getenv("VENN_PII_KEY"); key != "" {
			b.env.PII = lake.PII{Key: []byte(key)}
		} else {
			b.env.PII = demo.PII()
		}
		caller, err := callerid.ForStorage(ctx, awsCfg, os.Getenv)
		if err != nil {
			return pipeline.Run{}, fmt.Errorf("approve: %w", err)
		}
		return plan(pipeline.WithCaller(ctx, caller), ev)
	}
}

// printExport names the payroll CSV of an export manifest.
func printExport(ctx context.Context, b *backend, manifestKey string) error {
	if manifestKey == "" {
		return nil
	}
	m, err := readManifest(ctx, b, manifestKey)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "payroll export: %s\n", b.where(m.Meta["csv"]))
	return nil
}

func exportCommand() *command {
	return &command{
		name:     "export",
		summary:  "write the payroll export of a quarter's approved and final statements",
		synopsis: "export --quarter Q [--print] [storage]",
		about:    `Writes the payroll CSV and Parquet into the lake and prints where; --print also copies the CSV to stdout.`,
		examples: []string{
			"venn export --out out --quarter 2026Q3 --print > payroll.csv",
		},
		setup: func(fs *flag.FlagSet) func(context.Context, []string) error {
			st := addStorage(fs)
			quarter := fs.String("quarter", "", "the quarter, e.g. 2026Q3 (required)")
			print := fs.Bool("print", false, "copy the CSV to stdout (and the location to stderr)")
			return func(ctx context.Context, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				q, err := parseQuarter(*quarter)
				if err != nil {
					return err
				}
				b, err := st.open(ctx, existing)
				if err != nil {
					return err
				}
				exp, err := b.env.Export(ctx, q)
				if err != nil {
					return err
				}
				csvKey := exp.Current.Files["csv"]
				note := ""
				if exp.Unchanged {
					note = " (unchanged: the statements are as last exported, nothing new was written)"
				}
				w := stdout
				if *print {
					w = stderr
				}
				fmt.Fprintf(w, "payroll export %s: %s%s\n", q, b.where(csvKey), note)
				if !*print {
					return nil
				}
				rc, err := b.env.Blob.Get(ctx, csvKey)
				if err != nil {
					return fmt.Errorf("read %s: %w", b.where(csvKey), err)
				}
				defer rc.Close()
				_, err = io.Copy(stdout, rc)
				return err
			}
		},
	}
}

// parseQuarter reads a required --quarter (a usage error when bad).
func parseQuarter(s string) (period.Quarter, error) {
	if s == "" {
		return period.Quarter{}, usagef("--quarter is required, e.g. --quarter 2026Q3")
	}
	q, err := period.Parse(s)
	if err != nil {
		return q, usagef("--quarter: %v", err)
	}
	return q, nil
}

func scorecardCommand() *command {
	return &command{
		name:     "scorecard",
		summary:  "print the KPI scorecard of a quarter as the kpi job stored it",
		synopsis: "scorecard --quarter Q [--final | --asof D] [storage]",
		about: `Reads the stored values (nothing is computed): the final figures with --final,
otherwise the newest night's quarter to date (or the night --asof). A final scorecard is
compared with the previous quarter's final figures when they are stored.`,
		examples: []string{
			"venn scorecard --out out --quarter 2026Q3 --final",
			"venn scorecard --out out --quarter 2026Q4",
		},
		setup: func(fs *flag.FlagSet) func(context.Context, []string) error {
			st := addStorage(fs)
			quarter := fs.String("quarter", "", "the quarter, e.g. 2026Q3 (required)")
			final := fs.Bool("final", false, "the quarter's final figures (after close)")
			asof := fs.String("asof", "", "the quarter to date as of this night, YYYY-MM-DD (default: the newest)")
			return func(ctx context.Context, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				q, err := parseQuarter(*quarter)
				if err != nil {
					return err
				}
				if *asof != "" {
					if *final {
						return usagef("--final and --asof: final figures are as of the quarter's end")
					}
					if _, err := time.Parse(time.DateOnly, *asof); err != nil {
						return usagef("--asof %q: want YYYY-MM-DD", *asof)
					}
				}
				b, err := st.open(ctx, existing)
				if err != nil {
					return err
				}
				cur, err := b.env.StoredKPIs(ctx, q, *final, *asof)
				if err != nil {
					return err
				}
				var prev *kpi.Result
				if *final {
					// The comparison is optional: the previous quarter
					// may never have been closed.
					if p, err := b.env.StoredKPIs(ctx, q.Prev(), true, ""); err == nil {
						prev = p.Result
					}
				}
				if err := kpi.WriteScorecard(stdout, cur.Result, prev); err != nil {
					return err
				}
				// The shared page written beside the run's gold table
				// (runs before the page existed have none).
				gold, err := readManifest(ctx, b, cur.Gold)
				if err != nil {
					return err
				}
				page := pipeline.ScorecardFilesOf(gold).Page
				if rc, err := b.env.Blob.Get(ctx, page); err == nil {
					rc.Close()
					fmt.Fprintf(stdout, "scorecard page: %s\n", b.where(page))
				}
				return nil
			}
		},
	}
}

func demoCommand() *command {
	return &command{
		name:     "demo",
		summary:  "run every job end to end on the embedded demo org (no AWS, no network)",
		synopsis: "demo [--out out] [--leads N] [--seed S] [-v]",
		about: `Serves a synthetic Salesforce org on 127.0.0.1, extracts two nights, closes the
last quarter (KPIs, payouts, approval) and prints the scorecards. The --out folder is reset
on every run (only a folder the demo made).`,
		examples: []string{"venn demo", "venn demo --out /tmp/venn-demo --leads 20000"},
		setup: func(fs *flag.FlagSet) func(context.Context, []string) error {
			out := fs.String("out", "out", "output folder (reset on every demo run)")
			leads := fs.Int("leads", 0, "leads in the demo org (0: the default)")
			seed := fs.Int64("seed", 0, "generator seed (0: the default)")
			verbose := fs.Bool("v", false, "JSON logs of the jobs on stderr")
			return func(ctx context.Context, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				return runDemo(ctx, *out, *leads, *seed, *verbose)
			}
		},
	}
}
