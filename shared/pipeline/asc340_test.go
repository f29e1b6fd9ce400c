package pipeline_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/comp/statementstore"
	"github.com/venn-revops/venn/shared/period"
)

// With accounting.yaml in the comp folder the export writes asc340.csv
// beside payroll.csv, in the run folder and current/. P3's statement is
// the hand statement (total 3,370.00 incurred) with its 2,500.00
// commission paid on a new-business deal closed 2026-08-10: capitalised
// 2,500.00; amortised Aug–Sep 2/48 × 2,500 = 104.1666… → 104.17; expensed
// 3,370.00 − 2,500.00 + 104.17 = 974.17; asset 0 → 2,395.83. P1's
// statement pays no deal: all 3,370.00 expensed.
func TestExportASC340(t *testing.T) {
	ctx := context.Background()
	env, dir := exportEnv(t)
	cfg := compConfigWith(t, func(_ string, b []byte) []byte { return b })
	cfg[comp.AccountingFile] = &fstest.MapFile{Data: []byte("capitalise_deal_types: [new_business]\nbenefit_months: 48\npractical_expedient: true\n")}
	env.CompConfig = cfg
	p3 := handStatement("P3", "Ada Lovelace", "CC-US")
	p3.Credits = []comp.DealCredit{{DealID: "006N", DealName: "new deal", CloseDate: "2026-08-10", Type: "new_business", Role: comp.RoleOwner,
		Percent: decimal.NewFromInt(100), Credited: comp.Money{Decimal: decimal.NewFromInt(50000)},
		Payments: []comp.Payment{{Plan: "ae@v1", Component: "comm", Paid: comp.Money{Decimal: decimal.RequireFromString("2500.00")}}}}}
	if _, _, err := statementstore.SaveDrafts(ctx, env.Store, []comp.Statement{p3}); err != nil {
		t.Fatal(err)
	}
	if _, err := statementstore.Approve(ctx, env.Store, "2026Q3", []string{"P1", "P3"}, comp.Identity{ID: "local:finance"}, time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC), nil); err != nil {
		t.Fatal(err)
	}
	x, err := env.Export(ctx, period.MustParse("2026Q3"))
	if err != nil {
		t.Fatal(err)
	}
	cur, err := os.ReadFile(filepath.Join(dir, "exports/payroll/quarter=2026Q3/current/asc340.csv"))
	if err != nil {
		t.Fatal(err)
	}
	run, err := os.ReadFile(filepath.Join(dir, x.Meta["csv_asc340"]))
	if err != nil {
		t.Fatal(err)
	}
	want := "quarter,employee_id,person_id,name,cost_center,currency,incurred,capitalised,amortised,written_off,expensed,asset_opening,asset_closing\r\n" +
		"2026Q3,E-P1,P1,Ada Lovelace,CC-US,USD,3370.00,0.00,0.00,0.00,3370.00,0.00,0.00\r\n" +
		"2026Q3,E-P3,P3,Ada Lovelace,CC-US,USD,3370.00,2500.00,104.17,0.00,974.17,0.00,2395.83\r\n"
	if string(cur) != want || string(run) != want {
		t.Errorf("asc340.csv:\n%s\nrun copy:\n%s\nwant:\n%s", cur, run, want)
	}
	if !strings.HasPrefix(x.Current.Files["csv_asc340"], "exports/payroll/quarter=2026Q3/current/") {
		t.Errorf("current.json files %v", x.Current.Files)
	}
}
