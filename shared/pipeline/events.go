package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/period"
)

// Event is what every Venn function accepts: the payload of an EventBridge
// Scheduler schedule or of the Step Functions task, or a manual invocation
// (see functions/*/event*.json and docs/runbook.md).
//
//	extract  {"job":"extract","mode":"nightly","objects":["Lead"]}
//	         {"job":"extract","mode":"full_resync"}
//	         {"job":"extract","mode":"backfill","from":"2026-01-01","to":"2026-02-01"}
//	         {"job":"extract","mode":"plan"} (lists the nightly events, one per object; extracts nothing)
//	kpi      {"job":"kpi","mode":"qtd"} | {"job":"kpi","mode":"close"} | {"job":"kpi","mode":"rerun","quarter":"2026Q3"}
//	payouts  {"job":"payouts","mode":"close"} | {"job":"payouts","mode":"rerun","quarter":"2026Q3"}
//	approve  {"job":"approve","quarter":"2026Q3","action":"approve","approver":"jane@corp","people":[]}
type Event struct {
	Job      string   `json:"job"`
	Mode     string   `json:"mode,omitempty"`
	Objects  []string `json:"objects,omitempty"`
	From     string   `json:"from,omitempty"`
	To       string   `json:"to,omitempty"`
	Quarter  string   `json:"quarter,omitempty"`
	AsOf     string   `json:"asof,omitempty"`
	Action   string   `json:"action,omitempty"`
	Approver string   `json:"approver,omitempty"`
	People   []string `json:"people,omitempty"`
}

// apiName is the shape of a Salesforce object API name.
var apiName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)*(__c)?$`)

// Modes per job.
const (
	ModeNightly    = "nightly"
	ModeFullResync = "full_resync"
	ModeBackfill   = "backfill"
	ModePlan       = "plan"
	ModeQTD        = "qtd"
	ModeClose      = "close"
	ModeRerun      = "rerun"
)

// ParseEvent decodes an event strictly, with encoding/json/v2 semantics:
// unknown fields, duplicate keys, names in another case, invalid UTF-8 and
// trailing data are errors, so a typo in a manual event fails loudly instead
// of running the default job (encoding/json v1 would match "Quarter" to
// quarter and keep the last of two duplicate keys).
func ParseEvent(raw []byte, job string) (Event, error) {
	var e Event
	dec := jsontext.NewDecoder(bytes.NewReader(raw))
	val, err := dec.ReadValue()
	if err != nil {
		return Event{}, fmt.Errorf("%s event: %w", job, err)
	}
	val = val.Clone() // the decoder reuses its buffer on the next read
	if _, err := dec.ReadToken(); err != io.EOF {
		return Event{}, fmt.Errorf("%s event: trailing data after the JSON object", job)
	}
	if err := jsonv2.Unmarshal(val, &e, jsonv2.RejectUnknownMembers(true)); err != nil {
		return Event{}, fmt.Errorf("%s event: %w", job, err)
	}
	if e.Job == "" {
		e.Job = job
	}
	if e.Job != job {
		return Event{}, fmt.Errorf("%s event: job is %q, this function runs %q", job, e.Job, job)
	}
	return e, e.validate()
}

func (e Event) validate() error {
	bad := func(field, why string) error { return fmt.Errorf("%s event: %s: %s", e.Job, field, why) }
	switch e.Job {
	case "extract":
		switch e.Mode {
		case "", ModeNightly, ModeFullResync:
		case ModePlan:
			if len(e.Objects) > 0 || e.From != "" || e.To != "" {
				return bad("mode", "plan lists every object of the configuration: it takes no objects, from or to")
			}
		case ModeBackfill:
			from, err1 := time.Parse(time.DateOnly, e.From)
			to, err2 := time.Parse(time.DateOnly, e.To)
			if err1 != nil || err2 != nil {
				return bad("from/to", "backfill needs from and to as YYYY-MM-DD")
			}
			if !from.Before(to) {
				return bad("from/to", "from must be before to")
			}
		default:
			return bad("mode", fmt.Sprintf("%q is not nightly, full_resync, backfill or plan", e.Mode))
		}
		for _, o := range e.Objects {
			// An object the registry lacks (a custom object, or a standard
			// one like Order) may come from the extract configuration,
			// which only the running job knows: it refuses an object the
			// configuration does not list before anything is pulled.
			if _, err := crm.Lookup(o); err != nil && !apiName.MatchString(o) {
				return bad("objects", fmt.Sprintf("%q is not a Salesforce object API name", o))
			}
		}
	case "kpi", "payouts":
		switch e.Mode {
		case "", ModeClose:
		case ModeQTD:
			if e.Job == "payouts" {
				return bad("mode", "payouts run at quarter close or as a rerun, not quarter to date")
			}
		case ModeRerun:
			if _, err := period.Parse(e.Quarter); err != nil {
				return bad("quarter", err.Error())
			}
		default:
			return bad("mode", fmt.Sprintf("%q is not qtd, close or rerun", e.Mode))
		}
		if e.AsOf != "" {
			if _, err := time.Parse(time.DateOnly, e.AsOf); err != nil {
				return bad("asof", "want YYYY-MM-DD")
			}
		}
	case "approve":
		if _, err := period.Parse(e.Quarter); err != nil {
			return bad("quarter", err.Error())
		}
		if e.Action != "approve" && e.Action != "finalize" {
			return bad("action", fmt.Sprintf("%q is not approve or finalize", e.Action))
		}
		if strings.TrimSpace(e.Approver) == "" {
			return bad("approver", "required: who approves is recorded on every statement")
		}
	default:
		return errors.New("event: unknown job " + e.Job)
	}
	return nil
}

// Quarters resolves the quarter a kpi or payouts event is about, given the
// time the function runs: close means the quarter that just ended, as of its
// (exclusive) end; qtd means the current quarter as of now (or the end of the
// event's asof day).
//
// The event was validated by ParseEvent, so its dates and quarter parse.
func (e Event) Quarters(now time.Time) (q period.Quarter, asOf time.Time, final bool) {
	asOf = now.UTC()
	if e.AsOf != "" {
		d, _ := time.Parse(time.DateOnly, e.AsOf)
		asOf = d.Add(24*time.Hour - time.Microsecond)
	}
	switch e.Mode {
	case ModeQTD:
		return period.Of(asOf), asOf, false
	case ModeRerun:
		q, _ = period.Parse(e.Quarter)
		return q, q.End(), true
	default: // close
		q = period.Of(asOf).Prev()
		return q, q.End(), true
	}
}
