package comp

import (
	"bytes"
	"html"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestPlanDocumentGoldenMarkdownHTML renders each sample plan as Markdown
// and HTML; the goldens were read by hand against plan-documents.txt (the
// same paragraphs, items and facts) and the HTML opened in a browser.
func TestPlanDocumentGoldenMarkdownHTML(t *testing.T) {
	cfg, err := LoadConfig(os.DirFS("../config/comp"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range cfg.Plans {
		d, md, page := renderDoc(t, p)
		name := PlanDocFileName(p)
		golden(t, "plandoc/"+name+".md", md.Bytes())
		golden(t, "plandoc/"+name+".html", page.Bytes())
		checkSameDocument(t, d, md.String(), page.String())
	}
}

// renderDoc is plan p's document model and its Markdown and HTML.
func renderDoc(t *testing.T, p *Plan) (*PlanDoc, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	d, err := p.Document()
	if err != nil {
		t.Fatal(err)
	}
	var md, page bytes.Buffer
	if err := d.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	return d, &md, &page
}

// checkSameDocument checks every title, fact, heading, paragraph and item
// of the model is in the Markdown and in the HTML, once their escaping is
// undone independently here (the text rendering is the golden
// plan-documents.txt).
func checkSameDocument(t *testing.T, d *PlanDoc, md, page string) {
	t.Helper()
	unMD := regexp.MustCompile(`\\(.)`).ReplaceAllString(md, "$1")
	unMD = html.UnescapeString(unMD)
	text := html.UnescapeString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(page, ""))
	squash := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	var want []string
	want = append(want, d.Title)
	want = append(want, d.Facts...)
	for _, s := range d.Sections {
		want = append(want, s.Heading)
		for _, p := range s.Paragraphs {
			want = append(want, p.Text)
			for _, it := range p.Items {
				want = append(want, squash(it))
			}
		}
	}
	for _, w := range want {
		if !strings.Contains(unMD, w) {
			t.Errorf("%s: the Markdown lacks %q", d.Plan, w)
		}
		if !strings.Contains(text, w) {
			t.Errorf("%s: the HTML lacks %q", d.Plan, w)
		}
	}
}

// TestPlanDocumentEscapes gives a plan a hostile name: the HTML page holds
// no tag or attribute of it, the Markdown no raw HTML or link, and both
// still say the name, literally.
func TestPlanDocumentEscapes(t *testing.T) {
	name := `<script>alert("x")</script> <img src=x onerror=alert(1)> *Bold* [link](javascript:alert(1)) & a|b`
	src := strings.Replace(commissionPlanSrc("marginal", "upper", ""), "name: Worked example", "name: '"+name+"'", 1)
	p, err := ParsePlan("evil.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	d, md, page := renderDoc(t, p)
	for _, bad := range []string{"<script", "<img", "onerror=alert(1)>", `href=`} {
		if strings.Contains(page.String(), bad) {
			t.Errorf("the HTML contains %q:\n%s", bad, page.String())
		}
	}
	if strings.Count(page.String(), "<title>") != 1 || !strings.Contains(page.String(), "&lt;script&gt;") {
		t.Errorf("the HTML does not show the name escaped:\n%s", page.String())
	}
	for _, bad := range []string{"<script", "<img", " *Bold*"} {
		if strings.Contains(md.String(), bad) {
			t.Errorf("the Markdown contains %q:\n%s", bad, md.String())
		}
	}
	// A link needs an unescaped "](".
	if regexp.MustCompile(`[^\\]\]\(`).MatchString(md.String()) {
		t.Errorf("the Markdown has a link:\n%s", md.String())
	}
	for _, want := range []string{`&lt;script&gt;`, `\*Bold\*`, `\[link\](javascript:alert(1))`, `&amp; a\|b`} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("the Markdown lacks %q:\n%s", want, md.String())
		}
	}
	checkSameDocument(t, d, md.String(), page.String())
}

// TestMarkdownBlockStart: a paragraph that starts like a list stays text.
func TestMarkdownBlockStart(t *testing.T) {
	for in, want := range map[string]string{"- a": `\- a`, "12. b": `12\. b`, "3) c": `3\) c`, "+ d": `\+ d`, "plain - e": "plain - e", "1,000 f": "1,000 f"} {
		if got := mdBlock(in); got != want {
			t.Errorf("mdBlock(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPlanDocumentLayout checks the reader of the text layout refuses
// what is not a heading, a paragraph or an item, naming the line.
func TestPlanDocumentLayout(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"T\nfact\n\nH\n   para\n     item\n", ""},
		{"T\n  two spaces\n", "line 2"},
		{"T\n\nH\n  two spaces\n", "line 4"},
		{"T\n\nH\n    four spaces\n", "line 4"},
		{"T\n\n   no heading\n", "line 2"},
		{"T\n\nH\n\n\n", "line 4"},
	} {
		_, err := parseDocument("x@v1", "h", c.text)
		if (err == nil) != (c.want == "") || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%q: error %v, want %q", c.text, err, c.want)
		}
	}
}

// The conversion section in the plan document's words, for each rule.
func TestPlanDocumentConversion(t *testing.T) {
	tests := []struct {
		conversion, want string
	}{
		{"conversion: {rates: dated}", "Currencies: this plan's amounts are in USD; a deal in another currency is converted into USD on its close date at the company's dated exchange rate in force that day (Salesforce DatedConversionRate)."},
		{"conversion: {date: period_end, rates: dated, fallback: static}", "converted into USD on the quarter's last day at the company's dated exchange rate in force that day (Salesforce DatedConversionRate), else its static rate (CurrencyType)."},
		{"conversion: {date: 2026-07-01, rates: static}", "converted into USD on 2026-07-01 (one rate for the whole plan version) at the company's static exchange rate (Salesforce CurrencyType)."},
		{"conversion: {rates: plan, table: {GBP: 0.8, EUR: 0.9}}", "at this plan's fixed rates, units per 1 USD: EUR 0.9, GBP 0.8."},
	}
	for _, tt := range tests {
		var b strings.Builder
		if err := fxPlan(t, "fx_doc", "USD", "amount_paid", tt.conversion).WriteText(&b); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), tt.want) {
			t.Errorf("%s: the document says\n%s\nwant a line with %q", tt.conversion, b.String(), tt.want)
		}
	}
	var b strings.Builder
	if err := fxPlan(t, "fx_doc", "USD", "amount_paid", "").WriteText(&b); err != nil || strings.Contains(b.String(), "Currencies:") {
		t.Errorf("a plan without a conversion section: %v\n%s", err, b.String())
	}
}
