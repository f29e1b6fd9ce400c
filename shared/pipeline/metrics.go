package pipeline

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"
)

// Metrics are one run's CloudWatch metrics. They are emitted as a single
// Embedded Metric Format line on stdout, which CloudWatch Logs turns into
// metrics without any API call from the function.
type Metrics struct {
	Job      string
	Period   string
	Values   map[string]float64 // name → value; names below
	Units    map[string]string  // name → EMF unit, default "Count"
	Duration time.Duration
}

// Metric names every job uses.
const (
	MetricRows    = "Rows"
	MetricRejects = "Rejects"
	MetricRetries = "Retries"
)

// WriteEMF writes m as one EMF JSON line to w.
func (m Metrics) WriteEMF(w io.Writer, now time.Time) error {
	names := make([]string, 0, len(m.Values)+1)
	for k := range m.Values {
		names = append(names, k)
	}
	sort.Strings(names)
	defs := make([]map[string]string, 0, len(names)+1)
	doc := map[string]any{
		"Job":    m.Job,
		"Period": m.Period,
	}
	for _, n := range names {
		unit := m.Units[n]
		if unit == "" {
			unit = "Count"
		}
		defs = append(defs, map[string]string{"Name": n, "Unit": unit})
		doc[n] = m.Values[n]
	}
	defs = append(defs, map[string]string{"Name": "Duration", "Unit": "Milliseconds"})
	doc["Duration"] = m.Duration.Milliseconds()
	doc["_aws"] = map[string]any{
		"Timestamp": now.UnixMilli(),
		"CloudWatchMetrics": []map[string]any{{
			"Namespace":  "Venn",
			"Dimensions": [][]string{{"Job"}},
			"Metrics":    defs,
		}},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("emf: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
