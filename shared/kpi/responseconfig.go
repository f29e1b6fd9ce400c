package kpi

import (
	"fmt"
	"slices"
	"strings"

	"github.com/venn-revops/venn/shared/crm"
)

// Lead response (lead_response in the configuration): which tasks answer a
// lead, who counts as a person answering it, and when the clock starts.
// docs/kpis.md §5 states the rule and what the anchors do.

// ClockStart is the instant a lead's response clock starts.
type ClockStart string

const (
	// ClockMQL starts at the MQL instant (the hand-off to sales).
	ClockMQL ClockStart = "mql"
	// ClockLeadCreated starts at the lead's CreatedDate (the HBR study's
	// "from the inquiry").
	ClockLeadCreated ClockStart = "lead_created"
)

// Responder says which user of a task is judged human or not.
type Responder string

const (
	// ResponderCreatedBy: the task's CreatedById. Automation (a flow, an
	// integration) usually creates its tasks owned by the lead's owner, so
	// only the creator tells an automated e-mail from a rep's.
	ResponderCreatedBy Responder = "created_by"
	// ResponderOwner: the task's OwnerId (orgs whose reps log activities
	// through an integration user on their behalf).
	ResponderOwner Responder = "owner"
)

// UserTypes are Salesforce's User.UserType values (Standard, the portal
// and partner types, Chatter-only, Guest, and AutomatedProcess, the
// platform's automated-process user).
var UserTypes = []string{"Standard", "PowerPartner", "PowerCustomerSuccess", "CustomerSuccess", "CspLitePortal",
	"CsnOnly", "SelfService", "Guest", "AutomatedProcess"}

// ResponseRule is the validated lead_response section.
type ResponseRule struct {
	SLAHours   int
	TaskTypes  []string // Task.Type values that may answer a lead
	ClockStart ClockStart
	Responder  Responder
	// A responder is a person unless excluded: by user Id, by the user's
	// ProfileId or UserType, or because the Id is a queue's (00G).
	ExcludeUsers     map[string]bool // 18-character User Ids
	ExcludeProfiles  map[string]bool // 18-character Profile Ids
	ExcludeUserTypes []string
}

type rawResponse struct {
	SLAHours   *int               `yaml:"sla_hours"`
	TaskTypes  []string           `yaml:"task_types"`
	ClockStart *string            `yaml:"clock_start"` // default mql
	Responder  *string            `yaml:"responder"`   // default created_by
	Exclude    rawResponseExclude `yaml:"exclude"`     // default: nobody
}

type rawResponseExclude struct {
	Users     []string `yaml:"users"`
	Profiles  []string `yaml:"profiles"`
	UserTypes []string `yaml:"user_types"`
}

// fillResponse validates lead_response. Files written before the rule
// existed (sla_hours and task_types only) keep loading: the clock starts at
// MQL, the creator answers, and nobody is excluded.
func (c *Config) fillResponse(lr rawResponse) error {
	const p = "lead_response"
	if lr.SLAHours == nil {
		return bad(p+".sla_hours", "required")
	}
	if *lr.SLAHours <= 0 {
		return bad(p+".sla_hours", "must be positive, got %d", *lr.SLAHours)
	}
	if err := nonEmptyList(p+".task_types", lr.TaskTypes); err != nil {
		return err
	}
	r := ResponseRule{SLAHours: *lr.SLAHours, TaskTypes: lr.TaskTypes, ClockStart: ClockMQL, Responder: ResponderCreatedBy}
	if lr.ClockStart != nil {
		r.ClockStart = ClockStart(*lr.ClockStart)
		if r.ClockStart != ClockMQL && r.ClockStart != ClockLeadCreated {
			return bad(p+".clock_start", "want %s or %s, got %q", ClockMQL, ClockLeadCreated, *lr.ClockStart)
		}
	}
	if lr.Responder != nil {
		r.Responder = Responder(*lr.Responder)
		if r.Responder != ResponderCreatedBy && r.Responder != ResponderOwner {
			return bad(p+".responder", "want %s or %s, got %q", ResponderCreatedBy, ResponderOwner, *lr.Responder)
		}
	}
	var err error
	if r.ExcludeUsers, err = idSet(p+".exclude.users", "User", lr.Exclude.Users); err != nil {
		return err
	}
	if r.ExcludeProfiles, err = idSet(p+".exclude.profiles", "Profile", lr.Exclude.Profiles); err != nil {
		return err
	}
	for i, ut := range lr.Exclude.UserTypes {
		if !slices.Contains(UserTypes, ut) {
			return bad(fmt.Sprintf("%s.exclude.user_types[%d]", p, i), "unknown UserType %q; want one of %s", ut, strings.Join(UserTypes, ", "))
		}
	}
	r.ExcludeUserTypes = lr.Exclude.UserTypes
	c.Response = r
	return nil
}

// idSet validates Ids of one object (syntax, checksum, key prefix) and
// keys them by their 18-character form, the form the lake stores.
func idSet(path, object string, ids []string) (map[string]bool, error) {
	set := map[string]bool{}
	for i, s := range ids {
		id, err := crm.NormalizeID(s)
		if err == nil {
			err = crm.CheckIDPrefix(object, "Id", id)
		}
		if err != nil {
			return nil, bad(fmt.Sprintf("%s[%d]", path, i), "%v", err)
		}
		set[id] = true
	}
	return set, nil
}

// excludes reports whether the rule excludes user u as a responder by its
// Id, profile or user type.
func (r *ResponseRule) excludes(u *User) bool {
	return r.ExcludeUsers[u.ID] || r.ExcludeProfiles[u.ProfileID] || slices.Contains(r.ExcludeUserTypes, u.UserType)
}
