package infra

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/venn-revops/venn/shared/dynamo"
	"github.com/venn-revops/venn/shared/pipeline"
)

const templatePath = "../template.yaml"

// functionProps merges Globals.Function into each function's Properties the
// way SAM does (function values win; environment variables are merged).
func functionProps(t *testing.T, tmpl map[string]any) map[string]map[string]any {
	t.Helper()
	globals, _ := get(tmpl, "Globals", "Function").(map[string]any)
	out := map[string]map[string]any{}
	for id, r := range resources(tmpl, "AWS::Serverless::Function") {
		props := map[string]any{}
		for k, v := range globals {
			props[k] = v
		}
		own, _ := r["Properties"].(map[string]any)
		for k, v := range own {
			props[k] = v
		}
		env := map[string]any{}
		for _, src := range []any{get(globals, "Environment", "Variables"), get(own, "Environment", "Variables")} {
			if m, ok := src.(map[string]any); ok {
				for k, v := range m {
					env[k] = v
				}
			}
		}
		props["Environment"] = map[string]any{"Variables": env}
		props["Metadata"] = r["Metadata"]
		out[id] = props
	}
	return out
}

// logicalID is the template's name for functions/<dir>: "payouts" → "PayoutsFunction".
func logicalID(dir string) string { return strings.ToUpper(dir[:1]) + dir[1:] + "Function" }

func TestFunctionsMatchFolders(t *testing.T) {
	tmpl := loadTemplate(t, templatePath)
	fns := functionProps(t, tmpl)
	dirs, err := filepath.Glob("../functions/*/main.go")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no functions/*/main.go found")
	}
	makefile, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range dirs {
		dir := filepath.Base(filepath.Dir(m))
		id := logicalID(dir)
		seen[id] = true
		p, ok := fns[id]
		if !ok {
			t.Errorf("functions/%s has no %s in template.yaml", dir, id)
			continue
		}
		if str(get(p, "Metadata", "BuildMethod")) != "makefile" || str(p["CodeUri"]) != "." {
			t.Errorf("%s: want CodeUri . and Metadata.BuildMethod makefile, got %v / %v", id, p["CodeUri"], p["Metadata"])
		}
		// sam build runs `make build-<LogicalId>` and expects ./functions/<dir>.
		target := regexp.MustCompile(`(?m)^build-` + id + `:.*\./functions/` + dir + `\b`)
		if !target.Match(makefile) {
			t.Errorf("Makefile has no build-%s target building ./functions/%s", id, dir)
		}
	}
	for id := range fns {
		if !seen[id] {
			t.Errorf("template function %s has no functions/ folder", id)
		}
	}
}

func TestFunctionRuntimeAndEnvironment(t *testing.T) {
	tmpl := loadTemplate(t, templatePath)
	for id, p := range functionProps(t, tmpl) {
		t.Run(id, func(t *testing.T) {
			if str(p["Runtime"]) != "provided.al2023" || str(p["Handler"]) != "bootstrap" {
				t.Errorf("runtime %v handler %v", p["Runtime"], p["Handler"])
			}
			if a := list(p["Architectures"]); len(a) != 1 || str(a[0]) != "arm64" {
				t.Errorf("architectures %v, want [arm64]", a)
			}
			env := get(p, "Environment", "Variables").(map[string]any)
			for _, k := range []string{"LAKE_BUCKET", "LAKE_PREFIX", "RESULTS_TABLE", "KMS_KEY_ID", "LOG_LEVEL", "GOMEMLIMIT"} {
				if env[k] == nil {
					t.Errorf("missing env %s", k)
				}
			}
			// The extract pulls with the CRM credentials; score writes
			// scores back with them (writeback, a dry run by default).
			if _, has := env["CRM_SECRET_ARN"]; has != (id == "ExtractFunction" || id == "ScoreFunction") {
				t.Errorf("CRM_SECRET_ARN set: %v; only ExtractFunction and ScoreFunction may have it", has)
			}
			// GOMEMLIMIT leaves the runtime and off-heap memory room, but not
			// so much that the GC runs blind to the real limit.
			mem, err := strconv.Atoi(str(p["MemorySize"]))
			if err != nil {
				t.Fatalf("MemorySize %v", p["MemorySize"])
			}
			lim, ok := strings.CutSuffix(str(env["GOMEMLIMIT"]), "MiB")
			limMiB, err := strconv.Atoi(lim)
			if !ok || err != nil {
				t.Fatalf("GOMEMLIMIT %v: want <n>MiB", env["GOMEMLIMIT"])
			}
			if limMiB >= mem || limMiB < mem*80/100 {
				t.Errorf("GOMEMLIMIT %dMiB for MemorySize %d: want 80-99%%", limMiB, mem)
			}
			lg := ref(get(p, "LoggingConfig", "LogGroup"))
			if str(get(p, "LoggingConfig", "LogFormat")) != "JSON" || lg == "" {
				t.Errorf("LoggingConfig %v: want JSON to its own log group", p["LoggingConfig"])
			} else if get(tmpl, "Resources", lg, "Properties", "RetentionInDays") == nil {
				t.Errorf("log group %s has no retention", lg)
			}
			if ref(get(p, "EventInvokeConfig", "DestinationConfig", "OnFailure", "Destination")) != "DeadLetterQueue" {
				t.Errorf("async failures do not go to the DLQ: %v", p["EventInvokeConfig"])
			}
		})
	}
}

func TestReservedConcurrency(t *testing.T) {
	want := map[string]string{"ExtractFunction": "", "KpiFunction": "1", "PayoutsFunction": "1", "ApproveFunction": "1", "ScoreFunction": "1"}
	for id, p := range functionProps(t, loadTemplate(t, templatePath)) {
		if got := str(p["ReservedConcurrentExecutions"]); got != want[id] {
			t.Errorf("%s: ReservedConcurrentExecutions %q, want %q", id, got, want[id])
		}
	}
}

// lakePrefixes returns the lake prefixes ("crm/", "kpi/", …) a statement's
// object resources cover, or nil if it names no lake object.
func lakePrefixes(st statement) []string {
	var out []string
	for _, r := range st.resources {
		s := subText(r)
		if rest, ok := strings.CutPrefix(s, "${LakeBucket.Arn}/${LakePrefix}"); ok {
			out = append(out, strings.TrimSuffix(rest, "*"))
		} else if strings.HasPrefix(s, "${LakeBucket.Arn}/") {
			out = append(out, "?"+s) // an object ARN outside the prefix scheme
		}
	}
	return out
}

func TestLeastPrivilege(t *testing.T) {
	tmpl := loadTemplate(t, templatePath)
	stmts := policyStatements(tmpl)
	if len(stmts) < 20 {
		t.Fatalf("found only %d policy statements: the parser is missing some", len(stmts))
	}
	for _, st := range stmts {
		if st.effect != "Allow" {
			continue
		}
		for _, a := range st.actions {
			if a == "*" || strings.HasSuffix(a, ":*") || strings.Contains(a, "*") && !strings.HasPrefix(a, "kms:GenerateDataKey") {
				t.Errorf("%s: wildcard action %q", st.where, a)
			}
			if strings.HasPrefix(a, "s3:Delete") || strings.HasPrefix(a, "s3:PutLifecycle") || strings.HasPrefix(a, "s3:PutBucket") {
				t.Errorf("%s: grants %s on the lake", st.where, a)
			}
			if slices.Contains([]string{"dynamodb:DeleteItem", "dynamodb:Scan", "dynamodb:UpdateItem", "dynamodb:DeleteTable", "dynamodb:UpdateTable", "dynamodb:TransactWriteItems"}, a) {
				t.Errorf("%s: grants %s on the results table", st.where, a)
			}
		}
		for _, r := range st.resources {
			if str(r) == "*" && !strings.HasPrefix(st.where, "NightlyStateMachine") && !strings.HasPrefix(st.where, "CloseStateMachine") {
				t.Errorf("%s: Resource \"*\" for %v", st.where, st.actions)
			}
			if str(r) == "*" && slices.ContainsFunc(st.actions, func(a string) bool { return !strings.HasPrefix(a, "logs:") }) {
				t.Errorf("%s: Resource \"*\" beyond log delivery: %v", st.where, st.actions)
			}
		}
	}

	// Listing is limited by prefix with StringLikeIfExists (see the note in
	// template.yaml): plain StringLike turns a missing object into a 403.
	for _, st := range stmts {
		if st.effect == "Allow" && slices.Contains(st.actions, "s3:ListBucket") {
			if get(st.condition, "StringLikeIfExists", "s3:prefix") == nil || get(st.condition, "StringLike") != nil {
				t.Errorf("%s: s3:ListBucket condition %v, want StringLikeIfExists on s3:prefix", st.where, st.condition)
			}
		}
	}

	// What each function may write and read in the lake (brief: extract
	// writes crm/, kpi reads crm/ writes kpi/ (and Athena's results under
	// athena/, with the function's credentials), payouts reads kpi/ and crm/
	// writes comp/ and exports/; approve refreshes the payroll export and
	// the statement status table, and reads the User snapshot, whose hashed
	// emails tell whether the caller is paid by a statement).
	// Every function reads the business configuration store, config/,
	// before each run; only `venn config push` (an operator) writes it.
	type access struct{ write, read []string }
	want := map[string]access{
		"ExtractFunction": {write: []string{"crm/"}, read: []string{"config/", "crm/"}},
		"KpiFunction":     {write: []string{"athena/", "kpi/"}, read: []string{"athena/", "config/", "crm/", "kpi/"}},
		"PayoutsFunction": {write: []string{"comp/", "exports/"}, read: []string{"comp/", "config/", "crm/", "exports/", "kpi/"}},
		"ApproveFunction": {write: []string{"comp/statement_status/", "exports/"}, read: []string{"comp/statement_status/", "config/", "crm/snapshot/object=User/", "exports/"}},
		"ScoreFunction":   {write: []string{"score/"}, read: []string{"config/", "crm/", "score/"}},
	}
	got := map[string]*access{}
	for id := range want {
		got[id] = &access{}
	}
	for _, st := range stmts {
		a, ok := got[st.where]
		if !ok || st.effect != "Allow" {
			continue
		}
		for _, p := range lakePrefixes(st) {
			if slices.Contains(st.actions, "s3:PutObject") {
				a.write = append(a.write, p)
			}
			if slices.Contains(st.actions, "s3:GetObject") {
				a.read = append(a.read, p)
			}
		}
	}
	for id, w := range want {
		g := got[id]
		sort.Strings(g.write)
		sort.Strings(g.read)
		if !slices.Equal(g.write, w.write) || !slices.Equal(g.read, w.read) {
			t.Errorf("%s lake access: writes %v reads %v; want writes %v reads %v", id, g.write, g.read, w.write, w.read)
		}
	}

	// Only the extract reads both secrets, the CRM and PII ones; approve
	// reads the PII key alone (to hash the caller's email), score the CRM
	// credentials alone (score write-back to Lead fields).
	secrets := map[string][]string{"ExtractFunction": {"CrmSecretArn", "PiiKeySecret"}, "ApproveFunction": {"PiiKeySecret"}, "ScoreFunction": {"CrmSecretArn"}}
	for _, st := range stmts {
		if slices.Contains(st.actions, "secretsmanager:GetSecretValue") {
			var names []string
			for _, r := range st.resources {
				names = append(names, ref(r))
			}
			sort.Strings(names)
			if want, ok := secrets[st.where]; !ok || !slices.Equal(names, want) {
				t.Errorf("%s reads secrets %v", st.where, names)
			}
		}
	}
}

func TestLakeBucket(t *testing.T) {
	tmpl := loadTemplate(t, templatePath)
	b := get(tmpl, "Resources", "LakeBucket", "Properties")
	enc := list(get(b, "BucketEncryption", "ServerSideEncryptionConfiguration"))
	if len(enc) != 1 || str(get(enc[0], "ServerSideEncryptionByDefault", "SSEAlgorithm")) != "aws:kms" || ref(get(enc[0], "ServerSideEncryptionByDefault", "KMSMasterKeyID")) != "LakeKey" {
		t.Errorf("bucket encryption %v: want aws:kms with LakeKey", enc)
	}
	if str(get(tmpl, "Resources", "LakeKey", "Properties", "EnableKeyRotation")) != "true" {
		t.Error("LakeKey rotation is off")
	}
	if str(get(b, "VersioningConfiguration", "Status")) != "Enabled" {
		t.Error("versioning is not enabled")
	}
	for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
		if str(get(b, "PublicAccessBlockConfiguration", k)) != "true" {
			t.Errorf("PublicAccessBlockConfiguration.%s is not true", k)
		}
	}
	var noncurrent, abort, changes bool
	for _, r := range list(get(b, "LifecycleConfiguration", "Rules")) {
		noncurrent = noncurrent || get(r, "NoncurrentVersionExpiration") != nil
		abort = abort || get(r, "AbortIncompleteMultipartUpload") != nil
		changes = changes || subText(get(r, "Prefix")) == "${LakePrefix}crm/changes/" && get(r, "ExpirationInDays") != nil
	}
	if !noncurrent || !abort || !changes {
		t.Errorf("lifecycle: noncurrent %v, abort multipart %v, crm/changes expiry %v", noncurrent, abort, changes)
	}
	var tlsOnly bool
	for _, s := range list(get(tmpl, "Resources", "LakeBucketPolicy", "Properties", "PolicyDocument", "Statement")) {
		if str(get(s, "Effect")) == "Deny" && str(get(s, "Condition", "Bool", "aws:SecureTransport")) == "false" && len(list(get(s, "Resource"))) == 2 {
			tlsOnly = true
		}
	}
	if !tlsOnly {
		t.Error("no TLS-only (aws:SecureTransport false → Deny) statement on the bucket and its objects")
	}
}

func TestResultsTable(t *testing.T) {
	tmpl := loadTemplate(t, templatePath)
	p := get(tmpl, "Resources", "ResultsTable", "Properties")
	checks := map[string]string{
		"BillingMode":                 str(get(p, "BillingMode")),
		"PITR":                        str(get(p, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled")),
		"SSE":                         str(get(p, "SSESpecification", "SSEEnabled")),
		"SSEType":                     str(get(p, "SSESpecification", "SSEType")),
		"TTL attribute":               str(get(p, "TimeToLiveSpecification", "AttributeName")),
		"TTL enabled":                 str(get(p, "TimeToLiveSpecification", "Enabled")),
		"DeletionProtectionEnabled":   str(get(p, "DeletionProtectionEnabled")),
		"DeletionPolicy":              str(get(tmpl, "Resources", "ResultsTable", "DeletionPolicy")),
		"KMS key":                     ref(get(p, "SSESpecification", "KMSMasterKeyId")),
		"TTL attribute (adapter)":     dynamo.AttrExpires,
		"GSI name (adapter/template)": dynamo.IndexGSI1 + "/" + str(get(list(get(p, "GlobalSecondaryIndexes"))[0], "IndexName")),
	}
	want := map[string]string{
		"BillingMode": "PAY_PER_REQUEST", "PITR": "true", "SSE": "true", "SSEType": "KMS",
		"TTL attribute": "expires", "TTL enabled": "true", "DeletionProtectionEnabled": "true",
		"DeletionPolicy": "Retain", "KMS key": "LakeKey", "TTL attribute (adapter)": "expires",
		"GSI name (adapter/template)": "GSI1/GSI1",
	}
	for k, w := range want {
		if checks[k] != w {
			t.Errorf("%s = %q, want %q", k, checks[k], w)
		}
	}

	// Keys, attribute types and GSI1 exactly as dynamo.CreateTable makes them.
	in := dynamo.CreateTableInput("x")
	var wantAttrs, gotAttrs []string
	for _, a := range in.AttributeDefinitions {
		wantAttrs = append(wantAttrs, aws.ToString(a.AttributeName)+":"+string(a.AttributeType))
	}
	for _, a := range list(get(p, "AttributeDefinitions")) {
		gotAttrs = append(gotAttrs, str(get(a, "AttributeName"))+":"+str(get(a, "AttributeType")))
	}
	sort.Strings(wantAttrs)
	sort.Strings(gotAttrs)
	if !slices.Equal(gotAttrs, wantAttrs) {
		t.Errorf("attributes %v, adapter creates %v", gotAttrs, wantAttrs)
	}
	keys := func(v any) string {
		var s []string
		for _, k := range list(v) {
			s = append(s, str(get(k, "AttributeName"))+":"+str(get(k, "KeyType")))
		}
		return strings.Join(s, ",")
	}
	wantKeys := fmt.Sprintf("%s:HASH,%s:RANGE", dynamo.AttrPK, dynamo.AttrSK)
	if got := keys(get(p, "KeySchema")); got != wantKeys {
		t.Errorf("key schema %s, want %s", got, wantKeys)
	}
	gsis := list(get(p, "GlobalSecondaryIndexes"))
	wantGSI := fmt.Sprintf("%s:HASH,%s:RANGE", dynamo.AttrGSI1PK, dynamo.AttrGSI1SK)
	if len(gsis) != 1 || len(in.GlobalSecondaryIndexes) != 1 || keys(get(gsis[0], "KeySchema")) != wantGSI ||
		str(get(gsis[0], "Projection", "ProjectionType")) != string(in.GlobalSecondaryIndexes[0].Projection.ProjectionType) {
		t.Errorf("GSI %v, want one GSI1 %s projecting ALL", gsis, wantGSI)
	}
}

func TestSchedules(t *testing.T) {
	tmpl := loadTemplate(t, templatePath)
	scheds := resources(tmpl, "AWS::Scheduler::Schedule")
	nightly, close := scheds["NightlyChainSchedule"], scheds["QuarterCloseChainSchedule"]
	if nightly == nil || close == nil || len(scheds) != 2 {
		t.Fatalf("schedules %v", keysOf(scheds))
	}
	if ref(get(nightly, "Properties", "Target", "Arn")) != "NightlyStateMachine" || ref(get(close, "Properties", "Target", "Arn")) != "CloseStateMachine" {
		t.Error("schedules do not start the state machines")
	}
	if d := str(get(tmpl, "Parameters", "QuarterCloseSchedule", "Default")); d != "cron(0 6 1 1,4,7,10 ? *)" {
		t.Errorf("quarter close default %q", d)
	}
	if d := str(get(tmpl, "Parameters", "ScheduleTimezone", "Default")); d != "UTC" {
		t.Errorf("schedule zone default %q, want UTC (quarters are UTC)", d)
	}
	for id, s := range scheds {
		if ref(get(s, "Properties", "Target", "DeadLetterConfig", "Arn")) != "DeadLetterQueue" {
			t.Errorf("%s has no DLQ", id)
		}
	}

	// The nightly input: the plan event (the extract function answers one
	// nightly event per configured object, shared/pipeline NightlyPlan),
	// each exactly what the extract handler accepts; then the kpi event.
	var in struct {
		Plan  json.RawMessage `json:"plan"`
		KPI   json.RawMessage `json:"kpi"`
		Score json.RawMessage `json:"score"`
		// WhatIf is the payouts qtd event: quarter-to-date earnings and
		// the rep's what-if, last in the chain.
		WhatIf json.RawMessage `json:"whatif"`
	}
	decodeStrict(t, str(get(nightly, "Properties", "Target", "Input")), &in)
	if compact(t, in.Plan) != `{"job":"extract","mode":"plan"}` {
		t.Errorf("nightly plan event %s", in.Plan)
	}
	mustParse(t, in.Plan, "extract")
	// defer: on Athena the function starts the query and the state
	// machine polls it (infra/statemachine/nightly.asl.json).
	if compact(t, in.KPI) != `{"job":"kpi","mode":"qtd","defer":true}` {
		t.Errorf("nightly kpi event %s", in.KPI)
	}
	mustParse(t, in.KPI, "kpi")
	if compact(t, in.Score) != `{"job":"score"}` {
		t.Errorf("nightly score event %s", in.Score)
	}
	mustParse(t, in.Score, "score")
	if compact(t, in.WhatIf) != `{"job":"payouts","mode":"qtd"}` {
		t.Errorf("nightly what-if event %s", in.WhatIf)
	}
	mustParse(t, in.WhatIf, "payouts")

	var cl struct {
		KPI     json.RawMessage `json:"kpi"`
		Payouts json.RawMessage `json:"payouts"`
	}
	decodeStrict(t, str(get(close, "Properties", "Target", "Input")), &cl)
	if compact(t, cl.KPI) != `{"job":"kpi","mode":"close"}` || compact(t, cl.Payouts) != `{"job":"payouts","mode":"close"}` {
		t.Errorf("close events %s %s", cl.KPI, cl.Payouts)
	}
	mustParse(t, cl.KPI, "kpi")
	mustParse(t, cl.Payouts, "payouts")

	// The approve example shown in the Outputs is a valid approve event.
	desc := str(get(tmpl, "Outputs", "ApproveFunctionUrl", "Description"))
	ev, _ := strings.CutPrefix(desc, "POST ")
	ev, _, _ = strings.Cut(ev, " signed")
	if compact(t, json.RawMessage(ev)) != `{"job":"approve","quarter":"2026Q3","action":"approve"}` {
		t.Errorf("approve example %q", ev)
	}
	mustParse(t, json.RawMessage(ev), "approve")
}

func mustParse(t *testing.T, raw json.RawMessage, job string) {
	t.Helper()
	if _, err := pipeline.ParseEvent(raw, job); err != nil {
		t.Errorf("the %s handler rejects %s: %v", job, raw, err)
	}
}

func decodeStrict(t *testing.T, s string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("schedule input %q: %v", s, err)
	}
}

// compact is raw without insignificant space, keys in their written order.
func compact(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return b.String()
}

func keysOf[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func TestAlarmsAndDeadLetters(t *testing.T) {
	tmpl := loadTemplate(t, templatePath)
	dlq := get(tmpl, "Resources", "DeadLetterQueue", "Properties")
	if str(get(dlq, "SqsManagedSseEnabled")) != "true" && get(dlq, "KmsMasterKeyId") == nil {
		t.Error("the DLQ is not encrypted")
	}
	alarms := resources(tmpl, "AWS::CloudWatch::Alarm")
	watched := map[string]bool{}
	for id, a := range alarms {
		p := a["Properties"]
		acts := list(get(p, "AlarmActions"))
		if len(acts) != 1 || ref(acts[0]) != "AlarmTopic" {
			t.Errorf("%s does not notify AlarmTopic", id)
		}
		desc := str(get(p, "AlarmDescription"))
		if !strings.Contains(desc, "docs/runbook.md#"+strings.ToLower(id)) {
			t.Errorf("%s: description %q does not link its runbook entry", id, desc)
		}
		for _, d := range list(get(p, "Dimensions")) {
			watched[str(get(p, "MetricName"))+"/"+ref(get(d, "Value"))] = true
		}
	}
	for id := range resources(tmpl, "AWS::Serverless::Function") {
		if !watched["Errors/"+id] {
			t.Errorf("no Errors alarm on %s", id)
		}
	}
	for _, w := range []string{"ApproximateNumberOfMessagesVisible/DeadLetterQueue", "ExecutionsFailed/NightlyStateMachine", "ExecutionsFailed/CloseStateMachine"} {
		if !watched[w] {
			t.Errorf("no alarm on %s", w)
		}
	}
	// Every alarm has its runbook section.
	runbook, err := os.ReadFile("../docs/runbook.md")
	if err != nil {
		t.Fatal(err)
	}
	for id := range alarms {
		if !regexp.MustCompile(`(?m)^#+ ` + id + `\b`).Match(runbook) {
			t.Errorf("docs/runbook.md has no section for %s", id)
		}
	}
}

// A direct invoke of the approve function carries no signed caller, so the
// only way in is its AWS_IAM Function URL: every policy that lets someone
// invoke ApproveFunction does so through the URL (InvokeFunctionUrl, or
// InvokeFunction conditioned on lambda:InvokedViaFunctionUrl), and the finance
// and dispute policies grant both, as URLs created since October 2025 require.
func TestApproveOnlyThroughFunctionURL(t *testing.T) {
	tmpl := loadTemplate(t, templatePath)
	if got := str(get(tmpl, "Resources", "ApproveFunction", "Properties", "FunctionUrlConfig", "AuthType")); got != "AWS_IAM" {
		t.Fatalf("ApproveFunction FunctionUrlConfig.AuthType = %q, want AWS_IAM", got)
	}
	granted := map[string]bool{}
	for id, r := range resources(tmpl, "AWS::IAM::ManagedPolicy") {
		stmts, _ := get(r, "Properties", "PolicyDocument", "Statement").([]any)
		for _, s := range stmts {
			st, _ := s.(map[string]any)
			res, _ := json.Marshal(st["Resource"])
			if st["Effect"] != "Allow" || !strings.Contains(string(res), "ApproveFunction") {
				continue
			}
			var actions []string
			switch a := st["Action"].(type) {
			case string:
				actions = []string{a}
			case []any:
				for _, x := range a {
					actions = append(actions, fmt.Sprint(x))
				}
			}
			for _, a := range actions {
				switch a {
				case "lambda:InvokeFunctionUrl":
					if str(get(st, "Condition", "StringEquals", "lambda:FunctionUrlAuthType")) != "AWS_IAM" {
						t.Errorf("%s: %s on ApproveFunction without the AWS_IAM auth type condition", id, a)
					}
				case "lambda:InvokeFunction":
					if str(get(st, "Condition", "Bool", "lambda:InvokedViaFunctionUrl")) != "true" {
						t.Errorf("%s: plain lambda:InvokeFunction on ApproveFunction (a direct invoke has no signed caller)", id)
					}
				default:
					t.Errorf("%s: %s on ApproveFunction", id, a)
				}
				granted[id+" "+a] = true
			}
		}
	}
	for _, want := range []string{"FinanceApprovePolicy lambda:InvokeFunctionUrl", "FinanceApprovePolicy lambda:InvokeFunction",
		"DisputePolicy lambda:InvokeFunctionUrl", "DisputePolicy lambda:InvokeFunction"} {
		if !granted[want] {
			t.Errorf("%s not granted (granted: %v)", want, granted)
		}
	}
}
