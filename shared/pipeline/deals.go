package pipeline

import (
	"context"
	"slices"
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
// statement names the deals it pays on.
type oppRow struct {
	kpi.Opportunity
	Name string `parquet:"name,optional"`
}

// dealBook is every opportunity with its stage history, from which the deals
// of a quarter (their state at the quarter's end, by the same rules as the
// KPI engine: the latest history row known then, ties to the greater history
// Id, won/lost from the configured stage names) and the cancellations (won,
// then later not won) are derived.
type dealBook struct {
	opps    map[string]*oppRow
	history map[string][]kpi.OpportunityHistory
	splits  map[string][]comp.Split
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
	for _, hs := range b.history {
		sort.Slice(hs, func(i, j int) bool {
			if hs[i].CreatedDate != hs[j].CreatedDate {
				return hs[i].CreatedDate < hs[j].CreatedDate
			}
			return hs[i].ID < hs[j].ID
		})
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
	return b, err
}

// dealsAt returns every opportunity as it stood just before end, sorted by Id.
func (b *dealBook) dealsAt(end time.Time, cfg *kpi.Config) []comp.Deal {
	cut := crm.Micros(end)
	var out []comp.Deal
	for id, o := range b.opps {
		if o.CreatedDate >= cut {
			continue
		}
		stage, amount, closeDay := o.StageName, o.Amount, o.CloseDate
		fromHistory := false
		for _, h := range b.history[id] {
			if h.CreatedDate >= cut {
				break
			}
			stage, amount, fromHistory = h.StageName, h.Amount, true
			if h.CloseDate != nil {
				closeDay = *h.CloseDate
			}
		}
		// History rows carry no flags: their stage name decides, as does a
		// snapshot whose IsWon is null.
		won := slices.Contains(cfg.WonStages, stage)
		if !fromHistory && o.IsWon != nil {
			won = *o.IsWon
		}
		d := comp.Deal{ID: id, Name: o.Name, OwnerID: o.OwnerID, Currency: o.CurrencyIsoCode, CloseDate: crm.TimeOfDays(int64(closeDay)), Won: won, Type: o.Type, Splits: b.splits[id]}
		if d.Currency == "" {
			d.Currency = cfg.Currency
		}
		if amount != nil {
			d.Amount = money.FromCents(*amount)
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// cancellations lists deals that reached a won stage and later left it, with
// the date they left it, up to end.
func (b *dealBook) cancellations(end time.Time, cfg *kpi.Config) []comp.Cancellation {
	cut := crm.Micros(end)
	var out []comp.Cancellation
	for id, hs := range b.history {
		wasWon := false
		for _, h := range hs {
			if h.CreatedDate >= cut {
				break
			}
			isWon := slices.Contains(cfg.WonStages, h.StageName)
			if wasWon && !isWon {
				out = append(out, comp.Cancellation{DealID: id, Date: crm.TimeOfMicros(h.CreatedDate)})
			}
			wasWon = isWon
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
