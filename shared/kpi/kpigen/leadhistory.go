package kpigen

import "github.com/venn-revops/venn/shared/kpi"

// tHist keys the lead history's random streams (apart from every other
// object's).
const tHist uint64 = 102

// histRows is the number of LeadHistory rows per lead.
const histRows = 4

// leadHistory streams four LeadHistory rows per lead, or nil unless
// Org.LeadHistory: the "created" row, Open → Working a day after creation,
// then, 2 to 91 days later, Working → the lead's current Status (a Title
// change instead when that is Working). Three leads in ten take a detour
// first: disqualified, then moved to their current Status 1 to 60 days
// later (Disqualified → Unqualified when they stay disqualified, a change
// within the list). The others' fourth row is a deleted Status change.
// Each row costs one lead draw.
func (o *Org) leadHistory() kpi.Source[kpi.LeadHistory] {
	if !o.LeadHistory {
		return nil
	}
	return source(o, histRows*o.Leads, func(h int, r *kpi.LeadHistory) {
		i, k := h/histRows, h%histRows
		created := o.lead(i).created
		now := statuses[o.pick(tLead, i, 10, len(statuses))] // the Lead row's Status
		detour := o.chance(tHist, i, 1, 30)
		at := created + day + 2*day + int64(o.r(tHist, i, 2)%uint64(90*day))
		*r = kpi.LeadHistory{ID: ID("017", h), LeadID: o.leadID(i), Field: "Status"}
		switch {
		case k == 0:
			r.CreatedDate, r.Field = created, "created"
		case k == 1:
			r.CreatedDate, r.OldValue, r.NewValue = created+day, "Open", "Working"
		case k == 2 && detour:
			r.CreatedDate, r.OldValue, r.NewValue = at, "Working", "Disqualified"
		case k == 2 && now == "Working":
			r.CreatedDate, r.Field, r.NewValue = at, "Title", "Manager"
		case k == 2:
			r.CreatedDate, r.OldValue, r.NewValue = at, "Working", now
		case detour:
			r.CreatedDate, r.OldValue, r.NewValue = at+day+int64(o.r(tHist, i, 3)%uint64(60*day)), "Disqualified", now
			if now == "Disqualified" {
				r.NewValue = "Unqualified"
			}
		default:
			r.CreatedDate, r.OldValue, r.NewValue, r.IsDeleted = at+day, now, "Nurture", true
		}
	})
}
