package comp

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/shopspring/decimal"
	"github.com/venn-revops/venn/shared/money"
	"github.com/venn-revops/venn/shared/period"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/golden")

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// knownKPIs stands in for the KPI catalog's names.
func knownKPIs(name string) bool {
	return contains([]string{"leads", "mqls", "sqls", "opps_created", "opps_won", "bookings", "pipeline_created", "win_rate",
		"mktg_sourced_pipeline", "mktg_sourced_bookings", "mktg_influenced_pipeline", "mktg_influenced_bookings",
		"meetings", "renewal_rate", "nrr"}, name)
}

// demoPeople is the demo roster (shared/democrm/people.go) as the payouts
// job adapts it. It is written out here so these tests do not depend on the
// demo CRM server package.
func demoPeople() []Person {
	rows := []struct{ id, emp, name, cc, team, mgr string }{
		{maria, "E1001", "Maria Chen", "CC-SALES-EAST", "Sales East", ""},
		{alex, "E1002", "Alex Romero", "CC-SALES-EAST", "Sales East", maria},
		{priya, "E1003", "Priya Nair", "CC-SALES-EAST", "Sales East", maria},
		{tom, "E1004", "Tom Becker", "CC-SALES-EAST", "Sales East", maria},
		{jordan, "E1005", "Jordan Lee", "CC-SALES-EAST", "Sales East", maria},
		{sam, "E1006", "Sam Okafor", "CC-SALES-WEST", "Sales West", ""},
		{lena, "E1007", "Lena Fischer", "CC-SALES-WEST", "Sales West", sam},
		{diego, "E1008", "Diego Alvarez", "CC-SALES-WEST", "Sales West", sam},
		{hana, "E1009", "Hana Sato", "CC-SALES-WEST", "Sales West", sam},
		{chris, "E1010", "Chris Morgan", "CC-SALES-WEST", "Sales West", sam},
		{nina, "E1011", "Nina Brooks", "CC-SALES-EAST", "Sales East", maria},
		{olivia, "E2001", "Olivia Grant", "CC-MKTG", "Marketing", ""},
		{ravi, "E2002", "Ravi Patel", "CC-MKTG", "Marketing", olivia},
		{emma, "E2003", "Emma Novak", "CC-MKTG", "Marketing", olivia},
		{integration, "", "Integration User", "", "Operations", ""},
	}
	out := make([]Person, len(rows))
	for i, r := range rows {
		out[i] = Person{ID: r.id, EmployeeID: r.emp, Name: r.name, CostCenter: r.cc, Team: r.team, ManagerID: r.mgr, Currency: "USD"}
	}
	return out
}

const (
	maria, alex, priya, tom, jordan = "005000000000001AAA", "005000000000002AAA", "005000000000003AAA", "005000000000004AAA", "005000000000005AAA"
	sam, lena, diego, hana, chris   = "005000000000006AAA", "005000000000007AAA", "005000000000008AAA", "005000000000009AAA", "005000000000010AAA"
	nina, olivia, ravi, emma        = "005000000000011AAA", "005000000000012AAA", "005000000000013AAA", "005000000000014AAA"
	integration                     = "005000000000099AAA"
)

// demoInput is 2026Q3 for the demo roster with the shipped config: deals,
// dated activities and the two marketing KPI values Venn cannot itemise,
// chosen so every mechanism shows up once. The expected numbers are worked
// by hand in TestDemoWorkedExamples.
func demoInput(t *testing.T) RunInput {
	t.Helper()
	cfg, err := LoadConfig(os.DirFS("../config/comp"))
	if err != nil {
		t.Fatal(err)
	}
	m := MetricTable{}
	set := func(kpi, scope, key, model, v string) { m[MetricKey{kpi, scope, key, model}] = dec(v) }
	set("mktg_sourced_pipeline", "org", "all", "", "1650000")
	set("mktg_influenced_bookings", "org", "all", "w_shaped", "610000.50")
	const nb, ex, rn = "new_business", "expansion", "renewal" // the classes kpi.Config.Class gives
	deals := []Deal{
		// Line items (the analytics_spif SPIF counts ANL-SUB units from
		// 2026-08-01): before the SPIF.
		{ID: "006A01", Name: "Acme new logo", OwnerID: alex, Amount: dec("200000"), Currency: "USD", CloseDate: day("2026-07-20"), Won: true, Type: nb,
			Lines: []DealLine{line("00kA01a", "01tPLT", "150"), line("00kA01b", "01tANL", "30")}},
		{ID: "006A02", Name: "Globex expansion", OwnerID: alex, Amount: dec("145000"), Currency: "USD", CloseDate: day("2026-09-30"), Won: true, Type: ex,
			Lines: []DealLine{line("00kA02a", "01tANL", "20"), line("00kA02b", "01tSUP", "5")}},
		{ID: "006A03", Name: "Initech split", OwnerID: priya, Amount: dec("100000.01"), Currency: "USD", CloseDate: day("2026-08-10"), Won: true, Type: nb,
			Splits: []Split{{priya, dec("60")}, {tom, dec("40")}}, Lines: []DealLine{line("00kA03a", "01tPLT", "60"), line("00kA03b", "01tANL", "15")}},
		{ID: "006A04", Name: "Umbrella", OwnerID: tom, Amount: dec("90000"), Currency: "USD", CloseDate: day("2026-07-02"), Won: true, Type: nb},
		{ID: "006A05", Name: "Hooli first deal", OwnerID: hana, Amount: dec("120000"), Currency: "USD", CloseDate: day("2026-09-01"), Won: true, Type: nb,
			Lines: []DealLine{line("00kA05a", "01tANL", "12.5")}}, // Hana's ramp plan has no SPIF
		{ID: "006A06", Name: "Jordan first AE deal", OwnerID: jordan, Amount: dec("40000"), Currency: "USD", CloseDate: day("2026-09-12"), Won: true, Type: nb,
			Lines: []DealLine{line("00kA06a", "01tANL", "3")}},
		{ID: "006A07", Name: "Stark", OwnerID: lena, Amount: dec("310000"), Currency: "USD", CloseDate: day("2026-08-28"), Won: true, Type: nb,
			Lines: []DealLine{line("00kA07a", "01tPLT", "250"), line("00kA07b", "01tONB", "4")}},
		{ID: "006A08", Name: "Wayne", OwnerID: diego, Amount: dec("210000"), Currency: "USD", CloseDate: day("2026-07-15"), Won: true, Type: nb},
		// Cancelled inside the quarter it closed: never credited.
		{ID: "006A09", Name: "Cyberdyne", OwnerID: diego, Amount: dec("50000"), Currency: "USD", CloseDate: day("2026-07-05"), Won: true, Type: nb},
		{ID: "006A10", Name: "Lost deal", OwnerID: alex, Amount: dec("99000"), Currency: "USD", CloseDate: day("2026-08-01"), Won: false, Type: nb},
		{ID: "006A11", Name: "Acme renewal", OwnerID: alex, Amount: dec("50000"), Currency: "USD", CloseDate: day("2026-08-05"), Won: true, Type: rn,
			Lines: []DealLine{line("00kA11a", "01tANL", "10")}}, // a renewal: not in the SPIF
		{ID: "006A12", Name: "Vandelay", OwnerID: priya, Amount: dec("89999.99"), Currency: "USD", CloseDate: day("2026-09-05"), Won: true, Type: nb},
	}
	// Invoices: the AE plan holds new-business commission until the deal's
	// invoice_paid_date__c is set. Each invoice is paid two weeks after the
	// close (within the quarter), except Vandelay's, still unpaid on
	// 2026-09-30: Priya's commission on it is held.
	for i := range deals {
		if deals[i].ID != "006A12" {
			deals[i].Dates = map[string]time.Time{"invoice_paid_date__c": deals[i].CloseDate.AddDate(0, 0, 14)}
		}
	}
	// A Q2 deal of Priya's paid in 2026Q2, cancelled 2026-08-01 (42 days after close): clawed back.
	prev := Statement{ID: "2026Q2/" + priya, Quarter: "2026Q2", PersonID: priya, Currency: "USD", Credits: []DealCredit{
		{DealID: "006Z01", DealName: "Soylent", CloseDate: "2026-06-20", Role: RoleOwner, Percent: dec("100"), Credited: Money{dec("50000")},
			Plan: "ae@v1", Component: "new_business_commission", Paid: Money{dec("2500")}, Clawback: 90},
	}}
	var acts []Activity
	// spread puts n activities of a KPI on days first, first+1, … (wrapping
	// within [first, last]).
	spread := func(kpi, person, first, last string, n int) {
		f, l := day(first), day(last)
		span := int(l.Sub(f).Hours()/24) + 1
		for i := 0; i < n; i++ {
			acts = append(acts, Activity{KPI: kpi, PersonID: person, Date: f.AddDate(0, 0, i%span), Ref: fmt.Sprintf("%s-%s-%s-%d", kpi, person[12:15], first, i)})
		}
	}
	// Jordan: an SDR until 08-31, then an AE. 14 SQLs and 30 meetings as an
	// SDR; 3 SQLs and 11 meetings in September count for no SDR bonus.
	spread("sqls", jordan, "2026-07-01", "2026-08-31", 14)
	spread("meetings", jordan, "2026-07-01", "2026-08-31", 30)
	spread("sqls", jordan, "2026-09-01", "2026-09-30", 3)
	spread("meetings", jordan, "2026-09-01", "2026-09-30", 11)
	// Chris leaves after 09-15: 16 SQLs and 28 meetings before, 2 and 2 after.
	spread("sqls", chris, "2026-07-01", "2026-09-15", 16)
	spread("meetings", chris, "2026-07-01", "2026-09-15", 28)
	spread("sqls", chris, "2026-09-16", "2026-09-30", 2)
	spread("meetings", chris, "2026-09-16", "2026-09-30", 2)
	// Nina, the whole quarter: 33 SQLs, 66 meetings.
	spread("sqls", nina, "2026-07-01", "2026-09-30", 33)
	spread("meetings", nina, "2026-07-01", "2026-09-30", 66)
	return RunInput{
		Quarter: period.MustParse("2026Q3"), People: demoPeople(), Plans: cfg.Plans, Assignments: cfg.Assignments, Adjustments: cfg.Adjustments,
		Quotas: cfg.Quotas, Metrics: m, Activities: acts, KnownKPI: knownKPIs, Deals: deals, Products: spifCatalogue(),
		Cancellations: []Cancellation{{"006A09", day("2026-08-15")}, {"006Z01", day("2026-08-01")}},
		Previous:      []Statement{prev}, CodeVersion: "test-1", ConfigVersion: goldenConfigVersion,
	}
}

// goldenConfigVersion is the configuration version the golden statements
// record, shaped as configstore writes one (content hash prefix @ push id).
const goldenConfigVersion = "0123456789abcdef@20261001T090000.000000Z"

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file; rerun with -update after checking the change:\n%s", name, got)
	}
}

func TestDemoQuarterGolden(t *testing.T) {
	out, err := Run(demoInput(t))
	if err != nil {
		t.Fatal(err)
	}
	var all, text bytes.Buffer
	var recs []ExportRecord
	for i := range out.Statements {
		st := &out.Statements[i]
		b, err := st.JSON()
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
		// Stored statements are compared by their JSON: decoding and
		// encoding again must give the same bytes, or saving the same
		// statement twice would not be a no-op.
		back, err := ParseStatement(b)
		if err != nil {
			t.Fatal(err)
		}
		if b2, _ := back.JSON(); !bytes.Equal(b, b2) {
			t.Errorf("%s: JSON does not round-trip", st.ID)
		}
		// Anyone can re-derive the input hash from the decoded statement.
		if h, err := back.Inputs.Hash(); err != nil || h != st.InputHash {
			t.Errorf("%s: input hash %s does not re-derive (%s, %v)", st.ID, st.InputHash, h, err)
		}
		if err := st.WriteText(&text); err != nil {
			t.Fatal(err)
		}
		text.WriteString("\n")
		recs = append(recs, ExportRecord{Statement: st, Status: StatusApproved, Version: 2})
	}
	golden(t, "demo-2026Q3.json", all.Bytes())
	golden(t, "demo-2026Q3.txt", text.Bytes())
	var csvOut bytes.Buffer
	if err := WriteCSV(&csvOut, recs); err != nil {
		t.Fatal(err)
	}
	golden(t, "demo-2026Q3-export.csv", csvOut.Bytes())
	var pq bytes.Buffer
	if err := WriteParquet(&pq, recs); err != nil {
		t.Fatal(err)
	}
	golden(t, "demo-2026Q3-export.parquet", pq.Bytes())

	// Statement lines for the lake: one row per line, amounts summing to
	// the statements' totals.
	var lines bytes.Buffer
	if err := WriteLinesParquet(&lines, out.Statements); err != nil {
		t.Fatal(err)
	}
	rows, err := parquet.Read[LineRow](bytes.NewReader(lines.Bytes()), int64(lines.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var rowCents, totalCents int64
	nLines := 0
	for _, r := range rows {
		rowCents += r.Amount
	}
	for _, st := range out.Statements {
		totalCents += money.Cents(st.Total.Decimal)
		nLines += len(st.Lines)
	}
	if len(rows) != nLines || rowCents != totalCents {
		t.Errorf("line rows: %d rows summing to %d cents, want %d rows summing to %d", len(rows), rowCents, nLines, totalCents)
	}

	// Rerun: byte-identical.
	again, err := Run(demoInput(t))
	if err != nil {
		t.Fatal(err)
	}
	var all2 bytes.Buffer
	for i := range again.Statements {
		b, _ := again.Statements[i].JSON()
		all2.Write(b)
	}
	if !bytes.Equal(all.Bytes(), all2.Bytes()) {
		t.Error("rerun with the same inputs is not byte-identical")
	}
}

func TestPlanDocumentsGolden(t *testing.T) {
	cfg, err := LoadConfig(os.DirFS("../config/comp"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	for _, p := range cfg.Plans {
		if err := p.WriteText(&buf); err != nil {
			t.Fatal(err)
		}
		buf.WriteString("\n----\n\n")
	}
	golden(t, "plan-documents.txt", buf.Bytes())
}
