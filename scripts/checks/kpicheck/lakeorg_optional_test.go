package kpicheck

import (
	"context"
	"database/sql"
	"reflect"
	"testing"

	"github.com/venn-revops/venn/shared/kpi/kpigen"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
)

// The optional objects round-trip through the lake: written only when the
// org has them, read back as the rows generated (and as nil sources when
// absent), and visible to DuckDB, where every opportunity's lines sum to
// its amount.
func TestOptionalObjectsRoundTrip(t *testing.T) {
	ctx := context.Background()
	opts := func() lake.WriterOptions {
		return lake.WriterOptions{RowGroupRows: 1000, FileRows: 2500, TempDir: t.TempDir()}
	}
	b, err := fsblob.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	plain, err := WriteOrg(ctx, b, "plain", kpigen.New(9, 2000), opts())
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range OptionalObjects {
		if _, ok := plain[o.Name]; ok {
			t.Errorf("%s written for an org without it", o.Name)
		}
	}
	if in := plain.Inputs(ctx, b, 1); in.Contracts != nil || in.LineItems != nil || in.Products != nil || in.LeadHistory != nil {
		t.Error("optional sources read back for an org without them")
	}

	org := kpigen.New(9, 2000)
	org.Products, org.Contracts, org.LeadHistory = true, true, true
	files, err := WriteOrg(ctx, b, "products", org, opts())
	if err != nil {
		t.Fatal(err)
	}
	lk, mem := files.Inputs(ctx, b, 1), org.Inputs()
	check(t, b, "line items", lk.LineItems, files["OpportunityLineItem"])
	check(t, b, "products", lk.Products, files["Product2"])
	check(t, b, "contracts", lk.Contracts, files["Contract"])
	if got, want := collect(t, lk.Contracts), collect(t, mem.Contracts); !reflect.DeepEqual(got, want) {
		t.Errorf("contracts read back differ from those generated (%d rows, want %d)", len(got), len(want))
	}
	if got, want := collect(t, lk.LineItems), collect(t, mem.LineItems); !reflect.DeepEqual(got, want) {
		t.Errorf("line items read back differ from those generated (%d rows, want %d)", len(got), len(want))
	}
	if got, want := collect(t, lk.Products), collect(t, mem.Products); !reflect.DeepEqual(got, want) {
		t.Errorf("products read back differ from those generated")
	}
	check(t, b, "lead history", lk.LeadHistory, files["LeadHistory"])
	if got, want := collect(t, lk.LeadHistory), collect(t, mem.LeadHistory); !reflect.DeepEqual(got, want) || len(want) != 4*org.Leads {
		t.Errorf("lead history read back differs from the generated (%d rows, want %d)", len(got), len(want))
	}

	paths, err := LocalPaths(b, files)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := CreateViews(db, paths); err != nil {
		t.Fatal(err)
	}
	var bad, withLines int64
	if err := db.QueryRow(`SELECT count(*) FILTER (WHERE l.total IS DISTINCT FROM o.amount), count(l.total)
		FROM v_opportunity o LEFT JOIN (SELECT opportunity_id, sum(total_price) AS total FROM v_opportunitylineitem GROUP BY 1) l ON l.opportunity_id = o.id`).Scan(&bad, &withLines); err != nil {
		t.Fatal(err)
	}
	if bad != 0 || withLines != int64(org.Opportunities()) {
		t.Errorf("DuckDB: %d opportunities whose lines miss the amount, %d with lines of %d", bad, withLines, org.Opportunities())
	}
	var contracts int64
	if err := db.QueryRow(`SELECT count(*) FROM v_contract`).Scan(&contracts); err != nil {
		t.Fatal(err)
	}
	if want := int64(len(collect(t, mem.Contracts))); contracts != want || want == 0 {
		t.Errorf("DuckDB: %d contracts, generated %d", contracts, want)
	}
}
