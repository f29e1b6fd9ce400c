package kpi

import (
	"fmt"
)

// Credit rows: which touch of which opportunity earned which cent under
// which model, and why it was admitted. For one opportunity and model the
// rows' cents sum exactly to the opportunity's amount (an opportunity with
// no credited touch has one unattributed row); the influenced KPIs are the
// sums of the rows flagged for them. Opportunities of amount 0 have no
// rows (there is nothing to credit).

// Credit is one touch's credit on one opportunity under one model.
type Credit struct {
	Model       string
	Opportunity string // Opportunity Id
	Touch       string // CampaignMember Id; "" on an unattributed row
	Campaign    string // Campaign Id; KeyUnattributed on an unattributed row
	Channel     string // the campaign's type (KeyNone when blank); KeyUnattributed
	TouchAt     int64  // the touch instant, microseconds UTC (attribution.touch_time); 0 when unattributed
	// Position names the model's positions the touch holds
	// ("first_touch+lead_creation", "middle"), "touch" under even and
	// time_decay, "none" for a touch in the window with no weight, and
	// KeyUnattributed on an unattributed row.
	Position string
	// Weight is the touch's share of the amount before rounding (its
	// weight over the weights' sum), in units of 10⁻¹², rounded half up.
	Weight int64
	Cents  int64 // credited amount
	Amount int64 // the opportunity's as-of amount, cents
	// Window is the rule that admitted the touch (lookback and end).
	Window string
	// Pipeline and Bookings say which influenced KPIs the row feeds
	// (mktg_influenced_pipeline, mktg_influenced_bookings).
	Pipeline, Bookings bool
}

// Option changes what Compute returns.
type Option func(*engine)

// WithCredits makes Compute return the credit rows (Result.Credits) of
// every model whose credit_rows is true. Without it no row is built.
func WithCredits() Option { return func(e *engine) { e.credits = true } }

// windowLabel names the window rule of one model; "close" has two ends
// (closed: end of the close day; open: the as-of instant).
type windowLabel struct{ created, closed, open string }

func (w windowLabel) of(o *opp) string {
	switch {
	case w.created != "":
		return w.created
	case o.closed:
		return w.closed
	}
	return w.open
}

func (e *engine) windowLabels() []windowLabel {
	out := make([]windowLabel, len(e.cfg.Attribution))
	for i, m := range e.cfg.Attribution {
		if m.Window == WindowOppCreation {
			out[i].created = e.cfg.WindowRule(m.Window, false)
			continue
		}
		out[i].closed = e.cfg.WindowRule(m.Window, true)
		out[i].open = e.cfg.WindowRule(m.Window, false)
	}
	return out
}

// WindowRule is a credit row's window_rule: the span of touches a model's
// window admits on an opportunity (closed or open; the same for both
// under opp_creation).
func (c *Config) WindowRule(w Window, closed bool) string {
	from := fmt.Sprintf("from %d days before opportunity creation", c.LookbackDays)
	switch {
	case w == WindowOppCreation:
		return from + " to opportunity creation (inclusive)"
	case closed:
		return from + " to the end of the close day"
	}
	return from + " to the as-of instant (open)"
}

// PositionLabel is a credit row's position under a positional model for
// a touch holding the positions of mask (bits 1 first_touch, 2
// lead_creation, 4 opp_creation, 8 closed_won, 16 middle): the names
// joined by "+", "none" for no position.
func PositionLabel(mask uint8) string { return positionLabels[mask&31] }

// creditRun builds the rows of one opportunity under one model.
type creditRun struct {
	o                  *opp
	model, window      string
	pipeline, bookings bool
}

func (c *creditRun) unattributed() Credit {
	return Credit{Model: c.model, Opportunity: c.o.id, Campaign: KeyUnattributed, Channel: KeyUnattributed,
		Position: KeyUnattributed, Weight: 0, Cents: c.o.amount, Amount: c.o.amount, Window: c.window,
		Pipeline: c.pipeline, Bookings: c.bookings}
}

// row is touch t's credit; w is its weight, sum the weights' sum.
func (c *creditRun) row(e *engine, t *touch, position string, w, sum uint64, cents int64) Credit {
	q, r := mulDiv(w, 1_000_000_000_000, sum)
	if r >= sum-r {
		q++
	}
	camp := e.names.str(t.campaign)
	return Credit{Model: c.model, Opportunity: c.o.id, Touch: t.member, Campaign: camp, Channel: orNone(e.campType[camp]),
		TouchAt: t.at, Position: position, Weight: int64(q), Cents: cents, Amount: c.o.amount, Window: c.window,
		Pipeline: c.pipeline, Bookings: c.bookings}
}

// CreditRow is one Credit as a row of the gold credit table
// (kpi_credit/quarter=YYYYQn/as_of=YYYY-MM-DD/): credit and amount are
// DECIMAL(18,2), weight DECIMAL(18,12).
type CreditRow struct {
	Quarter     string `parquet:"quarter,dict"`
	AsOf        int32  `parquet:"as_of,date"`
	Final       bool   `parquet:"final"`
	Model       string `parquet:"model,dict"`
	Opportunity string `parquet:"opportunity_id"`
	Touch       string `parquet:"touch_id,optional"`
	Campaign    string `parquet:"campaign_id,dict"`
	Channel     string `parquet:"channel,dict"`
	TouchAt     *int64 `parquet:"touch_at,optional,timestamp(microsecond)"`
	Position    string `parquet:"position,dict"`
	Weight      int64  `parquet:"weight,decimal(12:18)"`
	Credit      int64  `parquet:"credit,decimal(2:18)"`
	Amount      int64  `parquet:"amount,decimal(2:18)"`
	Window      string `parquet:"window_rule,dict"`
	Pipeline    bool   `parquet:"in_pipeline"`
	Bookings    bool   `parquet:"in_bookings"`
	Currency    string `parquet:"currency,dict"`
	ConfigHash  string `parquet:"config_hash,dict"`
}

// CreditRows flattens Result.Credits into gold rows, in the same order.
func (r *Result) CreditRows() []CreditRow {
	asOf := asOfDay(r.AsOf)
	out := make([]CreditRow, len(r.Credits))
	for i, c := range r.Credits {
		row := CreditRow{Quarter: r.Quarter, AsOf: asOf, Final: r.Final, Model: c.Model, Opportunity: c.Opportunity,
			Touch: c.Touch, Campaign: c.Campaign, Channel: c.Channel, Position: c.Position, Weight: c.Weight,
			Credit: c.Cents, Amount: c.Amount, Window: c.Window, Pipeline: c.Pipeline, Bookings: c.Bookings,
			Currency: r.Currency, ConfigHash: r.ConfigHash}
		if c.Touch != "" {
			at := c.TouchAt
			row.TouchAt = &at
		}
		out[i] = row
	}
	return out
}
