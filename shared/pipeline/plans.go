package pipeline

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/comp/statementstore"
	"github.com/venn-revops/venn/shared/extract"
)

// PlanExtract plans an extract event over src. Its inputs are the CRM itself,
// so the key is the night and the event's own parameters: a redelivery of the
// same night's event replays; a backfill or a resync is a different run.
func (e *Env) PlanExtract(src extract.Source) Planner {
	return func(ctx context.Context, ev Event) (Run, error) {
		night := e.now().Format(time.DateOnly)
		if ev.Mode == ModePlan {
			plan := e.NightlyPlan()
			var names []string
			for _, item := range plan.Extract {
				names = append(names, item.Objects...)
			}
			// Keyed by the object list, so a redeployed configuration
			// plans again the same night instead of replaying.
			return Run{Period: night, InputHash: hashOf(append([]string{ModePlan}, names...)...), Do: func(ctx context.Context) (any, Metrics, error) {
				slices, err := e.PlanSlices(ctx, src)
				if err != nil {
					return nil, Metrics{}, err
				}
				plan.Slices = slices
				return plan, Metrics{Values: map[string]float64{"PlannedObjects": float64(len(names)), "PlannedSlices": float64(len(slices))}}, nil
			}}, nil
		}
		if err := ev.CheckBackfillQuarter(e.now(), e.EarliestQuarter); err != nil {
			return Run{}, err
		}
		// A resumed pull's checkpoint versions are inputs: the next
		// invocation of the same event (the state machine's loop) is a new
		// run, while a duplicate delivery of one invocation replays it.
		parts := []string{string(canonical(ev))}
		pulls, err := e.pullVersions(ctx, ev)
		if err != nil {
			return Run{}, err
		}
		parts = append(parts, pulls...)
		return Run{Period: night, InputHash: hashOf(parts...), Do: func(ctx context.Context) (any, Metrics, error) {
			sum, err := e.Extract(ctx, src, ev)
			return sum, ExtractMetrics(sum, e.now()), err
		}}, nil
	}
}

// pullVersions are "object@version" of the event's objects' pull
// checkpoints (every configured object when the event names none); an
// object that never had to resume has none.
func (e *Env) pullVersions(ctx context.Context, ev Event) ([]string, error) {
	if e.Store == nil {
		return nil, nil
	}
	names := ev.Objects
	if len(names) == 0 {
		org := e.ExtractOptions.Org
		if org == nil {
			org = extract.DefaultOrgConfig()
		}
		for _, o := range org.Registry.Objects {
			names = append(names, o.Name)
		}
	}
	var out []string
	for _, name := range names {
		key := name
		if ev.Mode == ModeSlice {
			key = extract.SliceKey(name, ev.Slice)
		}
		_, v, err := extract.ReadCheckpoint(ctx, e.Store, key)
		if err != nil {
			return nil, fmt.Errorf("extract plan: %w", err)
		}
		if v > 0 {
			out = append(out, fmt.Sprintf("%s@%d", key, v))
		}
	}
	return out, nil
}

// PlanKPI plans a kpi event; its inputs are the snapshot manifests it will
// read and the KPI definitions.
func (e *Env) PlanKPI() Planner {
	return func(ctx context.Context, ev Event) (Run, error) {
		if ev.Query != nil {
			return e.planKPIFinish(ctx, *ev.Query)
		}
		t, err := ev.Resolve(e.now(), e.EarliestQuarter)
		if err != nil {
			return Run{}, err
		}
		q, asOf, final := t.Quarter, t.AsOf, t.Final
		snaps, err := e.kpiSnapshots(ctx)
		if err != nil {
			return Run{}, err
		}
		keys := append(append(manifestKeys(snaps), e.KPIConfig.Hash, fmt.Sprint(final)), e.configParts()...)
		if qs, ok := e.KPISQL.(SQLQueries); ok && ev.Defer && e.onSQL(snaps) {
			return e.planKPIStart(qs, t, snaps, keys), nil
		}
		return Run{Period: q.String() + "@" + asOfDate(asOf, final), InputHash: hashOf(keys...), Request: t, Do: func(ctx context.Context) (any, Metrics, error) {
			run, err := e.kpiFor(ctx, q, asOf, final, snaps)
			if err != nil {
				return nil, Metrics{}, err
			}
			return e.kpiSummary(run), KPIMetrics(len(run.Result.Values), final), nil
		}}, nil
	}
}

// PlanPayouts plans a payouts event; its inputs are the quarter's final KPI
// set, the snapshots of users and deals, and the comp configuration files.
func (e *Env) PlanPayouts() Planner {
	return func(ctx context.Context, ev Event) (Run, error) {
		t, err := ev.Resolve(e.now(), e.EarliestQuarter)
		if err != nil {
			return Run{}, err
		}
		q := t.Quarter
		if !t.Final {
			return e.planWhatIf(ctx, t, ev.AsOf)
		}
		head, err := e.Store.Get(ctx, kpiPK(q.String()), "FINAL#_run")
		if err != nil {
			return Run{}, fmt.Errorf("payouts %s: final KPIs: %w (run the kpi job for the quarter first)", q, err)
		}
		snaps, err := e.payoutSnapshots(ctx)
		if err != nil {
			return Run{}, err
		}
		parts := append([]string{string(head.Body)}, manifestKeys(snaps)...)
		cfgHash, err := hashFS(e.CompConfig)
		if err != nil {
			return Run{}, fmt.Errorf("payouts %s: comp configuration: %w", q, err)
		}
		parts = append(append(parts, cfgHash), e.configParts()...)
		// Disputes resolved since the last run add lines: a rerun must
		// compute again, not replay. (A resolution never changes after.)
		adjustments, err := statementstore.DisputeAdjustments(ctx, e.Store, q.String())
		if err != nil {
			return Run{}, fmt.Errorf("payouts %s: %w", q, err)
		}
		for _, a := range adjustments {
			parts = append(parts, "dispute:"+a.DisputeID)
		}
		return Run{Period: q.String(), InputHash: hashOf(parts...), Request: t, Do: func(ctx context.Context) (any, Metrics, error) {
			run, err := e.payoutsFor(ctx, q, snaps)
			if err != nil {
				return nil, Metrics{}, err
			}
			total := 0.0
			for _, s := range run.Statements {
				f, _ := s.Total.Float64() // a metric only; statements keep exact decimals
				total += f
			}
			return map[string]any{"quarter": q.String(), "statements": len(run.Statements), "corrections": len(run.Corrections), "lines": run.Lines.Key(), "config_version": e.ConfigVersion},
				Metrics{Values: map[string]float64{MetricRows: float64(len(run.Statements)), "PayoutTotal": total}, Units: map[string]string{"PayoutTotal": "None"}}, nil
		}}, nil
	}
}

// planWhatIf plans a payouts qtd event: the quarter to date and the
// what-if as of the event's cut. Its inputs are the quarter-to-date KPI set
// (of the asof day when the event names one, else the newest night, so a
// chain that crossed midnight after its kpi task still finds it), the
// snapshots and the comp configuration.
func (e *Env) planWhatIf(ctx context.Context, t Target, asOfDay string) (Run, error) {
	q, day := t.Quarter, asOfDate(t.AsOf, false)
	if asOfDay == "" {
		newest, err := e.newestNight(ctx, q)
		if err != nil {
			return Run{}, fmt.Errorf("what-if %s: %w", q, err)
		}
		asOfDay = newest
	}
	head, err := e.Store.Get(ctx, kpiPK(q.String()), "ASOF#"+asOfDay+"#_run")
	if err != nil {
		return Run{}, fmt.Errorf("what-if %s as of %s: KPIs to date of %s: %w (run the kpi job with mode qtd first)", q, day, asOfDay, err)
	}
	snaps, err := e.payoutSnapshots(ctx)
	if err != nil {
		return Run{}, err
	}
	cfgHash, err := hashFS(e.CompConfig)
	if err != nil {
		return Run{}, fmt.Errorf("what-if %s: comp configuration: %w", q, err)
	}
	parts := append(append(append([]string{"whatif", string(head.Body)}, manifestKeys(snaps)...), cfgHash), e.configParts()...)
	return Run{Period: q.String() + "@" + day, InputHash: hashOf(parts...), Request: t, Do: func(ctx context.Context) (any, Metrics, error) {
		run, err := e.whatIfFor(ctx, q, t.AsOf, asOfDay, snaps)
		if err != nil {
			return nil, Metrics{}, err
		}
		// Counts and the folder only: pay stays in the files.
		return map[string]any{"quarter": q.String(), "as_of": day, "people": len(run.Result.People), "refused_deals": len(run.Result.Refused), "folder": run.Folder, "config_version": e.ConfigVersion},
			Metrics{Values: map[string]float64{MetricRows: float64(len(run.Result.People))}}, nil
	}}, nil
}

// PlanApprove plans an approve event: the key is who (the authenticated
// caller's identity id) does what to whom, so a redelivered approval
// replays instead of failing as "already approved", and the same event
// from a different caller is a different request. An event without a
// caller is refused before the ledger is touched.
func (e *Env) PlanApprove() Planner {
	return func(ctx context.Context, ev Event) (Run, error) {
		caller, ok := CallerOf(ctx)
		if !ok {
			return Run{}, fmt.Errorf("%s %s: %w", ev.Action, ev.Quarter, ErrNoCaller)
		}
		if comp.DisputeAction(ev.Action) == comp.DisputeRead {
			return e.planReadDisputes(ctx, caller, ev)
		}
		if IsDisputeAction(ev.Action) {
			return e.planDispute(caller, ev)
		}
		if ev.Action == comp.ActionAcknowledge {
			return e.planAcknowledge(caller, ev), nil
		}
		people := append([]string(nil), ev.People...)
		sort.Strings(people)
		// The statements' input hashes are inputs too: the same approval sent
		// after a payouts rerun over changed inputs approves the new drafts
		// instead of replaying. (Not their versions: approving moves those,
		// and a late duplicate must still replay.)
		stored, err := statementstore.List(ctx, e.Store, ev.Quarter)
		if err != nil {
			return Run{}, fmt.Errorf("approve %s: %w", ev.Quarter, err)
		}
		parts := []string{ev.Action, caller.ID, strings.Join(people, ",")}
		for _, s := range stored {
			parts = append(parts, s.Statement.PersonID+"@"+s.Statement.InputHash)
		}
		return Run{Period: ev.Quarter, InputHash: hashOf(parts...), Do: func(ctx context.Context) (any, Metrics, error) {
			// The caller the run was planned (and keyed) for, whatever
			// context the ledger runs it in.
			a, err := e.Approve(WithCaller(ctx, caller), ev)
			if err != nil {
				return nil, Metrics{}, err
			}
			outs := make([]map[string]any, len(a.Outcomes))
			for i, o := range a.Outcomes {
				outs[i] = map[string]any{"person": o.PersonID, "action": o.Action, "version": o.Version}
			}
			return map[string]any{"quarter": ev.Quarter, "action": ev.Action, "caller": caller.ID, "outcomes": outs, "export": a.Export.Key(), "export_status": a.Export.Status(), "export_current": a.Export.Current.Files},
				Metrics{Values: map[string]float64{MetricRows: float64(len(a.Outcomes))}}, nil
		}}, nil
	}
}

// hashFS hashes every file of a configuration folder, by path and content.
func hashFS(fsys fs.FS) (string, error) {
	var parts []string
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		parts = append(parts, path, string(b))
		return nil
	})
	return hashOf(parts...), err
}

// ExtractPlan is the answer to an extract event of mode plan: the nightly
// events the state machine's Map runs, one per object, and before them
// the slice events of sliced first loads its Distributed Map runs
// (infra/statemachine; an empty list on most nights).
type ExtractPlan struct {
	Extract []Event `json:"extract"`
	Slices  []Event `json:"slices"`
}

// NightlyPlan lists one nightly extract event per object of the configured
// registry: the registry's objects, then the configuration's own (custom
// objects), in extraction order. One object per invocation keeps each
// object's failure and retries its own.
func (e *Env) NightlyPlan() ExtractPlan {
	org := e.ExtractOptions.Org
	if org == nil {
		org = extract.DefaultOrgConfig()
	}
	var p ExtractPlan
	for _, o := range org.Registry.Objects {
		p.Extract = append(p.Extract, Event{Job: "extract", Mode: ModeNightly, Objects: []string{o.Name}})
	}
	return p
}
