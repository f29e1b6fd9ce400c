// Command venn runs Venn's jobs locally: the end-to-end demo on the embedded
// demo org, and finance's approve step on the demo's results store.
//
//	venn demo    [--out out] [--leads N] [--seed S] [-v]
//	venn approve [--out out] --quarter 2026Q3 --approver you@corp [--action approve|finalize] [--people id,id]
//	venn catalog-sync    (AWS: registers every committed lake partition in Glue; reads the
//	                      functions' variables LAKE_BUCKET, LAKE_PREFIX, RESULTS_TABLE, GLUE_DATABASE)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/venn-revops/venn/shared/awsenv"
	compconfig "github.com/venn-revops/venn/shared/config/comp"
	"github.com/venn-revops/venn/shared/demo"
	"github.com/venn-revops/venn/shared/democrm"
	"github.com/venn-revops/venn/shared/gluecatalog"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/lake/fsblob"
	"github.com/venn-revops/venn/shared/pipeline"
	"github.com/venn-revops/venn/shared/results/localstore"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "demo":
		err = runDemo(os.Args[2:])
	case "approve":
		err = approve(os.Args[2:])
	case "catalog-sync":
		err = catalogSync()
	case "config":
		err = runConfig(os.Args[2:])
	default:
		usage()
	}
	var usageErr *usageError
	if errors.As(err, &usageErr) {
		fmt.Fprintln(os.Stderr, "venn:", err)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "venn:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: venn demo [--out out] [--leads N] [--seed S] [-v]\n       venn approve [--out out] --quarter YYYYQn --approver who [--action approve|finalize] [--people id,...]\n       venn catalog-sync")
	os.Exit(2)
}

func logger(verbose bool) *slog.Logger {
	if !verbose {
		return nil
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func runDemo(args []string) error {
	fs := flag.NewFlagSet("demo", flag.ExitOnError)
	out := fs.String("out", "out", "output folder (reset on every demo run)")
	leads := fs.Int("leads", 0, "leads in the demo org (0: the default)")
	seed := fs.Int64("seed", 0, "generator seed (0: the default)")
	verbose := fs.Bool("v", false, "JSON logs of the jobs on stderr")
	_ = fs.Parse(args)
	start := time.Now()
	_, err := demo.Run(context.Background(), demo.Options{Out: *out, Org: democrm.Config{Seed: *seed, Leads: *leads}, Logger: logger(*verbose)}, os.Stdout)
	if err == nil {
		fmt.Printf("\nDemo finished in %s.\n", time.Since(start).Round(time.Millisecond))
	}
	return err
}

func approve(args []string) error {
	fs := flag.NewFlagSet("approve", flag.ExitOnError)
	out := fs.String("out", "out", "the demo's output folder")
	quarter := fs.String("quarter", "", "quarter, e.g. 2026Q3")
	approver := fs.String("approver", "", "who approves (recorded on each statement)")
	action := fs.String("action", "approve", "approve or finalize")
	people := fs.String("people", "", "comma-separated person Ids (default: everyone)")
	_ = fs.Parse(args)
	ev := pipeline.Event{Job: "approve", Quarter: *quarter, Action: *action, Approver: *approver}
	if *people != "" {
		ev.People = strings.Split(*people, ",")
	}
	raw := fmt.Sprintf(`{"job":"approve","quarter":%q,"action":%q,"approver":%q}`, ev.Quarter, ev.Action, ev.Approver)
	if _, err := pipeline.ParseEvent([]byte(raw), "approve"); err != nil {
		return err
	}
	// A typo in --out must not create an empty lake and then report that
	// no statement exists: the demo's results file has to be there.
	resultsPath := filepath.Join(*out, "results.json")
	if _, err := os.Stat(resultsPath); err != nil {
		return fmt.Errorf("approve: --out %s: no demo results there (%s: %w); run make demo first or pass the folder it wrote", *out, resultsPath, err)
	}
	blob, err := fsblob.New(filepath.Join(*out, "lake"))
	if err != nil {
		return err
	}
	store, err := localstore.Open(resultsPath)
	if err != nil {
		return err
	}
	env := &pipeline.Env{Blob: blob, Store: store, Logger: logger(false), CodeVersion: pipeline.CodeVersion(), KPIConfig: kpi.DefaultConfig(), CompConfig: compconfig.FS()}
	a, err := env.Approve(context.Background(), ev)
	if a != nil {
		for _, o := range a.Outcomes {
			status := o.Action
			if o.Err != nil {
				status = o.Err.Error()
			}
			fmt.Printf("%s  %s  v%d  %s\n", a.Quarter, o.PersonID, o.Version, status)
		}
		if a.Export != nil {
			fmt.Printf("payroll export: %s\n", filepath.Join(*out, "lake", a.Export.Meta["csv"]))
		}
	}
	return err
}

// catalogSync points every Glue partition at its committed run folder: the
// catch-up for partitions committed before GLUE_DATABASE was set, or after a
// registration failed.
func catalogSync() error {
	ctx := context.Background()
	cfg, err := awsenv.ConfigFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	if cfg.GlueDatabase == "" {
		return fmt.Errorf("catalog-sync: GLUE_DATABASE is not set")
	}
	env, clients, err := awsenv.New(ctx, cfg)
	if err != nil {
		return err
	}
	n, err := gluecatalog.New(clients.Glue, cfg.GlueDatabase, gluecatalog.WithLake(cfg.LakeBucket, cfg.LakePrefix)).Sync(ctx, env.Blob)
	fmt.Printf("registered %d partitions in %s\n", n, cfg.GlueDatabase)
	return err
}
