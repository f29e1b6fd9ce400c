package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/venn-revops/venn/shared/configstore"
)

const configUsage = `usage: venn config validate DIR
       venn config push DIR --to s3://bucket/prefix|STORE-DIR
       venn config show [--from s3://bucket/prefix|DIR] [--history]
       venn config export [--from s3://bucket/prefix|DIR] [--push ID] DIR

The business configuration (docs/configuration.md): a folder with kpi.yaml,
extract.yaml and comp/ (plans/*.yaml, assignments.yaml, quotas.yaml,
adjustments.yaml); a part left out is the embedded default.

  validate  checks DIR completely, as the jobs would, and prints its version
  push      validates DIR, then makes it the configuration in force in the
            store (S3: the functions' CONFIG_URI; a local store: an empty or
            existing store folder), recording who pushed it and when; the
            next run of every job uses it
  show      prints the configuration in force: version, who pushed it and
            when, its files (default --from: $CONFIG_URI, else the embedded
            default); --history lists every push
  export    writes the configuration in force (or that of push ID) into
            the empty folder DIR, to edit and push: from the embedded
            default to start, from an earlier push to roll back`

// usageError is bad usage: main prints it with the usage and exits 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg + "\n" + configUsage }

func badConfigUsage(format string, args ...any) error {
	return &usageError{msg: "config: " + fmt.Sprintf(format, args...)}
}

// runConfig runs `venn config validate|push|show`.
func runConfig(args []string) error {
	return configCommand(context.Background(), args, os.Stdout, os.Getenv)
}

func configCommand(ctx context.Context, args []string, out io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		return badConfigUsage("name a subcommand: validate, push, show or export")
	}
	fs := flag.NewFlagSet("config "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	to := fs.String("to", "", "the store to push to: s3://bucket/prefix or a local store folder")
	from := fs.String("from", getenv("CONFIG_URI"), "the store to show (default $CONFIG_URI, else the embedded default)")
	history := fs.Bool("history", false, "list every push")
	pushID := fs.String("push", "", "the push to export (an id from show --history)")
	pos, err := parseInterleaved(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(out, configUsage)
		return nil
	}
	if err != nil {
		return badConfigUsage("%v", err)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	allowed := map[string][]string{"validate": nil, "push": {"to"}, "show": {"from", "history"}, "export": {"from", "push"}}
	names, ok := allowed[args[0]]
	if !ok {
		return badConfigUsage("unknown subcommand %q: want validate, push, show or export", args[0])
	}
	for name := range set {
		if !strings.Contains(" "+strings.Join(names, " ")+" ", " "+name+" ") {
			return badConfigUsage("%s takes no --%s", args[0], name)
		}
	}
	switch args[0] {
	case "validate":
		if len(pos) != 1 {
			return badConfigUsage("validate takes one folder, got %d arguments", len(pos))
		}
		snap, _, err := configstore.ReadFolder(pos[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s: valid, version %s\n", pos[0], snap.Version)
		return writeFiles(out, snap, nil)
	case "push":
		if len(pos) != 1 || *to == "" {
			return badConfigUsage("push takes one folder and --to s3://bucket/prefix or a store folder")
		}
		// Validation first: nothing is written when the folder is invalid.
		snap, files, err := configstore.ReadFolder(pos[0])
		if err != nil {
			return fmt.Errorf("%w\nnothing was pushed", err)
		}
		store, err := configstore.Open(ctx, *to)
		if err != nil {
			return fmt.Errorf("push: %w (a local store must exist: create the folder first)", err)
		}
		rec, err := store.Push(ctx, snap, pos[0], files)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "pushed %s to %s: version %s", pos[0], store.URI(), rec.Version)
		if rec.Previous != "" {
			fmt.Fprintf(out, " (was %s)", rec.Previous)
		}
		fmt.Fprintf(out, "\nby %s at %s; audit record %s_pushes/%s.json\nthe next run of every job reads it\n", rec.PushedBy, rec.PushedAt.Format(time.RFC3339), storeSlash(store.URI()), rec.ID)
		return writeFiles(out, snap, rec)
	case "show":
		if len(pos) != 0 {
			return badConfigUsage("show takes no arguments (use --from)")
		}
		store, err := configstore.Open(ctx, *from)
		if err != nil {
			return err
		}
		if *history {
			recs, err := store.History(ctx)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "pushed at\tversion\tby\tfrom\t")
			for _, r := range recs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", r.PushedAt.Format(time.RFC3339), r.Version, r.PushedBy, r.From)
			}
			return tw.Flush()
		}
		snap, err := store.Current(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "version   %s\nsource    %s\n", snap.Version, snap.Source)
		if snap.Push != nil {
			fmt.Fprintf(out, "pushed by %s\npushed at %s\nfrom      %s\n", snap.Push.PushedBy, snap.Push.PushedAt.Format(time.RFC3339), snap.Push.From)
		}
		return writeFiles(out, snap, snap.Push)
	case "export":
		if len(pos) != 1 {
			return badConfigUsage("export takes one folder (existing and empty)")
		}
		store, err := configstore.Open(ctx, *from)
		if err != nil {
			return err
		}
		var snap *configstore.Snapshot
		if *pushID != "" {
			snap, err = store.At(ctx, *pushID)
		} else {
			snap, err = store.Current(ctx)
		}
		if err != nil {
			return err
		}
		if err := configstore.Export(snap, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(out, "wrote version %s into %s\n", snap.Version, pos[0])
		return nil
	}
	return nil
}

// writeFiles lists a snapshot's files: SHA-256 and, when pushed, the
// version id; a unit from the embedded default says so.
func writeFiles(out io.Writer, snap *configstore.Snapshot, rec *configstore.PushRecord) error {
	versions := map[string]configstore.FileRecord{}
	if rec != nil {
		for _, f := range rec.Files {
			versions[f.Path] = f
		}
	}
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "file\tsha256\tversion\t")
	for _, p := range snap.Paths {
		b, err := readFS(snap, p)
		if err != nil {
			return err
		}
		ver := versions[p].VersionID
		if ver == "" {
			ver = "-"
		}
		if snap.IsDefault(p) {
			ver = "embedded default"
		}
		sum := sha256.Sum256(b)
		fmt.Fprintf(tw, "%s\t%x\t%s\t\n", p, sum[:8], ver)
	}
	return tw.Flush()
}

func readFS(snap *configstore.Snapshot, p string) ([]byte, error) {
	f, err := snap.Files.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

func storeSlash(uri string) string {
	if strings.HasSuffix(uri, "/") {
		return uri
	}
	return uri + "/"
}

// parseInterleaved parses flags placed before, between or after the
// positional arguments (flag stops at the first positional).
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
