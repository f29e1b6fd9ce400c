// Command venn runs Venn's jobs from a terminal: the end-to-end demo, and
// every job the Lambda functions run (extract, kpi, payouts, approve), plus
// the payroll export, the stored scorecard, a configuration and connectivity
// check and the Glue catalog catch-up. Storage is a local folder (--out, the
// default) or the deployment's S3 lake and DynamoDB table (--lake, --results).
// `venn help` lists the commands; `venn <command> --help` explains one.
//
// Exit codes: 0 done, 1 the job failed (the error names what to fix),
// 2 bad usage (unknown command, bad flag or event).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

// command is one `venn <name>`.
type command struct {
	name    string
	summary string
	// synopsis is the usage line(s) after "venn ".
	synopsis string
	// about is a paragraph on what the command does, for --help.
	about    string
	examples []string
	// setup declares the command's flags on fs and returns what runs after
	// parsing (with the positional arguments). Nil for a command that
	// parses its own arguments (raw).
	setup func(fs *flag.FlagSet) func(ctx context.Context, args []string) error
	// raw hands the arguments to run unparsed (config has subcommands).
	raw func(args []string) error
}

// commands is the table `venn help` prints, in this order.
func commands() []*command {
	return []*command{
		demoCommand(),
		extractCommand(),
		kpiCommand(),
		payoutsCommand(),
		approveCommand(),
		disputeCommand(),
		exportCommand(),
		planCommand(),
		scorecardCommand(),
		scoreCommand(),
		validateCommand(),
		configStoreCommand(),
		catalogSyncCommand(),
		viewsCommand(),
		gcCommand(),
	}
}

// badUsage is bad usage: exit 2, and the command's usage is shown.
type badUsage struct{ err error }

func (u badUsage) Error() string { return u.err.Error() }
func (u badUsage) Unwrap() error { return u.err }

// usagef is a usage error with a message.
func usagef(format string, args ...any) error { return badUsage{fmt.Errorf(format, args...)} }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// run is the command line without the process: it returns the exit code.
func run(ctx context.Context, args []string) int {
	cmds := commands()
	if len(args) == 0 {
		writeUsage(stderr, cmds)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) == 0 {
			writeUsage(stdout, cmds)
			return exitOK
		}
		if c := lookup(cmds, rest[0]); c != nil {
			writeCommandHelp(stdout, c, nil)
			return exitOK
		}
		fmt.Fprintf(stderr, "venn help: unknown command %q\n\n", rest[0])
		writeUsage(stderr, cmds)
		return exitUsage
	}
	c := lookup(cmds, name)
	if c == nil {
		fmt.Fprintf(stderr, "venn: unknown command %q\n\n", name)
		writeUsage(stderr, cmds)
		return exitUsage
	}
	var err error
	if c.raw != nil {
		err = c.raw(rest)
	} else {
		fs := flag.NewFlagSet("venn "+c.name, flag.ContinueOnError)
		fs.SetOutput(io.Discard) // errors and usage are printed here, once
		act := c.setup(fs)
		if perr := fs.Parse(rest); perr != nil {
			if errors.Is(perr, flag.ErrHelp) {
				writeCommandHelp(stdout, c, fs)
				return exitOK
			}
			fmt.Fprintf(stderr, "venn %s: %v\n\n", c.name, perr)
			writeCommandHelp(stderr, c, fs)
			return exitUsage
		}
		err = act(ctx, fs.Args())
		if u := (badUsage{}); errors.As(err, &u) {
			fmt.Fprintf(stderr, "venn %s: %v\n\n", c.name, u.err)
			writeCommandHelp(stderr, c, fs)
			return exitUsage
		}
	}
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, new(badUsage)), errors.As(err, new(*usageError)):
		// usageError: venn config's (config.go), its usage in the message.
		fmt.Fprintf(stderr, "venn %s: %v\n", c.name, err)
		return exitUsage
	}
	fmt.Fprintf(stderr, "venn %s: %v\n", c.name, err)
	return exitFailed
}

func lookup(cmds []*command, name string) *command {
	for _, c := range cmds {
		if c.name == name {
			return c
		}
	}
	return nil
}

func writeUsage(w io.Writer, cmds []*command) {
	fmt.Fprint(w, `venn runs Venn's jobs from a terminal, on a local folder or on the
deployment's S3 lake and DynamoDB table.

Usage:
  venn <command> [flags]
  venn help <command>        (or venn <command> --help)

Commands:
`)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, c := range cmds {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	_ = tw.Flush()
	fmt.Fprint(w, `
Storage (job commands):
  --out DIR                                   a local lake DIR/lake and results DIR/results.json (default out)
  --lake s3://bucket/prefix --results dynamodb://table
                                              the deployment's; AWS credentials and region from the SDK's
                                              default chain, endpoints from AWS_ENDPOINT_URL_S3/_DYNAMODB

Environment:
  VENN_SF_LOGIN_URL, VENN_SF_CLIENT_ID, VENN_SF_CLIENT_SECRET
                 Salesforce connected app (client credentials; JWT: VENN_SF_USERNAME,
                 VENN_SF_PRIVATE_KEY or VENN_SF_PRIVATE_KEY_FILE), or extract --credentials FILE
  VENN_PII_KEY   the HMAC key for emails and phones (extract refuses to run without it)
  VENN_NOW       pins the job clock (RFC 3339), as in Lambda

Exit codes: 0 done, 1 the job failed, 2 bad usage.
Start with: make demo, then venn scorecard --quarter 2026Q3 --final.
`)
}

func writeCommandHelp(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "venn %s: %s\n\nUsage:\n", c.name, c.summary)
	for _, line := range strings.Split(c.synopsis, "\n") {
		fmt.Fprintf(w, "  venn %s\n", line)
	}
	if c.about != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.about))
	}
	if fs == nil && c.setup != nil {
		fs = flag.NewFlagSet("venn "+c.name, flag.ContinueOnError)
		c.setup(fs)
	}
	if fs != nil {
		fmt.Fprint(w, "\nFlags:\n")
		writeFlags(w, fs)
	}
	if len(c.examples) > 0 {
		fmt.Fprint(w, "\nExamples:\n")
		for _, e := range c.examples {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
}

// noArgs refuses positional arguments: a flag typed without its dashes
// would otherwise be ignored.
func noArgs(args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q (flags start with --)", args[0])
	}
	return nil
}

// writeFlags is flag.PrintDefaults with the two dashes users type.
func writeFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if len(f.Name) == 1 {
			line = "  -" + f.Name
		}
		if name != "" {
			line += " " + name
		}
		if f.DefValue != "" && f.DefValue != "false" {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "%s\n      %s\n", line, usage)
	})
}
