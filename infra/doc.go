// Package infra holds the checks of Venn's deployment: template.yaml (AWS SAM),
// the Step Functions definitions in statemachine/, the Glue catalog in
// glue.yaml (generated from the lake's Parquet schemas by
// `go test ./infra -run TestGlueCatalog -update`) and the example Athena
// queries in athena/. The package has no runtime code; its tests are the
// point: they fail when the template drifts from the functions, the lake
// layout, the results table or the least-privilege rules.
package infra
