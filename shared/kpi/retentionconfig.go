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

const (
	// ValueRecurringAmount is the contract's recurring_amount column: the
	// org's recurring-value field (ARR__c in the demo org) mapped by the
	// extract configuration.
	ValueRecurringAmount ValueFrom = "recurring_amount"
	// ValueLineItems is the sum of TotalPrice of the recurring-family
	// OpportunityLineItems of the won opportunities linked to the
	// contract by Opportunity.ContractId (docs/kpis.md 2.11.1).
	ValueLineItems ValueFrom = "line_items"
)

var valueFroms = []ValueFrom{ValueRecurringAmount, ValueLineItems}

// RenewalRule is one way a contract up for renewal counts as renewed.
type RenewalRule string

const (
	// RenewBySuccessor: a counted contract of the same account starts
	// from the day after the end date up to renewal_grace_days later.
	RenewBySuccessor RenewalRule = "successor_contract"
	// RenewByOpportunity: a renewal-class opportunity linked to the
	// contract by Opportunity.ContractId is won as known at the as-of.
	RenewByOpportunity RenewalRule = "renewal_opportunity"
)

var renewalRules = []RenewalRule{RenewBySuccessor, RenewByOpportunity}

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
	// Families are the Product2 families whose line items are recurring
	// (ValueLineItems only).
	Families []string
	// RenewedBy: a contract is renewed when any of these rules holds.
	RenewedBy []RenewalRule
	// GraceDays: a contract is renewed when a counted contract of the same
	// account starts from the day after its end date up to GraceDays later.
	GraceDays int
}

type rawRetention struct {
	Source         string          `yaml:"source"`
	Statuses       []string        `yaml:"contract_statuses"`
	RecurringValue rawRecurringVal `yaml:"recurring_value"`
	GraceDays      *int            `yaml:"renewal_grace_days"`
	RenewedBy      []string        `yaml:"renewed_by"`
}

type rawRecurringVal struct {
	From     string   `yaml:"from"`
	Per      string   `yaml:"per"`
	Families []string `yaml:"families"`
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
	if from == ValueLineItems {
		if err := nonEmptyList("retention.recurring_value.families", r.RecurringValue.Families); err != nil {
			return err
		}
		for i, f := range r.RecurringValue.Families {
			if slices.Index(r.RecurringValue.Families, f) != i {
				return bad(fmt.Sprintf("retention.recurring_value.families[%d]", i), "%s listed twice", f)
			}
		}
	} else if len(r.RecurringValue.Families) > 0 {
		return bad("retention.recurring_value.families", "only read with from: %s (from is %s)", ValueLineItems, from)
	}
	rules := []RenewalRule{RenewBySuccessor} // the default: the successor-contract rule alone
	if r.RenewedBy != nil {
		if len(r.RenewedBy) == 0 {
			return bad("retention.renewed_by", "want at least one of %s", joinKinds(renewalRules))
		}
		rules = nil
		for i, s := range r.RenewedBy {
			p := fmt.Sprintf("retention.renewed_by[%d]", i)
			if !slices.Contains(renewalRules, RenewalRule(s)) {
				return bad(p, "want one of %s, got %q", joinKinds(renewalRules), s)
			}
			if slices.Contains(rules, RenewalRule(s)) {
				return bad(p, "%s listed twice", s)
			}
			rules = append(rules, RenewalRule(s))
		}
	}
	if r.GraceDays == nil {
		return bad("retention.renewal_grace_days", "required: days after a contract's end within which a successor contract renews it")
	}
	if g := *r.GraceDays; g < 0 || g > maxGraceDays {
		return bad("retention.renewal_grace_days", "want 0 to %d days, got %d", maxGraceDays, g)
	}
	c.Retention = Retention{Source: src, Statuses: r.Statuses, ValueFrom: from, ValuePer: per,
		Families: r.RecurringValue.Families, RenewedBy: rules, GraceDays: *r.GraceDays}
	return nil
}

// renewsBy reports whether rule is one of the configured renewal rules.
func (r *Retention) renewsBy(rule RenewalRule) bool { return slices.Contains(r.RenewedBy, rule) }

// linksOpps reports whether the engine must keep Opportunity.ContractId:
// for line-item values or the renewal-opportunity rule. Otherwise the
// opportunity step ignores the column.
func (r *Retention) linksOpps() bool {
	return r.ValueFrom == ValueLineItems || r.renewsBy(RenewByOpportunity)
}
