package pipeline

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
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
