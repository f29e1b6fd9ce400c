package orggen

import (
	"fmt"
	"time"

	"github.com/venn-revops/venn/shared/crm"
)

// NightSummary lists what SimulateNight changed, by object name.
type NightSummary struct {
	From, To time.Time
	Updated  map[string][]string
	Inserted map[string][]string
	Deleted  map[string][]string
}

// Changes is the number of records changed in total.
func (s NightSummary) Changes() int {
	n := 0
	for _, m := range []map[string][]string{s.Updated, s.Inserted, s.Deleted} {
		for _, ids := range m {
			n += len(ids)
		}
	}
	return n
}

const streamNight = 9

// SimulateNight applies a realistic day of changes starting at the clock:
// up to five open deals move one stage (with their history rows), three new
// leads arrive (one with a campaign touch), one lead is deleted (soft), one
// campaign membership removed (hard) and one closed lead recycled (with its
// LeadHistory row); what the org lacks (Shape.Omit) is left out. Changes are spread over the day
// and the clock ends 24 hours later. The same seed on the same org makes
// the same changes.
func (o *Org) SimulateNight(seed int64) (NightSummary, error) {
	r := newRNG(seed, streamNight, 0)
	from := o.Clock()
	sum := NightSummary{From: from, Updated: map[string][]string{}, Inserted: map[string][]string{}, Deleted: map[string][]string{}}
	step := 0
	tick := func() {
		step++
		o.SetClock(from.Add(time.Duration(step) * 37 * time.Minute))
	}

	var open []*crm.Row
	if err := o.Each(crm.Opportunity, func(row *crm.Row) error {
		if !row.Values[colIndex[crm.Opportunity]["IsClosed"]].B {
			open = append(open, row)
		}
		return nil
	}); err != nil {
		return sum, err
	}
	for k := 0; k < 5 && len(open) > 0; k++ {
		j := r.intn(len(open))
		row := open[j]
		open = append(open[:j], open[j+1:]...)
		tick()
		if err := o.advanceStage(&r, row, &sum); err != nil {
			return sum, err
		}
	}

	for k := 0; k < 3; k++ {
		tick()
		now := crm.Micros(o.Clock())
		src := r.intn(numMarketingSources)
		owner := pickPerson(&r, roleSDR, now, now)
		if owner < 0 {
			return sum, fmt.Errorf("democrm: no SDR active at %s", o.Clock())
		}
		pp := o.gen.personOf(malformedBase/2 + int64(r.intn(1<<20)))
		id, err := o.Insert(crm.Lead, map[string]any{
			"FirstName": pp.first, "LastName": pp.last, "Company": pp.company, "Email": pp.email(),
			"Status": "Open - Not Contacted", "LeadSource": leadSources[src], "OwnerId": People[owner].ID,
			"Segment__c": segments[r.weighted(segmentWeights)], "Region__c": regions[r.weighted(regionWeights)],
			"IsConverted": false,
		})
		if err != nil {
			return sum, err
		}
		sum.Inserted["Lead"] = append(sum.Inserted["Lead"], id)
		if c := o.gen.campaignAt(sourceChannel[src], now); k == 0 && c >= 0 && o.tables["CampaignMember"] != nil {
			cm, err := o.Insert(crm.CampaignMember, map[string]any{
				"CampaignId": makeID(keyPrefix["Campaign"], int64(c)), "LeadId": id, "Status": "Responded",
				"HasResponded": true, "FirstRespondedDate": o.Clock(),
			})
			if err != nil {
				return sum, err
			}
			sum.Inserted["CampaignMember"] = append(sum.Inserted["CampaignMember"], cm)
		}
	}

	tick()
	if id, ok := o.randomLive(&r, crm.Lead, func(row *crm.Row) bool {
		return !row.Values[colIndex[crm.Lead]["IsConverted"]].B
	}); ok {
		if err := o.Delete(crm.Lead, id); err != nil {
			return sum, err
		}
		sum.Deleted["Lead"] = append(sum.Deleted["Lead"], id)
	}
	tick()
	if id, ok := o.randomLive(&r, crm.CampaignMember, nil); ok {
		if err := o.Delete(crm.CampaignMember, id); err != nil {
			return sum, err
		}
		sum.Deleted["CampaignMember"] = append(sum.Deleted["CampaignMember"], id)
	}
	tick()
	if err := o.recycleLead(&r, &sum); err != nil {
		return sum, err
	}
	sum.To = from.Add(24 * time.Hour)
	o.SetClock(sum.To)
	return sum, nil
}

// advanceStage moves an open deal one stage on (from Negotiation to Closed
// Won or Closed Lost) and records the change in OpportunityHistory.
func (o *Org) advanceStage(r *rng, row *crm.Row, sum *NightSummary) error {
	idx := colIndex[crm.Opportunity]
	stage := 0
	for k, name := range stageNames {
		if name == row.Values[idx["StageName"]].S {
			stage = k
		}
	}
	next := stage + 1
	if stage == stageNegotiation {
		next = stageLost
		if r.chance(0.6) {
			next = stageWon
		}
	}
	fields := map[string]any{
		"StageName":   stageNames[next],
		"Probability": string(appendCents(nil, stageProbability[next]*100)),
		"IsClosed":    next >= stageWon,
		"IsWon":       next == stageWon,
	}
	closeDay := row.Values[idx["CloseDate"]].I
	if next >= stageWon {
		closeDay = crm.Days(o.Clock())
		fields["CloseDate"] = o.Clock()
	}
	id := row.ID()
	if err := o.Update(crm.Opportunity, id, fields); err != nil {
		return err
	}
	sum.Updated["Opportunity"] = append(sum.Updated["Opportunity"], id)
	amount := row.Values[idx["Amount"]]
	h := map[string]any{"OpportunityId": id, "StageName": stageNames[next], "CloseDate": crm.TimeOfDays(closeDay), "Amount": nil}
	if !amount.Null {
		h["Amount"] = string(appendCents(nil, amount.I))
	}
	if o.tables["OpportunityHistory"] == nil { // an org without stage history
		return nil
	}
	hid, err := o.Insert(crm.OpportunityHistory, h)
	if err != nil {
		return err
	}
	sum.Inserted["OpportunityHistory"] = append(sum.Inserted["OpportunityHistory"], hid)
	return nil
}

// recycleLead moves a closed lead back to Recycled, with the status change
// in LeadHistory when the org tracks it.
func (o *Org) recycleLead(r *rng, sum *NightSummary) error {
	status := colIndex[crm.Lead]["Status"]
	id, ok := o.randomLive(r, crm.Lead, func(row *crm.Row) bool { return row.Values[status].S == statusNotConverted })
	if !ok {
		return nil
	}
	if err := o.Update(crm.Lead, id, map[string]any{"Status": statusRecycled}); err != nil {
		return err
	}
	sum.Updated["Lead"] = append(sum.Updated["Lead"], id)
	if o.tables["LeadHistory"] == nil || o.cfg.LeadHistoryOff {
		return nil
	}
	hid, err := o.Insert(crm.LeadHistory, map[string]any{"LeadId": id, "Field": "Status", "OldValue": statusNotConverted, "NewValue": statusRecycled})
	if err != nil {
		return err
	}
	sum.Inserted["LeadHistory"] = append(sum.Inserted["LeadHistory"], hid)
	return nil
}

// randomLive picks a random live record of obj that satisfies ok (nil: any).
func (o *Org) randomLive(r *rng, obj *crm.Object, ok func(*crm.Row) bool) (string, bool) {
	t := o.tables[obj.Name]
	if t == nil { // the org lacks the object
		return "", false
	}
	rc := &renderCtx{g: &o.gen}
	var row crm.Row
	for try := 0; try < 64; try++ {
		o.mu.RLock()
		total := t.n + t.inserted
		if total == 0 {
			o.mu.RUnlock()
			return "", false
		}
		found := t.current(rc, int64(r.intn(int(total))), &row) && !t.isDeleted(&row) && (ok == nil || ok(&row))
		o.mu.RUnlock()
		if found {
			return row.ID(), true
		}
	}
	return "", false
}
