package comp

import (
	"fmt"
	"regexp"
	"strings"
)

// Identity is who moved a statement: an authenticated caller, never a name
// typed into a request. The approve job receives it out of band (the IAM
// principal of a Lambda Function URL request, the CLI's STS caller identity,
// or the user of a local run) and records it on the statement.
type Identity struct {
	// ID is stable and comparable: the same person through the same door
	// always gets the same ID, and rules compare IDs.
	//   <partition>:<account>:role/<role>/<session>  an assumed-role session
	//   <partition>:<account>:user/<name>            an IAM user
	//   <partition>:<account>:federated-user/<name>  an STS federated user
	//   <partition>:<account>:root                   the account root
	//   local:<user>                                 the user of a local run
	ID string `json:"id"`
	// Principal is the caller as authenticated: the ARN, or "local user
	// <name>".
	Principal string `json:"principal"`
	// Name is for people to read: the session name, IAM user name or local
	// user.
	Name string `json:"name"`
	// Account and Role are set for AWS callers (Role for assumed-role
	// sessions only): approvals.yaml may allow a whole role.
	Account string `json:"account,omitempty"`
	Role    string `json:"role,omitempty"`
	// Email is Name lower-cased when Name is an email address (IAM Identity
	// Center names sessions after the user's sign-in name, often an email):
	// matched against the CRM users' emails to find the caller's own
	// statement.
	Email string `json:"email,omitempty"`
}

// IsZero reports whether no caller is set.
func (id Identity) IsZero() bool { return id.ID == "" }

// Local reports whether the identity is the user of a local run, whose
// results file is their own (no authentication is involved).
func (id Identity) Local() bool { return strings.HasPrefix(id.ID, "local:") }

// String names the caller for messages: "jane.doe@corp (aws:…:role/…)".
func (id Identity) String() string {
	if id.Name == "" || id.Name == id.ID {
		return id.ID
	}
	return id.Name + " (" + id.ID + ")"
}

var (
	awsAccount  = regexp.MustCompile(`^[0-9]{12}$`)
	awsPart     = regexp.MustCompile(`^aws(-[a-z]+)*$`)
	iamName     = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
	sessionName = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	localName   = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}$`)
	emailLike   = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

// IdentityFromARN normalises the ARN of an authenticated AWS caller (the
// userArn of a Function URL request, the Arn of STS GetCallerIdentity) to
// an Identity. An assumed-role ARN
// arn:aws:sts::123456789012:assumed-role/FinanceApprover/jane.doe@corp
// becomes role + session name, aws:123456789012:role/FinanceApprover/
// jane.doe@corp: the same person signing in again gets a new session but
// the same name, and so the same ID. An IAM user's path is dropped (user
// names are unique in an account). Any other ARN is refused: it is not a
// caller.
func IdentityFromARN(arn string) (Identity, error) {
	bad := func(why string) (Identity, error) {
		return Identity{}, fmt.Errorf("caller ARN %q: %s", arn, why)
	}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return bad("not an ARN (want arn:partition:service::account:resource)")
	}
	partition, service, region, account, resource := parts[1], parts[2], parts[3], parts[4], parts[5]
	if !awsPart.MatchString(partition) {
		return bad("unknown partition " + partition)
	}
	if region != "" {
		return bad("IAM and STS ARNs have no region")
	}
	if !awsAccount.MatchString(account) {
		return bad("the account is not 12 digits")
	}
	id := Identity{Principal: arn, Account: account}
	prefix := partition + ":" + account + ":"
	kind, rest, _ := strings.Cut(resource, "/")
	switch {
	case service == "sts" && kind == "assumed-role":
		role, session, ok := strings.Cut(rest, "/")
		if !ok || !iamName.MatchString(role) || !sessionName.MatchString(session) {
			return bad("want assumed-role/<role>/<session>")
		}
		id.ID, id.Name, id.Role = prefix+"role/"+role+"/"+session, session, role
	case service == "sts" && kind == "federated-user":
		if !iamName.MatchString(rest) {
			return bad("want federated-user/<name>")
		}
		id.ID, id.Name = prefix+"federated-user/"+rest, rest
	case service == "iam" && kind == "user":
		segs := strings.Split(rest, "/")
		name := segs[len(segs)-1]
		if !iamName.MatchString(name) {
			return bad("want user/<path>/<name>")
		}
		id.ID, id.Name = prefix+"user/"+name, name
	case service == "iam" && resource == "root":
		id.ID, id.Name = prefix+"root", "root"
	default:
		return bad("not a caller (want an assumed-role session, an IAM user, a federated user or root)")
	}
	if emailLike.MatchString(id.Name) {
		id.Email = strings.ToLower(id.Name)
	}
	return id, nil
}

// LocalIdentity is the user of a local run (the OS user, see
// shared/callerid): trusted only because a local results file is that
// user's own.
func LocalIdentity(user string) (Identity, error) {
	if !localName.MatchString(user) {
		return Identity{}, fmt.Errorf("local user %q: want a user name (letters, digits, _ . @ -)", user)
	}
	id := Identity{ID: "local:" + user, Principal: "local user " + user, Name: user}
	if emailLike.MatchString(user) {
		id.Email = strings.ToLower(user)
	}
	return id, nil
}

// validIdentityID reports whether s has the shape of an Identity ID, for
// approvals.yaml.
func validIdentityID(s string) bool {
	if u, ok := strings.CutPrefix(s, "local:"); ok {
		return localName.MatchString(u)
	}
	parts := strings.SplitN(s, ":", 3)
	if len(parts) != 3 || !awsPart.MatchString(parts[0]) || !awsAccount.MatchString(parts[1]) {
		return false
	}
	kind, rest, _ := strings.Cut(parts[2], "/")
	switch kind {
	case "role":
		role, session, ok := strings.Cut(rest, "/")
		return ok && iamName.MatchString(role) && sessionName.MatchString(session)
	case "user", "federated-user":
		return iamName.MatchString(rest)
	case "root":
		return rest == ""
	}
	return false
}
