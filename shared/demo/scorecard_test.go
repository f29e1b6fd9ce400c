package demo

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
	"github.com/venn-revops/venn/shared/money"
	"github.com/venn-revops/venn/shared/pipeline"
)

// checkScorecards checks the demo's scorecard pages and digests (called by
// TestDemoEndToEnd on its run): each beside its gold partition but outside
// the Parquet run folder; the final page compared with the previous
// quarter's stored final, the quarter to date with the same point of the
// previous quarter (as the demo computed it on its own); the sparklines
// over the stored finals; owner views by name; and no pay anywhere.
func checkScorecards(t *testing.T, r *Report) {
	t.Helper()
	ctx := context.Background()
	blob, err := fsblob.New(r.Lake)
	if err != nil {
		t.Fatal(err)
	}
	read := func(key string) string {
		t.Helper()
		rc, err := blob.Get(ctx, key)
		if err != nil {
			t.Fatalf("scorecard file: %v", err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	pages := map[string]string{}
	for _, run := range []*pipeline.KPIRun{r.PrevClosed, r.ClosedKPIs, r.QTD} {
		sc := run.Scorecard
		for _, key := range []string{sc.Page, sc.DigestText, sc.DigestHTML} {
			if !strings.HasPrefix(key, run.Gold.Partition+"/scorecard/run=") || strings.HasPrefix(key, lake.RunFolder(run.Gold.Partition, run.Gold.RunID)+"/") {
				t.Errorf("%s: not beside the gold partition %s, outside its run folder", key, run.Gold.Partition)
			}
			pages[key] = read(key)
		}
	}
	compared := func(page string, res *kpi.Result) {
		t.Helper()
		v, _ := res.Get("bookings", kpi.DimOrg, kpi.KeyAll, "")
		// The org's view carries its dimension and key once for its cells.
		org := `<section id="v-org-all" class="view view-default" aria-labelledby="v-org-all-h" data-dim="org" data-key="all">`
		if i := strings.Index(page, org); i >= 0 {
			page = page[i : i+strings.Index(page[i:], "</section>")]
		}
		cell := `data-set="compare" data-kpi="bookings" data-value="` + v.Value.String() + `"`
		if !strings.HasPrefix(page, org) || !strings.Contains(page, cell) {
			t.Errorf("page does not compare bookings with %s %s (%s)", res.Quarter, v.Value, cell)
		}
	}
	compared(pages[r.ClosedKPIs.Scorecard.Page], r.PrevClosed.Result)
	compared(pages[r.QTD.Scorecard.Page], r.QTDPrev)
	// The bookings sparkline of the quarter to date: the two stored
	// finals, then the run.
	var trend []string
	for _, res := range []*kpi.Result{r.PrevClosed.Result, r.ClosedKPIs.Result, r.QTD.Result} {
		v, _ := res.Get("bookings", kpi.DimOrg, kpi.KeyAll, "")
		trend = append(trend, kpi.Display(v))
	}
	want := r.PrevClosed.Result.Quarter + " " + trend[0] + "; " + r.ClosedKPIs.Result.Quarter + " " + trend[1] + "; 2026Q4 " + trend[2]
	if !strings.Contains(pages[r.QTD.Scorecard.Page], want) {
		t.Errorf("quarter-to-date page has no bookings trend %q", want)
	}
	if !strings.Contains(pages[r.QTD.Scorecard.DigestText], "What moved since 2026Q4 to 2026-11-13 (org):") {
		t.Errorf("digest:\n%s", pages[r.QTD.Scorecard.DigestText])
	}
	// Pay is private: KPIs by owner (named) are shared, no statement's
	// total, line or plan is.
	for key, page := range pages {
		for _, word := range []string{"commission", "payout", "bonus", "clawback"} {
			if strings.Contains(strings.ToLower(page), word) {
				t.Errorf("%s mentions %q", key, word)
			}
		}
		for _, s := range append(r.Payouts.Statements, r.PrevPayouts.Statements...) {
			if strings.Contains(page, ">"+money.Format(s.Total.Decimal)+"<") {
				t.Errorf("%s shows %s's pay", key, s.Name)
			}
		}
	}
	// The owner views are labelled with the person's name.
	if !strings.Contains(pages[r.QTD.Scorecard.Page], ">Jordan Lee</a>") {
		t.Errorf("quarter-to-date page has no owner view labelled Jordan Lee")
	}
}
