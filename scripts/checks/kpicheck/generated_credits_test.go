package kpicheck

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/kpisql"
)

// TestGeneratedCreditsAgreeWithEngine runs shared/kpisql's credit and
// response tables on
// DuckDB over generated orgs (two seeds) for the periods of checkPeriods
// under the default and the variant configuration (other windows, weights,
// touch instant, rounding, lead-creation pick) and compares every credit
// row with the engine's: model, opportunity, touch, campaign, channel,
// instant, position, weight, cents, amount, window rule and flags; and
// every response row (MQL, clock, deadline, first response and responder,
// due, within SLA, queue, owner, team).
func TestGeneratedCreditsAgreeWithEngine(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 5000
	}
	ctx := context.Background()
	variant, err := VariantConfig()
	if err != nil {
		t.Fatal(err)
	}
	positions := map[string]bool{}
	responses := 0
	for _, seed := range []uint64{42, 7} {
		b, files, db := generatedOrg(t, seed, n)
		tables, err := ViewTables(db)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range checkPeriods {
			for _, cfg := range []*kpi.Config{kpi.DefaultConfig(), variant} {
				res, err := kpi.Compute(cfg, files.Inputs(ctx, b, 2), p, kpi.WithCredits(), kpi.WithResponses())
				if err != nil {
					t.Fatal(err)
				}
				got, err := RunGeneratedCredits(db, kpisql.DuckDB, cfg, p, tables)
				if err != nil {
					t.Fatal(err)
				}
				want := slices.Clone(res.Credits)
				kpisql.SortCredits(want)
				what := fmt.Sprintf("seed %d, %s, %s as of %s", seed, cfg.Name, p.Quarter, p.AsOf.Format(time.RFC3339))
				t.Logf("%s: %d credit rows (engine %d)", what, len(got), len(want))
				if diff := CompareCredits(want, got, 5); len(diff) > 0 {
					t.Errorf("%s: credit rows differ:\n%s", what, diff)
				}
				for _, c := range want {
					positions[c.Position] = true
				}
				// The response table of the same run.
				resps, err := RunGeneratedResponses(db, kpisql.DuckDB, cfg, p, tables)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(res.Responses, resps) {
					t.Errorf("%s: response rows differ (engine %d, sql %d):\n%s", what, len(res.Responses), len(resps), firstDiff(res.Responses, resps))
				}
				responses += len(resps)
			}
		}
	}
	if responses == 0 {
		t.Error("no response rows: the generated orgs give the response table nothing to compare")
	}
	// The orgs must exercise the labels: positions, middle, touch, none, unattributed.
	for _, p := range []string{"first_touch", "middle", "touch", "none", kpi.KeyUnattributed} {
		if !positions[p] {
			t.Errorf("no credit row has position %q: the generated orgs do not exercise it", p)
		}
	}
}

// firstDiff describes the first response row that differs.
func firstDiff(a, b []kpi.Response) string {
	for i := range max(len(a), len(b)) {
		var x, y kpi.Response
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return fmt.Sprintf("row %d: engine %+v\n\tsql    %+v", i, x, y)
		}
	}
	return ""
}
