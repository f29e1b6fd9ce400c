package lakecheck

import (
	"context"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/democrm"
	"github.com/venn-revops/venn/shared/extract"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
	"github.com/venn-revops/venn/shared/results/localstore"
	"github.com/venn-revops/venn/shared/salesforce"
)

// TestDuckDBReadsExtract runs two extract nights against the demo CRM and
// reads the committed snapshot, change and reject files with DuckDB through
// their manifest, comparing with figures computed from the org itself.
func TestDuckDBReadsExtract(t *testing.T) {
	ctx := context.Background()
	org := democrm.Generate(democrm.Config{Seed: 3, Leads: 1000})
	baseURL, stop := democrm.NewServer(org).Start()
	defer stop()
	client, err := salesforce.New(salesforce.Config{LoginURL: baseURL, ClientID: "venn-demo", ClientSecret: "venn-demo-secret", RetryBaseDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := fsblob.New(t.TempDir())
	store, _ := localstore.Open("")
	objects := []*crm.Object{crm.Lead, crm.Opportunity}
	run := func(now time.Time) {
		t.Helper()
		_, err := extract.Run(ctx, extract.Deps{Source: extract.FromSalesforce(client), Blob: b, Store: store, Now: func() time.Time { return now }},
			extract.Config{Objects: objects, PII: lake.PII{Key: []byte("lakecheck-pii-key-0123456789")}})
		if err != nil {
			t.Fatal(err)
		}
	}
	run(org.Clock().Add(time.Minute))
	night, err := org.SimulateNight(5)
	if err != nil {
		t.Fatal(err)
	}
	night2 := org.Clock().Add(time.Minute)
	run(night2)

	// Independent figures from the org: live opportunities, their amount in
	// cents, how many are won.
	var opps, won, amountCents int64
	org.Each(crm.Opportunity, func(r *crm.Row) error {
		opps++
		if v := r.Values[crm.Opportunity.Column("amount")]; !v.Null {
			amountCents += v.I
		}
		if r.Values[crm.Opportunity.Column("is_won")].B {
			won++
		}
		return nil
	})
	m, err := lake.LatestSnapshot(ctx, b, "Opportunity", night2)
	if err != nil {
		t.Fatal(err)
	}
	db := openDuck(t)
	var n, distinct, nWon, cents int64
	err = db.QueryRow(`SELECT count(*), count(DISTINCT id), count(*) FILTER (WHERE is_won),
		CAST(coalesce(sum(amount), 0) * 100 AS BIGINT) FROM read_parquet(`+fileList(t, b, m.Files)+`)`).Scan(&n, &distinct, &nWon, &cents)
	if err != nil {
		t.Fatal(err)
	}
	if n != opps || distinct != opps || nWon != won || cents != amountCents {
		t.Errorf("DuckDB: %d rows (%d distinct), %d won, %d cents; org: %d, %d won, %d cents", n, distinct, nWon, cents, opps, won, amountCents)
	}

	// Night 2's lead changes: the org's deletions are the delete ops.
	lm, err := lake.LatestSnapshot(ctx, b, "Lead", night2)
	if err != nil {
		t.Fatal(err)
	}
	var deletes, emailsInClear int64
	if err := db.QueryRow(`SELECT count(*) FILTER (WHERE _op = 'delete'), count(*) FILTER (WHERE email LIKE '%@%')
		FROM read_parquet(`+fileList(t, b, lm.Changes)+`)`).Scan(&deletes, &emailsInClear); err != nil {
		t.Fatal(err)
	}
	if deletes != int64(len(night.Deleted["Lead"])) || emailsInClear != 0 {
		t.Errorf("lead changes: %d deletes (org %d), %d emails in clear", deletes, len(night.Deleted["Lead"]), emailsInClear)
	}

	// Night 1's rejects, as JSON lines DuckDB can query.
	first, err := lake.LatestSnapshot(ctx, b, "Lead", night2.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	wantRejects := 0
	for _, bad := range org.Malformed() {
		if bad.Object == "Lead" {
			wantRejects++
		}
	}
	var rejects int
	if len(first.Rejects) > 0 {
		if err := db.QueryRow(`SELECT count(*) FROM read_json(` + fileList(t, b, first.Rejects) + `, format = 'newline_delimited') WHERE object = 'Lead' AND reason <> ''`).Scan(&rejects); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("opportunities %d (won %d, %d cents), lead deletes %d, lead rejects %d", n, nWon, cents, deletes, rejects)
	if wantRejects == 0 || len(night.Deleted["Lead"]) == 0 {
		t.Fatal("the demo org should serve malformed leads and delete one lead a night")
	}
	if rejects != wantRejects || int64(rejects) != first.Counts.Rejects {
		t.Errorf("rejects: DuckDB %d, manifest %d, org served %d malformed leads", rejects, first.Counts.Rejects, wantRejects)
	}
}
