package kpicheck

import (
	"context"
	"database/sql"
	"reflect"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/parquet-go/parquet-go"

	kpiconfig "github.com/venn-revops/venn/shared/config/kpi"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/kpi/kpigen"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
	"github.com/venn-revops/venn/shared/period"
)

// TestEngineAgreesWithDuckDB writes a generated org with the lake writer,
// computes the catalog with the engine (reading through lake.ScanFiles,
// serially and concurrently: the same result) and every model's credit
// rows with DuckDB SQL over the same files, compared row by row to the
// cent (the values themselves: TestCatalogAgreesWithDuckDB).
func TestEngineAgreesWithDuckDB(t *testing.T) {
	n := 40000
	if testing.Short() {
		n = 8000
	}
	ctx := context.Background()
	b, err := fsblob.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	files, err := WriteOrg(ctx, b, "crm/snapshot", kpigen.New(42, n), lake.WriterOptions{RowGroupRows: 4096, FileRows: 20000, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	db := openViews(t, b, files)
	cfg := kpi.DefaultConfig()
	for _, p := range []kpi.Period{
		{Quarter: period.MustParse("2026Q3"), AsOf: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Final: true},
		{Quarter: period.MustParse("2026Q4"), AsOf: time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)},
		{Quarter: period.MustParse("2026Q3"), AsOf: time.Date(2026, 8, 21, 2, 0, 0, 0, time.UTC)},
	} {
		res, err := kpi.Compute(cfg, files.Inputs(ctx, b, 1), p, kpi.WithCredits())
		if err != nil {
			t.Fatal(err)
		}
		// Concurrent decoding delivers rows in another order: same result.
		res2, err := kpi.Compute(cfg, files.Inputs(ctx, b, 3), p)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(res.Values, res2.Values) || len(res2.Credits) != 0 {
			t.Fatalf("%s: concurrent decoding changed the result", p.Quarter)
		}
		if err := PrepareBase(db, cfg, p); err != nil {
			t.Fatal(err)
		}
		checkCredits(t, db, cfg, res, 100)
		// The other leftover-cent rule and a date-only touch instant:
		// PrepareBase rebuilds the touch table under the variant's touch_time.
		alt := variantConfig(t)
		altRes, err := kpi.Compute(alt, files.Inputs(ctx, b, 1), p, kpi.WithCredits())
		if err != nil {
			t.Fatal(err)
		}
		if err := PrepareBase(db, alt, p); err != nil {
			t.Fatal(err)
		}
		checkCredits(t, db, alt, altRes, 100)
	}
}

// variantConfig is the default with rounding half_up_largest_share,
// touches dated by FirstRespondedDate (a date) before CreatedDate and the
// lead-creation touch read as the last at or before the lead's creation.
func variantConfig(t *testing.T) *kpi.Config {
	t.Helper()
	data := strings.Replace(string(kpiconfig.Default), "rounding: largest_remainder", "rounding: half_up_largest_share", 1)
	data = strings.Replace(data, "touch_time: [created_date]", "touch_time: [first_responded_date, created_date]", 1)
	data = strings.Replace(data, "lead_creation: {pick: first, grace: 1m}", "lead_creation: {pick: last, grace: 0s}", 1)
	cfg, err := kpi.LoadConfig("variant.yaml", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Rounding != kpi.RoundHalfUpLargestShare || cfg.TouchTime[0] != kpi.TouchFirstResponded || cfg.LeadCreation.Pick != kpi.LCLast {
		t.Fatal("variant.yaml: the edits did not apply")
	}
	return cfg
}

// checkCredits compares the engine's credit rows under every model with
// DuckCredits', row by row to the cent, and the influenced KPIs by
// campaign with the sums of DuckDB's rows.
// thin is the fewest credited touches per model (and a fifth of it per
// position) that proves anything.
func checkCredits(t *testing.T, db *sql.DB, cfg *kpi.Config, res *kpi.Result, thin int) {
	t.Helper()
	duck, err := DuckCredits(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	venn := EngineCredits(res)
	touched := map[string]int{}
	for k, d := range duck {
		if v, ok := venn[k]; !ok || v != d {
			t.Errorf("%s credit %+v: venn %+v (present %v), duck %+v", res.Quarter, k, v, ok, d)
		}
		if k.Touch != "" && d.Cents != 0 {
			touched[k.Model]++
		}
	}
	for k, v := range venn {
		if _, ok := duck[k]; !ok {
			t.Errorf("%s credit %+v: venn %+v, not in duck", res.Quarter, k, v)
		}
	}
	// Every position must occur, or the check proves nothing about it.
	held := map[string]int{}
	for _, c := range res.Credits {
		for _, p := range strings.Split(c.Position, "+") {
			held[p]++
		}
	}
	for _, p := range []string{kpi.PosFirstTouch, kpi.PosLeadCreation, kpi.PosOppCreation, kpi.PosClosedWon, kpi.PosMiddle, "none"} {
		if held[p] < thin/5 {
			t.Fatalf("%s: position %s held %d times: too thin to prove anything", res.Quarter, p, held[p])
		}
	}
	for _, m := range cfg.Attribution {
		if touched[m.Name] < thin {
			t.Fatalf("%s %s: only %d credited touches: too thin to prove anything", res.Quarter, m.Name, touched[m.Name])
		}
	}
	sums := map[[3]string]int64{}
	for k, d := range duck {
		if d.Pipeline {
			sums[[3]string{"mktg_influenced_pipeline", k.Model, d.Campaign}] += d.Cents
		}
		if d.Bookings {
			sums[[3]string{"mktg_influenced_bookings", k.Model, d.Campaign}] += d.Cents
		}
	}
	n := 0
	for _, v := range res.Values {
		if (v.KPI != "mktg_influenced_pipeline" && v.KPI != "mktg_influenced_bookings") || v.Dimension != kpi.DimCampaign {
			continue
		}
		n++
		if got, want := v.Value.Shift(2).IntPart(), sums[[3]string{v.KPI, v.Model, v.Key}]; got != want {
			t.Errorf("%s %s %s campaign %s: venn %d cents, duck %d", res.Quarter, v.KPI, v.Model, v.Key, got, want)
		}
	}
	t.Logf("%s: %d credit rows, %d campaign values agree", res.Quarter, len(duck), n)
}

// TestLakeScanMatchesGenericReader: lake.ScanFiles (the columnar fast
// path for every engine projection) reads exactly what parquet-go's
// GenericReader reads from the same generated files.
func TestLakeScanMatchesGenericReader(t *testing.T) {
	ctx := context.Background()
	b, err := fsblob.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	files, err := WriteOrg(ctx, b, "crm/snapshot", kpigen.New(7, 3000), lake.WriterOptions{RowGroupRows: 1000, FileRows: 2500, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	lk := files.Inputs(ctx, b, 1)
	check(t, b, "users", lk.Users, files["User"])
	check(t, b, "accounts", lk.Accounts, files["Account"])
	check(t, b, "campaigns", lk.Campaigns, files["Campaign"])
	check(t, b, "leads", lk.Leads, files["Lead"])
	check(t, b, "opportunities", lk.Opportunities, files["Opportunity"])
	check(t, b, "history", lk.OpportunityHistory, files["OpportunityHistory"])
	check(t, b, "roles", lk.ContactRoles, files["OpportunityContactRole"])
	check(t, b, "members", lk.CampaignMembers, files["CampaignMember"])
	check(t, b, "tasks", lk.Tasks, files["Task"])
	if n := len(collect(t, lk.CampaignMembers)); n != 12000 {
		t.Fatalf("%d members", n)
	}
}

// check compares a lake source with parquet.GenericReader over files.
func check[T any](t *testing.T, b *fsblob.Blob, name string, src kpi.Source[T], files []lake.File) {
	t.Helper()
	var want []T
	for _, f := range files {
		path, err := b.Path(f.Key)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := parquet.ReadFile[T](path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want = append(want, rows...)
	}
	if got := collect(t, src); len(want) == 0 || !reflect.DeepEqual(got, want) {
		t.Errorf("%s: lake.ScanFiles differs from GenericReader (%d rows, want %d)", name, len(got), len(want))
	}
}

// collect keeps every row of s, its strings cloned: the lake sources lend
// strings only for the duration of the callback.
func collect[T any](t *testing.T, s kpi.Source[T]) []T {
	t.Helper()
	var out []T
	if err := s(func(rows []T) error {
		for _, r := range rows {
			v := reflect.ValueOf(&r).Elem()
			for i := range v.NumField() {
				if f := v.Field(i); f.Kind() == reflect.String {
					f.SetString(strings.Clone(f.String()))
				}
			}
			out = append(out, r)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestBorrowedScanKeepsNoString: the engine reads the lake with
// lake.ScanFilesBorrowed, whose strings are valid only during the batch.
// With every lent page overwritten once its batch is done, the whole
// result (every value of the catalog and the stats) must equal the result
// over the same org held in memory: a string the engine kept without a
// clone would read as "####" and change a key, a join or a count.
func TestBorrowedScanKeepsNoString(t *testing.T) {
	defer lake.PoisonBorrowed(true)()
	ctx := context.Background()
	b, err := fsblob.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	org := kpigen.New(11, 20000)
	// Small pages and row groups: many batches span a page boundary. The
	// plain copy has no dictionary column (as older files), so every
	// string the engine reads is lent.
	opts := lake.WriterOptions{RowGroupRows: 3000, FileRows: 7000, PageBytes: 4096, TempDir: t.TempDir()}
	files, err := WriteOrg(ctx, b, "crm/snapshot", org, opts)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := writeOrg(ctx, b, "crm/plain", org, opts, lake.PlainObjectSchema)
	if err != nil {
		t.Fatal(err)
	}
	cfg := kpi.DefaultConfig()
	for _, p := range []kpi.Period{
		{Quarter: period.MustParse("2026Q3"), AsOf: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Final: true},
		{Quarter: period.MustParse("2026Q4"), AsOf: time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)},
	} {
		want, err := kpi.Compute(cfg, org.Inputs(), p)
		if err != nil {
			t.Fatal(err)
		}
		for _, workers := range []int{1, 2} {
			fs := files
			if workers == 2 {
				fs = plain
			}
			got, err := kpi.Compute(cfg, fs.Inputs(ctx, b, workers), p)
			if err != nil {
				t.Fatal(err)
			}
			if want.Stats.Touches == 0 || len(want.Values) < 1000 {
				t.Fatalf("%s: result too thin to prove anything (%d values, %d touches)", p.Quarter, len(want.Values), want.Stats.Touches)
			}
			if !reflect.DeepEqual(got.Values, want.Values) || !reflect.DeepEqual(got.Stats, want.Stats) {
				t.Fatalf("%s, %d workers: the borrowed lake scan changed the result", p.Quarter, workers)
			}
		}
	}
}

// openViews opens an in-memory DuckDB with one view per object over the
// lake files, for the tests that compare the engine with SQL; the database
// closes when the test ends.
func openViews(t *testing.T, b *fsblob.Blob, files Files) *sql.DB {
	t.Helper()
	paths, err := LocalPaths(b, files)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if files == nil {
		return db // no object views: the caller reads its own
	}
	if err := CreateViews(db, paths); err != nil {
		t.Fatal(err)
	}
	return db
}
