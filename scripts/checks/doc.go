// Package checks is a separate Go module for the independent readers and
// benchmark references that need cgo (DuckDB). Keeping them here keeps cgo
// and DuckDB out of the Lambda binaries, which build from the root module.
package checks
