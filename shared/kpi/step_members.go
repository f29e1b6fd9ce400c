package kpi

import (
	"slices"
	"strings"
)

func (e *engine) member(m *CampaignMember) error {
	if e.cfg.RespondedOnly && !m.HasResponded {
		return nil
	}
	at, ok := e.touchAt(m)
	if !ok || !e.w.known(at) {
		return nil
	}
	e.costTouch(m, at)
	// The opportunities this member touches: via its converted lead and via
	// its contact's roles, each opportunity once.
	targets := e.targets[:0]
	if m.LeadID != "" && e.leadFilter.mayContain(m.LeadID) {
		if i, ok := e.leadOpp[m.LeadID]; ok {
			targets = append(targets, i)
		}
	}
	if m.ContactID != "" && e.contactFilter.mayContain(m.ContactID) {
		for _, i := range e.contactOppsOf(m.ContactID) {
			if !slices.Contains(targets, i) {
				targets = append(targets, i)
			}
		}
	}
	e.targets = targets
	if len(targets) == 0 {
		return nil // most members: checked before the campaign lookup
	}
	ctype, ok := e.campType[m.CampaignID]
	if !ok || (len(e.cfg.MarketingCampaignTypes) > 0 && !slices.Contains(e.cfg.MarketingCampaignTypes, ctype)) {
		return nil
	}
	lookback := int64(e.cfg.LookbackDays) * dayMicros
	for _, i := range targets {
		o := e.opps.at(i)
		if at < o.created-lookback {
			continue
		}
		if o.closed && at >= (int64(o.closeDay)+1)*dayMicros {
			continue // end-of-day rule: a touch on the close day still counts
		}
		e.stats.Touches++
		o.touches = append(o.touches, touch{at: at, member: strings.Clone(m.ID), campaign: e.names.id(m.CampaignID)})
	}
	return nil
}

// contactOppsOf is the opportunities a contact's roles join (contactRole).
func (e *engine) contactOppsOf(id string) []int32 {
	if p := e.contactOpps[id]; p != nil {
		return *p
	}
	return nil
}
