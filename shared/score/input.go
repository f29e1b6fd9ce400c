// Package score learns which leads convert and scores the open ones: an
// L2-regularised logistic regression over features as each lead stood at
// its creation, trained on older leads and measured on the most recent
// (AUC, Brier score, calibration by decile, top-decile lift). It imports no
// AWS, OS or network package: it takes rows and returns results, and the
// same rows and configuration give the same bytes (docs/scoring.md).
package score

import "strings"

// Data is what a scoring run reads: the leads and what happened around
// them. Times are microseconds since the Unix epoch, UTC.
type Data struct {
	// Fields names the lake columns in each Lead.Values, in order.
	Fields []string
	Leads  []Lead
	// Touches are campaign memberships of leads (CampaignMember with a
	// LeadId); Activities are tasks on leads (Task.WhoId).
	Touches    []Touch
	Activities []Activity
	// History is the leads' field history (LeadHistory), when the org
	// extracts it: it turns a current value back into the value at
	// creation, and it is what shows a field was set at conversion.
	History []FieldChange
}

// Lead is one lead as the snapshot holds it now.
type Lead struct {
	ID      string
	Created int64
	// Values are the current values of Data.Fields ("" for null).
	Values []string
	Status string // only to tell open leads from closed ones; never a feature
	// ConvertedAt is when the lead was converted (0: never).
	ConvertedAt   int64
	OpportunityID string // the opportunity it converted into ("" none)
	// WonAt is when that opportunity was won (0: not won), for the
	// won_revenue target.
	WonAt int64
}

// Touch is a lead's campaign membership.
type Touch struct {
	LeadID    string
	At        int64
	Responded bool
}

// Activity is a task on a lead.
type Activity struct {
	LeadID string
	At     int64
}

// FieldChange is one LeadHistory row: Field (a lake column) changed from
// Old to New at At.
type FieldChange struct {
	LeadID   string
	Field    string
	At       int64
	Old, New string
}

// Title rank and department: a job title's seniority and function, the two
// things in it that carry signal without the free text.
var (
	rankWords = []struct {
		rank  string
		words []string
	}{
		{"c_level", []string{"chief", "ceo", "cfo", "cto", "cmo", "coo", "cio", "cro", "ciso", "president", "founder", "owner", "partner"}},
		{"vp", []string{"vp", "svp", "evp", "vice"}},
		{"director", []string{"director", "head"}},
		{"manager", []string{"manager", "lead", "supervisor"}},
	}
	deptWords = []struct {
		dept  string
		words []string
	}{
		{"sales", []string{"sales", "account", "business", "bdr", "sdr", "revenue", "cro"}},
		{"marketing", []string{"marketing", "demand", "growth", "brand", "cmo", "content"}},
		{"engineering", []string{"engineering", "engineer", "developer", "software", "cto", "devops", "architect"}},
		{"it", []string{"it", "information", "technology", "security", "cio", "ciso", "systems", "infrastructure"}},
		{"finance", []string{"finance", "financial", "cfo", "accounting", "controller", "procurement"}},
		{"operations", []string{"operations", "ops", "coo", "revops"}},
		{"hr", []string{"hr", "people", "talent", "human", "recruiting"}},
		{"product", []string{"product"}},
	}
)

// TitleRank parses a job title's seniority: c_level, vp, director,
// manager, individual, or "" for an empty title. The first rank whose
// word appears wins, so "VP Sales Manager" is vp.
func TitleRank(title string) string {
	words := titleWords(title)
	if len(words) == 0 {
		return ""
	}
	for _, r := range rankWords {
		if hasAny(words, r.words) {
			return r.rank
		}
	}
	return "individual"
}

// TitleDepartment parses a job title's function: sales, marketing,
// engineering, it, finance, operations, hr, product, other, or "" for an
// empty title.
func TitleDepartment(title string) string {
	words := titleWords(title)
	if len(words) == 0 {
		return ""
	}
	for _, d := range deptWords {
		if hasAny(words, d.words) {
			return d.dept
		}
	}
	return "other"
}

func titleWords(title string) []string {
	return strings.FieldsFunc(strings.ToLower(title), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
}

func hasAny(words, want []string) bool {
	for _, w := range words {
		for _, x := range want {
			if w == x {
				return true
			}
		}
	}
	return false
}
