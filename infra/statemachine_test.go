package infra

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/venn-revops/venn/scripts/node/nodebin"
)

// lambdaServiceErrors are the transient Lambda invoke errors every task
// must retry (the Step Functions best practice for lambda:invoke).
var lambdaServiceErrors = []string{"Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"}

type asl struct {
	StartAt string                     `json:"StartAt"`
	States  map[string]json.RawMessage `json:"States"`
}

type aslState struct {
	Type          string         `json:"Type"`
	Resource      string         `json:"Resource"`
	Next          string         `json:"Next"`
	End           bool           `json:"End"`
	ItemsPath     string         `json:"ItemsPath"`
	ItemSelector  map[string]any `json:"ItemSelector"`
	TimeoutSecs   int            `json:"TimeoutSeconds"`
	ItemProcessor *asl           `json:"ItemProcessor"`
	Parameters    struct {
		FunctionName string `json:"FunctionName"`
		Payload      string `json:"Payload.$"`
	} `json:"Parameters"`
	Retry []struct {
		ErrorEquals []string `json:"ErrorEquals"`
		MaxAttempts int      `json:"MaxAttempts"`
		BackoffRate float64  `json:"BackoffRate"`
	} `json:"Retry"`
	Catch []struct {
		ErrorEquals []string `json:"ErrorEquals"`
		Next        string   `json:"Next"`
	} `json:"Catch"`
}

// lambdaTask is a Lambda task found in a definition, with the Catch that
// guards it (its own, or its enclosing Map's).
type lambdaTask struct {
	name, function, payload string
	state                   aslState
	caught                  bool
}

func walk(t *testing.T, def *asl, caughtOutside bool, out *[]lambdaTask) {
	for name, raw := range def.States {
		var s aslState
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatalf("state %s: %v", name, err)
		}
		// Caught: to the alarm, or (the sliced loads' Map) on to the
		// objects, whose sliced object then fails and raises it.
		caught := caughtOutside || slices.ContainsFunc(s.Catch, func(c struct {
			ErrorEquals []string `json:"ErrorEquals"`
			Next        string   `json:"Next"`
		}) bool {
			return slices.Contains(c.ErrorEquals, "States.ALL") && (c.Next == "NotifyFailure" || name == "PullSlices" && c.Next == "ExtractObjects")
		})
		if s.Resource == "arn:aws:states:::lambda:invoke" {
			*out = append(*out, lambdaTask{name, s.Parameters.FunctionName, s.Parameters.Payload, s, caught})
		}
		if s.ItemProcessor != nil {
			walk(t, s.ItemProcessor, caught, out)
		}
	}
}

func TestStateMachines(t *testing.T) {
	tmpl := loadTemplate(t, templatePath)
	machines := resources(tmpl, "AWS::Serverless::StateMachine")
	// The payload paths are where the schedule inputs put each event (see TestSchedules).
	// The extract function is invoked three times in the nightly chain:
	// once to plan the night's objects and slices ($.plan), then per slice
	// of a sliced load and per object (each a Map item, selected as
	// $.event, sent again while the pull answers more).
	want := map[string]map[string]string{
		"NightlyStateMachine": {"${ExtractFunctionArn}": "$.event, $.event, $.plan", "${KpiFunctionArn}": "$.kpi, $.kpiQuery.finish", "${ScoreFunctionArn}": "$.score", "${PayoutsFunctionArn}": "$.whatif"},
		"CloseStateMachine":   {"${KpiFunctionArn}": "$.kpi", "${PayoutsFunctionArn}": "$.payouts"},
	}
	if len(machines) != len(want) {
		t.Fatalf("state machines %v", keysOf(machines))
	}
	for id, m := range machines {
		t.Run(id, func(t *testing.T) {
			p := m["Properties"]
			path := filepath.Join("..", str(get(p, "DefinitionUri")))
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			// Every ${Var} in the definition is substituted by the template, and
			// every substitution is used.
			subs, _ := get(p, "DefinitionSubstitutions").(map[string]any)
			used := map[string]bool{}
			for _, v := range regexp.MustCompile(`\$\{(\w+)\}`).FindAllStringSubmatch(string(raw), -1) {
				used[v[1]] = true
				if subs[v[1]] == nil {
					t.Errorf("%s uses ${%s}, which the template does not substitute", path, v[1])
				}
			}
			for k := range subs {
				if !used[k] {
					t.Errorf("substitution %s is not used by %s", k, path)
				}
			}
			var def asl
			if err := json.Unmarshal(raw, &def); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			var tasks []lambdaTask
			walk(t, &def, false, &tasks)
			fns := functionProps(t, tmpl)
			payloads := map[string][]string{}
			for _, task := range tasks {
				payloads[task.function] = append(payloads[task.function], task.payload)
				// The task outlives the function, so a function timeout
				// surfaces as the function's error, not a blind States.Timeout.
				fn := ref(subs[strings.Trim(task.function, "${}")])
				timeout, _ := strconv.Atoi(str(fns[fn]["Timeout"]))
				if timeout == 0 || task.state.TimeoutSecs <= timeout {
					t.Errorf("task %s: TimeoutSeconds %d, function %s Timeout %d", task.name, task.state.TimeoutSecs, fn, timeout)
				}
				if !task.caught {
					t.Errorf("task %s: no Catch of States.ALL to NotifyFailure", task.name)
				}
				var service, failed bool
				for _, r := range task.state.Retry {
					if r.BackoffRate < 1.5 || r.MaxAttempts < 2 {
						t.Errorf("task %s: retry %v without real backoff", task.name, r.ErrorEquals)
					}
					service = service || len(r.ErrorEquals) == len(lambdaServiceErrors) && !slices.ContainsFunc(lambdaServiceErrors, func(e string) bool { return !slices.Contains(r.ErrorEquals, e) })
					failed = failed || slices.Contains(r.ErrorEquals, "States.TaskFailed")
				}
				if !service || !failed {
					t.Errorf("task %s: retries Lambda service errors %v, task failures %v; want both", task.name, service, failed)
				}
			}
			got := map[string]string{}
			for fn, ps := range payloads {
				sort.Strings(ps)
				got[fn] = strings.Join(ps, ", ")
			}
			if len(got) != len(want[id]) {
				t.Errorf("lambda tasks %v, want %v", got, want[id])
			}
			for fn, payload := range want[id] {
				if got[fn] != payload {
					t.Errorf("%s gets payload %q, want %q", fn, got[fn], payload)
				}
			}
			if id == "NightlyStateMachine" {
				// The plan task feeds the Map: its result lands at
				// $.planned and the Map iterates its extract list.
				var start, sliced, next aslState
				var plan struct {
					ResultSelector map[string]string `json:"ResultSelector"`
					ResultPath     string            `json:"ResultPath"`
				}
				_ = json.Unmarshal(def.States[def.StartAt], &start)
				_ = json.Unmarshal(def.States[def.StartAt], &plan)
				_ = json.Unmarshal(def.States[start.Next], &sliced)
				_ = json.Unmarshal(def.States[sliced.Next], &next)
				if start.Parameters.Payload != "$.plan" || plan.ResultSelector["extract.$"] != "$.Payload.extract" || plan.ResultSelector["slices.$"] != "$.Payload.slices" || plan.ResultPath != "$.planned" {
					t.Errorf("nightly starts with %s (payload %q, result %v at %q), want the plan task", def.StartAt, start.Parameters.Payload, plan.ResultSelector, plan.ResultPath)
				}
				checkSliceMap(t, def.States[start.Next], sliced)
				if next.Type != "Map" || next.ItemsPath != "$.planned.extract" {
					t.Errorf("after the plan: %s over %q, want a Map over $.planned.extract", next.Type, next.ItemsPath)
				}
				// Each object's failure is its own: the iteration catches
				// it, and a Choice after the Map sends any to the alarm
				// instead of the KPIs.
				var extractTask aslState
				_ = json.Unmarshal(next.ItemProcessor.States[next.ItemProcessor.StartAt], &extractTask)
				if len(extractTask.Catch) != 1 || extractTask.Catch[0].Next != "ObjectFailed" || !slices.Contains(extractTask.Catch[0].ErrorEquals, "States.ALL") {
					t.Errorf("the per-object extract catches %+v, want States.ALL to ObjectFailed", extractTask.Catch)
				}
				if _, ok := def.States["AnyObjectFailed"]; !ok {
					t.Error("no AnyObjectFailed choice after the Map")
				}
				checkResumeLoop(t, next)
				checkKpiQueryLoop(t, &def)
			}
		})
	}
}

// checkSliceMap: the plan's slices run as a Distributed Map that tolerates
// no failed slice, each child looping its slice while the extract answers
// more, within the budget (a Fail state), its output kept small; a failed
// Map goes on to the objects.
func checkSliceMap(t *testing.T, raw json.RawMessage, m aslState) {
	t.Helper()
	var d struct {
		ToleratedFailurePercentage *float64
		MaxConcurrency             int
		ResultPath                 *string
		ItemProcessor              struct {
			ProcessorConfig struct{ Mode, ExecutionType string }
			States          map[string]struct {
				Type, Error string
				Parameters  map[string]any
				End         bool
			}
		}
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	pc := d.ItemProcessor.ProcessorConfig
	if m.Type != "Map" || m.ItemsPath != "$.planned.slices" || pc.Mode != "DISTRIBUTED" || pc.ExecutionType != "STANDARD" {
		t.Errorf("after the plan: %s over %q in %+v, want a Distributed Map over $.planned.slices", m.Type, m.ItemsPath, pc)
	}
	if d.ToleratedFailurePercentage == nil || *d.ToleratedFailurePercentage != 0 || d.MaxConcurrency < 1 || d.ResultPath != nil {
		t.Errorf("slices Map: tolerated %v, concurrency %d, result path %v; want 0, bounded, discarded", d.ToleratedFailurePercentage, d.MaxConcurrency, d.ResultPath)
	}
	if len(m.Catch) != 1 || m.Catch[0].Next != "ExtractObjects" || m.Next != "ExtractObjects" {
		t.Errorf("slices Map goes on to %q, catches %+v; want ExtractObjects either way", m.Next, m.Catch)
	}
	budget := ""
	for name, s := range d.ItemProcessor.States {
		if s.Type == "Fail" {
			budget = s.Error
		}
		if s.End && len(s.Parameters) > 2 {
			t.Errorf("slice child's last state %s outputs %v: keep it small", name, s.Parameters)
		}
	}
	if budget != "Venn.ExtractBudgetSpent" {
		t.Errorf("slice child's budget fails with %q, want Venn.ExtractBudgetSpent", budget)
	}
	checkLoop(t, m)
}

// checkResumeLoop: the Map hands each iteration its event and a counter;
// the extract's "more" sends the same event again through a counter step,
// bounded by a budget that ends the object as failed.
func checkResumeLoop(t *testing.T, m aslState) {
	t.Helper()
	budget := checkLoop(t, m)
	var budgetState struct {
		Parameters struct {
			Error struct{ Error string } `json:"error"`
		}
	}
	_ = json.Unmarshal(m.ItemProcessor.States[budget], &budgetState)
	if budgetState.Parameters.Error.Error != "Venn.ExtractBudgetSpent" {
		t.Errorf("budget state %q ends with %q, want Venn.ExtractBudgetSpent", budget, budgetState.Parameters.Error.Error)
	}
}

// checkLoop: the Map's item is the event with iteration 1; the task's
// "more" goes through a Choice that checks the budget first, then a
// counter step back to the task. It returns the budget's state.
func checkLoop(t *testing.T, m aslState) string {
	t.Helper()
	states := m.ItemProcessor.States
	var choice struct {
		Choices []struct {
			Variable      string
			BooleanEquals *bool
			Next          string
			And           []map[string]any
		}
	}
	var task, next aslState
	_ = json.Unmarshal(states[m.ItemProcessor.StartAt], &task)
	_ = json.Unmarshal(states[task.Next], &choice)
	var budget, again string
	for _, c := range choice.Choices {
		if c.And != nil {
			budget = c.Next
		} else if c.Variable == "$.result.more" && c.BooleanEquals != nil && *c.BooleanEquals {
			again = c.Next
		}
	}
	_ = json.Unmarshal(states[again], &next)
	switch {
	case m.ItemSelector["event.$"] != "$$.Map.Item.Value" || m.ItemSelector["iteration"] != 1.0:
		t.Errorf("Map ItemSelector %v, want the item as event and iteration 1", m.ItemSelector)
	case task.Next == "" || again == "" || next.Next != m.ItemProcessor.StartAt:
		t.Errorf("after the extract: %q; on more: %q, then %q; want a loop back to %s", task.Next, again, next.Next, m.ItemProcessor.StartAt)
	case budget == "" || len(choice.Choices) == 0 || choice.Choices[0].Next != budget:
		t.Error("the budget must be checked before looping again")
	}
	return budget
}

// TestASLValidator runs the reference validator (asl-validator from npm)
// over every definition.
func TestASLValidator(t *testing.T) {
	bin := nodebin.Find(t, "asl-validator")
	defs, err := filepath.Glob("statemachine/*.asl.json")
	if err != nil || len(defs) == 0 {
		t.Fatalf("no definitions: %v", err)
	}
	sort.Strings(defs)
	args := []string{}
	for _, d := range defs {
		args = append(args, "--json-path", d)
	}
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("asl-validator: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), "is valid"); n != len(defs) {
		t.Fatalf("asl-validator validated %d of %d definitions:\n%s", n, len(defs), out)
	}
}

// The validator must reject a broken definition, or the test above proves nothing.
func TestASLValidatorRejects(t *testing.T) {
	bin := nodebin.Find(t, "asl-validator")
	bad := filepath.Join(t.TempDir(), "bad.asl.json")
	if err := os.WriteFile(bad, []byte(`{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Next":"Missing"}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "--json-path", bad).CombinedOutput(); err == nil {
		t.Fatalf("asl-validator accepted a dangling Next:\n%s", out)
	}
}

// checkKpiQueryLoop: after the KPI task, a ticket ($.kpiResult.result.query)
// leads into a loop of Wait, Athena's BatchGetQueryExecution over the
// ticket's queries called by the state machine, a Pass that reads their
// states and a Choice: a failed or cancelled query goes to the alarm,
// every query succeeded sends the ticket back to the kpi function, and a
// spent budget (checked before looping again) stops every query and goes
// to the alarm; no ticket goes straight on to the scores. Every Athena
// call retries throttling and is caught.
func checkKpiQueryLoop(t *testing.T, def *asl) {
	t.Helper()
	type choice struct {
		Variable                 string
		IsPresent                *bool
		NumericGreaterThanEquals *float64
		And, Or                  []map[string]any
		Next                     string
	}
	type state struct {
		Type, Resource, Next, Default string
		Seconds                       int
		Choices                       []choice
		Parameters                    map[string]any
		Retry                         []struct{ ErrorEquals []string }
		Catch                         []struct{ Next string }
		ItemsPath                     string
		ItemProcessor                 *asl
	}
	states := func(def *asl) map[string]state {
		st := map[string]state{}
		for name, raw := range def.States {
			var s state
			if err := json.Unmarshal(raw, &s); err != nil {
				t.Fatalf("state %s: %v", name, err)
			}
			st[name] = s
		}
		return st
	}
	st := states(def)
	kpiTask := st["KpiQuarterToDate"]
	on := st[kpiTask.Next]
	if on.Type != "Choice" || len(on.Choices) != 1 || on.Choices[0].Variable != "$.kpiResult.result.query" || on.Choices[0].IsPresent == nil || !*on.Choices[0].IsPresent || on.Default != "Score" {
		t.Fatalf("after the KPI task: %s %+v, want a Choice on the query ticket, default Score", kpiTask.Next, on)
	}
	started := st[on.Choices[0].Next]
	wait := st[started.Next]
	status := st[wait.Next]
	count := st[status.Next]
	done := st[count.Next]
	if wait.Type != "Wait" || wait.Seconds <= 0 || status.Resource != "arn:aws:states:::aws-sdk:athena:batchGetQueryExecution" ||
		status.Parameters["QueryExecutionIds.$"] != "$.kpiQuery.finish.query.ids" || count.Type != "Pass" || done.Type != "Choice" {
		t.Fatalf("the poll loop is %s (%s), %s, %s, %s; want Wait, batchGetQueryExecution over the ticket's ids, a count, a Choice", started.Next, wait.Type, status.Resource, count.Type, done.Type)
	}
	var succeeded, failed, budget string
	for i, c := range done.Choices {
		switch {
		case len(c.And) > 0:
			succeeded = c.Next
		case len(c.Or) > 0:
			failed = c.Next
		case c.NumericGreaterThanEquals != nil:
			budget = c.Next
			if i != len(done.Choices)-1 || done.Default == "" {
				t.Error("the budget is checked after the end states and before looping again")
			}
		}
	}
	finish, again := st[succeeded], st[done.Default]
	if finish.Resource != "arn:aws:states:::lambda:invoke" || finish.Parameters["Payload.$"] != "$.kpiQuery.finish" || finish.Next != "Score" {
		t.Errorf("when every query succeeded: %s %+v, want the kpi function with the ticket, then Score", succeeded, finish.Parameters)
	}
	if again.Next != started.Next {
		t.Errorf("a running query goes to %s then %s, want back to %s", done.Default, again.Next, started.Next)
	}
	stop := st[budget]
	if st[failed].Next != "NotifyFailure" || stop.Type != "Map" || stop.ItemsPath != "$.kpiQuery.finish.query.ids" || st[stop.Next].Next != "NotifyFailure" {
		t.Fatalf("failed query: %s; budget spent: %s (%s over %q) then %s; want the alarm, after stopping every query", failed, budget, stop.Type, stop.ItemsPath, stop.Next)
	}
	inner := states(stop.ItemProcessor)[stop.ItemProcessor.StartAt]
	for name, s := range map[string]state{wait.Next: status, "the stop": inner} {
		if len(s.Retry) == 0 || !slices.Contains(s.Retry[0].ErrorEquals, "Athena.TooManyRequestsException") || len(s.Catch) == 0 {
			t.Errorf("%s: retries %+v, catches %+v; want throttling retried and every error caught", name, s.Retry, s.Catch)
		}
	}
	if inner.Resource != "arn:aws:states:::aws-sdk:athena:stopQueryExecution" {
		t.Errorf("the stop runs %s, want stopQueryExecution", inner.Resource)
	}
}
