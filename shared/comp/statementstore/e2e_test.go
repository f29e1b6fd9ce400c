package statementstore

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/period"
)

const sdrPlan = `
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
`

func quarterRun(t *testing.T, q string, sqls int64, corrections []comp.Correction) []comp.Statement {
	t.Helper()
	plan, err := comp.ParsePlan("sdr.yaml", []byte(sdrPlan))
	if err != nil {
		t.Fatal(err)
	}
	out, err := comp.Run(comp.RunInput{
		Quarter:     period.MustParse(q),
		People:      []comp.Person{{ID: "005A", EmployeeID: "E1", Name: "Nina Brooks", Currency: "USD"}},
		Plans:       []*comp.Plan{plan},
		Assignments: &comp.Assignments{People: []comp.PersonAssignment{{Person: "005A", Plan: "sdr", From: comp.Day{Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}}}},
		Metrics:     comp.MetricTable{{KPI: "sqls", Scope: "individual", Key: "005A"}: decimal.NewFromInt(sqls)},
		KnownKPI:    func(name string) bool { return name == "sqls" },
		Corrections: corrections,
		CodeVersion: "e2e",
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Statements
}

// The engine's statements through the whole lifecycle: saved twice
// (idempotent), approved, final, recomputed with a restated KPI (a
// correction, no overwrite), and the correction paid in the next quarter.
func TestEngineStatementsThroughLifecycle(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	// 33 SQLs of 30: attainment 110%, payout 110%, 9,000 × 1.1 = 9,900.00.
	q3 := quarterRun(t, "2026Q3", 33, nil)
	if got := mustSave(t, s, q3...); got[0].Action != "created" {
		t.Fatalf("%+v", got)
	}
	if got := mustSave(t, s, quarterRun(t, "2026Q3", 33, nil)...); got[0].Action != "unchanged" {
		t.Fatalf("same inputs saved again: %+v", got)
	}
	if _, err := Approve(ctx, s, "2026Q3", nil, "fin", at); err != nil {
		t.Fatal(err)
	}
	if _, err := Finalize(ctx, s, "2026Q3", nil, "cfo", at); err != nil {
		t.Fatal(err)
	}
	// SQLs restated to 31: 103.33%, 9,300.00; the correction is −600.00.
	_, corrs, err := SaveDrafts(ctx, s, quarterRun(t, "2026Q3", 31, nil))
	if err != nil || len(corrs) != 1 || corrs[0].Delta.StringFixed(2) != "-600.00" {
		t.Fatalf("correction %+v %v", corrs, err)
	}
	if st, _ := Get(ctx, s, "2026Q3", "005A"); st.Statement.Total.StringFixed(2) != "9900.00" || st.Status != comp.StatusFinal {
		t.Fatalf("final statement changed: %s %s", st.Status, st.Statement.Total)
	}
	pending, err := Corrections(ctx, s, "2026Q4")
	if err != nil {
		t.Fatal(err)
	}
	// Q4: 30 SQLs → 9,000.00, less the −600.00 correction = 8,400.00.
	q4 := quarterRun(t, "2026Q4", 30, pending)
	if q4[0].Total.StringFixed(2) != "8400.00" || q4[0].Lines[1].Kind != comp.LinePriorPeriod {
		t.Fatalf("Q4 statement %s %+v", q4[0].Total, q4[0].Lines)
	}
	if got := mustSave(t, s, q4...); got[0].Action != "created" {
		t.Fatalf("%+v", got)
	}
}
