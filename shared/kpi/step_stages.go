package kpi

import (
	"cmp"
	"slices"
)

// histKey is a history row's Id, zero-padded to 16 bytes, kept instead
// of a string where one is held per row or per opportunity: it orders as
// the Id does (the zero padding sorts first, as a shorter prefix does),
// and an 18-character Salesforce Id is decided by its first 15.
type histKey [16]byte

func keyOf(id string) (k histKey) {
	copy(k[:], id)
	return k
}

// stageRow is one stage-history row of a funnel opportunity, kept for the
// time in each stage: only rows before the period's end are kept (a later
// row can neither enter nor leave a stage inside the period).
type stageRow struct {
	at    int64
	tie   histKey
	opp   int32
	stage uint32 // engine.names
}

// historyRow keeps what a history row tells beside the as-of state: the
// state at the quarter start (the latest row before it, by the same
// supersedes rule) and, when the stage dimension is configured, the row
// itself for the time in each stage.
func (e *engine) historyRow(o *opp, i int32, h *OpportunityHistory) {
	if s := &o.start; s.existed && h.CreatedDate < e.w.start {
		k := keyOf(h.ID)
		if !s.fromHistory || supersedes(h.CreatedDate, string(k[:]), s.at, string(s.tie[:])) {
			s.at, s.tie, s.fromHistory = h.CreatedDate, k, true
			e.takeRow(h, &s.stageWon, &s.stageLost, &s.amount, &s.closeDay)
		}
	}
	if e.stageDays && h.CreatedDate < e.w.end && o.class != "" && e.inFunnel(o) {
		e.stageRows = append(e.stageRows, stageRow{at: h.CreatedDate, tie: keyOf(h.ID), opp: i, stage: e.names.id(h.StageName)})
	}
}

// stageValues is stage_days and stage_days_median per stage name: an
// opportunity enters a stage at the first history row with that stage
// name after a row with another (or at its first row) and leaves it at
// the next row with another stage name; each visit that ends in the
// period is one observation (a stage re-entered is a new visit; rows
// that change only amount or close date continue the visit). The rows
// are sorted once, then freed.
func (e *engine) stageValues() []Value {
	rows := e.stageRows
	e.stageRows = nil
	slices.SortFunc(rows, func(a, b stageRow) int {
		return cmp.Or(cmp.Compare(a.opp, b.opp), cmp.Compare(a.at, b.at), slices.Compare(a.tie[:], b.tie[:]))
	})
	spent := map[uint32][]int64{} // stage → microseconds of each visit
	for i := 1; i < len(rows); i++ {
		if rows[i].opp != rows[i-1].opp || rows[i].stage == rows[i-1].stage || !e.w.in(rows[i].at) {
			continue
		}
		entered := i - 1 // the visit began at the first row of its run
		for entered > 0 && rows[entered-1].opp == rows[i].opp && rows[entered-1].stage == rows[i-1].stage {
			entered--
		}
		spent[rows[i-1].stage] = append(spent[rows[i-1].stage], rows[i].at-rows[entered].at)
	}
	var out []Value
	mean, _ := Lookup("stage_days")
	med, _ := Lookup("stage_days_median")
	for st, d := range spent {
		var sum int64
		for _, v := range d {
			sum += v
		}
		dk := dimKey{DimStage, orNone(e.names.str(st))}
		out = append(out, e.value(mean, dk, "", meanDays(sum, int64(len(d)))), e.value(med, dk, "", median(d, microsPerDay)))
	}
	return out
}
