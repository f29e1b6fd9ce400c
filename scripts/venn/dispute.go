package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/comp/statementstore"
	"github.com/venn-revops/venn/shared/money"
	"github.com/venn-revops/venn/shared/pipeline"
)

// disputeSubcommands are venn dispute's verbs: the dispute actions, then
// the two that only read.
var disputeSubcommands = []string{"raise", "answer", "reply", "resolve", "withdraw", "list", "show"}

func disputeCommand() *command {
	return &command{
		name:    "dispute",
		summary: "raise, answer, resolve and list inquiries on statement lines, as the approve Lambda",
		synopsis: `dispute raise --quarter Q --person ID --line KEY|N --text TEXT [storage]
dispute answer|reply|withdraw --id ID --text TEXT [--version N] [storage]
dispute resolve --id ID --text REASON --outcome no_change|adjustment [--amount X] [--version N] [storage]
dispute list --quarter Q [--person ID] [storage]
dispute show --quarter Q --person ID [--json] [storage]
dispute --event FILE [storage]   (a dispute event as the Lambda takes it)`,
		about: `A dispute is an inquiry on one line of a stored statement (docs/comp-plans.md,
"Disputes"). Who acts is whoever runs the command, as for venn approve (STS on AWS storage,
the OS user or VENN_LOCAL_USER on a folder): the person paid or a manager above them raises,
replies and withdraws; finance (approvals.yaml disputes.finance) answers and resolves, never
on their own pay; the manager it is routed to may answer. A resolve with an adjustment is paid
on the person's next payable statement (the first later quarter not final): run payouts for
that quarter. --line takes the line's key or its number as the statement text shows it.
--version is the dispute version you read (list shows it): if someone acted since, the
action is refused instead of applied to a dispute you have not seen. show prints the
statement with its disputes and their whole history.`,
		examples: []string{
			`venn dispute raise --out out --quarter 2026Q2 --person 005000000000002AAA --line 2 --text "006A07 is missing"`,
			`VENN_LOCAL_USER=finance.demo venn dispute resolve --out out --id 2026Q2/005000000000002AAA/1 --outcome adjustment --amount 312.45 --text "split corrected"`,
			"venn dispute show --out out --quarter 2026Q2 --person 005000000000002AAA",
		},
		setup: func(fs *flag.FlagSet) func(context.Context, []string) error {
			st := addStorage(fs)
			ef := addEventFlags(fs)
			quarter := fs.String("quarter", "", "the disputed statement's quarter, e.g. 2026Q2 (raise, list, show)")
			person := fs.String("person", "", "the person paid by the statement, a CRM User Id (raise, show; list: one person)")
			line := fs.String("line", "", "the disputed line: its key, or its number on the statement text (raise)")
			text := fs.String("text", "", "the inquiry, answer, reply or reason (required for every action)")
			id := fs.String("id", "", "the dispute, <quarter>/<person id>/<n> (answer, reply, resolve, withdraw)")
			version := fs.Int64("version", 0, "the dispute version acted on; refused if it moved since (0: the current one)")
			outcome := fs.String("outcome", "", "no_change or adjustment (resolve)")
			amount := fs.String("amount", "", "the adjustment, in the statement's currency, negative to take back (resolve)")
			return func(ctx context.Context, args []string) error {
				if len(args) == 0 && ef.event != "" {
					// A sample event (functions/approve/event-dispute-*.json), as the Lambda takes it.
					raw, ev, err := ef.raw("approve", nil)
					if err != nil {
						return err
					}
					if !pipeline.IsDisputeAction(ev.Action) {
						return usagef("--event: action %q is not a dispute action (venn approve runs approve and finalize)", ev.Action)
					}
					b, err := st.open(ctx, existing)
					if err != nil {
						return err
					}
					return runDispute(ctx, b, st, ef, raw)
				}
				if len(args) == 0 || !slices.Contains(disputeSubcommands, args[0]) {
					return usagef("want a subcommand: %s", strings.Join(disputeSubcommands, ", "))
				}
				sub := args[0]
				if ef.event != "" {
					return usagef("--event goes without a subcommand: venn dispute --event FILE runs the dispute event in FILE")
				}
				// The flags after the subcommand (the first parse stopped at it).
				if err := fs.Parse(args[1:]); err != nil {
					if errors.Is(err, flag.ErrHelp) {
						writeCommandHelp(stdout, disputeCommand(), fs)
						return nil
					}
					return usagef("%v", err)
				}
				if err := noArgs(fs.Args()); err != nil {
					return err
				}
				set := map[string]bool{}
				fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
				allowed := map[string][]string{
					"raise": {"quarter", "person", "line", "text"}, "answer": {"id", "text", "version"}, "reply": {"id", "text", "version"},
					"withdraw": {"id", "text", "version"}, "resolve": {"id", "text", "version", "outcome", "amount"},
					"list": {"quarter", "person"}, "show": {"quarter", "person"},
				}
				for _, f := range []string{"quarter", "person", "line", "text", "id", "version", "outcome", "amount"} {
					if set[f] && !slices.Contains(allowed[sub], f) {
						return usagef("venn dispute %s does not take --%s", sub, f)
					}
				}
				switch sub {
				case "list", "show":
					q, err := parseQuarter(*quarter)
					if err != nil {
						return err
					}
					if sub == "show" && *person == "" {
						return usagef("--person is required: whose statement")
					}
					b, err := st.open(ctx, existing)
					if err != nil {
						return err
					}
					if sub == "list" {
						return listDisputes(ctx, b, q.String(), *person, ef.jsonOut)
					}
					return showDisputed(ctx, b, q.String(), *person, ef.jsonOut)
				}
				req := &pipeline.DisputeRequest{ID: *id, Person: *person, Line: *line, Text: *text, Outcome: *outcome, Amount: *amount, Version: *version}
				q := *quarter
				if sub != "raise" {
					q, _, _ = strings.Cut(*id, "/")
				}
				b, err := st.open(ctx, existing)
				if err != nil {
					return err
				}
				if sub == "raise" {
					if req.Line, err = lineKey(ctx, b, q, *person, *line); err != nil {
						return err
					}
				}
				raw, err := json.Marshal(pipeline.Event{Job: "approve", Quarter: q, Action: sub, Dispute: req})
				if err != nil {
					return err
				}
				if _, err := pipeline.ParseEvent(raw, "approve"); err != nil {
					return badUsage{err}
				}
				return runDispute(ctx, b, st, ef, raw)
			}
		},
	}
}

// runDispute runs a dispute event through the approve job's handler and
// run ledger, as the Lambda does, and reports it.
func runDispute(ctx context.Context, b *backend, st *storageFlags, ef *eventFlags, raw []byte) error {
	out, err := b.run(ctx, "approve", raw, approvePlanner(b))
	if err != nil {
		return err
	}
	return b.done("dispute", ef, out, func() error { return reportDispute(out, st) })
}

// lineKey is the line a raise names: its key as given, or the key of line
// number n of the stored statement (as the statement text numbers them).
func lineKey(ctx context.Context, b *backend, quarter, person, line string) (string, error) {
	n, err := strconv.Atoi(line)
	if err != nil || quarter == "" || person == "" {
		return line, nil // a key, or a request the event check refuses
	}
	st, err := statementstore.Get(ctx, b.env.Store, quarter, person)
	if err != nil {
		return "", err
	}
	if n < 1 || n > len(st.Statement.Lines) {
		return "", usagef("--line %d: statement %s has lines 1 to %d", n, st.Statement.ID, len(st.Statement.Lines))
	}
	return st.Statement.Lines[n-1].Key, nil
}

func reportDispute(out []byte, st *storageFlags) error {
	var r struct {
		Action       string `json:"action"`
		Caller       string `json:"caller"`
		Dispute      string `json:"dispute"`
		Line         string `json:"line"`
		State        string `json:"state"`
		Version      int64  `json:"version"`
		PaidIn       string `json:"paid_in"`
		PaidInStatus string `json:"paid_in_status"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		return fmt.Errorf("dispute response: %w", err)
	}
	fmt.Fprintf(stdout, "dispute %s on line %s: %s (version %d), %s by %s\n", r.Dispute, r.Line, r.State, r.Version, r.Action, r.Caller)
	if r.PaidIn != "" {
		status := r.PaidInStatus
		if status == "" {
			status = "not computed yet"
		}
		fmt.Fprintf(stdout, "the adjustment is paid on the %s statement (%s): venn payouts --mode rerun --quarter %s %s once %s has closed\n", r.PaidIn, status, r.PaidIn, st.flagsText(), r.PaidIn)
		if r.PaidInStatus == comp.StatusApproved {
			fmt.Fprintf(stdout, "that statement is approved: reopen it first, or the rerun refuses to change it\n")
		}
	}
	return nil
}

// listDisputes prints a quarter's disputes, one row each (finance's
// view: amounts included).
func listDisputes(ctx context.Context, b *backend, quarter, person string, asJSON bool) error {
	ds, err := statementstore.Disputes(ctx, b.env.Store, quarter, person)
	if err != nil {
		return err
	}
	if asJSON {
		js, err := json.MarshalIndent(ds, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", js)
		return err
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "Dispute\tLine\tState\tVersion\tRaised by\tResolution")
	for _, d := range ds {
		res := ""
		if r := d.Resolution; r != nil {
			res = string(r.Outcome)
			if r.Amount != nil {
				res += fmt.Sprintf(" %s %s, paid in %s", money.Format(r.Amount.Decimal), d.Currency, r.PaidIn)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", d.ID, d.Line, d.State, d.Version, d.RaisedBy, res)
	}
	if len(ds) == 0 {
		fmt.Fprintf(tw, "(no disputes on %s statements)\n", quarter)
	}
	return tw.Flush()
}

// showDisputed prints a stored statement with its disputes.
func showDisputed(ctx context.Context, b *backend, quarter, person string, asJSON bool) error {
	st, err := statementstore.Get(ctx, b.env.Store, quarter, person)
	if err != nil {
		return err
	}
	stored, err := statementstore.Disputes(ctx, b.env.Store, quarter, person)
	if err != nil {
		return err
	}
	v := &comp.DisputedStatement{Statement: st.Statement, Status: st.Status, Version: st.Version, Disputes: make([]comp.Dispute, len(stored))}
	for i := range stored {
		v.Disputes[i] = stored[i].Dispute
	}
	if asJSON {
		js, err := v.JSON()
		if err != nil {
			return err
		}
		_, err = stdout.Write(js)
		return err
	}
	return v.WriteText(stdout)
}
