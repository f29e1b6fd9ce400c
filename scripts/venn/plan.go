package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/pipeline"
)

// planCommand is `venn plan`: the plan documents, and (ack.go) the
// acknowledgements of them.
func planCommand() *command {
	return &command{
		name:     "plan",
		summary:  "render plan documents (Markdown, HTML, text); acknowledge your plan; list who has not",
		synopsis: "plan doc [--plan ID@vN] [--format md|html|txt] [--dir DIR] [--config URI]\nplan ack --quarter Q --plan ID@vN --sha256 HASH [--person ID] [storage]\nplan acks --quarter Q [--missing] [storage]",
		about: `doc renders each plan version of the comp configuration in force (--config, CONFIG_URI, else
the embedded one) from the plan file itself, the same model for every format: to stdout in
--format (one plan: --plan), or with --dir every format of every plan (or of --plan) into DIR
as <id>-v<N>.md, .html and .txt. Each document states the plan file's SHA-256: what a rep
acknowledges (docs/comp-plans.md §13).

ack records that you (whoever runs the command: STS's answer on AWS storage, the local user on a
folder, as venn approve) read the plan version you are paid on in the quarter, by the SHA-256
its document states; you may acknowledge only for yourself, and only the current file counts.
acks lists every person's plan versions in the quarter and whether they are acknowledged.`,
		examples: []string{
			"venn plan doc --plan ae@v1 --format md",
			"venn plan doc --dir plan-docs",
			"VENN_LOCAL_USER=maria.chen venn plan ack --out out --quarter 2026Q3 --plan sales_manager@v1 --sha256 <hash>",
			"venn plan acks --out out --quarter 2026Q3 --missing",
		},
		raw: func(args []string) error {
			if len(args) == 0 || args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
				writeCommandHelp(stdout, planCommand(), nil)
				if len(args) == 0 {
					return usagef("a subcommand: doc, ack or acks")
				}
				return nil
			}
			sub, rest := args[0], args[1:]
			switch sub {
			case "doc":
				return runPlanDoc(context.Background(), rest)
			case "ack":
				return runPlanAck(context.Background(), rest)
			case "acks":
				return runPlanAcks(context.Background(), rest)
			}
			return usagef("unknown subcommand %q (doc, ack, acks)", sub)
		},
	}
}

func runPlanDoc(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("venn plan doc", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	st := addStorage(fs)
	only := fs.String("plan", "", "one plan version, `ID@vN` (default: every plan)")
	format := fs.String("format", "md", "to stdout: md, html or txt")
	dir := fs.String("dir", "", "write every format into `DIR` instead of stdout")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			writeCommandHelp(stdout, planCommand(), nil)
			writeFlags(stdout, fs)
			return nil
		}
		return usagef("%v", err)
	}
	if err := noArgs(fs.Args()); err != nil {
		return err
	}
	var write func(d *comp.PlanDoc, w io.Writer) error
	for _, f := range pipeline.PlanDocFormats {
		if "."+*format == f.Ext {
			write = f.Write
		}
	}
	if write == nil {
		return usagef("--format %q: want md, html or txt", *format)
	}
	b, err := st.configOnly()
	if err != nil {
		return err
	}
	if err := b.env.LoadConfig(ctx); err != nil {
		return err
	}
	cfg, err := comp.LoadConfig(b.env.CompConfig)
	if err != nil {
		return err
	}
	var plans []*comp.Plan
	var refs []string
	for _, p := range cfg.Plans {
		refs = append(refs, p.Ref())
		if *only == "" || p.Ref() == *only {
			plans = append(plans, p)
		}
	}
	if len(plans) == 0 {
		return fmt.Errorf("--plan %s: no such plan version (the configuration has %s)", *only, strings.Join(refs, ", "))
	}
	if *dir == "" && len(plans) > 1 && *format == "html" {
		return usagef("--format html writes one page: name it with --plan, or use --dir")
	}
	for _, p := range plans {
		d, err := p.Document()
		if err != nil {
			return err
		}
		if *dir == "" {
			if err := write(d, stdout); err != nil {
				return err
			}
			continue
		}
		if err := os.MkdirAll(*dir, 0o755); err != nil {
			return err
		}
		for _, f := range pipeline.PlanDocFormats {
			var buf bytes.Buffer
			if err := f.Write(d, &buf); err != nil {
				return err
			}
			path := filepath.Join(*dir, comp.PlanDocFileName(p)+f.Ext)
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				return err
			}
			fmt.Fprintln(stdout, path)
		}
	}
	return nil
}
