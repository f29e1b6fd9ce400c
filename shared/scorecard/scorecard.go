// Package scorecard renders the shared scorecard page of one KPI run and
// its weekly digest: static, self-contained HTML (inline CSS and SVG, no
// script) and plain text, from the run's gold values, the comparison set,
// earlier quarters' finals and a week-earlier set.
//
// The package computes no KPI: every figure it prints is a kpi.Value of one
// of those sets, formatted with kpi.Display and kpi.Change. A figure the
// catalog lacks is printed as "not in catalog", one the run did not
// produce for a key as "n/a". It is pure: no AWS, no I/O beyond the
// io.Writer it is given.
package scorecard

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/venn-revops/venn/shared/kpi"
)

// Set is one KPI set: the values of one run (or one stored set).
type Set struct {
	Quarter string
	AsOf    time.Time
	Final   bool
	Values  []kpi.Value
}

// Label names the set for a reader: "2026Q3 final" or "2026Q4 to 2026-11-20".
func (s *Set) Label() string {
	if s.Final {
		return s.Quarter + " final"
	}
	return s.Quarter + " to " + s.AsOf.UTC().Format(time.DateOnly)
}

// Page is everything one page and its digest show.
type Page struct {
	Run Set
	// RunID, ConfigVersion, ConfigHash and Gold identify the run: its run
	// folder, the KPI definitions and their sha256, the gold manifest key.
	RunID, ConfigVersion, ConfigHash, Gold string
	// Compare is the comparison: the previous quarter's final for a final
	// run, the same point of the previous quarter for a quarter to date
	// (nil: none).
	Compare *Set
	// History are earlier quarters' finals, oldest first: the sparklines.
	History []Set
	// Week is the set of a week before the run (nil: none), for the digest.
	Week *Set
	// Responses are the run's per-MQL response rows (the SLA breaches).
	Responses []kpi.Response
	// Credits are the run's attribution credit rows (influenced deals);
	// WeekCredits the week-earlier run's, when known, to mark new deals.
	Credits, WeekCredits []kpi.Credit
	// Names labels the owner views: user Id → the person's name (names,
	// not pay; the figures stay keyed by Id as in gold).
	Names map[string]string
	// SLAHours is the lead response SLA, for the digest's wording.
	SLAHours int
	// LeadExitSource is where the run read the leads that left
	// (Result.LeadExitSource); the hand-off says which ("" says nothing).
	LeadExitSource kpi.LeadExitSource
	// DocsURL is where docs/kpis.md is published; KPI names link to its
	// anchors (DefaultDocsURL when empty).
	DocsURL string
}

// DefaultDocsURL is the catalog as published with the source.
const DefaultDocsURL = "https://github.com/venn-revops/venn/blob/main/docs/kpis.md"

func (p *Page) docs() string { return cmp.Or(p.DocsURL, DefaultDocsURL) }

// ExitsNote says where the leads that left the funnel were read from,
// beside the exits.
func (p *Page) ExitsNote() string {
	switch p.LeadExitSource {
	case kpi.ExitsFromLeadHistory:
		return "Leads that left (disqualified, recycled): their Status changes into an exit status in the period, from LeadHistory."
	case kpi.ExitsFromCurrentStatus:
		return "Leads that left (disqualified, recycled): the period's leads whose current Status is an exit status (the lake holds no Status change in LeadHistory)."
	}
	return ""
}

// KPIAnchor is the fragment of a KPI's definition in docs/kpis.md.
func KPIAnchor(name string) string { return "kpi-" + name }

type vkey struct{ kpi, dim, key, model string }

// index looks values up by KPI, dimension, key and model.
type index map[vkey]kpi.Value

func indexOf(s *Set) index {
	if s == nil {
		return nil
	}
	ix := make(index, len(s.Values))
	for _, v := range s.Values {
		ix[vkey{v.KPI, v.Dimension, v.Key, v.Model}] = v
	}
	return ix
}

func (ix index) get(name, dim, key, model string) (kpi.Value, bool) {
	v, ok := ix[vkey{name, dim, key, model}]
	return v, ok
}

// keysOf lists the keys a dimension has in the set, sorted.
func keysOf(s *Set, dim string) []string {
	var keys []string
	for _, v := range s.Values {
		if v.Dimension == dim && !slices.Contains(keys, v.Key) {
			keys = append(keys, v.Key)
		}
	}
	slices.Sort(keys)
	return keys
}

// modelsOf lists the attribution models present in the set, in kpi.Models
// order.
func modelsOf(s *Set) []string {
	var out []string
	for _, m := range kpi.Models {
		if slices.ContainsFunc(s.Values, func(v kpi.Value) bool { return v.Model == m }) {
			out = append(out, m)
		}
	}
	return out
}

// viewDims are the dimensions a page has views for, in tab order.
var viewDims = []string{kpi.DimOrg, kpi.DimTeam, kpi.DimSegment, kpi.DimRegion, kpi.DimOwner, kpi.DimChannel}

// panelID is the anchor of one dimension key's view: "v-team-Sales_20_East".
func panelID(dim, key string) string {
	var b strings.Builder
	b.WriteString("v-" + dim + "-")
	for _, r := range key {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-':
			b.WriteRune(r)
		default:
			// _hex_ keeps the id a plain CSS identifier (no escaping in
			// selectors) and distinct keys distinct ids.
			fmt.Fprintf(&b, "_%x_", r)
		}
	}
	return b.String()
}
