package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lakeviews"
)

// viewsRoot is the lake as DuckDB opens it: the absolute local folder, or
// s3://bucket/prefix.
func (b *backend) viewsRoot() (string, error) {
	if b.local != "" {
		return filepath.Abs(filepath.Join(b.local, "lake"))
	}
	return "s3://" + b.cfg.LakeBucket + "/" + b.cfg.LakePrefix, nil
}

// writeViews regenerates the lake's SQL views and says where they are.
func (b *backend) writeViews(ctx context.Context) error {
	root, err := b.viewsRoot()
	if err != nil {
		return err
	}
	res, err := lakeviews.Write(ctx, b.env.Blob, root)
	if err != nil {
		return err
	}
	var parts int
	for _, t := range res.Lake.Tables {
		parts += len(t.Partitions)
	}
	fmt.Fprintf(stdout, "views of %d tables (%d committed partitions): %s, %s\n", len(res.Lake.Tables), parts, b.where(lakeviews.DuckDBKey), b.where(lakeviews.AthenaKey))
	for _, k := range res.Lake.Skipped {
		fmt.Fprintf(stdout, "no view for %s (its partition path names no table)\n", k)
	}
	if len(res.Lake.Expired) > 0 {
		fmt.Fprintf(stdout, "%d change files the lake no longer holds (lifecycle) left out\n", len(res.Lake.Expired))
	}
	if b.local != "" {
		fmt.Fprintf(stdout, "try: duckdb -c \".read %s\" -c \"FROM latest_kpi_gold LIMIT 5\"\n", b.where(lakeviews.DuckDBKey))
	}
	return nil
}

func viewsCommand() *command {
	return &command{
		name:     "views",
		summary:  "write SQL views over the lake's committed runs (DuckDB, Athena latest_*)",
		synopsis: "views [--out DIR | --lake s3://bucket/prefix --results dynamodb://table]",
		about: `Reads every partition's committed manifest and writes _views/duckdb.sql (one view
per table over exactly the committed files, and latest_* views) and _views/athena.sql
(the latest_* views over the Glue tables) into the lake. A glob over the lake's folders
reads superseded runs too; these views do not. Run it after a job to see its commits.
See docs/lake-sql.md.`,
		examples: []string{"venn views --out out && duckdb -c \".read out/lake/_views/duckdb.sql\" -c \"SELECT count(*) FROM exports_payroll\""},
		setup: func(fs *flag.FlagSet) func(context.Context, []string) error {
			st := addStorage(fs)
			return func(ctx context.Context, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				b, err := st.open(ctx, existing)
				if err != nil {
					return err
				}
				return b.writeViews(ctx)
			}
		},
	}
}

func gcCommand() *command {
	return &command{
		name:     "gc",
		summary:  "delete superseded run folders older than the retention (LAKE_RETENTION, default 30d)",
		synopsis: "gc [--retention 30d] [--dry-run] [--out DIR | --lake s3://bucket/prefix --results dynamodb://table]",
		about: `Deletes the run folders (and their superseded manifests) that a newer commit of
the same partition replaced more than the retention ago, and crashed runs no manifest
names. Never the committed run, current/ folders or rejects. Safe to rerun; VENN_NOW
pins the clock. Regenerates the views afterwards. See docs/lake-sql.md.`,
		examples: []string{"venn gc --out out --dry-run", "venn gc --lake s3://my-lake/lake --results dynamodb://venn-results --retention 720h"},
		setup: func(fs *flag.FlagSet) func(context.Context, []string) error {
			st := addStorage(fs)
			retention := fs.String("retention", "", "how long a superseded run stays: days (`30d`) or a duration (720h); 0 keeps all (default LAKE_RETENTION, else 30d)")
			dry := fs.Bool("dry-run", false, "list what would be deleted, delete nothing")
			return func(ctx context.Context, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				setting := *retention
				if setting == "" {
					setting = os.Getenv("LAKE_RETENTION")
				}
				keep := lake.DefaultRetention
				if setting != "" {
					var err error
					if keep, err = lake.ParseRetention(setting); err != nil {
						return usagef("--retention: %v", err)
					}
				}
				b, err := st.open(ctx, existing)
				if err != nil {
					return err
				}
				now := time.Now
				if b.env.Now != nil {
					now = b.env.Now
				}
				rep, err := lake.Sweep(ctx, b.env.Blob, lake.SweepOptions{Retention: keep, Now: now, DryRun: *dry})
				if rep != nil {
					verb := "deleted"
					if *dry {
						verb = "would delete"
					}
					for _, k := range rep.Deleted {
						fmt.Fprintf(stdout, "%s %s\n", verb, b.where(k))
					}
					fmt.Fprintf(stdout, "%s %d files of %d partitions; %d superseded runs kept for their retention (%s)\n", verb, len(rep.Deleted), rep.Partitions, rep.Kept, keep)
				}
				if err != nil || *dry || len(rep.Deleted) == 0 {
					return err
				}
				return b.writeViews(ctx)
			}
		},
	}
}
