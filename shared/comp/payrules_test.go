package comp

import (
	"errors"
	"strings"
	"testing"
)

// Bad payment-stage keys are refused with the key and the reason, before
// anything is computed.
func TestPayRulesValidation(t *testing.T) {
	for _, tc := range []struct {
		name, extra string
		want        []string
	}{
		{"draw kind", "draw: {kind: advance, amount: 100}", []string{`pay.yaml: draw.kind: "advance": want recoverable or non_recoverable`}},
		{"draw amount", "draw: {kind: recoverable}", []string{"pay.yaml: draw.amount: required"}},
		{"draw cents", "draw: {kind: recoverable, amount: 100.005}", []string{"pay.yaml: draw.amount: "}},
		{"draw zero", "draw: {kind: recoverable, amount: 0}", []string{"pay.yaml: draw.amount: 0 must be above 0"}},
		{"guarantee recovers", "draw: {kind: non_recoverable, amount: 100, max_recovery: 50, forgive_on_leaving: true}", []string{
			"pay.yaml: draw.max_recovery: only a recoverable draw has a balance to recover",
			"pay.yaml: draw.forgive_on_leaving: only a recoverable draw has a balance to forgive"}},
		{"max recovery", "draw: {kind: recoverable, amount: 100, max_recovery: -1}", []string{"pay.yaml: draw.max_recovery: -1 must be above 0"}},
		{"draw above cap", "draw: {kind: recoverable, amount: 6000}\npay_cap: {per_quarter: 5000}", []string{"pay.yaml: draw.amount: 6000 is above pay_cap.per_quarter 5000"}},
		{"unknown draw key", "draw: {kind: recoverable, amount: 100, recover: all}", []string{`pay.yaml: draw.recover: unknown key "recover"`}},
		{"hold field", "holds: [{id: inv, until_date: Invoice_Paid_Date__c}]", []string{`pay.yaml: holds[0].until_date: "Invoice_Paid_Date__c": want the deal date field's lake column`}},
		{"hold id", "holds: [{until_date: paid_on}, {id: x, until_date: paid_on, deal_types: [new_business]}]", []string{
			"pay.yaml: holds[0].id: required", "pay.yaml: holds[1].deal_types: " + " and x would both hold deals"}},
		{"hold type", "holds: [{id: x, until_date: paid_on, deal_types: [newbiz]}]", []string{`pay.yaml: holds[0].deal_types[0]: "newbiz" is not an opportunity class`}},
		{"holdback share", "holdback: {share: 1, release_quarter: 5}", []string{
			"pay.yaml: holdback.share: 1 must be above 0 and below 1", "pay.yaml: holdback.release_quarter: 5: want the quarter 1 to 4"}},
		{"holdback missing", "holdback: {release_quarter: 4}", []string{"pay.yaml: holdback.share: required"}},
		{"holdback on leaving", "holdback: {share: 0.1, release_quarter: 4, on_leaving: keep}", []string{
			`pay.yaml: holdback.on_leaving: "keep": want pay (the default: released on the leaving statement) or forfeit`}},
		{"cap empty", "pay_cap: {}", []string{"pay.yaml: pay_cap: give per_quarter, per_year or both"}},
		{"cap year below quarter", "pay_cap: {per_quarter: 5000, per_year: 4000}", []string{"pay.yaml: pay_cap.per_year: 4000 is below per_quarter 5000"}},
		{"cap zero", "pay_cap: {per_year: 0}", []string{"pay.yaml: pay_cap.per_year: 0 must be above 0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePlan("pay.yaml", []byte(payPlanSrc(tc.extra+"\n")))
			if err == nil {
				err = Validate([]*Plan{p}, knownKPIs)
			}
			var v ValidationErrors
			if !errors.As(err, &v) {
				t.Fatalf("want ValidationErrors, got %v", err)
			}
			for _, w := range tc.want {
				found := false
				for _, e := range v {
					found = found || strings.HasPrefix(e.Error(), w) || (strings.Contains(w, "  and ") && strings.Contains(e.Error(), strings.SplitN(w, "  ", 2)[1]))
				}
				if !found {
					t.Errorf("missing %q in %v", w, v)
				}
			}
		})
	}
}

// A deal hold needs a commission component to hold.
func TestHoldNeedsCommission(t *testing.T) {
	src := `id: b
version: 1
name: Bonus only
effective_from: 2026-01-01
currency: USD
target_variable: 1000
holds: [{id: inv, until_date: invoice_paid_date__c}]
components:
  - id: a
    kind: attainment_bonus
    weight: 1
    metric: {kpi: sqls, scope: individual}
    target: 10
    curve: {threshold: 0, cap: 1, points: [{attainment: 0, payout: 0}, {attainment: 1, payout: 1}]}
`
	p, err := ParsePlan("b.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate([]*Plan{p}, knownKPIs); err == nil || !strings.Contains(err.Error(), "b.yaml: holds: a deal hold holds commission") {
		t.Fatalf("got %v", err)
	}
}

// A draw needs a payroll draw code once payroll.yaml exists.
func TestDrawNeedsPayrollCode(t *testing.T) {
	p, err := ParsePlan("pay.yaml", []byte(payPlanSrc("draw: {kind: recoverable, amount: 100}\n")))
	if err != nil {
		t.Fatal(err)
	}
	pr, err := ParsePayroll("payroll.yaml", []byte(strings.Replace(payrollYAML, "  draw:       {code: DRW, type: earning}\n", "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	v := validatePayrollDraws([]*Plan{p}, pr)
	if len(v) != 1 || v[0].Error() != "payroll.yaml: earnings_codes.draw: required: plan pay@v1 has a draw, booked on the draw code" {
		t.Fatalf("got %v", v)
	}
	if v := validatePayrollDraws([]*Plan{p}, nil); v != nil {
		t.Fatalf("no payroll.yaml: got %v", v)
	}
}

// The plan document states the payment stage in the order it is applied.
func TestPayRulesPlanText(t *testing.T) {
	p, err := ParsePlan("pay.yaml", []byte(payPlanSrc(`pay_cap: {per_quarter: 50000, per_year: 150000}
holds: [{id: invoice, until_date: invoice_paid_date__c, deal_types: [new_business]}]
holdback: {share: 0.1, release_quarter: 4}
draw: {kind: recoverable, amount: 5000, max_recovery: 2500, forgive_on_leaving: true}
`)))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := p.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	txt := b.String()
	order := []string{
		"When pay is paid (applied in this order after everything above)",
		"   Hold invoice: the commission on deals of type new_business is held until the deal's invoice_paid_date__c is set",
		"   Holdback: 10.00% of each quarter's bonus and commission (after holds) is held back and paid on the Q4 statement",
		"   Cap: what is payable in a quarter",
		"is paid up to USD 50,000.00 per quarter and USD 150,000.00 per calendar year",
		"   Draw: when what is payable in a quarter is below USD 5,000.00",
		"at most USD 2,500.00 per quarter. The balance carries from quarter to quarter and is forgiven in the quarter you leave.",
	}
	at := 0
	for _, w := range order {
		i := strings.Index(txt[at:], w)
		if i < 0 {
			t.Fatalf("plan text lacks %q after offset %d:\n%s", w, at, txt)
		}
		at += i + len(w)
	}
}
