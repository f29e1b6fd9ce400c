package pipeline

import (
	"context"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/venn-revops/venn/shared/comp"
	compconfig "github.com/venn-revops/venn/shared/config/comp"
	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/democrm"
	"github.com/venn-revops/venn/shared/money"
	"github.com/venn-revops/venn/shared/period"
)

// Payouts hand comp each deal's line items and the product catalogue, read
// from the lake the extract wrote from the demo CRM over HTTP; the lines
// are compared with the org's own records. An org without products gives
// no lines and no catalogue, and the sample AE plan's SPIF on products
// then stops the quarter before anything is computed, saying why.
func TestPayoutsReadProducts(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		shape democrm.Shape
		with  bool
	}{
		{"with products", democrm.Shape{}, true},
		{"without products", democrm.WithoutContracts(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			org, e := extractedOrg(t, tc.shape)
			e.CompConfig = compconfig.FS()
			snaps, err := e.payoutSnapshots(ctx)
			if err != nil {
				t.Fatal(err)
			}
			book, err := e.readDeals(ctx, snaps)
			if err != nil {
				t.Fatal(err)
			}
			// The org's own line items, summed per opportunity.
			wantUnits := map[string]decimal.Decimal{}
			col := crm.OpportunityLineItem.Column
			err = org.Each(crm.OpportunityLineItem, func(r *crm.Row) error {
				opp := r.Values[col("opportunity_id")].S
				wantUnits[opp] = wantUnits[opp].Add(money.FromCents(r.Values[col("quantity")].I))
				return nil
			})
			if err != nil && tc.with {
				t.Fatal(err)
			}
			gotUnits := map[string]decimal.Decimal{}
			lines := 0
			for opp, ls := range book.lines {
				for _, l := range ls {
					lines++
					if l.NoQuantity || l.ProductID == "" {
						t.Errorf("line %s: %+v", l.ID, l)
					}
					gotUnits[opp] = gotUnits[opp].Add(l.Quantity)
				}
			}
			if len(gotUnits) != len(wantUnits) {
				t.Errorf("%d opportunities with lines, the org has %d", len(gotUnits), len(wantUnits))
			}
			for opp, u := range wantUnits {
				if !gotUnits[opp].Equal(u) {
					t.Errorf("opportunity %s: %s units, the org has %s", opp, gotUnits[opp], u)
				}
			}
			if tc.with && (lines != org.Count(crm.OpportunityLineItem) || len(book.products) != org.Count(crm.Product2) || lines == 0) {
				t.Errorf("%d lines and %d products, the org has %d and %d", lines, len(book.products), org.Count(crm.OpportunityLineItem), org.Count(crm.Product2))
			}
			if !tc.with && (lines != 0 || len(book.products) != 0) {
				t.Errorf("an org without products: %d lines, %d products", lines, len(book.products))
			}

			// comp gets them: the quarter the sample SPIF runs in validates
			// with a catalogue, and is refused without one.
			cfg, err := comp.CheckConfig(e.CompConfig, knownKPI)
			if err != nil {
				t.Fatal(err)
			}
			people, err := e.people(ctx, snaps[crm.User.Name])
			if err != nil {
				t.Fatal(err)
			}
			rates, err := e.readRates(ctx, snaps) // the org's EUR deal converts at them
			if err != nil {
				t.Fatal(err)
			}
			q := period.MustParse("2026Q3")
			err = comp.ValidateRun(comp.RunInput{Quarter: q, People: people, Plans: cfg.Plans, Assignments: cfg.Assignments, KnownKPI: knownKPI,
				Deals: book.dealsAt(q.End(), e.KPIConfig), Products: book.products, Rates: rates})
			switch {
			case tc.with && err != nil:
				t.Fatalf("with products: %v", err)
			case !tc.with && (err == nil || !strings.Contains(err.Error(), "components[analytics_spif].spif.match: plan ae@v1 matches products, but the run has no product catalogue")):
				t.Fatalf("without products: err = %v", err)
			}
		})
	}
}
