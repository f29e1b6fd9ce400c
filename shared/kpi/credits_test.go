package kpi_test

import (
	"strings"
	"testing"
	"time"

	kpiconfig "github.com/venn-revops/venn/shared/config/kpi"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/kpi/kpigen"
	"github.com/venn-revops/venn/shared/period"
)

func halfUpConfig(t *testing.T) *kpi.Config {
	t.Helper()
	cfg, err := kpi.LoadConfig("half-up.yaml", []byte(strings.Replace(string(kpiconfig.Default), "rounding: largest_remainder", "rounding: half_up_largest_share", 1)))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestCreditRowsAddUp: on generated orgs, every opportunity's rows under
// each model sum exactly to its amount, and every influenced value (org,
// campaign, channel) is the sum of the rows flagged for its KPI.
func TestCreditRowsAddUp(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 6000 // a 2026Q4 to-date run needs this many leads for 1000 touched rows
	}
	for _, cfg := range []*kpi.Config{kpi.DefaultConfig(), halfUpConfig(t)} {
		for _, p := range []kpi.Period{q3Final, {Quarter: period.MustParse("2026Q4"), AsOf: time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)}} {
			res, err := kpi.Compute(cfg, kpigen.New(5, n).Inputs(), p, kpi.WithCredits())
			if err != nil {
				t.Fatal(err)
			}
			plain, err := kpi.Compute(cfg, kpigen.New(5, n).Inputs(), p)
			if err != nil {
				t.Fatal(err)
			}
			if len(plain.Credits) != 0 {
				t.Fatal("credit rows built without WithCredits")
			}
			checkCreditsAddUp(t, res)
		}
	}
}

func checkCreditsAddUp(t *testing.T, res *kpi.Result) {
	t.Helper()
	type oppModel struct{ opp, model string }
	perOpp := map[oppModel]int64{}
	amount := map[oppModel]int64{}
	sums := map[[4]string]int64{} // kpi, model, dim, key
	touched := 0
	// Deal counts from the rows of the opportunities created in the period
	// (rows come in touch order, so an opportunity's first touched row is
	// its first touch).
	deals := map[[4]string]map[string]bool{}
	deal := func(k [4]string, opp string) {
		if deals[k] == nil {
			deals[k] = map[string]bool{}
		}
		deals[k][opp] = true
	}
	firstSeen := map[oppModel]bool{}
	for _, c := range res.Credits {
		k := oppModel{c.Opportunity, c.Model}
		perOpp[k] += c.Cents
		amount[k] = c.Amount
		if c.Touch != "" {
			touched++
		}
		if c.Pipeline {
			if c.Touch == "" {
				for _, n := range []string{"opps_influenced", "opps_first_touch"} {
					deal([4]string{n, c.Model, kpi.DimCampaign, kpi.KeyUnattributed}, c.Opportunity)
					deal([4]string{n, c.Model, kpi.DimChannel, kpi.KeyUnattributed}, c.Opportunity)
				}
			} else {
				deal([4]string{"opps_influenced", c.Model, kpi.DimOrg, kpi.KeyAll}, c.Opportunity)
				deal([4]string{"opps_influenced", c.Model, kpi.DimCampaign, c.Campaign}, c.Opportunity)
				deal([4]string{"opps_influenced", c.Model, kpi.DimChannel, c.Channel}, c.Opportunity)
				if !firstSeen[k] {
					firstSeen[k] = true
					deal([4]string{"opps_first_touch", c.Model, kpi.DimOrg, kpi.KeyAll}, c.Opportunity)
					deal([4]string{"opps_first_touch", c.Model, kpi.DimCampaign, c.Campaign}, c.Opportunity)
					deal([4]string{"opps_first_touch", c.Model, kpi.DimChannel, c.Channel}, c.Opportunity)
				}
			}
		}
		for _, k := range []struct {
			name string
			in   bool
		}{{"mktg_influenced_pipeline", c.Pipeline}, {"mktg_influenced_bookings", c.Bookings}} {
			if !k.in {
				continue
			}
			sums[[4]string{k.name, c.Model, kpi.DimCampaign, c.Campaign}] += c.Cents
			sums[[4]string{k.name, c.Model, kpi.DimChannel, c.Channel}] += c.Cents
			if c.Touch != "" {
				sums[[4]string{k.name, c.Model, kpi.DimOrg, kpi.KeyAll}] += c.Cents
			}
		}
	}
	if touched < 1000 {
		t.Fatalf("%s: only %d touched credit rows: too thin to prove anything", res.Quarter, touched)
	}
	for k, c := range perOpp {
		if c != amount[k] {
			t.Errorf("%s %s: rows sum to %d cents, amount %d", k.opp, k.model, c, amount[k])
		}
	}
	checked := 0
	for _, v := range res.Values {
		if v.Model == "" || !strings.HasPrefix(v.KPI, "mktg_influenced_") || (v.Dimension != kpi.DimOrg && v.Dimension != kpi.DimCampaign && v.Dimension != kpi.DimChannel) {
			continue
		}
		if v.Unit == kpi.UnitCount {
			// The rows cover the opportunities with an amount: the
			// generated org has no zero-amount one in the period.
			if got := len(deals[[4]string{v.KPI, v.Model, v.Dimension, v.Key}]); int64(got) != v.Value.IntPart() {
				t.Errorf("%s %s %s=%s: %d opportunities in the rows, value %s", v.KPI, v.Model, v.Dimension, v.Key, got, v.Value)
			}
			checked++
			continue
		}
		got := sums[[4]string{v.KPI, v.Model, v.Dimension, v.Key}]
		if want := v.Value.Shift(2).IntPart(); got != want {
			t.Errorf("%s %s %s=%s: rows sum to %d cents, value %d", v.KPI, v.Model, v.Dimension, v.Key, got, want)
		}
		checked++
	}
	if checked < 100 {
		t.Fatalf("only %d values checked", checked)
	}
}
