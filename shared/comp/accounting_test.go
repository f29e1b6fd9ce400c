package comp

import (
	"bytes"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/venn-revops/venn/shared/period"
)

// accStatement is a hand-built statement of P1: its lines (the earnings)
// and the commission paid per deal (type, close date, paid).
func accStatement(q string, lines []Line, credits ...DealCredit) Statement {
	total := dec("0")
	for _, l := range lines {
		total = total.Add(l.Amount.Decimal)
	}
	return Statement{ID: q + "/P1", Quarter: q, PersonID: "P1", EmployeeID: "E1", Name: "Pat", CostCenter: "CC", Currency: "USD",
		Lines: lines, Credits: credits, Total: Money{total}}
}

func accCredit(deal, typ, closed, paid string) DealCredit {
	return DealCredit{DealID: deal, Type: typ, CloseDate: closed, Role: RoleOwner, Credited: Money{dec("1")},
		Payments: []Payment{{Plan: "ae@v1", Component: "comm", Paid: Money{dec(paid)}}}}
}

func accLine(kind, ref, amount string) Line {
	return Line{Key: kind + "/" + ref, Kind: kind, Ref: ref, Amount: Money{dec(amount)}}
}

// TestAccountingASC340 works a year by hand. Benefit period 48 months,
// new_business capitalised, straight line from the close month.
//
//	2026Q1: bonus 1,000 + A's commission 4,800 (new business, closed
//	  02-10) = 5,800 incurred; 4,800 capitalised; A amortised Feb–Mar,
//	  2/48 × 4,800 = 200; expensed 5,800 − 4,800 + 200 = 1,200; asset
//	  0 → 4,600.
//	2026Q2: B's commission 400 (renewal: expensed) incurred; A through
//	  June 5/48 = 500, so 300 this quarter; expensed 700; 4,600 → 4,300.
//	2026Q3: C's commission 960 (new business, closed 09-15) capitalised;
//	  A 8/48 = 800, 300 this quarter; C Sep 1/48 × 960 = 20; amortised
//	  320; expensed 960 − 960 + 320 = 320; 4,300 + 960 − 320 = 4,940.
//	2026Q4: C clawed back −960 (incurred); C's unamortised 960 − 20 = 940
//	  written off; A 11/48 = 1,100, 300 this quarter; expensed −960 + 300
//	  + 940 = 280; 4,940 − 300 − 940 = 3,700 = A's 4,800 − 1,100.
func TestAccountingASC340(t *testing.T) {
	sts := []Statement{
		accStatement("2026Q1", []Line{accLine(LineAttainmentBonus, "b", "1000"), accLine(LineCommission, "c", "4800")}, accCredit("A", "new_business", "2026-02-10", "4800")),
		accStatement("2026Q2", []Line{accLine(LineCommission, "c", "400")}, accCredit("B", "renewal", "2026-05-02", "400")),
		accStatement("2026Q3", []Line{accLine(LineCommission, "c", "960")}, accCredit("C", "new_business", "2026-09-15", "960")),
		accStatement("2026Q4", []Line{accLine(LineClawback, "C", "-960")}),
	}
	cfg := &AccountingConfig{CapitaliseDealTypes: []string{"new_business"}, BenefitMonths: 48}
	want := map[string]string{
		"2026Q1": "5800.00 4800.00 200.00 0.00 1200.00 0.00 4600.00",
		"2026Q2": "400.00 0.00 300.00 0.00 700.00 4600.00 4300.00",
		"2026Q3": "960.00 960.00 320.00 0.00 320.00 4300.00 4940.00",
		"2026Q4": "-960.00 0.00 300.00 940.00 280.00 4940.00 3700.00",
		// No statement in 2027Q1: A still amortises, 14/48 → 1,400, 300.
		"2027Q1": "0.00 0.00 300.00 0.00 300.00 3700.00 3400.00",
	}
	for q, w := range want {
		rows, err := AccountingRows(sts, cfg, period.MustParse(q))
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 {
			t.Fatalf("%s: %d rows", q, len(rows))
		}
		r := rows[0]
		got := strings.Join([]string{r.Incurred.StringFixed(2), r.Capitalised.StringFixed(2), r.Amortised.StringFixed(2), r.WrittenOff.StringFixed(2),
			r.Expensed.StringFixed(2), r.Opening.StringFixed(2), r.Closing.StringFixed(2)}, " ")
		if got != w {
			t.Errorf("%s incurred/capitalised/amortised/written off/expensed/opening/closing\n got %s\nwant %s", q, got, w)
		}
	}
	// The practical expedient: a benefit period of a year or less is
	// expensed as incurred.
	cfg = &AccountingConfig{CapitaliseDealTypes: []string{"new_business"}, BenefitMonths: 12, PracticalExpedient: true}
	rows, err := AccountingRows(sts, cfg, period.MustParse("2026Q1"))
	if err != nil {
		t.Fatal(err)
	}
	if r := rows[0]; !r.Capitalised.IsZero() || r.Expensed.StringFixed(2) != "5800.00" || !r.Closing.IsZero() {
		t.Errorf("practical expedient: %+v", r)
	}
	// Rounding: 1,000 over 48 months, closed in March: 1/48 = 20.8333… →
	// 20.83 in Q1; through June 4/48 = 83.333… → 83.33, so 62.50 in Q2.
	one := []Statement{accStatement("2026Q1", []Line{accLine(LineCommission, "c", "1000")}, accCredit("D", "new_business", "2026-03-31", "1000"))}
	cfg = &AccountingConfig{CapitaliseDealTypes: []string{"new_business"}, BenefitMonths: 48}
	for q, w := range map[string]string{"2026Q1": "20.83", "2026Q2": "62.50"} {
		rows, err := AccountingRows(one, cfg, period.MustParse(q))
		if err != nil {
			t.Fatal(err)
		}
		if rows[0].Amortised.StringFixed(2) != w {
			t.Errorf("%s amortised %s, want %s", q, rows[0].Amortised.StringFixed(2), w)
		}
	}
	var b bytes.Buffer
	rows, _ = AccountingRows(sts, &AccountingConfig{CapitaliseDealTypes: []string{"new_business"}, BenefitMonths: 48}, period.MustParse("2026Q4"))
	if err := WriteAccountingCSV(&b, rows); err != nil {
		t.Fatal(err)
	}
	if want := "quarter,employee_id,person_id,name,cost_center,currency,incurred,capitalised,amortised,written_off,expensed,asset_opening,asset_closing\r\n" +
		"2026Q4,E1,P1,Pat,CC,USD,-960.00,0.00,300.00,940.00,280.00,4940.00,3700.00\r\n"; b.String() != want {
		t.Errorf("csv:\n%s", b.String())
	}
}

func TestLoadAccounting(t *testing.T) {
	for src, want := range map[string]string{
		"capitalise_deal_types: [new_business]\nbenefit_months: 48\n": "",
		"benefit_months: 0\n": "a.yaml: capitalise_deal_types: required",
		"capitalise_deal_types: [newbiz]\nbenefit_months: 48\n":           `a.yaml: capitalise_deal_types[0]: "newbiz" is not an opportunity class`,
		"capitalise_deal_types: [new_business]\nbenefit_months: 121\n":    "a.yaml: benefit_months: 121: want the expected benefit period in months, 1 to 120",
		"capitalise_deal_types: [new_business]\nbenefit_months: 48\nx: 1": `a.yaml: x: unknown key "x"`,
	} {
		_, err := LoadAccounting(fstest.MapFS{"a.yaml": {Data: []byte(src)}}, "a.yaml")
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: %v", src, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%q: got %v, want %s", src, err, want)
		}
	}
}

// TestAccountingSPIFs: a SPIF paid on a deal is capitalised with the
// deal's commission when the deal's class is capitalised (it is paid
// because that contract was signed), expensed on other classes, and
// expensed everywhere when accounting.yaml lists it under expense_spifs.
// 2026Q3, 48 months, new_business capitalised; deal E (new business,
// closed 07-20): commission 2,400 and SPIF 600; deal R (renewal, closed
// 08-03): SPIF 100. Incurred 2,400 + 700 = 3,100.
//
//	default: capitalised 2,400 + 600 = 3,000; amortised Jul–Sep 3/48 ×
//	  3,000 = 187.50; expensed 3,100 − 3,000 + 187.50 = 287.50; asset
//	  2,812.50.
//	expense_spifs [analytics_spif]: capitalised 2,400; amortised 3/48 ×
//	  2,400 = 150.00; expensed 3,100 − 2,400 + 150 = 850.00; asset 2,250.00.
func TestAccountingSPIFs(t *testing.T) {
	spif := func(deal, typ, closed, paid string) DealCredit {
		c := accCredit(deal, typ, closed, paid)
		c.Payments[0].Component = "analytics_spif"
		return c
	}
	e := accCredit("E", "new_business", "2026-07-20", "2400")
	e.Payments = append(e.Payments, spif("E", "new_business", "2026-07-20", "600").Payments...)
	sts := []Statement{accStatement("2026Q3", []Line{accLine(LineCommission, "c", "2400"), accLine(LineSPIF, "s", "700")},
		e, spif("R", "renewal", "2026-08-03", "100"))}
	for _, c := range []struct {
		expense []string
		want    string
	}{
		{nil, "3100.00 3000.00 187.50 0.00 287.50 0.00 2812.50"},
		{[]string{"analytics_spif"}, "3100.00 2400.00 150.00 0.00 850.00 0.00 2250.00"},
	} {
		cfg := &AccountingConfig{CapitaliseDealTypes: []string{"new_business"}, BenefitMonths: 48, ExpenseSPIFs: c.expense}
		rows, err := AccountingRows(sts, cfg, period.MustParse("2026Q3"))
		if err != nil {
			t.Fatal(err)
		}
		r := rows[0]
		got := strings.Join([]string{r.Incurred.StringFixed(2), r.Capitalised.StringFixed(2), r.Amortised.StringFixed(2), r.WrittenOff.StringFixed(2),
			r.Expensed.StringFixed(2), r.Opening.StringFixed(2), r.Closing.StringFixed(2)}, " ")
		if got != c.want {
			t.Errorf("expense_spifs %v: incurred/capitalised/amortised/written off/expensed/opening/closing\n got %s\nwant %s", c.expense, got, c.want)
		}
	}
}

// expense_spifs names spif components of the plans, checked with the
// whole configuration folder.
func TestAccountingExpenseSPIFsChecked(t *testing.T) {
	for src, want := range map[string]string{
		"expense_spifs: [analytics_spif]\n":                 "",
		"expense_spifs: [analytics_spif, analytics_spif]\n": `accounting.yaml: expense_spifs[1]: "analytics_spif" is listed twice`,
		"expense_spifs: [no_such_spif]\n":                   `accounting.yaml: expense_spifs[0]: "no_such_spif" is no plan's spif component`,
		"expense_spifs: [renewal_commission]\n":             `accounting.yaml: expense_spifs[0]: "renewal_commission" is a component of plan ae`,
	} {
		fsys := testConfigFS(t)
		fsys[AccountingFile] = &fstest.MapFile{Data: []byte("capitalise_deal_types: [new_business]\nbenefit_months: 48\n" + src)}
		_, err := LoadConfig(fsys)
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: %v", src, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%q: got %v, want %s", src, err, want)
		}
	}
}
