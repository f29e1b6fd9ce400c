package comp

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// WriteText writes the statement as plain text a rep can check line by
// line with a calculator: each line states its inputs and the arithmetic
// that gives its amount, a bonus actual is itemised (the deals, meetings
// or KPI values behind it, with their dates), each deal says what it was
// paid and how; then the total as the sum of the rounded lines. Numbers
// follow the conventions in format.go.
func (s *Statement) WriteText(w io.Writer) error {
	var b strings.Builder
	cur := s.Currency
	fmt.Fprintf(&b, "Compensation statement %s\n", s.ID)
	fmt.Fprintf(&b, "Person:      %s (employee %s, user %s)\n", s.Name, s.EmployeeID, s.PersonID)
	fmt.Fprintf(&b, "Team:        %s, cost center %s\n", s.Team, s.CostCenter)
	fmt.Fprintf(&b, "Quarter:     %s, amounts in %s\n", s.Quarter, cur)
	for _, p := range s.Plans {
		fmt.Fprintf(&b, "Plan:        %s %q, %s to %s, %d of %d days (file %s, sha256 %s)\n",
			p.Plan, p.Name, p.From, p.To, p.Days, p.QuarterDays, p.File, short(p.FileSHA256))
		if a := p.Acknowledgement; a != nil {
			b.WriteString("             " + a.text() + "\n")
		}
	}
	if len(s.Plans) == 0 {
		fmt.Fprintf(&b, "Plan:        none active this quarter\n")
	}
	b.WriteString("\nHow to read: money in " + cur + " to the cent; attainment, payout and weight as percentages to 2 decimals;\n" +
		"rates as percentages (up to 4 decimals); KPI values and targets to at most 2 decimals; proration as days on\n" +
		"the plan / days in the quarter. Each line is computed from exact values and rounded to the cent once, half\n" +
		"away from zero (redoing it from the rounded percentages shown can differ by a cent); the total is the sum\n" +
		"of the rounded lines.\n")
	if s.PlanCurrency != "" {
		b.WriteString("Paid in " + cur + " on plans in " + s.PlanCurrency + ": credits, targets and bases are in " + s.PlanCurrency + "; each plan\n" +
			"line is computed and rounded in " + s.PlanCurrency + ", then converted into " + cur + " at the rate it states and rounded again.\n")
	}
	b.WriteString("\nLines:\n")
	for i, l := range s.Lines {
		title := l.Kind
		switch {
		case l.Component != "":
			title += " " + l.Component
		case l.Ref != "":
			title += " " + l.Ref
		}
		if l.Plan != "" {
			title += " (" + l.Plan + ")"
		}
		fmt.Fprintf(&b, "%3d. %-60s %18s\n", i+1, title, fmtMoney(l.Amount.Decimal, cur))
		fmt.Fprintf(&b, "     %s\n", l.Explain)
		writeItems(&b, l)
	}
	var paid, unpaid []DealCredit
	bonusOnly := 0
	for _, c := range s.Credits {
		switch {
		case len(c.Payments) > 0 || !c.Paid.IsZero():
			paid = append(paid, c)
		case c.Unpaid != "":
			unpaid = append(unpaid, c)
		default:
			bonusOnly++ // no commission component of the plan pays this kind of credit
		}
	}
	// Close order, the order marginal tiers fill in.
	sort.SliceStable(paid, func(i, j int) bool {
		a, c := paid[i], paid[j]
		if a.CloseDate != c.CloseDate {
			return a.CloseDate < c.CloseDate
		}
		if a.DealID != c.DealID {
			return a.DealID < c.DealID
		}
		return a.Via < c.Via
	})
	if len(paid) > 0 {
		b.WriteString("\nCommission and SPIFs per deal (what each deal earned; a clawback takes back what it was paid):\n")
		for _, c := range paid {
			writeCredit(&b, c, s.creditCurrency(), cur)
			pays := c.Payments
			if len(pays) == 0 {
				pays = []Payment{{Plan: c.Plan, Component: c.Component, Paid: c.Paid}}
			}
			for _, p := range pays {
				how := p.Explain
				if how == "" && !p.Rate.IsZero() {
					how = "at rate " + fmtRate(p.Rate)
				}
				if how != "" {
					how = ": " + how
				}
				if p.Capped != nil {
					how += fmt.Sprintf("; %s of it cut by the pay cap, never paid", fmtMoney(p.Capped.Decimal, cur))
				}
				fmt.Fprintf(&b, "       %s (%s) paid %s%s\n", p.Component, p.Plan, fmtMoney(p.Paid.Decimal, cur), how)
			}
		}
	}
	if len(unpaid) > 0 {
		b.WriteString("\nDeals credited but not paid commission:\n")
		for _, c := range unpaid {
			writeCredit(&b, c, s.creditCurrency(), cur)
			fmt.Fprintf(&b, "       not paid: %s\n", c.Unpaid)
		}
	}
	if bonusOnly > 0 {
		fmt.Fprintf(&b, "\n%d credited deal(s) count toward bonus or SPIF actuals only (nothing paid on them by the plan); they are listed under those lines above.\n", bonusOnly)
	}
	writePayStage(&b, s.Pay, cur)
	fmt.Fprintf(&b, "\nTotal (sum of the rounded lines): %s\n", fmtMoney(s.Total.Decimal, cur))
	fmt.Fprintf(&b, "Input hash: %s\nCode version: %s\n", s.InputHash, s.CodeVersion)
	if s.ConfigVersion != "" {
		fmt.Fprintf(&b, "Configuration version: %s\n", s.ConfigVersion)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeCredit writes the first row of a deal credit: credited in the
// plans' currency cur, paid in the pay currency pay.
func writeCredit(b *strings.Builder, c DealCredit, cur, pay string) {
	via := ""
	if c.Via != "" {
		via = " via " + c.Via
	}
	fmt.Fprintf(b, "     %s %s, closed %s, %s%s %s%%, credited %s, paid %s\n",
		c.DealID, c.DealName, c.CloseDate, c.Role, via, c.Percent, fmtMoney(c.Credited.Decimal, cur), fmtMoney(c.Paid.Decimal, pay))
	if c.FX != nil {
		fmt.Fprintf(b, "       converted: %s = %s\n", c.FX.describe(), fmtExactMoney(c.value(), cur))
	}
}

// writeItems lists what a bonus actual is made of: one row per deal,
// activity or KPI value, with its date, adding up to the actual.
func writeItems(b *strings.Builder, l Line) {
	if len(l.Items) == 0 || l.Actual == nil {
		return
	}
	noun := "items"
	if len(l.Items) == 1 {
		noun = "item"
	}
	fmt.Fprintf(b, "     actual %s = the sum of %d %s:\n", fmtQuantityDec(*l.Actual), len(l.Items), noun)
	for _, it := range l.Items {
		desc := it.Ref
		if it.Name != "" {
			desc += " " + it.Name
		}
		if it.Note != "" {
			desc += ", " + it.Note
		}
		if it.Via != "" {
			desc += ", via " + it.Via
		}
		date := it.Date
		if date == "" {
			date = "          "
		}
		fmt.Fprintf(b, "       %s  %-62s %15s\n", date, desc, fmtQuantityDec(it.Value))
	}
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// WriteText writes a correction as a readable diff: each changed line with
// what was paid so far, the recomputed amount and the difference carried
// into the next quarter.
func (c *Correction) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Correction %s: final statement %s/%s recomputed, paid in %s\n", c.ID, c.FromQuarter, c.PersonID, c.ToQuarter)
	fmt.Fprintf(&b, "Input hash: final %s, recomputed %s\n", c.OldHash, c.NewHash)
	fmt.Fprintf(&b, "%-64s %18s %18s %18s\n", "line", "paid", "recomputed", "difference")
	for _, d := range c.Diff {
		fmt.Fprintf(&b, "%-64s %18s %18s %18s\n", d.Key, fmtMoney(d.Old.Decimal, c.Currency), fmtMoney(d.New.Decimal, c.Currency), fmtMoney(d.Delta.Decimal, c.Currency))
	}
	fmt.Fprintf(&b, "%-64s %18s %18s %18s\n", "total", "", "", fmtMoney(c.Delta.Decimal, c.Currency))
	_, err := io.WriteString(w, b.String())
	return err
}
