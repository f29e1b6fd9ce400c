package scorecard

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/venn-revops/venn/shared/kpi"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"date": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	// name lets a long KPI name wrap after its underscores only.
	"name": func(s string) template.HTML {
		return template.HTML(strings.ReplaceAll(template.HTMLEscapeString(s), "_", "_<wbr>"))
	},
}).ParseFS(templateFS, "templates/*.tmpl"))

// pageData is what the page template reads.
type pageData struct {
	*Page
	CompareLabel string
	Panels       []panel
	Nav          []navGroup
	Venn         []vennLabel
	Breakdowns   []breakdown
	Definitions  []definition
	Attribution  attribution
	Digest       digest
	DigestFile   string
}

func (p *Page) data() pageData {
	cur, prev := indexOf(&p.Run), indexOf(p.Compare)
	d := pageData{Page: p, CompareLabel: "no comparison", Venn: p.venn(cur), Breakdowns: p.breakdowns(cur), Definitions: p.definitions(), Attribution: p.attribution(cur), Digest: p.digest(cur)}
	if p.Compare != nil {
		d.CompareLabel = p.Compare.Label()
	}
	d.Panels, d.Nav = p.panels(cur, prev)
	return d
}

// definition is one line of the page's definitions list.
type definition struct{ Name, Href, Description string }

// definitions lists the catalog KPIs the run has a value of, in catalog
// order: the one-line definition printed once (the org view's names carry
// it as a tooltip, which neither a phone nor paper shows).
func (p *Page) definitions() []definition {
	var out []definition
	for _, d := range kpi.Catalog() {
		if slices.ContainsFunc(p.Run.Values, func(v kpi.Value) bool { return v.KPI == d.Name }) {
			out = append(out, definition{d.Name, p.docs() + "#" + KPIAnchor(d.Name), d.Description})
		}
	}
	return out
}

// WritePage writes the scorecard page: one self-contained HTML document.
func WritePage(w io.Writer, p *Page) error {
	if p == nil || len(p.Run.Values) == 0 {
		return fmt.Errorf("scorecard page: no KPI values")
	}
	if err := templates.ExecuteTemplate(w, "page.html.tmpl", p.data()); err != nil {
		return fmt.Errorf("scorecard page %s: %w", p.Run.Label(), err)
	}
	return nil
}

// WriteDigestHTML writes the weekly digest as one HTML document, ready to
// mail (inline style only).
func WriteDigestHTML(w io.Writer, p *Page) error {
	if p == nil || len(p.Run.Values) == 0 {
		return fmt.Errorf("scorecard digest: no KPI values")
	}
	if err := templates.ExecuteTemplate(w, "digest.html.tmpl", p.data()); err != nil {
		return fmt.Errorf("scorecard digest %s: %w", p.Run.Label(), err)
	}
	return nil
}
