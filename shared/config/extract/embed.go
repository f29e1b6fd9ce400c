// Package extractconfig embeds the default extract configuration
// (default.yaml): the org field names of the demo org, no extra fields or
// objects, and the delete-reconciliation defaults. The extract package
// parses and validates it; this package only holds the bytes.
package extractconfig

import _ "embed"

// DefaultName is the path the default configuration is reported under in
// errors and logs.
const DefaultName = "shared/config/extract/default.yaml"

// Default is the content of default.yaml.
//
//go:embed default.yaml
var Default []byte
