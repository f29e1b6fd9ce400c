package kpi

import "slices"

type mqlLead struct {
	at    int64
	first int64 // first sales touch, -1 none
	g     *tally
}

// taskMQL is the MQL of the period a response task may answer, or nil.
// It only reads mqlLeads (complete before the tasks), so eachJoined runs
// it on both goroutines.
func (e *engine) taskMQL(k *Task) *mqlLead {
	if k.IsDeleted || k.WhoID == "" || !slices.Contains(e.cfg.ResponseTaskTypes, k.Type) {
		return nil
	}
	return e.mqlLeads[k.WhoID]
}

// task counts a meeting and records the first response to ml (taskMQL).
func (e *engine) task(k *Task, ml *mqlLead) error {
	if k.IsDeleted {
		return nil
	}
	if day, ok := e.cfg.MeetingDay(k, e.w.asOf); ok && e.w.inDay(day) {
		e.tally(group{owner: k.OwnerID, dims: gUser}).meetings++
	}
	if ml != nil && k.CreatedDate >= ml.at && e.w.known(k.CreatedDate) {
		if ml.first < 0 || k.CreatedDate < ml.first {
			ml.first = k.CreatedDate
		}
	}
	return nil
}

// responseTallies turns each MQL of the period into SLA and response-time
// counters of its lead's group.
func (e *engine) responseTallies() {
	sla := int64(e.cfg.SLAHours) * 3_600_000_000
	for _, ml := range e.mqlLeads {
		met := ml.first >= 0 && ml.first-ml.at <= sla
		if met || ml.at+sla < e.w.asOf {
			ml.g.slaDue++
			if met {
				ml.g.slaMet++
			}
		}
		if ml.first >= 0 {
			ml.g.responseMicros = append(ml.g.responseMicros, ml.first-ml.at)
		}
	}
}

// oppTallies adds every opportunity's counters to each of its dimension
// keys (opportunity groups would multiply by campaigns, so they are added
