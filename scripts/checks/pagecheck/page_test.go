// Package pagecheck renders the demo's scorecard page in headless Chromium
// and checks what it shows against the gold rows read back with DuckDB.
// It lives in the checks module so that neither the browser driver nor
// cgo reaches the Lambda binaries.
package pagecheck

import (
	"bytes"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/demo"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/lake"
)

var (
	screenshot   = flag.String("screenshot", "", "also write the page's screenshot to this file (docs/img/scorecard.png)")
	screenshotBy = flag.String("screenshot-by", "", "also write a screenshot of the hand-off by team and lead source to this file (docs/img/scorecard-by-source.png)")
)

// chromium finds Debian's chromium (or another Chrome). Without one the
// test skips, except under CI=true, where .ci/run installs it.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no chromium on PATH: apt-get install -y chromium (the scorecard page is checked in a real browser)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// goldRow is one gold KPI row as DuckDB reads it.
type goldRow struct {
	value   decimal.Decimal
	defined bool
	model   string
}

// domCell is one figure of the page: the cell's data attributes and text.
type domCell struct {
	KPI   string `json:"kpi"`
	Dim   string `json:"dim"`
	Key   string `json:"key"`
	Model string `json:"model"`
	Value string `json:"value"`
	Text  string `json:"text"`
}

// TestDemoPageShowsTheGoldRows runs the demo, opens its quarter-to-date
// page in headless Chromium, takes a screenshot, and checks every figure
// of the org's view, of one team's view and of the hand-off by team and
// by lead source against the gold partition the KPI job committed, read
// independently with DuckDB: the exact value in the cell's data, the
// number as printed (parsed back, at the printed precision), and that no
// gold row of those views (no team or lead source with a funnel) is
// missing from them.
func TestDemoPageShowsTheGoldRows(t *testing.T) {
	exe := chromium(t)
	ctx := context.Background()
	r, err := demo.Run(ctx, demo.Options{Out: t.TempDir()}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(r.Lake, r.QTD.Scorecard.Page)
	gold := readGold(t, r.Lake, r.QTD.Gold.Files)
	team := ""
	for k := range gold {
		if k.dim == kpi.DimTeam && k.key != kpi.KeyNone && (team == "" || k.key < team) {
			team = k.key
		}
	}
	if team == "" {
		t.Fatal("the demo's gold partition has no team rows")
	}

	alloc, cancel := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1500, 1700))...)
	defer cancel()
	// No timeout on the browser's context (chromedp.Run: it would stop
	// the browser); go test's -timeout bounds a hang.
	bctx, cancel := chromedp.NewContext(alloc)
	defer cancel()

	url := "file://" + page
	if err := chromedp.Do(bctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.ID("v-org-all"))); err != nil {
		t.Fatalf("chromium on %s: %v", url, err)
	}
	shot, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 800 || b.Dy() < 600 {
		t.Errorf("screenshot is %v", b)
	}
	if *screenshot != "" {
		if err := os.WriteFile(*screenshot, shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runID, err := chromedp.Run(bctx, chromedp.Text(chromedp.ID("run-id")))
	if err != nil {
		t.Fatal(err)
	}
	hash, err := chromedp.Run(bctx, chromedp.Text(chromedp.ID("config-hash")))
	if err != nil {
		t.Fatal(err)
	}
	// The hand-off says where the run read the leads that left.
	exits, err := chromedp.Run(bctx, chromedp.Text(chromedp.ID("v-org-all")))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[kpi.LeadExitSource]string{kpi.ExitsFromLeadHistory: "from LeadHistory", kpi.ExitsFromCurrentStatus: "current Status is an exit status"}[r.QTD.Result.LeadExitSource]; want == "" || !strings.Contains(exits, want) {
		t.Errorf("the org's hand-off does not say where the exits were read from (%q, want %q)", r.QTD.Result.LeadExitSource, want)
	}
	if runID != r.QTD.Gold.RunID || hash != r.QTD.Result.ConfigHash {
		t.Errorf("page names run %q definitions %q; gold run %q definitions %q", runID, hash, r.QTD.Gold.RunID, r.QTD.Result.ConfigHash)
	}
	org, err := chromedp.Run(bctx, chromedp.Evaluate[[]domCell](cellsJS("#v-org-all")))
	if err != nil {
		t.Fatal(err)
	}

	// The team's view is a tab: following its link shows it and hides
	// the org's.
	panelID, err := chromedp.Run(bctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector('section.view[data-dim="team"][data-key=%q]').id`, team)))
	if err != nil {
		t.Fatalf("team %s: %v", team, err)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(url+"#"+panelID), chromedp.WaitVisible(chromedp.ID(panelID))); err != nil {
		t.Fatalf("team view %s: %v", panelID, err)
	}
	display := func(id string) string {
		d, err := chromedp.Run(bctx, chromedp.Evaluate[string](fmt.Sprintf(`getComputedStyle(document.getElementById(%q)).display`, id)))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if team, org := display(panelID), display("v-org-all"); team == "none" || org != "none" {
		t.Errorf("after following #%s: team view display %q, org view %q", panelID, team, org)
	}
	teamCells, err := chromedp.Run(bctx, chromedp.Evaluate[[]domCell](cellsJS("#"+panelID)))
	if err != nil {
		t.Fatal(err)
	}

	for _, view := range []struct {
		dim, key string
		cells    []domCell
	}{{kpi.DimOrg, kpi.KeyAll, org}, {kpi.DimTeam, team, teamCells}} {
		checkView(t, view.dim, view.key, view.cells, gold)
	}
	by, err := chromedp.Run(bctx, chromedp.Evaluate[[]domCell](cellsJS("#handoff-by")))
	if err != nil {
		t.Fatal(err)
	}
	checkBreakdown(t, by, gold)
	if *screenshotBy != "" {
		if err := chromedp.Do(bctx, chromedp.Navigate(url+"#handoff-by"), chromedp.WaitVisible(chromedp.ID("handoff-by"))); err != nil {
			t.Fatal(err)
		}
		shot, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if err := os.WriteFile(*screenshotBy, shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	checkPhone(bctx, t, url)
}

// checkPhone opens the page at a phone's width (390 CSS pixels, as a
// phone's browser lays it out) and checks that the page itself does not
// scroll sideways: wide tables scroll inside their own boxes, and long
// words (hashes, ids) wrap.
func checkPhone(bctx context.Context, t *testing.T, url string) {
	t.Helper()
	const width = 390
	if _, err := chromedp.Call(bctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: width, Height: 800, DeviceScaleFactor: 1, Mobile: true}); err != nil {
		t.Fatal(err)
	}
	for _, frag := range []string{"", "#handoff-by"} {
		if err := chromedp.Do(bctx, chromedp.Navigate(url+frag), chromedp.WaitVisible(chromedp.ID("v-org-all"))); err != nil {
			t.Fatal(err)
		}
		got, err := chromedp.Run(bctx, chromedp.Evaluate[[]int](`[window.innerWidth, document.documentElement.scrollWidth]`))
		if err != nil {
			t.Fatal(err)
		}
		if got[0] != width || got[1] > width {
			t.Errorf("at a phone's width (%d px) the page%s lays out %d px wide and scrolls to %d px", width, frag, got[0], got[1])
		}
	}
}

// cellsJS collects the run's figures inside one element: each cell's data
// attributes, its dimension and key from the cell or the nearest element
// that carries them (a view's section, a row of the by-source tables).
func cellsJS(sel string) string {
	return fmt.Sprintf(`Array.from(document.querySelectorAll(%q + ' td[data-kpi]:not([data-set])')).map(td => {
		const scope = td.closest('[data-dim]');
		return {kpi: td.dataset.kpi, dim: scope.dataset.dim, key: scope.dataset.key, model: td.dataset.model || "",
			value: td.dataset.value || "", text: td.textContent.trim()};
	})`, sel)
}

type goldKey struct{ kpi, dim, key, model string }

// checkView checks one view's figures against gold and that every
// unmodeled gold row of its key is among them.
func checkView(t *testing.T, dim, key string, cells []domCell, gold map[goldKey]goldRow) {
	t.Helper()
	if len(cells) < 20 {
		t.Fatalf("%s %s: only %d figures on the page", dim, key, len(cells))
	}
	for _, c := range cells {
		if c.Dim != dim || c.Key != key {
			t.Errorf("%s %s view shows %s of %s %s", dim, key, c.KPI, c.Dim, c.Key)
		}
	}
	shown := checkCells(t, cells, gold)
	// Every unmodeled gold row of the view is on it (influenced KPIs, by
	// model, are in the attribution section by channel and campaign).
	for k, g := range gold {
		if k.dim == dim && k.key == key && g.model == "" && !shown[k] {
			t.Errorf("%s %s: gold row %s is not on the page", dim, key, k.kpi)
		}
	}
	t.Logf("%s %s: %d figures checked against %d gold rows", dim, key, len(cells), len(shown))
}

// checkCells compares each figure with its gold row: the exact value in
// the cell's data, the number as printed (parsed back, at the printed
// precision), n/a exactly where gold has no defined value. It returns the
// gold rows shown.
func checkCells(t *testing.T, cells []domCell, gold map[goldKey]goldRow) map[goldKey]bool {
	t.Helper()
	shown := map[goldKey]bool{}
	for _, c := range cells {
		k := goldKey{c.KPI, c.Dim, c.Key, c.Model}
		g, ok := gold[k]
		if !ok {
			if _, inCatalog := kpi.Lookup(c.KPI); c.Value != "" || (c.Text != "n/a" && !(c.Text == "not in catalog" && !inCatalog)) {
				t.Errorf("%s %s: page shows %s = %q (%q); no gold row", c.Dim, c.Key, c.KPI, c.Text, c.Value)
			}
			continue
		}
		shown[k] = true
		if !g.defined {
			if c.Value != "" || c.Text != "n/a" {
				t.Errorf("%s %s: %s is undefined in gold; page shows %q (%q)", c.Dim, c.Key, c.KPI, c.Text, c.Value)
			}
			continue
		}
		exact, err := decimal.NewFromString(c.Value)
		if err != nil || !exact.Equal(g.value) {
			t.Errorf("%s %s: %s data-value %q, gold %s", c.Dim, c.Key, c.KPI, c.Value, g.value)
		}
		if err := printedEquals(c.Text, g.value); err != nil {
			t.Errorf("%s %s: %s: %v", c.Dim, c.Key, c.KPI, err)
		}
	}
	return shown
}

// funnelVolumes are the stage volumes of the hand-off (docs/kpis.md 2.1):
// a team or lead source with a gold row of one of them has a funnel.
var funnelVolumes = []string{"leads", "mqls", "sqls", "opps_created", "opps_won"}

// checkBreakdown checks the hand-off by team and by lead source: every
// figure equals its gold row; the rows are exactly the teams and lead
// sources (the funnel KPIs' channel keys) with a gold stage volume; each
// row shows the same figures, the stage volumes among them.
func checkBreakdown(t *testing.T, cells []domCell, gold map[goldKey]goldRow) {
	t.Helper()
	checkCells(t, cells, gold)
	type dk struct{ dim, key string }
	rows := map[dk][]string{}
	for _, c := range cells {
		rows[dk{c.Dim, c.Key}] = append(rows[dk{c.Dim, c.Key}], c.KPI)
	}
	want := map[dk]bool{}
	for k := range gold {
		if (k.dim == kpi.DimTeam || k.dim == kpi.DimChannel) && k.model == "" && slices.Contains(funnelVolumes, k.kpi) {
			want[dk{k.dim, k.key}] = true
		}
	}
	for k := range want {
		if rows[k] == nil {
			t.Errorf("by team and source: no row for %s %s, which has gold stage volumes", k.dim, k.key)
		}
	}
	var first []string
	for k, kpis := range rows {
		if !want[k] {
			t.Errorf("by team and source: a row for %s %s, which has no gold stage volume", k.dim, k.key)
		}
		if first == nil {
			first = kpis
		}
		if !slices.Equal(kpis, first) {
			t.Errorf("by team and source: %s %s shows %q, another row %q", k.dim, k.key, kpis, first)
		}
	}
	for _, v := range funnelVolumes {
		if !slices.Contains(first, v) {
			t.Errorf("by team and source: no %s column", v)
		}
	}
	sources := 0
	for k := range rows {
		if k.dim == kpi.DimChannel {
			sources++
		}
	}
	if sources < 3 {
		t.Errorf("by team and source: %d lead sources; the demo org has more", sources)
	}
	t.Logf("by team and source: %d rows (%d lead sources), %d figures checked", len(rows), sources, len(cells))
}

// printedEquals parses a printed figure ("1,509,922.37", "43.8%",
// "32.26x", "56") back and compares it with the gold value rounded to the
// printed precision (half away from zero, as decimal.Round).
func printedEquals(text string, gold decimal.Decimal) error {
	s := strings.ReplaceAll(text, ",", "")
	want := gold
	switch {
	case strings.HasSuffix(s, "%"):
		s, want = strings.TrimSuffix(s, "%"), gold.Shift(2)
	case strings.HasSuffix(s, "x"):
		s = strings.TrimSuffix(s, "x")
	}
	got, err := decimal.NewFromString(s)
	if err != nil {
		return fmt.Errorf("printed %q is not a number", text)
	}
	places := int32(0)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		places = int32(len(s) - i - 1)
	}
	if !got.Equal(want.Round(places)) {
		return fmt.Errorf("printed %q, gold %s rounds to %s", text, gold, want.Round(places))
	}
	return nil
}

// readGold reads the committed gold files with DuckDB: org, team and
// channel (lead source) rows.
func readGold(t *testing.T, lakeDir string, files []lake.File) map[goldKey]goldRow {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var paths []string
	for _, f := range files {
		paths = append(paths, "'"+filepath.Join(lakeDir, f.Key)+"'")
	}
	if len(paths) == 0 {
		t.Fatal("gold manifest lists no files")
	}
	rows, err := db.Query(`SELECT kpi, dimension, key, model, CAST(value AS VARCHAR), defined
		FROM read_parquet([` + strings.Join(paths, ",") + `]) WHERE dimension IN ('org', 'team', 'channel')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[goldKey]goldRow{}
	for rows.Next() {
		var k goldKey
		var v string
		var g goldRow
		if err := rows.Scan(&k.kpi, &k.dim, &k.key, &k.model, &v, &g.defined); err != nil {
			t.Fatal(err)
		}
		g.value, g.model = decimal.RequireFromString(v), k.model
		out[k] = g
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
