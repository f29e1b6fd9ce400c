package kpi

import (
	"slices"

	"github.com/shopspring/decimal"
)

// oppTallies adds every opportunity's counters to each of its dimension
// keys (opportunity groups would multiply by campaigns, so they are added
// straight to the few hundred dimension keys instead).
func (e *engine) oppTallies() {
	w := &e.w
	renewalAccounts := map[uint32]bool{}
	for i := range e.opps.n {
		// An opportunity without an account (interned "", 0) is on no
		// account: it shares none with another accountless one.
		if o := e.opps.at(i); o.class == ClassRenewal && o.account != 0 && w.inDay(o.closeDay) {
			renewalAccounts[o.account] = true
		}
	}
	var keys []dimKey
	var t tally
	for i := range e.opps.n {
		o := e.opps.at(i)
		if o.class == "" {
			continue
		}
		t.resetOpp()
		e.oppCounters(o, &t, renewalAccounts)
		if t.oppsCreated+t.won+t.lost+t.renewUp+t.oppsOpen == 0 && t.expansionCents == 0 && t.openPipelineStart == 0 && t.openPipelineNext == 0 {
			continue // nothing in this period
		}
		acc := e.accounts[e.names.str(o.account)]
		keys = e.dimKeys(group{owner: e.names.str(o.owner), segment: acc[0], region: acc[1],
			channel: e.names.str(o.source), campaign: e.names.str(o.campaign), dims: gOpp}, keys[:0])
		for _, dk := range keys {
			dt := e.oppDims[dk]
			if dt == nil {
				dt = &tally{}
				e.oppDims[dk] = dt
			}
			dt.add(&t)
		}
	}
}

// oppCounters is one opportunity's contribution to the counters.
func (e *engine) oppCounters(o *opp, t *tally, renewalAccounts map[uint32]bool) {
	w := &e.w
	switch {
	case o.class == ClassRenewal:
		if w.inDay(o.closeDay) {
			t.renewUp++
			t.renewUpCents += o.amount
			if o.won {
				t.renewWon++
				t.renewWonCents += o.amount
			}
		}
	case o.class == ClassExpansion && o.won && w.inDay(o.closeDay) && renewalAccounts[o.account]:
		t.expansionCents += o.amount
	}
	if !e.inFunnel(o) {
		return
	}
	source := o.source
	if source == 0 && o.hasLead {
		source = o.leadSource
	}
	sourced := source != 0 && slices.Contains(e.cfg.MarketingLeadSources, e.names.str(source))
	if w.in(o.created) {
		t.oppsCreated++
		t.pipelineCreated += o.amount
		if sourced {
			t.srcOpps++
			t.srcPipeline += o.amount
		}
		if o.hasLead && o.leadSQL >= 0 && o.leadSQL <= o.created {
			t.sqlOppMicros += o.created - o.leadSQL
			t.sqlOppN++
			t.sqlOppTimes = append(t.sqlOppTimes, o.created-o.leadSQL)
		}
	}
	if o.closed && w.inDay(o.closeDay) {
		days := int64(o.closeDay) - floorDay(o.created)
		t.closedDays += days
		if o.won {
			t.won++
			t.bookings += o.amount
			t.wonDays += days
			if sourced {
				t.srcBookings += o.amount
			}
			t.wonDayList = append(t.wonDayList, days)
			t.wonCentsList = append(t.wonCentsList, o.amount)
		} else {
			t.lost++
			t.lostCents += o.amount
		}
		t.closedDayList = append(t.closedDayList, days)
	}
	if !o.closed {
		switch cd := int64(o.closeDay) * dayMicros; {
		case w.inQuarterDay(o.closeDay):
			t.openPipeline += o.amount
			t.oppsOpen++
		case cd >= w.qEnd && cd < w.nextEnd:
			t.openPipelineNext += o.amount
		}
	}
	if s := &o.start; s.existed && !s.closed && w.inQuarterDay(s.closeDay) {
		t.openPipelineStart += s.amount
	}
}

// dimKeys lists the dimension keys a group contributes to.
func (e *engine) dimKeys(g group, out []dimKey) []dimKey {
	out = append(out, dimKey{DimOrg, KeyAll}, dimKey{DimTeam, orNone(e.team[g.owner])}, dimKey{DimOwner, orNone(g.owner)})
	if g.dims&(gLead|gOpp|gAccount) != 0 {
		out = append(out, dimKey{DimSegment, orNone(g.segment)}, dimKey{DimRegion, orNone(g.region)})
	}
	if g.dims&(gLead|gOpp) != 0 {
		out = append(out, dimKey{DimChannel, orNone(g.channel)})
	}
	if g.dims&gOpp != 0 {
		out = append(out, dimKey{DimCampaign, orNone(g.campaign)})
	}
	return out
}

// emit expands the group counters to every configured dimension key and
// evaluates the catalog on them.
func (e *engine) emit() []Value {
	dims := map[dimKey]*tally{{DimOrg, KeyAll}: {}}
	for dk, t := range e.oppDims {
		if slices.Contains(e.cfg.Dimensions, dk.dim) {
			dims[dk] = t
		}
	}
	for g, gt := range e.groups {
		for _, dk := range e.dimKeys(g, nil) {
			if !slices.Contains(e.cfg.Dimensions, dk.dim) {
				continue
			}
			t := dims[dk]
			if t == nil {
				t = &tally{}
				dims[dk] = t
			}
			t.add(gt)
		}
	}
	for _, tg := range e.cfg.Targets {
		dk := dimKey{tg.Dimension, tg.Key}
		if (tg.Quarter == e.w.q || tg.Quarter == e.w.q.Next()) && slices.Contains(e.cfg.Dimensions, dk.dim) && dims[dk] == nil {
			dims[dk] = &tally{}
		}
	}
	var out []Value
	for dk, t := range dims {
		for _, s := range specs {
			if !slices.Contains(s.Dimensions, dk.dim) {
				continue
			}
			if s.eval != nil {
				if m, ok := e.eval(&s, t); ok {
					out = append(out, e.value(s.Definition, dk, "", m))
				}
			}
		}
		out = append(out, e.targetValues(dk, t)...)
	}
	return append(out, e.stageValues()...)
}

func (e *engine) value(d Definition, dk dimKey, model string, m measure) Value {
	v := Value{KPI: d.Name, Dimension: dk.dim, Key: dk.key, Model: model, Unit: d.Unit,
		Value: m.value, Numerator: m.num, Denominator: m.den, Quotient: m.isRatio, Defined: m.defined}
	if !m.defined {
		v.Value = decimal.Zero
	}
	if d.Unit == UnitCurrency {
		v.Currency = e.cfg.Currency
	}
	return v
}

func (e *engine) targetValues(dk dimKey, t *tally) []Value {
	def := func(name string) Definition { d, _ := Lookup(name); return d }
	var out []Value
	if next, ok := e.cfg.target(e.w.q.Next(), dk.dim, dk.key); ok {
		out = append(out, e.value(def("pipeline_coverage_next_quarter"), dk, "", ratioDec(decimal.New(t.openPipelineNext, -2), next.Bookings)))
	}
	tg, ok := e.cfg.target(e.w.q, dk.dim, dk.key)
	if !ok {
		return out
	}
	bt := tg.Bookings
	pt := tg.Pipeline
	remaining := tg.Bookings.Sub(decimal.New(t.bookings, -2))
	if remaining.IsNegative() {
		remaining = decimal.Zero
	}
	out = append(out,
		e.value(def("pipeline_coverage_start"), dk, "", ratioDec(decimal.New(t.openPipelineStart, -2), bt)),
		e.value(def("bookings_target"), dk, "", measure{value: bt, defined: true}),
		e.value(def("bookings_attainment"), dk, "", ratioDec(decimal.New(t.bookings, -2), bt)),
		e.value(def("pipeline_target"), dk, "", measure{value: pt, defined: true}),
		e.value(def("pipeline_attainment"), dk, "", ratioDec(decimal.New(t.pipelineCreated, -2), pt)),
		e.value(def("pipeline_coverage"), dk, "", ratioDec(decimal.New(t.openPipeline, -2), remaining)),
	)
	return append(out, e.marketingTargetValues(tg, dk, t)...)
}
