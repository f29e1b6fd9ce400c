package pipeline

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/period"
)

// A KPI run on the SQL engine in two invocations, so that no Lambda waits
// for the query: a kpi event with defer starts it and answers its ticket
// (KPIQuery); the nightly state machine polls the query itself (Wait and
// Choice states over Athena's GetQueryExecution) and, once it succeeded,
// sends the ticket back in a kpi event with query, whose run reads the
// rows and writes the same gold, results items and scorecard as a run that
// waited (docs/scale.md, "The KPI step on Athena").

// SQLQueries is a SQLCatalog that can start its query and read it in a
// later invocation (shared/athenakpi.Runner).
type SQLQueries interface {
	SQLCatalog
	// StartKPIs starts the catalog's queries and returns their Ids.
	StartKPIs(ctx context.Context, cfg *kpi.Config, p kpi.Period, nights map[string]string) ([]string, error)
	// FinishKPIs reads the queries StartKPIs started for the same cfg and
	// p, once every one succeeded.
	FinishKPIs(ctx context.Context, cfg *kpi.Config, p kpi.Period, ids []string) (*kpi.Result, error)
}

// KPIQuery is the ticket of a started KPI run on SQL: its queries (the
// catalog's, the credit table's and the response table's on Athena), the
// period they compute, the definitions they were compiled from and the
// snapshots they read (object → manifest key), which the finishing run
// records as its inputs.
type KPIQuery struct {
	IDs        []string          `json:"ids"`
	Quarter    string            `json:"quarter"`
	AsOf       time.Time         `json:"asof"`
	Final      bool              `json:"final"`
	ConfigHash string            `json:"config_hash"`
	Inputs     map[string]string `json:"inputs"`
}

func (k *KPIQuery) validate() error {
	bad := func(field, why string) error { return fmt.Errorf("kpi event: query.%s: %s", field, why) }
	switch {
	case len(k.IDs) == 0 || slices.Contains(k.IDs, ""):
		return bad("ids", "required: the query execution Ids the start answered")
	case k.AsOf.IsZero():
		return bad("asof", "required: the instant the query computes as of")
	case k.ConfigHash == "":
		return bad("config_hash", "required: the definitions the query was compiled from")
	case len(k.Inputs) == 0:
		return bad("inputs", "required: the snapshot manifests the query reads")
	}
	if _, err := period.Parse(k.Quarter); err != nil {
		return bad("quarter", err.Error())
	}
	return nil
}

func (k *KPIQuery) period() kpi.Period {
	q, _ := period.Parse(k.Quarter) // validated with the event
	return kpi.Period{Quarter: q, AsOf: k.AsOf, Final: k.Final}
}

// planKPIStart plans a deferred run on SQL: its Do starts the query and
// answers {"query": <ticket>}. Each start is its own run (the as-of
// instant is in its key), so a state machine run again the same day
// starts a fresh query instead of replaying one that may have failed.
func (e *Env) planKPIStart(qs SQLQueries, t Target, snaps map[string]*lake.Manifest, keys []string) Run {
	asOf := t.AsOf.UTC().Format(time.RFC3339Nano)
	return Run{Period: t.Quarter.String() + "@" + asOfDate(t.AsOf, t.Final), InputHash: hashOf(append(slices.Clone(keys), "sql-start", asOf)...), Request: t,
		Do: func(ctx context.Context) (any, Metrics, error) {
			p := kpi.Period{Quarter: t.Quarter, AsOf: t.AsOf, Final: t.Final}
			ids, err := qs.StartKPIs(ctx, e.KPIConfig, p, snapshotNights(snaps))
			if err != nil {
				return nil, Metrics{}, fmt.Errorf("kpi %s as of %s: start on sql: %w", t.Quarter, asOf, err)
			}
			inputs := make(map[string]string, len(snaps))
			for name, m := range snaps {
				inputs[name] = m.Key()
			}
			e.log().Info("kpi queries started", "quarter", t.Quarter.String(), "as_of", asOf, "queries", ids, "input_rows", inputRows(snaps))
			return map[string]any{"query": KPIQuery{IDs: ids, Quarter: t.Quarter.String(), AsOf: t.AsOf.UTC(), Final: t.Final, ConfigHash: e.KPIConfig.Hash, Inputs: inputs}},
				Metrics{Values: map[string]float64{"KPIQueriesStarted": 1}}, nil
		}}
}

// planKPIFinish plans the run that reads a started query's rows and
// writes them as a waiting run would. Its inputs are the ticket's
// snapshots and the query; the definitions must still be the ones the
// query was compiled from.
func (e *Env) planKPIFinish(ctx context.Context, k KPIQuery) (Run, error) {
	qs, ok := e.KPISQL.(SQLQueries)
	if !ok {
		return Run{}, errors.New("kpi event: query: this deployment runs no SQL engine (KPI_ATHENA_MIN_ROWS unset)")
	}
	if k.ConfigHash != e.KPIConfig.Hash {
		return Run{}, fmt.Errorf("kpi event: queries %s were compiled from definitions %s, the deployment now has %s: run the kpi job again", strings.Join(k.IDs, ", "), k.ConfigHash, e.KPIConfig.Hash)
	}
	snaps := make(map[string]*lake.Manifest, len(k.Inputs))
	for _, name := range slices.Sorted(maps.Keys(k.Inputs)) {
		m, err := lake.ReadManifest(ctx, e.Blob, k.Inputs[name])
		if err != nil {
			return Run{}, fmt.Errorf("kpi event: queries %s: input %s: %w", strings.Join(k.IDs, ", "), name, err)
		}
		snaps[name] = m
	}
	p := k.period()
	keys := append(append(manifestKeys(snaps), e.KPIConfig.Hash, fmt.Sprint(p.Final)), e.configParts()...)
	return Run{Period: p.Quarter.String() + "@" + asOfDate(p.AsOf, p.Final), InputHash: hashOf(append(keys, "sql:"+strings.Join(k.IDs, ","))...), Request: k,
		Do: func(ctx context.Context) (any, Metrics, error) {
			res, err := qs.FinishKPIs(ctx, e.KPIConfig, p, k.IDs)
			if err != nil {
				return nil, Metrics{}, fmt.Errorf("kpi %s as of %s: %w", p.Quarter, p.AsOf.Format(time.RFC3339), err)
			}
			run, err := e.writeKPIs(ctx, p.Quarter, p.AsOf, p.Final, snaps, res)
			if err != nil {
				return nil, Metrics{}, err
			}
			sum := e.kpiSummary(run)
			sum["queries"] = k.IDs
			return sum, KPIMetrics(len(run.Result.Values), p.Final), nil
		}}, nil
}

// kpiSummary is a KPI run's answer (and its ledger record).
func (e *Env) kpiSummary(run *KPIRun) map[string]any {
	res := run.Result
	return map[string]any{"quarter": res.Quarter, "as_of": res.AsOf, "final": res.Final, "values": len(res.Values), "gold": run.Gold.Key(), "credits": run.Credits.Key(), "credit_rows": len(res.Credits), "responses": run.Responses.Key(), "response_rows": len(res.Responses), "config": res.ConfigVersion, "config_version": e.ConfigVersion, "scorecard": run.Scorecard.Page}
}
