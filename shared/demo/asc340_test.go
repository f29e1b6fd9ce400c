package demo

import (
	"strings"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/money"
)

// checkASC340 recomputes the demo's asc340.csv (2026Q3) from the final
// 2026Q2 and approved 2026Q3 statements by the rule of docs/comp-plans.md
// §11, written out here in integer cents with the shipped accounting.yaml
// (new_business capitalised, 48 months): every payment on a new-business
// credit (commission and SPIF) is an asset from its close month; its
// cumulative amortisation through a quarter is cents × months ÷ 48,
// rounded half up once; a clawback line on the deal in 2026Q3 writes off
// what 2026Q2 left of it; incurred is the statement's earnings.
func checkASC340(t *testing.T, r *Report, printed string) {
	t.Helper()
	key := r.Approval.Export.Meta["csv_asc340"]
	if key == "" {
		t.Fatal("the demo's export has no asc340.csv: is accounting.yaml in the embedded comp configuration?")
	}
	if !strings.Contains(printed, key) {
		t.Errorf("the demo does not print where asc340.csv is (%s)", key)
	}
	rows := readLakeCSV(t, r, key)
	type asset struct {
		deal    string
		month   int // year×12 + month − 1 of the close month
		cents   int64
		quarter string
	}
	cum := func(a asset, endMonth int) int64 { // amortised through the month before endMonth
		m := int64(min(max(endMonth-a.month, 0), 48))
		return (2*a.cents*m + 48) / 96
	}
	q2End, q3End := 2026*12+6, 2026*12+9 // July 2026, October 2026 (exclusive)
	type want struct{ incurred, capitalised, amortised, writtenOff, opening int64 }
	byPerson := map[string]*want{}
	assets := map[string][]asset{}
	for _, s := range append(append([]comp.Statement{}, r.PrevPayouts.Statements...), r.Payouts.Statements...) {
		w := byPerson[s.PersonID]
		if w == nil {
			w = &want{}
			byPerson[s.PersonID] = w
		}
		if s.Quarter == "2026Q3" {
			w.incurred = money.Cents(s.Total.Decimal)
			if s.Pay != nil {
				w.incurred = money.Cents(s.Pay.Earned.Decimal)
			}
			for _, l := range s.Lines {
				if l.Kind != comp.LineClawback {
					continue
				}
				kept := assets[s.PersonID][:0]
				for _, a := range assets[s.PersonID] {
					if a.deal == l.Ref && a.quarter == "2026Q2" {
						w.writtenOff += a.cents - cum(a, q2End)
						continue
					}
					kept = append(kept, a)
				}
				assets[s.PersonID] = kept
			}
		}
		for _, cr := range s.Credits {
			if cr.Type != "new_business" {
				continue
			}
			closed, err := time.Parse(time.DateOnly, cr.CloseDate)
			if err != nil {
				t.Fatal(err)
			}
			for _, pm := range cr.Payments {
				if pm.Paid.IsZero() {
					continue
				}
				a := asset{deal: cr.DealID, month: closed.Year()*12 + int(closed.Month()) - 1, cents: money.Cents(pm.Paid.Decimal), quarter: s.Quarter}
				assets[s.PersonID] = append(assets[s.PersonID], a)
				if s.Quarter == "2026Q3" {
					w.capitalised += a.cents
				}
			}
		}
	}
	capitalisedAny := false
	for person, list := range assets {
		w := byPerson[person]
		for _, a := range list {
			if a.quarter == "2026Q2" {
				w.opening += a.cents - cum(a, q2End)
				w.amortised += cum(a, q3End) - cum(a, q2End)
			} else {
				w.amortised += cum(a, q3End)
			}
		}
	}
	// The written-off assets were in the opening balance.
	for person, w := range byPerson {
		_ = person
		w.opening += w.writtenOff
	}
	seen := 0
	for _, row := range rows[1:] {
		w := byPerson[row[2]]
		if w == nil {
			t.Errorf("asc340.csv: row for %s, who has no statement", row[2])
			continue
		}
		seen++
		expensed := w.incurred - w.capitalised + w.amortised + w.writtenOff
		closing := w.opening + w.capitalised - w.amortised - w.writtenOff
		got := strings.Join(row[6:], " ")
		exp := strings.Join([]string{money.FromCents(w.incurred).StringFixed(2), money.FromCents(w.capitalised).StringFixed(2), money.FromCents(w.amortised).StringFixed(2),
			money.FromCents(w.writtenOff).StringFixed(2), money.FromCents(expensed).StringFixed(2), money.FromCents(w.opening).StringFixed(2), money.FromCents(closing).StringFixed(2)}, " ")
		if got != exp {
			t.Errorf("asc340.csv %s (%s): incurred capitalised amortised written_off expensed opening closing\n got %s\nwant %s", row[3], row[2], got, exp)
		}
		capitalisedAny = capitalisedAny || w.capitalised > 0
	}
	if seen != len(r.Payouts.Statements) || !capitalisedAny {
		t.Errorf("asc340.csv: %d rows for %d statements; something capitalised: %v", seen, len(r.Payouts.Statements), capitalisedAny)
	}
}
