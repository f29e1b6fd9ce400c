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
package kpi
