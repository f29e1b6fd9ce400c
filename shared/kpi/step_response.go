package kpi

import (
	"slices"
	"strings"
)

// Lead response: the first human response to each MQL of the period
// (docs/kpis.md §5). The leads step registers the period's MQLs
// (mqlLeads), the tasks step records each one's first qualifying task, and
// responseTallies turns them into counters and, with WithResponses, into
// one Response per MQL.

const hourMicros = int64(3_600_000_000)

// queuePrefix is the key prefix of a queue's Id (a Group): a lead owned by
// a queue is waiting for someone to take it.
const queuePrefix = "00G"

func isQueue(id string) bool { return strings.HasPrefix(id, queuePrefix) }

// mqlLead is an MQL of the period waiting for its first human response.
type mqlLead struct {
	at     int64 // MQL instant
	start  int64 // the clock's start (lead_response.clock_start)
	first  int64 // first human response, -1 none
	by     string
	owner  string // the lead's owner (kept only for response rows)
	queued bool   // owned by a queue: nobody has taken it
	g      *tally
}

// newMQLLead registers lead l, which became an MQL at mql in the period.
// It runs on the leads step's sidecar (leadCounters): respVals is its own.
func (e *engine) newMQLLead(l *Lead, mql int64, t *tally) {
	ml := &mqlLead{at: mql, start: mql, first: -1, queued: isQueue(l.OwnerID), g: t}
	if e.cfg.Response.ClockStart == ClockLeadCreated {
		ml.start = l.CreatedDate
	}
	if e.responses {
		ml.owner = e.respVals.keep(l.OwnerID)
	}
	e.mqlLeads[strings.Clone(l.ID)] = ml
}

// responseUser marks a user the rule excludes as a responder (Id, profile,
// user type).
func (e *engine) responseUser(u *User) {
	if e.cfg.Response.excludes(u) {
		e.bots[strings.Clone(u.ID)] = true
	}
}

// responder is the user whose task it is under lead_response.responder. A
// task without CreatedById (lake files older than the column) is judged by
// its owner; respond counts those.
func (e *engine) responder(k *Task) string {
	if e.cfg.Response.Responder == ResponderCreatedBy && k.CreatedByID != "" {
		return k.CreatedByID
	}
	return k.OwnerID
}

// human reports whether a responder Id is a person: not blank, not a
// queue, not excluded by Id, profile or user type.
func (e *engine) human(id string) bool {
	return id != "" && !isQueue(id) && !e.bots[id] && !e.cfg.Response.ExcludeUsers[id]
}

// taskMQL is the MQL of the period a task may answer, or nil: a live task
// of a response type on a period MQL not owned by a queue, made by a
// person. It only reads maps complete before the tasks, so eachJoined runs
// it on both goroutines.
func (e *engine) taskMQL(k *Task) *mqlLead {
	if k.IsDeleted || k.WhoID == "" || !slices.Contains(e.cfg.Response.TaskTypes, k.Type) {
		return nil
	}
	ml := e.mqlLeads[k.WhoID]
	if ml == nil || ml.queued || !e.human(e.responder(k)) {
		return nil
	}
	return ml
}

// respond records task k as ml's response if it is the first one at or
// after the clock's start known at the as-of instant. Ties of instant go
// to the smaller responder Id, whatever the row order.
func (e *engine) respond(k *Task, ml *mqlLead) {
	if ml == nil || k.CreatedDate < ml.start || !e.w.known(k.CreatedDate) {
		return
	}
	if e.cfg.Response.Responder == ResponderCreatedBy && k.CreatedByID == "" {
		e.stats.ResponderByOwner++
	}
	by := e.responder(k)
	if ml.first < 0 || k.CreatedDate < ml.first || k.CreatedDate == ml.first && by < ml.by {
		ml.first, ml.by = k.CreatedDate, strings.Clone(by)
	}
}

// Response is one MQL of the period and its first human response as of
// the as-of instant (Result.Responses, with WithResponses).
type Response struct {
	Lead        string
	MQLAt       int64 // microseconds UTC
	ClockStart  int64 // the clock's start: MQLAt, or the lead's creation
	Deadline    int64 // ClockStart + SLA
	RespondedAt int64 // first human response; -1 while waiting
	Responder   string
	Micros      int64 // RespondedAt − ClockStart; 0 while waiting
	// Due: answered, or the deadline has passed (at or before the as-of
	// instant); WithinSLA is meaningful only when Due.
	Due, WithinSLA bool
	Queued         bool // owned by a queue
	Owner, Team    string
}

// WithResponses makes Compute return one Response per MQL of the period
// (Result.Responses), sorted by lead Id. Without it no row is built.
func WithResponses() Option { return func(e *engine) { e.responses = true } }

// responseTallies turns each MQL of the period into its group's response
// counters (and its Response).
func (e *engine) responseTallies() []Response {
	sla := int64(e.cfg.Response.SLAHours) * hourMicros
	var out []Response
	if e.responses {
		out = make([]Response, 0, len(e.mqlLeads))
	}
	for id, ml := range e.mqlLeads {
		t := ml.g
		deadline := ml.start + sla
		answered := ml.first >= 0
		met := answered && ml.first <= deadline
		// A deadline passes when the as-of instant is after it: at the
		// deadline itself a response could still come.
		due := answered || deadline < e.w.asOf
		if due {
			t.slaDue++
			if met {
				t.slaMet++
			}
		}
		if answered {
			t.responseMicros = append(t.responseMicros, ml.first-ml.start)
		} else {
			t.awaiting++
			if due {
				t.pastSLA++
			}
		}
		if past := slaBreach(answered, met, due, ml.first, deadline, e.w.asOf); past > 0 {
			t.slaBreachMicros = append(t.slaBreachMicros, past)
		}
		if e.responses {
			r := Response{Lead: id, MQLAt: ml.at, ClockStart: ml.start, Deadline: deadline, RespondedAt: -1,
				Due: due, WithinSLA: met, Queued: ml.queued, Owner: ml.owner, Team: e.team[ml.owner]}
			if answered {
				r.RespondedAt, r.Responder, r.Micros = ml.first, ml.by, ml.first-ml.start
			}
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b Response) int { return strings.Compare(a.Lead, b.Lead) })
	return out
}

// slaBreach is how long an MQL waited past its SLA deadline, in
// microseconds, or 0 when it did not breach it: answered late, the first
// response − the deadline; unanswered with its deadline passed, the as-of
// instant − the deadline (the period's end for a final run at the
// quarter's close; the run's instant for the quarter to date).
func slaBreach(answered, met, due bool, first, deadline, asOf int64) int64 {
	switch {
	case answered && !met:
		return first - deadline
	case !answered && due:
		return asOf - deadline
	}
	return 0
}

// ResponseRow is one Response as a row of the gold response table
// (kpi_response/quarter=YYYYQn/as_of=YYYY-MM-DD/): response_hours is
// DECIMAL(18,6), rounded half up. responded_at, responder_id and
// response_hours are NULL while the lead waits; within_sla is NULL until
// the lead is answered or its deadline has passed.
type ResponseRow struct {
	Quarter     string `parquet:"quarter,dict"`
	AsOf        int32  `parquet:"as_of,date"`
	Final       bool   `parquet:"final"`
	Lead        string `parquet:"lead_id"`
	MQLAt       int64  `parquet:"mql_at,timestamp(microsecond)"`
	ClockStart  int64  `parquet:"clock_start_at,timestamp(microsecond)"`
	Deadline    int64  `parquet:"sla_deadline,timestamp(microsecond)"`
	RespondedAt *int64 `parquet:"responded_at,optional,timestamp(microsecond)"`
	Responder   string `parquet:"responder_id,optional,dict"`
	Hours       *int64 `parquet:"response_hours,optional,decimal(6:18)"`
	WithinSLA   *bool  `parquet:"within_sla,optional"`
	Waiting     bool   `parquet:"waiting"`
	Queued      bool   `parquet:"queue_owned"`
	Owner       string `parquet:"owner_id,dict"`
	Team        string `parquet:"team,optional,dict"`
	SLAHours    int32  `parquet:"sla_hours"`
	ConfigHash  string `parquet:"config_hash,dict"`
}

// ResponseRows flattens Result.Responses into gold rows, in the same order.
func (r *Result) ResponseRows() []ResponseRow {
	asOf := asOfDay(r.AsOf)
	out := make([]ResponseRow, len(r.Responses))
	for i, x := range r.Responses {
		row := ResponseRow{Quarter: r.Quarter, AsOf: asOf, Final: r.Final, Lead: x.Lead, MQLAt: x.MQLAt,
			ClockStart: x.ClockStart, Deadline: x.Deadline, Waiting: x.RespondedAt < 0, Queued: x.Queued,
			Owner: x.Owner, Team: x.Team, SLAHours: int32((x.Deadline - x.ClockStart) / hourMicros), ConfigHash: r.ConfigHash}
		if x.RespondedAt >= 0 {
			at, h := x.RespondedAt, (x.Micros+1800)/3600 // µs → 10⁻⁶ h, half up
			row.RespondedAt, row.Responder, row.Hours = &at, x.Responder, &h
		}
		if x.Due {
			met := x.WithinSLA
			row.WithinSLA = &met
		}
		out[i] = row
	}
	return out
}
