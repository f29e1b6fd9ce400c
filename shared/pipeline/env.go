// Package pipeline holds Venn's jobs — extract, kpi, payouts, approve — as the
// Lambda functions and the local command both run them. Each job takes its
// collaborators from Env (built by functions/<job>/main.go for AWS, or by
// scripts/venn for a local folder and the embedded store) and an Event.
package pipeline

import (
	"io"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"github.com/venn-revops/venn/shared/extract"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/period"
	"github.com/venn-revops/venn/shared/results"
	"github.com/venn-revops/venn/shared/score"
)

// Env is what every job needs. main builds it; jobs never reach for globals.
type Env struct {
	Blob   lake.Blob
	Store  results.Store
	Logger *slog.Logger
	// Now is the job's clock (the demo pins it to the demo org's "now").
	Now func() time.Time
	// CodeVersion is recorded on statements and manifests (the build's
	// VCS revision, or "dev").
	CodeVersion string
	// KPIConfig is the validated KPI definitions (kpi.DefaultConfig unless a
	// reviewed file is configured).
	KPIConfig *kpi.Config
	// ScoreConfig is the validated lead-scoring configuration (nil:
	// score.DefaultConfig, shared/config/score/default.yaml).
	ScoreConfig *score.Config
	// CompConfig is the comp configuration folder: plans/*.yaml,
	// assignments.yaml, adjustments.yaml.
	CompConfig fs.FS
	// Config, when set, is read before each run is planned and replaces
	// KPIConfig, CompConfig and ExtractOptions.Org (LoadConfig).
	Config ConfigSource
	// ConfigVersion names the business configuration in force: recorded on
	// statements and manifests and part of every run's input hash ("":
	// none recorded).
	ConfigVersion string
	// PII says how emails and phones enter the lake.
	PII lake.PII
	// ExtractOptions tune the extract (zero values: its defaults).
	ExtractOptions ExtractOptions
	// Catalog registers committed partitions for Athena (nil: none).
	Catalog Catalog
	// KPISQL computes the KPI catalog with SQL on an engine built for size
	// (Athena: shared/athenakpi) instead of the engine in this process, for
	// orgs whose KPI inputs hold at least KPISQLMinRows rows (summed from
	// the snapshot manifests). nil or KPISQLMinRows 0: always the engine.
	KPISQL        SQLCatalog
	KPISQLMinRows int64
	// Stage is the deployment's name (VENN_STAGE), the first dimension of
	// the jobs' metrics ("": none, local runs).
	Stage string
	// EarliestQuarter is the first quarter an event may name (the org's
	// first data; zero: DefaultEarliestQuarter).
	EarliestQuarter period.Quarter
	// TempDir stages Parquet files before upload ("" = os.TempDir()).
	TempDir string
	// Metrics receives the handler's EMF metric records (nil: stdout, where
	// Lambda hands them to CloudWatch; the venn command keeps its stdout for
	// the operator).
	Metrics io.Writer
}

func (e *Env) metricsOut() io.Writer {
	if e.Metrics != nil {
		return e.Metrics
	}
	return os.Stdout
}

func (e *Env) now() time.Time {
	if e.Now != nil {
		return e.Now().UTC()
	}
	return time.Now().UTC()
}

func (e *Env) log() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// runID names a run's folders: the start instant, sortable and unique per
// invocation of a job.
func runID(t time.Time) string { return t.UTC().Format("20060102T150405.000000Z") }

// ExtractOptions are the extract's operator settings.
type ExtractOptions struct {
	BulkThreshold int64         // pending changes above which Bulk API 2.0 is used
	Overlap       time.Duration // subtracted from each watermark
	// Org is the extract configuration: the org's field names, extra
	// fields and objects, delete reconciliation (nil: the embedded
	// default, shared/config/extract/default.yaml).
	Org        *extract.OrgConfig
	Currencies []string // the org's active currencies (empty: any ISO 4217 code)
	// DeadlineMargin is how long before the invocation's deadline an
	// object's pull stops and checkpoints (0: the extract's default, 30s).
	DeadlineMargin time.Duration
	// SliceMinRows and SliceRows: a first load of more records than
	// SliceMinRows is planned in slices of about SliceRows records,
	// pulled by the nightly state machine's Distributed Map (0: the
	// extract's defaults, 5,000,000 and 1,000,000; SliceMinRows negative:
	// never).
	SliceMinRows, SliceRows int64
	// Progress receives each object's pull as it goes (the venn command
	// prints it; nil in Lambda, whose logs have the per-object summary).
	Progress func(extract.Progress)
}
