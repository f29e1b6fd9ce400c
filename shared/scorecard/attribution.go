package scorecard

import (
	"github.com/venn-revops/venn/shared/kpi"
)

// modelDefinitions are one-line readings of the attribution models for the
// page's glossary; docs/kpis.md §2.8 and §3 hold the rules.
var modelDefinitions = map[string]string{
	kpi.ModelFirstTouch: "All credit to the first touch the window admits.",
	kpi.ModelLastTouch:  "All credit to the last touch at or before the opportunity's creation.",
	kpi.ModelEven:       "Credit split evenly over every admitted touch.",
	kpi.ModelUShaped:    "First touch and lead-creation touch weighted most, the touches between share the rest.",
	kpi.ModelWShaped:    "First touch, lead creation and opportunity creation weighted most, the touches between share the rest.",
	kpi.ModelFullPath:   "W-shaped plus the closing touch, up to the close.",
	kpi.ModelTimeDecay:  "Credit halves with each half-life before the opportunity's creation.",
}

type modelDef struct{ Name, Definition, Href string }

// attribTable is one KPI by one dimension's keys under every model.
type attribTable struct {
	KPI, Dim, Href, Title string
	Models                []string
	Rows                  []attribRow
}

type attribRow struct {
	Key   string
	Cells []cell
}

type costTable struct {
	KPIs  []string
	Hrefs []string
	Rows  []attribRow
}

type attribution struct {
	Models []modelDef
	Tables []attribTable
	// Cost is spend and cost per outcome by channel; Return is
	// bookings and pipeline per spend by channel under each model.
	HasCost bool
	Cost    costTable
	Return  []attribTable
}

func (p *Page) attribution(cur index) attribution {
	var a attribution
	models := modelsOf(&p.Run)
	doc := p.docs() + "#28-marketing-influenced-attribution-one-value-per-model"
	for _, m := range models {
		a.Models = append(a.Models, modelDef{m, modelDefinitions[m], doc})
	}
	table := func(name, dim string) attribTable {
		d, _ := kpi.Lookup(name)
		t := attribTable{KPI: name, Dim: dim, Href: p.docs() + "#" + KPIAnchor(name), Title: d.Description, Models: models}
		for _, key := range keysOf(&p.Run, dim) {
			r := attribRow{Key: key}
			any := false
			for _, m := range models {
				c := cellOf(cur, name, dim, key, m)
				any = any || c.Found
				r.Cells = append(r.Cells, c)
			}
			if any {
				t.Rows = append(t.Rows, r)
			}
		}
		return t
	}
	for _, dim := range []string{kpi.DimChannel, kpi.DimCampaign} {
		for _, name := range []string{"mktg_influenced_pipeline", "mktg_influenced_bookings"} {
			a.Tables = append(a.Tables, table(name, dim))
		}
	}
	costKPIs := []string{"marketing_spend", "cost_per_lead", "cost_per_mql", "cac"}
	a.Cost.KPIs = costKPIs
	for _, n := range costKPIs {
		a.Cost.Hrefs = append(a.Cost.Hrefs, p.docs()+"#"+KPIAnchor(n))
	}
	for _, key := range keysOf(&p.Run, kpi.DimChannel) {
		r := attribRow{Key: key}
		spend := cellOf(cur, "marketing_spend", kpi.DimChannel, key, "")
		if spend.Exact != "" {
			a.HasCost = true
		}
		if !spend.Found {
			continue
		}
		for _, n := range costKPIs {
			r.Cells = append(r.Cells, cellOf(cur, n, kpi.DimChannel, key, ""))
		}
		a.Cost.Rows = append(a.Cost.Rows, r)
	}
	if a.HasCost {
		for _, name := range []string{"bookings_per_spend", "pipeline_per_spend"} {
			a.Return = append(a.Return, table(name, kpi.DimChannel))
		}
	}
	return a
}
