package comp

import (
	"fmt"
	"io"
	"strings"

	"github.com/venn-revops/venn/shared/money"
)

// WriteText writes the statement as plain text a rep can check line by
// line: each line states its inputs and the arithmetic that gives its
// amount, then the total as the sum of the rounded lines.
func (s *Statement) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Compensation statement %s\n", s.ID)
	fmt.Fprintf(&b, "Person:      %s (employee %s, user %s)\n", s.Name, s.EmployeeID, s.PersonID)
	fmt.Fprintf(&b, "Team:        %s, cost center %s\n", s.Team, s.CostCenter)
	fmt.Fprintf(&b, "Quarter:     %s, amounts in %s\n", s.Quarter, s.Currency)
	for _, p := range s.Plans {
		fmt.Fprintf(&b, "Plan:        %s %q, %s to %s, %d of %d days, proration %s (file %s, sha256 %s)\n",
			p.Plan, p.Name, p.From, p.To, p.Days, p.QuarterDays, p.Proration, p.File, short(p.FileSHA256))
	}
	if len(s.Plans) == 0 {
		fmt.Fprintf(&b, "Plan:        none active this quarter\n")
	}
	b.WriteString("\nLines (each rounded to the cent, half away from zero):\n")
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
		fmt.Fprintf(&b, "%3d. %-60s %15s\n", i+1, title, money.Format(l.Amount.Decimal))
		fmt.Fprintf(&b, "     %s\n", l.Explain)
	}
	if len(s.Credits) > 0 {
		b.WriteString("\nDeals credited:\n")
		for _, c := range s.Credits {
			via := ""
			if c.Via != "" {
				via = " via " + c.Via
			}
			fmt.Fprintf(&b, "     %s %-28s closed %s %s%s %s%% credited %s, paid %s",
				c.DealID, c.DealName, c.CloseDate, c.Role, via, c.Percent, money.Format(c.Credited.Decimal), money.Format(c.Paid.Decimal))
			if c.Unpaid != "" {
				fmt.Fprintf(&b, " (%s)", c.Unpaid)
			}
			b.WriteString("\n")
		}
	}
	fmt.Fprintf(&b, "\nTotal (sum of the rounded lines): %s %s\n", money.Format(s.Total.Decimal), s.Currency)
	fmt.Fprintf(&b, "Input hash: %s\nCode version: %s\n", s.InputHash, s.CodeVersion)
	_, err := io.WriteString(w, b.String())
	return err
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
	fmt.Fprintf(&b, "%-64s %15s %15s %15s\n", "line", "paid", "recomputed", "difference")
	for _, d := range c.Diff {
		fmt.Fprintf(&b, "%-64s %15s %15s %15s\n", d.Key, money.Format(d.Old.Decimal), money.Format(d.New.Decimal), money.Format(d.Delta.Decimal))
	}
	fmt.Fprintf(&b, "%-64s %15s %15s %15s\n", "total", "", "", money.Format(c.Delta.Decimal))
	_, err := io.WriteString(w, b.String())
	return err
}
