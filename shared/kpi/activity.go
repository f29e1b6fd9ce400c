package kpi

import (
	"slices"
	"sort"
)

// The per-record rules the payouts read besides StateAt, kept here so the
// KPI engine and comp's per-day measures decide won-ness, cancellations,
// meetings and SQLs the same way (docs/kpis.md, docs/comp-plans.md).

// Cancellations lists the instants, before asOf, at which an opportunity
// left a won stage it had reached: each history row not at a won stage
// that follows one at a won stage. Rows are taken in history order
// (CreatedDate, then Id: the supersedes rule); deleted rows are skipped.
// hist is not modified.
func (c *Config) Cancellations(hist []OpportunityHistory, asOf int64) []int64 {
	rows := make([]*OpportunityHistory, 0, len(hist))
	for i := range hist {
		if !hist[i].IsDeleted && hist[i].CreatedDate < asOf {
			rows = append(rows, &hist[i])
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].CreatedDate != rows[j].CreatedDate {
			return rows[i].CreatedDate < rows[j].CreatedDate
		}
		return rows[i].ID < rows[j].ID
	})
	var out []int64
	wasWon := false
	for _, h := range rows {
		isWon := slices.Contains(c.WonStages, h.StageName)
		if wasWon && !isWon {
			out = append(out, h.CreatedDate)
		}
		wasWon = isWon
	}
	return out
}

// MeetingDay is the day (days since 1970-01-01) on which a task counts as
// a meeting held, and whether it counts at all as known before asOf: a
// task of a configured meeting type, not deleted, created before asOf,
// dated by its activity date, else by its creation day. The meetings KPI
// counts it in the period holding that day, for the task's owner.
func (c *Config) MeetingDay(k *Task, asOf int64) (int32, bool) {
	if k.IsDeleted || !slices.Contains(c.MeetingTaskTypes, k.Type) || k.CreatedDate >= asOf {
		return 0, false
	}
	if k.ActivityDate != nil {
		return *k.ActivityDate, true
	}
	return int32(floorDay(k.CreatedDate)), true
}

// SQLAt is the instant a lead became sales-qualified, as known before
// asOf (the configured SQL date column, else its creation instant when its
// status is an SQL status), and whether it had. The sqls KPI counts it in
// the period holding that instant, for the lead's owner.
func (c *Config) SQLAt(l *Lead, asOf int64) (int64, bool) {
	if l.IsDeleted || l.CreatedDate >= asOf {
		return 0, false
	}
	sql := stageAt(c.SQL, l)
	if sql < 0 || sql >= asOf {
		return 0, false
	}
	return sql, true
}
