package comp

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// A bonus-only plan: the deals a person closed appear as the items of the
// bonus actual, never as "paid 0.00" commission lines. Worked by hand:
// actual 30,000 + 20,000.50 = 50,000.50 against 100,000 is 50.0005%;
// the linear curve pays the same 50.0005%; 1,000 × 50.0005% = 500.005,
// rounded half away from zero to 500.01.
func TestBonusOnlyStatementText(t *testing.T) {
	p, err := ParsePlan("bonus.yaml", []byte(`id: bonus_only
version: 1
name: Bonus only
effective_from: 2026-01-01
currency: USD
target_variable: 1000
components:
  - id: bookings_bonus
    kind: attainment_bonus
    weight: 1
    metric: {kpi: bookings, scope: individual}
    target: 100000
    curve: {threshold: 0, cap: 2, points: [{attainment: 0, payout: 0}, {attainment: 2, payout: 2}]}
`))
	if err != nil {
		t.Fatal(err)
	}
	st := runOne(t, p, "30000", "20000.50")
	if len(st.Lines) != 1 || st.Lines[0].Amount.StringFixed(2) != "500.01" {
		t.Fatalf("lines %+v", st.Lines)
	}
	for _, c := range st.Credits {
		if c.Unpaid != "" {
			t.Errorf("credit %s has an unpaid reason on a bonus-only plan: %q", c.DealID, c.Unpaid)
		}
	}
	var b bytes.Buffer
	if err := st.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	for _, want := range []string{
		"actual 50,000.50 ÷ target 100,000 (100,000 × 92/92 days) = attainment 50.00%",
		"USD 1,000.00 × weight 100.00% × payout 50.00% × proration 92/92 = USD 500.01",
		"actual 50,000.50 = the sum of 2 items:",
		"2026-08-01  D1 deal, owner 100%",
		"20,000.50\n",
		"2 credited deal(s) count toward bonus or SPIF actuals only",
		"Total (sum of the rounded lines): USD 500.01",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	for _, bad := range []string{"not paid", "no commission component", "paid USD 0.00", "Commission per deal"} {
		if strings.Contains(text, bad) {
			t.Errorf("text has %q:\n%s", bad, text)
		}
	}
	// No raw long decimals anywhere a person reads.
	raw := regexp.MustCompile(`\d\.\d{5,}`)
	if m := raw.FindString(text); m != "" {
		t.Errorf("raw decimal %s in text:\n%s", m, text)
	}
	for _, l := range st.Lines {
		if m := raw.FindString(l.Explain); m != "" {
			t.Errorf("raw decimal %s in explain %q", m, l.Explain)
		}
	}
}

// The demo quarter's text and the explanations in its JSON hold no raw
// long decimals
// (the "target 20.217391304348" and "97826.086956521739").
func TestDemoTextHasNoRawDecimals(t *testing.T) {
	out, err := Run(demoInput(t))
	if err != nil {
		t.Fatal(err)
	}
	raw := regexp.MustCompile(`\d\.\d{3,}`)
	for i := range out.Statements {
		st := &out.Statements[i]
		var b bytes.Buffer
		if err := st.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		shown := strings.Split(b.String(), "\n")
		for _, l := range st.Lines {
			shown = append(shown, l.Explain)
		}
		for _, c := range st.Credits {
			for _, p := range c.Payments {
				shown = append(shown, p.Explain)
			}
		}
		// The encoded JSON's display strings too.
		js, err := st.JSON()
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseStatement(js)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range back.Lines {
			if l.Display == nil || l.Display.Amount == "" {
				t.Fatalf("%s: line %s has no display", st.ID, l.Key)
			}
			d := l.Display
			shown = append(shown, d.Amount, d.Actual, d.Target, d.Attainment, d.Payout, d.Weight, d.TargetVariable, d.Basis, d.Rate, d.Proration)
		}
		for _, line := range shown {
			if strings.HasPrefix(line, "Input hash") || strings.HasPrefix(line, "Configuration version") || strings.HasPrefix(line, "Plan:") { // identifiers, not amounts
				continue
			}
			if m := raw.FindString(line); m != "" {
				t.Errorf("%s: raw decimal %s in %q", st.ID, m, line)
			}
		}
	}
}
