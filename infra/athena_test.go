package infra

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// The KPI catalog on Athena (KPI_ATHENA_MIN_ROWS, docs/configuration.md):
// a workgroup on engine v3 that enforces its result location under the
// lake's athena/ prefix, encrypted with the lake key, with a scan cap; the
// KPI function points at it, off by default, and its Athena grant names
// that workgroup and nothing else (finance's read policy has its own
// workgroup).
func TestKpiAthenaWorkGroup(t *testing.T) {
	tmpl := loadTemplate(t, templatePath)
	wg := get(tmpl, "Resources", "KpiWorkGroup", "Properties", "WorkGroupConfiguration")
	if wg == nil {
		t.Fatal("no KpiWorkGroup")
	}
	if fmt.Sprint(get(wg, "EnforceWorkGroupConfiguration")) != "true" || get(wg, "BytesScannedCutoffPerQuery") == nil {
		t.Errorf("workgroup configuration %v: want it enforced, with a scan cap", wg)
	}
	if v := str(get(wg, "EngineVersion", "SelectedEngineVersion")); v != "Athena engine version 3" {
		t.Errorf("engine %q, want v3 (the dialect shared/kpisql writes)", v)
	}
	if loc := subText(get(wg, "ResultConfiguration", "OutputLocation")); loc != "s3://${LakeBucket}/${LakePrefix}athena/" {
		t.Errorf("result location %q, want the lake's athena/ prefix", loc)
	}
	enc := get(wg, "ResultConfiguration", "EncryptionConfiguration")
	if str(get(enc, "EncryptionOption")) != "SSE_KMS" || !strings.Contains(fmt.Sprint(get(enc, "KmsKey")), "LakeKey") {
		t.Errorf("results encryption %v, want SSE_KMS with the lake key", enc)
	}

	kpiEnv := get(functionProps(t, tmpl)["KpiFunction"], "Environment", "Variables")
	if ref(get(kpiEnv, "ATHENA_WORKGROUP")) != "KpiWorkGroup" || ref(get(kpiEnv, "KPI_ATHENA_MIN_ROWS")) != "KpiAthenaMinRows" {
		t.Errorf("KpiFunction environment %v: want ATHENA_WORKGROUP and KPI_ATHENA_MIN_ROWS from the template", kpiEnv)
	}
	if d := fmt.Sprint(get(tmpl, "Parameters", "KpiAthenaMinRows", "Default")); d != "0" {
		t.Errorf("KpiAthenaMinRows default %v, want 0 (off)", d)
	}

	for _, st := range policyStatements(tmpl) {
		if !slices.ContainsFunc(st.actions, func(a string) bool { return strings.HasPrefix(a, "athena:") }) {
			continue
		}
		if st.where == "NightlyStateMachine" {
			// It polls the queries the kpi function started (and cancels
			// them past their budget); it never starts one.
			for _, a := range st.actions {
				if a != "athena:BatchGetQueryExecution" && a != "athena:StopQueryExecution" {
					t.Errorf("the nightly state machine may %s: it only polls and stops the KPI query", a)
				}
			}
			for _, r := range st.resources {
				if !strings.HasSuffix(subText(r), ":workgroup/${KpiWorkGroup}") {
					t.Errorf("%s: athena grant on %v, want the KPI workgroup only", st.where, r)
				}
			}
			continue
		}
		if st.where != "KpiFunction" {
			for _, r := range st.resources {
				if strings.Contains(subText(r), "KpiWorkGroup") {
					t.Errorf("%s may run queries in the KPI workgroup", st.where)
				}
			}
			continue
		}
		for _, r := range st.resources {
			if !strings.HasSuffix(subText(r), ":workgroup/${KpiWorkGroup}") {
				t.Errorf("%s: athena grant on %v, want the KPI workgroup only", st.where, r)
			}
		}
	}
}
