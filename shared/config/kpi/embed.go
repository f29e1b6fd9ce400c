// Package kpiconfig embeds the reviewed default KPI definitions
// (default.yaml) so every binary carries the same file without a copy in
// code, and the anchor configurations (anchors/*.yaml: the definitions that
// reproduce Marketo Measure, Salesforce Campaign Influence and HubSpot as
// far as Venn can, docs/kpis.md "Anchors"). The kpi package parses and
// validates them; this package only holds the bytes.
package kpiconfig

import "embed"

// DefaultName is the path the default definitions are reported under in
// errors and in stored results.
const DefaultName = "shared/config/kpi/default.yaml"

// Default is the content of default.yaml.
//
//go:embed default.yaml
var Default []byte

// AnchorsDir is the path of the anchor configurations in the repository;
// Anchors holds them under "anchors/<name>.yaml".
const AnchorsDir = "shared/config/kpi/anchors"

// Anchors holds anchors/*.yaml.
//
//go:embed anchors/*.yaml
var Anchors embed.FS
