package infra

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/extract"
	"github.com/venn-revops/venn/shared/pipeline"
)

// emitted is every (job, metric, dimension names) the jobs write, read back
// from the EMF lines the pipeline's own metric builders produce for each job
// (the extract's with one object, the kpi's quarter to date), as the
// handler stamps them with stage and job: an alarm or dashboard graph on a
// metric nothing emits would never fire or show.
func emitted(t *testing.T) map[string]bool {
	t.Helper()
	runs := map[string]pipeline.Metrics{
		"extract": pipeline.ExtractMetrics(extract.Summary{Objects: []extract.ObjectSummary{{Object: "Lead", Committed: true}}}, time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)),
		"kpi":     pipeline.KPIMetrics(10, false),
		"payouts": {Values: map[string]float64{pipeline.MetricRows: 1}},
		"approve": {Values: map[string]float64{pipeline.MetricRows: 1}},
	}
	out := map[string]bool{}
	for job, m := range runs {
		m.Stage, m.Job = "prod", job
		var buf bytes.Buffer
		if err := m.WriteEMF(&buf, time.Now()); err != nil {
			t.Fatal(err)
		}
		for _, line := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
			var d struct {
				AWS struct {
					CloudWatchMetrics []struct {
						Namespace  string
						Dimensions [][]string
						Metrics    []struct{ Name string }
					}
				} `json:"_aws"`
			}
			if err := json.Unmarshal(line, &d); err != nil {
				t.Fatal(err)
			}
			for _, cw := range d.AWS.CloudWatchMetrics {
				for _, dims := range cw.Dimensions {
					for _, mt := range cw.Metrics {
						out[metricKey(cw.Namespace, job, mt.Name, dims)] = true
					}
				}
			}
		}
	}
	return out
}

func metricKey(ns, job, name string, dims []string) string {
	d := slices.Clone(dims)
	slices.Sort(d)
	return ns + "/" + job + "/" + name + "/" + strings.Join(d, ",")
}

// TestOperationsAlarms: every state machine has alarms on failed, timed-out
// and aborted executions; the freshness, rejects, empty-extract and stuck
// alarms exist and watch metrics the code emits, under the dimensions it
// emits them with; the functions know their stage.
func TestOperationsAlarms(t *testing.T) {
	tmpl := loadTemplate(t, templatePath)
	emits := emitted(t)
	alarms := resources(tmpl, "AWS::CloudWatch::Alarm")
	watched := map[string]string{} // metric/resource → alarm
	for id, a := range alarms {
		p := a["Properties"]
		for _, d := range list(get(p, "Dimensions")) {
			if r := ref(get(d, "Value")); r != "" && str(get(d, "Name")) != "Stage" {
				watched[str(get(p, "MetricName"))+"/"+r] = id
			}
		}
		if str(get(p, "Namespace")) != "Venn" {
			continue
		}
		var names []string
		job := ""
		for _, d := range list(get(p, "Dimensions")) {
			names = append(names, str(get(d, "Name")))
			switch str(get(d, "Name")) {
			case "Job":
				job = str(get(d, "Value"))
			case "Stage":
				if ref(get(d, "Value")) != "Stage" {
					t.Errorf("%s: Stage dimension %v, want !Ref Stage", id, get(d, "Value"))
				}
			}
		}
		if k := metricKey("Venn", job, str(get(p, "MetricName")), names); !emits[k] {
			t.Errorf("%s watches %s, which no job emits (emitted: %v)", id, k, keysOf(emits))
		}
	}
	for _, sm := range []string{"NightlyStateMachine", "CloseStateMachine"} {
		for _, m := range []string{"ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"} {
			if watched[m+"/"+sm] == "" {
				t.Errorf("no alarm on %s of %s", m, sm)
			}
		}
	}
	want := map[string]struct{ metric, missing, op string }{
		"KpiFreshnessAlarm": {pipeline.MetricKPIsLanded, "breaching", "LessThanThreshold"},
		"RejectsSpikeAlarm": {pipeline.MetricRejects, "notBreaching", "GreaterThanThreshold"},
		"EmptyExtractAlarm": {pipeline.MetricEmptySnapshots, "notBreaching", "GreaterThanOrEqualToThreshold"},
		"StuckRejectsAlarm": {pipeline.MetricStuckAge, "notBreaching", "GreaterThanThreshold"},
	}
	for id, w := range want {
		p := get(alarms[id], "Properties")
		if p == nil {
			t.Errorf("no %s", id)
			continue
		}
		if str(get(p, "MetricName")) != w.metric || str(get(p, "TreatMissingData")) != w.missing || str(get(p, "ComparisonOperator")) != w.op {
			t.Errorf("%s: %v %v %v, want %s %s %s", id, get(p, "MetricName"), get(p, "TreatMissingData"), get(p, "ComparisonOperator"), w.metric, w.missing, w.op)
		}
	}
	// The freshness window: all of KpiFreshnessHours hourly periods missing.
	fp := get(alarms["KpiFreshnessAlarm"], "Properties")
	if str(get(fp, "Period")) != "3600" || ref(get(fp, "EvaluationPeriods")) != "KpiFreshnessHours" || ref(get(fp, "DatapointsToAlarm")) != "KpiFreshnessHours" {
		t.Errorf("KpiFreshnessAlarm window: period %v, %v of %v", get(fp, "Period"), get(fp, "DatapointsToAlarm"), get(fp, "EvaluationPeriods"))
	}
	for id, p := range functionProps(t, tmpl) {
		if ref(get(p, "Environment", "Variables", "VENN_STAGE")) != "Stage" {
			t.Errorf("%s: VENN_STAGE is not the stack's Stage", id)
		}
	}
}

// TestDashboard: the dashboard body is JSON once substituted, and every Venn
// metric it graphs (plain or through SEARCH) is one the code emits.
func TestDashboard(t *testing.T) {
	tmpl := loadTemplate(t, templatePath)
	dash := resources(tmpl, "AWS::CloudWatch::Dashboard")
	if len(dash) != 1 {
		t.Fatalf("%d dashboards, want 1", len(dash))
	}
	emits := emitted(t)
	for id, d := range dash {
		body := subText(get(d, "Properties", "DashboardBody"))
		// ${Name} placeholders become plain strings, as CloudFormation does.
		body = regexp.MustCompile(`\$\{[A-Za-z0-9:.]+\}`).ReplaceAllString(body, "sub")
		var doc struct {
			Widgets []struct {
				Properties struct {
					Title   string
					Metrics [][]any
				}
			}
		}
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatalf("%s: body is not JSON: %v", id, err)
		}
		graphed := 0
		search := regexp.MustCompile(`\{Venn,([A-Za-z,]+)\} MetricName="(\w+)"`)
		for _, w := range doc.Widgets {
			for _, m := range w.Properties.Metrics {
				if len(m) == 1 {
					expr, _ := m[0].(map[string]any)["expression"].(string)
					sm := search.FindStringSubmatch(expr)
					if sm == nil {
						t.Errorf("%s: %q: expression %q is not a SEARCH over Venn", id, w.Properties.Title, expr)
						continue
					}
					found := false
					for _, job := range []string{"extract", "kpi", "payouts", "approve"} {
						found = found || emits[metricKey("Venn", job, sm[2], strings.Split(sm[1], ","))]
					}
					if !found {
						t.Errorf("%s: %q searches %s by %s, which no job emits", id, w.Properties.Title, sm[2], sm[1])
					}
					graphed++
					continue
				}
				if m[0] != "Venn" {
					continue
				}
				var names []string
				job := ""
				for i := 2; i+1 < len(m); i += 2 {
					names = append(names, m[i].(string))
					if m[i] == "Job" {
						job = m[i+1].(string)
					}
				}
				if k := metricKey("Venn", job, m[1].(string), names); !emits[k] {
					t.Errorf("%s: %q graphs %s, which no job emits", id, w.Properties.Title, k)
				}
				graphed++
			}
		}
		if graphed < 10 {
			t.Errorf("%s graphs %d Venn metrics", id, graphed)
		}
	}
}
