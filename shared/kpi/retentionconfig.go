package kpi

import (
	"fmt"
	"slices"
	"strings"
)

// The retention part of the KPI definitions: where renewals and recurring
// revenue are read from, which contracts count, how a contract's recurring
// value is read and when a contract counts as renewed. docs/kpis.md
// section 2.11 states each choice and the anchor it reproduces.

// RetentionSource is where the renewal and retention KPIs are read from.
type RetentionSource string

const (
	// SourceContracts reads Contract rows: renewal rate over the contracts
	// up for renewal, ARR, NRR and GRR per account over twelve months.
	SourceContracts RetentionSource = "contracts"
	// SourceRenewalOpportunities reads renewal-class opportunities: the
	// renewal rate over renewal opportunities closing in the period and the
	// quarterly NRR proxy; GRR and the ARR figures are undefined.
	SourceRenewalOpportunities RetentionSource = "renewal_opportunities"
	// SourceAuto is contracts when the snapshot has a counted contract
	// known at the as-of instant, else renewal opportunities (a setting,
	// never a Result's source).
	SourceAuto RetentionSource = "auto"
)

var retentionSources = []RetentionSource{SourceContracts, SourceRenewalOpportunities, SourceAuto}

// ValueFrom says which lake column holds a contract's recurring value.
type ValueFrom string

// ValueRecurringAmount is the contract's recurring_amount column: the
// org's recurring-value field (ARR__c in the demo org) mapped by the
// extract configuration.
const ValueRecurringAmount ValueFrom = "recurring_amount"

var valueFroms = []ValueFrom{ValueRecurringAmount}

// ValuePer says what span the recurring value covers.
type ValuePer string

const (
	// PerYear: the value is already annual (ARR).
	PerYear ValuePer = "year"
	// PerTerm: the value covers the contract's whole term; it is
	// annualised as value × 12 ÷ ContractTerm (months), rounded once to
	// the cent, half away from zero.
	PerTerm ValuePer = "term"
)

var valuePers = []ValuePer{PerYear, PerTerm}

// Contract status categories (Contract.StatusCode, fixed by Salesforce).
const (
	ContractDraft      = "Draft"
	ContractInApproval = "InApproval"
	ContractActivated  = "Activated"
	ContractTerminated = "Terminated"
	ContractExpired    = "Expired"
)

// countableStatuses are the status codes a configuration may count; a
// draft or a contract in approval was never in force.
var countableStatuses = []string{ContractActivated, ContractExpired, ContractTerminated}

// maxGraceDays bounds the renewal grace: a successor starting a year after
// the end is a new sale, not a renewal.
const maxGraceDays = 365

// Retention is the validated retention section.
type Retention struct {
	Source    RetentionSource
	Statuses  []string // Contract.status_code values that count
	ValueFrom ValueFrom
	ValuePer  ValuePer
	// GraceDays: a contract is renewed when a counted contract of the same
	// account starts from the day after its end date up to GraceDays later.
	GraceDays int
}

type rawRetention struct {
	Source         string          `yaml:"source"`
	Statuses       []string        `yaml:"contract_statuses"`
	RecurringValue rawRecurringVal `yaml:"recurring_value"`
	GraceDays      *int            `yaml:"renewal_grace_days"`
}

type rawRecurringVal struct {
	From string `yaml:"from"`
	Per  string `yaml:"per"`
}

func joinKinds[K ~string](ks []K) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

func (c *Config) fillRetention(r rawRetention) error {
	src := RetentionSource(r.Source)
	if !slices.Contains(retentionSources, src) {
		return bad("retention.source", "want one of %s, got %q", joinKinds(retentionSources), r.Source)
	}
	if err := nonEmptyList("retention.contract_statuses", r.Statuses); err != nil {
		return err
	}
	for i, s := range r.Statuses {
		p := fmt.Sprintf("retention.contract_statuses[%d]", i)
		if s == ContractDraft || s == ContractInApproval {
			return bad(p, "%s contracts were never in force and cannot count", s)
		}
		if !slices.Contains(countableStatuses, s) {
			return bad(p, "want a Contract status code (%s), got %q", strings.Join(countableStatuses, ", "), s)
		}
		if slices.Index(r.Statuses, s) != i {
			return bad(p, "%s listed twice", s)
		}
	}
	from, per := ValueFrom(r.RecurringValue.From), ValuePer(r.RecurringValue.Per)
	if !slices.Contains(valueFroms, from) {
		return bad("retention.recurring_value.from", "want one of %s, got %q", joinKinds(valueFroms), r.RecurringValue.From)
	}
	if !slices.Contains(valuePers, per) {
		return bad("retention.recurring_value.per", "want one of %s, got %q", joinKinds(valuePers), r.RecurringValue.Per)
	}
	if r.GraceDays == nil {
		return bad("retention.renewal_grace_days", "required: days after a contract's end within which a successor contract renews it")
	}
	if g := *r.GraceDays; g < 0 || g > maxGraceDays {
		return bad("retention.renewal_grace_days", "want 0 to %d days, got %d", maxGraceDays, g)
	}
	c.Retention = Retention{Source: src, Statuses: r.Statuses, ValueFrom: from, ValuePer: per, GraceDays: *r.GraceDays}
	return nil
}
