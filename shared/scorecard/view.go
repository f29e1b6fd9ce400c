package scorecard

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/venn-revops/venn/shared/kpi"
)

// cell is one printed figure and where it came from: the DOM carries the
// KPI, dimension, key, model and exact value, so a reader (and the browser
// test) can check it against the gold row.
type cell struct {
	KPI, Dim, Key, Model string
	Text                 string // as shown
	Exact                string // the exact gold value; "" when undefined or absent
	Found                bool   // the set has a row for it
	Catalog              bool   // the KPI is in the catalog
	Set                  string // "compare" for the comparison set's figures; "" for the run's
	// Scoped: the enclosing view or row carries Dim and Key (data-dim,
	// data-key) once for all its figures, so the cell does not.
	Scoped bool
}

func (c cell) Missing() string {
	switch {
	case !c.Catalog:
		return "not in catalog"
	case !c.Found:
		return "n/a"
	}
	return ""
}

func cellOf(ix index, name, dim, key, model string) cell {
	c := cell{KPI: name, Dim: dim, Key: key, Model: model}
	_, c.Catalog = kpi.Lookup(name)
	v, ok := ix.get(name, dim, key, model)
	c.Found = ok
	switch {
	case !c.Catalog:
		c.Text = "not in catalog"
	case !ok:
		c.Text = "n/a"
	default:
		c.Text = kpi.Display(v)
		if v.Defined {
			c.Exact = v.Value.String()
		}
	}
	return c
}

// row is one KPI line of a region table.
type row struct {
	KPI, Href, Title string
	Cur, Prev        cell
	Change           string
	Sub              bool // a target or attainment line beneath its actual
	Spark            template.HTML
	SparkAlt         string
}

type region struct {
	Side, Title string
	Rows        []row
}

type panel struct {
	ID, Dim, Key, Title string
	Default             bool
	SourceNote          bool // a channel view: its funnel figures are by lead source
	Regions             []region
	Handoff             *handoff // nil when the key has no funnel figure
}

type navGroup struct {
	Dim   string
	Links []navLink
}

type navLink struct{ ID, Key string }

// sides orders the Venn: marketing, the overlap, sales.
var sides = []struct{ side, title string }{
	{kpi.OwnerMarketing, "Marketing"},
	{kpi.OwnerShared, "Shared (marketing + sales)"},
	{kpi.OwnerSales, "Sales"},
}

// onRegionTable reports whether a KPI gets its own line in the Venn's
// tables: modeled KPIs live in the attribution section, targets and
// attainment beside their actual.
func onRegionTable(d kpi.Definition) bool {
	if d.Modeled {
		return false
	}
	if g, ok := kpi.GoalOf(d.Name); ok && g.Actual != d.Name {
		return false
	}
	return true
}

func (p *Page) regions(cur, prev index, dim, key string) []region {
	out := make([]region, 0, len(sides))
	for _, s := range sides {
		r := region{Side: s.side, Title: s.title}
		for _, d := range kpi.Catalog() {
			if d.Owner != s.side || !onRegionTable(d) {
				continue
			}
			if _, ok := cur.get(d.Name, dim, key, ""); !ok {
				continue
			}
			r.Rows = append(r.Rows, p.row(cur, prev, d, dim, key))
			// Its target and attainment, one line each beneath it.
			if g, ok := kpi.GoalOf(d.Name); ok {
				for _, name := range []string{g.Target, g.Attainment} {
					if _, ok := cur.get(name, dim, key, ""); ok {
						gd, _ := kpi.Lookup(name)
						sub := p.row(cur, prev, gd, dim, key)
						sub.Sub = true
						r.Rows = append(r.Rows, sub)
					}
				}
			}
		}
		out = append(out, r)
	}
	return out
}

func (p *Page) row(cur, prev index, d kpi.Definition, dim, key string) row {
	r := row{KPI: d.Name, Href: p.docs() + "#" + KPIAnchor(d.Name),
		Cur: cellOf(cur, d.Name, dim, key, ""), Prev: cellOf(prev, d.Name, dim, key, "")}
	// The one-line definition as a tooltip on the org's view only; every
	// view's name links to the full one, and the page's definitions list
	// prints it once (a phone has no hover, paper no tooltip).
	if dim == kpi.DimOrg {
		r.Title = d.Description
	}
	r.Cur.Scoped, r.Prev.Scoped, r.Prev.Set = true, true, "compare"
	c, _ := cur.get(d.Name, dim, key, "")
	pv, ok := prev.get(d.Name, dim, key, "")
	r.Change = kpi.Change(c, pv, ok)
	r.Spark, r.SparkAlt = p.sparkline(d, dim, key, c)
	return r
}

// panels builds one view per dimension key, the org's last (the default:
// CSS shows it unless another view is the :target).
func (p *Page) panels(cur, prev index) ([]panel, []navGroup) {
	var out []panel
	var nav []navGroup
	var org *panel
	for _, dim := range viewDims {
		g := navGroup{Dim: dim}
		for _, key := range keysOf(&p.Run, dim) {
			label := key
			if name, ok := p.Names[key]; ok && dim == kpi.DimOwner {
				label = name
			}
			pn := panel{ID: panelID(dim, key), Dim: dim, Key: key, Title: dim + ": " + label, SourceNote: dim == kpi.DimChannel}
			switch {
			case dim == kpi.DimOrg:
				pn.Title, pn.Default = "Org", true
			case label != key:
				pn.Title += " (" + key + ")"
			}
			pn.Regions = p.regions(cur, prev, dim, key)
			if hasFunnel(cur, dim, key) {
				h := p.handoff(cur, dim, key)
				pn.Handoff = &h
			}
			g.Links = append(g.Links, navLink{pn.ID, label})
			if pn.Default {
				org = &pn
				continue
			}
			out = append(out, pn)
		}
		if len(g.Links) > 0 {
			nav = append(nav, g)
		}
	}
	if org != nil {
		out = append(out, *org)
	}
	return out, nav
}

// vennHeadline is the figure printed inside each region of the diagram.
var vennHeadline = map[string][]string{
	kpi.OwnerMarketing: {"mqls", "mktg_sourced_pipeline"},
	kpi.OwnerShared:    {"sqls", "bookings"},
	kpi.OwnerSales:     {"opps_won", "win_rate"},
}

type vennLabel struct {
	Side, Title string
	X           int
	Lines       []vennLine
}

// vennLine is one headline figure inside the diagram: the KPI name at
// NameY, its value at ValueY.
type vennLine struct {
	Cell          cell
	NameY, ValueY int
}

func (p *Page) venn(cur index) []vennLabel {
	xs := map[string]int{kpi.OwnerMarketing: 150, kpi.OwnerShared: 300, kpi.OwnerSales: 450}
	var out []vennLabel
	for _, s := range sides {
		l := vennLabel{Side: s.side, Title: strings.Split(s.title, " ")[0], X: xs[s.side]}
		for i, name := range vennHeadline[s.side] {
			l.Lines = append(l.Lines, vennLine{cellOf(cur, name, kpi.DimOrg, kpi.KeyAll, ""), 100 + 55*i, 122 + 55*i})
		}
		out = append(out, l)
	}
	return out
}

func (l vennLabel) Alt() string {
	parts := make([]string, len(l.Lines))
	for i, c := range l.Lines {
		parts[i] = c.Cell.KPI + " " + c.Cell.Text
	}
	return l.Title + ": " + strings.Join(parts, ", ")
}

// sparkline draws the KPI of one key across History and the run; the
// alternative text lists the same values.
func (p *Page) sparkline(d kpi.Definition, dim, key string, cur kpi.Value) (template.HTML, string) {
	type point struct {
		label string
		v     kpi.Value
	}
	var pts []point
	for i := range p.History {
		h := &p.History[i]
		if v, ok := indexOf(h).get(d.Name, dim, key, ""); ok && v.Defined {
			pts = append(pts, point{h.Quarter, v})
		}
	}
	if cur.Defined {
		pts = append(pts, point{p.Run.Quarter, cur})
	}
	if len(pts) < 2 {
		return "", ""
	}
	alt := make([]string, len(pts))
	vals := make([]float64, len(pts))
	for i, pt := range pts {
		alt[i] = pt.label + " " + kpi.Display(pt.v)
		vals[i], _ = pt.v.Value.Float64() // drawing only; the figures printed stay exact
	}
	lo, hi := slices.Min(vals), slices.Max(vals)
	const w, h, pad = 80.0, 20.0, 2.0
	var b strings.Builder
	for i, v := range vals {
		x := pad + (w-2*pad)*float64(i)/float64(len(vals)-1)
		y := h / 2
		if hi > lo {
			y = h - pad - (h-2*pad)*(v-lo)/(hi-lo)
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(coord(x) + "," + coord(y))
	}
	last := b.String()[strings.LastIndexByte(b.String(), ' ')+1:]
	lx, ly, _ := strings.Cut(last, ",")
	// Hidden from assistive technology: the row's text alternative (the
	// same values) follows it. Size (80×20 px, so no viewBox) and stroke
	// come from the style sheet.
	svg := fmt.Sprintf(`<svg class="spark" aria-hidden="true"><polyline points="%s"/><circle cx="%s" cy="%s" r="2"/></svg>`, b.String(), lx, ly)
	return template.HTML(svg), strings.Join(alt, "; ")
}

// coord prints an SVG coordinate to a tenth, without a trailing ".0".
func coord(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }
