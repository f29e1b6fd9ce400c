package pipeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/extract"
)

func TestWriteEMF(t *testing.T) {
	var buf bytes.Buffer
	m := Metrics{Job: "extract", Period: "2026-11-20", Values: map[string]float64{MetricRows: 1200, MetricRejects: 3, MetricRetries: 2}, Duration: 1500 * time.Millisecond}
	if err := m.WriteEMF(&buf, time.UnixMilli(1763604000000)); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		AWS struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
		Job      string
		Rows     float64
		Rejects  float64
		Retries  float64
		Duration int64
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, buf.String())
	}
	if bytes.Count(buf.Bytes(), []byte("\n")) != 1 {
		t.Error("EMF must be exactly one line")
	}
	cw := doc.AWS.CloudWatchMetrics
	if len(cw) != 1 || cw[0].Namespace != "Venn" || cw[0].Dimensions[0][0] != "Job" || len(cw[0].Metrics) != 4 {
		t.Fatalf("directive: %+v", cw)
	}
	if doc.Job != "extract" || doc.Rows != 1200 || doc.Rejects != 3 || doc.Retries != 2 || doc.Duration != 1500 || doc.AWS.Timestamp != 1763604000000 {
		t.Errorf("values: %+v", doc)
	}
	// Every metric named in the directive has a value at the top level.
	var top map[string]any
	_ = json.Unmarshal(buf.Bytes(), &top)
	for _, md := range cw[0].Metrics {
		if _, ok := top[md.Name]; !ok {
			t.Errorf("metric %s has no value", md.Name)
		}
	}
}

// The extract's metrics: totals on the job line, then one line per object
// with the dimensions Job and Object; the stuck age is counted in nights
// from the oldest first-seen night (17 → 20 November: 3).
func TestExtractMetricsPerObject(t *testing.T) {
	sum := extract.Summary{Objects: []extract.ObjectSummary{
		{Object: "Lead", Committed: true, Received: 12, Written: 5, Rejects: 2, Duplicates: 5, Conflicts: 1, Stuck: 1, StuckSince: "2026-11-17", WatermarkHeld: true},
		{Object: "Opportunity", Received: 3, Written: 3, Err: "query changes: HTTP 500"},
	}}
	m := ExtractMetrics(sum, time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC))
	m.Job, m.Period = "extract", "2026-11-20"
	var buf bytes.Buffer
	if err := m.WriteEMF(&buf, time.UnixMilli(1763604000000)); err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	if len(lines) != 3 {
		t.Fatalf("%d EMF lines, want the job's and one per object:\n%s", len(lines), buf.String())
	}
	type doc struct {
		AWS struct {
			CloudWatchMetrics []struct {
				Dimensions [][]string
				Metrics    []struct{ Name string }
			}
		} `json:"_aws"`
		Object         string
		Received       float64
		StuckRejects   float64
		StuckAge       float64 `json:"StuckOldestAgeDays"`
		WatermarkHeld  float64
		ObjectFailures *float64
	}
	var job, lead, opp doc
	for i, d := range []*doc{&job, &lead, &opp} {
		if err := json.Unmarshal(lines[i], d); err != nil {
			t.Fatal(err)
		}
	}
	if job.Received != 15 || job.StuckRejects != 1 || job.ObjectFailures == nil || *job.ObjectFailures != 1 || job.StuckAge != 3 {
		t.Errorf("job line %+v", job)
	}
	if lead.Object != "Lead" || fmt.Sprint(lead.AWS.CloudWatchMetrics[0].Dimensions) != "[[Job Object]]" || lead.Received != 12 || lead.StuckRejects != 1 || lead.StuckAge != 3 || lead.WatermarkHeld != 1 {
		t.Errorf("Lead line %+v", lead)
	}
	if opp.Object != "Opportunity" || opp.Received != 3 || opp.StuckRejects != 0 || opp.StuckAge != 0 {
		t.Errorf("Opportunity line %+v", opp)
	}
}

// With a stage, every line carries it as the first dimension; an empty
// snapshot of a required object counts, one of an optional, skipped, failed
// or custom object does not; a quarter-to-date KPI run lands, a final one
// does not.
func TestMetricsStageEmptyAndLanded(t *testing.T) {
	sum := extract.Summary{Objects: []extract.ObjectSummary{
		{Object: "Lead", Committed: true, SnapshotRows: 0},              // required, empty: counts
		{Object: "Account", Committed: true, SnapshotRows: 40},          // required, rows
		{Object: "OpportunitySplit", Committed: true, SnapshotRows: 0},  // optional
		{Object: "Contact", Mode: extract.ModeSkipped, SnapshotRows: 0}, // skipped
		{Object: "Opportunity", Err: "HTTP 500"},                        // failed, not committed
		{Object: "Subscription__c", Committed: true, SnapshotRows: 0},   // custom: may be empty
	}}
	m := ExtractMetrics(sum, time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC))
	if m.Values[MetricEmptySnapshots] != 1 {
		t.Errorf("EmptySnapshots = %v, want 1 (Lead)", m.Values[MetricEmptySnapshots])
	}
	m.Stage, m.Job = "prod", "extract"
	var buf bytes.Buffer
	if err := m.WriteEMF(&buf, time.UnixMilli(1763604000000)); err != nil {
		t.Fatal(err)
	}
	for i, line := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		var d struct {
			AWS struct {
				CloudWatchMetrics []struct{ Dimensions [][]string }
			} `json:"_aws"`
			Stage string
		}
		if err := json.Unmarshal(line, &d); err != nil {
			t.Fatal(err)
		}
		want := "[[Stage Job Object]]"
		if i == 0 {
			want = "[[Stage Job]]"
		}
		if got := fmt.Sprint(d.AWS.CloudWatchMetrics[0].Dimensions); got != want || d.Stage != "prod" {
			t.Errorf("line %d: dimensions %s stage %q, want %s prod", i, got, d.Stage, want)
		}
	}
	if v, ok := KPIMetrics(12, false).Values[MetricKPIsLanded]; !ok || v != 1 {
		t.Error("a quarter-to-date KPI run does not report its landing")
	}
	if _, ok := KPIMetrics(12, true).Values[MetricKPIsLanded]; ok {
		t.Error("a final KPI run reports a nightly landing")
	}
}
