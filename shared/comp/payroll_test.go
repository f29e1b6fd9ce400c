package comp

import (
	"bytes"
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/venn-revops/venn/shared/period"
)

// testConfigFS is a copy of the shipped comp configuration folder, to edit.
func testConfigFS(t *testing.T) fstest.MapFS {
	t.Helper()
	out := fstest.MapFS{}
	src := os.DirFS("../config/comp")
	err := fs.WalkDir(src, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") {
			return err
		}
		b, err := fs.ReadFile(src, path)
		out[path] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

const payrollYAML = `
long_format: true
earnings_codes:
  bonus:      {code: BON, type: earning}
  commission: {code: COM, type: earning}
  clawback:   {code: CLB, type: deduction}
  adjustment: {code: ADJ, type: earning}
  draw:       {code: DRW, type: earning}
pay_date:
  days_after_period_end: 15
  calendar: {2026Q4: 2027-01-08}
entities:
  default: Acme Inc.
  by_cost_center: {CC-UK: Acme UK Ltd}
  by_team: {Sales West: Acme West LLC}
`

func TestParsePayroll(t *testing.T) {
	p, err := ParsePayroll("payroll.yaml", []byte(payrollYAML))
	if err != nil {
		t.Fatal(err)
	}
	if !p.LongFormat || p.Deductions != "negative" || p.EarningsCodes[EarnClawback] != (EarningsCode{"CLB", "deduction"}) {
		t.Errorf("decoded %+v", p)
	}
	// 2026Q3 ends 2026-09-30: +15 days is 2026-10-15; 2026Q4 is on the calendar.
	for q, want := range map[string]string{"2026Q3": "2026-10-15", "2026Q4": "2027-01-08"} {
		d, err := p.PayDateOf(period.MustParse(q))
		if err != nil || d.Format("2006-01-02") != want {
			t.Errorf("pay date of %s: %v %v, want %s", q, d, err, want)
		}
	}
	for _, c := range []struct{ cc, team, want string }{
		{"CC-UK", "Sales West", "Acme UK Ltd"}, // cost center first
		{"CC-US", "Sales West", "Acme West LLC"},
		{"", "Marketing", "Acme Inc."},
	} {
		if got := p.EntityOf(c.cc, c.team); got != c.want {
			t.Errorf("entity of %s/%s = %s, want %s", c.cc, c.team, got, c.want)
		}
	}
}

// Bad payroll files are refused with the file, the key and the reason.
func TestParsePayrollRejects(t *testing.T) {
	tests := []struct {
		name, edit, want string
	}{
		{"missing code", "  clawback:   {code: CLB, type: deduction}\n|", "payroll.yaml: earnings_codes.clawback: required"},
		{"unknown kind", "  draw:       {code: DRW, type: earning}\n|  draw:       {code: DRW, type: earning}\n  spiff: {code: SP, type: earning}\n", "payroll.yaml: earnings_codes.spiff: unknown earnings kind"},
		{"bad type", "{code: BON, type: earning}|{code: BON, type: bonus}", "payroll.yaml: earnings_codes.bonus.type: \"bonus\": want earning or deduction"},
		{"bad code", "{code: COM, type: earning}|{code: \"=1+2\", type: earning}", "payroll.yaml: earnings_codes.commission.code: \"=1+2\""},
		{"clawback as earning", "{code: CLB, type: deduction}|{code: CLB, type: earning}", "payroll.yaml: earnings_codes.clawback.type: a clawback recovers pay"},
		{"one code two types", "{code: DRW, type: earning}|{code: CLB, type: earning}", "one code, one type"},
		{"no pay date", "  days_after_period_end: 15\n  calendar: {2026Q4: 2027-01-08}\n|  calendar: {}\n", "payroll.yaml: pay_date: required"},
		{"negative days", "days_after_period_end: 15|days_after_period_end: -1", "payroll.yaml: pay_date.days_after_period_end: -1: want 0 to 366"},
		{"pay date before quarter end", "2026Q4: 2027-01-08|2026Q4: 2026-12-01", "payroll.yaml: pay_date.calendar.2026Q4: 2026-12-01 is before the quarter's last day 2026-12-31"},
		{"bad quarter", "2026Q4: 2027-01-08|2026Q5: 2027-01-08", "payroll.yaml: pay_date.calendar.2026Q5"},
		{"no default entity", "  default: Acme Inc.\n|", "payroll.yaml: entities.default: required"},
		{"unknown key", "long_format: true|long_format: true\npaydate: 1", "payroll.yaml: paydate"},
		{"bad deduction sign", "long_format: true|long_format: true\ndeduction_amounts: absolute", "payroll.yaml: deduction_amounts: \"absolute\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to, _ := strings.Cut(tt.edit, "|")
			src := strings.Replace(payrollYAML, from, to, 1)
			if src == payrollYAML {
				t.Fatalf("edit %q changed nothing", from)
			}
			_, err := ParsePayroll("payroll.yaml", []byte(src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}

// An adjustment marked as a draw needs a draw code; CheckConfig reports it
// before anything is computed.
func TestCheckConfigDrawNeedsCode(t *testing.T) {
	cfg := testConfigFS(t)
	cfg["payroll.yaml"] = &fstest.MapFile{Data: []byte(strings.Replace(payrollYAML, "  draw:       {code: DRW, type: earning}\n", "", 1))}
	cfg["adjustments.yaml"] = &fstest.MapFile{Data: []byte(`adjustments:
  - {id: A1, person: P1, quarter: 2026Q3, amount: 500.00, currency: USD, reason: "draw", author: f@x, earnings: draw}
`)}
	_, err := CheckConfig(cfg, func(string) bool { return true })
	if err == nil || !strings.Contains(err.Error(), "adjustments.yaml: adjustments[0].earnings: draw has no code: add earnings_codes.draw to payroll.yaml") {
		t.Fatalf("got %v", err)
	}
}

// A hand-worked statement in the long format: commission and its cap are
// one COM amount (2,500.00 − 300.00), the clawback a negative deduction,
// the draw adjustment on its own code, a zero line dropped; with
// deduction_amounts: positive the clawback is written 250.50.
func TestLongRows(t *testing.T) {
	p, err := ParsePayroll("payroll.yaml", []byte(payrollYAML))
	if err != nil {
		t.Fatal(err)
	}
	st := &Statement{
		ID: "2026Q3/P1", Quarter: "2026Q3", PersonID: "P1", EmployeeID: "E1", Name: "Ada, Countess", CostCenter: "CC-UK", Team: "Sales West", Currency: "USD",
		Lines: []Line{
			{Key: "b", Kind: LineAttainmentBonus, Amount: Money{dec("1000.00")}},
			{Key: "b0", Kind: LineAttainmentBonus, Amount: Money{dec("0")}},
			{Key: "c", Kind: LineCommission, Amount: Money{dec("2500.00")}},
			{Key: "cap", Kind: LineCommissionCap, Amount: Money{dec("-300.00")}},
			{Key: "cl", Kind: LineClawback, Amount: Money{dec("-250.50")}},
			{Key: "a", Kind: LineAdjustment, Amount: Money{dec("120.50")}, Ref: "ADJ-1"},
			{Key: "d", Kind: LineAdjustment, Amount: Money{dec("500.00")}, Ref: "DRAW-1"},
			{Key: "pp", Kind: LinePriorPeriod, Amount: Money{dec("-20.00")}},
			{Key: "dispute/2026Q2/P1/1", Kind: LineDisputeAdjustment, Amount: Money{dec("75.25")}, Ref: "2026Q2/P1/1"},
		},
	}
	adjs := []Adjustment{{ID: "ADJ-1"}, {ID: "DRAW-1", Earnings: EarnDraw}}
	recs := []ExportRecord{{Statement: st, Status: StatusFinal, Version: 3}}
	const head = "employee_id,person_id,name,entity,earnings_code,earnings_type,amount,currency,pay_date,period_start,period_end,quarter,statement_id,statement_version,status\r\n"
	row := func(code, typ, amt string) string {
		return `E1,P1,"Ada, Countess",Acme UK Ltd,` + code + "," + typ + "," + amt + ",USD,2026-10-15,2026-07-01,2026-09-30,2026Q3,2026Q3/P1,3,final\r\n"
	}
	// prior_period_adjustment has no code of its own here: adjustment's ADJ,
	// and a resolved dispute's adjustment is paid as an adjustment, so ADJ is
	// 120.50 − 20.00 + 75.25 = 175.75.
	want := head + row("ADJ", "earning", "175.75") + row("BON", "earning", "1000.00") + row("CLB", "deduction", "-250.50") +
		row("COM", "earning", "2200.00") + row("DRW", "earning", "500.00")
	rows, err := LongRows(recs, p, adjs)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteLongCSV(&b, rows); err != nil {
		t.Fatal(err)
	}
	if b.String() != want {
		t.Errorf("long CSV:\n%s\nwant:\n%s", b.String(), want)
	}

	p.Deductions = "positive"
	rows, err = LongRows(recs, p, adjs)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.EarningsCode == "CLB" && r.Amount != 25050 {
			t.Errorf("positive deductions: clawback %d cents, want 25050", r.Amount)
		}
	}

	// A draft is never exported.
	if _, err := LongRows([]ExportRecord{{Statement: st, Status: StatusDraft}}, p, nil); err == nil {
		t.Error("a draft was exported")
	}
}
