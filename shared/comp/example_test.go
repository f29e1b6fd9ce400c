package comp_test

import (
	"fmt"
	"time"

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
	// 33 SQLs accepted in the quarter, one a day from July 1.
	var sqls []comp.Activity
	for i := 0; i < 33; i++ {
		sqls = append(sqls, comp.Activity{KPI: "sqls", PersonID: "005A", Date: time.Date(2026, 7, 1+i, 0, 0, 0, 0, time.UTC), Ref: fmt.Sprintf("00Q%03d", i)})
	}
	out, err := comp.Run(comp.RunInput{
		Quarter:     period.MustParse("2026Q3"),
		People:      []comp.Person{{ID: "005A", EmployeeID: "E1", Name: "Nina Brooks", Currency: "USD"}},
		Plans:       []*comp.Plan{plan},
		Assignments: &comp.Assignments{People: []comp.PersonAssignment{{Person: "005A", Plan: "sdr", From: comp.Day{Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}}}},
		Activities:  sqls,
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
	// sqls (individual 005A) from 2026-07-01 to 2026-09-30: actual 33 ÷ target 30 (30 × 92/92 days) = attainment 110.00%; segment 1 of 1: 50.00%–150.00% pays 50.00%–150.00% (linear, slope 1) → payout 110.00%; USD 9,000.00 × weight 100.00% × payout 110.00% × proration 92/92 = USD 9,900.00
	// total 9900.00 USD
}
