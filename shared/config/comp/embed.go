// Package compconfig embeds the reviewed sample compensation configuration
// (plans/*.yaml, assignments.yaml, adjustments.yaml, quotas.yaml, payroll.yaml,
// approvals.yaml, accounting.yaml) so every binary and the
// demo carry the same files. The comp package parses and validates them.
package compconfig

import (
	"embed"
	"io/fs"
)

//go:embed plans/*.yaml assignments.yaml adjustments.yaml quotas.yaml payroll.yaml approvals.yaml accounting.yaml
var files embed.FS

// FS returns the embedded configuration folder.
func FS() fs.FS { return files }
