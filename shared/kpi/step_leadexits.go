package kpi

import (
	"slices"
	"strings"
)

// Lead exits (docs/kpis.md §2.1, leads_disqualified and leads_recycled):
// read from the leads' Status history (LeadHistory) when the lake has it,
// else from the current Status.

// LeadExitSource is where a run read leads_disqualified and leads_recycled
// from (Result.LeadExitSource).
type LeadExitSource string

const (
	// ExitsFromLeadHistory: the Status changes of LeadHistory within the
	// period (the org tracks Status and the lake holds its history).
	ExitsFromLeadHistory LeadExitSource = "lead_history"
	// ExitsFromCurrentStatus: no Status change is known at the as-of
	// instant (no LeadHistory, field history tracking off, or Status not
	// tracked), so the KPIs read the leads created in the period whose
	// current Status is an exit status.
	ExitsFromCurrentStatus LeadExitSource = "current_status"
)

// LeadHistory is the projection of the LeadHistory snapshot (an optional
// object): one row per change of a tracked lead field.
type LeadHistory struct {
	ID          string `parquet:"id"`
	CreatedDate int64  `parquet:"created_date,timestamp(microsecond)"`
	IsDeleted   bool   `parquet:"is_deleted,optional"`
	LeadID      string `parquet:"lead_id,optional"`
	Field       string `parquet:"field,optional"`
	OldValue    string `parquet:"old_value,optional"`
	NewValue    string `parquet:"new_value,optional"`
}

// exitKinds are the exits a lead made in the period.
type exitKinds uint8

const (
	exitDisqualified exitKinds = 1 << iota
	exitRecycled
)

// exitInto is the exit a Status change from old to new is: a change into
// a status of one exit list from a status outside that list (Disqualified
// → Unqualified, both disqualified, is no new exit).
func (c *Config) exitInto(old, new string) exitKinds {
	for _, l := range [...]struct {
		statuses []string
		kind     exitKinds
	}{{c.DisqualifiedStatuses, exitDisqualified}, {c.RecycledStatuses, exitRecycled}} {
		if slices.Contains(l.statuses, new) && !slices.Contains(l.statuses, old) {
			return l.kind
		}
	}
	return 0
}

// leadHistory reads the Status changes: any one known at the as-of instant
// makes the run read exits from the history; those within the period are
// kept per lead (a lead counts once per kind, however often it exits).
func (e *engine) leadHistory(src Source[LeadHistory]) (int64, error) {
	field := e.cfg.ExitStatusField
	return each(src, func(h *LeadHistory) error {
		if h.IsDeleted || h.Field != field || !e.w.known(h.CreatedDate) {
			return nil
		}
		e.exitSource = ExitsFromLeadHistory
		if k := e.cfg.exitInto(h.OldValue, h.NewValue); k != 0 && e.w.in(h.CreatedDate) {
			if e.leadExits == nil {
				e.leadExits = map[string]*exitKinds{}
			}
			// h.LeadID is borrowed (see Inputs): it is a new key only
			// cloned, and an existing key's kinds change through the
			// pointer, since assigning m[borrowed] would store borrowed.
			if p := e.leadExits[h.LeadID]; p != nil {
				*p |= k
			} else {
				e.leadExits[strings.Clone(h.LeadID)] = &k
			}
		}
		return nil
	})
}

// countExits adds lead l's exits of the period to its group's tally: from
// the history, or, without one, from its current Status when it was
// created in the period (cohort) and not converted.
func (e *engine) countExits(l *Lead, t *tally) {
	var k exitKinds
	if e.exitSource == ExitsFromLeadHistory {
		if p := e.leadExits[l.ID]; p != nil {
			k = *p
		}
	} else if e.w.in(l.CreatedDate) && l.ConvertedOpportunityID == "" {
		k = e.cfg.exitInto("", l.Status)
	}
	if k&exitDisqualified != 0 {
		t.leadsDisqualified++
	}
	if k&exitRecycled != 0 {
		t.leadsRecycled++
	}
}
