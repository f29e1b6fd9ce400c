package lakecheck

import (
	"context"
	"database/sql"
	"slices"
	"strings"
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

// contractObjects are what the contract checks extract: the three optional
// objects and the two they refer to.
var contractObjects = []*crm.Object{crm.Account, crm.Opportunity, crm.Product2, crm.Contract, crm.OpportunityLineItem}

// extractOrg extracts objects of org over HTTP into a fresh lake (one
// night, with the default extract configuration, ARR__c mapped to
// recurring_amount) and opens DuckDB with one view per object over its
// committed snapshot files; an object with no files (skipped) gets none.
func extractOrg(t *testing.T, org *democrm.Org) (*sql.DB, extract.Summary, map[string]*lake.Manifest) {
	t.Helper()
	ctx := context.Background()
	baseURL, stop := democrm.NewServer(org).Start()
	t.Cleanup(stop)
	client, err := salesforce.New(salesforce.Config{LoginURL: baseURL, ClientID: "venn-demo", ClientSecret: "venn-demo-secret", RetryBaseDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := fsblob.New(t.TempDir())
	store, _ := localstore.Open("")
	night := org.Clock().Add(time.Minute)
	sum, err := extract.Run(ctx, extract.Deps{Source: extract.FromSalesforce(client), Blob: b, Store: store, Now: func() time.Time { return night }},
		extract.Config{Objects: contractObjects, PII: lake.PII{Key: []byte("lakecheck-pii-key-0123456789")}})
	if err != nil {
		t.Fatalf("extract: %v\n%s", err, sum)
	}
	db := openDuck(t)
	snaps := map[string]*lake.Manifest{}
	for _, o := range contractObjects {
		m, err := lake.LatestSnapshot(ctx, b, o.Name, night)
		if err != nil {
			t.Fatalf("%s: %v", o.Name, err)
		}
		snaps[o.Name] = m
		if len(m.Files) == 0 {
			continue
		}
		if _, err := db.Exec(`CREATE VIEW "` + o.Name + `" AS SELECT * FROM read_parquet(` + fileList(t, b, m.Files) + `)`); err != nil {
			t.Fatal(err)
		}
	}
	return db, sum, snaps
}

func queryInt(t *testing.T, db *sql.DB, q string) int64 {
	t.Helper()
	var n sql.NullInt64
	if err := db.QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n.Int64
}

// TestDuckDBReadsContracts: the demo org's products, line items and
// contracts land in the lake under the kpi projection's column names and
// types, and DuckDB finds in them what the org holds (figures computed
// from the org's records, not from the lake): row counts, ARR in cents by
// status, lines summing to each deal's amount, renewals pointing at a
// contract of their own account, 12-month terms ending the day before the
// anniversary.
func TestDuckDBReadsContracts(t *testing.T) {
	org := democrm.Generate(democrm.Config{Seed: 3, Leads: 1500})
	db, _, _ := extractOrg(t, org)

	for _, o := range []*crm.Object{crm.Product2, crm.Contract, crm.OpportunityLineItem} {
		if got, want := queryInt(t, db, `SELECT count(*) FROM "`+o.Name+`"`), int64(org.Count(o)); got != want || want == 0 {
			t.Errorf("%s: DuckDB %d rows, the org %d", o.Name, got, want)
		}
	}
	// The org's own figures.
	arrByStatus := map[string]int64{}
	org.Each(crm.Contract, func(r *crm.Row) error {
		arrByStatus[r.Values[crm.Contract.Column("status_code")].S] += r.Values[crm.Contract.Column("recurring_amount")].I
		return nil
	})
	var renewals int64
	org.Each(crm.Opportunity, func(r *crm.Row) error {
		if !r.Values[crm.Opportunity.Column("contract_id")].Null {
			renewals++
		}
		return nil
	})
	linesByOpp := map[string]int64{}
	org.Each(crm.OpportunityLineItem, func(r *crm.Row) error {
		linesByOpp[r.Values[crm.OpportunityLineItem.Column("opportunity_id")].S] += r.Values[crm.OpportunityLineItem.Column("total_price")].I
		return nil
	})
	for _, status := range []string{"Activated", "Expired", "Terminated"} {
		got := queryInt(t, db, `SELECT CAST(sum(recurring_amount) * 100 AS BIGINT) FROM "Contract" WHERE status_code = '`+status+`'`)
		if got != arrByStatus[status] || got == 0 {
			t.Errorf("ARR of %s contracts: DuckDB %d cents, the org %d", status, got, arrByStatus[status])
		}
	}
	// Column types as the KPI projection reads them.
	var types string
	if err := db.QueryRow(`SELECT string_agg(column_name || ' ' || column_type, ', ' ORDER BY column_name) FROM (DESCRIBE "Contract")
		WHERE column_name IN ('recurring_amount', 'contract_term', 'start_date', 'end_date', 'activated_date', 'status_code')`).Scan(&types); err != nil {
		t.Fatal(err)
	}
	if want := "activated_date TIMESTAMP WITH TIME ZONE, contract_term BIGINT, end_date DATE, recurring_amount DECIMAL(18,2), start_date DATE, status_code VARCHAR"; types != want {
		t.Errorf("Contract columns: %s\nwant %s", types, want)
	}
	// Lines sum to the deal's amount, to the cent.
	if n := queryInt(t, db, `SELECT count(*) FROM (SELECT o.id, any_value(o.amount) AS amount, sum(l.total_price) AS lines
		FROM "Opportunity" o JOIN "OpportunityLineItem" l ON l.opportunity_id = o.id GROUP BY o.id) WHERE lines <> amount`); n != 0 {
		t.Errorf("%d opportunities whose lines do not sum to the amount", n)
	}
	if n := queryInt(t, db, `SELECT count(DISTINCT opportunity_id) FROM "OpportunityLineItem"`); n != int64(len(linesByOpp)) {
		t.Errorf("DuckDB: %d opportunities with lines, the org %d", n, len(linesByOpp))
	}
	if n := queryInt(t, db, `SELECT count(*) FROM "OpportunityLineItem" l ANTI JOIN "Product2" p ON p.id = l.product2_id`); n != 0 {
		t.Errorf("%d line items without their product", n)
	}
	// Renewals point at a contract of their own account.
	if n := queryInt(t, db, `SELECT count(*) FROM "Opportunity" o JOIN "Contract" c ON c.id = o.contract_id AND c.account_id = o.account_id`); n != renewals || n == 0 {
		t.Errorf("renewals joined to their account's contract: %d, the org has %d with a ContractId", n, renewals)
	}
	// A 12-month term ends the day before the anniversary (starts up to the
	// 28th, where calendars agree on month arithmetic).
	if n := queryInt(t, db, `SELECT count(*) FROM "Contract" WHERE contract_term = 12 AND day(start_date) <= 28
		AND end_date <> CAST(start_date + INTERVAL 12 MONTH - INTERVAL 1 DAY AS DATE)`); n != 0 {
		t.Errorf("%d 12-month contracts whose end date is not a year on, less a day", n)
	}
}

// TestContractsOptional: an org without the three objects extracts the
// rest, reports them skipped and commits empty snapshots; an org without
// ARR__c extracts its contracts with a null recurring_amount and says so.
func TestContractsOptional(t *testing.T) {
	t.Run("without contracts", func(t *testing.T) {
		org := democrm.Generate(democrm.Config{Seed: 4, Leads: 400, Shape: democrm.WithoutContracts()})
		db, sum, snaps := extractOrg(t, org)
		for _, os := range sum.Objects {
			skipped := os.Mode == extract.ModeSkipped
			want := slices.Contains([]string{"Product2", "Contract", "OpportunityLineItem"}, os.Object)
			if skipped != want || os.Err != "" {
				t.Errorf("%s: mode %s err %q", os.Object, os.Mode, os.Err)
			}
			if want && (len(snaps[os.Object].Files) != 0 || snaps[os.Object].Rows != 0) {
				t.Errorf("%s: skipped, yet its snapshot has %d files", os.Object, len(snaps[os.Object].Files))
			}
		}
		if n := queryInt(t, db, `SELECT count(*) FROM "Opportunity"`); n != int64(org.Count(crm.Opportunity)) || n == 0 {
			t.Errorf("opportunities: DuckDB %d, the org %d", n, org.Count(crm.Opportunity))
		}
		if n := queryInt(t, db, `SELECT count(contract_id) FROM "Opportunity"`); n != 0 {
			t.Errorf("%d opportunities with a contract_id in an org without contracts", n)
		}
	})
	t.Run("without ARR__c", func(t *testing.T) {
		org := democrm.Generate(democrm.Config{Seed: 4, Leads: 400, Shape: democrm.Shape{Fields: map[string]map[string]string{"Contract": {"ARR__c": ""}}}})
		db, sum, _ := extractOrg(t, org)
		var noted bool
		for _, os := range sum.Objects {
			if os.Err != "" || os.Mode == extract.ModeSkipped {
				t.Errorf("%s: mode %s err %q", os.Object, os.Mode, os.Err)
			}
			for _, n := range os.Notes {
				noted = noted || os.Object == "Contract" && strings.Contains(n, "ARR__c") && strings.Contains(n, "recurring_amount")
			}
		}
		if !noted {
			t.Errorf("no note names Contract.ARR__c and its column:\n%s", sum)
		}
		if n, want := queryInt(t, db, `SELECT count(*) FROM "Contract"`), int64(org.Count(crm.Contract)); n != want || want == 0 {
			t.Errorf("contracts: DuckDB %d, the org %d", n, want)
		}
		var values int64
		var typ string
		if err := db.QueryRow(`SELECT count(recurring_amount), any_value(typeof(recurring_amount)) FROM "Contract"`).Scan(&values, &typ); err != nil {
			t.Fatal(err)
		}
		if values != 0 || typ != "DECIMAL(18,2)" {
			t.Errorf("recurring_amount: %d values of type %s, want all null DECIMAL(18,2)", values, typ)
		}
	})
}
