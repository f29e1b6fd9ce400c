package comp

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// ApprovalsFile is the approval policy's file in the comp configuration
// folder.
const ApprovalsFile = "approvals.yaml"

// Approval actions: what the approve job does to a statement.
const (
	ActionApprove  = "approve"
	ActionFinalize = "finalize"
)

// Approval rules, as refusals name them.
const (
	RuleNotAllowed = "not_allowed" // the caller is not on the action's list
	RuleOwnPay     = "own_pay"     // the caller is the person paid (always on)
	RuleFourEyes   = "four_eyes"   // the approver may not also finalize
)

// ApprovalPolicy is approvals.yaml: who may approve, who may finalize,
// whether those must be different people, and which callers are which CRM
// people. Whatever it says, nobody approves or finalizes their own
// statement.
type ApprovalPolicy struct {
	File     string          `yaml:"-"`
	Approve  []IdentityMatch `yaml:"approve"`
	Finalize []IdentityMatch `yaml:"finalize"`
	// FourEyes: a statement is finalized by someone other than who
	// approved it.
	FourEyes *bool `yaml:"four_eyes"`
	// MatchEmail: a caller whose name is an email address is the CRM user
	// with that email (compared as the lake keeps it: HMAC-SHA256 with the
	// PII key, unless the field is kept in clear).
	MatchEmail *bool `yaml:"match_email"`
	// People maps callers to the CRM people they are, for callers whose
	// name is not their CRM email.
	People []IdentityPerson `yaml:"people"`
	// Disputes says who answers and resolves inquiries on statement lines
	// and how they are routed (dispute.go); without it, disputes are
	// refused.
	Disputes *DisputePolicy `yaml:"disputes"`
}

// IdentityMatch is one entry of an approve or finalize list: exactly one
// of Identity (one caller, by Identity.ID), Role (every session of an IAM
// role, in Account when given) or Local (any user of a local run).
type IdentityMatch struct {
	Identity string `yaml:"identity"`
	Role     string `yaml:"role"`
	Account  string `yaml:"account"`
	Local    bool   `yaml:"local"`
}

// Matches reports whether the caller is this entry.
func (m IdentityMatch) Matches(id Identity) bool {
	switch {
	case m.Identity != "":
		return id.ID == m.Identity
	case m.Role != "":
		return id.Role == m.Role && (m.Account == "" || id.Account == m.Account)
	case m.Local:
		return id.Local()
	}
	return false
}

// IdentityPerson says caller Identity is CRM person Person (a User Id).
type IdentityPerson struct {
	Identity string `yaml:"identity"`
	Person   string `yaml:"person"`
}

// LoadApprovals reads and validates approvals.yaml from the comp
// configuration folder. A missing file is an error: the approve job does
// not run without a policy.
func LoadApprovals(fsys fs.FS) (*ApprovalPolicy, error) {
	b, err := fs.ReadFile(fsys, ApprovalsFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ValidationErrors{{File: ApprovalsFile, Reason: "missing: the approve job needs an approval policy (docs/comp-plans.md, approvals)"}}
	}
	if err != nil {
		return nil, fmt.Errorf("load approvals: %w", err)
	}
	return ParseApprovals(ApprovalsFile, b)
}

// ParseApprovals is LoadApprovals over bytes already read.
func ParseApprovals(file string, b []byte) (*ApprovalPolicy, error) {
	p := &ApprovalPolicy{}
	e := &errs{file: file}
	if err := decodeYAML(file, b, p); err != nil {
		asValidation(&e.list, err)
	}
	p.File = file
	lists := []struct {
		key  string
		list []IdentityMatch
	}{{"approve", p.Approve}, {"finalize", p.Finalize}}
	if p.Disputes != nil {
		lists = append(lists, struct {
			key  string
			list []IdentityMatch
		}{"disputes.finance", p.Disputes.Finance})
		p.Disputes.validate(e)
	}
	for _, l := range lists {
		if len(l.list) == 0 {
			e.add(l.key, "required: the identities or roles that may %s (an empty list would let nobody)", l.key)
		}
		for i, m := range l.list {
			at := fmt.Sprintf("%s[%d]", l.key, i)
			set := 0
			for _, s := range []bool{m.Identity != "", m.Role != "", m.Local} {
				if s {
					set++
				}
			}
			switch {
			case set != 1:
				e.add(at, "give exactly one of identity, role or local: true")
			case m.Identity != "" && !validIdentityID(m.Identity):
				e.add(at+".identity", "%q is not an identity id (aws:<account>:role/<role>/<session>, aws:<account>:user/<name>, local:<user>; docs/comp-plans.md)", m.Identity)
			case m.Role != "" && (strings.HasPrefix(m.Role, "arn:") || !iamName.MatchString(m.Role)):
				e.add(at+".role", "%q is not an IAM role name (the name only, without arn: or path; add account: to pin the account)", m.Role)
			}
			if m.Account != "" && (m.Role == "" || !awsAccount.MatchString(m.Account)) {
				e.add(at+".account", "account goes with role, as 12 digits")
			}
		}
	}
	if p.FourEyes == nil {
		e.add("four_eyes", "required: true (someone other than the approver finalizes) or false")
	}
	if p.MatchEmail == nil {
		e.add("match_email", "required: true (a caller named by an email is the CRM user with that email) or false")
	}
	seen := map[string]string{}
	for i, m := range p.People {
		at := fmt.Sprintf("people[%d]", i)
		if !validIdentityID(m.Identity) {
			e.add(at+".identity", "%q is not an identity id", m.Identity)
		}
		if strings.TrimSpace(m.Person) == "" {
			e.add(at+".person", "required: the CRM User Id this caller is")
		}
		if prev, ok := seen[m.Identity]; ok && prev != m.Person {
			e.add(at+".identity", "%s is mapped to %s and %s", m.Identity, prev, m.Person)
		}
		seen[m.Identity] = m.Person
	}
	if err := e.err(); err != nil {
		return nil, err
	}
	return p, nil
}

// PeopleOf returns the CRM people the policy maps the caller to.
func (p *ApprovalPolicy) PeopleOf(id Identity) []string {
	var out []string
	for _, m := range p.People {
		if m.Identity == id.ID && !slices.Contains(out, m.Person) {
			out = append(out, m.Person)
		}
	}
	return out
}

// ApprovalRefusal is a request the policy refuses: the rule, who, which
// statement and why. errors.Is(err, ErrApprovalRefused) holds.
type ApprovalRefusal struct {
	Rule      string
	Action    string
	Caller    Identity
	Statement string // statement id; "" for a refusal of the whole request
	Person    string // the person paid, "Name (Id)"
	Reason    string
}

// ErrApprovalRefused is what every ApprovalRefusal is.
var ErrApprovalRefused = errors.New("approval refused")

func (r *ApprovalRefusal) Error() string {
	on := ""
	if r.Statement != "" {
		on = fmt.Sprintf(" statement %s of %s", r.Statement, r.Person)
	}
	return fmt.Sprintf("%s refused: %s may not %s%s: %s (%s rule %s)", r.Action, r.Caller, r.Action, on, r.Reason, ApprovalsFile, r.Rule)
}

// Is makes errors.Is(r, ErrApprovalRefused) true.
func (r *ApprovalRefusal) Is(target error) bool { return target == ErrApprovalRefused }

// Allowed checks that the caller is on the action's list (approve or
// finalize), before any statement is read.
func (p *ApprovalPolicy) Allowed(action string, caller Identity) error {
	list := p.Approve
	if action == ActionFinalize {
		list = p.Finalize
	}
	if caller.IsZero() {
		return &ApprovalRefusal{Rule: RuleNotAllowed, Action: action, Caller: caller, Reason: "no authenticated caller"}
	}
	for _, m := range list {
		if m.Matches(caller) {
			return nil
		}
	}
	return &ApprovalRefusal{Rule: RuleNotAllowed, Action: action, Caller: caller,
		Reason: fmt.Sprintf("the caller is not on the %s list", action)}
}

// ApprovalRequest is one statement about to be moved.
type ApprovalRequest struct {
	Action string
	Caller Identity
	// CallerPeople are the CRM people the caller is: PeopleOf, plus the
	// CRM user whose email the caller's is when MatchEmail is on.
	CallerPeople []string
	Statement    *Statement
	// ApprovedBy is the Identity ID that approved the statement (for a
	// finalize), and Approver the identity in full when recorded.
	ApprovedBy string
	Approver   *Identity
}

// samePerson reports whether two identities are one person for four eyes:
// the same ID, or sessions of two roles in one account under the same
// session name (IAM Identity Center names every session after the user,
// whatever the permission set, so one person holding both the approver
// and the controller role is still one person).
func samePerson(a, b Identity) bool {
	if a.ID == b.ID {
		return true
	}
	return a.Role != "" && b.Role != "" && a.Account == b.Account && strings.EqualFold(a.Name, b.Name)
}

// Check applies every rule to one statement: the caller is on the action's
// list; the caller is not the person paid; with four eyes, who finalizes
// did not approve.
func (p *ApprovalPolicy) Check(r ApprovalRequest) error {
	if err := p.Allowed(r.Action, r.Caller); err != nil {
		return err
	}
	st := r.Statement
	refuse := func(rule, why string) error {
		return &ApprovalRefusal{Rule: rule, Action: r.Action, Caller: r.Caller, Statement: st.ID,
			Person: fmt.Sprintf("%s (%s)", st.Name, st.PersonID), Reason: why}
	}
	if slices.Contains(r.CallerPeople, st.PersonID) {
		return refuse(RuleOwnPay, "the caller is the person paid; nobody approves or finalizes their own pay")
	}
	if r.Action == ActionFinalize && p.FourEyes != nil && *p.FourEyes {
		approver := Identity{ID: r.ApprovedBy}
		if r.Approver != nil {
			approver = *r.Approver
		}
		if samePerson(approver, r.Caller) {
			return refuse(RuleFourEyes, fmt.Sprintf("the caller approved it (as %s); four_eyes requires someone else to finalize", approver.ID))
		}
	}
	return nil
}
