package demo

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/comp/statementstore"
	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/democrm"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
	"github.com/venn-revops/venn/shared/money"
	"github.com/venn-revops/venn/shared/period"
	"github.com/venn-revops/venn/shared/results/localstore"
)

// col returns a row's value by lake column name.
func col(o *crm.Object, r *crm.Row, column string) crm.Value {
	i := o.Column(column)
	if i < 0 {
		panic("no column " + column)
	}
	return r.Values[i]
}

// expected is computed here, from the generated org, by rules written out in
// this test (docs/kpis.md): an opportunity's state at the quarter's end is its
// latest stage-history row created before the end (ties: greater history Id),
// won means stage "Closed Won", bookings count new business, expansion and
// untyped deals whose close date falls in the quarter; a deal in another
// currency than USD counts its amount ÷ the org's dated rate of its
// currency in force on its close date, to the cent half up (the demo's
// EUR deal).
type expected struct {
	won       int
	converted int   // won deals in another currency
	bookings  int64 // cents
	byTeam    map[string]int64
	leads     int
}

func independent(t *testing.T, org *democrm.Org, q period.Quarter) expected {
	t.Helper()
	end := crm.Micros(q.End())
	type state struct {
		at    int64
		id    string
		stage string
		amt   crm.Value
		close crm.Value
	}
	hist := map[string]state{}
	e := expected{byTeam: map[string]int64{}}
	H := crm.OpportunityHistory
	if err := org.Each(H, func(r *crm.Row) error {
		created := col(H, r, "created_date").I
		if created >= end {
			return nil
		}
		opp := col(H, r, "opportunity_id").S
		cur, ok := hist[opp]
		if ok && (created < cur.at || (created == cur.at && r.ID() < cur.id)) {
			return nil
		}
		hist[opp] = state{created, r.ID(), col(H, r, "stage_name").S, col(H, r, "amount"), col(H, r, "close_date")}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	type dated struct{ start, next, rate crm.Value }
	rates := map[string][]dated{}
	D := crm.DatedConversionRate
	_ = org.Each(D, func(r *crm.Row) error {
		code := col(D, r, "iso_code").S
		rates[code] = append(rates[code], dated{col(D, r, "start_date"), col(D, r, "next_start_date"), col(D, r, "conversion_rate")})
		return nil
	})
	usd := func(id, code string, cents, day int64) int64 {
		if code == "USD" {
			return cents
		}
		e.converted++
		for _, d := range rates[code] {
			if d.start.I <= day && (d.next.Null || day < d.next.I) {
				n, m := cents*1_000_000, d.rate.I // rates in millionths
				return (2*n + m) / (2 * m)
			}
		}
		t.Fatalf("opportunity %s: no dated %s rate on day %d", id, code, day)
		return 0
	}
	team := map[string]string{}
	U := crm.User
	_ = org.Each(U, func(r *crm.Row) error { team[r.ID()] = col(U, r, "team").S; return nil })
	O := crm.Opportunity
	if err := org.Each(O, func(r *crm.Row) error {
		if col(O, r, "created_date").I >= end {
			return nil
		}
		typ := col(O, r, "type").S
		if typ == "Renewal" || typ == "Existing Customer - Renewal" {
			return nil
		}
		stage, amt, closeDay := col(O, r, "stage_name").S, col(O, r, "amount"), col(O, r, "close_date")
		if h, ok := hist[r.ID()]; ok {
			stage, amt = h.stage, h.amt
			if !h.close.Null {
				closeDay = h.close
			}
		}
		if stage != "Closed Won" || !q.Contains(crm.TimeOfDays(closeDay.I)) {
			return nil
		}
		e.won++
		if !amt.Null {
			cents := usd(r.ID(), col(O, r, "currency_iso_code").S, amt.I, closeDay.I)
			e.bookings += cents
			e.byTeam[team[col(O, r, "owner_id").S]] += cents
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	L := crm.Lead
	_ = org.Each(L, func(r *crm.Row) error {
		if q.Contains(crm.TimeOfMicros(col(L, r, "created_date").I)) {
			e.leads++
		}
		return nil
	})
	return e
}

func TestDemoEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end demo: skipped with -short")
	}
	ctx := context.Background()
	out := t.TempDir()
	var printed, logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r, err := Run(ctx, Options{Out: out, Logger: logger}, &printed)
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, printed.String())
	}
	q := r.Closed
	if q != period.MustParse("2026Q3") {
		t.Fatalf("closed quarter %s", q)
	}
	want := independent(t, r.Org, q)
	if want.converted == 0 {
		t.Error("no 2026Q3 deal in another currency than USD: the demo's EUR deal is gone")
	}
	if want.won == 0 || want.bookings == 0 {
		t.Fatalf("the demo org has no 2026Q3 bookings: %+v", want)
	}
	res := r.ClosedKPIs.Result
	get := func(k, dim, key string) decimal.Decimal {
		v, ok := res.Get(k, dim, key, "")
		if !ok {
			t.Fatalf("KPI %s %s/%s missing", k, dim, key)
		}
		return v.Value
	}
	if got := get("opps_won", "org", "all"); !got.Equal(decimal.NewFromInt(int64(want.won))) {
		t.Errorf("opps_won 2026Q3 = %s, independently %d", got, want.won)
	}
	if got := get("bookings", "org", "all"); money.Cents(got) != want.bookings {
		t.Errorf("bookings 2026Q3 = %s, independently %s", got, money.FromCents(want.bookings))
	}
	for team, cents := range want.byTeam {
		if got := get("bookings", "team", team); money.Cents(got) != cents {
			t.Errorf("bookings 2026Q3 team %s = %s, independently %s", team, got, money.FromCents(cents))
		}
	}
	if got := get("leads", "org", "all"); !got.Equal(decimal.NewFromInt(int64(want.leads))) {
		t.Errorf("leads 2026Q3 = %s, independently %d", got, want.leads)
	}

	// The lake after the incremental night holds exactly the CRM's records.
	blob, _ := fsblob.New(r.Lake)
	for _, o := range crm.Objects {
		m, err := lake.LatestSnapshot(ctx, blob, o.Name, r.Org.Config().AsOf)
		if err != nil {
			t.Fatalf("%s: %v", o.Name, err)
		}
		if m.Rows != int64(r.Org.Count(o)) {
			t.Errorf("%s snapshot has %d rows, the CRM %d live records", o.Name, m.Rows, r.Org.Count(o))
		}
	}
	var rejects int64
	for _, n := range r.Nights {
		rejects += n.Totals().Rejects
	}
	if int(rejects) != len(r.Org.Malformed()) {
		t.Errorf("rejects %d, malformed records served %d", rejects, len(r.Org.Malformed()))
	}
	if r.Nights[1].Totals().Deletes == 0 || r.Changes.Changes() == 0 {
		t.Errorf("the incremental night saw no changes: %+v", r.Nights[1].Totals())
	}

	// Payouts: every statement's total is the sum of its rounded lines, all
	// are approved, and the payroll CSV has one row per statement.
	if len(r.Payouts.Statements) == 0 {
		t.Fatal("no statements")
	}
	names := map[string]bool{}
	spif := decimal.Zero // the AE plan's SPIF on the demo org's Analytics Add-on lines
	for _, s := range r.Payouts.Statements {
		sum := decimal.Zero
		spif = spif.Add(s.SPIFTotal())
		for _, l := range s.Lines {
			if !l.Amount.Equal(money.Round(l.Amount.Decimal)) {
				t.Errorf("%s: line %s not rounded to the cent: %s", s.ID, l.Key, l.Amount)
			}
			sum = sum.Add(l.Amount.Decimal)
		}
		if !sum.Equal(s.Total.Decimal) {
			t.Errorf("%s: total %s, lines sum to %s", s.ID, s.Total, sum)
		}
		names[s.Name] = true
		// Hana Sato is on the ramping plan: a recoverable draw for her 45
		// days (20,000 × 45/92 = 9,782.61) and a holdback, stated on the
		// statement whatever the generated deals pay.
		if s.Name == "Hana Sato" && (s.Pay == nil || s.Pay.Draw == nil || s.Pay.Draw.Amount.StringFixed(2) != "9782.61" || !s.Pay.Payable.Equal(s.Total.Decimal)) {
			t.Errorf("%s: payment stage %+v, want the ramp plan's draw 9782.61", s.ID, s.Pay)
		}
	}
	if !spif.IsPositive() {
		t.Errorf("the demo quarter pays no SPIF (%s)", spif)
	}
	for _, p := range []string{"Hana Sato", "Jordan Lee", "Olivia Grant", "Maria Chen"} {
		if !names[p] {
			t.Errorf("no statement for %s", p)
		}
	}
	store, _ := localstore.Open(r.Results)
	// Final KPI items are kept; nightly quarter-to-date ones expire.
	finals, _ := store.Query(ctx, "KPI#2026Q3", "FINAL#")
	nightly, _ := store.Query(ctx, "KPI#2026Q4", "ASOF#2026-11-20#")
	if len(finals) != len(res.Values)+1 || len(nightly) != len(r.QTD.Result.Values)+1 {
		t.Fatalf("stored KPI items: %d final for %d values, %d nightly for %d", len(finals), len(res.Values), len(nightly), len(r.QTD.Result.Values))
	}
	wantExpiry := r.QTD.Result.AsOf.Add(400 * 24 * time.Hour).Unix()
	for _, it := range finals {
		if it.Expires != 0 {
			t.Fatalf("final KPI item %s expires", it.SK)
		}
	}
	for _, it := range nightly {
		if it.Expires != wantExpiry {
			t.Fatalf("nightly KPI item %s expires at %d, want %d", it.SK, it.Expires, wantExpiry)
		}
	}
	stored, err := statementstore.List(ctx, store, q.String())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stored {
		if s.Status != "approved" {
			t.Errorf("%s: status %s after the demo's approval", s.Statement.ID, s.Status)
		}
	}
	rows := readLakeCSV(t, r, r.Approval.Export.Meta["csv"])
	if len(rows)-1 != len(r.Payouts.Statements) {
		t.Errorf("payroll CSV has %d rows for %d statements", len(rows)-1, len(r.Payouts.Statements))
	}
	for _, want := range []string{"Scorecard", "Payouts 2026Q3", "incremental extract", "Payroll export (CSV)"} {
		if !strings.Contains(printed.String(), want) {
			t.Errorf("the demo did not print %q", want)
		}
	}

	checkScorecards(t, r)
	checkDispute(t, r, printed.String())
	checkWhatIf(t, r, logs.String())
	checkASC340(t, r, printed.String())
	checkAcks(t, r, printed.String())
	checkHolds(t, r, printed.String())

	// Running it again gives the same numbers, byte for byte.
	out2 := filepath.Join(t.TempDir(), "again")
	r2, err := Run(ctx, Options{Out: out2}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(r2.Payouts.Statements) != len(r.Payouts.Statements) {
		t.Fatalf("rerun: %d statements, first run %d", len(r2.Payouts.Statements), len(r.Payouts.Statements))
	}
	for i := range r.Payouts.Statements {
		a, _ := r.Payouts.Statements[i].JSON()
		b, _ := r2.Payouts.Statements[i].JSON()
		if !bytes.Equal(a, b) {
			t.Errorf("rerun: statement %s differs", r.Payouts.Statements[i].ID)
		}
	}
	for _, pair := range [][2][]kpi.GoldRow{{r.QTD.Result.Rows(), r2.QTD.Result.Rows()}, {r.ClosedKPIs.Result.Rows(), r2.ClosedKPIs.Result.Rows()}} {
		a, b := pair[0], pair[1]
		if len(a) != len(b) {
			t.Fatalf("rerun: %d KPI values, first run %d", len(b), len(a))
		}
		for i := range a {
			if !reflect.DeepEqual(a[i], b[i]) { // DeepEqual follows the *int64 cents
				t.Errorf("rerun: KPI value differs:\n%+v\n%+v", a[i], b[i])
			}
		}
	}
}

func TestResetRefusesForeignFolder(t *testing.T) {
	dir := t.TempDir()
	if err := writeFile(filepath.Join(dir, "precious.txt")); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), Options{Out: dir}, io.Discard); err == nil || !strings.Contains(err.Error(), "not made by the demo") {
		t.Fatalf("the demo would have emptied a folder it did not make: %v", err)
	}
}

func writeFile(path string) error { return os.WriteFile(path, []byte("x"), 0o644) }

// checkDispute: the demo's dispute on Alex Romero's final 2026Q2
// statement was raised by him, answered by his manager, resolved by
// finance with an adjustment of 250.00, and his 2026Q3 statement pays it
// as its own line: his 2026Q3 total is his other lines plus 250.00.
func checkDispute(t *testing.T, r *Report, printed string) {
	t.Helper()
	d := r.Dispute
	if d == nil || d.Dispute.State != "resolved" || d.PaidIn == nil || d.PaidIn.Quarter != "2026Q3" || len(d.Dispute.History) != 3 {
		t.Fatalf("demo dispute %+v", d)
	}
	for i, want := range []struct{ by, role string }{{"local:" + demoRep, "rep"}, {"local:" + demoManager, "manager"}, {"local:" + demoApprover, "finance"}} {
		if ev := d.Dispute.History[i]; ev.By != want.by || string(ev.Role) != want.role {
			t.Errorf("step %d by %s as %s, want %s as %s", i+1, ev.By, ev.Role, want.by, want.role)
		}
	}
	for _, s := range r.Payouts.Statements {
		if s.PersonID != demoRepID {
			continue
		}
		others, paid := decimal.Zero, 0
		for _, l := range s.Lines {
			if l.Kind == "dispute_adjustment" {
				paid++
				if l.Amount.StringFixed(2) != DisputeAmount || l.Ref != d.Dispute.ID {
					t.Errorf("dispute line %+v", l)
				}
				continue
			}
			others = others.Add(l.Amount.Decimal)
		}
		if paid != 1 || !s.Total.Decimal.Equal(others.Add(decimal.RequireFromString(DisputeAmount))) {
			t.Errorf("%s: %d dispute lines, total %s, other lines %s", s.ID, paid, s.Total, others)
		}
	}
	if !strings.Contains(printed, "== Dispute on a 2026Q2 statement line, paid on 2026Q3") || !strings.Contains(printed, "resolved: adjustment of USD 250.00") {
		t.Errorf("the demo did not print its dispute")
	}
}

// readLakeCSV reads the RFC 4180 CSV file key of the demo's lake.
func readLakeCSV(t *testing.T, r *Report, key string) [][]string {
	t.Helper()
	blob, _ := fsblob.New(r.Lake)
	rc, err := blob.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("%s is not RFC 4180: %v", key, err)
	}
	return rows
}
