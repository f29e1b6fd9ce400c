package kpi

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/period"
)

const dayMicros = int64(86_400_000_000)

// Period is what Compute measures: a quarter, either final (at quarter
// close: the whole quarter) or to date (events at or after AsOf ignored).
// In both cases the state of every record is the state known at AsOf
// (opportunity stage, amount and close date from the stage history).
type Period struct {
	Quarter period.Quarter
	AsOf    time.Time
	Final   bool
}

// window is the period in microseconds: events count when
// start <= t < end; state is read as known strictly before asOf.
type window struct {
	q          period.Quarter
	start, end int64 // [start, end): quarter start to min(quarter end, AsOf)
	qEnd       int64 // quarter end (open pipeline's close-date range)
	asOf       int64
}

func (w *window) in(t int64) bool    { return t >= w.start && t < w.end }
func (w *window) inDay(d int32) bool { return w.in(int64(d) * dayMicros) }
func (w *window) known(t int64) bool { return t < w.asOf }
func micros(t time.Time) int64       { return t.UnixMicro() }
func floorDay(t int64) int64 {
	if t < 0 {
		return (t - dayMicros + 1) / dayMicros
	}
	return t / dayMicros
}

func newWindow(p Period) (window, error) {
	if p.Quarter.IsZero() {
		return window{}, errors.New("kpi: period has no quarter")
	}
	if p.AsOf.IsZero() {
		return window{}, fmt.Errorf("kpi: %s: as-of instant is required", p.Quarter)
	}
	if !p.AsOf.After(p.Quarter.Start()) {
		return window{}, fmt.Errorf("kpi: %s: as-of %s is not after the quarter start", p.Quarter, p.AsOf.UTC().Format(time.RFC3339))
	}
	if p.Final && p.AsOf.Before(p.Quarter.End()) {
		return window{}, fmt.Errorf("kpi: %s: final figures need an as-of at or after the quarter end %s, got %s",
			p.Quarter, p.Quarter.End().Format(time.DateOnly), p.AsOf.UTC().Format(time.RFC3339))
	}
	w := window{q: p.Quarter, start: micros(p.Quarter.Start()), qEnd: micros(p.Quarter.End()), asOf: micros(p.AsOf)}
	w.end = min(w.qEnd, w.asOf)
	return w, nil
}

// opp is an opportunity as known at the as-of instant. Repeated strings
// are interned (engine.names); the struct is kept small because the engine
// holds every opportunity of the snapshot.
type opp struct {
	id, histID, leadID string
	class              string // a constant of the config: shared, not copied
	owner, account     uint32 // engine.names
	source, campaign   uint32 // engine.names
	leadSource         uint32 // engine.names: the converted lead's LeadSource
	created            int64
	amount             int64 // cents; a null amount is 0
	histAt             int64 // CreatedDate of the history row applied, or -1
	leadCreated        int64 // the converted lead's CreatedDate (lead_creation position)
	leadSQL            int64 // the converted lead's SQL instant, or -1
	closeDay           int32
	won, closed        bool
	stageWon           bool // the current stage is a configured won stage
	stageLost          bool
	fromHistory        bool
	flagsKnown         bool // IsWon/IsClosed non-null on the snapshot row
	hasLead            bool
	needTouches        bool
	touches            []touch
}

type touch struct {
	at       int64
	member   string
	campaign uint32 // engine.names
}

// group is the set of dimension keys one row contributes to.
type group struct {
	owner, segment, region, channel, campaign string
	dims                                      uint8
}

const (
	gLead uint8 = 1 << iota // lead dims
	gOpp                    // opportunity dims (adds campaign)
	gUser                   // org, team, owner only
)

// tally holds the additive counters of one dimension key.
type tally struct {
	leads, mqls, sqls                                  int64
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
	slaDue, slaMet                                     int64
	responseMicros                                     []int64
}

func (t *tally) add(o *tally) {
	t.leads += o.leads
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
	t.responseMicros = append(t.responseMicros, o.responseMicros...)
}

type dimKey struct{ dim, key string }

// engine is the state of one Compute call.
type engine struct {
	cfg *Config
	w   window

	team     map[string]string // user → team
	accounts map[string][2]string
	campType map[string]string // live campaigns → type
	names    *interner
	opps     oppTable
	oppIdx   map[string]int32
	oppDims  map[dimKey]*tally // opportunity counters, added straight to dimension keys

	contactOpps map[string]*[]int32 // only contacts on opportunities needing touches
	leadOpp     map[string]int32    // converted lead → opportunity needing touches
	mqlLeads    map[string]*mqlLead
	targets     []int32 // scratch of member()

	// Bloom filters of leadOpp's and contactOpps' keys, built once both
	// maps are complete (before the campaign members are read).
	leadFilter, contactFilter *idFilter

	groups map[group]*tally
	vals   valSet
	stats  Stats
	side   *sidecar // runs half of a step's per-batch work beside it

	credits bool // build credit rows (WithCredits)
}

type mqlLead struct {
	at    int64
	first int64 // first sales touch, -1 none
	g     *tally
}

// valSet clones each distinct value once, for the few values of a
// picklist (team, segment, region, type): the rows' strings are borrowed
// (see Inputs), and a clone per row of a 500k-row table would cost more
// than the lookup.
type valSet map[string]string

func (vs valSet) keep(s string) string {
	if v, ok := vs[s]; ok {
		return v
	}
	v := strings.Clone(s)
	vs[v] = v
	return v
}

// beside runs side (the step named name, its rows counted under stat) on
// its own goroutine while main runs on this one, and returns both errors.
// The two must share no mutable state.
func (e *engine) beside(name, stat string, side func() (int64, error), main func() error) error {
	var n int64
	done := make(chan error, 1)
	go func() {
		var err error
		n, err = side()
		done <- err
	}()
	err := main()
	serr := <-done
	e.stats.Rows[stat] = n
	if serr != nil {
		serr = fmt.Errorf("%s: %w", name, serr)
	}
	return errors.Join(err, serr)
}

// tally is g's tally, created on first use. g's strings may be borrowed
// from the batch (see Inputs): a new key is stored cloned.
func (e *engine) tally(g group) *tally {
	t := e.groups[g]
	if t == nil {
		t = &tally{}
		g.owner, g.segment, g.region, g.channel, g.campaign = strings.Clone(g.owner), strings.Clone(g.segment), strings.Clone(g.region), strings.Clone(g.channel), strings.Clone(g.campaign)
		e.groups[g] = t
	}
	return t
}

func orNone(s string) string {
	if s == "" {
		return KeyNone
	}
	return s
}

// Compute computes the whole catalog for one period. It reads each input
// once (see Inputs) and fails on the first input error, on an opportunity
// in another currency than the configured one, or on an invalid period.
func Compute(cfg *Config, in Inputs, p Period, opts ...Option) (*Result, error) {
	if cfg == nil {
		return nil, errors.New("kpi: no configuration")
	}
	w, err := newWindow(p)
	if err != nil {
		return nil, err
	}
	e := &engine{cfg: cfg, w: w,
		team: map[string]string{}, accounts: map[string][2]string{}, campType: map[string]string{},
		names: newInterner(), oppIdx: map[string]int32{}, oppDims: map[dimKey]*tally{}, contactOpps: map[string]*[]int32{}, leadOpp: map[string]int32{},
		mqlLeads: map[string]*mqlLead{}, groups: map[group]*tally{}, vals: valSet{},
		stats: Stats{Rows: map[string]int64{}, UnclassifiedTypes: map[string]int64{}},
		side:  newSidecar(),
	}
	for _, opt := range opts {
		opt(e)
	}
	defer e.side.stop()
	// Each step reads one input; rows are counted by each() for Stats.
	var rows int64
	count := func(n int64, err error) error { rows = n; return err }
	steps := []struct {
		name, stat string
		run        func() error
	}{
		{"users", "users", func() error {
			return count(each(in.Users, func(u *User) error { e.team[strings.Clone(u.ID)] = e.vals.keep(u.Team); return nil }))
		}},
		{"campaigns", "campaigns", func() error {
			return count(each(in.Campaigns, func(c *Campaign) error {
				if !c.IsDeleted {
					e.campType[strings.Clone(c.ID)] = e.vals.keep(c.Type)
				}
				return nil
			}))
		}},
		{"opportunities", "opportunities", func() error { return count(e.opportunities(in.Opportunities)) }},
		{"opportunity history", "opportunity_history", func() error {
			if err := count(eachJoined(e.side, in.OpportunityHistory, joinOpp(e, e.historyOpp), e.history)); err != nil {
				return err
			}
			return e.settleOpps()
		}},
		// The contact roles only read the settled opportunities and write
		// contactOpps, which the leads never touch: they are read beside
		// the leads (without the sidecar, which the leads use).
		{"leads", "leads", func() error {
			return e.beside("contact roles", "contact_roles",
				func() (int64, error) { return eachJoined(nil, in.ContactRoles, joinOpp(e, roleOpp), e.contactRole) },
				func() error { return count(e.leads(in.Leads)) })
		}},
		// The tasks need only the MQLs (complete after the leads) and touch
		// no state the members do (groups and MQL first responses, against
		// touches): they are read beside the members, whose step waits on
		// decoding.
		{"campaign members", "campaign_members", func() error {
			e.leadFilter, e.contactFilter = filterOf(e.leadOpp), filterOf(e.contactOpps)
			return e.beside("tasks", "tasks",
				func() (int64, error) { return eachJoined(e.side, in.Tasks, e.taskMQL, e.task) },
				func() error { return count(each(in.CampaignMembers, e.member)) })
		}},
	}
	// The accounts are needed only by the tallies after the last step, so
	// they are read beside all the steps, on their own goroutine (with
	// their own valSet): their map inserts fill the cores the steps leave
	// idle.
	vals := valSet{}
	err = e.beside("accounts", "accounts",
		func() (int64, error) {
			return each(in.Accounts, func(a *Account) error {
				if !a.IsDeleted {
					e.accounts[strings.Clone(a.ID)] = [2]string{vals.keep(a.Segment), vals.keep(a.Region)}
				}
				return nil
			})
		},
		func() error {
			for _, s := range steps {
				rows = 0
				err := s.run()
				e.stats.Rows[s.stat] = rows
				if err != nil {
					return fmt.Errorf("%s: %w", s.name, err)
				}
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("kpi %s as of %s: %w", p.Quarter, p.AsOf.UTC().Format(time.RFC3339), err)
	}
	e.oppTallies()
	e.responseTallies()
	attr, credits, err := e.attribute()
	if err != nil {
		return nil, fmt.Errorf("kpi %s: attribution: %w", p.Quarter, err)
	}
	res := &Result{
		Quarter:       p.Quarter.String(),
		AsOf:          p.AsOf.UTC(),
		Final:         p.Final,
		ConfigVersion: cfg.Name + "@v" + strconv.Itoa(cfg.Version),
		ConfigHash:    cfg.Hash,
		Stats:         e.stats,
		Currency:      cfg.Currency,
		Credits:       credits,
	}
	res.Values = append(e.emit(), attr...)
	sortValues(res.Values)
	return res, nil
}

// opportunities is the opportunity step. Each batch's two costly parts
// run at once: the Id index on this goroutine and the interning of the
// repeated strings on the sidecar (they share no state). The opportunities
// are then built in row order, so the first failing row is reported, as
// row by row; on an error Compute fails, so Ids indexed past it are never
// read.
func (e *engine) opportunities(src Source[Opportunity]) (int64, error) {
	if src == nil {
		return 0, nil
	}
	var n int64
	var names [][4]uint32
	var ids []string
	err := src(func(rows []Opportunity) error {
		n += int64(len(rows))
		names = slices.Grow(names[:0], len(rows))[:len(rows)]
		ids = slices.Grow(ids[:0], len(rows))[:len(rows)]
		dup := -1
		e.side.both(func() {
			for i := range rows {
				if o := &rows[i]; e.keepOpp(o) {
					names[i] = [4]uint32{e.names.id(o.OwnerID), e.names.id(o.AccountID), e.names.id(o.LeadSource), e.names.id(o.CampaignID)}
				}
			}
		}, func() { dup = e.indexOpps(rows, ids) })
		for i := range rows {
			o := &rows[i]
			if !e.keepOpp(o) {
				continue
			}
			if i == dup {
				return fmt.Errorf("opportunity %s: duplicate Id in snapshot", o.ID)
			}
			if err := e.opportunity(o, ids[i], names[i]); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// keepOpp is whether an opportunity row is part of the snapshot.
func (e *engine) keepOpp(o *Opportunity) bool { return !o.IsDeleted && e.w.known(o.CreatedDate) }

// indexOpps gives the kept rows the next table indexes, in row order, and
// sets ids to their Ids (copied: the index keeps them). One map operation
// both indexes a new Id and finds a duplicate (the map does not grow); it
// returns the first duplicate's row, or -1.
func (e *engine) indexOpps(rows []Opportunity, ids []string) int {
	next := e.opps.n
	for i := range rows {
		o := &rows[i]
		if !e.keepOpp(o) {
			continue
		}
		id, before := strings.Clone(o.ID), len(e.oppIdx)
		e.oppIdx[id] = next
		if len(e.oppIdx) == before {
			return i
		}
		ids[i] = id
		next++
	}
	return -1
}

// opportunity adds one kept, indexed row (Id copied, names interned) to
// the table.
func (e *engine) opportunity(o *Opportunity, id string, names [4]uint32) error {
	x := opp{id: id, class: e.cfg.Class(o.Type), owner: names[0], account: names[1],
		source: names[2], campaign: names[3], created: o.CreatedDate, closeDay: o.CloseDate,
		histAt: -1, leadSQL: -1}
	if x.class == "" {
		e.stats.UnclassifiedTypes[strings.Clone(o.Type)]++
	}
	if x.class != "" && o.CurrencyIsoCode != "" && o.CurrencyIsoCode != e.cfg.Currency {
		return fmt.Errorf("opportunity %s: currency %s: only %s is configured and Venn has no exchange rates", o.ID, o.CurrencyIsoCode, e.cfg.Currency)
	}
	x.stageWon, x.stageLost = e.cfg.stage(o.StageName)
	if o.Amount != nil {
		x.amount = *o.Amount
	}
	if o.IsWon != nil && o.IsClosed != nil {
		x.won, x.closed, x.flagsKnown = *o.IsWon, *o.IsClosed, true // the snapshot's flags, until settleOpps
	}
	e.opps.add(x)
	return nil
}

// historyOpp is the opportunity Id a history row applies to, if it counts.
func (e *engine) historyOpp(h *OpportunityHistory) (string, bool) {
	return h.OpportunityID, !h.IsDeleted && e.w.known(h.CreatedDate)
}

// history applies the latest stage-history row known at the as-of instant
// (ties on CreatedDate: the greater history Id wins); i is its
// opportunity (joinOpp), or -1.
func (e *engine) history(h *OpportunityHistory, i int32) error {
	if i < 0 {
		return nil
	}
	o := e.opps.at(i)
	if o.fromHistory && !supersedes(h.CreatedDate, h.ID, o.histAt, o.histID) {
		return nil
	}
	o.histAt, o.histID, o.fromHistory = h.CreatedDate, strings.Clone(h.ID), true
	o.stageWon, o.stageLost = e.cfg.stage(h.StageName)
	o.amount = 0
	if h.Amount != nil {
		o.amount = *h.Amount
	}
	if h.CloseDate != nil {
		o.closeDay = *h.CloseDate
	}
	return nil
}

// settleOpps fixes won/closed: from the configured stage names when the
// state comes from history (history has no flags) or the snapshot's flags
// are null; then marks the opportunities whose touches attribution needs.
func (e *engine) settleOpps() error {
	for i := range e.opps.n {
		o := e.opps.at(i)
		o.won, o.closed = settle(o.stageWon, o.stageLost, o.fromHistory, o.flagsKnown, o.won, o.closed)
		if o.class != "" && e.inFunnel(o) && (e.w.in(o.created) || (o.won && e.w.inDay(o.closeDay))) {
			o.needTouches = true
		}
	}
	return nil
}

func (e *engine) inFunnel(o *opp) bool { return slices.Contains(e.cfg.FunnelClasses, o.class) }

// roleOpp is the opportunity Id a contact role joins, if it counts.
func roleOpp(r *ContactRole) (string, bool) {
	return r.OpportunityID, !r.IsDeleted && r.ContactID != ""
}

// contactRole joins a contact to its opportunity i (joinOpp; -1: none)
// when the opportunity needs touches.
func (e *engine) contactRole(r *ContactRole, i int32) error {
	if i < 0 || !e.opps.at(i).needTouches {
		return nil
	}
	// A pointer value, so adding to a known contact never assigns to the
	// map: that would replace the stored key with the borrowed one.
	if cur := e.contactOpps[r.ContactID]; cur == nil {
		e.contactOpps[strings.Clone(r.ContactID)] = &[]int32{i}
	} else if !slices.Contains(*cur, i) {
		*cur = append(*cur, i)
	}
	return nil
}

// stageAt is the instant a lead reached a funnel stage, or -1: the
// configured date column, else (status fallback) its CreatedDate.
func stageAt(s Stage, l *Lead) int64 {
	var d *int64
	switch s.DateField {
	case "mql_date":
		d = l.MQLDate
	case "sql_date":
		d = l.SQLDate
	}
	if d != nil {
		return *d
	}
	if l.Status != "" && slices.Contains(s.Statuses, l.Status) {
		return l.CreatedDate
	}
	return -1
}

// leads is the lead step. Each batch's two costly parts run at once, as
// in opportunities: the join into the opportunity index on this goroutine
// (leadConversion) and the group tallies and MQLs on the sidecar
// (leadCounters); they share no state. The counters that need both (a
// cohort lead that became an opportunity) are added after the join.
func (e *engine) leads(src Source[Lead]) (int64, error) {
	if src == nil {
		return 0, nil
	}
	var n int64
	var conv []int32    // per row: the converted opportunity's index, or -1
	var cohort []*tally // per row: the tally that counted it as a cohort SQL, or nil
	err := src(func(rows []Lead) error {
		n += int64(len(rows))
		conv = slices.Grow(conv[:0], len(rows))[:len(rows)]
		cohort = slices.Grow(cohort[:0], len(rows))[:len(rows)]
		e.side.both(func() {
			for i := range rows {
				cohort[i] = e.leadCounters(&rows[i])
			}
		}, func() {
			for i := range rows {
				conv[i] = e.leadConversion(&rows[i])
			}
		})
		for i, t := range cohort {
			if t != nil && conv[i] >= 0 {
				t.cohortOpp++
				if e.opps.at(conv[i]).won {
					t.cohortWon++
				}
			}
		}
		return nil
	})
	return n, err
}

// leadStages is a lead's MQL and SQL instants known at the as-of instant
// (-1: not reached), and whether the lead counts at all.
func (e *engine) leadStages(l *Lead) (mql, sql int64, ok bool) {
	w := &e.w
	if l.IsDeleted || !w.known(l.CreatedDate) {
		return -1, -1, false
	}
	mql, sql = stageAt(e.cfg.MQL, l), stageAt(e.cfg.SQL, l)
	if mql >= 0 && !w.known(mql) {
		mql = -1
	}
	if sql >= 0 && !w.known(sql) {
		sql = -1
	}
	return mql, sql, true
}

// leadConversion joins a converted lead to its opportunity (lead facts,
// touches join) and returns the opportunity's index, or -1.
func (e *engine) leadConversion(l *Lead) int32 {
	if l.ConvertedOpportunityID == "" {
		return -1
	}
	_, sql, ok := e.leadStages(l)
	if !ok {
		return -1
	}
	i, ok := e.oppIdx[l.ConvertedOpportunityID]
	if !ok {
		return -1
	}
	o := e.opps.at(i)
	// Several leads converted into one opportunity: the smallest lead Id
	// supplies the lead facts, whatever the row order.
	if !o.hasLead || l.ID < o.leadID {
		o.hasLead, o.leadID, o.leadCreated, o.leadSQL, o.leadSource = true, strings.Clone(l.ID), l.CreatedDate, sql, e.names.id(l.LeadSource)
	}
	if o.needTouches {
		e.leadOpp[strings.Clone(l.ID)] = i
	}
	return i
}

// leadCounters adds a lead to its group's counters and the period's MQLs.
// It returns the group's tally when the lead is a cohort SQL (its
// cohortOpp and cohortWon wait for the conversion join), else nil.
func (e *engine) leadCounters(l *Lead) *tally {
	mql, sql, ok := e.leadStages(l)
	if !ok {
		return nil
	}
	w := &e.w
	var cohortSQL *tally
	t := e.tally(group{owner: l.OwnerID, segment: l.Segment, region: l.Region, channel: l.LeadSource, dims: gLead})
	if w.in(l.CreatedDate) {
		t.leads++
		t.cohort++
		if mql >= 0 {
			t.cohortMQL++
			if sql >= 0 {
				t.cohortSQL++
				cohortSQL = t
			}
		}
	}
	if mql >= 0 && w.in(mql) {
		t.mqls++
		e.mqlLeads[strings.Clone(l.ID)] = &mqlLead{at: mql, first: -1, g: t}
	}
	if sql >= 0 && w.in(sql) {
		t.sqls++
		if mql >= 0 && mql <= sql {
			t.mqlSQLMicros += sql - mql
			t.mqlSQLN++
		}
	}
	return cohortSQL
}

func (e *engine) member(m *CampaignMember) error {
	if e.cfg.RespondedOnly && !m.HasResponded {
		return nil
	}
	at, ok := e.touchAt(m)
	if !ok || !e.w.known(at) {
		return nil
	}
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
// straight to the few hundred dimension keys instead).
func (e *engine) oppTallies() {
	w := &e.w
	renewalAccounts := map[uint32]bool{}
	for i := range e.opps.n {
		if o := e.opps.at(i); o.class == ClassRenewal && w.inDay(o.closeDay) {
			renewalAccounts[o.account] = true
		}
	}
	var keys []dimKey
	for i := range e.opps.n {
		o := e.opps.at(i)
		if o.class == "" {
			continue
		}
		var t tally
		e.oppCounters(o, &t, renewalAccounts)
		if t.oppsCreated+t.won+t.lost+t.renewUp == 0 && t.expansionCents == 0 && t.openPipeline == 0 {
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
		} else {
			t.lost++
		}
	}
	if !o.closed {
		cd := int64(o.closeDay) * dayMicros
		if cd >= w.start && cd < w.qEnd {
			t.openPipeline += o.amount
		}
	}
}

// dimKeys lists the dimension keys a group contributes to.
func (e *engine) dimKeys(g group, out []dimKey) []dimKey {
	out = append(out, dimKey{DimOrg, KeyAll}, dimKey{DimTeam, orNone(e.team[g.owner])}, dimKey{DimOwner, orNone(g.owner)})
	if g.dims&(gLead|gOpp) != 0 {
		out = append(out, dimKey{DimSegment, orNone(g.segment)}, dimKey{DimRegion, orNone(g.region)}, dimKey{DimChannel, orNone(g.channel)})
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
		if tg.Quarter == e.w.q && slices.Contains(e.cfg.Dimensions, dk.dim) && dims[dk] == nil {
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
				out = append(out, e.value(s.Definition, dk, "", s.eval(t)))
			}
		}
		out = append(out, e.targetValues(dk, t)...)
	}
	return out
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
	tg, ok := e.cfg.target(e.w.q, dk.dim, dk.key)
	if !ok {
		return nil
	}
	def := func(name string) Definition { d, _ := Lookup(name); return d }
	bt := tg.Bookings
	pt := tg.Pipeline
	remaining := tg.Bookings.Sub(decimal.New(t.bookings, -2))
	if remaining.IsNegative() {
		remaining = decimal.Zero
	}
	return []Value{
		e.value(def("bookings_target"), dk, "", measure{value: bt, defined: true}),
		e.value(def("bookings_attainment"), dk, "", ratioDec(decimal.New(t.bookings, -2), bt)),
		e.value(def("pipeline_target"), dk, "", measure{value: pt, defined: true}),
		e.value(def("pipeline_attainment"), dk, "", ratioDec(decimal.New(t.pipelineCreated, -2), pt)),
		e.value(def("pipeline_coverage"), dk, "", ratioDec(decimal.New(t.openPipeline, -2), remaining)),
	}
}
