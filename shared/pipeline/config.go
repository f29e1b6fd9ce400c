package pipeline

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/venn-revops/venn/shared/extract"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/score"
)

// ConfigSet is one validated business configuration (shared/configstore).
type ConfigSet struct {
	// Version names it on every output and in every run's input hash.
	Version string
	KPI     *kpi.Config
	Comp    fs.FS
	Extract *extract.OrgConfig
	Score   *score.Config
}

// ConfigSource gives the business configuration in force now: the handler
// reads it before planning each run, so a configuration pushed to the store
// applies to the next run without a redeploy or a cold start.
type ConfigSource interface {
	Load(ctx context.Context) (*ConfigSet, error)
}

// LoadConfig applies the configuration in force (Env.Config) to e: KPI
// definitions, comp folder, extract and scoring configurations and version. Without a
// source it does nothing, and e runs what it was built with.
func (e *Env) LoadConfig(ctx context.Context) error {
	if e.Config == nil {
		return nil
	}
	c, err := e.Config.Load(ctx)
	if err != nil {
		return fmt.Errorf("business configuration: %w", err)
	}
	e.KPIConfig, e.CompConfig, e.ExtractOptions.Org, e.ScoreConfig, e.ConfigVersion = c.KPI, c.Comp, c.Extract, c.Score, c.Version
	return nil
}

// configParts is the configuration version as a part of a run's input
// hash: a push (even of the same files, as in a rollback) is a new run,
// never a replay of one computed with another configuration.
func (e *Env) configParts() []string {
	if e.ConfigVersion == "" {
		return nil
	}
	return []string{"config:" + e.ConfigVersion}
}
