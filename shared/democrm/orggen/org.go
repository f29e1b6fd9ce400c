// Package orggen generates the demo CRM's org: a deterministic synthetic
// B2B Salesforce org (Generate), its mutations, Recycle Bin and delete log,
// its shape (objects and fields it has) and the wire defects of its
// records. It answers SOQL (Org.Query) and the replication calls, and tells
// a test the org's truth (Each, EachAll, Malformed). The protocol server in
// shared/democrm/server serves it; shared/democrm re-exports both.
//
// The org is lead-driven and lazy: record i of every object is computed on
// demand from (seed, lead, i), and only a few bytes of index per record are
// kept, so a million-lead org fits in a few hundred megabytes and can be
// served page by page. Mutations (Update, Insert, Delete, SimulateNight) are
// kept as an overlay on top of the generated records.
package orggen

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/venn-revops/venn/shared/crm"
)

// Config describes the org to generate. The zero value of each field means
// its default.
type Config struct {
	Seed int64
	// Leads is the number of generated leads (default 4000). Every other
	// object scales with it, except User and Campaign.
	Leads int
	// AsOf is the org's "now" (default DefaultAsOf): nothing happens after it.
	AsOf time.Time
	// HistoryStart is when the first lead arrives (default DefaultHistoryStart).
	HistoryStart time.Time
	// Malformed is the number of deliberately bad records served on the wire
	// besides the valid org (default 3; negative for none).
	Malformed int
	// PlantedSignal draws each unscripted lead's conversion from a known
	// function of what it is at creation (PlantedConversion of its source,
	// segment and region), so a lead-scoring test can compare what a model
	// learns with the best the signal allows. Off by default: the demo org's
	// other figures (and every test that pins them) stay as they are.
	PlantedSignal bool
	// LeadHistoryOff is an org that tracks no Lead field: LeadHistory
	// exists and is empty (Shape.Omit removes the object itself). Leads
	// are the same either way.
	LeadHistoryOff bool
	// Shape makes the org differ from the registry's standard org: objects
	// it lacks, fields named differently or missing, extra fields, custom
	// objects. The zero value is the standard org. Generate panics on a
	// Shape that does not fit the registry.
	Shape Shape
}

func (c Config) withDefaults() Config {
	if c.Leads == 0 {
		c.Leads = 4000
	}
	if c.AsOf.IsZero() {
		c.AsOf = DefaultAsOf
	}
	if c.HistoryStart.IsZero() {
		c.HistoryStart = DefaultHistoryStart
	}
	if c.Malformed == 0 {
		c.Malformed = 3
	}
	if c.Malformed < 0 {
		c.Malformed = 0
	}
	return c
}

// Org is a generated org plus the mutations applied since. It is safe for
// concurrent use.
type Org struct {
	cfg     Config
	gen     generator
	mu      sync.RWMutex
	tables  map[string]*table // the objects this org has, by name
	objects []*crm.Object     // the same in registry order, custom objects last
	clock   time.Time
	bad     []MalformedRecord
}

// generator holds what plan and the renderers need; it is immutable after
// Generate.
type generator struct {
	seed           int64
	planted        bool  // Config.PlantedSignal
	start, asOf    int64 // micros
	quarterStarts  []int64
	campaigns      []campaignPlan
	accounts, opps *table // for Id lookups from a lead plan
	tables         map[string]*table
	dated          []datedRate // DatedConversionRate records (currencies.go)
}

func (g *generator) tab(name string) *table { return g.tables[name] }

// ref points a lead-derived record at its lead and its position in the
// lead's plan (which opportunity, touch, task, stage step or split side).
type ref struct {
	lead int32
	a, b uint8
}

// table is one object's records: n generated ones (rendered on demand) and
// the overlay of mutations.
type table struct {
	// obj is the object as this org has it: the registry's (base) unless
	// the Shape renames or drops fields (a dropped field keeps its
	// position with an empty Name) or appends extra fields; a custom
	// object has no base.
	obj    *crm.Object
	base   *crm.Object
	hidden []int        // positions of fields the org lacks
	extras []ExtraField // extra fields, the last len(extras) of obj.Fields
	stream uint64       // random stream of extra values
	prefix string
	n      int64
	refs   []ref   // lead-derived objects: record i's lead (sorted by lead, a, b)
	stamps []int64 // generated SystemModstamp of record i
	render func(rc *renderCtx, i int64, row *crm.Row)

	over     map[int64]*crm.Row    // current state of mutated and inserted records
	gone     map[int64]bool        // hard-deleted records
	inserted int64                 // inserted records have numbers n..n+inserted-1
	bad      []badRecord           // synthetic malformed wire records
	defects  map[int64]*WireDefect // records served malformed (Corrupt)
	// The delete log getDeleted reads: record number -> deletion time
	// (micros), until the entry is purged. lastPurge is the latest
	// deletion time of a record physically removed (purged from the
	// Recycle Bin or hard-deleted): getDeleted's earliestDateAvailable.
	deletedAt map[int64]int64
	lastPurge int64

	cacheMu sync.Mutex
	byStamp []int32 // record numbers ordered by (SystemModstamp, Id); nil when stale
}

// Generate builds the org described by cfg. The same cfg always yields the
// same org, byte for byte.
func Generate(cfg Config) *Org {
	cfg = cfg.withDefaults()
	o := &Org{cfg: cfg, clock: cfg.AsOf}
	all := map[string]*table{} // every generated table, before the Shape
	g := &o.gen
	g.seed = cfg.Seed
	g.planted = cfg.PlantedSignal
	g.start = cfg.HistoryStart.UnixMicro()
	g.asOf = cfg.AsOf.UnixMicro()
	g.planCampaigns(cfg.HistoryStart, cfg.AsOf)

	for _, obj := range crm.Objects {
		all[obj.Name] = &table{obj: obj, prefix: keyPrefix[obj.Name], over: map[int64]*crm.Row{}, gone: map[int64]bool{}, deletedAt: map[int64]int64{}}
	}
	all["User"].n = int64(len(People))
	all["User"].render = renderUser
	for _, p := range People {
		all["User"].stamps = append(all["User"].stamps, wholeSecond(userStamp(p, g.asOf)))
	}
	ct := all["Campaign"]
	ct.n = int64(len(g.campaigns))
	ct.render = renderCampaign
	for _, c := range g.campaigns {
		ct.stamps = append(ct.stamps, wholeSecond(c.modstamp))
	}
	g.accounts, g.opps, g.tables = all["Account"], all["Opportunity"], all
	pt := all["Product2"]
	pt.n = int64(len(products))
	pt.render = renderProduct
	for i := range products {
		pt.stamps = append(pt.stamps, wholeSecond(g.start-180*usDay+int64(i)*usHour))
	}
	cur := all["CurrencyType"]
	cur.n, cur.render = int64(len(currencyTypes)), renderCurrencyType
	g.dated = g.datedRates()
	dcr := all["DatedConversionRate"]
	dcr.n, dcr.render = int64(len(g.dated)), renderDatedRate
	for i := range max(cur.n, dcr.n) {
		if i < cur.n {
			cur.stamps = append(cur.stamps, g.currencyStamp(i))
		}
		if i < dcr.n {
			dcr.stamps = append(dcr.stamps, g.currencyStamp(i))
		}
	}

	leads := all["Lead"]
	leads.n = int64(cfg.Leads)
	leads.stamps = make([]int64, cfg.Leads)
	leads.render = renderLead
	derived := func(name string, render func(*renderCtx, int64, *crm.Row)) *table {
		t := all[name]
		t.render = render
		return t
	}
	acc := derived("Account", renderAccount)
	con := derived("Contact", renderContact)
	cm := derived("CampaignMember", renderCampaignMember)
	opp := derived("Opportunity", renderOpportunity)
	ocr := derived("OpportunityContactRole", renderContactRole)
	hist := derived("OpportunityHistory", renderHistory)
	split := derived("OpportunitySplit", renderSplit)
	tsk := derived("Task", renderTask)
	con2 := derived("Contract", renderContract)
	oli := derived("OpportunityLineItem", renderLineItem)
	lh := derived("LeadHistory", renderLeadHistory)
	add := func(t *table, r ref, stamp int64) {
		t.refs = append(t.refs, r)
		t.stamps = append(t.stamps, wholeSecond(stamp))
	}
	type autoEmail struct {
		r  ref
		at int64
	}
	var autoEmails []autoEmail
	var p leadPlan
	for i := int64(0); i < leads.n; i++ {
		g.plan(i, &p)
		leads.stamps[i] = wholeSecond(max(p.created, p.modstamp))
		l := int32(i)
		for k := 0; k < p.nTouches; k++ {
			add(cm, ref{lead: l, a: uint8(k)}, p.touches[k].at)
		}
		if p.conv != 0 {
			add(acc, ref{lead: l}, p.accountModstamp)
			add(con, ref{lead: l}, p.contactModstamp)
		}
		for k := 0; k < p.nOpps; k++ {
			op := &p.opps[k]
			add(opp, ref{lead: l, a: uint8(k)}, op.modstamp())
			add(ocr, ref{lead: l, a: uint8(k)}, op.created)
			for s := 0; s < op.nStages; s++ {
				add(hist, ref{lead: l, a: uint8(k), b: uint8(s)}, op.stages[s].at)
			}
			for n := 0; n < p.nLines[k]; n++ {
				add(oli, ref{lead: l, a: uint8(k), b: uint8(n)}, op.created)
			}
			if op.split {
				add(split, ref{lead: l, a: uint8(k), b: 0}, op.created)
				add(split, ref{lead: l, a: uint8(k), b: 1}, op.created)
			}
		}
		for k := 0; k < p.nTasks; k++ {
			add(tsk, ref{lead: l, a: uint8(k)}, p.tasks[k].at)
		}
		if p.autoEmail != 0 {
			autoEmails = append(autoEmails, autoEmail{ref{lead: l, a: autoEmailRef}, p.autoEmail})
		}
		for k := 0; k < p.nContracts; k++ {
			add(con2, ref{lead: l, a: uint8(k)}, p.contracts[k].modstamp)
		}
		for k := 0; k < p.nChanges && !cfg.LeadHistoryOff; k++ {
			add(lh, ref{lead: l, a: uint8(k)}, p.changes[k].at)
		}
	}
	// The routing flow's e-mails after every other task (see autoEmailRef).
	for _, a := range autoEmails {
		add(tsk, a.r, a.at)
	}
	for _, t := range []*table{acc, con, cm, opp, ocr, hist, split, tsk, con2, oli, lh} {
		t.n = int64(len(t.refs))
	}
	o.applyShape(all)
	o.addMalformed()
	return o
}

// Config returns the configuration the org was generated with, defaults
// filled in.
func (o *Org) Config() Config { return o.cfg }

func (o *Org) table(obj *crm.Object) (*table, error) {
	if obj == nil {
		return nil, errors.New("democrm: nil object")
	}
	t, ok := o.tables[obj.Name]
	if !ok {
		return nil, fmt.Errorf("democrm: object %s is not in the demo org", obj.Name)
	}
	return t, nil
}

// object resolves the name of an object this org has, case-insensitively
// as Salesforce does, to the org's view of it.
func (o *Org) object(name string) (*crm.Object, bool) {
	for _, obj := range o.objects {
		if strings.EqualFold(obj.Name, name) {
			return obj, true
		}
	}
	return nil, false
}

// tableNamed resolves an object name like object, to its table.
func (o *Org) tableNamed(name string) (*table, bool) {
	obj, ok := o.object(name)
	if !ok {
		return nil, false
	}
	return o.tables[obj.Name], true
}

// Object returns the object as this org has it, or false if the org lacks
// it. Its Fields are the registry's, in the registry's order, each with the
// name it has in this org (empty for a field the org lacks, whose values
// Each yields as null), then the Shape's extra fields; a custom object has
// Id, SystemModstamp, CreatedDate, IsDeleted and its fields. The rows Each
// yields follow this layout.
func (o *Org) Object(name string) (*crm.Object, bool) { return o.object(name) }

// Objects lists the objects this org has, in registry order, custom
// objects last (see Object).
func (o *Org) Objects() []*crm.Object { return slices.Clone(o.objects) }

// Each calls fn with every valid, live record of obj (mutations applied,
// soft-deleted and malformed records left out) in Id order. Each row is
// freshly allocated, so fn may keep it.
func (o *Org) Each(obj *crm.Object, fn func(*crm.Row) error) error {
	return o.each(obj, false, fn)
}

// EachAll is Each including soft-deleted records (IsDeleted = true), as
// queryAll returns them.
func (o *Org) EachAll(obj *crm.Object, fn func(*crm.Row) error) error {
	return o.each(obj, true, fn)
}

func (o *Org) each(obj *crm.Object, withDeleted bool, fn func(*crm.Row) error) error {
	t, err := o.table(obj)
	if err != nil {
		return err
	}
	rc := &renderCtx{g: &o.gen}
	o.mu.RLock()
	total := t.n + t.inserted
	o.mu.RUnlock()
	for i := int64(0); i < total; i++ {
		row := &crm.Row{}
		o.mu.RLock()
		ok := t.current(rc, i, row)
		o.mu.RUnlock()
		if !ok || (!withDeleted && t.isDeleted(row)) {
			continue
		}
		for _, h := range t.hidden {
			row.Values[h] = crm.Value{Null: true}
		}
		if err := fn(row); err != nil {
			return err
		}
	}
	return nil
}

// Count is the number of records Each yields for obj.
func (o *Org) Count(obj *crm.Object) int {
	t, err := o.table(obj)
	if err != nil {
		return 0
	}
	o.mu.RLock()
	defer o.mu.RUnlock()
	n := t.n + t.inserted - int64(len(t.gone))
	for _, r := range t.over {
		if t.isDeleted(r) {
			n--
		}
	}
	return int(n)
}

// current renders record i as it is now into row; false if it was
// hard-deleted. The caller holds o.mu.
func (t *table) current(rc *renderCtx, i int64, row *crm.Row) bool {
	if t.gone[i] {
		return false
	}
	if r, ok := t.over[i]; ok {
		row.Values = append(row.Values[:0], r.Values...)
		return true
	}
	if i >= t.n {
		return false
	}
	row.Reset(len(t.obj.Fields))
	t.render(rc, i, row)
	if len(t.extras) > 0 {
		t.fillExtras(rc, i, row)
	}
	return true
}

func (t *table) isDeleted(row *crm.Row) bool {
	return t.obj.SoftDelete && row.Values[3].B // IsDeleted is column 3 when present
}

// stamp is record i's current SystemModstamp. The caller holds o.mu.
func (t *table) stamp(i int64) int64 {
	if r, ok := t.over[i]; ok {
		return r.Modstamp()
	}
	return t.stamps[i]
}

// deleted reports whether record i is soft-deleted now. The caller holds o.mu.
func (t *table) deleted(i int64) bool {
	if r, ok := t.over[i]; ok {
		return t.isDeleted(r)
	}
	return false
}

// id is record i's Id.
func (t *table) id(i int64) string {
	if t.obj.Name == "User" && i < int64(len(People)) {
		return People[i].ID
	}
	return makeID(t.prefix, i)
}

// number finds the record number of an Id.
func (t *table) number(id string) (int64, error) {
	if t.obj.Name == "User" {
		for i, p := range People {
			if p.ID == id {
				return int64(i), nil
			}
		}
	}
	n, err := parseID(t.prefix, id)
	if err != nil {
		return 0, err
	}
	if n >= t.n+t.inserted || t.gone[n] {
		return 0, fmt.Errorf("%s %s does not exist", t.obj.Name, id)
	}
	return n, nil
}

// indexOf finds the number of the lead-derived record (lead, a) by binary
// search over refs, which are in lead order. It returns -1 if absent.
func (t *table) indexOf(lead int64, a uint8) int64 {
	k := sort.Search(len(t.refs), func(j int) bool {
		r := t.refs[j]
		return int64(r.lead) > lead || (int64(r.lead) == lead && r.a >= a)
	})
	if k < len(t.refs) && int64(t.refs[k].lead) == lead && t.refs[k].a == a {
		return int64(k)
	}
	return -1
}

// ordered returns the record numbers of t (generated and inserted, not
// hard-deleted) ordered by (SystemModstamp, Id), cached until the next
// mutation. The caller holds o.mu for reading.
func (t *table) ordered() []int32 {
	t.cacheMu.Lock()
	defer t.cacheMu.Unlock()
	if t.byStamp != nil {
		return t.byStamp
	}
	total := t.n + t.inserted
	idx := make([]int32, 0, total)
	stamps := make([]int64, total) // current stamps, so the sort does no map lookups
	packable := true               // every stamp a whole second in [1970, 2106)
	for i := int64(0); i < total; i++ {
		if !t.gone[i] {
			idx = append(idx, int32(i))
			s := t.stamp(i)
			stamps[i] = s
			packable = packable && s >= 0 && s%usSecond == 0 && s/usSecond < 1<<32
		}
	}
	if packable {
		// (second, record number) packed in one uint64 sorts several times
		// faster than a comparator: seconds in the high half, the number in
		// the low half, so equal stamps fall back to Id order.
		keys := make([]uint64, len(idx))
		for k, i := range idx {
			keys[k] = uint64(stamps[i]/usSecond)<<32 | uint64(i)
		}
		slices.Sort(keys)
		for k, key := range keys {
			idx[k] = int32(uint32(key))
		}
	} else {
		slices.SortFunc(idx, func(a, b int32) int {
			if c := cmp.Compare(stamps[a], stamps[b]); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
	}
	t.byStamp = idx
	return idx
}

func (t *table) invalidate() {
	t.cacheMu.Lock()
	t.byStamp = nil
	t.cacheMu.Unlock()
}
