package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/extract"
	"github.com/venn-revops/venn/shared/results/localstore"
	"github.com/venn-revops/venn/shared/runledger"
)

// The nightly state machine's first step: an extract event of mode plan
// answers one nightly event per object, the registry's then the
// configuration's custom objects, each one the extract handler accepts.
func TestNightlyPlanListsConfiguredObjects(t *testing.T) {
	org, err := extract.LoadOrgConfig("org.yaml", []byte(`
version: 1
objects:
  - name: Subscription__c
    fields: [{name: Status__c}]
  - name: Order
    all_fields: true
`))
	if err != nil {
		t.Fatal(err)
	}
	store, _ := localstore.Open("")
	env := &Env{Store: store, ExtractOptions: ExtractOptions{Org: org}}
	h := env.Handler("extract", runledger.New(store), env.PlanExtract(nil))
	out, err := h(context.Background(), json.RawMessage(`{"job":"extract","mode":"plan"}`))
	if err != nil {
		t.Fatal(err)
	}
	// Hand-built: the registry's objects in order, then the two configured.
	var want []string
	for _, o := range crm.Objects {
		want = append(want, fmt.Sprintf(`{"job":"extract","mode":"nightly","objects":[%q]}`, o.Name))
	}
	want = append(want, `{"job":"extract","mode":"nightly","objects":["Subscription__c"]}`, `{"job":"extract","mode":"nightly","objects":["Order"]}`)
	if got, w := string(out), `{"extract":[`+strings.Join(want, ",")+`]}`; got != w {
		t.Fatalf("plan\n%s\nwant\n%s", got, w)
	}
	var plan struct{ Extract []json.RawMessage }
	if err := json.Unmarshal(out, &plan); err != nil {
		t.Fatal(err)
	}
	for _, item := range plan.Extract {
		if _, err := ParseEvent(item, "extract"); err != nil {
			t.Errorf("the extract handler rejects the planned %s: %v", item, err)
		}
	}

	// Without a configuration: the registry's objects only.
	if n := len((&Env{}).NightlyPlan().Extract); n != len(crm.Objects) {
		t.Errorf("default plan has %d objects, want %d", n, len(crm.Objects))
	}
	// A plan names no objects.
	for _, raw := range []string{`{"job":"extract","mode":"plan","objects":["Lead"]}`, `{"job":"extract","mode":"plan","from":"2026-01-01"}`} {
		if _, err := ParseEvent([]byte(raw), "extract"); err == nil || !strings.Contains(err.Error(), "plan") {
			t.Errorf("%s: %v", raw, err)
		}
	}
}
