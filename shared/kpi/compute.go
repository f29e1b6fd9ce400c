package kpi

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

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

	stageDays bool       // the stage dimension is configured
	stageRows []stageRow // history rows for the time in each stage

	bots      map[string]bool // users lead_response excludes as responders
	responses bool            // build response rows (WithResponses)
	respVals  valSet          // lead owners of the response rows (leads sidecar)
	cost      costState       // campaign spend and lead-creation touches (cost.go)
	ret       retention       // the contracts step (step_contracts.go)
	// oppContract: opportunity index → Opportunity.ContractId, kept only
	// for linked opportunities and only when retention reads the links
	// (Retention.linksOpps); nil otherwise.
	oppContract map[int32]string
	source      RetentionSource // where this run reads renewals and retention

	// The lead exits (step_leadexits.go): where they are read from, and
	// the leads that exited in the period by the history.
	exitSource LeadExitSource
	leadExits  map[string]*exitKinds
	fx         *oppFX // opportunity amounts into the reporting currency (fx.go)
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
// once (see Inputs) and fails on the first input error, on bad exchange
// rates or an opportunity in another currency without a rate on its close
// date (fx.go), or on an invalid period.
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
		mqlLeads: map[string]*mqlLead{}, groups: map[group]*tally{}, vals: valSet{}, exitSource: ExitsFromCurrentStatus,
		stats: Stats{Rows: map[string]int64{}, UnclassifiedTypes: map[string]int64{}},
		side:  newSidecar(), stageDays: slices.Contains(cfg.Dimensions, DimStage),
		bots: map[string]bool{}, respVals: valSet{},
		cost: costState{idx: map[string]int32{}},
	}
	for _, opt := range opts {
		opt(e)
	}
	if e.fx, err = newOppFX(in.Rates, cfg.Currency); err != nil {
		return nil, fmt.Errorf("kpi %s: %w", p.Quarter, err)
	}
	if in.Contracts != nil && cfg.Retention.Source != SourceRenewalOpportunities && cfg.Retention.linksOpps() {
		e.oppContract = map[int32]string{}
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
			return count(each(in.Users, func(u *User) error {
				e.team[strings.Clone(u.ID)] = e.vals.keep(u.Team)
				e.responseUser(u)
				return nil
			}))
		}},
		{"campaigns", "campaigns", func() error {
			return count(each(in.Campaigns, func(c *Campaign) error {
				if !c.IsDeleted {
					e.campType[strings.Clone(c.ID)] = e.vals.keep(c.Type)
				}
				e.campaignCost(c)
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
		{"lead history", "lead_history", func() error { return count(e.leadHistory(in.LeadHistory)) }},
		// The contact roles only read the settled opportunities and write
		// contactOpps, which the leads never touch: they are read beside
		// the leads (without the sidecar, which the leads use).
		{"leads", "leads", func() error {
			e.markCostDeals()
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
			if len(e.cost.idx) > 0 {
				e.cost.filter = filterOf(e.cost.idx)
			}
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
	contractsRead := e.startContracts(in.Contracts)
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
	if err = errors.Join(err, contractsRead()); err != nil {
		return nil, fmt.Errorf("kpi %s as of %s: %w", p.Quarter, p.AsOf.UTC().Format(time.RFC3339), err)
	}
	e.oppTallies()
	responses := e.responseTallies()
	if err := e.retentionTallies(in); err != nil {
		return nil, fmt.Errorf("kpi %s: %w", p.Quarter, err)
	}
	attr, credits, err := e.attribute()
	if err != nil {
		return nil, fmt.Errorf("kpi %s: attribution: %w", p.Quarter, err)
	}
	res := &Result{
		Quarter:         p.Quarter.String(),
		AsOf:            p.AsOf.UTC(),
		Final:           p.Final,
		ConfigVersion:   cfg.Name + "@v" + strconv.Itoa(cfg.Version),
		ConfigHash:      cfg.Hash,
		Stats:           e.stats,
		Currency:        cfg.Currency,
		Credits:         credits,
		Responses:       responses,
		RetentionSource: e.source,
		LeadExitSource:  e.exitSource,
	}
	res.Values = append(append(e.emit(), attr...), e.costValues(attr)...)
	sortValues(res.Values)
	return res, nil
}

// straight to the few hundred dimension keys instead).
