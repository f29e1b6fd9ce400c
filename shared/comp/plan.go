package comp

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/money"
)

// ComponentKind names a way a plan pays. Each kind has one entry in
// componentKinds holding its validation, its statement lines and its
// plain-language description: a new mechanic is added there, in one place.
type ComponentKind string

// Component kinds.
const (
	KindAttainmentBonus ComponentKind = "attainment_bonus"
	KindCommission      ComponentKind = "commission"
	KindSPIF            ComponentKind = "spif" // a time-boxed incentive (spif.go)
)

// Metric scopes. individual is the person's own credits and activities;
// team the credits and activities of the people who reported to the person
// on each day (the rollup team commission pays on); org everything.
const (
	ScopeIndividual = "individual"
	ScopeTeam       = "team"
	ScopeOrg        = "org"
)

// Commission modes and boundary rules.
const (
	ModeRetroactive = "retroactive"
	ModeMarginal    = "marginal"
	BoundaryUpper   = "upper" // a value exactly on a bound belongs to the upper tier
	BoundaryLower   = "lower" // … to the lower tier
)

// ClawbackBasis states what a clawback takes back.
type ClawbackBasis string

// Clawback bases. amount_paid is the default.
const (
	// ClawbackAmountPaid takes back exactly what was paid for the deal: under
	// marginal tiers, the marginal commission the deal earned.
	ClawbackAmountPaid ClawbackBasis = "amount_paid"
	// ClawbackOriginalRate takes back the cancelled credited amount at the
	// rate the deal was paid at (the tier rate reached, for marginal tiers
	// the rate of the tier its last part fell in), as Xactly does.
	ClawbackOriginalRate ClawbackBasis = "original_rate"
)

// RoundingUnit is what is rounded to the cent once.
type RoundingUnit string

// Rounding units. line is the default.
const (
	// RoundLine rounds each statement line: a bonus, a commission tier, a cap.
	RoundLine RoundingUnit = "line"
	// RoundDeal pays commission as one line per credited deal (what the deal
	// earned, rounded); bonuses are still one line each.
	RoundDeal RoundingUnit = "deal"
)

// RoundingMode is how an exact value becomes cents.
type RoundingMode string

// Rounding modes. half_up is the default.
const (
	// RoundHalfUp rounds a half cent away from zero: 0.005 → 0.01, −0.005 → −0.01.
	RoundHalfUp RoundingMode = "half_up"
	// RoundHalfEven rounds a half cent to the even cent: 0.005 → 0.00, 0.015 → 0.02.
	RoundHalfEven RoundingMode = "half_even"
)

// Rounding is a plan's rounding convention.
type Rounding struct {
	Unit RoundingUnit `yaml:"unit"`
	Mode RoundingMode `yaml:"mode"`
}

// CreditBasis is which credits a commission component pays on.
type CreditBasis string

// Commission crediting bases and tiering measures.
const (
	CreditOwn      CreditBasis = "own"  // deals credited to the person (owner or split)
	CreditTeam     CreditBasis = "team" // deals credited to the person's direct reports (manager rollup)
	TierAttainment             = "attainment"
	TierAmount                 = "amount"
)

// CreditRole is why a person holds a deal credit.
type CreditRole string

// Credit roles.
const (
	RoleOwner CreditRole = "owner" // the deal's owner (100%, or their own split)
	RoleSplit CreditRole = "split" // a split to someone other than the owner
	RoleTeam  CreditRole = "team"  // a direct report's credit, rolled up to the manager
)

// Pays reports whether a component on basis b pays a credit held as r.
func (b CreditBasis) Pays(r CreditRole) bool {
	if b == CreditTeam {
		return r == RoleTeam
	}
	return r == RoleOwner || r == RoleSplit
}

// AttributionModels are the marketing-influence models the KPI engine
// computes. A metric whose KPI name starts with "mktg_influenced_" must name
// one; other KPIs must not.
var AttributionModels = []string{"first_touch", "last_touch", "even", "u_shaped", "w_shaped", "time_decay"}

// Plan is one version of a compensation plan, decoded from one YAML file.
type Plan struct {
	ID            string `yaml:"id"`
	Version       int    `yaml:"version"`
	Name          string `yaml:"name"`
	EffectiveFrom Day    `yaml:"effective_from"`
	// EffectiveTo is the last day the version applies (inclusive); empty is
	// open-ended.
	EffectiveTo Day    `yaml:"effective_to"`
	Currency    string `yaml:"currency"`
	// TargetVariable is the on-target variable pay for a full quarter.
	TargetVariable Dec `yaml:"target_variable"`
	// ClawbackDays is the commission clawback window in days after the
	// close date; required when the plan has a commission component.
	ClawbackDays *int `yaml:"clawback_days"`
	// ClawbackBasis states what a clawback takes back: amount_paid (the
	// default) or original_rate.
	ClawbackBasis ClawbackBasis `yaml:"clawback_basis"`
	// Rounding is the rounding unit (line, the default, or deal) and mode
	// (half_up, the default, or half_even).
	Rounding   Rounding    `yaml:"rounding"`
	Components []Component `yaml:"components"`
	// The payment stage (payrules.go): a cap on total pay, deal holds and
	// a holdback, and a draw; applied in that order after the components.
	PayCap   *PayCap   `yaml:"pay_cap"`
	Holds    []Hold    `yaml:"holds"`
	Holdback *Holdback `yaml:"holdback"`
	Draw     *Draw     `yaml:"draw"`
	// Conversion says how credits and quotas in another currency are
	// converted into the plan's, and lines into a pay currency other than
	// the plan's (fx.go); without it either is an error.
	Conversion *Conversion `yaml:"conversion"`

	// File is the file name the plan came from; Hash the SHA-256 (hex) of its
	// bytes, recorded in every statement the plan pays.
	File string `yaml:"-"`
	Hash string `yaml:"-"`
}

// Ref is "id@vN", the name statements use for a plan version.
func (p *Plan) Ref() string { return fmt.Sprintf("%s@v%d", p.ID, p.Version) }

// Basis is the plan's clawback basis, amount_paid when not stated.
func (p *Plan) Basis() ClawbackBasis {
	if p.ClawbackBasis == "" {
		return ClawbackAmountPaid
	}
	return p.ClawbackBasis
}

// Round is the plan's rounding convention with the defaults filled in:
// unit line, mode half_up.
func (p *Plan) Round() Rounding {
	r := p.Rounding
	if r.Unit == "" {
		r.Unit = RoundLine
	}
	if r.Mode == "" {
		r.Mode = RoundHalfUp
	}
	return r
}

// Component is one way a plan pays.
type Component struct {
	ID   string        `yaml:"id"`
	Kind ComponentKind `yaml:"kind"`

	// attainment_bonus: target variable × weight × curve(actual ÷ target).
	Weight Dec        `yaml:"weight"`
	Metric *MetricRef `yaml:"metric"`
	Target Dec        `yaml:"target"`
	Curve  *Curve     `yaml:"curve"`

	// Quota records (quotas.yaml) override Target (bonus) or Quota
	// (commission) for a person over dates; see Quota.

	// commission: rate × credited booked amount, tiered.
	Credit CreditBasis `yaml:"credit"` // own | team
	// Stack lets this component pay the same credits as another commission
	// component of the plan (a marginal accelerator over a retroactive
	// base). Without it two components may not pay one credit.
	Stack     bool     `yaml:"stack"`
	DealTypes []string `yaml:"deal_types"` // optional: only deals of these opportunity types
	TierBy    string   `yaml:"tier_by"`    // attainment | amount
	Quota     Dec      `yaml:"quota"`      // full-quarter quota when tier_by is attainment
	Mode      string   `yaml:"mode"`       // retroactive | marginal
	Boundary  string   `yaml:"boundary"`   // upper | lower
	Tiers     []Tier   `yaml:"tiers"`      // contiguous, starting at 0
	CapAmount Dec      `yaml:"cap_amount"` // optional: most the component pays in a full quarter

	// spif: its period, conditions and pay (spif.go).
	SPIF *SPIF `yaml:"spif"`
}

// MetricRef names a KPI value: the KPI, its scope and, for influence KPIs,
// the attribution model.
type MetricRef struct {
	KPI   string `yaml:"kpi"`
	Scope string `yaml:"scope"`
	Model string `yaml:"model"`
	// DealTypes limits a deal measure (bookings) to deals of these
	// opportunity types; empty counts every type.
	DealTypes []string `yaml:"deal_types"`
}

// Curve maps attainment to a payout multiplier. Points run from the
// threshold to the cap; below the threshold pays 0, above the cap counts as
// the cap, and between points the payout is linear.
type Curve struct {
	Threshold Dec          `yaml:"threshold"`
	Cap       Dec          `yaml:"cap"`
	Points    []CurvePoint `yaml:"points"`
}

// CurvePoint is one (attainment, payout multiplier) pair; 1 means 100%.
type CurvePoint struct {
	Attainment Dec `yaml:"attainment"`
	Payout     Dec `yaml:"payout"`
}

// Tier is one commission band [From, To) (or (From, To] with boundary:
// lower), in attainment (1 = 100%) or amount. An unset To is open-ended and
// allowed on the last tier only.
type Tier struct {
	From Dec `yaml:"from"`
	To   Dec `yaml:"to"`
	Rate Dec `yaml:"rate"`
}

// ParsePlan decodes one plan file. file names it in errors. It checks the
// YAML traps and unknown keys; Validate checks the plan's meaning.
func ParsePlan(file string, b []byte) (*Plan, error) {
	var p Plan
	if err := decodeYAML(file, b, &p); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	p.File, p.Hash = file, hex.EncodeToString(sum[:])
	return &p, nil
}

// LoadPlans reads every *.yaml / *.yml file at the root of fsys (for example
// os.DirFS("shared/config/comp/plans")) in name order. It returns all decoding
// errors of all files together as ValidationErrors, beside the plans that
// did decode; call Validate next.
func LoadPlans(fsys fs.FS) ([]*Plan, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("load plans: %w", err)
	}
	var plans []*Plan
	var all ValidationErrors
	for _, e := range entries {
		ext := path.Ext(e.Name())
		if e.IsDir() || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("load plans: %w", err)
		}
		p, err := ParsePlan(e.Name(), b)
		if err != nil {
			asValidation(&all, err)
			continue
		}
		plans = append(plans, p)
	}
	if len(all) > 0 {
		return plans, all
	}
	if len(plans) == 0 {
		return nil, ValidationErrors{{File: ".", Reason: "no plan files (*.yaml) found"}}
	}
	return plans, nil
}

// Validate checks plans before anything is computed and returns every
// problem as ValidationErrors. known reports whether a KPI name exists in the
// KPI catalog (the caller passes the KPI engine's list, so comp does not
// import it).
func Validate(plans []*Plan, known func(name string) bool) error {
	var all ValidationErrors
	for _, p := range plans {
		e := &errs{file: p.File}
		validatePlan(e, p, known)
		all = append(all, byComponentID(p, e.list)...)
	}
	all = append(all, validateVersions(plans)...)
	if len(all) > 0 {
		return all
	}
	return nil
}

func validatePlan(e *errs, p *Plan, known func(string) bool) {
	if p.ID == "" {
		e.add("id", "required")
	}
	if p.Version < 1 {
		e.add("version", "must be 1 or more")
	}
	if p.Name == "" {
		e.add("name", "required")
	}
	if p.EffectiveFrom.IsZero() {
		e.add("effective_from", "required")
	} else if !p.EffectiveTo.IsZero() && p.EffectiveTo.Before(p.EffectiveFrom.Time) {
		e.add("effective_to", "%s is before effective_from %s", p.EffectiveTo, p.EffectiveFrom)
	}
	if !IsCurrency(p.Currency) {
		e.add("currency", "%q is not an ISO 4217 currency code", p.Currency)
	}
	if len(p.Components) == 0 {
		e.add("components", "a plan needs at least one component")
	}
	validateConversion(e, p)
	weights := decimal.Zero
	hasBonus, hasCommission := false, false
	ids := map[string]bool{}
	for i := range p.Components {
		c := &p.Components[i]
		at := fmt.Sprintf("components[%d]", i)
		if c.ID == "" {
			e.add(at+".id", "required")
		} else if ids[c.ID] {
			e.add(at+".id", "%q is used twice in this plan", c.ID)
		}
		ids[c.ID] = true
		spec := componentKinds[c.Kind]
		if spec == nil {
			e.add(at+".kind", "%q is not a component kind (want one of %s)", c.Kind, strings.Join(kindNames(), ", "))
			continue
		}
		spec.validate(e, at, c, known)
		if c.SPIF != nil && c.Kind != KindSPIF {
			e.add(at+".spif", "belongs to spif components, not %s", c.Kind)
		}
		switch c.Kind {
		case KindAttainmentBonus:
			hasBonus = true
			weights = weights.Add(c.Weight.Decimal)
		case KindCommission, KindSPIF: // both are clawed back
			hasCommission = true
		}
	}
	// Only a bonus reads target_variable: a commission-only plan need not
	// carry one, but one that is given must be a positive amount in cents.
	if hasBonus || p.TargetVariable.Set {
		requirePositive(e, "target_variable", p.TargetVariable)
		requireCents(e, "target_variable", p.TargetVariable)
	}
	validateStacking(e, p.Components)
	if hasBonus && !weights.Equal(decimal.NewFromInt(1)) {
		e.add("components", "attainment_bonus weights sum to %s, want 1", weights)
	}
	if hasCommission {
		if p.ClawbackDays == nil {
			e.add("clawback_days", "required when the plan has a commission or spif component (0 means no clawback)")
		} else if *p.ClawbackDays < 0 {
			e.add("clawback_days", "must not be negative")
		}
	}
	switch p.ClawbackBasis {
	case "", ClawbackAmountPaid, ClawbackOriginalRate:
	default:
		e.add("clawback_basis", "%q: want %s (the default) or %s", p.ClawbackBasis, ClawbackAmountPaid, ClawbackOriginalRate)
	}
	switch p.Rounding.Unit {
	case "", RoundLine, RoundDeal:
	default:
		e.add("rounding.unit", "%q: want %s (the default) or %s", p.Rounding.Unit, RoundLine, RoundDeal)
	}
	switch p.Rounding.Mode {
	case "", RoundHalfUp, RoundHalfEven:
	default:
		e.add("rounding.mode", "%q: want %s (the default) or %s", p.Rounding.Mode, RoundHalfUp, RoundHalfEven)
	}
	validatePayRules(e, p)
}

// validateStacking rejects two commission components that would pay the
// same credit (same credit basis, deal types that meet) unless one of them
// says stack: true.
func validateStacking(e *errs, comps []Component) {
	for i := range comps {
		for j := i + 1; j < len(comps); j++ {
			a, b := &comps[i], &comps[j]
			if a.Kind != KindCommission || b.Kind != KindCommission || a.Credit != b.Credit || a.Stack || b.Stack {
				continue
			}
			if typesMeet(a.DealTypes, b.DealTypes) {
				e.add(fmt.Sprintf("components[%d].credit", j), "%s and %s would both pay the same %q credits (deal types %s and %s): give them disjoint deal_types, or say stack: true on the one paid on top",
					a.ID, b.ID, a.Credit, typesOrAll(a.DealTypes), typesOrAll(b.DealTypes))
			}
		}
	}
}

// typesMeet reports whether two deal-type filters (empty = every type)
// admit a common type.
func typesMeet(a, b []string) bool {
	if len(a) == 0 || len(b) == 0 {
		return true
	}
	for _, t := range a {
		if contains(b, t) {
			return true
		}
	}
	return false
}

func typesOrAll(ts []string) string {
	if len(ts) == 0 {
		return "(all)"
	}
	return "[" + strings.Join(ts, ", ") + "]"
}

func validateBonus(e *errs, at string, c *Component, known func(string) bool) {
	if !c.Weight.Set {
		e.add(at+".weight", "required")
	} else if !c.Weight.IsPositive() || c.Weight.GreaterThan(decimal.NewFromInt(1)) {
		e.add(at+".weight", "%s must be above 0 and at most 1", c.Weight)
	}
	if c.Metric == nil {
		e.add(at+".metric", "required")
	} else {
		validateMetric(e, at+".metric", *c.Metric, known)
	}
	requirePositive(e, at+".target", c.Target)
	if c.Curve == nil {
		e.add(at+".curve", "required")
	} else {
		validateCurve(e, at+".curve", c.Curve)
	}
	for _, f := range []struct {
		name string
		set  bool
	}{{"credit", c.Credit != ""}, {"tier_by", c.TierBy != ""}, {"quota", c.Quota.Set}, {"mode", c.Mode != ""}, {"tiers", len(c.Tiers) > 0}, {"cap_amount", c.CapAmount.Set}, {"deal_types", len(c.DealTypes) > 0}, {"stack", c.Stack}} {
		if f.set {
			e.add(at+"."+f.name, "belongs to commission components, not attainment_bonus")
		}
	}
}

func validateMetric(e *errs, at string, m MetricRef, known func(string) bool) {
	if m.KPI == "" {
		e.add(at+".kpi", "required")
	} else if known == nil || !known(m.KPI) {
		e.add(at+".kpi", "%q is not a known KPI", m.KPI)
	}
	switch m.Scope {
	case ScopeIndividual, ScopeTeam, ScopeOrg:
	default:
		e.add(at+".scope", "%q is not a scope (want individual, team or org)", m.Scope)
	}
	if m.KPI != "" && known != nil && known(m.KPI) && measureOf(m.KPI) == measureQuarter && m.Scope != "" && m.Scope != ScopeOrg {
		e.add(at+".scope", "%s is measured for the whole company over the quarter only (Venn cannot itemise it by person and day): use scope org", m.KPI)
	}
	if len(m.DealTypes) > 0 && measureOf(m.KPI) != measureDeals {
		e.add(at+".deal_types", "only deal measures (%s) take deal_types", strings.Join(dealMeasures, ", "))
	}
	checkDealTypes(e, at, m.DealTypes)
	needsModel := strings.HasPrefix(m.KPI, "mktg_influenced_")
	switch {
	case needsModel && m.Model == "":
		e.add(at+".model", "required for %s (one of %s)", m.KPI, strings.Join(AttributionModels, ", "))
	case m.Model != "" && !needsModel:
		e.add(at+".model", "%s takes no attribution model", m.KPI)
	case m.Model != "" && !contains(AttributionModels, m.Model):
		e.add(at+".model", "%q is not an attribution model (want one of %s)", m.Model, strings.Join(AttributionModels, ", "))
	}
}

func validateCurve(e *errs, at string, c *Curve) {
	if !c.Threshold.Set {
		e.add(at+".threshold", "required (use 0 for no threshold)")
	} else if c.Threshold.IsNegative() {
		e.add(at+".threshold", "must not be negative")
	}
	if !c.Cap.Set {
		e.add(at+".cap", "required: the attainment above which nothing more is paid")
	} else if c.Threshold.Set && c.Cap.LessThan(c.Threshold.Decimal) {
		e.add(at+".cap", "cap %s is below threshold %s", c.Cap, c.Threshold)
	}
	// One point is a step (at or above the threshold pays its payout); more
	// points are linear in between. The cap may sit anywhere from the
	// threshold to the last point.
	if len(c.Points) == 0 {
		e.add(at+".points", "need at least one point, at the threshold")
		return
	}
	for i, pt := range c.Points {
		pat := fmt.Sprintf("%s.points[%d]", at, i)
		if !pt.Attainment.Set {
			e.add(pat+".attainment", "required")
		}
		if !pt.Payout.Set {
			e.add(pat+".payout", "required")
		} else if pt.Payout.IsNegative() {
			e.add(pat+".payout", "must not be negative")
		}
		if i > 0 && !pt.Attainment.GreaterThan(c.Points[i-1].Attainment.Decimal) {
			e.add(pat+".attainment", "%s is not above the previous point's %s", pt.Attainment, c.Points[i-1].Attainment)
		}
		if i > 0 && pt.Payout.LessThan(c.Points[i-1].Payout.Decimal) {
			e.add(pat+".payout", "%s is below the previous point's %s: a curve must not pay less for more attainment", pt.Payout, c.Points[i-1].Payout)
		}
	}
	first, last := c.Points[0], c.Points[len(c.Points)-1]
	if c.Threshold.Set && !first.Attainment.Equal(c.Threshold.Decimal) {
		e.add(at+".points[0].attainment", "%s must equal the threshold %s", first.Attainment, c.Threshold)
	}
	if c.Cap.Set && c.Cap.GreaterThan(last.Attainment.Decimal) {
		e.add(at+".cap", "cap %s is above the last point %s: the curve is not defined between them (move the last point to the cap)", c.Cap, last.Attainment)
	}
}

func validateCommission(e *errs, at string, c *Component, _ func(string) bool) {
	switch c.Credit {
	case CreditOwn, CreditTeam:
	default:
		e.add(at+".credit", "%q: want own or team", string(c.Credit))
	}
	switch c.TierBy {
	case TierAttainment:
		requirePositive(e, at+".quota", c.Quota)
	case TierAmount:
		if c.Quota.Set {
			e.add(at+".quota", "only used with tier_by: attainment")
		}
	default:
		e.add(at+".tier_by", "%q: want attainment or amount", c.TierBy)
	}
	switch c.Mode {
	case ModeRetroactive, ModeMarginal:
	default:
		e.add(at+".mode", "%q: state retroactive or marginal", c.Mode)
	}
	switch c.Boundary {
	case BoundaryUpper, BoundaryLower:
	default:
		e.add(at+".boundary", "%q: state upper or lower (which tier a value exactly on a bound belongs to)", c.Boundary)
	}
	if c.CapAmount.Set && !c.CapAmount.IsPositive() {
		e.add(at+".cap_amount", "must be above 0 when set")
	}
	checkDealTypes(e, at, c.DealTypes)
	requireCents(e, at+".cap_amount", c.CapAmount)
	if c.Weight.Set || c.Metric != nil || c.Target.Set || c.Curve != nil {
		e.add(at, "weight, metric, target and curve belong to attainment_bonus components")
	}
	validateTiers(e, at+".tiers", c.Tiers)
}

// validateTiers requires tiers that start at 0 and meet end to start: no
// overlap, no gap, only the last open-ended.
func validateTiers(e *errs, at string, tiers []Tier) {
	if len(tiers) == 0 {
		e.add(at, "at least one tier is required")
		return
	}
	for i, t := range tiers {
		tat := fmt.Sprintf("%s[%d]", at, i)
		if !t.Rate.Set {
			e.add(tat+".rate", "required (no value given)")
		} else if t.Rate.IsNegative() || t.Rate.GreaterThan(decimal.NewFromInt(1)) {
			e.add(tat+".rate", "%s must be between 0 and 1 (a rate, 0.08 = 8%%)", t.Rate)
		}
		if !t.From.Set {
			e.add(tat+".from", "required")
			continue
		}
		if i == 0 && !t.From.IsZero() {
			e.add(tat+".from", "the first tier must start at 0, not %s (gap below it)", t.From)
		}
		if i > 0 {
			prev := tiers[i-1]
			switch {
			case !prev.To.Set:
				e.add(fmt.Sprintf("%s[%d].to", at, i-1), "only the last tier may be open-ended")
			case t.From.LessThan(prev.To.Decimal):
				e.add(tat+".from", "%s overlaps the previous tier, which ends at %s", t.From, prev.To)
			case t.From.GreaterThan(prev.To.Decimal):
				e.add(tat+".from", "gap: the previous tier ends at %s, this one starts at %s", prev.To, t.From)
			}
		}
		if t.To.Set && !t.To.GreaterThan(t.From.Decimal) {
			e.add(tat+".to", "%s is not above from %s", t.To, t.From)
		}
	}
}

// validateVersions rejects two versions of one plan id effective on the same
// day, and a repeated (id, version).
func validateVersions(plans []*Plan) ValidationErrors {
	var out ValidationErrors
	byID, ids := versionsByID(plans)
	for _, id := range ids {
		ps := byID[id]
		for i := range ps {
			for j := i + 1; j < len(ps); j++ {
				a, b := ps[i], ps[j]
				if a.Version == b.Version {
					out = append(out, &FieldError{File: b.File, Path: "version", Reason: fmt.Sprintf("plan %s version %d is also defined in %s", id, a.Version, a.File)})
					continue
				}
				if overlaps(a.EffectiveFrom, a.EffectiveTo, b.EffectiveFrom, b.EffectiveTo) {
					out = append(out, &FieldError{File: b.File, Path: "effective_from", Reason: fmt.Sprintf("plan %s v%d overlaps v%d (%s) in its effective dates", id, b.Version, a.Version, a.File)})
				}
			}
		}
	}
	return out
}

func overlaps(af, at, bf, bt Day) bool {
	aEndsBefore := !at.IsZero() && at.Before(bf.Time)
	bEndsBefore := !bt.IsZero() && bt.Before(af.Time)
	return !aEndsBefore && !bEndsBefore
}

func requirePositive(e *errs, at string, d Dec) {
	switch {
	case !d.Set:
		e.add(at, "required")
	case !d.IsPositive():
		e.add(at, "%s must be above 0", d)
	}
}

// requireCents rejects a money amount with more than two decimals rather
// than rounding it silently.
func requireCents(e *errs, at string, d Dec) {
	if d.Set {
		if _, err := money.Parse(d.String()); err != nil {
			e.add(at, "%v", err)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// versionsByID groups plan versions by plan id, in the order given, and
// lists the ids sorted.
func versionsByID(plans []*Plan) (map[string][]*Plan, []string) {
	byID := map[string][]*Plan{}
	for _, p := range plans {
		byID[p.ID] = append(byID[p.ID], p)
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return byID, ids
}

// checkDealTypes requires deal_types to name the KPI configuration's
// opportunity classes (kpi.Classes), the one classification of deals that
// the KPIs and comp share.
func checkDealTypes(e *errs, at string, types []string) {
	classes := kpi.Classes()
	for i, t := range types {
		if !slices.Contains(classes, t) {
			e.add(fmt.Sprintf("%s.deal_types[%d]", at, i), "%q is not an opportunity class; want one of %s (the KPI configuration maps Opportunity Types to them)", t, strings.Join(classes, ", "))
		}
	}
}
