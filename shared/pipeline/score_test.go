package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/democrm"
	"github.com/venn-revops/venn/shared/extract"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
	"github.com/venn-revops/venn/shared/results"
	"github.com/venn-revops/venn/shared/results/localstore"
	"github.com/venn-revops/venn/shared/runledger"
	"github.com/venn-revops/venn/shared/salesforce"
	"github.com/venn-revops/venn/shared/score"
)

// extractOrg extracts org over HTTP (the demo CRM and the real Salesforce
// client) into a fresh lake, and returns the job environment over it.
func extractOrg(t *testing.T, org *democrm.Org) *Env {
	t.Helper()
	ctx := context.Background()
	url, stop := democrm.NewServer(org).Start()
	t.Cleanup(stop)
	client, err := salesforce.New(salesforce.Config{LoginURL: url, ClientID: "venn-demo", ClientSecret: "venn-demo-secret", RetryBaseDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	b, err := fsblob.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	store, err := localstore.Open("")
	if err != nil {
		t.Fatal(err)
	}
	now := org.Clock().Add(time.Minute)
	clock := func() time.Time { return now }
	if sum, err := extract.Run(ctx, extract.Deps{Source: extract.FromSalesforce(client), Blob: b, Store: store, Now: clock},
		extract.Config{PII: lake.PII{Key: []byte("test-pii-key-0123456789abcdef")}}); err != nil {
		t.Fatalf("extract: %v\n%s", err, sum)
	}
	return &Env{Blob: b, Store: store, Now: clock, KPIConfig: kpi.DefaultConfig()}
}

// The score job over the demo org: through the handler and the run ledger
// (a duplicate delivery replays), gold tables read back through their
// manifests, the run record in the results table, a warning when the AUC
// falls by more than the configured amount, and a refusal to publish
// below the configured minimum of conversions.
func TestScoreJob(t *testing.T) {
	if testing.Short() {
		t.Skip("extracts the demo org")
	}
	ctx := context.Background()
	e := extractOrg(t, democrm.Generate(democrm.Config{Seed: 3, Leads: 4000}))
	cfg := *score.DefaultConfig()
	cfg.MinConversions, cfg.MinTestConversions = 60, 20
	e.ScoreConfig = &cfg

	// A previous night's run with a far better AUC: this run must warn.
	night := e.now().Format(time.DateOnly)
	prev, _ := json.Marshal(scoreRunRecord{Published: true, Metrics: score.Metrics{AUC: 0.99}})
	if err := e.Store.Put(ctx, results.Item{PK: scorePK, SK: "RUN#2000-01-01", Kind: "score-run", Body: prev}, results.Condition{}); err != nil {
		t.Fatal(err)
	}

	h := e.Handler("score", runledger.New(e.Store), e.PlanScore(nil))
	out, err := h(ctx, json.RawMessage(`{"job":"score"}`))
	if err != nil {
		t.Fatal(err)
	}
	var sum map[string]any
	if err := json.Unmarshal(out, &sum); err != nil {
		t.Fatal(err)
	}
	t.Logf("summary: %s", out)
	if sum["published"] != true || !strings.Contains(sum["warning"].(string), "AUC dropped from 0.9900") {
		t.Fatalf("summary %v: want published with an AUC warning", sum)
	}
	auc := sum["auc"].(float64)
	if !(auc > 0.5 && auc < 1) {
		t.Errorf("AUC %v", auc)
	}
	again, err := h(ctx, json.RawMessage(`{"job":"score","mode":"nightly"}`))
	if err != nil || string(again) != string(out) {
		t.Fatalf("the same night again: %s, %v; want the stored result", again, err)
	}

	// The gold tables, read back through their manifests.
	m, err := lake.Latest(ctx, e.Blob, "score/lead/as_of="+night)
	if err != nil {
		t.Fatal(err)
	}
	var scored []ScoreRow
	if err := lake.Scan(ctx, e.Blob, m, func(rows []ScoreRow) error { scored = append(scored, rows...); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(scored) == 0 || float64(len(scored)) != sum["scored"].(float64) {
		t.Fatalf("%d gold scores, summary says %v", len(scored), sum["scored"])
	}
	for _, r := range scored {
		if r.Score < 1 || r.Score > 99 || r.Factors == "" || !strings.HasPrefix(r.LeadID, "00Q") {
			t.Fatalf("score row %+v", r)
		}
	}
	bm, err := lake.Latest(ctx, e.Blob, "score/band/as_of="+night)
	if err != nil {
		t.Fatal(err)
	}
	var bands []ScoreBandRow
	if err := lake.Scan(ctx, e.Blob, bm, func(rows []ScoreBandRow) error { bands = append(bands, rows...); return nil }); err != nil {
		t.Fatal(err)
	}
	var inBands int64
	for _, b := range bands {
		inBands += b.Leads
	}
	if len(bands) != 10 || inBands != int64(sum["test_leads"].(float64)) {
		t.Errorf("bands %+v hold %d leads, the test set %v", bands, inBands, sum["test_leads"])
	}
	it, err := e.Store.Get(ctx, scorePK, "RUN#"+night)
	if err != nil {
		t.Fatal(err)
	}
	var head scoreRunRecord
	if err := json.Unmarshal(it.Body, &head); err != nil || !head.Published || math.Abs(head.Metrics.AUC-auc) > 1e-12 || head.Warning == "" {
		t.Fatalf("run record %s (%v)", it.Body, err)
	}
	lead, err := e.Store.Get(ctx, scorePK+"#"+night, "LEAD#"+scored[0].LeadID)
	if err != nil || !strings.Contains(string(lead.Body), `"factors":[{"feature"`) {
		t.Fatalf("stored score %s (%v)", lead.Body, err)
	}

	// Without lead items: the gold tables only.
	cfg.LeadItems = false
	tomorrow := e.now().Add(24 * time.Hour)
	e.Now = func() time.Time { return tomorrow }
	next, err := e.Score(ctx)
	if err != nil || !next.Published {
		t.Fatalf("next night: %v", err)
	}
	nextNight := e.now().Format(time.DateOnly)
	if items, err := e.Store.Query(ctx, scorePK+"#"+nextNight, "LEAD#"); err != nil || len(items) != 0 {
		t.Fatalf("lead_items false: %d lead items stored (%v)", len(items), err)
	}

	// Too few conversions: stated, recorded, nothing published.
	cfg.MinConversions = 1_000_000
	run, err := e.Score(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if run.Published || !strings.Contains(run.Refused, "at least 1000000") {
		t.Fatalf("published %v, refused %q: want a refusal stating the minimum", run.Published, run.Refused)
	}
}

func TestScoreRefusesAnUnreadColumn(t *testing.T) {
	cfg := *score.DefaultConfig()
	cfg.Fields = []string{"lead_source", "rating"}
	if err := CheckScoreConfig(&cfg); err == nil || !strings.Contains(err.Error(), `"rating"`) {
		t.Fatalf("err %v, want the column named", err)
	}
}

// The demo org with its planted signal (democrm.Config.PlantedSignal):
// conversion is drawn from a known function of source, segment, region and
// the rank of the title the lead arrived with. The best AUC any model can
// reach on the test leads is that function's own (Bayes-optimal), computed
// here from the lead and lead history rows read back from the lake, not
// from the model. A learned AUC clearly above it means the model
// sees something it should not (leakage); far below, it misses the signal.
func TestScoreFindsThePlantedSignal(t *testing.T) {
	if testing.Short() {
		t.Skip("extracts a 12,000-lead demo org")
	}
	ctx := context.Background()
	e := extractOrg(t, democrm.Generate(democrm.Config{Seed: 17, Leads: 12000, PlantedSignal: true}))
	run, err := e.Score(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !run.Published {
		t.Fatalf("not published: %s", run.Refused)
	}
	res := run.Result
	// Same lake, same configuration: the same model and scores, byte for
	// byte, and the same gold score rows.
	again, err := e.Score(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal([]any{res, res.Scores})
	b, _ := json.Marshal([]any{again.Result, again.Result.Scores})
	if string(a) != string(b) {
		t.Fatal("a second run over the same lake gave another model or other scores")
	}
	readScores := func(m *lake.Manifest) []ScoreRow {
		var rows []ScoreRow
		if err := lake.Scan(ctx, e.Blob, m, func(r []ScoreRow) error { rows = append(rows, r...); return nil }); err != nil {
			t.Fatal(err)
		}
		return rows
	}
	ra, rb := readScores(run.Scores), readScores(again.Scores)
	if len(ra) == 0 || len(ra) != len(rb) {
		t.Fatalf("gold score rows: %d, then %d", len(ra), len(rb))
	}
	for i := range ra {
		if ra[i] != rb[i] {
			t.Fatalf("gold score row %d: %+v, then %+v", i, ra[i], rb[i])
		}
	}
	type leadRow struct {
		ID            string `parquet:"id"`
		CreatedDate   int64  `parquet:"created_date,timestamp(microsecond)"`
		IsDeleted     bool   `parquet:"is_deleted,optional"`
		LeadSource    string `parquet:"lead_source,optional"`
		Segment       string `parquet:"segment,optional"`
		Region        string `parquet:"region,optional"`
		Title         string `parquet:"title,optional"`
		ConvertedDate *int32 `parquet:"converted_date,optional,date"`
	}
	type historyRow struct {
		LeadID      string `parquet:"lead_id"`
		CreatedDate int64  `parquet:"created_date,timestamp(microsecond)"`
		Field       string `parquet:"field"`
		OldValue    string `parquet:"old_value,optional"`
	}
	snaps, err := e.snapshots(ctx, e.now(), crm.Lead, crm.LeadHistory)
	if err != nil {
		t.Fatal(err)
	}
	// The title each lead arrived with: the old value of its first Title
	// change (history rows of a lead are in time order), else its title.
	type change struct {
		at  int64
		old string
	}
	firstTitle := map[string]change{}
	err = lake.Scan(ctx, e.Blob, snaps["LeadHistory"], func(rows []historyRow) error {
		for _, h := range rows {
			if c, seen := firstTitle[h.LeadID]; h.Field == "Title" && (!seen || h.CreatedDate < c.at) {
				firstTitle[h.LeadID] = change{h.CreatedDate, h.OldValue}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var p []float64
	var y []bool
	horizon := int64(res.HorizonDays) * usPerDay
	err = lake.Scan(ctx, e.Blob, snaps["Lead"], func(rows []leadRow) error {
		for _, l := range rows {
			if l.IsDeleted || l.CreatedDate < res.Test.From || l.CreatedDate > res.Test.To || l.CreatedDate+horizon > res.AsOf {
				continue
			}
			title := l.Title
			if c, ok := firstTitle[l.ID]; ok {
				title = c.old
			}
			p = append(p, democrm.PlantedConversion(l.LeadSource, l.Segment, l.Region, score.TitleRank(title)))
			y = append(y, l.ConvertedDate != nil && int64(*l.ConvertedDate)*usPerDay-l.CreatedDate <= horizon)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	best := score.AUC(p, y)
	t.Logf("learned AUC %.4f on %d test leads (%d converted); Bayes-optimal AUC of the planted function %.4f on %d leads", res.Metrics.AUC, res.Test.Leads, res.Test.Conversions, best, len(p))
	if res.Metrics.AUC > best+0.03 {
		t.Errorf("learned AUC %.4f is clearly above the best the planted signal allows (%.4f): leakage", res.Metrics.AUC, best)
	}
	if res.Metrics.AUC < best-0.04 {
		t.Errorf("learned AUC %.4f is far below the best the planted signal allows (%.4f): the model misses signal", res.Metrics.AUC, best)
	}
}

const usPerDay = int64(24 * time.Hour / time.Microsecond)

// LeadHistory names fields as the org does: the Lead manifest says which
// org field fills each column the score job reads (segment from
// Market_Segment__c in this org); fields the job does not read (Status)
// map to nothing.
func TestScoreHistoryColumns(t *testing.T) {
	m := &lake.Manifest{Schema: []lake.Column{
		{Name: "id", Field: "Id"}, {Name: "status", Field: "Status"}, {Name: "lead_source", Field: "LeadSource"},
		{Name: "segment", Field: "Market_Segment__c"}, {Name: "title", Field: "Title"}, {Name: "region"},
	}}
	got := historyColumns(m)
	want := map[string]string{"LeadSource": "lead_source", "Market_Segment__c": "segment", "Title": "title"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("history columns %v, want %v", got, want)
	}
}
