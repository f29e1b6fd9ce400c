// Package scoreconfig embeds the reviewed default lead-scoring
// configuration (default.yaml) so every binary carries the same file. The
// score package parses and validates it; this package only holds the bytes.
package scoreconfig

import _ "embed"

// DefaultName is the path the default configuration is reported under in
// errors and in stored results.
const DefaultName = "shared/config/score/default.yaml"

// Default is the content of default.yaml.
//
//go:embed default.yaml
var Default []byte
