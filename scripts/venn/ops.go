package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/venn-revops/venn/shared/awsenv"
	"github.com/venn-revops/venn/shared/demo"
	"github.com/venn-revops/venn/shared/democrm"
	"github.com/venn-revops/venn/shared/gluecatalog"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
	"github.com/venn-revops/venn/shared/pipeline"
)

func runDemo(ctx context.Context, out string, leads int, seed int64, verbose bool) error {
	start := time.Now()
	var opt = demo.Options{Out: out, Org: democrm.Config{Seed: seed, Leads: leads}}
	if verbose {
		opt.Logger = slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	r, err := demo.Run(ctx, opt, stdout)
	if err != nil {
		return err
	}
	// SQL views over the committed runs, for DuckDB without Athena. (Here,
	// not in shared/demo: lakeviews imports gluecatalog, whose tests run
	// the demo.)
	blob, err := fsblob.New(r.Lake)
	if err != nil {
		return err
	}
	b := &backend{env: &pipeline.Env{Blob: blob}, local: out}
	fmt.Fprintln(stdout)
	if err := b.writeViews(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nDemo finished in %s.\n", time.Since(start).Round(time.Millisecond))
	return nil
}

func readManifest(ctx context.Context, b *backend, key string) (*lake.Manifest, error) {
	m, err := lake.ReadManifest(ctx, b.env.Blob, key)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", b.where(key), err)
	}
	return m, nil
}

func validateCommand() *command {
	return &command{
		name:     "validate",
		summary:  "check the configuration, the storage and the Salesforce connection, computing nothing",
		synopsis: "validate [storage] [--credentials FILE]",
		about: `Checks, and prints one line each: the environment variables the jobs read, the KPI
definitions and comp configuration, that the storage is reachable (the --out folder, or the
S3 bucket and DynamoDB table), and, when credentials are set, that Salesforce accepts them
and the PII key is usable. Exit 1 when any check fails.`,
		examples: []string{
			"venn validate --out mylake",
			"venn validate --lake s3://my-lake/lake --results dynamodb://venn-results",
		},
		setup: func(fs *flag.FlagSet) func(context.Context, []string) error {
			st := addStorage(fs)
			creds := fs.String("credentials", "", "Salesforce credentials JSON `FILE` (default: the VENN_SF_* variables)")
			return func(ctx context.Context, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				if err := st.check(mayCreate); err != nil {
					return err
				}
				// A folder extract has not written yet is checked for
				// everything but storage, and not created.
				fresh := st.lake == "" && checkLocal(st.out, existing) != nil
				failed := 0
				report := func(what string, err error) {
					if err != nil {
						failed++
						fmt.Fprintf(stdout, "FAIL  %s: %v\n", what, err)
						return
					}
					fmt.Fprintf(stdout, "ok    %s\n", what)
				}
				var b *backend
				var err error
				if fresh {
					b, err = st.configOnly()
				} else {
					b, err = st.open(ctx, existing)
				}
				report("environment and storage settings", err)
				if err != nil {
					return errors.New("validation failed")
				}
				// The configuration in force (--config, CONFIG_URI, else the
				// embedded one), as the next run would read it.
				cerr := b.env.LoadConfig(ctx)
				if cerr == nil {
					cerr = b.env.CheckConfig()
				}
				version := b.env.ConfigVersion
				if version == "" {
					version = "embedded"
				}
				report("KPI definitions and comp configuration ("+version+")", cerr)
				if fresh {
					fmt.Fprintf(stdout, "skip  storage %s: no Venn lake there yet (venn extract --out %s starts one)\n", st.out, st.out)
				} else {
					report("storage "+storageName(b), checkStorage(ctx, b))
				}
				if *creds == "" && os.Getenv("VENN_SF_LOGIN_URL") == "" && os.Getenv("VENN_SF_CLIENT_ID") == "" {
					fmt.Fprintln(stdout, "skip  salesforce: no credentials (VENN_SF_* or --credentials); extract needs them")
				} else {
					report("salesforce connection and PII key", checkCRM(ctx, b, *creds))
				}
				if failed > 0 {
					return fmt.Errorf("%d check(s) failed", failed)
				}
				return nil
			}
		},
	}
}

func storageName(b *backend) string {
	if b.local != "" {
		return b.local
	}
	return fmt.Sprintf("%s and dynamodb://%s", b.where(""), b.cfg.ResultsTable)
}

// checkStorage reads from the storage without writing: the lake's list of
// snapshots and one results item; on AWS, the bucket and the table.
func checkStorage(ctx context.Context, b *backend) error {
	if b.clients != nil {
		if _, err := b.clients.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(b.cfg.LakeBucket)}); err != nil {
			return fmt.Errorf("S3 bucket %s: %w", b.cfg.LakeBucket, err)
		}
		if _, err := b.clients.Dynamo.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(b.cfg.ResultsTable)}); err != nil {
			return fmt.Errorf("DynamoDB table %s: %w", b.cfg.ResultsTable, err)
		}
	}
	if _, err := b.env.Blob.List(ctx, "crm/snapshot/"); err != nil {
		return fmt.Errorf("lake: %w", err)
	}
	if _, err := b.env.Store.Query(ctx, "RUN#extract", ""); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	return nil
}

// checkCRM logs in to Salesforce and describes User, with the PII key set.
func checkCRM(ctx context.Context, b *backend, file string) error {
	cr, key, err := crmCredentials(file)
	if err != nil {
		return err
	}
	src, err := awsenv.SalesforceSource(b.cfg, b.env, cr, key)
	if err != nil {
		return err
	}
	if _, err := src.Describe(ctx, "User"); err != nil {
		return fmt.Errorf("salesforce %s: %w", cr.LoginURL, err)
	}
	return nil
}

func catalogSyncCommand() *command {
	return &command{
		name:     "catalog-sync",
		summary:  "register every committed lake partition in the Glue catalog (AWS)",
		synopsis: "catalog-sync [--lake s3://bucket/prefix --results dynamodb://table] [--glue-database DB]",
		about: `The catch-up for partitions committed before GLUE_DATABASE was set, or after a
registration failed. Without --lake and --results, reads the functions' variables
LAKE_BUCKET, LAKE_PREFIX and RESULTS_TABLE.`,
		examples: []string{"venn catalog-sync --lake s3://my-lake/lake --results dynamodb://venn-results --glue-database venn_prod"},
		setup: func(fs *flag.FlagSet) func(context.Context, []string) error {
			st := addStorage(fs)
			db := fs.String("glue-database", "", "the Glue database (default: GLUE_DATABASE)")
			return func(ctx context.Context, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				isAWS, err := st.aws()
				if err != nil {
					return err
				}
				getenv := os.Getenv
				if isAWS {
					if getenv, err = st.awsGetenv(); err != nil {
						return err
					}
				} else if st.set("out") {
					return usagef("catalog-sync registers an S3 lake in Glue: give --lake and --results, not --out")
				}
				database := *db
				if database == "" {
					database = getenv("GLUE_DATABASE")
				}
				if database == "" {
					return usagef("no Glue database: pass --glue-database or set GLUE_DATABASE")
				}
				withDB := func(k string) string {
					if k == "GLUE_DATABASE" {
						return database
					}
					return getenv(k)
				}
				cfg, err := awsenv.ConfigFromEnv(withDB)
				if err != nil {
					return err
				}
				env, clients, err := awsenv.New(ctx, cfg)
				if err != nil {
					return err
				}
				n, err := gluecatalog.New(clients.Glue, cfg.GlueDatabase, gluecatalog.WithLake(cfg.LakeBucket, cfg.LakePrefix)).Sync(ctx, env.Blob)
				fmt.Fprintf(stdout, "registered %d partitions in %s\n", n, cfg.GlueDatabase)
				return err
			}
		},
	}
}

// configStoreCommand is `venn config` (config.go): the configuration
// store's validate, push, show and export.
func configStoreCommand() *command {
	return &command{
		name:     "config",
		summary:  "validate, push, show and export the business configuration (KPI targets, plans, assignments)",
		synopsis: "config validate DIR | push DIR --to URI | show [--from URI] [--history] | export [--from URI] [--push ID] DIR",
		about:    configUsage,
		examples: []string{
			"venn config export ./myconfig && $EDITOR ./myconfig/comp/assignments.yaml",
			"venn config validate ./myconfig",
			"venn config push ./myconfig --to s3://my-lake/config",
		},
		raw: func(args []string) error {
			if len(args) > 0 && (args[0] == "--help" || args[0] == "-h" || args[0] == "-help" || args[0] == "help") {
				writeCommandHelp(stdout, configStoreCommand(), nil)
				return nil
			}
			return runConfig(args)
		},
	}
}
