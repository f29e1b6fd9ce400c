package kpi

import (
	"cmp"
	"slices"
	"time"

	"github.com/shopspring/decimal"
)

// KeyAll is the key of the org dimension.
const KeyAll = "all"

// KeyNone stands for an empty dimension value (an opportunity without a
// campaign, a lead without a segment).
const KeyNone = "(none)"

// KeyUnattributed collects, under the campaign and channel dimensions of the
// influenced KPIs, the amounts of opportunities with no eligible touch.
const KeyUnattributed = "unattributed"

// Value is one computed figure.
type Value struct {
	KPI       string          // catalog name, e.g. "bookings"
	Dimension string          // org, team, segment, region, owner, campaign, channel
	Key       string          // dimension value: "all" for org, a user Id for owner, …
	Model     string          // attribution model for influenced KPIs, else ""
	Unit      string          // count, currency, ratio, days, hours
	Value     decimal.Decimal // exact: currency to the cent, ratios to RatioPlaces
	// Numerator and Denominator of ratios and means (zero otherwise). A zero
	// denominator gives Value 0 and Defined false.
	Numerator, Denominator decimal.Decimal
	// Quotient: the value is Numerator ÷ Denominator (ratios, means,
	// medians, attainment). Counts and amounts have neither, and gold
	// writes them as NULL rather than a misleading 0.
	Quotient bool
	Defined  bool
	Currency string // for currency units
}

// Result is the KPI catalog computed for one quarter at one as-of instant.
type Result struct {
	Quarter       string // "2026Q4"
	AsOf          time.Time
	Final         bool
	ConfigVersion string // "<name>@v<version>"
	ConfigHash    string // sha256 of the definitions file
	// Values sorted by catalog order, dimension order, key, model.
	Values []Value
	// Stats describes the input, for the job's logs and metrics.
	Stats Stats
	// Currency is the reporting currency of every currency value.
	Currency string
	// Credits are the attribution credit rows, only with WithCredits
	// (see credits.go).
	Credits []Credit
	// Responses are the period's MQLs and their first human response,
	// only with WithResponses (see step_response.go).
	Responses []Response
	// RetentionSource is where renewal_rate, nrr, grr and the ARR figures
	// were read from: contracts or renewal_opportunities (retention.source;
	// auto resolved). Under renewal_opportunities only renewal_rate and nrr
	// are defined.
	RetentionSource RetentionSource
	// LeadExitSource is where leads_disqualified and leads_recycled were
	// read from: lead_history (the Status changes of the period) or
	// current_status (no Status change known: the period's leads whose
	// current Status is an exit status).
	LeadExitSource LeadExitSource
}

// Stats counts what Compute read. UnclassifiedTypes deserves an alarm: an
// Opportunity Type listed in no class of the configuration (say a new
// picklist value) is excluded from every KPI rather than failing the run.
type Stats struct {
	Rows              map[string]int64 // rows read per input: "leads", "campaign_members", …
	UnclassifiedTypes map[string]int64 // Opportunity Type → opportunities excluded for it
	Touches           int64            // eligible (touch, opportunity) pairs attributed
	// ResponderByOwner counts responses judged by the task's owner because
	// its CreatedById was null (lake files older than that column).
	ResponderByOwner int64
	// UnplacedCampaignCosts counts marketing campaigns with an ActualCost
	// but without the dates cost.spread needs (StartDate; EndDate, not
	// before it, for days): their cost lands in no period.
	UnplacedCampaignCosts int64
	// Counted contracts whose recurring value reads as 0 (null, or per
	// term without a ContractTerm), and those without a start date (in no
	// figure).
	ContractsUnvalued, ContractsUndated int64
}

// Get returns the value of a KPI for a dimension key and model ("" for
// KPIs without a model).
func (r *Result) Get(kpi, dim, key, model string) (Value, bool) {
	for _, v := range r.Values {
		if v.KPI == kpi && v.Dimension == dim && v.Key == key && v.Model == model {
			return v, true
		}
	}
	return Value{}, false
}

// SortValues sorts values in result order: catalog order, dimension,
// key, model. Results computed elsewhere (the catalog's SQL on Athena,
// shared/kpisql) are sorted with it so their gold rows come out alike.
func SortValues(vs []Value) { sortValues(vs) }

func sortValues(vs []Value) {
	dimIndex := func(d string) int { return slices.Index(Dimensions, d) }
	slices.SortFunc(vs, func(a, b Value) int {
		return cmp.Or(
			cmp.Compare(specIndex(a.KPI), specIndex(b.KPI)),
			cmp.Compare(dimIndex(a.Dimension), dimIndex(b.Dimension)),
			cmp.Compare(a.Key, b.Key),
			cmp.Compare(slices.Index(Models, a.Model), slices.Index(Models, b.Model)),
		)
	})
}

// GoldSchema is the version of the gold KPI table's columns, written in
// each file's metadata. 2: value_cents (which held currency units, not
// cents) is now amount; numerator and denominator are NULL for KPIs that
// are no quotient; side added. 3: the asof column and partition key are
// as_of (asof is a DuckDB keyword); the gold credit and response tables
// changed the same way.
const GoldSchema = "3"

// GoldRow is one Value as a row of the gold KPI table
// (kpi/quarter=YYYYQn/as_of=YYYY-MM-DD/). Decimals are int64-backed:
// value, numerator and denominator are DECIMAL(18,6) (units of 10⁻⁶),
// amount is DECIMAL(18,2) (the value in currency units, two places) and
// set only for currency units.
type GoldRow struct {
	Quarter   string `parquet:"quarter,dict"`
	AsOf      int32  `parquet:"as_of,date"`
	Final     bool   `parquet:"final"`
	KPI       string `parquet:"kpi,dict"`
	Side      string `parquet:"side,dict"` // marketing, shared or sales: the scorecard section
	Dimension string `parquet:"dimension,dict"`
	Key       string `parquet:"key"`
	Model     string `parquet:"model,dict"`
	Unit      string `parquet:"unit,dict"`
	Value     int64  `parquet:"value,decimal(6:18)"`
	Amount    *int64 `parquet:"amount,optional,decimal(2:18)"`
	// Numerator and Denominator are NULL unless the value is a quotient.
	Numerator   *int64 `parquet:"numerator,optional,decimal(6:18)"`
	Denominator *int64 `parquet:"denominator,optional,decimal(6:18)"`
	Defined     bool   `parquet:"defined"`
	Currency    string `parquet:"currency,dict"`
	ConfigHash  string `parquet:"config_hash,dict"`
}

var million = decimal.NewFromInt(1_000_000)

// micros6 is d in units of 10⁻⁶; every engine value has at most 6 places.
func micros6(d decimal.Decimal) int64 { return d.Mul(million).Round(0).IntPart() }

// asOfDay is the UTC day of an as-of instant, in days since 1970-01-01.
func asOfDay(t time.Time) int32 { return int32(floorDay(t.UnixMicro())) }

// Rows flattens the result into gold rows, in Values order.
func (r *Result) Rows() []GoldRow {
	asOf := asOfDay(r.AsOf)
	out := make([]GoldRow, len(r.Values))
	for i, v := range r.Values {
		d, _ := Lookup(v.KPI)
		g := GoldRow{
			Quarter: r.Quarter, AsOf: asOf, Final: r.Final,
			KPI: v.KPI, Side: d.Owner, Dimension: v.Dimension, Key: v.Key, Model: v.Model, Unit: v.Unit,
			Value: micros6(v.Value), Defined: v.Defined, Currency: v.Currency, ConfigHash: r.ConfigHash,
		}
		if v.Quotient {
			num, den := micros6(v.Numerator), micros6(v.Denominator)
			g.Numerator, g.Denominator = &num, &den
		}
		if v.Unit == UnitCurrency {
			c := v.Value.Mul(decimal.NewFromInt(100)).Round(0).IntPart()
			g.Amount = &c
		}
		out[i] = g
	}
	return out
}
