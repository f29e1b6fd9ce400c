package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/extract"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/period"
	"github.com/venn-revops/venn/shared/results"
)

// KPIRun is one computed catalog and where it went.
type KPIRun struct {
	Result *kpi.Result
	// Gold is the committed manifest of kpi/quarter=…/as_of=…/.
	Gold *lake.Manifest
	// Credits is the committed manifest of the attribution credit rows,
	// kpi/credit/quarter=…/as_of=…/ (kpi.CreditRow).
	Credits *lake.Manifest
	// Responses is the committed manifest of the per-MQL response rows,
	// kpi/response/quarter=…/as_of=…/ (kpi.ResponseRow).
	Responses *lake.Manifest
	// Inputs are the snapshot manifests read, by object.
	Inputs map[string]string
	// Scorecard are the run's page and weekly digest (lake keys).
	Scorecard *ScorecardFiles
}

// qtdRetention is how long a night's quarter-to-date KPI items stay in the
// results table: long enough to compare a quarter with the same point a year
// before.
const qtdRetention = 400 * 24 * time.Hour

// KPI store keys: one partition per quarter; final figures under FINAL#,
// nightly quarter-to-date figures under ASOF#<date>#.
func kpiPK(q string) string { return "KPI#" + q }

func kpiSKPrefix(asOf time.Time, final bool) string {
	if final {
		return "FINAL#"
	}
	return "ASOF#" + asOfDate(asOf, false) + "#"
}

// asOfDate names an as-of instant by its day. Final figures are as of the
// quarter's exclusive end, midnight after its last day; they are filed under
// that last day.
func asOfDate(asOf time.Time, final bool) string {
	if final {
		asOf = asOf.Add(-time.Microsecond)
	}
	return asOf.UTC().Format(time.DateOnly)
}

func kpiSK(prefix string, v kpi.Value) string {
	return prefix + strings.Join([]string{v.KPI, v.Dimension, v.Key, v.Model}, "#")
}

// kpiInputs are the objects the KPI engine reads.
var kpiInputs = []*crm.Object{crm.User, crm.Account, crm.Campaign, crm.Opportunity, crm.OpportunityHistory, crm.OpportunityContactRole, crm.Lead, crm.CampaignMember, crm.Task}

// kpiOptionalInputs are the optional objects the KPI engine reads when the
// org has them: contracts (renewals and retention), the products sold,
// the leads' field history (the lead exits' Status changes) and a
// multi-currency org's exchange rates.
var kpiOptionalInputs = append([]*crm.Object{crm.Contract, crm.OpportunityLineItem, crm.Product2, crm.LeadHistory}, rateInputs...)

// kpiSnapshots resolves the KPI engine's inputs: every required object's
// newest snapshot, and each optional object's when the lake has one that
// is not the empty snapshot of an org without it (extract.ModeSkipped).
// An optional object without one is left out, so the engine reads it as
// absent (a nil Source) rather than as an org with no rows.
func (e *Env) kpiSnapshots(ctx context.Context) (map[string]*lake.Manifest, error) {
	return e.snapshotsWithOptional(ctx, kpiInputs, kpiOptionalInputs)
}

// snapshotsWithOptional resolves every required object's newest snapshot
// and each optional object's when the lake has one that is not the empty
// snapshot of an org without it (extract.ModeSkipped); an optional object
// without one is left out of the map.
func (e *Env) snapshotsWithOptional(ctx context.Context, required, optional []*crm.Object) (map[string]*lake.Manifest, error) {
	snaps, err := e.snapshots(ctx, e.now(), required...)
	if err != nil {
		return nil, err
	}
	if err := e.optionalSnapshots(ctx, snaps, optional...); err != nil {
		return nil, err
	}
	return snaps, nil
}

// optionalSnapshots adds to snaps each optional object's newest snapshot
// when the lake has one that is not the empty snapshot of an org without
// the object (extract.ModeSkipped).
func (e *Env) optionalSnapshots(ctx context.Context, snaps map[string]*lake.Manifest, objects ...*crm.Object) error {
	for _, o := range objects {
		m, err := lake.LatestSnapshot(ctx, e.Blob, o.Name, e.now())
		switch {
		case errors.Is(err, lake.ErrNoSnapshot):
			continue
		case err != nil:
			return fmt.Errorf("snapshot of %s as of %s: %w", o.Name, e.now().Format(time.DateOnly), err)
		case m.Mode == string(extract.ModeSkipped):
			continue
		}
		snaps[o.Name] = m
	}
	return nil
}

// scanOptional is scan over an optional object's snapshot, nil when there
// is none.
func scanOptional[T any](ctx context.Context, b lake.Blob, m *lake.Manifest) kpi.Source[T] {
	if m == nil {
		return nil
	}
	return scan[T](ctx, b, m)
}

// snapshots resolves, for each object, the newest committed snapshot on or
// before asOf. Every object the KPI engine reads must have one.
func (e *Env) snapshots(ctx context.Context, asOf time.Time, objects ...*crm.Object) (map[string]*lake.Manifest, error) {
	out := make(map[string]*lake.Manifest, len(objects))
	for _, o := range objects {
		m, err := lake.LatestSnapshot(ctx, e.Blob, o.Name, asOf)
		if err != nil {
			return nil, fmt.Errorf("snapshot of %s as of %s: %w", o.Name, asOf.Format(time.DateOnly), err)
		}
		out[o.Name] = m
	}
	return out, nil
}

// scanWorkers is how many part files of one object are decoded at once: a
// Lambda with 3 GB has two vCPUs, and the engine's own work overlaps them.
const scanWorkers = 2

// scan streams a committed snapshot into the engine, one source per part
// file read concurrently (the engine does not depend on row order). Even a
// single part file is decoded on its own goroutine, overlapping the
// engine's work on the other core.
func scan[T any](ctx context.Context, b lake.Blob, m *lake.Manifest) kpi.Source[T] {
	srcs := make([]kpi.Source[T], len(m.Files))
	for i := range m.Files {
		files := m.Files[i : i+1]
		srcs[i] = func(fn func([]T) error) error { return lake.ScanFilesBorrowed[T](ctx, b, files, fn) }
	}
	return kpi.Concurrent(scanWorkers, srcs...)
}

// manifestKeys lists the snapshots' manifest keys, sorted: the run's inputs
// for its idempotency hash.
func manifestKeys(snaps map[string]*lake.Manifest) []string {
	keys := make([]string, 0, len(snaps))
	for _, m := range snaps {
		keys = append(keys, m.Key())
	}
	sort.Strings(keys)
	return keys
}

// ComputeKPIs computes the catalog for quarter q as of asOf over the newest
// committed snapshots, without writing anything (the scorecard's comparison
// with the same point of the previous quarter uses it as well).
func (e *Env) ComputeKPIs(ctx context.Context, q period.Quarter, asOf time.Time, final bool) (*kpi.Result, error) {
	snaps, err := e.kpiSnapshots(ctx)
	if err != nil {
		return nil, err
	}
	return e.computeKPIs(ctx, q, asOf, final, snaps)
}

// SQLCatalog computes the KPI catalog with SQL over the snapshot nights
// (object → dt) the run resolved; its result has the credit and response
// rows too.
type SQLCatalog interface {
	ComputeKPIs(ctx context.Context, cfg *kpi.Config, p kpi.Period, nights map[string]string) (*kpi.Result, error)
}

// inputRows is the row count of the KPI inputs, from their manifests: the
// org's size, which chooses between the engine and KPISQL.
func inputRows(snaps map[string]*lake.Manifest) int64 {
	var n int64
	for _, m := range snaps {
		n += m.Rows
	}
	return n
}

// onSQL reports whether a run over snaps goes to KPISQL: the org's inputs
// hold at least KPISQLMinRows rows.
func (e *Env) onSQL(snaps map[string]*lake.Manifest) bool {
	return e.KPISQL != nil && e.KPISQLMinRows > 0 && inputRows(snaps) >= e.KPISQLMinRows
}

// snapshotNights are the snapshot nights (object → dt) of snaps: what the SQL
// reads.
func snapshotNights(snaps map[string]*lake.Manifest) map[string]string {
	out := make(map[string]string, len(snaps))
	for name, m := range snaps {
		out[name] = m.Dt
	}
	return out
}

func (e *Env) computeKPIs(ctx context.Context, q period.Quarter, asOf time.Time, final bool, snaps map[string]*lake.Manifest, opts ...kpi.Option) (*kpi.Result, error) {
	if e.onSQL(snaps) {
		rows, nights := inputRows(snaps), snapshotNights(snaps)
		e.log().Info("kpi on sql", "quarter", q.String(), "input_rows", rows, "min_rows", e.KPISQLMinRows)
		res, err := e.KPISQL.ComputeKPIs(ctx, e.KPIConfig, kpi.Period{Quarter: q, AsOf: asOf, Final: final}, nights)
		if err != nil {
			return nil, fmt.Errorf("kpi %s as of %s on sql (%d input rows): %w", q, asOf.Format(time.DateOnly), rows, err)
		}
		return res, nil
	}
	rates, err := e.readRates(ctx, snaps)
	if err != nil {
		return nil, fmt.Errorf("kpi %s as of %s: %w", q, asOf.Format(time.DateOnly), err)
	}
	in := kpi.Inputs{
		Rates:              rates,
		Users:              scan[kpi.User](ctx, e.Blob, snaps["User"]),
		Accounts:           scan[kpi.Account](ctx, e.Blob, snaps["Account"]),
		Campaigns:          scan[kpi.Campaign](ctx, e.Blob, snaps["Campaign"]),
		Opportunities:      scan[kpi.Opportunity](ctx, e.Blob, snaps["Opportunity"]),
		OpportunityHistory: scan[kpi.OpportunityHistory](ctx, e.Blob, snaps["OpportunityHistory"]),
		ContactRoles:       scan[kpi.ContactRole](ctx, e.Blob, snaps["OpportunityContactRole"]),
		Leads:              scan[kpi.Lead](ctx, e.Blob, snaps["Lead"]),
		CampaignMembers:    scan[kpi.CampaignMember](ctx, e.Blob, snaps["CampaignMember"]),
		Tasks:              scan[kpi.Task](ctx, e.Blob, snaps["Task"]),
		Contracts:          scanOptional[kpi.Contract](ctx, e.Blob, snaps["Contract"]),
		LineItems:          scanOptional[kpi.LineItem](ctx, e.Blob, snaps["OpportunityLineItem"]),
		Products:           scanOptional[kpi.Product](ctx, e.Blob, snaps["Product2"]),
		LeadHistory:        scanOptional[kpi.LeadHistory](ctx, e.Blob, snaps["LeadHistory"]),
	}
	res, err := kpi.Compute(e.KPIConfig, in, kpi.Period{Quarter: q, AsOf: asOf, Final: final}, opts...)
	if err != nil {
		return nil, fmt.Errorf("kpi %s as of %s: %w", q, asOf.Format(time.DateOnly), err)
	}
	return res, nil
}

// KPIFor computes the catalog for quarter q as of asOf, writes the gold
// Parquet partition and the results items, and returns what it computed.
func (e *Env) KPIFor(ctx context.Context, q period.Quarter, asOf time.Time, final bool) (*KPIRun, error) {
	snaps, err := e.kpiSnapshots(ctx)
	if err != nil {
		return nil, err
	}
	return e.kpiFor(ctx, q, asOf, final, snaps)
}

// kpiFor is KPIFor over snapshots already resolved (by the run's plan, so
// the inputs hashed are the inputs read).
func (e *Env) kpiFor(ctx context.Context, q period.Quarter, asOf time.Time, final bool, snaps map[string]*lake.Manifest) (*KPIRun, error) {
	res, err := e.computeKPIs(ctx, q, asOf, final, snaps, kpi.WithCredits(), kpi.WithResponses())
	if err != nil {
		return nil, err
	}
	return e.writeKPIs(ctx, q, asOf, final, snaps, res)
}

// writeKPIs writes a computed catalog over snaps: the gold, credit and
// response partitions, their Glue partitions, the results items and the
// scorecard.
func (e *Env) writeKPIs(ctx context.Context, q period.Quarter, asOf time.Time, final bool, snaps map[string]*lake.Manifest, res *kpi.Result) (*KPIRun, error) {
	inputs := make(map[string]string, len(snaps))
	for name, m := range snaps {
		inputs[name] = m.Key()
	}
	meta := map[string]string{"config": res.ConfigVersion, "config_hash": res.ConfigHash, "code_version": e.CodeVersion, "final": fmt.Sprint(final), "gold_schema": kpi.GoldSchema, "retention_source": string(res.RetentionSource), "lead_exit_source": string(res.LeadExitSource), "config_version": e.ConfigVersion}
	for name, key := range inputs {
		meta["input."+name] = key
	}
	partition := fmt.Sprintf("kpi/quarter=%s/as_of=%s", q, asOfDate(asOf, final))
	gold, err := lake.WriteTable(ctx, e.Blob, partition, res.Rows(), lake.TableOptions{Table: "kpi", RunID: runID(e.now()), Meta: meta, Now: e.Now})
	if err != nil {
		return nil, fmt.Errorf("kpi %s: gold table: %w", q, err)
	}
	// The credit rows beside the aggregates, same partition keys: BI and
	// finance audit every cent of the influenced KPIs.
	creditPartition := fmt.Sprintf("kpi/credit/quarter=%s/as_of=%s", q, asOfDate(asOf, final))
	credits, err := lake.WriteTable(ctx, e.Blob, creditPartition, res.CreditRows(), lake.TableOptions{Table: "kpi/credit", RunID: runID(e.now()), Meta: meta, Now: e.Now})
	if err != nil {
		return nil, fmt.Errorf("kpi %s: gold credit table: %w", q, err)
	}
	// One row per MQL of the period: when a person first answered it.
	responsePartition := fmt.Sprintf("kpi/response/quarter=%s/as_of=%s", q, asOfDate(asOf, final))
	responses, err := lake.WriteTable(ctx, e.Blob, responsePartition, res.ResponseRows(), lake.TableOptions{Table: "kpi/response", RunID: runID(e.now()), Meta: meta, Now: e.Now})
	if err != nil {
		return nil, fmt.Errorf("kpi %s: gold response table: %w", q, err)
	}
	if err := e.register(ctx, gold, credits, responses); err != nil {
		return nil, err
	}
	if err := e.storeKPIs(ctx, res, gold.Key()); err != nil {
		return nil, err
	}
	run := &KPIRun{Result: res, Gold: gold, Credits: credits, Responses: responses, Inputs: inputs}
	// The shared page and the weekly digest, beside the gold partition.
	if run.Scorecard, err = e.writeScorecard(ctx, run, snaps); err != nil {
		return nil, err
	}
	if n := res.Stats.ResponderByOwner; n > 0 {
		// The snapshot's tasks predate Task.created_by_id: automation that
		// owns nothing is still excluded, automation owned by a rep is not.
		e.log().Warn("lead response: tasks without CreatedById judged by their owner", "quarter", q.String(), "tasks", n)
	}
	e.log().Info("kpi computed", "quarter", q.String(), "as_of", asOf.Format(time.RFC3339), "final", final, "values", len(res.Values), "credit_rows", len(res.Credits), "response_rows", len(res.Responses), "gold", gold.Key(), "credits", credits.Key(), "responses", responses.Key(), "scorecard", run.Scorecard.Page)
	return run, nil
}

// kpiRunRecord heads a stored KPI set: which gold commit and definitions it
// came from.
type kpiRunRecord struct {
	Quarter    string    `json:"quarter"`
	AsOf       time.Time `json:"asof"`
	Final      bool      `json:"final"`
	Config     string    `json:"config"`
	ConfigHash string    `json:"config_hash"`
	Gold       string    `json:"gold_manifest"`
	Values     int       `json:"values"`
	// RetentionSource: contracts or renewal_opportunities, the reading of
	// renewal_rate, nrr and grr (docs/kpis.md 2.11).
	RetentionSource kpi.RetentionSource `json:"retention_source"`
	// LeadExitSource: lead_history or current_status, the reading of
	// leads_disqualified and leads_recycled (docs/kpis.md 2.1).
	LeadExitSource kpi.LeadExitSource `json:"lead_exit_source,omitempty"`
}

func (e *Env) storeKPIs(ctx context.Context, res *kpi.Result, goldKey string) error {
	prefix := kpiSKPrefix(res.AsOf, res.Final)
	// Nightly quarter-to-date sets expire (DynamoDB TTL) after qtdRetention;
	// final figures are kept. The gold Parquet keeps every night for BI.
	var expires int64
	if !res.Final {
		expires = res.AsOf.Add(qtdRetention).Unix()
	}
	items := make([]results.Item, 0, len(res.Values)+1)
	for _, v := range res.Values {
		body, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("kpi %s: encode %s: %w", res.Quarter, v.KPI, err)
		}
		items = append(items, results.Item{PK: kpiPK(res.Quarter), SK: kpiSK(prefix, v), Kind: "kpi", Version: 1, Expires: expires, Body: body})
	}
	head, _ := json.Marshal(kpiRunRecord{Quarter: res.Quarter, AsOf: res.AsOf, Final: res.Final, Config: res.ConfigVersion, ConfigHash: res.ConfigHash, Gold: goldKey, Values: len(res.Values), RetentionSource: res.RetentionSource, LeadExitSource: res.LeadExitSource})
	// The head goes last: a reader that finds it knows every value is in.
	if err := e.Store.BatchPut(ctx, items); err != nil {
		return fmt.Errorf("kpi %s: store values: %w", res.Quarter, err)
	}
	if err := e.Store.Put(ctx, results.Item{PK: kpiPK(res.Quarter), SK: prefix + "_run", Kind: "kpi-run", Version: 1, Expires: expires, Body: head}, results.Condition{}); err != nil {
		return fmt.Errorf("kpi %s: store run record: %w", res.Quarter, err)
	}
	return nil
}

// FinalKPIs reads a quarter's final KPI values back from the results store.
func (e *Env) FinalKPIs(ctx context.Context, q period.Quarter) ([]kpi.Value, error) {
	if _, err := e.Store.Get(ctx, kpiPK(q.String()), "FINAL#_run"); err != nil {
		return nil, fmt.Errorf("final KPIs of %s: %w (run the kpi job with mode close or rerun first)", q, err)
	}
	return e.storedValues(ctx, q, "FINAL#")
}

// storedValues reads the KPI values stored under one set's sort-key
// prefix (kpiSKPrefix).
func (e *Env) storedValues(ctx context.Context, q period.Quarter, prefix string) ([]kpi.Value, error) {
	items, err := e.Store.Query(ctx, kpiPK(q.String()), prefix)
	if err != nil {
		return nil, fmt.Errorf("KPIs of %s (%s): %w", q, prefix, err)
	}
	out := make([]kpi.Value, 0, len(items))
	for _, it := range items {
		if it.Kind != "kpi" {
			continue
		}
		var v kpi.Value
		if err := json.Unmarshal(it.Body, &v); err != nil {
			return nil, fmt.Errorf("KPIs of %s: item %s: %w", q, it.SK, err)
		}
		out = append(out, v)
	}
	return out, nil
}
