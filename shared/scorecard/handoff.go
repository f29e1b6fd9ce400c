package scorecard

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// The hand-off map: the funnel's stages, and for each hand-off between two
// of them the catalog KPIs that describe it. A name the catalog lacks is
// printed as "not in catalog", never derived here.
var funnelStages = []struct{ name, kpi string }{
	{"Lead", "leads"}, {"MQL", "mqls"}, {"SQL", "sqls"}, {"Opportunity", "opps_created"}, {"Won", "opps_won"},
}

// hopFigure is one line of a hand-off: a label and its KPI; a short label
// marks the figures the by-team and by-source tables show for every key
// (under the hand-off's name, so shorter).
type hopFigure struct{ label, kpi, short string }

// hops[i] describes the hand-off from stage i to stage i+1; its first
// figure is the flow conversion, its third the median time (the line
// drawn between the bars).
var hops = [][]hopFigure{
	{
		{"conversion (flow)", "conv_lead_mql", "conversion"}, {"conversion (cohort)", "conv_lead_mql_cohort", ""},
		{"median days", "velocity_lead_mql_days_median", ""}, {"p90 days", "velocity_lead_mql_days_p90", ""},
		{"left: disqualified", "leads_disqualified", "disqualified"},
	},
	{
		{"conversion (flow)", "conv_mql_sql", "conversion"}, {"conversion (cohort)", "conv_mql_sql_cohort", ""},
		{"median days", "velocity_mql_sql_days_median", ""}, {"p90 days", "velocity_mql_sql_days_p90", ""},
		{"median hours to first response", "lead_response_hours_median", ""},
		{"answered within SLA", "lead_sla_compliance", "within SLA"},
		{"waiting past SLA", "leads_past_sla_unanswered", "past SLA"}, {"waiting for a response", "leads_awaiting_response", ""},
		{"median days past SLA (late or waiting)", "lead_sla_breach_days_median", "median days over"},
		{"days past SLA, all breaches", "lead_sla_breach_days_total", ""},
		{"left: recycled", "leads_recycled", "recycled"},
	},
	{
		{"conversion (flow)", "conv_sql_opp", "conversion"}, {"conversion (cohort)", "conv_sql_opp_cohort", ""},
		{"median days", "velocity_sql_opp_days_median", ""}, {"p90 days", "velocity_sql_opp_days_p90", ""},
	},
	{
		{"conversion (flow)", "conv_opp_won", "conversion"}, {"conversion (cohort)", "conv_opp_won_cohort", ""},
		{"median days", "velocity_opp_won_days_median", ""}, {"p90 days", "velocity_opp_won_days_p90", ""},
		{"left: lost", "opps_lost", "lost"}, {"lost amount", "lost_amount", ""},
	},
}

// hasFunnel reports whether the run has a stage volume for the key: a
// channel key that is only a campaign type (attribution, cost) has none.
func hasFunnel(cur index, dim, key string) bool {
	return slices.ContainsFunc(funnelStages, func(s struct{ name, kpi string }) bool {
		_, ok := cur.get(s.kpi, dim, key, "")
		return ok
	})
}

type stage struct {
	Name string
	Vol  cell
	// Geometry of its bar in the SVG (width by the square root of the
	// volume, so the won bar stays visible next to the leads bar).
	X, Y, W int
}

type hop struct {
	From, To string
	Figures  []hopLine
	// Y places the hand-off's summary line between its two bars.
	Y int
}

// Summary is the line drawn between the bars: the flow conversion and the
// median time, and where the hand-off has an SLA how many wait past it and
// the breaches' median days past the deadline.
func (h hop) Summary() string {
	line := fmt.Sprintf("↓ %s %s · %s %s", h.Figures[0].Label, h.Figures[0].Cell.Text, h.Figures[2].Label, h.Figures[2].Cell.Text)
	var past, days string
	for _, f := range h.Figures {
		switch f.Cell.KPI {
		case "leads_past_sla_unanswered":
			past = f.Cell.Text
		case "lead_sla_breach_days_median":
			days = f.Cell.Text
		}
	}
	if past != "" {
		line += fmt.Sprintf(" · past SLA %s, days over (median) %s", past, days)
	}
	return line
}

type hopLine struct {
	Label string
	Cell  cell
	Href  string
}

type handoff struct {
	Stages []stage
	Hops   []hop
	Height int
}

// Desc is the diagram's text alternative.
func (h handoff) Desc() string {
	parts := make([]string, 0, len(h.Stages))
	for i, s := range h.Stages {
		t := s.Name + " " + s.Vol.Text
		if i < len(h.Hops) {
			t += ", then " + h.Hops[i].Figures[0].Label + " " + h.Hops[i].Figures[0].Cell.Text
		}
		parts = append(parts, t)
	}
	return strings.Join(parts, "; ")
}

const (
	funnelWidth = 560
	barHeight   = 34
	barGap      = 30
)

func (p *Page) handoff(cur index, dim, key string) handoff {
	var h handoff
	var top float64
	for i, s := range funnelStages {
		c := cellOf(cur, s.kpi, dim, key, "")
		c.Scoped = true
		v, _ := cur.get(s.kpi, dim, key, "")
		f, _ := v.Value.Float64() // bar length only
		if i == 0 {
			top = f
		}
		w := 40
		if top > 0 && f > 0 {
			w = max(w, int(math.Round(funnelWidth*math.Sqrt(f/top))))
		}
		h.Stages = append(h.Stages, stage{Name: s.name, Vol: c, X: (funnelWidth-w)/2 + 10, Y: i * (barHeight + barGap), W: w})
	}
	h.Height = len(funnelStages)*(barHeight+barGap) - barGap
	for i, figs := range hops {
		hp := hop{From: funnelStages[i].name, To: funnelStages[i+1].name, Y: h.Stages[i].HopY()}
		for _, f := range figs {
			c := cellOf(cur, f.kpi, dim, key, "")
			c.Scoped = true
			hp.Figures = append(hp.Figures, hopLine{Label: f.label, Cell: c, Href: p.docs() + "#" + KPIAnchor(f.kpi)})
		}
		h.Hops = append(h.Hops, hp)
	}
	return h
}

// TextY and friends place the SVG labels.
func (s stage) TextY() int    { return s.Y + barHeight/2 + 5 }
func (s stage) HopY() int     { return s.Y + barHeight + barGap/2 + 5 }
func (s stage) MidX() int     { return s.X + s.W/2 }
func (s stage) Label() string { return fmt.Sprintf("%s: %s", s.Name, s.Vol.Text) }
