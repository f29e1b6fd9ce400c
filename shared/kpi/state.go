package kpi

import "slices"

// The rules that say what an opportunity was at an instant. The engine
// applies them row by row as it streams the history; StateAt applies them
// to one opportunity's rows for the payouts, so a deal is paid on exactly
// the state the KPIs count (docs/kpis.md, "As-of state").

// OppState is an opportunity as it stood at an instant.
type OppState struct {
	Stage       string
	Amount      int64 // cents; a null amount is 0
	CloseDay    int32 // days since 1970-01-01
	Won, Closed bool
	FromHistory bool // Stage, Amount and CloseDay come from a history row
}

// supersedes is the history ordering rule: a history row created at at
// with Id id replaces the one applied so far (curAt, curID) when it is
// later; a tie on CreatedDate goes to the greater history Id, so the
// result does not depend on row order.
func supersedes(at int64, id string, curAt int64, curID string) bool {
	return at > curAt || (at == curAt && id >= curID)
}

// settle is the won/closed rule. A state taken from history (whose rows
// carry no flags), or a snapshot row whose IsWon or IsClosed is null, is
// read from the stage name against the configured won and lost stages;
// otherwise the snapshot's flags decide, a won opportunity being closed.
func settle(stageWon, stageLost, fromHistory, flagsKnown, isWon, isClosed bool) (won, closed bool) {
	if fromHistory || !flagsKnown {
		return stageWon, stageWon || stageLost
	}
	return isWon, isClosed || isWon
}

// stage reads a stage name against the configured closing stages.
func (c *Config) stage(name string) (won, lost bool) {
	return slices.Contains(c.WonStages, name), slices.Contains(c.LostStages, name)
}

// StateAt is o as it stood just before asOf (microseconds since the
// epoch), from its snapshot row and its stage history rows hist (in any
// order; deleted rows and rows created at or after asOf are skipped). ok
// is false when o did not exist then: deleted, or created at or after
// asOf.
func (c *Config) StateAt(o *Opportunity, hist []OpportunityHistory, asOf int64) (s OppState, ok bool) {
	if o.IsDeleted || o.CreatedDate >= asOf {
		return OppState{}, false
	}
	s = OppState{Stage: o.StageName, CloseDay: o.CloseDate}
	if o.Amount != nil {
		s.Amount = *o.Amount
	}
	var at int64
	var id string
	for i := range hist {
		h := &hist[i]
		if h.IsDeleted || h.CreatedDate >= asOf || (s.FromHistory && !supersedes(h.CreatedDate, h.ID, at, id)) {
			continue
		}
		at, id, s.FromHistory = h.CreatedDate, h.ID, true
		s.Stage, s.Amount = h.StageName, 0
		if h.Amount != nil {
			s.Amount = *h.Amount
		}
		if h.CloseDate != nil {
			s.CloseDay = *h.CloseDate
		}
	}
	stageWon, stageLost := c.stage(s.Stage)
	flagsKnown := o.IsWon != nil && o.IsClosed != nil
	s.Won, s.Closed = settle(stageWon, stageLost, s.FromHistory, flagsKnown, flagsKnown && *o.IsWon, flagsKnown && *o.IsClosed)
	return s, true
}
