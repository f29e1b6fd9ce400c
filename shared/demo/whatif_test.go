package demo

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/money"
)

// checkWhatIf checks the demo's quarter-to-date what-if files: one JSON
// and one text file per person with a quarter-to-date statement, each
// consistent (in-order additions add up to the total if all close; the
// projected total is earned plus that), and no amount of them in the
// jobs' logs (pay is private).
func checkWhatIf(t *testing.T, r *Report, logs string) {
	t.Helper()
	if r.WhatIf == nil {
		t.Fatal("the demo computed no what-if")
	}
	// Beside the statements (comp/), never with the KPI gold (kpi/).
	if !strings.HasPrefix(r.WhatIf.Folder, "comp/quarter=2026Q4/whatif/asof=2026-11-20/run=") {
		t.Errorf("what-if folder %s", r.WhatIf.Folder)
	}
	dir := filepath.Join(r.Lake, r.WhatIf.Folder)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2*len(r.WhatIf.Result.People) || len(entries) == 0 {
		t.Fatalf("%s holds %d files for %d people", dir, len(entries), len(r.WhatIf.Result.People))
	}
	withDeals := 0
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		var w comp.WhatIf
		if err := json.Unmarshal(b, &w); err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		txt, err := os.ReadFile(filepath.Join(dir, strings.TrimSuffix(e.Name(), ".json")+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		sum := decimal.Zero
		for _, d := range w.Deals {
			sum = sum.Add(d.AddsInOrder.Decimal)
			if !strings.Contains(string(txt), d.DealID) {
				t.Errorf("%s: the text file does not list deal %s", e.Name(), d.DealID)
			}
		}
		if !sum.Equal(w.IfAllClose.Decimal) || !w.Earned.Add(sum).Equal(w.Projected.Decimal) || !w.Earned.Equal(w.Statement.Total.Decimal) {
			t.Errorf("%s: earned %s + in-order additions %s, if all close %s, projected %s", e.Name(), w.Earned, sum, w.IfAllClose, w.Projected)
		}
		if len(w.Deals) > 0 {
			withDeals++
			if strings.Contains(logs, money.Format(w.Projected.Decimal)) && !w.Projected.IsZero() {
				t.Errorf("the logs show %s's projected pay %s", w.Name, money.Format(w.Projected.Decimal))
			}
		}
	}
	if withDeals == 0 {
		t.Error("no one in the demo has an open deal in the what-if")
	}
}
