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
//	         {"job":"extract","mode":"plan"} (lists the nightly events, one per object, and the slices of
//	         large first loads; plans those loads, extracts nothing)
//	         {"job":"extract","mode":"slice","objects":["Lead"],"load":"<load id>","slice":3} (pulls one
//	         slice of a sliced first load; the plan lists them)
//	kpi      {"job":"kpi","mode":"qtd"} | {"job":"kpi","mode":"close"} | {"job":"kpi","mode":"rerun","quarter":"2026Q3"}
//	         {"job":"kpi","mode":"qtd","defer":true} (on SQL: start the query, answer its ticket)
//	         {"job":"kpi","query":{"id":"…","quarter":"2026Q4",…}} (write the gold of that finished query)
//	payouts  {"job":"payouts","mode":"close"} | {"job":"payouts","mode":"rerun","quarter":"2026Q3"}
//	         {"job":"payouts","mode":"qtd"} (nightly: quarter-to-date earnings and the rep's what-if)
//	score    {"job":"score"} | {"job":"score","mode":"nightly"}
//	approve  {"job":"approve","quarter":"2026Q3","action":"approve","people":[]}
//	         (the approver is the authenticated caller, never a field: see WithCaller)
//	         {"job":"approve","quarter":"2026Q2","action":"raise","dispute":{"person":"005…","line":"<line key>","text":"…"}}
//	         {"job":"approve","quarter":"2026Q2","action":"resolve","dispute":{"id":"2026Q2/005…/1","text":"…","outcome":"adjustment","amount":"312.45"}}
//	         (disputes: raise, answer, reply, resolve, withdraw; see DisputeRequest)
//	         {"job":"approve","quarter":"2026Q2","action":"read","dispute":{"id":"2026Q2/005…/1"}} (or {"person":"005…"})
type Event struct {
	Job     string   `json:"job"`
	Mode    string   `json:"mode,omitempty"`
	Objects []string `json:"objects,omitempty"`
	// Load and Slice name one slice (from 1) of a sliced first load
	// (extract mode slice).
	Load    string `json:"load,omitempty"`
	Slice   int    `json:"slice,omitempty"`
	From    string `json:"from,omitempty"`
	To      string `json:"to,omitempty"`
	Quarter string `json:"quarter,omitempty"`
	AsOf    string `json:"asof,omitempty"`
	Action  string `json:"action,omitempty"`
	// Approver is decoded only to be refused with a clear answer: who
	// approves is the authenticated caller (WithCaller), never a name in
	// the payload.
	Approver string   `json:"approver,omitempty"`
	People   []string `json:"people,omitempty"`
	// Dispute is the request of a dispute action (approve job).
	Dispute *DisputeRequest `json:"dispute,omitempty"`
	// Plan and SHA256 are what an acknowledge action acknowledges: the
	// plan version (id@vN) and the SHA-256 of the plan file read.
	Plan   string `json:"plan,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	// Defer (kpi): when the run goes to the SQL engine (KPISQL), start
	// its query and answer {"query": <KPIQuery>} instead of waiting for
	// it; Query finishes such a run (the nightly state machine waits in
	// between: kpiquery.go).
	Defer bool      `json:"defer,omitempty"`
	Query *KPIQuery `json:"query,omitempty"`
}

// apiName is the shape of a Salesforce object API name.
var apiName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)*(__c)?$`)

// Modes per job.
const (
	ModeNightly    = "nightly"
	ModeFullResync = "full_resync"
	ModeBackfill   = "backfill"
	ModePlan       = "plan"
	ModeSlice      = "slice"
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
	if e.Approver != "" {
		return bad("approver", "not accepted: the approver is the authenticated caller (the IAM principal of the Function URL request, or the venn command's caller identity), never a name in the event; remove the field")
	}
	if err := e.unused(); err != nil {
		return err
	}
	switch e.Job {
	case "extract":
		if e.Quarter != "" {
			if e.Mode != ModeBackfill {
				return bad("quarter", "only a backfill pulls by date; nightly, full_resync and plan pull as of now (use mode backfill with quarter, or from and to)")
			}
			if e.From != "" || e.To != "" {
				return bad("quarter", "give the backfill either a quarter or from and to, not both")
			}
			if _, err := period.Parse(e.Quarter); err != nil {
				return bad("quarter", err.Error())
			}
		}
		switch e.Mode {
		case "", ModeNightly, ModeFullResync:
		case ModePlan:
			if len(e.Objects) > 0 || e.From != "" || e.To != "" {
				return bad("mode", "plan lists every object of the configuration: it takes no objects, from or to")
			}
		case ModeSlice:
			if len(e.Objects) != 1 || e.Load == "" || e.Slice < 1 || e.From != "" || e.To != "" {
				return bad("mode", "slice pulls one slice of one object's load: it takes one object, load and slice (from 1), no from or to")
			}
		case ModeBackfill:
			if e.Quarter != "" {
				break // the quarter's dates, checked against the clock when run
			}
			from, err1 := time.Parse(time.DateOnly, e.From)
			to, err2 := time.Parse(time.DateOnly, e.To)
			if err1 != nil || err2 != nil {
				return bad("from/to", "backfill needs from and to as YYYY-MM-DD")
			}
			if !from.Before(to) {
				return bad("from/to", "from must be before to")
			}
		default:
			return bad("mode", fmt.Sprintf("%q is not nightly, full_resync, backfill, plan or slice", e.Mode))
		}
		if e.Mode != ModeSlice && (e.Load != "" || e.Slice != 0) {
			return bad("load/slice", "only mode slice pulls a slice of a load")
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
		if e.Query != nil {
			if e.Mode != "" || e.Quarter != "" || e.AsOf != "" || e.Defer {
				return bad("query", "a query carries its own period and inputs: it takes no mode, quarter, asof or defer")
			}
			return e.Query.validate()
		}
		switch e.Mode {
		case "", ModeClose:
		case ModeQTD: // payouts: the quarter to date and the what-if (whatif.go)
		case ModeRerun:
			if e.Quarter == "" {
				return bad("quarter", "required: rerun recomputes a named quarter")
			}
			if e.AsOf != "" {
				return bad("asof", "a rerun recomputes the quarter's final figures as of its end; asof applies to qtd and close")
			}
		default:
			return bad("mode", fmt.Sprintf("%q is not qtd, close or rerun", e.Mode))
		}
		if e.Quarter != "" {
			if _, err := period.Parse(e.Quarter); err != nil {
				return bad("quarter", err.Error())
			}
			if e.AsOf != "" && e.Mode != ModeQTD {
				return bad("asof", "close takes the quarter or an asof day inside the following quarter, not both")
			}
		}
		if e.AsOf != "" {
			if _, err := time.Parse(time.DateOnly, e.AsOf); err != nil {
				return bad("asof", "want YYYY-MM-DD")
			}
		}
	case "score":
		if e.Mode != "" && e.Mode != ModeNightly {
			return bad("mode", fmt.Sprintf("%q is not nightly: score learns from and scores the newest snapshots", e.Mode))
		}
		if e.Quarter != "" {
			return bad("quarter", "score runs over the newest snapshots, not a quarter")
		}
	case "approve":
		if _, err := period.Parse(e.Quarter); err != nil {
			return bad("quarter", err.Error())
		}
		if IsDisputeAction(e.Action) {
			return e.validateDispute()
		}
		if e.Action == "acknowledge" {
			if e.Dispute != nil {
				return bad("dispute", "only dispute actions (raise, answer, reply, resolve, withdraw) take a dispute")
			}
			if err := e.validAcknowledge(); err != nil {
				return err
			}
			break
		}
		if e.Action != "approve" && e.Action != "finalize" {
			return bad("action", fmt.Sprintf("%q is not approve, finalize, acknowledge or a dispute action (raise, answer, reply, resolve, withdraw, read)", e.Action))
		}
		if e.Plan != "" || e.SHA256 != "" {
			return bad("plan/sha256", "only the acknowledge action takes them")
		}
		if e.Dispute != nil {
			return bad("dispute", "only dispute actions (raise, answer, reply, resolve, withdraw) take a dispute")
		}
		for i, p := range e.People {
			if strings.TrimSpace(p) == "" {
				return bad(fmt.Sprintf("people[%d]", i), "empty person Id")
			}
		}
	default:
		return errors.New("event: unknown job " + e.Job)
	}
	return nil
}

// sha256Hex is a SHA-256 in lower-case hex; planVersion a plan version's
// id@vN (the configuration says whether it exists).
var (
	sha256Hex   = regexp.MustCompile(`^[0-9a-f]{64}$`)
	planVersion = regexp.MustCompile(`^\S+@v[0-9]+$`)
)

// validAcknowledge checks an acknowledge event: the plan version and the
// full SHA-256 of its file as the plan document states it, at most one
// person (the caller's own; none: the caller's).
func (e Event) validAcknowledge() error {
	bad := func(field, why string) error { return fmt.Errorf("%s event: %s: %s", e.Job, field, why) }
	if !planVersion.MatchString(e.Plan) {
		return bad("plan", fmt.Sprintf("%q is not a plan version id@vN (venn plan doc names them)", e.Plan))
	}
	if !sha256Hex.MatchString(e.SHA256) {
		return bad("sha256", "the plan file's full SHA-256 in lower-case hex, as the plan document states it")
	}
	if len(e.People) > 1 {
		return bad("people", "a person acknowledges for themselves: at most one person (none: the caller's)")
	}
	return nil
}

// unused refuses a field the event's job does not read: a field that is
// silently ignored makes the event mean something else than it says.
func (e Event) unused() error {
	set := map[string]bool{
		"mode": e.Mode != "", "objects": len(e.Objects) > 0, "from": e.From != "", "to": e.To != "",
		"load": e.Load != "", "slice": e.Slice != 0,
		"asof": e.AsOf != "", "action": e.Action != "", "approver": e.Approver != "", "people": len(e.People) > 0,
		"dispute": e.Dispute != nil,
		"plan":    e.Plan != "", "sha256": e.SHA256 != "",
		"defer": e.Defer, "query": e.Query != nil,
	}
	takes := map[string][]string{
		"extract": {"mode", "objects", "from", "to", "load", "slice"},
		"kpi":     {"mode", "asof", "defer", "query"},
		"payouts": {"mode", "asof"},
		"approve": {"action", "people", "dispute", "plan", "sha256"},
		"score":   {"mode"},
	}
	for _, f := range takes[e.Job] {
		delete(set, f)
	}
	if _, known := takes[e.Job]; !known {
		return nil // validate names the unknown job
	}
	for _, f := range []string{"mode", "objects", "load", "slice", "from", "to", "asof", "action", "approver", "people", "dispute", "plan", "sha256", "defer", "query"} {
		if set[f] {
			return fmt.Errorf("%s event: %s: the %s job does not use it (it would be ignored)", e.Job, f, e.Job)
		}
	}
	return nil
}

// DefaultEarliestQuarter is the earliest quarter an event may name when the
// deployment configures none (EARLIEST_QUARTER): before it, no org has data
// Venn could read, so a quarter like 1999Q1 is a typo.
var DefaultEarliestQuarter = period.Quarter{Year: 2000, Q: 1}

// Target is what a kpi or payouts event resolves to at the time it runs:
// the quarter, the instant its figures are as of, and whether they are the
// final (closed-quarter) figures. The run ledger compares targets, not the
// event's words, so {"mode":"close"} and {"mode":"rerun","quarter":…} of
// the same closed quarter are the same request.
type Target struct {
	Quarter period.Quarter `json:"quarter"`
	AsOf    time.Time      `json:"asof"`
	Final   bool           `json:"final"`
}

// Resolve resolves a kpi or payouts event at now: close means the quarter
// that just ended (or the named one), as of its (exclusive) end; rerun the
// named quarter likewise; qtd the current quarter as of now or the end of
// the event's asof day. A quarter before earliest (zero: the default), a
// final quarter that has not ended, a qtd quarter other than the one asof
// falls in, and an asof after today are refused, naming the field.
//
// The event was validated by ParseEvent, so its dates and quarter parse.
func (e Event) Resolve(now time.Time, earliest period.Quarter) (Target, error) {
	bad := func(field, why string) error { return fmt.Errorf("%s event: %s: %s", e.Job, field, why) }
	if earliest.IsZero() {
		earliest = DefaultEarliestQuarter
	}
	now = now.UTC()
	asOf := now
	if e.AsOf != "" {
		d, _ := time.Parse(time.DateOnly, e.AsOf)
		if d.After(period.Day(now)) {
			return Target{}, bad("asof", fmt.Sprintf("%s is after today (%s)", e.AsOf, now.Format(time.DateOnly)))
		}
		asOf = d.Add(24*time.Hour - time.Microsecond)
	}
	var t Target
	switch e.Mode {
	case ModeQTD:
		t = Target{Quarter: period.Of(asOf), AsOf: asOf}
	default: // close, rerun
		t.Quarter, t.Final = period.Of(asOf).Prev(), true
		if e.Quarter != "" {
			t.Quarter, _ = period.Parse(e.Quarter)
		}
		t.AsOf = t.Quarter.End()
	}
	if e.Quarter != "" {
		q, _ := period.Parse(e.Quarter)
		switch {
		case q.Before(earliest):
			return Target{}, bad("quarter", fmt.Sprintf("%s is before the earliest quarter configured (%s, EARLIEST_QUARTER)", q, earliest))
		case e.Mode == ModeQTD && q != t.Quarter:
			return Target{}, bad("quarter", fmt.Sprintf("qtd computes the quarter to date of %s (%s), not %s: use mode rerun for a closed quarter", asOf.Format(time.DateOnly), t.Quarter, q))
		case t.Final && !q.Before(period.Of(now)):
			return Target{}, bad("quarter", fmt.Sprintf("%s has not closed yet (today is %s): final figures exist only after its end; use mode qtd", q, now.Format(time.DateOnly)))
		}
	}
	return t, nil
}

// CheckBackfillQuarter refuses an extract backfill of a quarter outside the
// configured range (before earliest, or after the current quarter).
func (e Event) CheckBackfillQuarter(now time.Time, earliest period.Quarter) error {
	if e.Quarter == "" {
		return nil
	}
	if earliest.IsZero() {
		earliest = DefaultEarliestQuarter
	}
	q, _ := period.Parse(e.Quarter)
	switch {
	case q.Before(earliest):
		return fmt.Errorf("%s event: quarter: %s is before the earliest quarter configured (%s, EARLIEST_QUARTER)", e.Job, q, earliest)
	case period.Of(now).Before(q):
		return fmt.Errorf("%s event: quarter: %s is after the current quarter (%s)", e.Job, q, period.Of(now))
	}
	return nil
}

// Backfill is the date range of a backfill event: from and to, or the named
// quarter's first day and the first day of the next.
func (e Event) Backfill() (from, to time.Time) {
	if e.Quarter != "" {
		q, _ := period.Parse(e.Quarter)
		return q.Start(), q.End()
	}
	from, _ = time.Parse(time.DateOnly, e.From)
	to, _ = time.Parse(time.DateOnly, e.To)
	return from, to
}
