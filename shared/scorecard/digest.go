package scorecard

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/money"
)

// maxBreaches bounds the per-lead SLA list of the digest; the rest is
// counted (the gold response table has every row).
const maxBreaches = 25

type moved struct {
	KPI, Href, From, To, Change string
}

// keySLA is the response SLA of one team or lead source: how many wait
// past it, how many were answered within it, and how long the breaches
// ran past the deadline (median and total days).
type keySLA struct {
	By, Key                            string // "team" or "lead source", and the key
	PastSLA, Compliance, Median, Total cell
}

type breach struct{ Lead, Owner, Team, Deadline, State string }

type deal struct {
	Opportunity, Amount string
	Campaigns           []string
	New                 bool
}

type digest struct {
	Title    string
	Since    string // the week-earlier set's label; "" when there is none
	Moved    []moved
	SLA      []keySLA // by team, then by lead source
	Breaches []breach
	More     int
	SLAHours int
	Deals    []deal
	KnowNew  bool // WeekCredits given: deals are marked new or not
}

func (p *Page) digest(cur index) digest {
	d := digest{Title: fmt.Sprintf("Venn weekly digest: %s (run %s, definitions %s sha256 %.12s)", p.Run.Label(), p.RunID, p.ConfigVersion, p.ConfigHash), SLAHours: p.SLAHours}
	if p.Week != nil {
		d.Since = p.Week.Label()
		week := indexOf(p.Week)
		for _, def := range kpi.Catalog() {
			if def.Modeled {
				continue
			}
			c, ok := cur.get(def.Name, kpi.DimOrg, kpi.KeyAll, "")
			w, wok := week.get(def.Name, kpi.DimOrg, kpi.KeyAll, "")
			if !ok || !wok || (c.Defined == w.Defined && c.Value.Equal(w.Value)) {
				continue
			}
			d.Moved = append(d.Moved, moved{KPI: def.Name, Href: p.docs() + "#" + KPIAnchor(def.Name), From: kpi.Display(w), To: kpi.Display(c), Change: kpi.Change(c, w, true)})
		}
	}
	for _, bd := range breakdownDims {
		for _, key := range keysOf(&p.Run, bd.dim) {
			if _, ok := cur.get("lead_sla_compliance", bd.dim, key, ""); !ok {
				continue
			}
			d.SLA = append(d.SLA, keySLA{By: bd.label, Key: key,
				PastSLA: cellOf(cur, "leads_past_sla_unanswered", bd.dim, key, ""), Compliance: cellOf(cur, "lead_sla_compliance", bd.dim, key, ""),
				Median: cellOf(cur, "lead_sla_breach_days_median", bd.dim, key, ""), Total: cellOf(cur, "lead_sla_breach_days_total", bd.dim, key, "")})
		}
	}
	var late []kpi.Response
	for _, r := range p.Responses {
		if r.Due && !r.WithinSLA {
			late = append(late, r)
		}
	}
	slices.SortStableFunc(late, func(a, b kpi.Response) int {
		return cmp.Or(cmp.Compare(a.Deadline, b.Deadline), cmp.Compare(a.Lead, b.Lead))
	})
	for i, r := range late {
		if i == maxBreaches {
			d.More = len(late) - i
			break
		}
		b := breach{Lead: r.Lead, Owner: r.Owner, Team: r.Team, Deadline: time.UnixMicro(r.Deadline).UTC().Format("2006-01-02 15:04 UTC")}
		if r.RespondedAt < 0 {
			b.State = "no response yet"
		} else {
			b.State = "answered after " + decimal.New(r.Micros, 0).Div(decimal.New(3_600_000_000, 0)).StringFixed(1) + " h"
		}
		d.Breaches = append(d.Breaches, b)
	}
	d.Deals, d.KnowNew = influencedWon(p.Credits), p.WeekCredits != nil
	if d.KnowNew {
		before := influencedWon(p.WeekCredits)
		for i := range d.Deals {
			d.Deals[i].New = !slices.ContainsFunc(before, func(x deal) bool { return x.Opportunity == d.Deals[i].Opportunity })
		}
	}
	return d
}

// influencedWon lists the opportunities counted in bookings with at least
// one credited campaign under some model, by Id, with the campaigns any
// model credited.
func influencedWon(credits []kpi.Credit) []deal {
	byOpp := map[string]*deal{}
	var ids []string
	for _, c := range credits {
		if !c.Bookings || c.Campaign == kpi.KeyUnattributed || c.Cents == 0 {
			continue
		}
		dl, ok := byOpp[c.Opportunity]
		if !ok {
			dl = &deal{Opportunity: c.Opportunity, Amount: money.Format(decimal.New(c.Amount, -2))}
			byOpp[c.Opportunity] = dl
			ids = append(ids, c.Opportunity)
		}
		if !slices.Contains(dl.Campaigns, c.Campaign) {
			dl.Campaigns = append(dl.Campaigns, c.Campaign)
		}
	}
	slices.Sort(ids)
	out := make([]deal, len(ids))
	for i, id := range ids {
		out[i] = *byOpp[id]
		slices.Sort(out[i].Campaigns)
	}
	return out
}

// WriteDigestText writes the weekly digest as plain text, ready to mail.
func WriteDigestText(w io.Writer, p *Page) error {
	d := p.digest(indexOf(&p.Run))
	ew := &errWriter{w: w}
	ew.printf("%s\n\n", d.Title)
	if d.Since == "" {
		ew.printf("What moved: no KPI set of a week earlier is stored.\n")
	} else {
		ew.printf("What moved since %s (org):\n", d.Since)
		tw := tabwriter.NewWriter(ew, 2, 4, 2, ' ', 0)
		for _, m := range d.Moved {
			fmt.Fprintf(tw, "  %s\t%s\t→ %s\t(%s)\n", m.KPI, m.From, m.To, m.Change)
		}
		if len(d.Moved) == 0 {
			fmt.Fprintf(tw, "  nothing\n")
		}
		tw.Flush()
	}
	ew.printf("\nHand-offs breaching the SLA (%d h from MQL to a person's first response):\n", d.SLAHours)
	tw := tabwriter.NewWriter(ew, 2, 4, 2, ' ', 0)
	for _, t := range d.SLA {
		late := "no breach"
		if t.Median.Exact != "" {
			late = fmt.Sprintf("breaches ran %s days past it (median), %s in all", t.Median.Text, t.Total.Text)
		}
		fmt.Fprintf(tw, "  %s %s\t%s waiting past the SLA\t%s answered within it\t%s\n", t.By, t.Key, t.PastSLA.Text, t.Compliance.Text, late)
	}
	tw.Flush()
	tw = tabwriter.NewWriter(ew, 2, 4, 2, ' ', 0)
	for _, b := range d.Breaches {
		fmt.Fprintf(tw, "  lead %s\towner %s (%s)\tdeadline %s\t%s\n", b.Lead, b.Owner, b.Team, b.Deadline, b.State)
	}
	tw.Flush()
	if d.More > 0 {
		ew.printf("  … and %d more in the gold response table\n", d.More)
	}
	if len(d.Breaches) == 0 {
		ew.printf("  no lead breached the SLA\n")
	}
	ew.printf("\nDeals marketing influenced that closed won (%s):\n", p.Run.Label())
	tw = tabwriter.NewWriter(ew, 2, 4, 2, ' ', 0)
	for _, dl := range d.Deals {
		mark := ""
		if dl.New {
			mark = "\tnew this week"
		}
		fmt.Fprintf(tw, "  %s\t%s\tcampaigns %s%s\n", dl.Opportunity, dl.Amount, strings.Join(dl.Campaigns, ", "), mark)
	}
	tw.Flush()
	if len(d.Deals) == 0 {
		ew.printf("  none\n")
	}
	return ew.err
}

// errWriter keeps the first write error, so the text writer checks once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(b []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(b)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) { fmt.Fprintf(e, format, args...) }
