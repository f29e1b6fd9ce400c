package pipeline

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/money"
)

// splitRow is the projection of the OpportunitySplit snapshot.
type splitRow struct {
	OpportunityID string `parquet:"opportunity_id,optional"`
	OwnerID       string `parquet:"split_owner_id,optional"`
	Percent       *int32 `parquet:"split_percentage,optional,decimal(2:9)"`
}

// oppRow adds the name to the KPI engine's opportunity projection: a
// statement names the deals it pays on. lake.Scan reads it on its columnar
// path (GenericReader would read a null IsWon of the embedded struct as
// false; see shared/lake's embedded test).
type oppRow struct {
	kpi.Opportunity
	Name string `parquet:"name,optional"`
}

// dealBook is every opportunity with its stage history, from which the deals
// of a quarter (their state at the quarter's end, by kpi.Config.StateAt)
// and the cancellations (won, then later not won) are derived.
type dealBook struct {
	opps    map[string]*oppRow
	history map[string][]kpi.OpportunityHistory
	splits  map[string][]comp.Split
	// dates are the deal date fields comp plans hold pay on (dealdates.go).
	dates map[string]map[string]time.Time
	// lines are each opportunity's products and products the catalogue
	// (products.go); empty for an org without them.
	lines    map[string][]comp.DealLine
	products []comp.Product
}

func (e *Env) readDeals(ctx context.Context, snaps map[string]*lake.Manifest) (*dealBook, error) {
	b := &dealBook{opps: map[string]*oppRow{}, history: map[string][]kpi.OpportunityHistory{}, splits: map[string][]comp.Split{}}
	err := lake.Scan(ctx, e.Blob, snaps[crm.Opportunity.Name], func(rows []oppRow) error {
		for i := range rows {
			if rows[i].IsDeleted {
				continue
			}
			r := rows[i]
			b.opps[r.ID] = &r
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = lake.Scan(ctx, e.Blob, snaps[crm.OpportunityHistory.Name], func(rows []kpi.OpportunityHistory) error {
		for _, h := range rows {
			if h.IsDeleted {
				continue
			}
			b.history[h.OpportunityID] = append(b.history[h.OpportunityID], h)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = lake.Scan(ctx, e.Blob, snaps[crm.OpportunitySplit.Name], func(rows []splitRow) error {
		for _, s := range rows {
			if s.Percent == nil || s.OwnerID == "" {
				continue
			}
			b.splits[s.OpportunityID] = append(b.splits[s.OpportunityID], comp.Split{PersonID: s.OwnerID, Percent: money.FromCents(int64(*s.Percent))})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b, e.readProducts(ctx, snaps, b)
}

// dealsAt returns every opportunity as it stood just before end, sorted by
// Id: its state by kpi.Config.StateAt, the rules the KPI engine counts by.
func (b *dealBook) dealsAt(end time.Time, cfg *kpi.Config) []comp.Deal {
	return b.selectAt(end, cfg, func(kpi.OppState) bool { return true })
}

// openAt returns the opportunities open (neither won nor lost) just
// before end, sorted by Id, at their amount and expected close date.
func (b *dealBook) openAt(end time.Time, cfg *kpi.Config) []comp.Deal {
	return b.selectAt(end, cfg, func(s kpi.OppState) bool { return !s.Closed && !s.Won })
}

func (b *dealBook) selectAt(end time.Time, cfg *kpi.Config, keep func(kpi.OppState) bool) []comp.Deal {
	cut := crm.Micros(end)
	var out []comp.Deal
	for id, o := range b.opps {
		s, ok := cfg.StateAt(&o.Opportunity, b.history[id], cut)
		if !ok || !keep(s) {
			continue
		}
		d := comp.Deal{ID: id, Name: o.Name, OwnerID: o.OwnerID, Currency: o.CurrencyIsoCode, CloseDate: crm.TimeOfDays(int64(s.CloseDay)),
			Won: s.Won, Type: cfg.Class(o.Type), Splits: b.splits[id], Amount: money.FromCents(s.Amount), Dates: b.dates[id],
			LeadSource: o.LeadSource, Lines: b.lines[id]}
		if d.Currency == "" {
			d.Currency = cfg.Currency
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// cancellations lists deals that reached a won stage and later left it,
// with the date they left it, up to end (kpi.Config.Cancellations).
func (b *dealBook) cancellations(end time.Time, cfg *kpi.Config) []comp.Cancellation {
	cut := crm.Micros(end)
	var out []comp.Cancellation
	for id, hs := range b.history {
		for _, at := range cfg.Cancellations(hs, cut) {
			out = append(out, comp.Cancellation{DealID: id, Date: crm.TimeOfMicros(at)})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].DealID != out[j].DealID {
			return out[i].DealID < out[j].DealID
		}
		return out[i].Date.Before(out[j].Date)
	})
	return out
}

// activities reads the Task and Lead snapshots into the dated meetings and
// SQLs of quarter [start, end) that bonuses are measured on, by the KPI
// engine's rules (kpi.Config.MeetingDay, SQLAt) as known at end.
func (e *Env) activities(ctx context.Context, snaps map[string]*lake.Manifest, start, end time.Time) ([]comp.Activity, error) {
	cut, from := crm.Micros(end), crm.Micros(start)
	var out []comp.Activity
	err := lake.Scan(ctx, e.Blob, snaps[crm.Task.Name], func(rows []kpi.Task) error {
		for i := range rows {
			k := &rows[i]
			if day, ok := e.KPIConfig.MeetingDay(k, cut); ok && k.OwnerID != "" {
				if t := crm.TimeOfDays(int64(day)); !t.Before(start) && t.Before(end) {
					out = append(out, comp.Activity{KPI: "meetings", PersonID: k.OwnerID, Date: t, Ref: k.ID})
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("tasks: %w", err)
	}
	err = lake.Scan(ctx, e.Blob, snaps[crm.Lead.Name], func(rows []kpi.Lead) error {
		for i := range rows {
			l := &rows[i]
			if at, ok := e.KPIConfig.SQLAt(l, cut); ok && at >= from && l.OwnerID != "" {
				out = append(out, comp.Activity{KPI: "sqls", PersonID: l.OwnerID, Date: crm.TimeOfMicros(at).UTC(), Ref: l.ID})
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("leads: %w", err)
	}
	return out, nil
}
