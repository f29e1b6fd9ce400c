package kpicheck

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/kpi/kpigen"
	"github.com/venn-revops/venn/shared/kpisql"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
	"github.com/venn-revops/venn/shared/period"
)

// TestRetentionAgreesWithDuckDB: the whole catalog over a generated org
// with contracts (written by the lake writer, read back by the lake scan),
// under the default retention settings, annualised per term with no grace and
// Terminated counted, and forced to the renewal-opportunity reading.
func TestRetentionAgreesWithDuckDB(t *testing.T) {
	agreeUnderRetentionSettings(t, CheckCatalog)
}

// TestGeneratedRetentionAgreesWithEngine: shared/kpisql's DuckDB SQL under
// the same retention settings and org, every value of every KPI it covers
// (the retention KPIs among them) equal to the engine's.
func TestGeneratedRetentionAgreesWithEngine(t *testing.T) {
	agreeUnderRetentionSettings(t, func(db *sql.DB, cfg *kpi.Config, p kpi.Period, res *kpi.Result) (CatalogReport, error) {
		got, err := RunGenerated(db, kpisql.DuckDB, cfg, p)
		if err != nil {
			return CatalogReport{}, err
		}
		if src := kpisql.RetentionSource(cfg, got); src != res.RetentionSource {
			return CatalogReport{}, fmt.Errorf("the SQL read retention from %s, the engine from %s", src, res.RetentionSource)
		}
		return CompareGenerated(res.Values, got), nil
	})
}

// agreeUnderRetentionSettings computes the catalog of a generated org with
// contracts and products under five retention settings and two periods,
// and has compare check it against SQL over the same files.
func agreeUnderRetentionSettings(t *testing.T, compare func(db *sql.DB, cfg *kpi.Config, p kpi.Period, res *kpi.Result) (CatalogReport, error)) {
	n := 20000
	if testing.Short() {
		n = 6000
	}
	ctx := context.Background()
	b, err := fsblob.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	org := kpigen.New(5, n)
	org.Contracts, org.Products = true, true // products: the line-item values
	files, err := WriteOrg(ctx, b, "crm/snapshot", org, lake.WriterOptions{RowGroupRows: 4096, FileRows: 20000, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	db := openViews(t, b, files)
	if len(files[crm.Contract.Name]) == 0 {
		t.Fatal("the lake has no Contract files")
	}
	configs := map[string]func(c *kpi.Config){
		"default": func(*kpi.Config) {},
		"per term, no grace, terminated": func(c *kpi.Config) {
			c.Retention.ValuePer, c.Retention.GraceDays = kpi.PerTerm, 0
			c.Retention.Statuses = []string{kpi.ContractActivated, kpi.ContractExpired, kpi.ContractTerminated}
		},
		"renewal opportunities": func(c *kpi.Config) { c.Retention.Source = kpi.SourceRenewalOpportunities },
		"line items per term, renewed by successor or opportunity": func(c *kpi.Config) {
			c.Retention.ValueFrom, c.Retention.ValuePer = kpi.ValueLineItems, kpi.PerTerm
			c.Retention.Families = []string{"Subscription", "Support"}
			c.Retention.RenewedBy = []kpi.RenewalRule{kpi.RenewBySuccessor, kpi.RenewByOpportunity}
		},
		"line items, renewed by opportunity only": func(c *kpi.Config) {
			c.Retention.ValueFrom, c.Retention.Families = kpi.ValueLineItems, []string{"Subscription"}
			c.Retention.RenewedBy = []kpi.RenewalRule{kpi.RenewByOpportunity}
		},
	}
	for name, edit := range configs {
		for _, p := range []kpi.Period{
			{Quarter: period.MustParse("2026Q3"), AsOf: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Final: true},
			{Quarter: period.MustParse("2026Q4"), AsOf: time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)},
		} {
			cfg := kpi.DefaultConfig()
			edit(cfg)
			res, err := kpi.Compute(cfg, files.Inputs(ctx, b, 2), p)
			if err != nil {
				t.Fatal(err)
			}
			want := kpi.SourceContracts
			if name == "renewal opportunities" {
				want = kpi.SourceRenewalOpportunities
			}
			if res.RetentionSource != want {
				t.Fatalf("%s: source %s, want %s", name, res.RetentionSource, want)
			}
			if cfg.Retention.ValueFrom == kpi.ValueLineItems && res.Stats.Rows["line_items"] == 0 {
				t.Fatalf("%s: no line items read: the values were not taken from them", name)
			}
			rep, err := compare(db, cfg, p, res)
			if err != nil {
				t.Fatal(err)
			}
			if want == kpi.SourceContracts && (rep.PerKPI["arr_start"] < 5 || rep.PerKPI["contracts_renewed"] < 5) {
				t.Fatalf("%s %s: too few retention values to prove anything: %v", name, p.Quarter, rep.PerKPI)
			}
			t.Logf("%s %s: %d values compared (%d renewal_rate, %d nrr), %d mismatches", name, p.Quarter, rep.Values, rep.PerKPI["renewal_rate"], rep.PerKPI["nrr"], len(rep.Mismatches))
			if len(rep.Mismatches) > 0 {
				t.Errorf("%s %s: %d of %d values differ:\n%s", name, p.Quarter, len(rep.Mismatches), rep.Values, rep.Summary(30))
			}
		}
	}
}
