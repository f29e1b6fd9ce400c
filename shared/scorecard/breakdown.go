package scorecard

import (
	"math"
	"slices"

	"github.com/venn-revops/venn/shared/kpi"
)

// The hand-off side by side: one table per dimension (team, lead source),
// a row per key, the funnel's stages and the hops' figures that have a
// short label as columns in funnel order. Every figure is the key's gold row; the lead
// source is the channel dimension of the funnel KPIs (Lead.LeadSource for
// lead KPIs, Opportunity.LeadSource for opportunity KPIs, docs/kpis.md
// "Dimensions"), so a channel key that is only a campaign type has no row.

// breakdownDims are the dimensions compared side by side, with the name
// the page gives each.
var breakdownDims = []struct{ dim, label string }{
	{kpi.DimTeam, "team"},
	{kpi.DimChannel, "lead source"},
}

// breakCol is a column group: a stage's volume (one column) or a hop's
// figures with a short label.
type breakCol struct {
	Title string // the stage, or "Lead → MQL"
	Stage bool
	Lines []hopLine // the columns: label and KPI link (Cell unused)
}

type breakRow struct {
	Key, View string
	Cells     []cell
	Shape     []shapeBar
}

// shapeBar is one stage's bar in a row's small funnel: its width by the
// square root of the volume relative to the row's largest stage (leads,
// unless opportunities came without a lead of the key), as the hand-off
// map draws it (drawing only; the figures are the cells).
type shapeBar struct{ X, Y, W int }

func shapeOf(vols []float64) []shapeBar {
	top := slices.Max(vols)
	out := make([]shapeBar, len(vols))
	for i, f := range vols {
		w := 2
		if top > 0 && f > 0 {
			w = max(w, int(math.Round(shapeWidth*math.Sqrt(f/top))))
		}
		out[i] = shapeBar{X: (shapeWidth - w) / 2, Y: i * (shapeBarH + 1), W: w}
	}
	return out
}

type breakdown struct {
	Dim, Label string
	Cols       []breakCol
	Rows       []breakRow
}

// Width is the number of figure columns.
func (b breakdown) Width() int {
	n := 0
	for _, c := range b.Cols {
		n += len(c.Lines)
	}
	return n
}

const (
	shapeWidth = 60
	shapeBarH  = 5
)

func (p *Page) breakdowns(cur index) []breakdown {
	var cols []breakCol
	for i, s := range funnelStages {
		cols = append(cols, breakCol{Title: s.name, Stage: true, Lines: []hopLine{{Label: s.name, Href: p.docs() + "#" + KPIAnchor(s.kpi)}}})
		if i == len(hops) {
			break
		}
		c := breakCol{Title: s.name + " → " + funnelStages[i+1].name}
		for _, f := range hops[i] {
			if f.short != "" {
				c.Lines = append(c.Lines, hopLine{Label: f.short, Href: p.docs() + "#" + KPIAnchor(f.kpi)})
			}
		}
		cols = append(cols, c)
	}
	var out []breakdown
	for _, bd := range breakdownDims {
		b := breakdown{Dim: bd.dim, Label: bd.label, Cols: cols}
		for _, key := range keysOf(&p.Run, bd.dim) {
			if !hasFunnel(cur, bd.dim, key) {
				continue
			}
			r := breakRow{Key: key, View: panelID(bd.dim, key)}
			var vols []float64
			for i, s := range funnelStages {
				c := cellOf(cur, s.kpi, bd.dim, key, "")
				c.Scoped = true
				r.Cells = append(r.Cells, c)
				v, _ := cur.get(s.kpi, bd.dim, key, "")
				f, _ := v.Value.Float64() // bar length only
				vols = append(vols, f)
				if i == len(hops) {
					break
				}
				for _, f := range hops[i] {
					if f.short != "" {
						c := cellOf(cur, f.kpi, bd.dim, key, "")
						c.Scoped = true
						r.Cells = append(r.Cells, c)
					}
				}
			}
			r.Shape = shapeOf(vols)
			b.Rows = append(b.Rows, r)
		}
		if len(b.Rows) > 0 {
			out = append(out, b)
		}
	}
	return out
}
