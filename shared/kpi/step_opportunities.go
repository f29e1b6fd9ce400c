package kpi

import (
	"fmt"
	"slices"
	"strings"
)

// opp is an opportunity as known at the as-of instant. Repeated strings
// are interned (engine.names); the struct is kept small because the engine
// holds every opportunity of the snapshot.
type opp struct {
	id, histID, leadID string
	class              string // a constant of the config: shared, not copied
	owner, account     uint32 // engine.names
	source, campaign   uint32 // engine.names
	leadSource         uint32 // engine.names: the converted lead's LeadSource
	created            int64
	amount             int64 // cents; a null amount is 0
	histAt             int64 // CreatedDate of the history row applied, or -1
	leadCreated        int64 // the converted lead's CreatedDate (lead_creation position)
	leadSQL            int64 // the converted lead's SQL instant, or -1
	closeDay           int32
	cur                uint16 // the amount's currency (engine.fx); 0: the reporting currency
	won, closed        bool
	stageWon           bool // the current stage is a configured won stage
	stageLost          bool
	fromHistory        bool
	flagsKnown         bool // IsWon/IsClosed non-null on the snapshot row
	hasLead            bool
	needTouches        bool
	touches            []touch
	start              startState // as known at the quarter's first instant
}

// startState is the second as-of state the history step keeps: the
// opportunity as known strictly before the quarter's first instant (the
// latest history row before it, else the snapshot row), for the coverage
// at the quarter start. Its tie key stands in for the history Id.
type startState struct {
	at                  int64
	tie                 histKey
	amount              int64
	closeDay            int32
	existed             bool // created before the quarter start
	fromHistory         bool
	stageWon, stageLost bool
	closed              bool // settled
}

type touch struct {
	at       int64
	member   string
	campaign uint32 // engine.names
}

// opportunities is the opportunity step. Each batch's two costly parts
// run at once: the Id index on this goroutine and the interning of the
// repeated strings on the sidecar (they share no state). The opportunities
// are then built in row order, so the first failing row is reported, as
// row by row; on an error Compute fails, so Ids indexed past it are never
// read.
func (e *engine) opportunities(src Source[Opportunity]) (int64, error) {
	if src == nil {
		return 0, nil
	}
	var n int64
	var names [][4]uint32
	var ids []string
	err := src(func(rows []Opportunity) error {
		n += int64(len(rows))
		names = slices.Grow(names[:0], len(rows))[:len(rows)]
		ids = slices.Grow(ids[:0], len(rows))[:len(rows)]
		dup := -1
		e.side.both(func() {
			for i := range rows {
				if o := &rows[i]; e.keepOpp(o) {
					names[i] = [4]uint32{e.names.id(o.OwnerID), e.names.id(o.AccountID), e.names.id(o.LeadSource), e.names.id(o.CampaignID)}
				}
			}
		}, func() { dup = e.indexOpps(rows, ids) })
		for i := range rows {
			o := &rows[i]
			if !e.keepOpp(o) {
				continue
			}
			if i == dup {
				return fmt.Errorf("opportunity %s: duplicate Id in snapshot", o.ID)
			}
			if err := e.opportunity(o, ids[i], names[i]); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// keepOpp is whether an opportunity row is part of the snapshot.
func (e *engine) keepOpp(o *Opportunity) bool { return !o.IsDeleted && e.w.known(o.CreatedDate) }

// indexOpps gives the kept rows the next table indexes, in row order, and
// sets ids to their Ids (copied: the index keeps them). One map operation
// both indexes a new Id and finds a duplicate (the map does not grow); it
// returns the first duplicate's row, or -1.
func (e *engine) indexOpps(rows []Opportunity, ids []string) int {
	next := e.opps.n
	for i := range rows {
		o := &rows[i]
		if !e.keepOpp(o) {
			continue
		}
		id, before := strings.Clone(o.ID), len(e.oppIdx)
		e.oppIdx[id] = next
		if len(e.oppIdx) == before {
			return i
		}
		ids[i] = id
		next++
	}
	return -1
}

// opportunity adds one kept, indexed row (Id copied, names interned) to
// the table.
func (e *engine) opportunity(o *Opportunity, id string, names [4]uint32) error {
	x := opp{id: id, class: e.cfg.Class(o.Type), owner: names[0], account: names[1],
		source: names[2], campaign: names[3], created: o.CreatedDate, closeDay: o.CloseDate,
		histAt: -1, leadSQL: -1}
	if x.class == "" {
		e.stats.UnclassifiedTypes[strings.Clone(o.Type)]++
	}
	if x.class != "" {
		var err error
		if x.cur, err = e.fx.currency(o.ID, o.CurrencyIsoCode); err != nil {
			return err
		}
	}
	x.stageWon, x.stageLost = e.cfg.stage(o.StageName)
	if o.Amount != nil {
		x.amount = *o.Amount
	}
	x.start = startState{amount: x.amount, closeDay: x.closeDay, existed: o.CreatedDate < e.w.start, stageWon: x.stageWon, stageLost: x.stageLost}
	if o.IsWon != nil && o.IsClosed != nil {
		x.won, x.closed, x.flagsKnown = *o.IsWon, *o.IsClosed, true // the snapshot's flags, until settleOpps
	}
	i := e.opps.add(x)
	if e.oppContract != nil && o.ContractID != "" {
		e.oppContract[i] = strings.Clone(o.ContractID)
	}
	return nil
}

// historyOpp is the opportunity Id a history row applies to, if it counts.
func (e *engine) historyOpp(h *OpportunityHistory) (string, bool) {
	return h.OpportunityID, !h.IsDeleted && e.w.known(h.CreatedDate)
}

// history applies the latest stage-history row known at the as-of instant
// (ties on CreatedDate: the greater history Id wins); i is its
// opportunity (joinOpp), or -1.
func (e *engine) history(h *OpportunityHistory, i int32) error {
	if i < 0 {
		return nil
	}
	o := e.opps.at(i)
	e.historyRow(o, i, h)
	if o.fromHistory && !supersedes(h.CreatedDate, h.ID, o.histAt, o.histID) {
		return nil
	}
	o.histAt, o.histID, o.fromHistory = h.CreatedDate, strings.Clone(h.ID), true
	e.takeRow(h, &o.stageWon, &o.stageLost, &o.amount, &o.closeDay)
	return nil
}

// takeRow sets the state a history row says (the as-of rule): its stage
// read against the closing stages, its amount (null: 0) and its close date
// (null: the one held so far).
func (e *engine) takeRow(h *OpportunityHistory, won, lost *bool, amount *int64, closeDay *int32) {
	*won, *lost = e.cfg.stage(h.StageName)
	*amount = 0
	if h.Amount != nil {
		*amount = *h.Amount
	}
	if h.CloseDate != nil {
		*closeDay = *h.CloseDate
	}
}

// settleOpps converts the amounts in another currency (convertOpps) and
// fixes won/closed: from the configured stage names when the state comes
// from history (history has no flags) or the snapshot's flags are null;
// then marks the opportunities whose touches attribution needs.
func (e *engine) settleOpps() error {
	if err := e.convertOpps(); err != nil {
		return err
	}
	for i := range e.opps.n {
		o := e.opps.at(i)
		s := &o.start
		_, s.closed = settle(s.stageWon, s.stageLost, s.fromHistory, o.flagsKnown, o.won, o.closed)
		o.won, o.closed = settle(o.stageWon, o.stageLost, o.fromHistory, o.flagsKnown, o.won, o.closed)
		if o.class != "" && e.inFunnel(o) && (e.w.in(o.created) || (o.won && e.w.inDay(o.closeDay))) {
			o.needTouches = true
		}
	}
	return nil
}

func (e *engine) inFunnel(o *opp) bool { return slices.Contains(e.cfg.FunnelClasses, o.class) }

// roleOpp is the opportunity Id a contact role joins, if it counts.
func roleOpp(r *ContactRole) (string, bool) {
	return r.OpportunityID, !r.IsDeleted && r.ContactID != ""
}

// contactRole joins a contact to its opportunity i (joinOpp; -1: none)
// when the opportunity needs touches.
func (e *engine) contactRole(r *ContactRole, i int32) error {
	if i < 0 || !e.opps.at(i).needTouches {
		return nil
	}
	// A pointer value, so adding to a known contact never assigns to the
	// map: that would replace the stored key with the borrowed one.
	if cur := e.contactOpps[r.ContactID]; cur == nil {
		e.contactOpps[strings.Clone(r.ContactID)] = &[]int32{i}
	} else if !slices.Contains(*cur, i) {
		*cur = append(*cur, i)
	}
	return nil
}
