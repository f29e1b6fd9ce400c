package kpi

import (
	"slices"
	"strings"
	"testing"
	"time"

	kpiconfig "github.com/venn-revops/venn/shared/config/kpi"
	"github.com/venn-revops/venn/shared/period"
)

func TestDefaultConfigLoads(t *testing.T) {
	c := DefaultConfig()
	if c.Version != 1 || c.Currency != "USD" || len(c.Attribution) != len(Models) || c.Hash == "" {
		t.Fatalf("default config: %+v", c)
	}
	if got := c.Class("Renewal"); got != ClassRenewal {
		t.Errorf("class(Renewal) = %q", got)
	}
	if got := c.Class(""); got != ClassNewBusiness {
		t.Errorf("untyped class = %q", got)
	}
	if c.LeadCreation != (LeadCreation{Pick: LCFirst, Grace: time.Minute}) {
		t.Errorf("lead_creation = %+v, want first, 1m", c.LeadCreation)
	}
}

// TestConfigRejects has one case per rejection reason: each edits the
// default file and names the error text the person fixing it will see.
func TestConfigRejects(t *testing.T) {
	base := string(kpiconfig.Default)
	edit := func(old, new string) string {
		if !strings.Contains(base, old) {
			t.Fatalf("default.yaml no longer contains %q", old)
		}
		return strings.Replace(base, old, new, 1)
	}
	cases := []struct {
		name, data, want string
	}{
		{"empty file", "", "empty file"},
		{"only a comment", "# nothing\n", "empty file"},
		{"two documents", base + "\n---\nversion: 1\n", "more than one YAML document"},
		{"not a mapping", "- 1\n- 2\n", "want a mapping"},
		{"unknown key", edit("currency: USD", "currency: USD\ncolour: blue"), `unknown key "colour"`},
		{"key without value", edit("sla_hours: 24", "sla_hours:"), "lead_response.sla_hours: a value is required"},
		{"list item without value", edit("lead_sources: [Web,", "lead_sources: [~,"), "marketing.lead_sources[0]: a value is required"},
		{"alias", edit("meetings:\n  task_types: [Meeting]", "meetings:\n  task_types: &m [Meeting]\nx: *m"), "aliases are not allowed"},
		{"wrong version", edit("version: 1", "version: 2"), "version: must be 1, got 2"},
		{"bad currency", edit("currency: USD", "currency: usd"), "currency: want an ISO 4217 code"},
		{"bad stage date field", edit("date_field: mql_date", "date_field: created"), "funnel.mql.date_field: want one of"},
		{"cohort rule unknown", edit("cohort: non_nested", "cohort: flat"), `funnel.cohort: want one of non_nested, nested, got "flat"`},
		{"cohort rule missing", edit("  cohort: non_nested\n", ""), `funnel.cohort: want one of non_nested, nested, got ""`},
		{"won stage also lost", edit("lost_stages: [Closed Lost]", "lost_stages: [Closed Lost, Closed Won]"), "also a won stage"},
		{"unknown class", edit("    renewal: [Renewal", "    churn: [Churned]\n    renewal: [Renewal"), "opportunities.types.churn: unknown class"},
		{"type in two classes", edit("renewal: [Renewal,", "renewal: [Upsell, Renewal,"), "already in class"},
		{"bad untyped", edit("untyped: new_business", "untyped: other"), "opportunities.untyped: want one of"},
		{"unknown funnel class", edit("funnel_classes: [new_business, expansion]", "funnel_classes: [new_business, upsell]"), "unknown class \"upsell\""},
		{"empty list", edit("lead_sources: [Web, Webinar, Event, Content, Paid Search, Email, Trade Show]", "lead_sources: []"), "marketing.lead_sources: required"},
		{"negative window", edit("lookback_days: 180", "lookback_days: -1"), "attribution.lookback_days: must not be negative, got -1"},
		{"missing window", edit("  lookback_days: 180\n", ""), "attribution.lookback_days: required"},
		{"missing responded_only", edit("  responded_only: true\n", ""), "attribution.responded_only: required"},
		{"unknown model", edit("    even:\n", "    j_shaped: {window: close, weights: {first_touch: 1}}\n    even:\n"), "attribution.models.j_shaped: unknown model"},
		{"weights not summing to 1", edit("{first_touch: 0.4, lead_creation: 0.4, middle: 0.2}", "{first_touch: 0.4, lead_creation: 0.4, middle: 0.1}"), "attribution.models.u_shaped.weights: must sum to 1, got 0.9"},
		{"negative weight", edit("{first_touch: 0.4, lead_creation: 0.4, middle: 0.2}", "{first_touch: 0.7, lead_creation: 0.4, middle: -0.1}"), "u_shaped.weights.middle: must not be negative"},
		{"unknown position", edit("{first_touch: 0.4, lead_creation: 0.4, middle: 0.2}", "{first_touch: 0.4, closed: 0.4, middle: 0.2}"), "u_shaped.weights.closed: unknown position"},
		{"only middle", edit("{first_touch: 0.4, lead_creation: 0.4, middle: 0.2}", "{middle: 1}"), "needs at least one position other than middle"},
		{"weight not a number", edit("{first_touch: 0.4, lead_creation: 0.4, middle: 0.2}", "{first_touch: forty, lead_creation: 0.4, middle: 0.2}"), "not a decimal number"},
		{"even with weights", edit("    even:\n      window: opp_creation\n", "    even:\n      window: opp_creation\n      weights: {first_touch: 1}\n"), "even takes no weights"},
		{"positional without weights", edit("      weights: {first_touch: 1}\n", ""), "attribution.models.first_touch.weights: required"},
		{"half-life missing", edit("      half_life_days: 7\n", ""), "time_decay.half_life_days: required"},
		{"half-life zero", edit("half_life_days: 7", "half_life_days: 0"), "half_life_days: must be positive"},
		{"half-life on positional", edit("weights: {opp_creation: 1}", "weights: {opp_creation: 1}\n      half_life_days: 7"), "only time_decay has a half-life"},
		{"old position first", edit("weights: {first_touch: 1}", "weights: {first: 1}"), `first_touch.weights.first: position "first" was renamed: use first_touch`},
		{"old position last", edit("weights: {opp_creation: 1}", "weights: {last: 1}"), `last_touch.weights.last: position "last" was renamed: use opp_creation`},
		{"window missing", edit("    first_touch:\n      window: opp_creation\n", "    first_touch:\n"), "attribution.models.first_touch.window: required: opp_creation"},
		{"unknown window", edit("    first_touch:\n      window: opp_creation\n", "    first_touch:\n      window: forever\n"), `first_touch.window: required: opp_creation (pipeline credit`},
		{"closed won before close", edit("    full_path:\n      window: close", "    full_path:\n      window: opp_creation"), "full_path.weights.closed_won: closed_won needs window: close"},
		{"weight beyond 9 decimals", edit("{first_touch: 0.4, lead_creation: 0.4, middle: 0.2}", "{first_touch: 0.4000000001, lead_creation: 0.3999999999, middle: 0.2}"), "u_shaped.weights.first_touch: at most 9 decimals"},
		{"touch time missing", edit("  touch_time: [created_date]\n", ""), "attribution.touch_time: required"},
		{"touch time unknown", edit("touch_time: [created_date]", "touch_time: [last_modified_date]"), `attribution.touch_time: unknown field "last_modified_date"`},
		{"touch time twice", edit("touch_time: [created_date]", "touch_time: [created_date, created_date]"), "created_date listed twice"},
		{"rounding unknown", edit("rounding: largest_remainder", "rounding: banker"), `attribution.rounding: want largest_remainder, half_up_largest_share, got "banker"`},
		{"rounding missing", edit("  rounding: largest_remainder\n", ""), "attribution.rounding: want"},
		{"lead creation missing", edit("  lead_creation: {pick: first, grace: 1m}\n", ""), "attribution.lead_creation: required"},
		{"lead creation pick unknown", edit("lead_creation: {pick: first, grace: 1m}", "lead_creation: {pick: middle, grace: 1m}"), `attribution.lead_creation.pick: want first, last, got "middle"`},
		{"lead creation pick missing", edit("lead_creation: {pick: first, grace: 1m}", "lead_creation: {grace: 1m}"), `attribution.lead_creation.pick: want first, last, got ""`},
		{"lead creation grace negative", edit("lead_creation: {pick: first, grace: 1m}", "lead_creation: {pick: first, grace: -1s}"), "attribution.lead_creation.grace: must not be negative, got -1s"},
		{"lead creation grace unparsable", edit("lead_creation: {pick: first, grace: 1m}", "lead_creation: {pick: first, grace: a minute}"), `attribution.lead_creation.grace: not a duration (e.g. 1m, 30s, 0s): "a minute"`},
		{"lead creation grace bare number", edit("lead_creation: {pick: first, grace: 1m}", "lead_creation: {pick: first, grace: 60}"), "attribution.lead_creation.grace: not a duration"},
		{"lead creation grace missing", edit("lead_creation: {pick: first, grace: 1m}", "lead_creation: {pick: first}"), "attribution.lead_creation.grace: required"},
		{"lead creation grace sub-microsecond", edit("lead_creation: {pick: first, grace: 1m}", "lead_creation: {pick: first, grace: 1ns}"), "attribution.lead_creation.grace: finer than a microsecond"},
		{"lead creation unknown key", edit("lead_creation: {pick: first, grace: 1m}", "lead_creation: {pick: first, grace: 1m, window: 2m}"), `unknown key "window"`},
		{"non-positive SLA", edit("sla_hours: 24", "sla_hours: 0"), "lead_response.sla_hours: must be positive"},
		{"bad target quarter", edit("quarter: 2026Q3, dimension: org", "quarter: 2026Q5, dimension: org"), "targets[0].quarter"},
		{"bad target dimension", edit("dimension: org, key: all, bookings: \"1500000.00\"", "dimension: campaign, key: all, bookings: \"1500000.00\""), "targets[0].dimension: want org, team or owner"},
		{"org target key", edit("dimension: org, key: all, bookings: \"1500000.00\"", "dimension: org, key: everyone, bookings: \"1500000.00\""), "targets[0].key"},
		{"duplicate target", edit("  - {quarter: 2026Q4, dimension: org", "  - {quarter: 2026Q3, dimension: org"), "targets[1]: duplicate target"},
		{"target sub-cent", edit("bookings: \"1500000.00\"", "bookings: \"1500000.001\""), "targets[0].bookings: must be a non-negative amount with at most 2 decimals"},
		{"target negative", edit("bookings: \"1500000.00\"", "bookings: \"-1\""), "targets[0].bookings: must be a non-negative"},
		{"unknown target field", edit("bookings: \"1500000.00\", pipeline: \"4500000.00\"", "extra: \"1\""), `unknown key "extra"`},
		{"target without amounts", edit(", bookings: \"1500000.00\", pipeline: \"4500000.00\", mqls: \"250\", sourced_pipeline: \"3500000.00\", sourced_bookings: \"1800000.00\"", ""), "targets[0]: needs at least one of bookings, pipeline, mqls, sourced_pipeline, sourced_bookings"},
		{"mqls target fractional", edit("mqls: \"250\", sourced_pipeline: \"3500000.00\", sourced_bookings: \"1800000.00\"", "mqls: \"10.5\""), "targets[0].mqls: must be a non-negative whole number, got 10.5"},
		{"mqls target negative", edit("mqls: \"250\", sourced_pipeline: \"3500000.00\", sourced_bookings: \"1800000.00\"", "mqls: \"-3\""), "targets[0].mqls: must be a non-negative whole number"},
		{"sourced pipeline sub-cent", edit("mqls: \"250\", sourced_pipeline: \"3500000.00\", sourced_bookings: \"1800000.00\"", "sourced_pipeline: \"10.001\""), "targets[0].sourced_pipeline: must be a non-negative amount with at most 2 decimals"},
		{"sourced bookings negative", edit("mqls: \"250\", sourced_pipeline: \"3500000.00\", sourced_bookings: \"1800000.00\"", "sourced_bookings: \"-1\""), "targets[0].sourced_bookings: must be a non-negative amount"},
		{"cost spread unknown", edit("spread: days", "spread: monthly"), `cost.spread: want one of days, start_date, got "monthly"`},
		{"cost spread empty", edit("spread: days", "spread: \"\""), `cost.spread: want one of days, start_date, got ""`},
		{"cost unknown key", edit("spread: days", "spread: days\n  field: budgeted_cost"), `unknown key "field"`},
		{"unknown dimension", edit("dimensions: [org,", "dimensions: [country, org,"), "dimensions: unknown dimension \"country\""},
		{"dimensions without org", edit("dimensions: [org, ", "dimensions: ["), "dimensions: must include org"},
		{"too deep", edit("version: 1", "version: 1\nx: [[[[[[[[[[[[[[1]]]]]]]]]]]]]]"), "nested deeper than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadConfig("shared/config/kpi/default.yaml", []byte(c.data))
			if err == nil {
				t.Fatalf("accepted; want error containing %q", c.want)
			}
			if !strings.HasPrefix(err.Error(), "shared/config/kpi/default.yaml: ") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q; want the file name and %q", err, c.want)
			}
		})
	}
}

// TestConfigWeightsExact: 0.1 + 0.2 + 0.7 is exactly 1 in decimal (it is
// not in float64), so a valid model must not be rejected by rounding.
func TestConfigWeightsExact(t *testing.T) {
	data := strings.Replace(string(kpiconfig.Default), "{first_touch: 0.4, lead_creation: 0.4, middle: 0.2}", "{first_touch: 0.1, lead_creation: 0.7, middle: 0.2}", 1)
	if _, err := LoadConfig("x.yaml", []byte(data)); err != nil {
		t.Fatal(err)
	}
}

// TestCatalogNames pins the names other packages (comp plans, the
// scorecard, BI) depend on: they may be added to, never renamed.
func TestCatalogNames(t *testing.T) {
	want := []string{"leads", "mqls", "sqls", "opps_created", "opps_won", "opps_lost", "bookings", "pipeline_created",
		"open_pipeline", "win_rate", "avg_deal_size", "sales_cycle_days", "conv_lead_mql", "conv_mql_sql", "conv_sql_opp",
		"conv_opp_won", "conv_lead_mql_cohort", "conv_mql_sql_cohort", "conv_sql_opp_cohort", "conv_opp_won_cohort",
		"velocity_mql_sql_days", "velocity_sql_opp_days", "velocity_opp_won_days", "bookings_target", "bookings_attainment",
		"pipeline_target", "pipeline_coverage", "mktg_sourced_pipeline", "mktg_sourced_bookings", "mktg_sourced_opps",
		"mktg_influenced_pipeline", "mktg_influenced_bookings", "lead_response_hours_median", "lead_sla_compliance",
		"meetings", "renewal_rate", "nrr",
		"lost_amount", "win_rate_amount", "opps_open", "sales_cycle_days_median", "velocity_opp_won_days_median",
		"deal_size_median", "stage_days", "stage_days_median", "pipeline_coverage_start", "pipeline_coverage_next_quarter"}
	seen := map[string]bool{}
	for _, d := range Catalog() {
		if seen[d.Name] {
			t.Errorf("duplicate %s", d.Name)
		}
		seen[d.Name] = true
		if d.Unit == "" || d.Owner == "" || d.Basis == "" || d.Description == "" || len(d.Dimensions) == 0 || (d.Dimensions[0] != DimOrg && !slices.Equal(d.Dimensions, []string{DimStage})) {
			t.Errorf("%s: incomplete definition %+v", d.Name, d)
		}
	}
	for _, n := range want {
		if !seen[n] {
			t.Errorf("catalog lacks %s", n)
		}
	}
}

// TestConfigCostAndMarketingTargets: cost.spread is optional (days, the
// Marketo Measure rule, when the section is absent) and a target row may
// set only marketing targets.
func TestConfigCostAndMarketingTargets(t *testing.T) {
	base := string(kpiconfig.Default)
	noCost := strings.Replace(base, "cost:\n  spread: days\n", "", 1)
	if noCost == base {
		t.Fatal("default.yaml has no cost section to remove")
	}
	c, err := LoadConfig("x.yaml", []byte(noCost))
	if err != nil || c.CostSpread != CostSpreadDays {
		t.Fatalf("without cost: spread %q, err %v; want days", c.CostSpread, err)
	}
	data := strings.Replace(strings.Replace(base, "spread: days", "spread: start_date", 1),
		`{quarter: 2026Q4, dimension: org, key: all, bookings: "1600000.00", pipeline: "4800000.00", mqls: "290", sourced_pipeline: "3800000.00", sourced_bookings: "2000000.00"}`,
		`{quarter: 2026Q4, dimension: org, key: all, mqls: "120", sourced_pipeline: "0.10"}`, 1)
	c, err = LoadConfig("x.yaml", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if c.CostSpread != CostSpreadStart {
		t.Errorf("spread %q, want start_date", c.CostSpread)
	}
	tg, ok := c.target(period.MustParse("2026Q4"), DimOrg, KeyAll)
	if !ok || tg.MQLs == nil || tg.MQLs.String() != "120" || tg.SourcedPipeline == nil || tg.SourcedPipeline.String() != "0.1" || tg.SourcedBookings != nil {
		t.Errorf("2026Q4 org target %+v; want mqls 120, sourced_pipeline 0.10, no sourced_bookings", tg)
	}
}
