package scorecard

import (
	"bytes"
	"cmp"
	"flag"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/kpi"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// val builds one gold value by hand; ratio values are given as decimals.
func val(name, dim, key, model, v string) kpi.Value {
	d, ok := kpi.Lookup(name)
	if !ok {
		panic("not in catalog: " + name)
	}
	out := kpi.Value{KPI: name, Dimension: dim, Key: key, Model: model, Unit: d.Unit, Defined: v != "", Currency: ""}
	if d.Unit == kpi.UnitCurrency {
		out.Currency = "USD"
	}
	if v != "" {
		out.Value = decimal.RequireFromString(v)
	}
	return out
}

// smallPage is a hand-made run: an org of two teams, East and West, in
// 2026Q4 to date, with a comparison, one earlier final and a week-earlier
// set. The figures are invented and mutually consistent enough to read.
func smallPage() *Page {
	asOf := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	org, team := kpi.DimOrg, kpi.DimTeam
	all := kpi.KeyAll
	run := []kpi.Value{
		val("leads", org, all, "", "120"), val("leads", team, "East", "", "70"), val("leads", team, "West", "", "50"),
		val("mqls", org, all, "", "40"), val("mqls", team, "East", "", "25"), val("mqls", team, "West", "", "15"),
		val("sqls", org, all, "", "20"), val("sqls", team, "East", "", "12"), val("sqls", team, "West", "", "8"),
		val("opps_created", org, all, "", "10"), val("opps_created", team, "East", "", "6"), val("opps_created", team, "West", "", "4"),
		val("opps_won", org, all, "", "4"), val("opps_won", team, "East", "", "3"), val("opps_won", team, "West", "", "1"),
		val("opps_lost", org, all, "", "2"), val("opps_won", kpi.DimOwner, "U1", "", "3"),
		val("bookings", org, all, "", "40000.00"), val("bookings", team, "East", "", "30000.00"), val("bookings", team, "West", "", "10000.00"),
		val("bookings_target", org, all, "", "100000.00"), val("bookings_attainment", org, all, "", "0.4"),
		val("win_rate", org, all, "", "0.666667"), val("win_rate", team, "West", "", ""),
		val("conv_lead_mql", org, all, "", "0.333333"), val("conv_mql_sql", org, all, "", "0.5"),
		val("conv_sql_opp", org, all, "", "0.5"), val("conv_opp_won", org, all, "", "0.4"),
		val("velocity_mql_sql_days_median", org, all, "", "2.5"),
		val("lead_sla_compliance", org, all, "", "0.75"), val("lead_sla_compliance", team, "East", "", "0.8"), val("lead_sla_compliance", team, "West", "", "0.666667"),
		val("leads_disqualified", org, all, "", "18"), val("leads_disqualified", team, "East", "", "10"), val("leads_disqualified", team, "West", "", "8"),
		val("leads_recycled", org, all, "", "12"), val("leads_recycled", team, "East", "", "7"), val("leads_recycled", team, "West", "", "5"),
		val("leads_past_sla_unanswered", org, all, "", "3"), val("leads_past_sla_unanswered", team, "East", "", "1"), val("leads_past_sla_unanswered", team, "West", "", "2"),
		val("mktg_influenced_bookings", org, all, kpi.ModelFirstTouch, "40000.00"), val("mktg_influenced_bookings", org, all, kpi.ModelEven, "40000.00"),
		val("mktg_influenced_bookings", kpi.DimChannel, "Webinar", kpi.ModelFirstTouch, "30000.00"), val("mktg_influenced_bookings", kpi.DimChannel, "Webinar", kpi.ModelEven, "25000.00"),
		val("mktg_influenced_bookings", kpi.DimChannel, kpi.KeyUnattributed, kpi.ModelFirstTouch, "10000.00"), val("mktg_influenced_bookings", kpi.DimChannel, kpi.KeyUnattributed, kpi.ModelEven, "15000.00"),
		val("marketing_spend", kpi.DimChannel, "Webinar", "", "5000.00"),
		// The lead sources (the funnel's channel keys): Web and Webinar;
		// unattributed is a campaign-type key only.
		val("leads", kpi.DimChannel, "Web", "", "80"), val("leads", kpi.DimChannel, "Webinar", "", "40"),
		val("mqls", kpi.DimChannel, "Web", "", "22"), val("mqls", kpi.DimChannel, "Webinar", "", "18"),
		val("conv_lead_mql", kpi.DimChannel, "Web", "", "0.275"), val("conv_lead_mql", kpi.DimChannel, "Webinar", "", "0.45"),
		val("lead_sla_compliance", kpi.DimChannel, "Web", "", "0.7"), val("leads_past_sla_unanswered", kpi.DimChannel, "Web", "", "2"),
		val("leads_past_sla_unanswered", kpi.DimChannel, "Webinar", "", "0"), val("lead_sla_compliance", kpi.DimChannel, "Webinar", "", "1"),
		// Days past the SLA deadline (the responses below): L1 answered
		// 10 h late (0.416667 d), L2 still waiting at the as-of, 80 h past
		// its deadline of 11-16 16:00 (3.333333 d); org median of the two
		// 1.875, total 3.75. L2 came from Web; Webinar's MQLs were all
		// answered in time.
		val("lead_sla_breach_days_median", org, all, "", "1.875"), val("lead_sla_breach_days_total", org, all, "", "3.75"),
		val("lead_sla_breach_days_median", team, "East", "", "0.416667"), val("lead_sla_breach_days_total", team, "East", "", "0.416667"),
		val("lead_sla_breach_days_median", team, "West", "", "3.333333"), val("lead_sla_breach_days_total", team, "West", "", "3.333333"),
		val("lead_sla_breach_days_median", kpi.DimChannel, "Web", "", "3.333333"), val("lead_sla_breach_days_total", kpi.DimChannel, "Web", "", "3.333333"),
		val("lead_sla_breach_days_median", kpi.DimChannel, "Webinar", "", ""), val("lead_sla_breach_days_total", kpi.DimChannel, "Webinar", "", "0"),
		val("bookings_per_spend", kpi.DimChannel, "Webinar", kpi.ModelFirstTouch, "6"), val("bookings_per_spend", kpi.DimChannel, "Webinar", kpi.ModelEven, "5"),
	}
	prev := []kpi.Value{
		val("leads", org, all, "", "100"), val("mqls", org, all, "", "44"), val("bookings", org, all, "", "30000.00"),
		val("win_rate", org, all, "", "0.5"), val("leads", team, "East", "", "60"),
	}
	q3 := []kpi.Value{val("leads", org, all, "", "150"), val("bookings", org, all, "", "90000.00"), val("leads", team, "East", "", "90")}
	q2 := []kpi.Value{val("leads", org, all, "", "130"), val("bookings", org, all, "", "70000.00")}
	week := []kpi.Value{val("leads", org, all, "", "110"), val("mqls", org, all, "", "40"), val("bookings", org, all, "", "30000.00")}
	micros := func(s string) int64 { return time.Date(2026, 11, 0, 0, 0, 0, 0, time.UTC).Add(mustDur(s)).UnixMicro() }
	return &Page{
		Run:           Set{Quarter: "2026Q4", AsOf: asOf, Values: run},
		RunID:         "20261120T010000Z-abc",
		ConfigVersion: "default@v1",
		ConfigHash:    "0123456789abcdef0123456789abcdef",
		Gold:          "kpi/quarter=2026Q4/as_of=2026-11-20/_manifest-000001.json",
		Compare:       &Set{Quarter: "2026Q3", AsOf: time.Date(2026, 8, 20, 0, 0, 0, 0, time.UTC), Values: prev},
		History: []Set{
			{Quarter: "2026Q2", AsOf: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), Final: true, Values: q2},
			{Quarter: "2026Q3", AsOf: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Final: true, Values: q3},
		},
		Week: &Set{Quarter: "2026Q4", AsOf: asOf.AddDate(0, 0, -7), Values: week},
		Responses: []kpi.Response{
			{Lead: "L2", Deadline: micros("400h"), RespondedAt: -1, Due: true, Owner: "U2", Team: "West"},
			{Lead: "L1", Deadline: micros("300h"), RespondedAt: micros("310h"), Micros: 34 * 3_600_000_000, Due: true, Owner: "U1", Team: "East"},
			{Lead: "L3", Deadline: micros("300h"), RespondedAt: micros("200h"), Due: true, WithinSLA: true, Owner: "U1", Team: "East"},
		},
		Credits: []kpi.Credit{
			{Model: kpi.ModelFirstTouch, Opportunity: "O1", Campaign: "C1", Cents: 3000000, Amount: 3000000, Bookings: true},
			{Model: kpi.ModelEven, Opportunity: "O1", Campaign: "C2", Cents: 1500000, Amount: 3000000, Bookings: true},
			{Model: kpi.ModelEven, Opportunity: "O1", Campaign: "C1", Cents: 1500000, Amount: 3000000, Bookings: true},
			{Model: kpi.ModelFirstTouch, Opportunity: "O9", Campaign: kpi.KeyUnattributed, Cents: 1000000, Amount: 1000000, Bookings: true},
			{Model: kpi.ModelFirstTouch, Opportunity: "O4", Campaign: "C2", Cents: 500000, Amount: 500000, Pipeline: true},
		},
		WeekCredits:    []kpi.Credit{},
		Names:          map[string]string{"U1": "Ada Byron"},
		SLAHours:       24,
		LeadExitSource: kpi.ExitsFromLeadHistory,
		DocsURL:        "docs/kpis.md",
	}
}

func mustDur(s string) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return d
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./shared/scorecard -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; if the change is intended, rerun with -update and review the diff", path)
	}
}

// The page and the digest of the hand-made run, byte for byte.
func TestGolden(t *testing.T) {
	p := smallPage()
	for _, c := range []struct {
		file  string
		write func(*bytes.Buffer, *Page) error
	}{
		{"small.html", func(b *bytes.Buffer, p *Page) error { return WritePage(b, p) }},
		{"small-digest.txt", func(b *bytes.Buffer, p *Page) error { return WriteDigestText(b, p) }},
		{"small-digest.html", func(b *bytes.Buffer, p *Page) error { return WriteDigestHTML(b, p) }},
	} {
		var b bytes.Buffer
		if err := c.write(&b, p); err != nil {
			t.Fatal(err)
		}
		golden(t, c.file, b.Bytes())
	}
}

// figure is one figure cell of a rendered page: its data attributes, with
// the dimension and key read from the cell or, as the browser's
// closest('[data-dim]') does, from the nearest enclosing section or row.
type figure struct{ set, kpi, dim, key, model, exact, text string }

var (
	pageTag  = regexp.MustCompile(`<(/?)(section|tr|td)\b([^>]*)>([^<]*)`)
	tagAttrs = regexp.MustCompile(`([a-z-]+)="([^"]*)"`)
)

func wantFigures(t *testing.T, figs, want []figure) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(figs, w) {
			t.Errorf("no figure %+v", w)
		}
	}
}

func figuresOf(page string) []figure {
	type scope struct{ dim, key string }
	var stack []scope
	var out []figure
	for _, m := range pageTag.FindAllStringSubmatch(page, -1) {
		closing, tag := m[1] == "/", m[2]
		attrs := map[string]string{}
		for _, a := range tagAttrs.FindAllStringSubmatch(m[3], -1) {
			attrs[a[1]] = html.UnescapeString(a[2])
		}
		switch {
		case tag != "td" && closing:
			stack = stack[:len(stack)-1]
		case tag != "td":
			stack = append(stack, scope{attrs["data-dim"], attrs["data-key"]})
		case !closing && attrs["data-kpi"] != "":
			f := figure{set: cmp.Or(attrs["data-set"], "run"), kpi: attrs["data-kpi"], model: attrs["data-model"], exact: attrs["data-value"], text: html.UnescapeString(m[4])}
			f.dim, f.key = attrs["data-dim"], attrs["data-key"]
			for i := len(stack) - 1; f.dim == "" && i >= 0; i-- {
				f.dim, f.key = stack[i].dim, stack[i].key
			}
			out = append(out, f)
		}
	}
	return out
}

// Every figure on the page is a value of the run (or of the comparison)
// for exactly the KPI, dimension, key and model its cell names: the page
// computes nothing.
func TestEveryFigureIsAGoldValue(t *testing.T) {
	p := smallPage()
	var b bytes.Buffer
	if err := WritePage(&b, p); err != nil {
		t.Fatal(err)
	}
	sets := map[string]index{"run": indexOf(&p.Run), "compare": indexOf(p.Compare)}
	cells := figuresOf(b.String())
	if len(cells) < 50 {
		t.Fatalf("only %d figure cells found; the cell markup changed?", len(cells))
	}
	seen := map[string]bool{}
	for _, c := range cells {
		set, name, dim, key, model, exact, text := c.set, c.kpi, c.dim, c.key, c.model, c.exact, c.text
		if dim == "" || key == "" {
			t.Errorf("%s %s: a figure without dimension or key", set, name)
		}
		v, ok := sets[set].get(name, dim, key, model)
		switch {
		case !ok:
			if exact != "" || (text != "n/a" && text != "not in catalog") {
				t.Errorf("%s %s/%s/%s/%s: shows %q (%s) but the set has no such value", set, name, dim, key, model, text, exact)
			}
		case !v.Defined:
			if exact != "" || text != "n/a" {
				t.Errorf("%s %s/%s/%s: undefined but shows %q", set, name, dim, key, text)
			}
		default:
			if !decimal.RequireFromString(exact).Equal(v.Value) || text != kpi.Display(v) {
				t.Errorf("%s %s/%s/%s/%s: shows %q (%s), gold %s", set, name, dim, key, model, text, exact, v.Value)
			}
			seen[set+" "+name+" "+dim+" "+key+" "+model] = true
		}
	}
	// Spot checks by hand: the org's bookings against target, a team's
	// leads, a channel's credit under even.
	for _, want := range []string{"run bookings org all ", "run bookings_attainment org all ", "run leads team East ", "compare leads team East ", "run mktg_influenced_bookings channel Webinar even"} {
		if !seen[want] {
			t.Errorf("no figure for %q on the page", want)
		}
	}
	for _, want := range []string{`<a href="#v-owner-U1">Ada Byron</a>`, `<h2 id="v-owner-U1-h">owner: Ada Byron (U1)</h2>`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("page lacks %s", want)
		}
	}
	wantFigures(t, cells, []figure{
		{"run", "bookings_attainment", "org", "all", "", "0.4", "40.0%"},
		{"run", "leads_recycled", "org", "all", "", "12", "12"},
		{"run", "leads_disqualified", "team", "West", "", "8", "8"},
		{"run", "velocity_mql_sql_days_p90", "org", "all", "", "", "n/a"},
		{"run", "lead_sla_breach_days_total", "org", "all", "", "3.75", "3.8"},
		{"run", "lead_sla_breach_days_median", "team", "West", "", "3.333333", "3.3"},
	})
}

// Self-contained: no script, no stylesheet or image fetched from
// anywhere; the only links are to the catalog and within the page.
func TestSelfContained(t *testing.T) {
	var b bytes.Buffer
	if err := WritePage(&b, smallPage()); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, bad := range []string{"<script", "<link", "<img", "@import", "url("} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	for _, m := range regexp.MustCompile(`(?:href|src)="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		if !strings.HasPrefix(m[1], "#") && !strings.HasPrefix(m[1], "docs/kpis.md#") {
			t.Errorf("link to %q", m[1])
		}
	}
}

// The digest names what moved since the week-earlier set, the late leads
// (not the one answered in time) and the influenced won deal (not the
// unattributed one, not the pipeline-only one).
func TestDigestText(t *testing.T) {
	var b bytes.Buffer
	if err := WriteDigestText(&b, smallPage()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"leads", "110", "→ 120", "bookings", "+10,000.00", "team West", "2 waiting past the SLA", "66.7% answered within it", "lead source Web", "70.0% answered within it", "breaches ran 0.4 days past it (median), 0.4 in all", "breaches ran 3.3 days past it (median), 3.3 in all", "lead source Webinar  0 waiting past the SLA  100.0% answered within it  no breach", "lead L1", "answered after 34.0 h", "lead L2", "no response yet", "O1", "30,000.00", "campaigns C1, C2", "new this week"} {
		if !strings.Contains(out, want) {
			t.Errorf("digest lacks %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"lead L3", "O9", "O4", "  mqls"} {
		if strings.Contains(out, bad) {
			t.Errorf("digest has %q:\n%s", bad, out)
		}
	}
	// L1's deadline comes first.
	if strings.Index(out, "lead L1") > strings.Index(out, "lead L2") {
		t.Errorf("breaches not ordered by deadline:\n%s", out)
	}
}

// Every KPI name the page links to has its anchor in docs/kpis.md, where
// the KPI is defined.
func TestEveryKPIHasADocsAnchor(t *testing.T) {
	doc, err := os.ReadFile("../../docs/kpis.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range kpi.Catalog() {
		if !bytes.Contains(doc, []byte(`<a id="`+KPIAnchor(d.Name)+`"></a>`)) {
			t.Errorf("docs/kpis.md has no anchor <a id=%q></a> where %s is defined", KPIAnchor(d.Name), d.Name)
		}
	}
}

// A name the catalog lacks reads "not in catalog" (no hand-off figure is
// such a name since leads_disqualified and leads_recycled joined it); one
// in the catalog without a gold row reads "n/a".
func TestCellMissing(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		{"leads_abandoned", "not in catalog"},
		{"leads_recycled", "n/a"},
	} {
		if got := cellOf(nil, c.name, kpi.DimOrg, kpi.KeyAll, ""); got.Text != c.want || got.Missing() != c.want {
			t.Errorf("%s: text %q, missing %q; want %q", c.name, got.Text, got.Missing(), c.want)
		}
	}
}

// The hand-off by team and by lead source: a row per team and per lead
// source with a funnel figure (Web, Webinar; not unattributed, a campaign
// type only), each figure the key's own gold row, in funnel order; the
// key's view has its hand-off map only where it has funnel figures.
func TestHandoffByTeamAndSource(t *testing.T) {
	var b bytes.Buffer
	if err := WritePage(&b, smallPage()); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	start, end := strings.Index(page, `<section id="handoff-by"`), strings.Index(page, `<section id="attribution"`)
	if start < 0 || end < start {
		t.Fatal("no hand-off by team and source section")
	}
	section := page[start:end]
	figs := figuresOf(section)
	var keys []string
	for _, f := range figs {
		if k := f.dim + " " + f.key; !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	if want := []string{"team East", "team West", "channel Web", "channel Webinar"}; !slices.Equal(keys, want) {
		t.Errorf("rows %q, want %q", keys, want)
	}
	// 5 stages and 10 hand-off figures per row.
	if len(figs) != 4*15 {
		t.Errorf("%d figures, want %d", len(figs), 4*15)
	}
	wantFigures(t, figs, []figure{
		{"run", "leads", "channel", "Web", "", "80", "80"},
		{"run", "conv_lead_mql", "channel", "Webinar", "", "0.45", "45.0%"},
		{"run", "lead_sla_compliance", "channel", "Web", "", "0.7", "70.0%"},
		{"run", "lead_sla_compliance", "channel", "Webinar", "", "1", "100.0%"},
		{"run", "leads_past_sla_unanswered", "channel", "Webinar", "", "0", "0"},
		{"run", "sqls", "channel", "Web", "", "", "n/a"},
		{"run", "leads_disqualified", "team", "West", "", "8", "8"},
		{"run", "lead_sla_breach_days_median", "team", "East", "", "0.416667", "0.4"},
		{"run", "lead_sla_breach_days_median", "channel", "Webinar", "", "", "n/a"},
	})
	// Funnel order in a row: leads, its hand-off to MQL, mqls.
	var order []string
	for _, f := range figs[:4] {
		order = append(order, f.kpi)
	}
	if want := []string{"leads", "conv_lead_mql", "leads_disqualified", "mqls"}; !slices.Equal(order, want) {
		t.Errorf("row starts %q, want %q", order, want)
	}
	if !strings.Contains(section, `<a href="#v-channel-Webinar">Webinar</a>`) {
		t.Error("the Webinar row does not link to its view")
	}
	view := func(id string) string {
		v := page[strings.Index(page, `<section id="`+id+`"`):]
		return v[:strings.Index(v, "</section>")]
	}
	if !strings.Contains(view("v-channel-Webinar"), "The hand-off") || strings.Contains(view("v-channel-unattributed"), "The hand-off") {
		t.Error("a hand-off map is where the key has no funnel figure, or missing where it has")
	}
}

// A row's small funnel: widths by the square root of each volume over the
// row's largest (worked by hand), 2 units for an empty stage, centred.
func TestShapeOf(t *testing.T) {
	for _, c := range []struct {
		vols []float64
		want []int // widths
	}{
		{[]float64{100, 25, 4, 0, 1}, []int{60, 30, 12, 2, 6}},   // √.25·60, √.04·60, √.01·60
		{[]float64{0, 0, 0, 8, 2}, []int{2, 2, 2, 60, 30}},       // opportunities without a lead of the key
		{[]float64{0, 0, 0, 0, 0}, []int{2, 2, 2, 2, 2}},         // nothing
		{[]float64{70, 25, 12, 6, 3}, []int{60, 36, 25, 18, 12}}, // √(25/70)·60 = 35.86
	} {
		got := shapeOf(c.vols)
		for i, b := range got {
			if b.W != c.want[i] || b.X != (60-c.want[i])/2 || b.Y != 6*i {
				t.Errorf("%v: bar %d is %+v, want width %d", c.vols, i, b, c.want[i])
			}
		}
	}
}

// The hand-off says where the leads that left were read from: in every
// view with a hand-off map and under the by-source tables; nothing when
// the run does not say.
func TestExitsNote(t *testing.T) {
	for _, c := range []struct {
		source kpi.LeadExitSource
		want   string
		n      int
	}{
		{kpi.ExitsFromLeadHistory, "their Status changes into an exit status in the period, from LeadHistory", 7}, // by-source; org, East, West, U1, Web, Webinar
		{kpi.ExitsFromCurrentStatus, "leads whose current Status is an exit status", 7},
		{"", "Leads that left (disqualified, recycled)", 0},
	} {
		p := smallPage()
		p.LeadExitSource = c.source
		var b bytes.Buffer
		if err := WritePage(&b, p); err != nil {
			t.Fatal(err)
		}
		if got := strings.Count(b.String(), c.want); got != c.n {
			t.Errorf("%q: %q %d times, want %d", c.source, c.want, got, c.n)
		}
	}
}
