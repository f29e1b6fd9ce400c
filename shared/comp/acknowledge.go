package comp

import (
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/venn-revops/venn/shared/period"
)

// Plan acknowledgements: a person records that they read the plan version
// they are paid on. The rules, in one place:
//
//   - An acknowledgement names the person, the plan version (id@vN), the
//     SHA-256 of the plan file they read (the plan document states it), who
//     recorded it (the authenticated caller, who must be that person) and
//     when.
//   - Only an acknowledgement of the plan file's current SHA-256 counts: if
//     the file of a version changes, earlier acknowledgements of it no
//     longer do (they are kept, and shown as of another file).
//   - The first acknowledgement of a (person, version, file) stands; doing
//     it again changes nothing.

// ActionAcknowledge is the approve job's action that records an
// acknowledgement (pipeline: the caller acknowledges for themselves).
const ActionAcknowledge = "acknowledge"

// RuleOwnAcknowledgement is the refusal of an acknowledgement for someone
// else.
const RuleOwnAcknowledgement = "own_acknowledgement"

// Acknowledgement is one person's acknowledgement of one plan file.
type Acknowledgement struct {
	PersonID   string    `json:"person_id"`
	Plan       string    `json:"plan"`        // id@vN
	FileSHA256 string    `json:"file_sha256"` // the plan file acknowledged
	By         string    `json:"by"`          // Identity ID of who recorded it
	Identity   *Identity `json:"identity,omitempty"`
	At         string    `json:"at"` // RFC 3339, UTC
}

// PlanAck is whether a plan span on a statement was acknowledged.
type PlanAck struct {
	Acknowledged bool   `json:"acknowledged"`
	FileSHA256   string `json:"file_sha256,omitempty"` // the file acknowledged
	By           string `json:"by,omitempty"`
	At           string `json:"at,omitempty"`
	// Other is an acknowledgement of another file of the same version,
	// which does not count (its hash), when there is no current one.
	Other string `json:"other_file_sha256,omitempty"`
}

// AckOf applies the rules to person's acknowledgements of plan version
// ref whose file is now sha: the one of sha counts; one of another file
// is only reported.
func AckOf(person, ref, sha string, acks []Acknowledgement) PlanAck {
	var out PlanAck
	for _, a := range acks {
		if a.PersonID != person || a.Plan != ref {
			continue
		}
		if a.FileSHA256 == sha {
			return PlanAck{Acknowledged: true, FileSHA256: a.FileSHA256, By: a.By, At: a.At}
		}
		out.Other = a.FileSHA256
	}
	return out
}

// AckLine is one (person, plan version) of a quarter and its
// acknowledgement: what finance lists.
type AckLine struct {
	PersonID   string
	Name       string
	Plan       string
	FileSHA256 string
	Ack        PlanAck
}

// AckReport lists, for quarter q, every person with a plan span and each
// plan version they are on (the engine's own spans), with whether it is
// acknowledged; sorted by person, then plan.
func AckReport(q period.Quarter, people []Person, plans []*Plan, a *Assignments, acks []Acknowledgement) ([]AckLine, error) {
	var out []AckLine
	names := map[string]string{}
	for _, p := range people {
		names[p.ID] = p.Name
	}
	for _, id := range a.people() {
		spans, err := a.Spans(id, q, plans)
		if err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		for _, s := range spans {
			ref := s.Plan.Ref()
			if seen[ref] {
				continue
			}
			seen[ref] = true
			out = append(out, AckLine{PersonID: id, Name: names[id], Plan: ref, FileSHA256: s.Plan.Hash, Ack: AckOf(id, ref, s.Plan.Hash, acks)})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].PersonID != out[j].PersonID {
			return out[i].PersonID < out[j].PersonID
		}
		return out[i].Plan < out[j].Plan
	})
	return out, nil
}

// PaidOn reports whether person is on plan version ref on some day of q.
func PaidOn(q period.Quarter, person, ref string, plans []*Plan, a *Assignments) (bool, error) {
	spans, err := a.Spans(person, q, plans)
	if err != nil {
		return false, err
	}
	for _, s := range spans {
		if s.Plan.Ref() == ref {
			return true, nil
		}
	}
	return false, nil
}

// AcknowledgementsOn marks each plan span of each statement with its
// acknowledgement (AckOf). It is shown on the statement, not hashed: the
// pay does not depend on it.
func AcknowledgementsOn(stmts []Statement, acks []Acknowledgement) {
	for i := range stmts {
		for j := range stmts[i].Plans {
			u := &stmts[i].Plans[j]
			a := AckOf(stmts[i].PersonID, u.Plan, u.FileSHA256, acks)
			u.Acknowledgement = &a
		}
	}
}

// NewAcknowledgement is caller's acknowledgement for person of plan p's
// file sha at at. It refuses another person than the caller's own
// (people: the CRM people the caller is), a hash other than the file's
// now, and a plan version the person is not on in q.
func NewAcknowledgement(q period.Quarter, caller Identity, people []string, person string, p *Plan, sha string, a *Assignments, plans []*Plan, at time.Time) (*Acknowledgement, error) {
	own := false
	for _, id := range people {
		own = own || id == person
	}
	if !own {
		return nil, &ApprovalRefusal{Rule: RuleOwnAcknowledgement, Action: ActionAcknowledge, Caller: caller,
			Reason: fmt.Sprintf("person %s is not the caller (the caller is %v): a person acknowledges only their own plan", person, people)}
	}
	if sha != p.Hash {
		return nil, fmt.Errorf("%w: plan %s: you acknowledged file SHA-256 %s, the plan file is now %s: read the current document (venn plan doc --plan %s) and acknowledge that", ErrStaleAcknowledgement, p.Ref(), sha, p.Hash, p.Ref())
	}
	on, err := PaidOn(q, person, p.Ref(), plans, a)
	if err != nil {
		return nil, err
	}
	if !on {
		return nil, fmt.Errorf("%w: %s is not on plan %s in %s", ErrNotOnPlan, person, p.Ref(), q)
	}
	id := caller
	return &Acknowledgement{PersonID: person, Plan: p.Ref(), FileSHA256: sha, By: caller.ID, Identity: &id, At: at.UTC().Format(time.RFC3339Nano)}, nil
}

// Errors an acknowledgement is refused with (besides ApprovalRefusal).
var (
	ErrStaleAcknowledgement = fmt.Errorf("acknowledgement of another plan file")
	ErrNotOnPlan            = fmt.Errorf("not on that plan")
)

// text is the statement's line for the acknowledgement.
func (a *PlanAck) text() string {
	switch {
	case a.Acknowledged:
		return fmt.Sprintf("acknowledged by %s at %s (this file, sha256 %s)", a.By, a.At, short(a.FileSHA256))
	case a.Other != "":
		return fmt.Sprintf("not acknowledged: the acknowledgement on record is of another file (sha256 %s), which does not count", short(a.Other))
	}
	return "not acknowledged"
}

// WriteAckReport prints AckReport's lines for quarter q as a table (only
// those not acknowledged when missing), then how many are not.
func WriteAckReport(w io.Writer, q period.Quarter, lines []AckLine, missing bool) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "Person\tName\tPlan\tAcknowledged\t")
	open := 0
	for _, l := range lines {
		if l.Ack.Acknowledged && missing {
			continue
		}
		state := "no"
		switch {
		case l.Ack.Acknowledged:
			state = fmt.Sprintf("yes, by %s at %s", l.Ack.By, l.Ack.At)
		case l.Ack.Other != "":
			state = "no (another file of this version was acknowledged: it does not count)"
		}
		if !l.Ack.Acknowledged {
			open++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", l.PersonID, l.Name, l.Plan, state)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d of %d plan versions in %s not acknowledged\n", open, len(lines), q)
	return err
}
