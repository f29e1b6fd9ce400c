package comp

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
	"github.com/venn-revops/venn/shared/money"
	"github.com/venn-revops/venn/shared/period"
)

// Line kinds on a statement.
const (
	LineAttainmentBonus = string(KindAttainmentBonus)
	LineCommission      = string(KindCommission)
	LineCommissionCap   = "commission_cap"          // brings a capped commission down to its cap
	LineClawback        = "clawback"                // a paid deal cancelled within the window
	LineAdjustment      = "adjustment"              // a manual adjustment (reason, author)
	LinePriorPeriod     = "prior_period_adjustment" // a correction to a final statement of an earlier quarter
)

// Money is an amount rounded to the cent, written in JSON as a string with
// exactly two decimals ("-1234.50") so reruns are byte-identical.
type Money struct{ decimal.Decimal }

// MarshalJSON implements json.Marshaler.
func (m Money) MarshalJSON() ([]byte, error) {
	return []byte(`"` + money.Round(m.Decimal).StringFixed(money.Scale) + `"`), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (m *Money) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("money: want a string, got %s", b)
	}
	d, err := money.Parse(s)
	if err != nil {
		return fmt.Errorf("money: %w", err)
	}
	m.Decimal = d
	return nil
}

func cents(d decimal.Decimal) Money { return Money{money.Round(d)} }

// Line is one explained amount. Fields that do not apply to its kind are
// omitted. Ratios are decimal strings (1 = 100%); Amount is rounded once,
// half away from zero, from Exact.
type Line struct {
	// Key identifies the line across recomputations, for diffs.
	Key       string `json:"key"`
	Kind      string `json:"kind"`
	Component string `json:"component,omitempty"`
	Plan      string `json:"plan,omitempty"` // id@vN
	SpanFrom  string `json:"span_from,omitempty"`
	SpanTo    string `json:"span_to,omitempty"`
	Metric    string `json:"metric,omitempty"`
	Scope     string `json:"scope,omitempty"`
	ScopeKey  string `json:"scope_key,omitempty"`
	Model     string `json:"model,omitempty"`

	Actual         *decimal.Decimal `json:"actual,omitempty"`
	Target         *decimal.Decimal `json:"target,omitempty"`
	Attainment     *decimal.Decimal `json:"attainment,omitempty"`
	Segment        string           `json:"segment,omitempty"` // curve segment or tier
	Payout         *decimal.Decimal `json:"payout,omitempty"`  // curve multiplier
	Weight         *decimal.Decimal `json:"weight,omitempty"`
	TargetVariable *decimal.Decimal `json:"target_variable,omitempty"`
	Basis          *decimal.Decimal `json:"basis,omitempty"` // amount a rate applies to
	Rate           *decimal.Decimal `json:"rate,omitempty"`
	Proration      *decimal.Decimal `json:"proration,omitempty"`

	Exact  decimal.Decimal `json:"exact"`
	Amount Money           `json:"amount"`

	// Items are the facts behind a bonus actual (deals, meetings, SQLs, or
	// the quarter's KPI value) in the window; their values add up to Actual.
	Items []LineItem `json:"items,omitempty"`

	// Display is every number of the line formatted for people (format.go),
	// derived from the fields above when the statement is encoded; readers
	// that compute use the decimal fields, never these.
	Display *LineDisplay `json:"display,omitempty"`

	// Earnings is the payroll earnings kind of a payment-stage line (the
	// kind it caps, holds or releases; draw); other lines have their kind's.
	Earnings EarningsKind `json:"earnings,omitempty"`

	// FX is how a component line computed in the plan's currency was
	// converted into the pay currency (fx.go): Amount is the line's amount
	// in the plan's currency; the money fields above (basis, target
	// variable) stay in it.
	FX *FX `json:"fx,omitempty"`

	Ref     string `json:"ref,omitempty"` // deal, adjustment or correction id
	Reason  string `json:"reason,omitempty"`
	Author  string `json:"author,omitempty"`
	Explain string `json:"explain"`
}

// LineDisplay holds a line's numbers as a statement shows them: money with
// the currency code, percentages to 2 decimals, rates up to 4, KPI values
// and targets up to 2, proration as days.
type LineDisplay struct {
	Amount         string `json:"amount"`
	Actual         string `json:"actual,omitempty"`
	Target         string `json:"target,omitempty"`
	Attainment     string `json:"attainment,omitempty"`
	Payout         string `json:"payout,omitempty"`
	Weight         string `json:"weight,omitempty"`
	TargetVariable string `json:"target_variable,omitempty"`
	Basis          string `json:"basis,omitempty"`
	Rate           string `json:"rate,omitempty"`
	Proration      string `json:"proration,omitempty"`
}

// display formats line l of a statement in currency cur; quarterDays is
// the quarter's length, for the proration.
func (l Line) display(cur string, quarterDays int) *LineDisplay {
	d := &LineDisplay{Amount: fmtMoney(l.Amount.Decimal, cur)}
	opt := func(v *decimal.Decimal, f func(decimal.Decimal) string) string {
		if v == nil {
			return ""
		}
		return f(*v)
	}
	money := func(v decimal.Decimal) string { return fmtMoney(v, cur) }
	if l.FX != nil {
		money = func(v decimal.Decimal) string { return fmtMoney(v, l.FX.Currency) }
	}
	d.Actual, d.Target = opt(l.Actual, fmtQuantityDec), opt(l.Target, fmtQuantityDec)
	d.Attainment, d.Payout, d.Weight = opt(l.Attainment, fmtPercentDec), opt(l.Payout, fmtPercentDec), opt(l.Weight, fmtPercentDec)
	d.TargetVariable, d.Basis, d.Rate = opt(l.TargetVariable, money), opt(l.Basis, money), opt(l.Rate, fmtRate)
	if l.Proration != nil {
		from, errF := time.Parse(time.DateOnly, l.SpanFrom)
		to, errT := time.Parse(time.DateOnly, l.SpanTo)
		if errF == nil && errT == nil && quarterDays > 0 {
			d.Proration = fmt.Sprintf("%d/%d", int(to.Sub(from).Hours()/24)+1, quarterDays)
		} else {
			d.Proration = fmtPercentDec(*l.Proration)
		}
	}
	return d
}

// MarshalJSON implements json.Marshaler: the statement as it is, with each
// line's Display filled in from its numbers (so stored and re-encoded
// statements always carry the same display strings).
func (s Statement) MarshalJSON() ([]byte, error) {
	type plain Statement // no methods: no recursion
	qdays := 0
	if q, err := period.Parse(s.Quarter); err == nil {
		qdays = q.Days()
	}
	lines := make([]Line, len(s.Lines))
	for i, l := range s.Lines {
		l.Display = l.display(s.Currency, qdays)
		lines[i] = l
	}
	s.Lines = lines
	return json.Marshal(plain(s))
}

// PlanUse is one plan span on a statement.
type PlanUse struct {
	Plan        string          `json:"plan"` // id@vN
	Name        string          `json:"name"`
	File        string          `json:"file"`
	FileSHA256  string          `json:"file_sha256"`
	From        string          `json:"from"`
	To          string          `json:"to"`
	Days        int             `json:"days"`
	QuarterDays int             `json:"quarter_days"`
	Proration   decimal.Decimal `json:"proration"`
	// Acknowledgement is whether the person acknowledged this plan file
	// (acknowledge.go), as the run that wrote the statement found it; nil
	// when not looked up. Not an input: the pay does not depend on it.
	Acknowledgement *PlanAck `json:"acknowledgement,omitempty"`
}

// DealCredit is a person's credit for one deal and what was paid for it.
type DealCredit struct {
	DealID    string          `json:"deal_id"`
	DealName  string          `json:"deal_name"`
	CloseDate string          `json:"close_date"`
	Type      string          `json:"type,omitempty"`      // opportunity type
	Role      CreditRole      `json:"role"`                // owner, split or team
	Via       string          `json:"via,omitempty"`       // for team credit: the rep credited
	Percent   decimal.Decimal `json:"percent"`             // share of the deal, 0–100
	Credited  Money           `json:"credited"`            // amount credited
	Plan      string          `json:"plan,omitempty"`      // plan that paid it
	Component string          `json:"component,omitempty"` // commission component that paid it
	Paid      Money           `json:"paid"`                // commission attributed to the deal
	Clawback  int             `json:"clawback_days"`       // window in force when paid
	Unpaid    string          `json:"unpaid_reason,omitempty"`
	// Payments are what each commission component paid for the credit
	// (two when a component stacks on another); Paid is their sum.
	Payments []Payment `json:"payments,omitempty"`
	// FX is how a credit in another currency was converted into the
	// statement's (fx.go): the original amount and currency, the rates and
	// their date. Credited is then the exact converted value to the cent.
	FX *FX `json:"fx,omitempty"`
	// currency is an org-scope credit's deal currency (r.orgDeals only).
	currency string
}

// Statement is one person's pay for one quarter.
type Statement struct {
	ID         string `json:"id"` // "<quarter>/<person id>"
	Quarter    string `json:"quarter"`
	PersonID   string `json:"person_id"`
	EmployeeID string `json:"employee_id"`
	Name       string `json:"name"`
	Team       string `json:"team"`
	CostCenter string `json:"cost_center"`
	Currency   string `json:"currency"`
	// PlanCurrency is the plans' currency when it is not the pay currency:
	// credits, quotas and component lines are computed in it, and each
	// component line is converted into Currency (Line.FX).
	PlanCurrency string       `json:"plan_currency,omitempty"`
	Plans        []PlanUse    `json:"plans"`
	Lines        []Line       `json:"lines"`
	Credits      []DealCredit `json:"credits"`
	Total        Money        `json:"total"`
	Inputs       Inputs       `json:"inputs"`
	InputHash    string       `json:"input_hash"` // Inputs.Hash()
	CodeVersion  string       `json:"code_version"`
	// ConfigVersion is the business configuration's version the run used
	// (shared/configstore); like CodeVersion, beside the inputs, not hashed:
	// the inputs already hold what the configuration decided for this
	// person (plan files' SHA-256, quotas, adjustments).
	ConfigVersion string `json:"config_version,omitempty"`
	// Pay is the payment stage (cap, holds, releases, draw; paystage.go),
	// when the plan states one or something is carried.
	Pay *PayStage `json:"pay,omitempty"`
}

// creditCurrency is what the statement's credits, targets and bases are
// in: the plans' currency.
func (s *Statement) creditCurrency() string {
	if s.PlanCurrency != "" {
		return s.PlanCurrency
	}
	return s.Currency
}

// Inputs is everything a statement was computed from, kept on the statement
// so anyone can check its hash: the plan versions with their files' SHA-256,
// the KPI values used, the deal credits, the manual adjustments and the
// lines carried from earlier quarters (clawbacks, corrections). The code
// version is recorded beside it on the statement, not hashed, so a rebuild
// alone does not change the inputs.
type Inputs struct {
	Quarter     string            `json:"quarter"`
	PersonID    string            `json:"person_id"`
	Plans       []InputPlan       `json:"plans"`
	Metrics     []InputMetric     `json:"metrics"`
	Credits     []InputCredit     `json:"credits"`
	Adjustments []InputAdjustment `json:"adjustments"`
	Carried     []InputCarried    `json:"carried"`
	// Quotas are the person's quota records in force in the quarter.
	Quotas []InputQuota `json:"quotas,omitempty"`
	// SPIF are the units and counts SPIF lines were computed from (spif.go).
	SPIF []InputSPIF `json:"spif,omitempty"`
	// PayFX are the rates that converted lines from the plans' currency
	// into the pay currency, one per plan version (Amount 1; fx.go).
	PayFX []FX `json:"pay_fx,omitempty"`
}

// InputPlan is a plan version and the SHA-256 of its file's bytes.
type InputPlan struct {
	Plan       string `json:"plan"`
	FileSHA256 string `json:"file_sha256"`
	From       string `json:"from"`
	To         string `json:"to"`
}

// InputMetric is one KPI value used.
type InputMetric struct {
	KPI   string          `json:"kpi"`
	Scope string          `json:"scope"`
	Key   string          `json:"key"`
	Model string          `json:"model"`
	From  string          `json:"from"` // the days measured
	To    string          `json:"to"`
	Value decimal.Decimal `json:"value"`
}

// InputCredit is one deal credit.
type InputCredit struct {
	DealID    string          `json:"deal_id"`
	CloseDate string          `json:"close_date"`
	Type      string          `json:"type"`
	Role      CreditRole      `json:"role"`
	Via       string          `json:"via"`
	Percent   decimal.Decimal `json:"percent"`
	Credited  Money           `json:"credited"`
	FX        *FX             `json:"fx,omitempty"` // a converted credit: original amount, rates, date
}

// InputAdjustment is one manual adjustment.
type InputAdjustment struct {
	ID       string `json:"id"`
	Amount   Money  `json:"amount"`
	Currency string `json:"currency"`
	Reason   string `json:"reason"`
	Author   string `json:"author"`
}

// InputQuota is one quota record applied.
type InputQuota struct {
	Component string          `json:"component"`
	Amount    decimal.Decimal `json:"amount"`
	Currency  string          `json:"currency,omitempty"` // when not the plan's currency
	From      string          `json:"from"`
	To        string          `json:"to"`
}

// InputCarried is a line carried from an earlier quarter.
type InputCarried struct {
	Key    string `json:"key"`
	Kind   string `json:"kind"`
	Ref    string `json:"ref"`
	Amount Money  `json:"amount"`
}

// Hash is the hex SHA-256 of the inputs' compact canonical JSON: keys
// sorted, no spaces, decimals as strings, HTML characters not escaped (in
// Python: json.dumps(inputs, sort_keys=True, separators=(",", ":"),
// ensure_ascii=False)).
func (in Inputs) Hash() (string, error) {
	b, err := canonicalJSON(in)
	if err != nil {
		return "", fmt.Errorf("hash inputs: %w", err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, b); err != nil {
		return "", fmt.Errorf("hash inputs: %w", err)
	}
	sum := sha256.Sum256(compact.Bytes())
	return hex.EncodeToString(sum[:]), nil
}

// JSON is the statement's canonical encoding: object keys sorted at every
// level, lines in computation order (spans, components, clawbacks,
// adjustments, corrections), decimals as strings, amounts with two decimals,
// indented and newline-terminated. A rerun with the same inputs gives the
// same bytes, and anyone can re-derive them with a canonical JSON encoder.
func (s *Statement) JSON() ([]byte, error) {
	return canonicalJSON(s)
}

// canonicalJSON encodes v with sorted keys: encoding/json writes struct
// fields in declaration order but map keys sorted, so v goes through a
// generic map (numbers kept as their text) and out again.
func canonicalJSON(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(generic); err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return buf.Bytes(), nil
}

// ParseStatement decodes a statement written by JSON.
func ParseStatement(b []byte) (*Statement, error) {
	var s Statement
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("decode statement: %w", err)
	}
	return &s, nil
}

// Subtotals sums the statement's lines by earnings kind (commission_cap
// counts as commission; a pay cap, hold or release as the kind it caps,
// holds or releases; prior_period_adjustment and draws as adjustment; a
// SPIF as bonus, as payroll books it unless payroll.yaml gives SPIFs a code
// of their own: SPIFTotal has them apart).
func (s *Statement) Subtotals() (bonus, commission, clawback, adjustment decimal.Decimal) {
	for _, l := range s.Lines {
		k, _ := lineEarnings(l)
		switch k {
		case EarnBonus, EarnSPIF:
			bonus = bonus.Add(l.Amount.Decimal)
		case EarnCommission:
			commission = commission.Add(l.Amount.Decimal)
		case EarnClawback:
			clawback = clawback.Add(l.Amount.Decimal)
		default:
			adjustment = adjustment.Add(l.Amount.Decimal)
		}
	}
	return
}

// SPIFTotal sums the statement's SPIF lines.
func (s *Statement) SPIFTotal() decimal.Decimal {
	sum := decimal.Zero
	for _, l := range s.Lines {
		if l.Kind == LineSPIF {
			sum = sum.Add(l.Amount.Decimal)
		}
	}
	return sum
}

func ptr(d decimal.Decimal) *decimal.Decimal { return &d }
