package kpicheck

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/kpi/kpigen"
	"github.com/venn-revops/venn/shared/period"
)

// TestResponseRowsReadByDuckDB writes Result.ResponseRows with parquet-go
// and reads the file back with DuckDB: the columns mean what docs/kpis.md
// §2.9 says (response_hours DECIMAL(18,6) = responded_at − clock_start_at,
// sla_deadline = clock_start_at + sla_hours, NULLs while a lead waits or is
// pending), and the rows add up to the org's lead-response KPIs.
func TestResponseRowsReadByDuckDB(t *testing.T) {
	q := period.MustParse("2026Q3")
	asOf := time.Date(2026, 8, 21, 13, 30, 0, 0, time.UTC)
	res, err := kpi.Compute(kpi.DefaultConfig(), kpigen.New(3, 20000).Inputs(), kpi.Period{Quarter: q, AsOf: asOf}, kpi.WithResponses())
	if err != nil {
		t.Fatal(err)
	}
	rows := res.ResponseRows()
	if len(rows) < 100 {
		t.Fatalf("only %d response rows: too thin", len(rows))
	}
	path := writeRows(t, "response.parquet", rows)
	db := openDuckUTC(t)
	var n, waiting, nullAt, nullBy, nullHours, pending, due, met, past, badHours, badDeadline int64
	var asof, median string
	err = db.QueryRow(`SELECT count(*), count_if(waiting), count_if(responded_at IS NULL), count_if(responder_id IS NULL),
			count_if(response_hours IS NULL), count_if(within_sla IS NULL), count(within_sla), count_if(within_sla),
			count_if(waiting AND within_sla IS NOT NULL),
			count_if(abs(response_hours - (epoch_us(responded_at) - epoch_us(clock_start_at)) / 3600000000.0) > 0.0000005),
			count_if(epoch_us(sla_deadline) - epoch_us(clock_start_at) <> sla_hours * 3600000000),
			CAST(min(as_of) AS VARCHAR),
			CAST(CAST(quantile_cont(response_hours, 0.5) AS DECIMAL(18,6)) AS VARCHAR)
		FROM read_parquet(?)`, path).Scan(&n, &waiting, &nullAt, &nullBy, &nullHours, &pending, &due, &met, &past, &badHours, &badDeadline, &asof, &median)
	if err != nil {
		t.Fatal(err)
	}
	get := func(name string) kpi.Value {
		v, ok := res.Get(name, kpi.DimOrg, kpi.KeyAll, "")
		if !ok {
			t.Fatalf("no org %s", name)
		}
		return v
	}
	mqls, awaiting, pastSLA, sla := get("mqls"), get("leads_awaiting_response"), get("leads_past_sla_unanswered"), get("lead_sla_compliance")
	if n != mqls.Value.IntPart() || waiting != awaiting.Value.IntPart() || past != pastSLA.Value.IntPart() {
		t.Errorf("rows %d, waiting %d, waiting past the deadline %d; engine: %s MQLs, %s awaiting, %s past SLA", n, waiting, past, mqls.Value, awaiting.Value, pastSLA.Value)
	}
	if nullAt != waiting || nullBy != waiting || nullHours != waiting {
		t.Errorf("waiting %d, but responded_at NULL %d, responder_id NULL %d, response_hours NULL %d", waiting, nullAt, nullBy, nullHours)
	}
	if met != sla.Numerator.IntPart() || due != sla.Denominator.IntPart() || pending+due != n || pending == 0 || past == 0 {
		t.Errorf("within_sla: %d true of %d set, %d NULL; engine %s ÷ %s", met, due, pending, sla.Numerator, sla.Denominator)
	}
	if badHours != 0 || badDeadline != 0 || asof != "2026-08-21" {
		t.Errorf("%d rows with response_hours ≠ responded_at − clock_start_at, %d with a wrong deadline, asof %s", badHours, badDeadline, asof)
	}
	// quantile_cont over the rounded hours is the median of the exact
	// times up to the rounding of the one or two middle values.
	if med := get("lead_response_hours_median"); median != med.Value.StringFixed(6) {
		t.Logf("DuckDB median of response_hours %s, engine %s (rounding of the middle values)", median, med.Value)
		if d := med.Value.Sub(decimal.RequireFromString(median)).Abs(); d.GreaterThan(decimal.New(1, -6)) {
			t.Errorf("DuckDB median of response_hours %s, engine %s", median, med.Value)
		}
	}
}
