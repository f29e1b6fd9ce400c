package comp_test

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/period"
)

// A one-component plan, one person, one KPI value: the statement explains
// its only line.
func ExampleRun() {
	plan, err := comp.ParsePlan("sdr.yaml", []byte(`
id: sdr
version: 1
name: SDR
effective_from: 2026-01-01
currency: USD
target_variable: 9000
components:
  - id: sqls_bonus
    kind: attainment_bonus
    weight: 1
    metric: {kpi: sqls, scope: individual}
    target: 30
    curve:
      threshold: 0.5
      cap: 1.5
      points: [{attainment: 0.5, payout: 0.5}, {attainment: 1.5, payout: 1.5}]
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := comp.Run(comp.RunInput{
		Quarter:     period.MustParse("2026Q3"),
		People:      []comp.Person{{ID: "005A", EmployeeID: "E1", Name: "Nina Brooks", Currency: "USD"}},
		Plans:       []*comp.Plan{plan},
		Assignments: &comp.Assignments{People: []comp.PersonAssignment{{Person: "005A", Plan: "sdr", From: comp.Day{Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}}}},
		Metrics:     comp.MetricTable{{KPI: "sqls", Scope: "individual", Key: "005A"}: decimal.NewFromInt(33)},
		KnownKPI:    func(name string) bool { return name == "sqls" },
		CodeVersion: "example",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	st := out.Statements[0]
	fmt.Println(st.Lines[0].Explain)
	fmt.Println("total", st.Total.StringFixed(2), st.Currency)
	// Output:
	// sqls (individual 005A): actual 33 ÷ target 30 = attainment 110%; segment 1 of 1: 50%–150% pays 50%–150% (linear, slope 1) → payout 110%; 9,000.00 × weight 1 × payout 1.1 × proration 92/92 = 9,900.00
	// total 9900.00 USD
}
