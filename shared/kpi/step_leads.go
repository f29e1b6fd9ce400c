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
// (leadCounters); they share no state. The cohort stages, which need both
// (a lead converted into an opportunity reached that stage, and under
// non_nested every earlier one), are counted after the join.
func (e *engine) leads(src Source[Lead]) (int64, error) {
	if src == nil {
		return 0, nil
	}
	var n int64
	var conv []int32        // per row: the converted opportunity's index, or -1
	var cohort []cohortLead // per row
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
		for i, c := range cohort {
			if c.t != nil {
				e.cohortStages(c, conv[i])
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

// cohortLead is a lead of the period's cohort: its group's tally and the
// stages its own dates reached by the as-of instant (t nil: not in the
// cohort).
type cohortLead struct {
	t        *tally
	mql, sql bool
}

// cohortStages counts a cohort lead (conv: its converted opportunity's
// index, or -1) at the stages it reached, under funnel.cohort: nested
// needs every earlier stage too; non_nested counts a stage reached when
// any later one was (a converted lead reached SQL and MQL).
func (e *engine) cohortStages(c cohortLead, conv int32) {
	mql, sql, opp := c.mql, c.sql, conv >= 0
	if e.cfg.Cohort == CohortNested {
		sql = mql && sql
		opp = sql && opp
	} else {
		sql = sql || opp
		mql = mql || sql
	}
	won := opp && e.opps.at(conv).won
	for _, s := range [...]struct {
		reached bool
		n       *int64
	}{{mql, &c.t.cohortMQL}, {sql, &c.t.cohortSQL}, {opp, &c.t.cohortOpp}, {won, &c.t.cohortWon}} {
		if s.reached {
			*s.n++
		}
	}
}

// leadCounters adds a lead to its group's counters and the period's MQLs.
// For a cohort lead it returns the group's tally and the stages its dates
// reached (cohortStages counts them after the conversion join).
func (e *engine) leadCounters(l *Lead) cohortLead {
	mql, sql, ok := e.leadStages(l)
	if !ok {
		return cohortLead{}
	}
	e.costLead(l, mql)
	w := &e.w
	var c cohortLead
	t := e.tally(group{owner: l.OwnerID, segment: l.Segment, region: l.Region, channel: l.LeadSource, dims: gLead})
	if w.in(l.CreatedDate) {
		t.leads++
		t.cohort++
		c = cohortLead{t: t, mql: mql >= 0, sql: sql >= 0}
	}
	e.countExits(l, t)
	if mql >= 0 && w.in(mql) {
		t.mqls++
		e.newMQLLead(l, mql, t)
		if mql >= l.CreatedDate {
			t.leadMQLMicros += mql - l.CreatedDate
			t.leadMQLN++
			t.leadMQLTimes = append(t.leadMQLTimes, mql-l.CreatedDate)
		}
	}
	if sql >= 0 && w.in(sql) {
		t.sqls++
		if mql >= 0 && mql <= sql {
			t.mqlSQLMicros += sql - mql
			t.mqlSQLN++
			t.mqlSQLTimes = append(t.mqlSQLTimes, sql-mql)
		}
	}
	return c
}

// exitUnconfigured says a lead-exit KPI has no status list configured
// (funnel.lead_exits): an org that never said which statuses disqualify
// or recycle a lead gets no value (n/a on the scorecard), not a
// misleading 0.
func (e *engine) exitUnconfigured(name string) bool {
	switch name {
	case "leads_disqualified":
		return len(e.cfg.DisqualifiedStatuses) == 0
	case "leads_recycled":
		return len(e.cfg.RecycledStatuses) == 0
	}
	return false
}
