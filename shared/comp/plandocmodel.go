package comp

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"regexp"
	"strings"
)

// PlanDoc is a plan version as a document: the one model the text,
// Markdown and HTML renderings are made from, so what a rep reads in any
// of them is the same, and all of it comes from the file the engine pays
// from (documentText). The plan file's SHA-256 is on it: what a person
// acknowledges (acknowledge.go).
type PlanDoc struct {
	Plan     string // id@vN
	Title    string
	Facts    []string
	Sections []DocSection
	// FileSHA256 is the plan file's hash, as stated in the facts.
	FileSHA256 string
}

// DocSection is a heading and its paragraphs.
type DocSection struct {
	Heading    string
	Paragraphs []DocParagraph
}

// DocParagraph is a paragraph and the items listed under it (tiers, curve
// points). Items keep the text layout's alignment; Markdown and HTML show
// them as list items.
type DocParagraph struct {
	Text  string
	Items []string
}

// Indents of the text layout.
const (
	docParagraphIndent = "   "
	docItemIndent      = "     "
)

// Document reads the plan's text into the document model. A line that
// fits none of the layout's shapes is an error naming it: a describer that
// breaks the layout fails the plan-document tests, never a rep's document.
func (p *Plan) Document() (*PlanDoc, error) {
	return parseDocument(p.Ref(), p.Hash, p.documentText())
}

// parseDocument reads a plan's text layout into the model.
func parseDocument(ref, hash, text string) (*PlanDoc, error) {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	d := &PlanDoc{Plan: ref, Title: lines[0], FileSHA256: hash}
	bad := func(i int, why string) error {
		return fmt.Errorf("plan %s document, line %d %q: %s", ref, i+1, lines[i], why)
	}
	i := 1
	for ; i < len(lines) && lines[i] != ""; i++ {
		if strings.HasPrefix(lines[i], " ") {
			return nil, bad(i, "an indented line among the facts")
		}
		d.Facts = append(d.Facts, lines[i])
	}
	for ; i < len(lines); i++ {
		l := lines[i]
		switch {
		case l == "":
			if i+1 >= len(lines) || lines[i+1] == "" || strings.HasPrefix(lines[i+1], " ") {
				return nil, bad(i, "a blank line must be followed by a heading")
			}
			i++
			d.Sections = append(d.Sections, DocSection{Heading: lines[i]})
		case len(d.Sections) == 0:
			return nil, bad(i, "text before the first heading")
		case strings.HasPrefix(l, docItemIndent) && strings.TrimSpace(l) != "":
			s := &d.Sections[len(d.Sections)-1]
			if len(s.Paragraphs) == 0 {
				s.Paragraphs = append(s.Paragraphs, DocParagraph{})
			}
			par := &s.Paragraphs[len(s.Paragraphs)-1]
			par.Items = append(par.Items, strings.TrimPrefix(l, docItemIndent))
		case strings.HasPrefix(l, docParagraphIndent) && !strings.HasPrefix(l, docParagraphIndent+" ") && strings.TrimSpace(l) != "":
			s := &d.Sections[len(d.Sections)-1]
			s.Paragraphs = append(s.Paragraphs, DocParagraph{Text: strings.TrimPrefix(l, docParagraphIndent)})
		default:
			return nil, bad(i, "not a heading, a paragraph (3 spaces) or an item (5 spaces)")
		}
	}
	return d, nil
}

// WriteText renders the plan as the plain-language document a rep reads and
// signs. It is generated from the same file the engine pays from, so the
// signed document cannot drift from the configuration.
func (p *Plan) WriteText(w io.Writer) error {
	d, err := p.Document()
	if err != nil {
		return err
	}
	return d.WriteText(w)
}

// WriteText renders the document in the text layout.
func (d *PlanDoc) WriteText(w io.Writer) error {
	var b strings.Builder
	b.WriteString(d.Title + "\n")
	for _, f := range d.Facts {
		b.WriteString(f + "\n")
	}
	for _, s := range d.Sections {
		b.WriteString("\n" + s.Heading + "\n")
		for _, par := range s.Paragraphs {
			if par.Text != "" {
				b.WriteString(docParagraphIndent + par.Text + "\n")
			}
			for _, it := range par.Items {
				b.WriteString(docItemIndent + it + "\n")
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMarkdown renders the document as Markdown (CommonMark). Every
// piece of text is escaped: plan names and component ids are user input,
// and Markdown passes raw HTML through, so <, > and & become entities and
// Markdown's own punctuation is backslash-escaped.
func (d *PlanDoc) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# " + mdEscape(d.Title) + "\n\n")
	for _, f := range d.Facts {
		b.WriteString(mdBlock(f) + "  \n")
	}
	for _, s := range d.Sections {
		b.WriteString("\n## " + mdEscape(s.Heading) + "\n")
		for _, par := range s.Paragraphs {
			if par.Text != "" {
				b.WriteString("\n" + mdBlock(par.Text) + "\n")
			}
			if len(par.Items) > 0 {
				b.WriteString("\n")
			}
			for _, it := range par.Items {
				b.WriteString("- " + mdEscape(strings.Join(strings.Fields(it), " ")) + "\n")
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdEscape makes text literal in Markdown: HTML's specials as entities,
// Markdown's inline and block punctuation with a backslash, and a line
// break can never start a new block (the text layout has none).
func mdEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '\\', '`', '*', '_', '[', ']', '#', '|', '!', '~':
			b.WriteRune('\\')
			b.WriteRune(r)
		case '\n', '\r':
			b.WriteRune(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdListStart is what would make a paragraph a list item or a break.
var mdListStart = regexp.MustCompile(`^([0-9]+)([.)])|^([-+=])`)

// mdBlock is mdEscape for text that starts a block: a leading "-", "+",
// "=" or "1." stays text instead of becoming a list or an underline.
func mdBlock(s string) string {
	e := mdEscape(s)
	if m := mdListStart.FindStringSubmatchIndex(e); m != nil {
		at := m[1] - 1
		return e[:at] + "\\" + e[at:]
	}
	return e
}

//go:embed plandoc.html.tmpl
var planDocHTML string

// planDocPage is the HTML page: one self-contained file (inline style, no
// script, no external resource), every value escaped by html/template.
var planDocPage = template.Must(template.New("plan").Funcs(template.FuncMap{
	"squash": func(s string) string { return strings.Join(strings.Fields(s), " ") },
}).Parse(planDocHTML))

// WriteHTML renders the document as one self-contained HTML page.
func (d *PlanDoc) WriteHTML(w io.Writer) error {
	return planDocPage.Execute(w, d)
}

// PlanDocFileName names a plan version's documents: "<id>-v<N>" (the plan
// id is validated to a safe name), to which .md, .html and .txt are added.
func PlanDocFileName(p *Plan) string { return fmt.Sprintf("%s-v%d", p.ID, p.Version) }
