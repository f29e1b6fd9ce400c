package pipeline

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/democrm"
	"github.com/venn-revops/venn/shared/runledger"
	"github.com/venn-revops/venn/shared/salesforce"
	"github.com/venn-revops/venn/shared/score"
)

// writeBackOrg is a demo org with the write-back fields on Lead, extracted
// into a lake, the job over it with low publishing minimums, and a
// Salesforce client of the org's server.
func writeBackOrg(t *testing.T) (*Env, *democrm.Org, *score.Config, *democrm.Server, *salesforce.Client) {
	t.Helper()
	org := democrm.Generate(democrm.Config{Seed: 3, Leads: 3000, Shape: democrm.Shape{Extra: map[string][]democrm.ExtraField{
		"Lead": {{Name: "Venn_Score__c", Type: crm.Int}, {Name: "Venn_Score_Factors__c", Type: crm.Text}},
	}}})
	e := extractOrg(t, org)
	cfg := *score.DefaultConfig()
	cfg.MinConversions, cfg.MinTestConversions = 40, 10
	e.ScoreConfig = &cfg
	srv := democrm.NewServer(org)
	url, stop := srv.Start()
	t.Cleanup(stop)
	client, err := salesforce.New(salesforce.Config{LoginURL: url, ClientID: "venn-demo", ClientSecret: "venn-demo-secret", RetryBaseDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return e, org, &cfg, srv, client
}

// Write-back over HTTP to the demo CRM (sObject Collections PATCH): a dry
// run (the default) sends nothing; enabled, every open lead's score and
// factors land in the configured Lead fields, 200 a request, and a lead
// hard-deleted in the CRM meanwhile is refused on its own, named, while the
// others are written.
func TestScoreWriteBack(t *testing.T) {
	if testing.Short() {
		t.Skip("extracts the demo org")
	}
	ctx := context.Background()
	e, org, cfg, srv, client := writeBackOrg(t)
	run, err := e.Score(ctx)
	if err != nil || !run.Published {
		t.Fatalf("score: %v, refused %q", err, run.Refused)
	}

	wb, err := e.WriteBackScores(ctx, run, client)
	if err != nil || !wb.DryRun || wb.Written != 0 || wb.Leads != len(run.Result.Scores) || srv.Counts().CompositeUpdate != 0 {
		t.Fatalf("dry run: %+v, %v, %d requests; want nothing sent", wb, err, srv.Counts().CompositeUpdate)
	}

	gone := run.Result.Scores[0].LeadID
	if err := org.HardDelete(crm.Lead, gone); err != nil {
		t.Fatal(err)
	}
	cfg.Writeback.Enabled, cfg.Writeback.DryRun = true, false
	wb, err = e.WriteBackScores(ctx, run, client)
	if err != nil {
		t.Fatal(err)
	}
	n := len(run.Result.Scores)
	if wb.Written != n-1 || len(wb.Failed) != 1 || wb.Failed[0].LeadID != gone || !strings.Contains(wb.Failed[0].Reason, "ENTITY_IS_DELETED") {
		t.Fatalf("write-back %+v: want %d written and %s refused as deleted", wb, n-1, gone)
	}
	if want := (n + 199) / 200; srv.Counts().CompositeUpdate != want {
		t.Errorf("%d composite requests for %d leads, want %d", srv.Counts().CompositeUpdate, n, want)
	}

	// The CRM now holds each lead's score and factors, as the run gave them.
	lead, _ := org.Object("Lead")
	at := map[string]int{}
	for i, f := range lead.Fields {
		at[f.Name] = i
	}
	want := map[string]score.LeadScore{}
	for _, s := range run.Result.Scores {
		want[s.LeadID] = s
	}
	seen := 0
	err = org.Each(lead, func(r *crm.Row) error {
		s, ok := want[r.ID()]
		if !ok {
			return nil
		}
		seen++
		if v := r.Values[at["Venn_Score__c"]]; v.Null || v.I != int64(s.Score) {
			t.Errorf("lead %s: Venn_Score__c %+v, want %d", r.ID(), v, s.Score)
		}
		if v := r.Values[at["Venn_Score_Factors__c"]]; v.S != score.FactorsText(s.Factors) {
			t.Errorf("lead %s: factors %q, want %q", r.ID(), v.S, score.FactorsText(s.Factors))
		}
		return nil
	})
	if err != nil || seen != n-1 {
		t.Fatalf("read back %d leads (%v), want %d", seen, err, n-1)
	}
}

// The deployed function's score run writes back after publishing, through
// the handler: nothing with the default dry run (the summary counts what it
// would write), every lead once write-back is enabled.
func TestScoreJobWritesBack(t *testing.T) {
	if testing.Short() {
		t.Skip("extracts the demo org")
	}
	ctx := context.Background()
	e, _, cfg, srv, client := writeBackOrg(t)
	run := func(event string) map[string]any {
		out, err := e.Handler("score", runledger.New(e.Store), e.PlanScore(client))(ctx, json.RawMessage(event))
		if err != nil {
			t.Fatal(err)
		}
		var sum map[string]any
		if err := json.Unmarshal(out, &sum); err != nil {
			t.Fatal(err)
		}
		return sum
	}
	dry := run(`{"job":"score"}`)["writeback"].(map[string]any)
	if dry["dry_run"] != true || dry["written"].(float64) != 0 || dry["leads"].(float64) == 0 || srv.Counts().CompositeUpdate != 0 {
		t.Fatalf("default write-back %v, %d requests: want a dry run that sends nothing", dry, srv.Counts().CompositeUpdate)
	}
	cfg.Writeback.Enabled, cfg.Writeback.DryRun = true, false
	cfg.Hash += "-writeback" // another configuration: a new run, not a replay
	wet := run(`{"job":"score"}`)["writeback"].(map[string]any)
	if wet["dry_run"] != false || wet["written"] != wet["leads"] || srv.Counts().CompositeUpdate == 0 {
		t.Fatalf("enabled write-back %v: want every lead written", wet)
	}
}
