package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/venn-revops/venn/shared/extract"
	"github.com/venn-revops/venn/shared/lake"
)

// extractConfig is the extract configuration of an event (its objects
// left to the caller).
func (e *Env) extractConfig(ev Event) extract.Config {
	now := e.now()
	org := e.ExtractOptions.Org
	if org == nil {
		org = extract.DefaultOrgConfig()
	}
	cfg := extract.Config{
		Registry:      org.Registry,
		Deletes:       org.Deletes,
		Night:         now,
		FullResync:    ev.Mode == ModeFullResync,
		PII:           e.PII,
		RunID:         runID(now),
		TempDir:       e.TempDir,
		BulkThreshold: e.ExtractOptions.BulkThreshold,
		Overlap:       e.ExtractOptions.Overlap,
		Currencies:    e.ExtractOptions.Currencies,
		// A pull that does not fit stops this long before the deadline
		// and is resumed by the next invocation (More).
		DeadlineMargin: e.ExtractOptions.DeadlineMargin,
		SliceMinRows:   e.ExtractOptions.SliceMinRows,
		SliceRows:      e.ExtractOptions.SliceRows,
	}
	if ev.Mode == ModeSlice {
		cfg.Slice = &extract.SliceRef{Load: ev.Load, Index: ev.Slice}
	}
	return cfg
}

// Extract runs the nightly extract for an extract event.
func (e *Env) Extract(ctx context.Context, src extract.Source, ev Event) (extract.Summary, error) {
	cfg := e.extractConfig(ev)
	org := e.ExtractOptions.Org
	if org == nil {
		org = extract.DefaultOrgConfig()
	}
	for _, name := range ev.Objects {
		o, err := org.Registry.Lookup(name)
		if err != nil {
			// The event parser accepts any API name; the deployed
			// configuration decides, so this is still the event's fault.
			return extract.Summary{}, fmt.Errorf("extract event: objects: %w", err)
		}
		cfg.Objects = append(cfg.Objects, o)
	}
	if ev.Mode == ModeBackfill {
		from, to := ev.Backfill()
		cfg.Backfill = &extract.Backfill{From: from, To: to}
	}
	sum, err := extract.Run(ctx, e.extractDeps(src), cfg)
	// Register what committed, even when a later object failed. The
	// catalog follows each snapshot's schema: extra columns are added to
	// the tables, a configured object's tables are created.
	for _, o := range sum.Objects {
		if !o.Committed || o.Manifest == "" || e.Catalog == nil {
			continue
		}
		m, rerr := lake.ReadManifest(ctx, e.Blob, o.Manifest)
		if rerr == nil {
			rerr = e.register(ctx, m)
		}
		if rerr != nil {
			return sum, fmt.Errorf("extract %s: %s: %w", cfg.Night.Format(time.DateOnly), o.Object, rerr)
		}
	}
	if err != nil {
		return sum, fmt.Errorf("extract %s: %w", cfg.Night.Format(time.DateOnly), err)
	}
	return sum, nil
}

func (e *Env) extractDeps(src extract.Source) extract.Deps {
	return extract.Deps{Source: src, Blob: e.Blob, Store: e.Store, Logger: e.log(), Now: e.Now, Progress: e.ExtractOptions.Progress}
}

// PlanSlices plans the sliced first loads of the configured objects
// (extract.PlanLoads) and lists one slice event per slice of every load in
// progress, for the nightly state machine's Distributed Map.
func (e *Env) PlanSlices(ctx context.Context, src extract.Source) ([]Event, error) {
	cfg := e.extractConfig(Event{Job: "extract", Mode: ModePlan})
	plans, err := extract.PlanLoads(ctx, e.extractDeps(src), cfg)
	if err != nil {
		return nil, fmt.Errorf("extract plan: %w", err)
	}
	events := []Event{}
	for _, p := range plans {
		for i := range p.Load.Slices {
			events = append(events, Event{Job: "extract", Mode: ModeSlice, Objects: []string{p.Object}, Load: p.Load.ID, Slice: i + 1})
		}
	}
	return events, nil
}
