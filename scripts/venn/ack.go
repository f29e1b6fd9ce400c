package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/pipeline"
)

// subFlags parses a `venn plan` subcommand's flags: help on stdout, a bad
// flag a usage error.
func subFlags(fs *flag.FlagSet, args []string) (bool, error) {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			writeCommandHelp(stdout, planCommand(), nil)
			fmt.Fprintf(stdout, "\nFlags of %s:\n", fs.Name())
			writeFlags(stdout, fs)
			return true, nil
		}
		return false, usagef("%v", err)
	}
	return false, noArgs(fs.Args())
}

// runPlanAck is `venn plan ack`: the caller acknowledges a plan version
// they are paid on, through the approve job (as the approve Lambda), so
// the caller is who runs the command (STS on AWS storage, the local user
// on a folder) and may acknowledge only for themselves.
func runPlanAck(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("venn plan ack", flag.ContinueOnError)
	st := addStorage(fs)
	ef := addEventFlags(fs)
	quarter := ef.str("quarter", "", "the quarter you are paid on the plan in, e.g. 2026Q4 (required)")
	plan := ef.str("plan", "", "the plan version, `ID@vN` (required)")
	sha := ef.str("sha256", "", "the plan file's SHA-256, as the plan document states it (required)")
	person := ef.str("person", "", "your CRM User Id (default: the one the approval policy maps you to)")
	if help, err := subFlags(fs, args); help || err != nil {
		return err
	}
	build := func() pipeline.Event {
		ev := pipeline.Event{Quarter: *quarter, Action: "acknowledge", Plan: *plan, SHA256: *sha}
		if *person != "" {
			ev.People = []string{*person}
		}
		return ev
	}
	return jobAction("approve", st, ef, build, approvePlanner, func(ctx context.Context, b *backend, out []byte) error {
		var r struct {
			Plan, Person, SHA256, By, At string
			Created                      bool
		}
		if err := json.Unmarshal(out, &r); err != nil {
			return fmt.Errorf("acknowledge response: %w", err)
		}
		what := "acknowledged"
		if !r.Created {
			what = "already acknowledged"
		}
		fmt.Fprintf(stdout, "%s %s: %s by %s at %s (plan file sha256 %s)\n", r.Person, r.Plan, what, r.By, r.At, r.SHA256)
		return nil
	})(ctx, nil)
}

// runPlanAcks is `venn plan acks`: every person with a plan in the
// quarter, each plan version they are on, and whether they acknowledged
// its current file; --missing lists only those who have not.
func runPlanAcks(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("venn plan acks", flag.ContinueOnError)
	st := addStorage(fs)
	quarter := fs.String("quarter", "", "the quarter, e.g. 2026Q4 (required)")
	missing := fs.Bool("missing", false, "only who has not acknowledged")
	if help, err := subFlags(fs, args); help || err != nil {
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
	if err := b.env.LoadConfig(ctx); err != nil {
		return err
	}
	lines, err := b.env.AckReport(ctx, q)
	if err != nil {
		return err
	}
	return comp.WriteAckReport(stdout, q, lines, *missing)
}
