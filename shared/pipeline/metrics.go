package pipeline

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/extract"
)

// Metrics are one run's CloudWatch metrics. They are emitted as a single
// Embedded Metric Format line on stdout, which CloudWatch Logs turns into
// metrics without any API call from the function.
type Metrics struct {
	// Stage is the deployment (VENN_STAGE: prod, staging), the first
	// dimension of every line when set, so two stacks in one account keep
	// their metrics and alarms apart.
	Stage    string
	Job      string
	Period   string
	Values   map[string]float64 // name → value; names below
	Units    map[string]string  // name → EMF unit, default "Count"
	Duration time.Duration
	// Objects are per-object values (the extract's accounting and stuck
	// rejects), emitted as one more EMF line per object with the
	// dimensions (Stage,) Job and Object.
	Objects map[string]map[string]float64
}

// Metric names every job uses.
const (
	MetricRows    = "Rows"
	MetricRejects = "Rejects"
	MetricRetries = "Retries"
)

// Extract metric names, per run and per object. Received = Written +
// Rejects + Duplicates (see extract.ObjectSummary). StuckRejects are the
// records rejected on some night and still not read correctly;
// StuckOldestAgeDays is how many nights the oldest of them has been stuck
// (alarm on it: a stuck record is a record missing from every KPI).
const (
	MetricReceived       = "Received"
	MetricWritten        = "Written"
	MetricDuplicates     = "Duplicates"
	MetricConflicts      = "SameStampConflicts"
	MetricStuck          = "StuckRejects"
	MetricStuckAge       = "StuckOldestAgeDays"
	MetricRecovered      = "StuckRecovered"
	MetricWatermarkHeld  = "WatermarkHeld"
	MetricObjectFailures = "ObjectFailures"
	// MetricPullsPending counts the objects whose pulls were checkpointed
	// (the state machine invokes them again); MetricPullInvocations is the
	// most invocations any of them has taken so far, which the resume
	// alarm watches.
	MetricPullsPending    = "PullsPending"
	MetricPullInvocations = "PullInvocations"
	// MetricEmptySnapshots counts the objects of the run that committed a
	// snapshot with no rows although the org must have some (not an
	// optional object, not skipped): an extract that "succeeded" with
	// nothing in it (a lost permission, a broken mapping).
	MetricEmptySnapshots = "EmptySnapshots"
)

// MetricDuration is the run's wall time, on every job line.
const MetricDuration = "Duration"

// MetricKPIsLanded is 1 on each successful quarter-to-date KPI run: the
// freshness alarm fires when no night's KPIs landed for a configured time.
const MetricKPIsLanded = "KpisLanded"

// KPIMetrics are a kpi run's metrics: the values written, and for a
// quarter-to-date run the landing the freshness alarm watches.
func KPIMetrics(values int, final bool) Metrics {
	m := Metrics{Values: map[string]float64{MetricRows: float64(values)}}
	if !final {
		m.Values[MetricKPIsLanded] = 1
	}
	return m
}

// ExtractMetrics are an extract run's metrics: totals on the job line and
// the accounting and stuck rejects of each object.
func ExtractMetrics(sum extract.Summary, night time.Time) Metrics {
	values := func(o extract.ObjectSummary) map[string]float64 {
		v := map[string]float64{
			MetricRows: float64(o.SnapshotRows), MetricRejects: float64(o.Rejects), MetricRetries: float64(o.Retries),
			"Upserts": float64(o.Upserts), "Deletes": float64(o.Deletes), "Pages": float64(o.Pages),
			MetricReceived: float64(o.Received), MetricWritten: float64(o.Written), MetricDuplicates: float64(o.Duplicates),
			MetricConflicts: float64(o.Conflicts), MetricStuck: float64(o.Stuck), MetricRecovered: float64(o.Recovered),
			MetricStuckAge: 0, MetricWatermarkHeld: 0,
		}
		if since, err := time.Parse(time.DateOnly, o.StuckSince); err == nil {
			v[MetricStuckAge] = float64(crm.Days(night) - crm.Days(since))
		}
		if o.WatermarkHeld {
			v[MetricWatermarkHeld] = 1
		}
		return v
	}
	m := Metrics{Values: values(sum.Totals()), Objects: map[string]map[string]float64{}}
	failures, empty := 0, 0
	for _, o := range sum.Objects {
		m.Objects[o.Object] = values(o)
		if !o.Committed && o.Err != "" {
			failures++
		}
		// Objects outside the registry (custom ones) may legitimately be
		// empty; so may optional ones.
		if reg, err := crm.Lookup(o.Object); err == nil && !reg.Optional && o.Committed && o.Mode != extract.ModeSkipped && o.SnapshotRows == 0 {
			empty++
		}
	}
	m.Values[MetricObjectFailures] = float64(failures)
	m.Values[MetricEmptySnapshots] = float64(empty)
	m.Values["ReconcileDeletes"] = float64(sum.Totals().ReconcileDeletes)
	m.Values["SkippedObjects"] = float64(sum.Skipped())
	invocations := 0
	for _, o := range sum.Objects {
		invocations = max(invocations, o.Invocations)
	}
	m.Values[MetricPullsPending] = float64(len(sum.Pending()))
	m.Values[MetricPullInvocations] = float64(invocations)
	return m
}

// WriteEMF writes m as one EMF JSON line to w, then one line per object
// (dimensions Job, Object) when m has per-object values.
func (m Metrics) WriteEMF(w io.Writer, now time.Time) error {
	if err := m.writeLine(w, now, nil, "", m.Values); err != nil {
		return err
	}
	objects := make([]string, 0, len(m.Objects))
	for o := range m.Objects {
		objects = append(objects, o)
	}
	sort.Strings(objects)
	for _, o := range objects {
		if err := m.writeLine(w, now, []string{"Job", "Object"}, o, m.Objects[o]); err != nil {
			return err
		}
	}
	return nil
}

// writeLine writes one EMF document: values under dims (nil: Job only,
// with the run's Duration).
func (m Metrics) writeLine(w io.Writer, now time.Time, dims []string, object string, values map[string]float64) error {
	names := make([]string, 0, len(values)+1)
	for k := range values {
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
		doc[n] = values[n]
	}
	if dims == nil {
		dims = []string{"Job"}
		defs = append(defs, map[string]string{"Name": MetricDuration, "Unit": "Milliseconds"})
		doc[MetricDuration] = m.Duration.Milliseconds()
	} else {
		doc["Object"] = object
	}
	if m.Stage != "" {
		dims = append([]string{"Stage"}, dims...)
		doc["Stage"] = m.Stage
	}
	doc["_aws"] = map[string]any{
		"Timestamp": now.UnixMilli(),
		"CloudWatchMetrics": []map[string]any{{
			"Namespace":  "Venn",
			"Dimensions": [][]string{dims},
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
