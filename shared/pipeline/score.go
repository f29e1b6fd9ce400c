package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/results"
	"github.com/venn-revops/venn/shared/score"
)

// scoreLead is the Lead projection the score job reads: the columns a
// scoring configuration may name as features (scoreColumns), the status
// that tells open leads from closed ones, and the conversion.
type scoreLead struct {
	ID                     string `parquet:"id"`
	CreatedDate            int64  `parquet:"created_date,timestamp(microsecond)"`
	IsDeleted              bool   `parquet:"is_deleted,optional"`
	Status                 string `parquet:"status,optional"`
	LeadSource             string `parquet:"lead_source,optional"`
	Segment                string `parquet:"segment,optional"`
	Region                 string `parquet:"region,optional"`
	Title                  string `parquet:"title,optional"` // an extra field (extract configuration); null when not extracted
	Industry               string `parquet:"industry,optional"`
	ConvertedDate          *int32 `parquet:"converted_date,optional,date"`
	ConvertedOpportunityID string `parquet:"converted_opportunity_id,optional"`
}

// scoreColumns are the Lead columns a scoring configuration may name
// (features.fields, features.title_field), in scoreLead's order.
var scoreColumns = []string{"lead_source", "segment", "region", "title", "industry"}

func (l *scoreLead) values(out []string) []string {
	return append(out[:0], l.LeadSource, l.Segment, l.Region, l.Title, l.Industry)
}

type scoreMember struct {
	LeadID       string `parquet:"lead_id,optional"`
	CreatedDate  int64  `parquet:"created_date,timestamp(microsecond)"`
	TouchDate    *int64 `parquet:"touch_date,optional,timestamp(microsecond)"`
	HasResponded bool   `parquet:"has_responded,optional"`
}

type scoreTask struct {
	WhoID       string `parquet:"who_id,optional"`
	CreatedDate int64  `parquet:"created_date,timestamp(microsecond)"`
	IsDeleted   bool   `parquet:"is_deleted,optional"`
}

type scoreHistory struct {
	LeadID      string `parquet:"lead_id"`
	CreatedDate int64  `parquet:"created_date,timestamp(microsecond)"`
	IsDeleted   bool   `parquet:"is_deleted,optional"`
	Field       string `parquet:"field"`
	OldValue    string `parquet:"old_value,optional"`
	NewValue    string `parquet:"new_value,optional"`
}

type scoreOpportunity struct {
	ID        string `parquet:"id"`
	IsDeleted bool   `parquet:"is_deleted,optional"`
	IsWon     *bool  `parquet:"is_won,optional"`
	CloseDate int32  `parquet:"close_date,optional,date"`
}

// Gold rows of the score job, one partition per night:
// score/lead/as_of=…/ (every open lead's score), score/factor/as_of=…/ (their
// top factors), score/metric/as_of=…/ (the model's measures, calibration and
// weights) and score/band/as_of=…/ (held-out conversion by score band, which
// the scorecard shows).

// ScoreRow is an open lead's score.
type ScoreRow struct {
	LeadID      string  `parquet:"lead_id"`
	Score       int32   `parquet:"score"`
	Probability float64 `parquet:"probability"`
	Factors     string  `parquet:"factors"` // the top factors as text, score.FactorsText
	Target      string  `parquet:"target,dict"`
	AsOf        int64   `parquet:"as_of,timestamp(microsecond)"`
}

// ScoreFactorRow is one of an open lead's top factors: its signed
// contribution to the lead's log-odds against the average training lead.
type ScoreFactorRow struct {
	LeadID       string  `parquet:"lead_id"`
	Rank         int32   `parquet:"rank"`
	Feature      string  `parquet:"feature,dict"`
	Contribution float64 `parquet:"contribution"`
}

// ScoreMetricRow is one measure of the model: metric auc, brier,
// base_rate, top_decile_lift, train_leads, train_conversions, test_leads,
// test_conversions (decile 0); calibration_predicted, calibration_observed
// and calibration_leads by decile 1–10; weight and mean by feature.
type ScoreMetricRow struct {
	Metric  string  `parquet:"metric,dict"`
	Decile  int32   `parquet:"decile"`
	Feature string  `parquet:"feature,optional"`
	Value   float64 `parquet:"value"`
}

// ScoreBandRow is held-out conversion by score band: of the test leads
// the model scored lo–hi, how many converted.
type ScoreBandRow struct {
	Lo        int32   `parquet:"lo"`
	Hi        int32   `parquet:"hi"`
	Leads     int64   `parquet:"leads"`
	Converted int64   `parquet:"converted"`
	Rate      float64 `parquet:"rate"`
}

// ScoreRun is one score job: what it measured and, when it published,
// where the scores went.
type ScoreRun struct {
	Result    *score.Result
	Published bool
	// Refused says why nothing was published (too few conversions).
	Refused string
	// PreviousAUC is the last published run's AUC (NaN when none);
	// AUCDropped is set when this run's AUC is lower by more than the
	// configuration's publish.max_auc_drop.
	PreviousAUC float64
	AUCDropped  bool
	Scores      *lake.Manifest
	Factors     *lake.Manifest
	Metrics     *lake.Manifest
	Bands       *lake.Manifest
	Inputs      map[string]string
}

// scoreRetention is how long a night's lead scores stay in the results
// table; the gold Parquet keeps every night.
const scoreRetention = 30 * 24 * time.Hour

// Score store keys: the run heads under SCORE (one per night, newest
// last), each night's lead scores under SCORE#<day>.
const scorePK = "SCORE"

func (e *Env) scoreConfig() *score.Config {
	if e.ScoreConfig != nil {
		return e.ScoreConfig
	}
	return score.DefaultConfig()
}

// scoreSnapshots resolves the score job's inputs: Lead and CampaignMember,
// Task and LeadHistory when the org has them, Opportunity for the
// won_revenue target.
func (e *Env) scoreSnapshots(ctx context.Context, cfg *score.Config) (map[string]*lake.Manifest, error) {
	objs := []*crm.Object{crm.Lead, crm.CampaignMember}
	if cfg.Target == score.TargetWonRevenue {
		objs = append(objs, crm.Opportunity)
	}
	snaps, err := e.snapshots(ctx, e.now(), objs...)
	if err != nil {
		return nil, err
	}
	for _, o := range []*crm.Object{crm.Task, crm.LeadHistory} {
		if m, err := lake.LatestSnapshot(ctx, e.Blob, o.Name, e.now()); err == nil {
			snaps[o.Name] = m
		} else if !errors.Is(err, lake.ErrNoSnapshot) {
			return nil, fmt.Errorf("snapshot of %s: %w", o.Name, err)
		}
	}
	return snaps, nil
}

// historyColumns maps the org field names LeadHistory rows carry (its
// Field) to the Lead columns the score job reads, as the Lead snapshot's
// manifest records which org field fills each column: an org that fills
// segment from Market_Segment__c has that name in its history.
func historyColumns(lead *lake.Manifest) map[string]string {
	out := map[string]string{}
	for _, c := range lead.Schema {
		if c.Field != "" && slices.Contains(scoreColumns, c.Name) {
			out[c.Field] = c.Name
		}
	}
	return out
}

// CheckScoreConfig refuses a scoring configuration naming a Lead column
// the job does not read, before anything is computed (the configuration
// store checks it with the rest of a configuration).
func CheckScoreConfig(cfg *score.Config) error {
	known := map[string]bool{}
	for _, c := range scoreColumns {
		known[c] = true
	}
	for _, f := range append(append([]string{}, cfg.Fields...), cfg.TitleField) {
		if f != "" && !known[f] {
			return fmt.Errorf("%s: features: %q is not a Lead column the score job reads (%s)", cfg.Name, f, strings.Join(scoreColumns, ", "))
		}
	}
	return nil
}

// PlanScore plans a score event; its inputs are the snapshots it reads,
// the scoring configuration and the night. With a LeadWriter (the deployed
// function's Salesforce client), a published run then writes the scores
// back as the configuration says (WriteBackScores: a dry run by default,
// which sends nothing); nil runs no write-back step.
func (e *Env) PlanScore(w LeadWriter) Planner {
	return func(ctx context.Context, ev Event) (Run, error) {
		cfg := e.scoreConfig()
		if err := CheckScoreConfig(cfg); err != nil {
			return Run{}, err
		}
		snaps, err := e.scoreSnapshots(ctx, cfg)
		if err != nil {
			return Run{}, err
		}
		night := e.now().Format(time.DateOnly)
		keys := append(manifestKeys(snaps), cfg.Hash, night)
		// Every score event asks the same of a night: {"job":"score"} and
		// its nightly mode are one request.
		req := map[string]string{"job": "score", "night": night}
		return Run{Period: night, InputHash: hashOf(keys...), Request: req, Do: func(ctx context.Context) (any, Metrics, error) {
			run, err := e.scoreFor(ctx, cfg, snaps)
			if err != nil {
				return nil, Metrics{}, err
			}
			sum, metrics := run.Summary(), ScoreMetrics(run)
			if w != nil && run.Published {
				wb, err := e.WriteBackScores(ctx, run, w)
				if err != nil {
					return nil, Metrics{}, fmt.Errorf("scores published as %s, but %w", run.Scores.Key(), err)
				}
				sum["writeback"] = wb
				metrics.Values["ScoreWrittenBack"] = float64(wb.Written)
			}
			return sum, metrics, nil
		}}, nil
	}
}

// Score runs the score job over the newest snapshots (the demo and the
// local command).
func (e *Env) Score(ctx context.Context) (*ScoreRun, error) {
	cfg := e.scoreConfig()
	if err := CheckScoreConfig(cfg); err != nil {
		return nil, err
	}
	snaps, err := e.scoreSnapshots(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return e.scoreFor(ctx, cfg, snaps)
}

// Summary is the run's result as the ledger stores it.
func (r *ScoreRun) Summary() map[string]any {
	m := r.Result.Metrics
	out := map[string]any{"published": r.Published, "target": r.Result.Target, "train_leads": r.Result.Train.Leads, "train_conversions": r.Result.Train.Conversions, "test_leads": r.Result.Test.Leads, "test_conversions": r.Result.Test.Conversions}
	if r.Refused != "" {
		out["refused"] = r.Refused
		return out
	}
	out["auc"], out["brier"], out["top_decile_lift"], out["scored"] = m.AUC, m.Brier, m.TopDecileLift, len(r.Result.Scores)
	out["scores"], out["metrics"] = r.Scores.Key(), r.Metrics.Key()
	if r.AUCDropped {
		out["warning"] = fmt.Sprintf("AUC dropped from %.4f to %.4f", r.PreviousAUC, m.AUC)
	}
	return out
}

// ScoreMetrics are a score run's metrics: leads scored, AUC, and whether
// it published.
func ScoreMetrics(r *ScoreRun) Metrics {
	v := map[string]float64{MetricRows: float64(len(r.Result.Scores)), "ScorePublished": 0}
	if r.Published {
		v["ScorePublished"] = 1
		v["ScoreAUC"] = r.Result.Metrics.AUC
		if r.AUCDropped {
			v["ScoreAUCDropped"] = 1
		}
	}
	return Metrics{Values: v, Units: map[string]string{"ScoreAUC": "None"}}
}

// loadScoreData reads the snapshots into the score package's rows.
func (e *Env) loadScoreData(ctx context.Context, snaps map[string]*lake.Manifest) (*score.Data, error) {
	d := &score.Data{Fields: scoreColumns}
	// Strings are interned: a million leads share a few dozen sources.
	intern := map[string]string{}
	in := func(s string) string {
		if v, ok := intern[s]; ok {
			return v
		}
		s = strings.Clone(s)
		intern[s] = s
		return s
	}
	err := lake.ScanFilesBorrowed(ctx, e.Blob, snaps[crm.Lead.Name].Files, func(rows []scoreLead) error {
		for i := range rows {
			r := &rows[i]
			if r.IsDeleted {
				continue
			}
			l := score.Lead{ID: strings.Clone(r.ID), Created: r.CreatedDate, Status: in(r.Status), OpportunityID: strings.Clone(r.ConvertedOpportunityID)}
			vals := r.values(make([]string, 0, len(scoreColumns)))
			for k := range vals {
				vals[k] = in(vals[k])
			}
			l.Values = vals
			if r.ConvertedDate != nil {
				// A date: the conversion counts from the start of its day.
				l.ConvertedAt = int64(*r.ConvertedDate) * int64(24*time.Hour/time.Microsecond)
			}
			d.Leads = append(d.Leads, l)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("score: read Lead: %w", err)
	}
	err = lake.ScanFilesBorrowed(ctx, e.Blob, snaps[crm.CampaignMember.Name].Files, func(rows []scoreMember) error {
		for _, r := range rows {
			if r.LeadID == "" {
				continue
			}
			at := r.CreatedDate
			if r.TouchDate != nil {
				at = *r.TouchDate
			}
			d.Touches = append(d.Touches, score.Touch{LeadID: strings.Clone(r.LeadID), At: at, Responded: r.HasResponded})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("score: read CampaignMember: %w", err)
	}
	if m := snaps[crm.Task.Name]; m != nil {
		const leadPrefix = "00Q" // a Lead Id's key prefix, the same in every org
		err = lake.ScanFilesBorrowed(ctx, e.Blob, m.Files, func(rows []scoreTask) error {
			for _, r := range rows {
				if !r.IsDeleted && strings.HasPrefix(r.WhoID, leadPrefix) {
					d.Activities = append(d.Activities, score.Activity{LeadID: strings.Clone(r.WhoID), At: r.CreatedDate})
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("score: read Task: %w", err)
		}
	}
	if m := snaps[crm.LeadHistory.Name]; m != nil {
		// Point in time: the score package reverts a field changed after
		// a lead's cut to the value it held then.
		cols := historyColumns(snaps[crm.Lead.Name])
		err = lake.ScanFilesBorrowed(ctx, e.Blob, m.Files, func(rows []scoreHistory) error {
			for _, r := range rows {
				if col, ok := cols[r.Field]; ok && !r.IsDeleted {
					d.History = append(d.History, score.FieldChange{LeadID: strings.Clone(r.LeadID), Field: col, At: r.CreatedDate, Old: in(r.OldValue), New: in(r.NewValue)})
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("score: read LeadHistory: %w", err)
		}
	}
	if m := snaps[crm.Opportunity.Name]; m != nil {
		won := map[string]int64{}
		err = lake.ScanFilesBorrowed(ctx, e.Blob, m.Files, func(rows []scoreOpportunity) error {
			for _, r := range rows {
				if !r.IsDeleted && r.IsWon != nil && *r.IsWon {
					won[strings.Clone(r.ID)] = int64(r.CloseDate) * int64(24*time.Hour/time.Microsecond)
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("score: read Opportunity: %w", err)
		}
		for i := range d.Leads {
			d.Leads[i].WonAt = won[d.Leads[i].OpportunityID]
		}
	}
	return d, nil
}

// scoreRunRecord heads a night's scores in the results table.
type scoreRunRecord struct {
	AsOf       time.Time          `json:"asof"`
	Published  bool               `json:"published"`
	Refused    string             `json:"refused,omitempty"`
	Config     string             `json:"config"`
	ConfigHash string             `json:"config_hash"`
	Target     score.TargetKind   `json:"target"`
	Train      score.Counts       `json:"train"`
	Test       score.Counts       `json:"test"`
	Metrics    score.Metrics      `json:"metrics"`
	Bands      []score.Band       `json:"bands,omitempty"`
	Excluded   []score.Exclusion  `json:"excluded,omitempty"`
	Weights    map[string]float64 `json:"weights,omitempty"`
	Scored     int                `json:"scored"`
	Gold       string             `json:"gold_manifest,omitempty"`
	Warning    string             `json:"warning,omitempty"`
}

func (e *Env) scoreFor(ctx context.Context, cfg *score.Config, snaps map[string]*lake.Manifest) (*ScoreRun, error) {
	data, err := e.loadScoreData(ctx, snaps)
	if err != nil {
		return nil, err
	}
	asOf := e.now()
	night := asOf.Format(time.DateOnly)
	run := &ScoreRun{PreviousAUC: math.NaN(), Inputs: map[string]string{}}
	for name, m := range snaps {
		run.Inputs[name] = m.Key()
	}
	res, err := score.Train(cfg, data, asOf.UnixMicro())
	head := scoreRunRecord{AsOf: asOf, Config: cfg.Name, ConfigHash: cfg.Hash, Target: cfg.Target}
	if errors.Is(err, score.ErrTooFewConversions) {
		// Not a failure of the nightly chain: a young org has too little
		// history. The refusal is stated and recorded; nothing is scored.
		run.Result, run.Refused = res, err.Error()
		if res == nil {
			run.Result = &score.Result{Target: cfg.Target}
		}
		head.Refused, head.Train, head.Test = run.Refused, run.Result.Train, run.Result.Test
		e.log().Warn("score: not published", "reason", run.Refused)
		return run, e.putScoreHead(ctx, night, head)
	}
	if err != nil {
		return nil, err
	}
	run.Result = res
	if prev, ok, err := e.previousScoreRun(ctx, night); err != nil {
		return nil, err
	} else if ok {
		run.PreviousAUC = prev.Metrics.AUC
		run.AUCDropped = prev.Metrics.AUC-res.Metrics.AUC > cfg.MaxAUCDrop
	}

	meta := map[string]string{"config": cfg.Name, "config_hash": cfg.Hash, "code_version": e.CodeVersion, "target": string(cfg.Target)}
	for name, key := range run.Inputs {
		meta["input."+name] = key
	}
	opts := func(table string) lake.TableOptions {
		return lake.TableOptions{Table: table, RunID: runID(e.now()), Meta: meta, Now: e.Now}
	}
	rows := make([]ScoreRow, len(res.Scores))
	var factors []ScoreFactorRow
	for i, s := range res.Scores {
		rows[i] = ScoreRow{LeadID: s.LeadID, Score: int32(s.Score), Probability: s.Probability, Factors: score.FactorsText(s.Factors), Target: string(cfg.Target), AsOf: asOf.UnixMicro()}
		for k, f := range s.Factors {
			factors = append(factors, ScoreFactorRow{LeadID: s.LeadID, Rank: int32(k + 1), Feature: f.Feature, Contribution: f.Contribution})
		}
	}
	if run.Scores, err = lake.WriteTable(ctx, e.Blob, "score/lead/as_of="+night, rows, opts("score/lead")); err != nil {
		return nil, fmt.Errorf("score: gold scores: %w", err)
	}
	if run.Factors, err = lake.WriteTable(ctx, e.Blob, "score/factor/as_of="+night, factors, opts("score/factor")); err != nil {
		return nil, fmt.Errorf("score: gold factors: %w", err)
	}
	if run.Metrics, err = lake.WriteTable(ctx, e.Blob, "score/metric/as_of="+night, metricRows(res), opts("score/metric")); err != nil {
		return nil, fmt.Errorf("score: gold metrics: %w", err)
	}
	bandRows := make([]ScoreBandRow, len(res.Bands))
	for i, b := range res.Bands {
		bandRows[i] = ScoreBandRow{Lo: int32(b.Lo), Hi: int32(b.Hi), Leads: int64(b.Leads), Converted: int64(b.Converted), Rate: b.Rate}
	}
	if run.Bands, err = lake.WriteTable(ctx, e.Blob, "score/band/as_of="+night, bandRows, opts("score/band")); err != nil {
		return nil, fmt.Errorf("score: gold bands: %w", err)
	}
	if err := e.register(ctx, run.Scores, run.Factors, run.Metrics, run.Bands); err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}

	if cfg.LeadItems {
		items := make([]results.Item, 0, len(res.Scores))
		expires := asOf.Add(scoreRetention).Unix()
		for i, s := range res.Scores {
			body, err := json.Marshal(s)
			if err != nil {
				return nil, fmt.Errorf("score: lead %s: %w", s.LeadID, err)
			}
			items = append(items, results.Item{PK: scorePK + "#" + night, SK: "LEAD#" + rows[i].LeadID, Kind: "score", Version: 1, Expires: expires, Body: body})
		}
		if err := e.Store.BatchPut(ctx, items); err != nil {
			return nil, fmt.Errorf("score: store scores: %w", err)
		}
	}
	run.Published = true
	head.Published, head.Train, head.Test, head.Metrics, head.Bands, head.Excluded = true, res.Train, res.Test, res.Metrics, res.Bands, res.Excluded
	head.Scored, head.Gold = len(res.Scores), run.Scores.Key()
	head.Weights = map[string]float64{}
	for j, f := range res.Features {
		head.Weights[f] = res.Weights[j]
	}
	if run.AUCDropped {
		head.Warning = fmt.Sprintf("AUC dropped from %.4f to %.4f, more than publish.max_auc_drop %.4f", run.PreviousAUC, res.Metrics.AUC, cfg.MaxAUCDrop)
		e.log().Warn("score: "+head.Warning, "previous_auc", run.PreviousAUC, "auc", res.Metrics.AUC)
	}
	// The head goes last: a reader that finds it knows every score is in.
	if err := e.putScoreHead(ctx, night, head); err != nil {
		return nil, err
	}
	e.log().Info("score computed", "target", string(cfg.Target), "auc", res.Metrics.AUC, "brier", res.Metrics.Brier, "top_decile_lift", res.Metrics.TopDecileLift,
		"train_leads", res.Train.Leads, "train_conversions", res.Train.Conversions, "test_leads", res.Test.Leads, "test_conversions", res.Test.Conversions, "scored", len(res.Scores), "excluded", len(res.Excluded), "gold", run.Scores.Key())
	return run, nil
}

func (e *Env) putScoreHead(ctx context.Context, night string, head scoreRunRecord) error {
	body, err := json.Marshal(head)
	if err != nil {
		return fmt.Errorf("score: encode run record: %w", err)
	}
	if err := e.Store.Put(ctx, results.Item{PK: scorePK, SK: "RUN#" + night, Kind: "score-run", Version: 1, Body: body}, results.Condition{}); err != nil {
		return fmt.Errorf("score: store run record: %w", err)
	}
	return nil
}

// previousScoreRun is the newest published run before night.
func (e *Env) previousScoreRun(ctx context.Context, night string) (scoreRunRecord, bool, error) {
	items, err := e.Store.Query(ctx, scorePK, "RUN#")
	if err != nil {
		return scoreRunRecord{}, false, fmt.Errorf("score: previous runs: %w", err)
	}
	for i := len(items) - 1; i >= 0; i-- {
		if items[i].SK >= "RUN#"+night {
			continue
		}
		var r scoreRunRecord
		if err := json.Unmarshal(items[i].Body, &r); err != nil {
			return r, false, fmt.Errorf("score: run record %s: %w", items[i].SK, err)
		}
		if r.Published {
			return r, true, nil
		}
	}
	return scoreRunRecord{}, false, nil
}

// ScoreHistory returns the stored run records, oldest first: AUC and the
// other measures night by night.
func (e *Env) ScoreHistory(ctx context.Context) ([]json.RawMessage, error) {
	items, err := e.Store.Query(ctx, scorePK, "RUN#")
	if err != nil {
		return nil, fmt.Errorf("score: runs: %w", err)
	}
	out := make([]json.RawMessage, len(items))
	for i, it := range items {
		out[i] = it.Body
	}
	return out, nil
}

func metricRows(res *score.Result) []ScoreMetricRow {
	m := res.Metrics
	rows := []ScoreMetricRow{
		{Metric: "auc", Value: m.AUC}, {Metric: "brier", Value: m.Brier}, {Metric: "base_rate", Value: m.BaseRate}, {Metric: "top_decile_lift", Value: m.TopDecileLift},
		{Metric: "train_leads", Value: float64(res.Train.Leads)}, {Metric: "train_conversions", Value: float64(res.Train.Conversions)},
		{Metric: "test_leads", Value: float64(res.Test.Leads)}, {Metric: "test_conversions", Value: float64(res.Test.Conversions)},
	}
	for _, d := range m.Calibration {
		dec := int32(d.Decile)
		rows = append(rows, ScoreMetricRow{Metric: "calibration_predicted", Decile: dec, Value: d.Predicted},
			ScoreMetricRow{Metric: "calibration_observed", Decile: dec, Value: d.Observed},
			ScoreMetricRow{Metric: "calibration_leads", Decile: dec, Value: float64(d.Leads)})
	}
	for j, f := range res.Features {
		rows = append(rows, ScoreMetricRow{Metric: "weight", Feature: f, Value: res.Weights[j]}, ScoreMetricRow{Metric: "mean", Feature: f, Value: res.Means[j]})
	}
	return rows
}
