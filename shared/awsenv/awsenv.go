// Package awsenv builds a job's environment in Lambda: configuration from the
// function's environment variables, the AWS SDK clients, the S3 lake, the
// DynamoDB results table, the run ledger and the Salesforce client. Each
// functions/<job>/main.go calls it and nothing else.
package awsenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/venn-revops/venn/shared/athenakpi"
	compconfig "github.com/venn-revops/venn/shared/config/comp"
	"github.com/venn-revops/venn/shared/configstore"
	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/dynamo"
	"github.com/venn-revops/venn/shared/extract"
	"github.com/venn-revops/venn/shared/gluecatalog"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/kpisql"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/period"
	"github.com/venn-revops/venn/shared/pipeline"
	"github.com/venn-revops/venn/shared/results"
	"github.com/venn-revops/venn/shared/runledger"
	"github.com/venn-revops/venn/shared/s3store"
	"github.com/venn-revops/venn/shared/salesforce"
)

// Config is a function's configuration, read from its environment.
type Config struct {
	LakeBucket   string // LAKE_BUCKET (required)
	LakePrefix   string // LAKE_PREFIX
	ResultsTable string // RESULTS_TABLE (required)
	KMSKeyID     string // KMS_KEY_ID: SSE-KMS key for lake writes
	// GlueDatabase (GLUE_DATABASE) is the Glue database in which committed
	// partitions are registered for Athena; without it, nothing is
	// registered (local runs, tests).
	GlueDatabase string
	// CRMSecretARN (CRM_SECRET_ARN) holds the Salesforce credentials JSON;
	// without it, the VENN_SF_* variables are read (local runs, tests).
	CRMSecretARN string
	// PIISecretARN (PII_SECRET_ARN) holds the HMAC key for emails and
	// phones; without it, VENN_PII_KEY. The extract refuses to run with
	// neither.
	PIISecretARN string
	PIIClear     []string // PII_CLEAR: "Object.Field" kept in clear, comma-separated
	// BulkThreshold (BULK_THRESHOLD): pending changes above which an object
	// is pulled with Bulk API 2.0 (0: the extract's default, 1,000,000).
	BulkThreshold int64
	// Overlap (EXTRACT_OVERLAP, a Go duration): subtracted from each
	// watermark (0: the extract's default, 10 minutes).
	Overlap time.Duration
	// DeadlineMargin (EXTRACT_DEADLINE_MARGIN, a Go duration): how long
	// before the Lambda deadline a pull stops, checkpoints and answers
	// more: true (0: the extract's default, 30 seconds).
	DeadlineMargin time.Duration
	// SliceMinRows (EXTRACT_SLICE_MIN_ROWS): a first load of more records
	// than this is planned in slices (0: the extract's default, 5,000,000;
	// -1: never); SliceRows (EXTRACT_SLICE_ROWS) the records per slice
	// (0: 1,000,000). docs/runbook.md#sliced-first-loads.
	SliceMinRows, SliceRows int64
	// ExtractConfig (EXTRACT_CONFIG) is the path of the extract
	// configuration file (field mapping, extra fields and objects, delete
	// reconciliation; docs/org-setup.md); "" = the embedded default.
	ExtractConfig string
	// ConfigURI (CONFIG_URI, s3://bucket/prefix, or a store folder for
	// local runs) is the business
	// configuration store (shared/configstore), read before each run so a
	// `venn config push` applies to the next run without a redeploy; ""
	// = the embedded configuration.
	ConfigURI string
	// Currencies (CRM_CURRENCIES, comma-separated ISO 4217 codes) are the
	// org's active currencies: a record in another is rejected. Empty: any
	// ISO 4217 code.
	Currencies  []string
	S3PathStyle bool // S3_PATH_STYLE=true for S3-compatible local servers
	LogLevel    slog.Level
	// Now (VENN_NOW, RFC 3339) pins the job clock for tests and replays of
	// a past night: the clock starts at Now when the process starts and
	// advances with the wall clock, so run IDs stay unique per run. Zero:
	// the wall clock. The run ledger's lock always uses the wall clock.
	Now time.Time
	// Stage (VENN_STAGE) names the deployment (the template's Stage): the
	// first dimension of every metric. "": none (local runs).
	Stage string
	// EarliestQuarter (EARLIEST_QUARTER, YYYYQn) is the first quarter an
	// event may name: the org's first quarter of data. Zero: 2000Q1.
	EarliestQuarter period.Quarter
	// KPIAthenaMinRows (KPI_ATHENA_MIN_ROWS) is the size, in rows of the
	// KPI job's input snapshots (their manifests' counts), from which the
	// KPI catalog runs as SQL on Athena (shared/athenakpi) instead of in
	// the Lambda; 0 or unset: never. It needs GLUE_DATABASE, and is
	// refused while the SQL generator lacks KPIs of the catalog.
	KPIAthenaMinRows int64
	// AthenaWorkgroup (ATHENA_WORKGROUP) runs those queries ("": primary);
	// AthenaOutput (ATHENA_OUTPUT, s3://…/) is their result location when
	// the workgroup does not enforce one.
	AthenaWorkgroup, AthenaOutput string
	// LockMargin (VENN_LOCK_MARGIN, a Go duration) is added to the
	// invocation's deadline to get the run ledger's lock expiry. Zero: the
	// ledger's default (1 minute), which covers clock skew in AWS; tests
	// that crash a function shorten it so the retry need not idle.
	LockMargin time.Duration
}

// ConfigFromEnv reads and validates the configuration; the error names every
// missing or bad variable.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	return configFrom(getenv, true)
}

// JobConfigFromEnv is ConfigFromEnv for a run whose storage is not AWS (the
// venn command's --out folder): every variable but LAKE_BUCKET and
// RESULTS_TABLE, which are neither required nor read.
func JobConfigFromEnv(getenv func(string) string) (Config, error) {
	return configFrom(getenv, false)
}

func configFrom(getenv func(string) string, awsStorage bool) (Config, error) {
	c := Config{
		LakeBucket: getenv("LAKE_BUCKET"), LakePrefix: getenv("LAKE_PREFIX"), ResultsTable: getenv("RESULTS_TABLE"),
		KMSKeyID: getenv("KMS_KEY_ID"), CRMSecretARN: getenv("CRM_SECRET_ARN"), PIISecretARN: getenv("PII_SECRET_ARN"),
		S3PathStyle: getenv("S3_PATH_STYLE") == "true", GlueDatabase: getenv("GLUE_DATABASE"),
		ExtractConfig: getenv("EXTRACT_CONFIG"), Stage: getenv("VENN_STAGE"), ConfigURI: getenv("CONFIG_URI"),
	}
	var errs []error
	if !awsStorage {
		c.LakeBucket, c.LakePrefix, c.ResultsTable = "", "", ""
	} else if c.LakeBucket == "" {
		errs = append(errs, errors.New("LAKE_BUCKET is required"))
	}
	if awsStorage && c.ResultsTable == "" {
		errs = append(errs, errors.New("RESULTS_TABLE is required"))
	} else if awsStorage && len(c.ResultsTable) < 3 {
		errs = append(errs, fmt.Errorf("RESULTS_TABLE %q: DynamoDB table names have at least 3 characters", c.ResultsTable))
	}
	if c.GlueDatabase != "" && !glueDatabaseName.MatchString(c.GlueDatabase) {
		errs = append(errs, fmt.Errorf("GLUE_DATABASE %q: want a Glue database name (lower case letters, digits, _ and -, as the template makes venn_<stage>)", c.GlueDatabase))
	}
	if strings.Contains(c.ConfigURI, "://") && !strings.HasPrefix(c.ConfigURI, "s3://") {
		errs = append(errs, fmt.Errorf("CONFIG_URI %q: want s3://bucket/prefix or a store folder (unset: the embedded configuration)", c.ConfigURI))
	}
	if c.ConfigURI != "" && c.ExtractConfig != "" {
		errs = append(errs, errors.New("EXTRACT_CONFIG and CONFIG_URI are both set: put the extract configuration in the store as extract.yaml and unset EXTRACT_CONFIG"))
	}
	if v := getenv("PII_CLEAR"); v != "" {
		c.PIIClear = strings.Split(v, ",")
	}
	if v := getenv("BULK_THRESHOLD"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("BULK_THRESHOLD %q: want a positive whole number of records", v))
		}
		c.BulkThreshold = n
	}
	if v := getenv("EXTRACT_OVERLAP"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			errs = append(errs, fmt.Errorf("EXTRACT_OVERLAP %q: want a non-negative Go duration such as 10m", v))
		}
		c.Overlap = d
	}
	if v := getenv("EXTRACT_DEADLINE_MARGIN"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("EXTRACT_DEADLINE_MARGIN %q: want a positive Go duration such as 30s", v))
		}
		c.DeadlineMargin = d
	}
	if v := getenv("EXTRACT_SLICE_MIN_ROWS"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < -1 || n == 0 {
			errs = append(errs, fmt.Errorf("EXTRACT_SLICE_MIN_ROWS %q: want a positive whole number of records, or -1 (never slice)", v))
		}
		c.SliceMinRows = n
	}
	if v := getenv("EXTRACT_SLICE_ROWS"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("EXTRACT_SLICE_ROWS %q: want a positive whole number of records", v))
		}
		c.SliceRows = n
	}
	if v := getenv("CRM_CURRENCIES"); v != "" {
		c.Currencies = strings.Split(v, ",")
		if _, err := crm.NewCurrencies(c.Currencies); err != nil {
			errs = append(errs, fmt.Errorf("CRM_CURRENCIES %q: %w", v, err))
		}
	}
	if v := getenv("VENN_NOW"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			errs = append(errs, fmt.Errorf("VENN_NOW %q: want an RFC 3339 instant such as 2026-11-20T02:00:00Z", v))
		}
		c.Now = t.UTC()
	}
	if v := getenv("EARLIEST_QUARTER"); v != "" {
		q, err := period.Parse(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("EARLIEST_QUARTER: %w", err))
		}
		c.EarliestQuarter = q
	}
	if v := getenv("KPI_ATHENA_MIN_ROWS"); v != "" && v != "0" {
		n, err := strconv.ParseInt(v, 10, 64)
		switch {
		case err != nil || n < 0:
			errs = append(errs, fmt.Errorf("KPI_ATHENA_MIN_ROWS %q: want a whole number of rows (0: never)", v))
		case c.GlueDatabase == "":
			errs = append(errs, errors.New("KPI_ATHENA_MIN_ROWS needs GLUE_DATABASE: Athena reads the lake through its Glue tables"))
		default:
			if err := athenakpi.Complete(); err != nil {
				errs = append(errs, fmt.Errorf("KPI_ATHENA_MIN_ROWS: %w", err))
			}
		}
		c.KPIAthenaMinRows = n
	}
	c.AthenaWorkgroup, c.AthenaOutput = getenv("ATHENA_WORKGROUP"), getenv("ATHENA_OUTPUT")
	if c.AthenaOutput != "" && !strings.HasPrefix(c.AthenaOutput, "s3://") {
		errs = append(errs, fmt.Errorf("ATHENA_OUTPUT %q: want an s3:// location", c.AthenaOutput))
	}
	margin, err := lockMargin(getenv)
	if err != nil {
		errs = append(errs, err)
	}
	c.LockMargin = margin
	if v := getenv("LOG_LEVEL"); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			errs = append(errs, fmt.Errorf("LOG_LEVEL %q: %w", v, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return c, fmt.Errorf("configuration: %w", err)
	}
	return c, nil
}

// Clients are the AWS clients a function holds for its lifetime.
type Clients struct {
	AWS     aws.Config
	S3      *s3.Client
	Dynamo  *dynamodb.Client
	Secrets *secretsmanager.Client
	Glue    *glue.Client // nil without GLUE_DATABASE
}

// New builds the job environment. Endpoints follow the SDK's standard
// variables (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_DYNAMODB), which is how
// tests point a built bootstrap at local servers.
func New(ctx context.Context, c Config) (*pipeline.Env, *Clients, error) {
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("aws configuration: %w", err)
	}
	cl := &Clients{
		AWS: awsCfg,
		// The adapters' retryers: without the SDK's client-wide retry quota,
		// which sustained throttling drains until every call fails at once.
		S3: s3.NewFromConfig(awsCfg, func(o *s3.Options) {
			o.UsePathStyle = c.S3PathStyle
			o.Retryer = s3store.Retryer()
		}),
		Dynamo:  dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) { o.Retryer = dynamo.Retryer() }),
		Secrets: secretsmanager.NewFromConfig(awsCfg),
	}
	var blobOpts []s3store.Option
	if c.KMSKeyID != "" {
		blobOpts = append(blobOpts, s3store.WithKMSKey(c.KMSKeyID))
	}
	env, err := NewEnv(c, s3store.New(cl.S3, c.LakeBucket, c.LakePrefix, blobOpts...), dynamo.New(cl.Dynamo, c.ResultsTable))
	if err != nil {
		return nil, nil, err
	}
	if c.GlueDatabase != "" {
		cl.Glue = glue.NewFromConfig(awsCfg, func(o *glue.Options) { o.Retryer = gluecatalog.Retryer() })
		env.Catalog = gluecatalog.New(cl.Glue, c.GlueDatabase, gluecatalog.WithLake(c.LakeBucket, c.LakePrefix), gluecatalog.WithLogger(env.Logger))
	}
	if c.KPIAthenaMinRows > 0 {
		env.KPISQL = &athenakpi.Runner{Client: athena.NewFromConfig(awsCfg), Database: c.GlueDatabase,
			Workgroup: c.AthenaWorkgroup, Output: c.AthenaOutput, Dialect: kpisql.Trino, Logger: env.Logger}
		env.KPISQLMinRows = c.KPIAthenaMinRows
	}
	return env, cl, nil
}

// NewEnv builds the job environment over the given lake and results store:
// the S3 lake and DynamoDB table in Lambda (New), a local folder for the
// venn command's --out. Everything else comes from c, the same for both.
func NewEnv(c Config, blob lake.Blob, store results.Store) (*pipeline.Env, error) {
	env := &pipeline.Env{
		Now:            pinnedClock(c.Now),
		Blob:           blob,
		Store:          store,
		Logger:         slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: c.LogLevel})),
		CodeVersion:    pipeline.CodeVersion(),
		KPIConfig:      kpi.DefaultConfig(),
		CompConfig:     compconfig.FS(),
		TempDir:        os.TempDir(),
		ExtractOptions: pipeline.ExtractOptions{BulkThreshold: c.BulkThreshold, Overlap: c.Overlap, Currencies: c.Currencies, DeadlineMargin: c.DeadlineMargin, SliceMinRows: c.SliceMinRows, SliceRows: c.SliceRows},
		// Events naming a quarter before it are refused.
		EarliestQuarter: c.EarliestQuarter,
		Stage:           c.Stage,
	}
	if c.ExtractConfig != "" {
		// Bad configuration is rejected before anything is computed.
		data, err := os.ReadFile(c.ExtractConfig)
		if err != nil {
			return nil, fmt.Errorf("EXTRACT_CONFIG: %w", err)
		}
		if env.ExtractOptions.Org, err = extract.LoadOrgConfig(c.ExtractConfig, data); err != nil {
			return nil, err
		}
	}
	// Read per run (pipeline.Env.LoadConfig), not here: a push applies to
	// the next invocation of a warm function.
	var err error
	if env.Config, err = configstore.Open(context.Background(), c.ConfigURI); err != nil {
		return nil, err
	}
	if c.ConfigURI == "" && c.ExtractConfig != "" {
		env.Config = nil // EXTRACT_CONFIG's file, read at start, stands
	}
	return env, nil
}

// glueDatabaseName is a Glue database name as the template makes it
// (venn_<stage>); Glue stores names in lower case, so an upper-case name
// is a configuration mistake.
var glueDatabaseName = regexp.MustCompile(`^[a-z0-9_-]{1,255}$`)

// pinnedClock is the job clock starting at start (nil, the wall clock,
// when start is zero).
func pinnedClock(start time.Time) func() time.Time {
	if start.IsZero() {
		return nil
	}
	began := time.Now()
	return func() time.Time { return start.Add(time.Since(began)) }
}

// lockMargin reads VENN_LOCK_MARGIN; zero when unset.
func lockMargin(getenv func(string) string) (time.Duration, error) {
	v := getenv("VENN_LOCK_MARGIN")
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("VENN_LOCK_MARGIN %q: want a positive Go duration such as 2s", v)
	}
	return d, nil
}

// Ledger is the run ledger in the results table, with the lock margin of
// VENN_LOCK_MARGIN when set (ConfigFromEnv has validated it at init).
func Ledger(env *pipeline.Env) *runledger.Ledger {
	opts := []runledger.Option{runledger.WithLogger(env.Logger)}
	if m, err := lockMargin(os.Getenv); err == nil && m > 0 {
		opts = append(opts, runledger.WithMargin(m))
	}
	return runledger.New(env.Store, opts...)
}

type secretReader struct{ c *secretsmanager.Client }

func (r secretReader) SecretString(ctx context.Context, id string) (string, error) {
	out, err := r.c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &id})
	if err != nil {
		return "", fmt.Errorf("secret %s: %w", id, err)
	}
	return aws.ToString(out.SecretString), nil
}

// Salesforce builds the extract's source: credentials from Secrets Manager
// (or VENN_SF_* without CRM_SECRET_ARN), and the PII key into env.
func Salesforce(ctx context.Context, c Config, cl *Clients, env *pipeline.Env, getenv func(string) string) (extract.Source, error) {
	creds, err := salesforceCredentials(ctx, c, cl, getenv)
	if err != nil {
		return nil, err
	}
	key := getenv("VENN_PII_KEY")
	if c.PIISecretARN != "" {
		if key, err = (secretReader{cl.Secrets}).SecretString(ctx, c.PIISecretARN); err != nil {
			return nil, fmt.Errorf("PII key: %w", err)
		}
	}
	return SalesforceSource(c, env, creds, key)
}

// salesforceCredentials reads the CRM credentials from Secrets Manager
// (CRM_SECRET_ARN), or VENN_SF_* without it.
func salesforceCredentials(ctx context.Context, c Config, cl *Clients, getenv func(string) string) (salesforce.Credentials, error) {
	var creds salesforce.Credentials
	var err error
	if c.CRMSecretARN != "" {
		creds, err = salesforce.LoadCredentialsSecret(ctx, secretReader{cl.Secrets}, c.CRMSecretARN)
	} else {
		creds, err = salesforce.CredentialsFromEnv(getenv)
	}
	if err != nil {
		return creds, fmt.Errorf("salesforce credentials: %w", err)
	}
	return creds, nil
}

// LeadWriter is the score function's write-back client: Salesforce, with
// the extract's credentials, built on its first write. A night whose
// scoring configuration does not write back (the default dry run) reads
// no secret; a failed read is tried again on the next write.
func LeadWriter(c Config, cl *Clients, env *pipeline.Env, getenv func(string) string) pipeline.LeadWriter {
	return &lazyWriter{build: func(ctx context.Context) (*salesforce.Client, error) {
		creds, err := salesforceCredentials(ctx, c, cl, getenv)
		if err != nil {
			return nil, err
		}
		sfCfg := salesforce.Config{Logger: env.Logger}
		creds.ApplyTo(&sfCfg)
		return salesforce.New(sfCfg)
	}}
}

type lazyWriter struct {
	mu     sync.Mutex
	build  func(context.Context) (*salesforce.Client, error)
	client *salesforce.Client
}

func (w *lazyWriter) UpdateRecords(ctx context.Context, object string, records []salesforce.RecordUpdate) ([]salesforce.SaveResult, error) {
	w.mu.Lock()
	if w.client == nil {
		c, err := w.build(ctx)
		if err != nil {
			w.mu.Unlock()
			return nil, err
		}
		w.client = c
	}
	c := w.client
	w.mu.Unlock()
	return c.UpdateRecords(ctx, object, records)
}

// SalesforceSource sets the PII key into env and builds the extract's
// source from creds: the one home of both for Lambda (Salesforce) and the
// venn command, which reads its credentials itself.
func SalesforceSource(c Config, env *pipeline.Env, creds salesforce.Credentials, piiKey string) (extract.Source, error) {
	env.PII = lake.PII{Key: []byte(piiKey), Clear: c.PIIClear}
	if err := env.PII.Validate(crm.Objects); err != nil {
		if piiKey == "" {
			return nil, fmt.Errorf("PII configuration: %w: set VENN_PII_KEY (PII_SECRET_ARN in Lambda) to a secret key of at least 16 bytes, or list the field in PII_CLEAR", err)
		}
		return nil, fmt.Errorf("PII configuration: %w", err)
	}
	sfCfg := salesforce.Config{Logger: env.Logger}
	creds.ApplyTo(&sfCfg)
	client, err := salesforce.New(sfCfg)
	if err != nil {
		return nil, err
	}
	return extract.FromSalesforce(client), nil
}

// Setup is what a function's planner is built from.
type Setup struct {
	Config  Config
	Env     *pipeline.Env
	Clients *Clients
	// Serve, when plan sets it, wraps the job's handler: the approve
	// function serves its Function URL through it (callerid.FunctionURL).
	Serve func(h func(ctx context.Context, raw json.RawMessage) (json.RawMessage, error)) func(ctx context.Context, raw json.RawMessage) (json.RawMessage, error)
}

// Start is every function's main: it reads the configuration, builds the
// environment, asks plan for the job's planner and serves the job's handler
// with the Lambda runtime. An init error is printed and exits non-zero, which
// Lambda records as an init failure.
func Start(job string, plan func(ctx context.Context, s *Setup) (pipeline.Planner, error)) {
	ctx := context.Background()
	fail := func(err error) {
		fmt.Fprintf(os.Stderr, "%s: %v\n", job, err)
		os.Exit(1)
	}
	cfg, err := ConfigFromEnv(os.Getenv)
	if err != nil {
		fail(err)
	}
	env, clients, err := New(ctx, cfg)
	if err != nil {
		fail(err)
	}
	s := &Setup{Config: cfg, Env: env, Clients: clients}
	planner, err := plan(ctx, s)
	if err != nil {
		fail(err)
	}
	h := env.Handler(job, Ledger(env), planner)
	if s.Serve != nil {
		h = s.Serve(h)
	}
	lambda.Start(rawPayload(h))
}

// rawPayload hands Lambda's payload to the job's handler byte for byte.
// Given a plain func, aws-lambda-go decodes the payload with a json.Decoder,
// which reads the first JSON value and silently drops whatever follows, so
// an event with trailing data would run instead of being refused by
// pipeline.ParseEvent. A lambda.Handler gets the payload as sent.
type rawPayload func(ctx context.Context, raw json.RawMessage) (json.RawMessage, error)

// Invoke implements lambda.Handler.
func (h rawPayload) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return h(ctx, payload)
}
