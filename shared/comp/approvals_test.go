package comp

import (
	"errors"
	"strings"
	"testing"
)

func TestIdentityFromARN(t *testing.T) {
	for _, tt := range []struct {
		arn                        string
		id, name, role, email, bad string
	}{
		// An assumed-role session: role + session name; the session name is
		// an email, so it is the email too (lower-cased).
		{arn: "arn:aws:sts::123456789012:assumed-role/VennFinanceApprover/Jane.Doe@Corp.example",
			id: "aws:123456789012:role/VennFinanceApprover/Jane.Doe@Corp.example", name: "Jane.Doe@Corp.example", role: "VennFinanceApprover", email: "jane.doe@corp.example"},
		// IAM Identity Center: the role is the permission set's, the
		// session the user's sign-in name (not an email here).
		{arn: "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Finance_0123abcd/jdoe",
			id: "aws:123456789012:role/AWSReservedSSO_Finance_0123abcd/jdoe", name: "jdoe", role: "AWSReservedSSO_Finance_0123abcd"},
		// An IAM user: the path is dropped (names are unique per account).
		{arn: "arn:aws:iam::123456789012:user/finance/cfo", id: "aws:123456789012:user/cfo", name: "cfo"},
		{arn: "arn:aws:iam::123456789012:user/cfo", id: "aws:123456789012:user/cfo", name: "cfo"},
		{arn: "arn:aws-cn:sts::123456789012:federated-user/ops", id: "aws-cn:123456789012:federated-user/ops", name: "ops"},
		{arn: "arn:aws:iam::123456789012:root", id: "aws:123456789012:root", name: "root"},
		// Not callers, or not ARNs.
		{arn: "arn:aws:iam::123456789012:role/VennFinanceApprover", bad: "not a caller"},
		{arn: "arn:aws:sts::123456789012:assumed-role/VennFinanceApprover", bad: "assumed-role/<role>/<session>"},
		{arn: "arn:aws:sts:eu-west-1:123456789012:assumed-role/R/s1", bad: "no region"},
		{arn: "arn:aws:sts::12345:assumed-role/R/s1", bad: "12 digits"},
		{arn: "jane@corp", bad: "not an ARN"},
		{arn: "", bad: "not an ARN"},
	} {
		got, err := IdentityFromARN(tt.arn)
		if tt.bad != "" {
			if err == nil || !strings.Contains(err.Error(), tt.bad) || !strings.Contains(err.Error(), tt.arn) {
				t.Errorf("%q: error %v, want one naming the ARN and %q", tt.arn, err, tt.bad)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.arn, err)
			continue
		}
		if got.ID != tt.id || got.Name != tt.name || got.Role != tt.role || got.Email != tt.email || got.Principal != tt.arn || got.Account != "123456789012" {
			t.Errorf("%q: got %+v", tt.arn, got)
		}
		if !validIdentityID(got.ID) {
			t.Errorf("%q: %s is not accepted as an identity id in approvals.yaml", tt.arn, got.ID)
		}
	}
}

func TestLocalIdentity(t *testing.T) {
	id, err := LocalIdentity("maria.chen")
	if err != nil || id.ID != "local:maria.chen" || id.Principal != "local user maria.chen" || !id.Local() || id.Email != "" {
		t.Fatalf("got %+v %v", id, err)
	}
	for _, bad := range []string{"", "a b", "../x", "x\n"} {
		if _, err := LocalIdentity(bad); err == nil {
			t.Errorf("%q accepted as a local user", bad)
		}
	}
}

const testPolicy = `
approve:
  - {role: VennFinanceApprover, account: "111111111111"}
  - {identity: "aws:111111111111:user/cfo"}
  - {local: true}
finalize:
  - {role: VennFinanceController}
  - {identity: "aws:111111111111:user/cfo"}
  - {local: true}
four_eyes: %s
match_email: true
people:
  - {identity: "aws:111111111111:role/VennFinanceApprover/mchen", person: P-MARIA}
  - {identity: "local:maria.chen", person: P-MARIA}
`

func mustARN(t *testing.T, arn string) Identity {
	t.Helper()
	id, err := IdentityFromARN(arn)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestApprovalRules walks each rule with a hand-worked expectation: who
// asks, for which statement, and the rule that must refuse (or none).
func TestApprovalRules(t *testing.T) {
	jane := mustARN(t, "arn:aws:sts::111111111111:assumed-role/VennFinanceApprover/jane@corp.example")
	janeOtherAcct := mustARN(t, "arn:aws:sts::222222222222:assumed-role/VennFinanceApprover/jane@corp.example")
	mchen := mustARN(t, "arn:aws:sts::111111111111:assumed-role/VennFinanceApprover/mchen")
	ctrl := mustARN(t, "arn:aws:sts::333333333333:assumed-role/VennFinanceController/ole")
	cfo := mustARN(t, "arn:aws:iam::111111111111:user/finance/cfo")
	bob := mustARN(t, "arn:aws:iam::111111111111:user/bob")
	ctrlJane := mustARN(t, "arn:aws:sts::111111111111:assumed-role/VennFinanceController/jane@corp.example")
	ctrlOle2 := mustARN(t, "arn:aws:sts::444444444444:assumed-role/VennFinanceApprover/ole")
	localMaria, _ := LocalIdentity("maria.chen")
	localDemo, _ := LocalIdentity("finance.demo")
	tom := &Statement{ID: "2026Q3/P-TOM", PersonID: "P-TOM", Name: "Tom Becker"}
	maria := &Statement{ID: "2026Q3/P-MARIA", PersonID: "P-MARIA", Name: "Maria Chen"}

	for _, tt := range []struct {
		name        string
		fourEyes    string
		action      string
		caller      Identity
		emailPeople []string // the CRM users whose email the caller's is (the pipeline finds them)
		st          *Statement
		approvedBy  string
		approver    *Identity // the approver in full, when recorded
		rule        string    // "" = allowed
	}{
		{"approver role approves a colleague", "true", ActionApprove, jane, nil, tom, "", nil, ""},
		{"role pinned to an account: another account's role of that name is not it", "true", ActionApprove, janeOtherAcct, nil, tom, "", nil, RuleNotAllowed},
		{"IAM user on no list", "true", ActionApprove, bob, nil, tom, "", nil, RuleNotAllowed},
		{"no caller at all", "true", ActionApprove, Identity{}, nil, tom, "", nil, RuleNotAllowed},
		{"approver may not finalize (not on the finalize list)", "false", ActionFinalize, jane, nil, tom, jane.ID, nil, RuleNotAllowed},
		{"own statement by email match", "true", ActionApprove, jane, []string{"P-TOM"}, tom, "", nil, RuleOwnPay},
		{"own statement by the policy's mapping", "true", ActionApprove, mchen, nil, maria, "", nil, RuleOwnPay},
		{"mapped person approves someone else's", "true", ActionApprove, mchen, nil, tom, "", nil, ""},
		{"own statement, finalize, local mapping", "false", ActionFinalize, localMaria, nil, maria, localDemo.ID, nil, RuleOwnPay},
		{"four eyes: the approver finalizes", "true", ActionFinalize, cfo, nil, tom, cfo.ID, nil, RuleFourEyes},
		{"four eyes: someone else approved", "true", ActionFinalize, cfo, nil, tom, jane.ID, nil, ""},
		{"four eyes off: the approver may finalize", "false", ActionFinalize, cfo, nil, tom, cfo.ID, nil, ""},
		{"controller role in any account (no account pinned)", "true", ActionFinalize, ctrl, nil, tom, jane.ID, nil, ""},
		{"own pay holds with four eyes off", "false", ActionFinalize, cfo, []string{"P-TOM"}, tom, jane.ID, nil, RuleOwnPay},
		{"local runs: the demo identity approves", "true", ActionApprove, localDemo, nil, maria, "", nil, ""},
		{"local runs: four eyes between two local users", "true", ActionFinalize, localDemo, nil, tom, localDemo.ID, nil, RuleFourEyes},
		// One person in two roles: the same session name in the same
		// account is the same person (IAM Identity Center sessions).
		{"four eyes: same session name, other role, same account", "true", ActionFinalize, ctrlJane, nil, tom, jane.ID, &jane, RuleFourEyes},
		{"four eyes: same session name in another account is someone else", "true", ActionFinalize, ctrl, nil, tom, ctrlOle2.ID, &ctrlOle2, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseApprovals(ApprovalsFile, []byte(strings.Replace(testPolicy, "%s", tt.fourEyes, 1)))
			if err != nil {
				t.Fatal(err)
			}
			people := append(p.PeopleOf(tt.caller), tt.emailPeople...)
			err = p.Check(ApprovalRequest{Action: tt.action, Caller: tt.caller, CallerPeople: people, Statement: tt.st, ApprovedBy: tt.approvedBy, Approver: tt.approver})
			if tt.rule == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var r *ApprovalRefusal
			if !errors.As(err, &r) || !errors.Is(err, ErrApprovalRefused) || r.Rule != tt.rule {
				t.Fatalf("got %v, want a refusal by rule %s", err, tt.rule)
			}
			// The refusal names the rule and the caller, and for a
			// statement rule the statement and the person paid.
			msg := err.Error()
			for _, want := range []string{tt.rule, ApprovalsFile, tt.action} {
				if !strings.Contains(msg, want) {
					t.Errorf("%q does not name %q", msg, want)
				}
			}
			if tt.caller.ID != "" && !strings.Contains(msg, tt.caller.ID) {
				t.Errorf("%q does not name the caller %s", msg, tt.caller.ID)
			}
			if tt.rule != RuleNotAllowed && (!strings.Contains(msg, tt.st.ID) || !strings.Contains(msg, tt.st.Name)) {
				t.Errorf("%q does not name statement %s of %s", msg, tt.st.ID, tt.st.Name)
			}
		})
	}
}

func TestParseApprovalsRefuses(t *testing.T) {
	for _, tt := range []struct {
		name, yaml string
		want       []string // each must appear in the error
	}{
		{"empty lists and no switches", "approve: []\nfinalize: []\n",
			[]string{"approvals.yaml: approve: required", "approvals.yaml: finalize: required", "four_eyes: required", "match_email: required"}},
		{"two kinds in one entry", "approve: [{role: A, local: true}]\nfinalize: [{local: true}]\nfour_eyes: true\nmatch_email: false\n",
			[]string{"approve[0]: give exactly one of identity, role or local"}},
		{"role given as an ARN", "approve: [{role: 'arn:aws:iam::111111111111:role/A'}]\nfinalize: [{local: true}]\nfour_eyes: true\nmatch_email: false\n",
			[]string{"approve[0].role", "not an IAM role name"}},
		{"identity that is free text", "approve: [{identity: jane@corp}]\nfinalize: [{local: true}]\nfour_eyes: true\nmatch_email: false\n",
			[]string{"approve[0].identity", `"jane@corp" is not an identity id`}},
		{"account without role", "approve: [{local: true, account: '111111111111'}]\nfinalize: [{local: true}]\nfour_eyes: true\nmatch_email: false\n",
			[]string{"approve[0].account"}},
		{"one caller mapped to two people", "approve: [{local: true}]\nfinalize: [{local: true}]\nfour_eyes: true\nmatch_email: false\npeople:\n  - {identity: 'local:x', person: P1}\n  - {identity: 'local:x', person: P2}\n",
			[]string{"people[1].identity", "local:x is mapped to P1 and P2"}},
		{"person missing", "approve: [{local: true}]\nfinalize: [{local: true}]\nfour_eyes: true\nmatch_email: false\npeople: [{identity: 'local:x'}]\n",
			[]string{"people[0].person: required"}},
		{"unknown key", "approve: [{local: true}]\nfinalize: [{local: true}]\nfour_eyes: true\nmatch_email: false\napprover: jane\n",
			[]string{"approver"}},
		{"four_eyes without a value", "approve: [{local: true}]\nfinalize: [{local: true}]\nfour_eyes:\nmatch_email: false\n",
			[]string{"four_eyes: required"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseApprovals(ApprovalsFile, []byte(tt.yaml))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}
