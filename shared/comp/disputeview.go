package comp

import (
	"fmt"
	"io"
	"strings"
)

// DisputedStatement is a statement as its person reads it: the statement
// as computed, its lifecycle status and stored version, and every dispute
// raised on its lines with their history. Disputes are not part of the
// statement (a recomputation must not lose or rewrite them, and they
// change without the statement changing): they are joined when shown.
type DisputedStatement struct {
	Statement *Statement `json:"statement"`
	Status    string     `json:"status"`
	Version   int64      `json:"version"`
	Disputes  []Dispute  `json:"disputes"`
}

// JSON is the view's canonical encoding (sorted keys, as Statement.JSON).
func (v *DisputedStatement) JSON() ([]byte, error) {
	if v.Disputes == nil {
		v.Disputes = []Dispute{}
	}
	return canonicalJSON(v)
}

// WriteText writes the statement's text, then its disputes.
func (v *DisputedStatement) WriteText(w io.Writer) error {
	if err := v.Statement.WriteText(w); err != nil {
		return err
	}
	fmt.Fprintf(w, "Status: %s (version %d)\n", v.Status, v.Version)
	return WriteDisputes(w, v.Disputes)
}

// WriteDisputes writes disputes as text: each with its line, state,
// routing, resolution and whole history, oldest step first.
func WriteDisputes(w io.Writer, ds []Dispute) error {
	var b strings.Builder
	open := 0
	for _, d := range ds {
		if d.State == DisputeOpen || d.State == DisputeAnswered {
			open++
		}
	}
	fmt.Fprintf(&b, "\nDisputes: %d (%d open)\n", len(ds), open)
	for _, d := range ds {
		fmt.Fprintf(&b, "  %s on line %s (%s, %s when raised): %s\n", d.ID, d.Line, d.LineKind, fmtMoney(d.LineAmount.Decimal, d.Currency), d.State)
		routes := make([]string, len(d.Routed))
		for i, r := range d.Routed {
			routes[i] = string(r.Role)
			if r.Person != "" {
				routes[i] += " " + r.Person
			}
		}
		fmt.Fprintf(&b, "    raised on statement version %d (input hash %s), routed to %s\n", d.StatementVersion, short(d.StatementHash), strings.Join(routes, ", "))
		if r := d.Resolution; r != nil {
			switch r.Outcome {
			case OutcomeAdjustment:
				fmt.Fprintf(&b, "    resolved: adjustment of %s, paid on the %s statement (line dispute/%s)\n", fmtMoney(r.Amount.Decimal, d.Currency), r.PaidIn, d.ID)
			default:
				fmt.Fprintf(&b, "    resolved: no change\n")
			}
		}
		for _, ev := range d.History {
			what := string(ev.Action)
			if ev.Outcome != "" {
				what += " (" + string(ev.Outcome)
				if ev.Amount != nil {
					what += " " + fmtMoney(ev.Amount.Decimal, d.Currency)
				}
				what += ")"
			}
			fmt.Fprintf(&b, "    %d. %s  %s by %s as %s: %s\n", ev.Seq, ev.At, what, ev.Identity, ev.Role, ev.Text)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
