package kpi

import (
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// The attribution part of the KPI definitions: models, their windows and
// positions, the touch instant and the rounding of leftover cents.
// docs/kpis.md section 3 states what each choice means and which anchor
// it reproduces.

// Attribution model names.
const (
	ModelFirstTouch = "first_touch"
	ModelLastTouch  = "last_touch"
	ModelEven       = "even"
	ModelUShaped    = "u_shaped"
	ModelWShaped    = "w_shaped"
	ModelFullPath   = "full_path"
	ModelTimeDecay  = "time_decay"
)

// Models lists every attribution model the engine knows, in sort order.
var Models = []string{ModelFirstTouch, ModelLastTouch, ModelEven, ModelUShaped, ModelWShaped, ModelFullPath, ModelTimeDecay}

// Touch positions a positional model can weight, named for what they are
// (Marketo Measure's FT, LC, OC and Closed). docs/kpis.md §3 defines each.
const (
	PosFirstTouch   = "first_touch"
	PosLeadCreation = "lead_creation"
	PosOppCreation  = "opp_creation"
	PosClosedWon    = "closed_won"
	PosMiddle       = "middle"
)

var positions = []string{PosFirstTouch, PosLeadCreation, PosOppCreation, PosClosedWon, PosMiddle}

// renamedPositions are position keys of the earlier schema, rejected with
// the key that replaces them (their meaning changed with the windows, so
// mapping them silently would change figures without review).
var renamedPositions = map[string]string{
	"first": "first_touch (same meaning)",
	"last":  "opp_creation (the last touch at or before the opportunity's creation, in a model with window: opp_creation) or closed_won (the last touch up to the end of the close day, window: close)",
}

// Window is the end of the span of touches a model credits; the lookback
// (attribution.lookback_days before the opportunity's creation) is its
// start in every model.
type Window string

const (
	// WindowOppCreation admits touches at or before the opportunity's
	// CreatedDate: pipeline (creation) credit.
	WindowOppCreation Window = "opp_creation"
	// WindowClose admits touches before the end of the close day of a
	// closed opportunity, or before the as-of instant of an open one:
	// revenue credit (full path).
	WindowClose Window = "close"
)

// TouchField is a CampaignMember column that can date a touch.
type TouchField string

const (
	// TouchCreatedDate is the member's CreatedDate (a datetime).
	TouchCreatedDate TouchField = "created_date"
	// TouchFirstResponded is FirstRespondedDate, a date: its midnight UTC.
	TouchFirstResponded TouchField = "first_responded_date"
	// TouchCustomDate is the org's touch-date field (Touch_Date__c →
	// touch_date, a datetime), like Marketo Measure's Buyer Touchpoint Date.
	TouchCustomDate TouchField = "touch_date"
)

var touchTimeFields = []TouchField{TouchCreatedDate, TouchFirstResponded, TouchCustomDate}

// Rounding says where the cents left over after rounding each touch's
// share go; both give out exactly the amount.
type Rounding string

const (
	// RoundLargestRemainder: every touch gets the floor of its exact share;
	// the leftover cents go one each to the largest fractional remainders,
	// ties to the earlier touch (Venn's default).
	RoundLargestRemainder Rounding = "largest_remainder"
	// RoundHalfUpLargestShare: every touch gets its exact share rounded
	// half up; the difference to the amount (positive or negative) goes to
	// the touch with the largest share, ties to the earliest touch.
	RoundHalfUpLargestShare Rounding = "half_up_largest_share"
)

var roundings = []Rounding{RoundLargestRemainder, RoundHalfUpLargestShare}

// LCPick says which of the lead-creation candidates (admitted touches at
// or before the lead's CreatedDate + grace) is the lead_creation position.
type LCPick string

const (
	// LCFirst: the first candidate, issue 12's and Marketo Measure's "touch
	// that created the lead" read literally; when the lead was touched
	// before it existed this is the first touch, so FT = LC (default).
	LCFirst LCPick = "first"
	// LCLast: the last candidate, the conversion after earlier touches
	// (HubSpot's "last interaction before they were converted").
	LCLast LCPick = "last"
)

var lcPicks = []LCPick{LCFirst, LCLast}

// LeadCreation is attribution.lead_creation.
type LeadCreation struct {
	Pick LCPick
	// Grace extends the candidates past the lead's CreatedDate: Salesforce
	// writes the CampaignMember of a form fill a few milliseconds after the
	// lead it created, so with grace 0 that member would not count.
	Grace time.Duration
}

// Model is one configured attribution model.
type Model struct {
	Name         string
	Window       Window
	Weights      map[string]decimal.Decimal // position → weight; empty for even and time_decay
	HalfLifeDays int                        // time_decay only
	// CreditRows: write this model's per-touch credit rows to the gold
	// credit table (attribution.models.<m>.credit_rows, default true).
	CreditRows bool
}

type rawAttribution struct {
	LookbackDays  *int                `yaml:"lookback_days"`
	RespondedOnly *bool               `yaml:"responded_only"`
	TouchTime     []string            `yaml:"touch_time"`
	Rounding      string              `yaml:"rounding"`
	LeadCreation  *rawLeadCreation    `yaml:"lead_creation"`
	Models        map[string]rawModel `yaml:"models"`
}

type rawLeadCreation struct {
	Pick  string `yaml:"pick"`
	Grace string `yaml:"grace"`
}

type rawModel struct {
	Window       string                 `yaml:"window"`
	Weights      map[string]yamlDecimal `yaml:"weights"`
	HalfLifeDays *int                   `yaml:"half_life_days"`
	CreditRows   *bool                  `yaml:"credit_rows"`
}

func (c *Config) fillAttribution(a rawAttribution) error {
	if a.LookbackDays == nil {
		return bad("attribution.lookback_days", "required")
	}
	if *a.LookbackDays < 0 {
		return bad("attribution.lookback_days", "must not be negative, got %d", *a.LookbackDays)
	}
	c.LookbackDays = *a.LookbackDays
	if a.RespondedOnly == nil {
		return bad("attribution.responded_only", "required (true or false)")
	}
	c.RespondedOnly = *a.RespondedOnly
	if len(a.TouchTime) == 0 {
		return bad("attribution.touch_time", "required: the member fields that date a touch, in precedence order (%s)", joinAny(touchTimeFields))
	}
	c.TouchTime = nil
	for _, f := range a.TouchTime {
		tf := TouchField(f)
		if !slices.Contains(touchTimeFields, tf) {
			return bad("attribution.touch_time", "unknown field %q; want %s", f, joinAny(touchTimeFields))
		}
		if slices.Contains(c.TouchTime, tf) {
			return bad("attribution.touch_time", "%s listed twice", f)
		}
		c.TouchTime = append(c.TouchTime, tf)
	}
	c.Rounding = Rounding(a.Rounding)
	if !slices.Contains(roundings, c.Rounding) {
		return bad("attribution.rounding", "want %s, got %q", joinAny(roundings), a.Rounding)
	}
	lc, err := leadCreation(a.LeadCreation)
	if err != nil {
		return err
	}
	c.LeadCreation = lc
	if len(a.Models) == 0 {
		return bad("attribution.models", "required: at least one of %s", strings.Join(Models, ", "))
	}
	for _, name := range sortedKeys(a.Models) {
		if !slices.Contains(Models, name) {
			return bad("attribution.models."+name, "unknown model; want one of %s", strings.Join(Models, ", "))
		}
	}
	c.Attribution = nil
	for _, name := range Models {
		rm, ok := a.Models[name]
		if !ok {
			continue
		}
		m, err := model("attribution.models."+name, name, rm)
		if err != nil {
			return err
		}
		c.Attribution = append(c.Attribution, m)
	}
	return nil
}

func leadCreation(r *rawLeadCreation) (LeadCreation, error) {
	const path = "attribution.lead_creation"
	if r == nil {
		return LeadCreation{}, bad(path, "required: {pick: first|last, grace: <duration>}")
	}
	lc := LeadCreation{Pick: LCPick(r.Pick)}
	if !slices.Contains(lcPicks, lc.Pick) {
		return lc, bad(path+".pick", "want %s, got %q", joinAny(lcPicks), r.Pick)
	}
	if r.Grace == "" {
		return lc, bad(path+".grace", "required: a duration such as 1m or 0s")
	}
	g, err := time.ParseDuration(r.Grace)
	if err != nil {
		return lc, bad(path+".grace", "not a duration (e.g. 1m, 30s, 0s): %q", r.Grace)
	}
	if g < 0 {
		return lc, bad(path+".grace", "must not be negative, got %s", r.Grace)
	}
	if g%time.Microsecond != 0 {
		return lc, bad(path+".grace", "finer than a microsecond (instants are microseconds), got %s", r.Grace)
	}
	lc.Grace = g
	return lc, nil
}

func joinAny[S ~string](l []S) string {
	s := make([]string, len(l))
	for i, v := range l {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

func model(path, name string, r rawModel) (Model, error) {
	m := Model{Name: name, Window: Window(r.Window), CreditRows: r.CreditRows == nil || *r.CreditRows}
	if m.Window != WindowOppCreation && m.Window != WindowClose {
		return m, bad(path+".window", "required: %s (pipeline credit: touches up to the opportunity's creation) or %s (revenue credit: up to the end of the close day), got %q", WindowOppCreation, WindowClose, r.Window)
	}
	switch name {
	case ModelEven:
		if len(r.Weights) > 0 || r.HalfLifeDays != nil {
			return m, bad(path, "even takes no weights and no half_life_days")
		}
		return m, nil
	case ModelTimeDecay:
		if len(r.Weights) > 0 {
			return m, bad(path+".weights", "time_decay is weighted by recency, not by position")
		}
		if r.HalfLifeDays == nil {
			return m, bad(path+".half_life_days", "required")
		}
		if *r.HalfLifeDays <= 0 {
			return m, bad(path+".half_life_days", "must be positive, got %d", *r.HalfLifeDays)
		}
		m.HalfLifeDays = *r.HalfLifeDays
		return m, nil
	}
	if r.HalfLifeDays != nil {
		return m, bad(path+".half_life_days", "only time_decay has a half-life")
	}
	if len(r.Weights) == 0 {
		return m, bad(path+".weights", "required")
	}
	m.Weights = map[string]decimal.Decimal{}
	sum := decimal.Zero
	for _, pos := range sortedKeys(r.Weights) {
		w := r.Weights[pos].d
		if repl, ok := renamedPositions[pos]; ok {
			return m, bad(path+".weights."+pos, "position %q was renamed: use %s", pos, repl)
		}
		if !slices.Contains(positions, pos) {
			return m, bad(path+".weights."+pos, "unknown position; want %s", strings.Join(positions, ", "))
		}
		if w.IsNegative() {
			return m, bad(path+".weights."+pos, "must not be negative, got %s", w)
		}
		if !w.Equal(w.Truncate(weightPlaces)) {
			return m, bad(path+".weights."+pos, "at most %d decimals, got %s", weightPlaces, w)
		}
		if pos == PosClosedWon && m.Window != WindowClose && w.IsPositive() {
			return m, bad(path+".weights."+pos, "closed_won needs window: close (a window ending at opportunity creation holds no closing touch)")
		}
		m.Weights[pos] = w
		sum = sum.Add(w)
	}
	if !sum.Equal(decimal.NewFromInt(1)) {
		return m, bad(path+".weights", "must sum to 1, got %s", sum)
	}
	if pos := positionsOnly(m.Weights); len(pos) == 0 {
		return m, bad(path+".weights", "needs at least one position other than middle")
	}
	return m, nil
}

func positionsOnly(w map[string]decimal.Decimal) []string {
	var out []string
	for _, p := range positions {
		if _, ok := w[p]; ok && p != PosMiddle {
			out = append(out, p)
		}
	}
	return out
}
