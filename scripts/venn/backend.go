package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/venn-revops/venn/shared/awsenv"
	"github.com/venn-revops/venn/shared/lake/fsblob"
	"github.com/venn-revops/venn/shared/pipeline"
	"github.com/venn-revops/venn/shared/results/localstore"
)

// storageFlags choose where a job reads and writes: a local folder, or the
// deployment's S3 lake and DynamoDB results table.
type storageFlags struct {
	fs        *flag.FlagSet
	out       string
	lake      string
	results   string
	pathStyle bool
	verbose   bool
	config    string
}

func addStorage(fs *flag.FlagSet) *storageFlags {
	s := &storageFlags{fs: fs}
	fs.StringVar(&s.out, "out", "out", "local storage: the lake in `DIR`/lake, the results in DIR/results.json")
	fs.StringVar(&s.lake, "lake", "", "AWS storage: the S3 lake, `s3://bucket/prefix` (with --results)")
	fs.StringVar(&s.results, "results", "", "AWS storage: the DynamoDB results table, `dynamodb://table` (with --lake)")
	fs.BoolVar(&s.pathStyle, "s3-path-style", false, "S3 path-style addressing, for S3-compatible local servers (AWS_ENDPOINT_URL_S3)")
	fs.BoolVar(&s.verbose, "v", false, "the jobs' JSON logs and metrics on stderr")
	fs.StringVar(&s.config, "config", os.Getenv("CONFIG_URI"), "the business configuration store, `s3://bucket/prefix or a store folder` (venn config push); unset: the embedded configuration")
	return s
}

// getenv is the process environment with the flags in place of the
// function variables they stand for, so awsenv reads both the same way.
func (s *storageFlags) getenv(over map[string]string) func(string) string {
	if over == nil {
		over = map[string]string{}
	}
	over["CONFIG_URI"] = s.config
	return func(k string) string {
		if v, ok := over[k]; ok {
			return v
		}
		return os.Getenv(k)
	}
}

// access is what a command needs of a local folder.
type access int

const (
	// mayCreate: the command may start a new lake (extract).
	mayCreate access = iota
	// existing: the folder must hold a lake and results already, so a
	// mistyped --out fails naming it instead of creating an empty lake.
	existing
)

// backend is an opened storage and the job environment over it.
type backend struct {
	env     *pipeline.Env
	cfg     awsenv.Config
	clients *awsenv.Clients // nil for a local folder
	local   string          // the --out folder ("" on AWS)
	// replayed is set when the run ledger returned a stored result instead
	// of running the job again.
	replayed atomic.Bool
}

// parseS3 splits s3://bucket/prefix.
func parseS3(uri string) (bucket, prefix string, err error) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "s3" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", "", usagef("--lake %q: want s3://bucket/prefix", uri)
	}
	return u.Host, strings.Trim(u.Path, "/"), nil
}

// parseDynamo reads dynamodb://table.
func parseDynamo(uri string) (string, error) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "dynamodb" || u.Host == "" || strings.Trim(u.Path, "/") != "" || u.RawQuery != "" {
		return "", usagef("--results %q: want dynamodb://table", uri)
	}
	return u.Host, nil
}

func (s *storageFlags) set(name string) bool {
	found := false
	s.fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

// aws reports whether the AWS storage was chosen, refusing half of it or
// both storages at once.
func (s *storageFlags) aws() (bool, error) {
	switch {
	case s.lake == "" && s.results == "":
		return false, nil
	case s.lake == "" || s.results == "":
		return false, usagef("--lake and --results go together (the S3 lake and the DynamoDB results table of one deployment)")
	case s.set("out"):
		return false, usagef("--out is local storage; --lake and --results are AWS storage: give one or the other")
	}
	return true, nil
}

// awsGetenv is getenv with the AWS storage flags.
func (s *storageFlags) awsGetenv() (func(string) string, error) {
	bucket, prefix, err := parseS3(s.lake)
	if err != nil {
		return nil, err
	}
	table, err := parseDynamo(s.results)
	if err != nil {
		return nil, err
	}
	over := map[string]string{"LAKE_BUCKET": bucket, "LAKE_PREFIX": prefix, "RESULTS_TABLE": table}
	if s.pathStyle {
		over["S3_PATH_STYLE"] = "true"
	}
	return s.getenv(over), nil
}

// check validates the flags, and a local folder for access a, without
// creating or writing anything.
func (s *storageFlags) check(a access) error {
	isAWS, err := s.aws()
	if err != nil {
		return err
	}
	if !isAWS {
		return checkLocal(s.out, a)
	}
	_, err = s.awsGetenv()
	return err
}

// open builds the job environment over the chosen storage, with the
// process's VENN_* and Lambda variables (VENN_NOW, EXTRACT_CONFIG,
// EARLIEST_QUARTER...) read by awsenv as in Lambda.
func (s *storageFlags) open(ctx context.Context, a access) (*backend, error) {
	isAWS, err := s.aws()
	if err != nil {
		return nil, err
	}
	b := &backend{}
	if isAWS {
		getenv, err := s.awsGetenv()
		if err != nil {
			return nil, err
		}
		if b.cfg, err = awsenv.ConfigFromEnv(getenv); err != nil {
			return nil, err
		}
		if b.env, b.clients, err = awsenv.New(ctx, b.cfg); err != nil {
			return nil, err
		}
	} else {
		if err := checkLocal(s.out, a); err != nil {
			return nil, err
		}
		if b.cfg, err = awsenv.JobConfigFromEnv(s.getenv(nil)); err != nil {
			return nil, err
		}
		blob, err := fsblob.New(filepath.Join(s.out, "lake"))
		if err != nil {
			return nil, err
		}
		store, err := localstore.Open(filepath.Join(s.out, "results.json"))
		if err != nil {
			return nil, err
		}
		if b.env, err = awsenv.NewEnv(b.cfg, blob, store); err != nil {
			return nil, err
		}
		b.local = s.out
	}
	b.quiet(s.verbose)
	return b, nil
}

// quiet keeps stdout for the operator: the jobs' JSON logs and EMF metrics
// go to stderr with -v, nowhere otherwise.
func (b *backend) quiet(verbose bool) {
	var inner slog.Handler = slog.DiscardHandler
	b.env.Metrics = io.Discard
	if verbose {
		inner = b.env.Logger.Handler()
		b.env.Metrics = os.Stderr
	}
	b.env.Logger = slog.New(replayWatch{inner, &b.replayed})
}

// configOnly is the environment of a local run without its storage, for
// validate on a folder extract has not written yet.
func (s *storageFlags) configOnly() (*backend, error) {
	b := &backend{local: s.out}
	var err error
	if b.cfg, err = awsenv.JobConfigFromEnv(s.getenv(nil)); err != nil {
		return nil, err
	}
	if b.env, err = awsenv.NewEnv(b.cfg, nil, nil); err != nil {
		return nil, err
	}
	b.quiet(s.verbose)
	return b, nil
}

// checkLocal refuses a folder that does not hold what the command reads.
func checkLocal(out string, a access) error {
	if out == "" {
		return usagef("--out: empty folder name")
	}
	st, err := os.Stat(out)
	switch {
	case a == mayCreate && errors.Is(err, os.ErrNotExist):
		parent := filepath.Dir(filepath.Clean(out))
		if _, perr := os.Stat(parent); perr != nil {
			return fmt.Errorf("--out %s: its parent folder %s does not exist (%w); create it or fix the path", out, parent, perr)
		}
		return nil
	case err != nil:
		return fmt.Errorf("--out %s: %w (run venn extract --out %s against your org first, or make demo)", out, err, out)
	case !st.IsDir():
		return fmt.Errorf("--out %s: not a folder", out)
	}
	if a == mayCreate {
		return nil
	}
	for _, need := range []string{"lake", "results.json"} {
		if _, err := os.Stat(filepath.Join(out, need)); err != nil {
			return fmt.Errorf("--out %s: no Venn lake and results there (%s: %w); run venn extract --out %s first, make demo, or pass the folder they wrote", out, filepath.Join(out, need), err, out)
		}
	}
	return nil
}

// where names a lake key for the operator: a local path or an s3:// URI.
func (b *backend) where(key string) string {
	if b.local != "" {
		return filepath.Join(b.local, "lake", filepath.FromSlash(key))
	}
	p := b.cfg.LakePrefix
	if p != "" {
		p += "/"
	}
	return "s3://" + b.cfg.LakeBucket + "/" + p + key
}

// run runs one job event through the same handler and run ledger as the
// Lambda function: a rerun of a done run returns its stored result.
func (b *backend) run(ctx context.Context, job string, raw []byte, plan pipeline.Planner) ([]byte, error) {
	h := b.env.Handler(job, awsenv.Ledger(b.env), plan)
	return h(ctx, raw)
}

// replayWatch passes records on and notes the handler's replay message.
type replayWatch struct {
	slog.Handler
	seen *atomic.Bool
}

func (r replayWatch) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelInfo || r.Handler.Enabled(ctx, l)
}

func (r replayWatch) Handle(ctx context.Context, rec slog.Record) error {
	if rec.Message == pipeline.LogReplayed {
		r.seen.Store(true)
	}
	if !r.Handler.Enabled(ctx, rec.Level) {
		return nil
	}
	return r.Handler.Handle(ctx, rec)
}

func (r replayWatch) WithAttrs(as []slog.Attr) slog.Handler {
	return replayWatch{r.Handler.WithAttrs(as), r.seen}
}

func (r replayWatch) WithGroup(name string) slog.Handler {
	return replayWatch{r.Handler.WithGroup(name), r.seen}
}
