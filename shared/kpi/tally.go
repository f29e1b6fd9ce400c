package kpi

// group is the set of dimension keys one row contributes to.
type group struct {
	owner, segment, region, channel, campaign string
	dims                                      uint8
}

const (
	gLead    uint8 = 1 << iota // lead dims
	gOpp                       // opportunity dims (adds campaign)
	gUser                      // org, team, owner only
	gAccount                   // org, team, owner, segment, region (contracts)
)

// tally holds the additive counters of one dimension key.
type tally struct {
	leads, mqls, sqls                                  int64
	leadsDisqualified, leadsRecycled                   int64
	mqlSQLMicros, mqlSQLN                              int64
	cohort, cohortMQL, cohortSQL, cohortOpp, cohortWon int64
	oppsCreated, won, lost                             int64
	pipelineCreated, bookings, openPipeline            int64
	wonDays, closedDays                                int64
	sqlOppMicros, sqlOppN                              int64
	srcPipeline, srcBookings, srcOpps                  int64
	renewUp, renewWon, renewUpCents, renewWonCents     int64
	expansionCents                                     int64
	meetings                                           int64
	slaDue, slaMet, awaiting, pastSLA                  int64
	ctrUp, ctrRenewed                                  int64
	arrStart, arrEnd, arrNew                           int64
	arrExpansion, arrContraction, arrChurn             int64
	responseMicros                                     []int64
	// Each MQL's microseconds past its SLA deadline, over the MQLs that
	// breached it (answered late, or unanswered past the deadline).
	slaBreachMicros         []int64
	leadMQLMicros, leadMQLN int64
	// Each counted lead's or opportunity's interval in microseconds, for
	// the velocity medians (mean beside: the *Micros, *N counters).
	leadMQLTimes, mqlSQLTimes, sqlOppTimes []int64
	// Opportunity counters (oppkpis): lost amount, open count, the
	// pipeline open at the quarter start and closing next quarter, and the
	// value lists of the medians (sorted once, at evaluation).
	lostCents, oppsOpen                     int64
	openPipelineStart, openPipelineNext     int64
	closedDayList, wonDayList, wonCentsList []int64
}

func (t *tally) add(o *tally) {
	t.leads += o.leads
	t.leadsDisqualified += o.leadsDisqualified
	t.leadsRecycled += o.leadsRecycled
	t.mqls += o.mqls
	t.sqls += o.sqls
	t.mqlSQLMicros += o.mqlSQLMicros
	t.mqlSQLN += o.mqlSQLN
	t.cohort += o.cohort
	t.cohortMQL += o.cohortMQL
	t.cohortSQL += o.cohortSQL
	t.cohortOpp += o.cohortOpp
	t.cohortWon += o.cohortWon
	t.oppsCreated += o.oppsCreated
	t.won += o.won
	t.lost += o.lost
	t.pipelineCreated += o.pipelineCreated
	t.bookings += o.bookings
	t.openPipeline += o.openPipeline
	t.wonDays += o.wonDays
	t.closedDays += o.closedDays
	t.sqlOppMicros += o.sqlOppMicros
	t.sqlOppN += o.sqlOppN
	t.srcPipeline += o.srcPipeline
	t.srcBookings += o.srcBookings
	t.srcOpps += o.srcOpps
	t.renewUp += o.renewUp
	t.renewWon += o.renewWon
	t.renewUpCents += o.renewUpCents
	t.renewWonCents += o.renewWonCents
	t.expansionCents += o.expansionCents
	t.meetings += o.meetings
	t.slaDue += o.slaDue
	t.slaMet += o.slaMet
	t.awaiting += o.awaiting
	t.pastSLA += o.pastSLA
	t.ctrUp += o.ctrUp
	t.ctrRenewed += o.ctrRenewed
	t.arrStart += o.arrStart
	t.arrEnd += o.arrEnd
	t.arrNew += o.arrNew
	t.arrExpansion += o.arrExpansion
	t.arrContraction += o.arrContraction
	t.arrChurn += o.arrChurn
	t.responseMicros = append(t.responseMicros, o.responseMicros...)
	t.slaBreachMicros = append(t.slaBreachMicros, o.slaBreachMicros...)
	t.leadMQLMicros += o.leadMQLMicros
	t.leadMQLN += o.leadMQLN
	t.leadMQLTimes = append(t.leadMQLTimes, o.leadMQLTimes...)
	t.mqlSQLTimes = append(t.mqlSQLTimes, o.mqlSQLTimes...)
	t.sqlOppTimes = append(t.sqlOppTimes, o.sqlOppTimes...)
	t.lostCents += o.lostCents
	t.oppsOpen += o.oppsOpen
	t.openPipelineStart += o.openPipelineStart
	t.openPipelineNext += o.openPipelineNext
	t.closedDayList = append(t.closedDayList, o.closedDayList...)
	t.wonDayList = append(t.wonDayList, o.wonDayList...)
	t.wonCentsList = append(t.wonCentsList, o.wonCentsList...)
}

// resetOpp empties a per-opportunity tally for the next one, keeping the
// lists' arrays (one allocation for the whole step, not one per row).
func (t *tally) resetOpp() {
	*t = tally{sqlOppTimes: t.sqlOppTimes[:0], closedDayList: t.closedDayList[:0], wonDayList: t.wonDayList[:0], wonCentsList: t.wonCentsList[:0]}
}

type dimKey struct{ dim, key string }
