package kpi

import (
	"slices"
	"strings"
)

// stageAt is the instant a lead reached a funnel stage, or -1: the
// configured date column, else (status fallback) its CreatedDate.
func stageAt(s Stage, l *Lead) int64 {
	var d *int64
	switch s.DateField {
	case "mql_date":
		d = l.MQLDate
	case "sql_date":
		d = l.SQLDate
	}
	if d != nil {
		return *d
	}
	if l.Status != "" && slices.Contains(s.Statuses, l.Status) {
		return l.CreatedDate
	}
	return -1
}

// leads is the lead step. Each batch's two costly parts run at once, as
// in opportunities: the join into the opportunity index on this goroutine
// (leadConversion) and the group tallies and MQLs on the sidecar
// (leadCounters); they share no state. The counters that need both (a
// cohort lead that became an opportunity) are added after the join.
func (e *engine) leads(src Source[Lead]) (int64, error) {
	if src == nil {
		return 0, nil
	}
	var n int64
	var conv []int32    // per row: the converted opportunity's index, or -1
	var cohort []*tally // per row: the tally that counted it as a cohort SQL, or nil
	err := src(func(rows []Lead) error {
		n += int64(len(rows))
		conv = slices.Grow(conv[:0], len(rows))[:len(rows)]
		cohort = slices.Grow(cohort[:0], len(rows))[:len(rows)]
		e.side.both(func() {
			for i := range rows {
				cohort[i] = e.leadCounters(&rows[i])
			}
		}, func() {
			for i := range rows {
				conv[i] = e.leadConversion(&rows[i])
			}
		})
		for i, t := range cohort {
			if t != nil && conv[i] >= 0 {
				t.cohortOpp++
				if e.opps.at(conv[i]).won {
					t.cohortWon++
				}
			}
		}
		return nil
	})
	return n, err
}

// leadStages is a lead's MQL and SQL instants known at the as-of instant
// (-1: not reached), and whether the lead counts at all.
func (e *engine) leadStages(l *Lead) (mql, sql int64, ok bool) {
	w := &e.w
	if l.IsDeleted || !w.known(l.CreatedDate) {
		return -1, -1, false
	}
	mql, sql = stageAt(e.cfg.MQL, l), stageAt(e.cfg.SQL, l)
	if mql >= 0 && !w.known(mql) {
		mql = -1
	}
	if sql >= 0 && !w.known(sql) {
		sql = -1
	}
	return mql, sql, true
}

// leadConversion joins a converted lead to its opportunity (lead facts,
// touches join) and returns the opportunity's index, or -1.
func (e *engine) leadConversion(l *Lead) int32 {
	if l.ConvertedOpportunityID == "" {
		return -1
	}
	_, sql, ok := e.leadStages(l)
	if !ok {
		return -1
	}
	i, ok := e.oppIdx[l.ConvertedOpportunityID]
	if !ok {
		return -1
	}
	o := e.opps.at(i)
	// Several leads converted into one opportunity: the smallest lead Id
	// supplies the lead facts, whatever the row order.
	if !o.hasLead || l.ID < o.leadID {
		o.hasLead, o.leadID, o.leadCreated, o.leadSQL, o.leadSource = true, strings.Clone(l.ID), l.CreatedDate, sql, e.names.id(l.LeadSource)
	}
	if o.needTouches {
		e.leadOpp[strings.Clone(l.ID)] = i
	}
	return i
}

// leadCounters adds a lead to its group's counters and the period's MQLs.
// It returns the group's tally when the lead is a cohort SQL (its
// cohortOpp and cohortWon wait for the conversion join), else nil.
func (e *engine) leadCounters(l *Lead) *tally {
	mql, sql, ok := e.leadStages(l)
	if !ok {
		return nil
	}
	w := &e.w
	var cohortSQL *tally
	t := e.tally(group{owner: l.OwnerID, segment: l.Segment, region: l.Region, channel: l.LeadSource, dims: gLead})
	if w.in(l.CreatedDate) {
		t.leads++
		t.cohort++
		if mql >= 0 {
			t.cohortMQL++
			if sql >= 0 {
				t.cohortSQL++
				cohortSQL = t
			}
		}
	}
	if mql >= 0 && w.in(mql) {
		t.mqls++
		e.mqlLeads[strings.Clone(l.ID)] = &mqlLead{at: mql, first: -1, g: t}
	}
	if sql >= 0 && w.in(sql) {
		t.sqls++
		if mql >= 0 && mql <= sql {
			t.mqlSQLMicros += sql - mql
			t.mqlSQLN++
		}
	}
	return cohortSQL
}
