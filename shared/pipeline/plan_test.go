package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/democrm"
	"github.com/venn-revops/venn/shared/extract"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
	"github.com/venn-revops/venn/shared/results/localstore"
	"github.com/venn-revops/venn/shared/runledger"
	"github.com/venn-revops/venn/shared/salesforce"
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
	blob, err := fsblob.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	demo := democrm.Generate(democrm.Config{Seed: 3, Leads: 200})
	base, stop := democrm.NewServer(demo).Start()
	t.Cleanup(stop)
	client, err := salesforce.New(salesforce.Config{LoginURL: base, ClientID: "venn-demo", ClientSecret: "venn-demo-secret"})
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{Store: store, Blob: blob, ExtractOptions: ExtractOptions{Org: org}, Now: func() time.Time { return demo.Clock().Add(time.Minute) }}
	h := env.Handler("extract", runledger.New(store), env.PlanExtract(extract.FromSalesforce(client)))
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
	// No object is large enough to load in slices.
	if got, w := string(out), `{"extract":[`+strings.Join(want, ",")+`],"slices":[]}`; got != w {
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

// A large first load through the extract handler as the nightly state
// machine drives it: the plan lists one slice event per slice (each one
// the handler accepts), each slice event is sent again while it answers
// more (a new run per checkpoint, not a replay), and the object's nightly
// event then commits the snapshot the slices wrote, equal to a single
// pull's.
func TestSlicedLoadThroughTheHandler(t *testing.T) {
	ctx := context.Background()
	demo := democrm.Generate(democrm.Config{Seed: 9, Leads: 900})
	base, stop := democrm.NewServer(demo, democrm.WithPageSize(200)).Start()
	t.Cleanup(stop)
	client, err := salesforce.New(salesforce.Config{LoginURL: base, ClientID: "venn-demo", ClientSecret: "venn-demo-secret", PageSize: 200})
	if err != nil {
		t.Fatal(err)
	}
	src := extract.FromSalesforce(client)
	org := extract.DefaultOrgConfig()
	newEnv := func(minRows int64) *Env {
		store, _ := localstore.Open("")
		blob, err := fsblob.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return &Env{Store: store, Blob: blob, TempDir: t.TempDir(), PII: lake.PII{Key: []byte("slice test key, 32 bytes long...")}, Metrics: io.Discard,
			Now:            func() time.Time { return demo.Clock().Add(time.Minute) },
			ExtractOptions: ExtractOptions{Org: org, SliceMinRows: minRows, SliceRows: 150}}
	}
	single, sliced := newEnv(-1), newEnv(300)
	if _, err := single.Extract(ctx, src, Event{Job: "extract", Mode: ModeNightly, Objects: []string{"Lead"}}); err != nil {
		t.Fatal(err)
	}
	h := sliced.Handler("extract", runledger.New(sliced.Store), sliced.PlanExtract(src))
	out, err := h(ctx, json.RawMessage(`{"job":"extract","mode":"plan"}`))
	if err != nil {
		t.Fatal(err)
	}
	var plan struct{ Extract, Slices []json.RawMessage }
	if err := json.Unmarshal(out, &plan); err != nil {
		t.Fatal(err)
	}
	leadSlices := 0
	for _, raw := range plan.Slices {
		ev, err := ParseEvent(raw, "extract")
		if err != nil || ev.Mode != ModeSlice || len(ev.Objects) != 1 {
			t.Fatalf("planned slice %s: %+v, %v", raw, ev, err)
		}
		if ev.Objects[0] == "Lead" {
			leadSlices++
		}
		for i := 1; ; i++ {
			out, err := h(ctx, raw)
			if err != nil {
				t.Fatalf("%s: %v", raw, err)
			}
			var sum struct {
				More bool `json:"more"`
			}
			_ = json.Unmarshal(out, &sum)
			if !sum.More {
				break
			}
			if i == 20 {
				t.Fatalf("%s: still more after 20 invocations", raw)
			}
		}
	}
	if leadSlices < 3 {
		t.Fatalf("plan lists %d slices of Lead: %s", leadSlices, out)
	}
	// The objects' nightly events commit the loads (the other objects
	// are pulled as usual).
	for _, raw := range plan.Extract {
		if _, err := h(ctx, raw); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
	}
	dt := lake.DateString(demo.Clock().Add(time.Minute))
	a, err := lake.Snapshot(ctx, single.Blob, "Lead", dt)
	if err != nil {
		t.Fatal(err)
	}
	b, err := lake.Snapshot(ctx, sliced.Blob, "Lead", dt)
	if err != nil {
		t.Fatal(err)
	}
	var ra, rb []string
	for _, x := range []struct {
		blob lake.Blob
		m    *lake.Manifest
		out  *[]string
	}{{single.Blob, a, &ra}, {sliced.Blob, b, &rb}} {
		err := lake.ReadRows(ctx, x.blob, crm.Lead, x.m.Files, func(r *crm.Row, _ string) error {
			*x.out = append(*x.out, fmt.Sprint(r.Values))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(ra) == 0 || strings.Join(ra, "\n") != strings.Join(rb, "\n") || a.Mode != b.Mode {
		t.Errorf("the sliced load's snapshot (%d rows, %s) differs from the single pull's (%d rows, %s)", len(rb), b.Mode, len(ra), a.Mode)
	}
	if len(b.Files) < 3 {
		t.Errorf("the sliced snapshot has %d files", len(b.Files))
	}
}
