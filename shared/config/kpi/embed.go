// Package kpiconfig embeds the reviewed default KPI definitions
// (default.yaml) so every binary carries the same file without a copy in
// code. The kpi package parses and validates it; this package only holds
// the bytes.
package kpiconfig

import _ "embed"

// DefaultName is the path the default definitions are reported under in
// errors and in stored results.
const DefaultName = "shared/config/kpi/default.yaml"

// Default is the content of default.yaml.
//
//go:embed default.yaml
var Default []byte
