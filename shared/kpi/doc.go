// Package kpi computes Venn's shared sales and marketing funnel KPIs from
// one CRM snapshot: volumes, conversions (flow and cohort), velocity,
// money, targets, marketing-sourced and marketing-influenced figures under
// six attribution models, lead response and renewals. docs/kpis.md is the
// catalog: every formula, field, rule and worked example.
//
// The package is pure: no AWS, no I/O. The caller hands it the KPI
// definitions (LoadConfig, DefaultConfig) and streams of projection rows
// (Inputs, one Source per CRM object, e.g. over lake.Scan), and gets back a
// Result: exact decimal Values keyed by KPI, dimension, key and model, the
// gold rows to store (Result.Rows) and a terminal scorecard
// (WriteScorecard). Money is summed in integer cents; ratios are exact
// decimals rounded once to RatioPlaces; attribution splits every amount to
// the cent with money.Allocate.
//
// Memory is bounded by the opportunities and the join maps attribution
// needs, never by the lead, campaign-member or task tables, which are
// streamed once.
//
// # The engine, by step
//
// Compute (compute.go) reads each input once, in steps, one file each:
// step_opportunities.go (opportunities, stage history, contact roles),
// step_leads.go, step_members.go (campaign members → touches),
// step_tasks.go (meetings, lead response), and beside them all
// step_contracts.go (renewals and ARR, only when the org has contracts).
// Rows add to additive counters
// (tally.go) of a group of dimension keys; emit.go adds the groups up to
// every configured dimension key and evaluates the catalog (catalog.go) on
// the sums; attribution.go splits credit per model; result.go turns Values
// into gold rows.
//
// # Adding a KPI: the checklist
//
//  1. One entry in specs (catalog.go): name, unit, side of the Venn (Owner),
//     basis, dimensions, the CRM fields read, a one-line definition, and
//     eval, the formula over a tally. That list is the only registration:
//     results, gold rows, the scorecard and the Glue table follow it.
//  2. If it needs a counter the tally lacks, add the field to tally and sum
//     it in tally.add; TestTallyAddSumsEveryCounter fails until add sums
//     it, and TestDimensionsPartition checks additive KPIs partition.
//  3. Count it in the step that reads its rows, under the window rules of
//     window.go (events in [start, end), state known before the as-of).
//  4. A hand-worked fixture in testdata/ (an <area>-org.yaml and its
//     .expect.yaml, checked by its own test; TestEveryKPIHasAFixture
//     fails until some .expect.yaml covers the KPI, and
//     TestEveryExpectFileIsChecked until a test checks the file) with the
//     window boundaries (boundaries-org.yaml shows them), and its SQL in
//     scripts/checks/kpicheck so DuckDB recomputes it independently.
//  5. Its definition, unit, side, worked example and anchor choices in
//     docs/kpis.md (what each anchor does and which configuration
//     reproduces it; section 6 for the KPIs before issue 12).
package kpi
