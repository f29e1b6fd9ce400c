module github.com/venn-revops/venn

go 1.26.8

require (
	github.com/go-json-experiment/json v1.27.2
	github.com/shopspring/decimal v1.6.0
)
