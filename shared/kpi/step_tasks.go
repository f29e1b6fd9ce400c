package kpi

// task counts a meeting and records the first response to ml (taskMQL).
func (e *engine) task(k *Task, ml *mqlLead) error {
	if k.IsDeleted {
		return nil
	}
	if day, ok := e.cfg.MeetingDay(k, e.w.asOf); ok && e.w.inDay(day) {
		e.tally(group{owner: k.OwnerID, dims: gUser}).meetings++
	}
	e.respond(k, ml)
	return nil
}
