package pipeline

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/democrm"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/lake"
)

// Payouts read the org's exchange rates from the lake after an extract of
// the demo CRM over HTTP: the multi-currency demo org's CurrencyType
// (corporate USD, EUR 0.92, GBP 0.79) and its dated rates, valid for comp;
// a single-currency org (no currency objects) gives no rates and no error.
func TestPayoutRatesFromLake(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		shape democrm.Shape
		multi bool
	}{{"multi-currency", democrm.Shape{}, true}, {"single-currency", democrm.SingleCurrency(), false}} {
		t.Run(tc.name, func(t *testing.T) {
			org, e := extractedOrg(t, tc.shape)
			snaps := map[string]*lake.Manifest{}
			if err := e.optionalSnapshots(ctx, snaps, rateInputs...); err != nil {
				t.Fatal(err)
			}
			rates, err := e.readRates(ctx, snaps)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.multi {
				if len(snaps) != 0 || rates.Corporate != "" || len(rates.Static)+len(rates.Dated) != 0 {
					t.Fatalf("single-currency org: snapshots %v, rates %+v; want none", snaps, rates)
				}
				return
			}
			if got := fmt.Sprint(rates.Corporate, rates.Static); got != "USD[{EUR 0.92} {GBP 0.79} {USD 1}]" {
				t.Errorf("static rates %s", got)
			}
			if n := int64(org.Count(crm.DatedConversionRate)); int64(len(rates.Dated)) != n || n == 0 {
				t.Errorf("%d dated rates, the org has %d", len(rates.Dated), n)
			}
			if errs := comp.ValidateRates(rates); len(errs) > 0 {
				t.Errorf("the demo org's rates do not validate: %v", errs)
			}
		})
	}
}

// A multi-currency org's opportunity currency reaches comp's Deal; a blank
// one (a single-currency org has no CurrencyIsoCode) is the org currency.
func TestDealCurrencyCarried(t *testing.T) {
	cfg := kpi.DefaultConfig()
	won := true
	opp := func(id, cur string) *oppRow {
		amount := int64(920000)
		return &oppRow{Opportunity: kpi.Opportunity{ID: id, OwnerID: "005A", StageName: "Closed Won", IsWon: &won, IsClosed: &won,
			Amount: &amount, CurrencyIsoCode: cur, CloseDate: int32(crm.Days(time.Date(2026, 8, 14, 0, 0, 0, 0, time.UTC)))}}
	}
	b := &dealBook{opps: map[string]*oppRow{"006A": opp("006A", "EUR"), "006B": opp("006B", "")}}
	deals := b.dealsAt(time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), cfg)
	if len(deals) != 2 || deals[0].Currency != "EUR" || deals[1].Currency != cfg.Currency {
		t.Fatalf("deals %+v: want EUR, then the org currency %s", deals, cfg.Currency)
	}
}
