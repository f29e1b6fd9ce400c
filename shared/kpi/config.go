package kpi

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"

	"github.com/venn-revops/venn/shared/yamlstrict"

	kpiconfig "github.com/venn-revops/venn/shared/config/kpi"
	"github.com/venn-revops/venn/shared/money"
	"github.com/venn-revops/venn/shared/period"
)

// ConfigSchemaVersion is the only `version:` LoadConfig accepts.
const ConfigSchemaVersion = 1

// Dimension names, in the order results are sorted.
const (
	DimOrg      = "org"
	DimTeam     = "team"
	DimSegment  = "segment"
	DimRegion   = "region"
	DimOwner    = "owner"
	DimCampaign = "campaign"
	DimChannel  = "channel"
	// DimStage keys the time in each stage by stage name (org-wide only:
	// a result has one dimension, and a stage is no key of the others).
	DimStage = "stage"
)

// Dimensions lists every dimension the engine can compute, in sort order.
var Dimensions = []string{DimOrg, DimTeam, DimSegment, DimRegion, DimOwner, DimCampaign, DimChannel, DimStage}

// Opportunity classes.
const (
	ClassNewBusiness = "new_business"
	ClassExpansion   = "expansion"
	ClassRenewal     = "renewal"
)

var classes = []string{ClassNewBusiness, ClassExpansion, ClassRenewal}

// Classes lists the opportunity classes, the values comp plans filter deals
// by (deal_types).
func Classes() []string { return slices.Clone(classes) }

// Lead columns a funnel stage may be dated by.
var stageDateFields = []string{"mql_date", "sql_date"}

// Config is a validated set of KPI definitions. Build it with LoadConfig or
// DefaultConfig; the zero value is not usable.
type Config struct {
	Name     string // file name it was loaded from
	Version  int    // schema version (1)
	Hash     string // sha256 of the file bytes, hex: identifies the exact definitions used
	Currency string

	MQL, SQL Stage
	Cohort   CohortRule // which cohort leads count at a stage they skipped
	// Lead Status values meaning the lead left the funnel
	// (funnel.lead_exits; leads_disqualified, leads_recycled). Empty when
	// not configured: the KPI of an empty list is then not reported (n/a).
	DisqualifiedStatuses, RecycledStatuses []string
	// ExitStatusField is the LeadHistory Field of the Status changes the
	// lead-exit KPIs read (funnel.lead_exits.status_field, default
	// Status): the org field that fills Lead.status.
	ExitStatusField string

	WonStages, LostStages []string
	TypeClass             map[string]string // Opportunity Type → class
	Untyped               string            // class of a blank Type
	FunnelClasses         []string

	MarketingLeadSources   []string
	MarketingCampaignTypes []string // empty: every campaign type

	LookbackDays  int
	RespondedOnly bool
	TouchTime     []TouchField // precedence: the first non-null field dates a touch
	Rounding      Rounding     // where the leftover cents of a split go
	LeadCreation  LeadCreation // which touch is the lead-creation position
	Attribution   []Model      // in Models order

	Response         ResponseRule // lead_response
	MeetingTaskTypes []string

	CostSpread string    // how a campaign's cost lands in periods: CostSpreadDays or CostSpreadStart
	Retention  Retention // renewals and retention (retentionconfig.go)

	Targets    []Target
	Dimensions []string // in Dimensions order
}

// CohortRule says which leads of a cohort count as having reached a stage
// (funnel.cohort; docs/kpis.md §1 "Cohort conversion").
type CohortRule string

const (
	// CohortNonNested: a lead reached a stage when it reached that stage or
	// any later one (MQL, SQL, an opportunity converted from it, won), as
	// the demand waterfall and Marketo Measure infer skipped stages: a
	// sales-sourced SQL that never was an MQL counts at MQL too.
	CohortNonNested CohortRule = "non_nested"
	// CohortNested: a lead counts at a stage only when it reached that
	// stage and every earlier one; a lead that skipped MQL drops out of
	// the SQL and later steps.
	CohortNested CohortRule = "nested"
)

var cohortRules = []string{string(CohortNonNested), string(CohortNested)}

// Stage says how a lead reaches a funnel stage.
type Stage struct {
	DateField string   // lead column holding the stage instant
	Statuses  []string // fallback: Status values meaning the stage was reached
}

// Target is a quarterly target for one dimension key.
type Target struct {
	Quarter   period.Quarter
	Dimension string // org, team or owner
	Key       string
	Bookings  decimal.Decimal
	Pipeline  decimal.Decimal
	// Marketing targets; nil when the target row does not set them (their
	// KPIs are then n/a, never a target of 0).
	MQLs            *decimal.Decimal // a whole count
	SourcedPipeline *decimal.Decimal
	SourcedBookings *decimal.Decimal
}

// The YAML shape. Every field is required unless its validation says
// otherwise; KnownFields rejects anything else.
type rawConfig struct {
	Version      int            `yaml:"version"`
	Currency     string         `yaml:"currency"`
	Funnel       rawFunnel      `yaml:"funnel"`
	Opps         rawOpps        `yaml:"opportunities"`
	Marketing    rawMarketing   `yaml:"marketing"`
	Attribution  rawAttribution `yaml:"attribution"`
	LeadResponse rawResponse    `yaml:"lead_response"`
	Meetings     rawMeetings    `yaml:"meetings"`
	Cost         *rawCost       `yaml:"cost"`
	Retention    rawRetention   `yaml:"retention"`
	Targets      []rawTarget    `yaml:"targets"`
	Dimensions   []string       `yaml:"dimensions"`
}

type rawFunnel struct {
	MQL    rawStage     `yaml:"mql"`
	SQL    rawStage     `yaml:"sql"`
	Cohort string       `yaml:"cohort"`
	Exits  rawLeadExits `yaml:"lead_exits"`
}

// rawLeadExits is funnel.lead_exits, optional: the lead Status values
// of a lead that left the funnel.
type rawLeadExits struct {
	Disqualified []string `yaml:"disqualified"`
	Recycled     []string `yaml:"recycled"`
	StatusField  string   `yaml:"status_field"`
}

type rawStage struct {
	DateField string   `yaml:"date_field"`
	Statuses  []string `yaml:"statuses"`
}

type rawOpps struct {
	WonStages     []string            `yaml:"won_stages"`
	LostStages    []string            `yaml:"lost_stages"`
	Types         map[string][]string `yaml:"types"`
	Untyped       string              `yaml:"untyped"`
	FunnelClasses []string            `yaml:"funnel_classes"`
}

type rawMarketing struct {
	LeadSources   []string `yaml:"lead_sources"`
	CampaignTypes []string `yaml:"campaign_types"`
}

type rawMeetings struct {
	TaskTypes []string `yaml:"task_types"`
}

type rawCost struct {
	Spread string `yaml:"spread"`
}

type rawTarget struct {
	Quarter         string       `yaml:"quarter"`
	Dimension       string       `yaml:"dimension"`
	Key             string       `yaml:"key"`
	Bookings        *yamlDecimal `yaml:"bookings"`
	Pipeline        *yamlDecimal `yaml:"pipeline"`
	MQLs            *yamlDecimal `yaml:"mqls"`
	SourcedPipeline *yamlDecimal `yaml:"sourced_pipeline"`
	SourcedBookings *yamlDecimal `yaml:"sourced_bookings"`
}

// yamlDecimal reads a scalar's text as an exact decimal, so 0.1 is 0.1 and
// never a float64 approximation.
type yamlDecimal struct{ d decimal.Decimal }

func (y *yamlDecimal) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a number", n.Line)
	}
	d, err := decimal.NewFromString(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a decimal number", n.Line, n.Value)
	}
	y.d = d
	return nil
}

// maxDepth bounds nesting; the schema needs 5 levels.
const maxDepth = 12

// LoadConfig parses and validates KPI definitions. name is only used in
// errors ("shared/config/kpi/default.yaml: attribution.models.u_shaped.weights:
// must sum to 1, got 0.9") and in Config.Name. It rejects empty files,
// several documents, unknown keys, keys without a value, aliases, unknown
// KPI dimensions, models and positions, and inconsistent values.
func LoadConfig(name string, data []byte) (*Config, error) {
	fail := func(path, format string, args ...any) error {
		if path == "" {
			return fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...))
		}
		return fmt.Errorf("%s: %s: %s", name, path, fmt.Sprintf(format, args...))
	}
	var raw rawConfig
	if err := yamlstrict.Decode(data, fmt.Sprintf("a KPI definitions document with version: %d", ConfigSchemaVersion), maxDepth, &raw); err != nil {
		return nil, fail(err.Path, "%s", err.Reason)
	}
	sum := sha256.Sum256(data)
	c := &Config{Name: name, Hash: hex.EncodeToString(sum[:])}
	if err := c.fill(&raw); err != nil {
		var pe *pathError
		if errors.As(err, &pe) {
			return nil, fail(pe.path, "%s", pe.reason)
		}
		return nil, fail("", "%v", err)
	}
	return c, nil
}

// DefaultConfig returns the embedded shared/config/kpi/default.yaml. It panics if
// that file is invalid, which its test prevents.
func DefaultConfig() *Config {
	c, err := LoadConfig(kpiconfig.DefaultName, kpiconfig.Default)
	if err != nil {
		panic(err)
	}
	return c
}

type pathError struct{ path, reason string }

func (e *pathError) Error() string { return e.path + ": " + e.reason }

func bad(path, format string, args ...any) error {
	return &pathError{path: path, reason: fmt.Sprintf(format, args...)}
}

func (c *Config) fill(r *rawConfig) error {
	if r.Version != ConfigSchemaVersion {
		return bad("version", "must be %d, got %d", ConfigSchemaVersion, r.Version)
	}
	c.Version = r.Version
	if len(r.Currency) != 3 || strings.ToUpper(r.Currency) != r.Currency {
		return bad("currency", "want an ISO 4217 code such as USD, got %q", r.Currency)
	}
	c.Currency = r.Currency

	var err error
	if c.MQL, err = stage("funnel.mql", r.Funnel.MQL); err != nil {
		return err
	}
	if c.SQL, err = stage("funnel.sql", r.Funnel.SQL); err != nil {
		return err
	}
	if !slices.Contains(cohortRules, r.Funnel.Cohort) {
		return bad("funnel.cohort", "want one of %s, got %q", strings.Join(cohortRules, ", "), r.Funnel.Cohort)
	}
	c.Cohort = CohortRule(r.Funnel.Cohort)
	if err := c.leadExits(r.Funnel.Exits); err != nil {
		return err
	}

	o := r.Opps
	if err := nonEmptyList("opportunities.won_stages", o.WonStages); err != nil {
		return err
	}
	if err := nonEmptyList("opportunities.lost_stages", o.LostStages); err != nil {
		return err
	}
	for _, s := range o.WonStages {
		if slices.Contains(o.LostStages, s) {
			return bad("opportunities.lost_stages", "stage %q is also a won stage", s)
		}
	}
	c.WonStages, c.LostStages = o.WonStages, o.LostStages
	if len(o.Types) == 0 {
		return bad("opportunities.types", "required: map each class (%s) to Opportunity Type values", strings.Join(classes, ", "))
	}
	c.TypeClass = map[string]string{}
	for _, class := range sortedKeys(o.Types) {
		if !slices.Contains(classes, class) {
			return bad("opportunities.types."+class, "unknown class; want one of %s", strings.Join(classes, ", "))
		}
		for _, t := range o.Types[class] {
			if prev, ok := c.TypeClass[t]; ok {
				return bad("opportunities.types."+class, "type %q is already in class %s", t, prev)
			}
			c.TypeClass[t] = class
		}
	}
	if !slices.Contains(classes, o.Untyped) {
		return bad("opportunities.untyped", "want one of %s, got %q", strings.Join(classes, ", "), o.Untyped)
	}
	c.Untyped = o.Untyped
	if err := nonEmptyList("opportunities.funnel_classes", o.FunnelClasses); err != nil {
		return err
	}
	for _, fc := range o.FunnelClasses {
		if !slices.Contains(classes, fc) {
			return bad("opportunities.funnel_classes", "unknown class %q; want %s", fc, strings.Join(classes, ", "))
		}
	}
	c.FunnelClasses = o.FunnelClasses

	if err := nonEmptyList("marketing.lead_sources", r.Marketing.LeadSources); err != nil {
		return err
	}
	c.MarketingLeadSources = r.Marketing.LeadSources
	c.MarketingCampaignTypes = r.Marketing.CampaignTypes

	if err := c.fillAttribution(r.Attribution); err != nil {
		return err
	}

	if err := c.fillResponse(r.LeadResponse); err != nil {
		return err
	}
	if err := nonEmptyList("meetings.task_types", r.Meetings.TaskTypes); err != nil {
		return err
	}
	c.MeetingTaskTypes = r.Meetings.TaskTypes
	if err := c.fillRetention(r.Retention); err != nil {
		return err
	}

	c.CostSpread = CostSpreadDays
	if r.Cost != nil {
		if !slices.Contains(costSpreads, r.Cost.Spread) {
			return bad("cost.spread", "want one of %s, got %q", strings.Join(costSpreads, ", "), r.Cost.Spread)
		}
		c.CostSpread = r.Cost.Spread
	}

	seen := map[string]bool{}
	for i, rt := range r.Targets {
		p := fmt.Sprintf("targets[%d]", i)
		q, err := period.Parse(rt.Quarter)
		if err != nil {
			return bad(p+".quarter", "%v", err)
		}
		if rt.Dimension != DimOrg && rt.Dimension != DimTeam && rt.Dimension != DimOwner {
			return bad(p+".dimension", "want org, team or owner, got %q", rt.Dimension)
		}
		if rt.Key == "" || (rt.Dimension == DimOrg && rt.Key != KeyAll) {
			return bad(p+".key", "required (%q for org), got %q", KeyAll, rt.Key)
		}
		id := q.String() + "/" + rt.Dimension + "/" + rt.Key
		if seen[id] {
			return bad(p, "duplicate target for %s %s %s", q, rt.Dimension, rt.Key)
		}
		seen[id] = true
		t := Target{Quarter: q, Dimension: rt.Dimension, Key: rt.Key}
		if rt.Bookings == nil && rt.Pipeline == nil && rt.MQLs == nil && rt.SourcedPipeline == nil && rt.SourcedBookings == nil {
			return bad(p, "needs at least one of bookings, pipeline, mqls, sourced_pipeline, sourced_bookings")
		}
		if err := t.fillMarketing(p, &rt); err != nil {
			return err
		}
		for _, amt := range []struct {
			name string
			v    *yamlDecimal
			dst  *decimal.Decimal
		}{{"bookings", rt.Bookings, &t.Bookings}, {"pipeline", rt.Pipeline, &t.Pipeline}} {
			if amt.v == nil {
				continue
			}
			if amt.v.d.IsNegative() || !amt.v.d.Equal(money.Round(amt.v.d)) {
				return bad(p+"."+amt.name, "must be a non-negative amount with at most 2 decimals, got %s", amt.v.d)
			}
			*amt.dst = amt.v.d
		}
		c.Targets = append(c.Targets, t)
	}

	if err := nonEmptyList("dimensions", r.Dimensions); err != nil {
		return err
	}
	for _, d := range r.Dimensions {
		if !slices.Contains(Dimensions, d) {
			return bad("dimensions", "unknown dimension %q; want %s", d, strings.Join(Dimensions, ", "))
		}
	}
	if !slices.Contains(r.Dimensions, DimOrg) {
		return bad("dimensions", "must include org")
	}
	for _, d := range Dimensions {
		if slices.Contains(r.Dimensions, d) {
			c.Dimensions = append(c.Dimensions, d)
		}
	}
	return nil
}

func stage(path string, r rawStage) (Stage, error) {
	if !slices.Contains(stageDateFields, r.DateField) {
		return Stage{}, bad(path+".date_field", "want one of %s, got %q", strings.Join(stageDateFields, ", "), r.DateField)
	}
	return Stage{DateField: r.DateField, Statuses: r.Statuses}, nil
}

// leadExits validates funnel.lead_exits: a status means one thing, so
// one in both lists, twice in a list, or also a stage status
// (funnel.mql/sql.statuses) is an error naming the key.
func (c *Config) leadExits(r rawLeadExits) error {
	seen := map[string]string{}
	for _, s := range c.MQL.Statuses {
		seen[s] = "funnel.mql.statuses"
	}
	for _, s := range c.SQL.Statuses {
		if _, ok := seen[s]; !ok {
			seen[s] = "funnel.sql.statuses"
		}
	}
	for _, l := range []struct {
		key string
		ss  []string
	}{{"funnel.lead_exits.disqualified", r.Disqualified}, {"funnel.lead_exits.recycled", r.Recycled}} {
		for i, s := range l.ss {
			p := fmt.Sprintf("%s[%d]", l.key, i)
			if strings.TrimSpace(s) == "" {
				return bad(p, "empty value")
			}
			if k, ok := seen[s]; ok {
				return bad(p, "status %q is also in %s; a status means one thing", s, k)
			}
			seen[s] = l.key
		}
	}
	c.DisqualifiedStatuses, c.RecycledStatuses, c.ExitStatusField = r.Disqualified, r.Recycled, "Status"
	if r.StatusField != "" {
		if strings.TrimSpace(r.StatusField) != r.StatusField {
			return bad("funnel.lead_exits.status_field", "%q has surrounding spaces", r.StatusField)
		}
		c.ExitStatusField = r.StatusField
	}
	return nil
}

func nonEmptyList(path string, l []string) error {
	if len(l) == 0 {
		return bad(path, "required: a non-empty list")
	}
	for i, s := range l {
		if strings.TrimSpace(s) == "" {
			return bad(fmt.Sprintf("%s[%d]", path, i), "empty value")
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// Class returns the class of an Opportunity Type (ClassNewBusiness,
// ClassExpansion, ClassRenewal): the untyped class for a blank Type, "" for a
// Type the configuration does not map. It is the one home of deal classes:
// the KPI engine and comp (through the pipeline) both read it.
func (c *Config) Class(oppType string) string {
	if oppType == "" {
		return c.Untyped
	}
	if cl, ok := c.TypeClass[oppType]; ok {
		return cl
	}
	return ""
}

// target returns the target for a quarter and dimension key.
func (c *Config) target(q period.Quarter, dim, key string) (Target, bool) {
	for _, t := range c.Targets {
		if t.Quarter == q && t.Dimension == dim && t.Key == key {
			return t, true
		}
	}
	return Target{}, false
}

// fillMarketing validates and sets a target row's marketing targets.
func (t *Target) fillMarketing(p string, rt *rawTarget) error {
	if rt.MQLs != nil {
		if rt.MQLs.d.IsNegative() || !rt.MQLs.d.IsInteger() {
			return bad(p+".mqls", "must be a non-negative whole number, got %s", rt.MQLs.d)
		}
		d := rt.MQLs.d
		t.MQLs = &d
	}
	for _, amt := range []struct {
		name string
		v    *yamlDecimal
		dst  **decimal.Decimal
	}{{"sourced_pipeline", rt.SourcedPipeline, &t.SourcedPipeline}, {"sourced_bookings", rt.SourcedBookings, &t.SourcedBookings}} {
		if amt.v == nil {
			continue
		}
		if amt.v.d.IsNegative() || !amt.v.d.Equal(money.Round(amt.v.d)) {
			return bad(p+"."+amt.name, "must be a non-negative amount with at most 2 decimals, got %s", amt.v.d)
		}
		d := amt.v.d
		*amt.dst = &d
	}
	return nil
}
