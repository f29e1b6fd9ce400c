package kpi

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/period"
)

// responseBlock is the lead_response section response-org.yaml is worked
// under (testdata/config.yaml keeps the old two-key form, which must still
// load).
const responseBlock = `lead_response:
  sla_hours: 24
  task_types: [Call, Email, Meeting]
  clock_start: mql
  responder: created_by
  exclude:
    users: [005000000000008]
    profiles: [00e000000000001AAA]
    user_types: [AutomatedProcess]
`

// responseConfig is testdata/config.yaml with responseBlock, edited by the
// replacements (old, new pairs).
func responseConfig(t *testing.T, edits ...string) *Config {
	t.Helper()
	data, err := os.ReadFile("testdata/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	i := strings.Index(s, "lead_response:\n")
	j := strings.Index(s, "meetings:\n")
	if i < 0 || j < i {
		t.Fatal("testdata/config.yaml: no lead_response block before meetings")
	}
	block := responseBlock
	for k := 0; k+1 < len(edits); k += 2 {
		if !strings.Contains(block, edits[k]) {
			t.Fatalf("response block has no %q", edits[k])
		}
		block = strings.Replace(block, edits[k], edits[k+1], 1)
	}
	cfg, err := LoadConfig("response-config.yaml", []byte(s[:i]+block+"\n"+s[j:]))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestResponseOrg checks the hand-worked values of response-org.yaml under
// both responder rules.
func TestResponseOrg(t *testing.T) {
	checkExpect(t, responseConfig(t), "response-org.yaml", "response-org.expect.yaml")
	checkExpect(t, responseConfig(t, "responder: created_by", "responder: owner"), "response-org.yaml", "response-org.owner.expect.yaml")
}

// TestResponseRows checks every response row of response-org.yaml on Aug 10
// against the hand-worked table in the fixture's comments.
func TestResponseRows(t *testing.T) {
	asOf := time.Date(2026, 8, 10, 0, 0, 0, 0, time.UTC)
	p := Period{Quarter: period.MustParse("2026Q3"), AsOf: asOf}
	res, err := Compute(responseConfig(t), loadFixture(t, "response-org.yaml"), p, WithResponses())
	if err != nil {
		t.Fatal(err)
	}
	yes, no := true, false
	at := func(s string) *int64 { return tsp(t, s) }
	hours := func(micro int64) *int64 { return &micro } // 10⁻⁶ h
	want := []struct {
		lead, mql, responded, by string
		hours                    *int64
		within                   *bool
		waiting, queued          bool
		owner, team              string
	}{
		{"R1", "2026-08-01T09:00:00Z", "2026-08-01T12:00:00Z", "U1", hours(3_000_000), &yes, false, false, "U1", "East"},
		{"R2", "2026-08-02T10:00:00Z", "2026-08-03T16:00:00Z", "U2", hours(30_000_000), &no, false, false, "U1", "East"},
		{"R3", "2026-08-03T00:00:00Z", "2026-08-03T06:00:00Z", "U2", hours(6_000_000), &yes, false, false, "U2", "West"},
		{"R4", "2026-08-04T00:00:00Z", "", "", nil, &no, true, true, "00G000000000001EAA", ""},
		{"R5", "2026-08-05T00:00:00Z", "", "", nil, &no, true, false, "U2", "West"},
		{"R6", "2026-08-09T12:00:00Z", "", "", nil, nil, true, false, "U2", "West"},
		{"R7", "2026-08-06T00:00:00Z", "2026-08-07T00:00:00Z", "U1", hours(24_000_000), &yes, false, false, "U1", "East"},
	}
	rows := res.ResponseRows()
	if len(rows) != len(want) {
		t.Fatalf("%d response rows, want %d", len(rows), len(want))
	}
	eqp := func(a, b *int64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }
	for i, w := range want {
		r := rows[i]
		okWithin := r.WithinSLA == nil && w.within == nil || r.WithinSLA != nil && w.within != nil && *r.WithinSLA == *w.within
		if r.Lead != w.lead || r.MQLAt != ts(t, w.mql) || r.ClockStart != r.MQLAt || r.Deadline != r.MQLAt+24*hourMicros ||
			!eqp(r.RespondedAt, at(w.responded)) || r.Responder != w.by || !eqp(r.Hours, w.hours) || !okWithin ||
			r.Waiting != w.waiting || r.Queued != w.queued || r.Owner != w.owner || r.Team != w.team ||
			r.SLAHours != 24 || r.Quarter != "2026Q3" || r.Final || r.ConfigHash != res.ConfigHash {
			t.Errorf("row %d: got %+v (within %v), want %+v", i, r, r.WithinSLA, w)
		}
	}
	// Without the option no row is built.
	res, err = Compute(responseConfig(t), loadFixture(t, "response-org.yaml"), p)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Responses) != 0 {
		t.Errorf("%d responses without WithResponses", len(res.Responses))
	}
}

// TestResponseClockAtCreation: with clock_start lead_created, R1's clock
// starts at 08:00 (response T2 at 12:00: 4 h) and R3's at 08-02T12:00, so
// T5 at 20:00, before the MQL, answers it (8 h).
func TestResponseClockAtCreation(t *testing.T) {
	cfg := responseConfig(t, "clock_start: mql", "clock_start: lead_created")
	p := Period{Quarter: period.MustParse("2026Q3"), AsOf: time.Date(2026, 8, 10, 0, 0, 0, 0, time.UTC)}
	res, err := Compute(cfg, loadFixture(t, "response-org.yaml"), p, WithResponses())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Response{}
	for _, r := range res.Responses {
		got[r.Lead] = r
	}
	for lead, h := range map[string]int64{"R1": 4, "R3": 8} {
		r := got[lead]
		if r.Micros != h*hourMicros || r.ClockStart == r.MQLAt {
			t.Errorf("%s: %d µs from %d (MQL %d), want %d h from the lead's creation", lead, r.Micros, r.ClockStart, r.MQLAt, h)
		}
	}
}

// TestResponderByOwnerCounted: small-org's tasks carry no CreatedById (a
// lake older than the column); each qualifying one is judged by its owner
// and counted: T1, T2 (L1), T3 (L2), T4 (L3). T6 precedes L1's MQL, T5 is
// not a response type.
func TestResponderByOwnerCounted(t *testing.T) {
	res, err := Compute(loadTestConfig(t), loadFixture(t, "small-org.yaml"),
		Period{Quarter: period.MustParse("2026Q3"), AsOf: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Final: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.ResponderByOwner != 4 {
		t.Errorf("ResponderByOwner = %d, want 4", res.Stats.ResponderByOwner)
	}
}

func TestResponseConfig(t *testing.T) {
	// The old two-key form loads with the stated defaults.
	old := loadTestConfig(t).Response
	if old.ClockStart != ClockMQL || old.Responder != ResponderCreatedBy || len(old.ExcludeUsers)+len(old.ExcludeProfiles)+len(old.ExcludeUserTypes) != 0 || old.SLAHours != 24 {
		t.Errorf("old lead_response: %+v", old)
	}
	// 15-character Ids are keyed by their 18-character form.
	r := responseConfig(t).Response
	if !r.ExcludeUsers["005000000000008AAA"] || !r.ExcludeProfiles["00e000000000001AAA"] {
		t.Errorf("exclusions %+v", r)
	}
	if d := DefaultConfig().Response; d.Responder != ResponderCreatedBy || len(d.ExcludeUserTypes) != 1 || d.ExcludeUserTypes[0] != "AutomatedProcess" {
		t.Errorf("default lead_response: %+v", d)
	}
	cases := []struct{ name, old, new, want string }{
		{"bad clock", "clock_start: mql", "clock_start: first_touch", `lead_response.clock_start: want mql or lead_created, got "first_touch"`},
		{"bad responder", "responder: created_by", "responder: assignee", `lead_response.responder: want created_by or owner, got "assignee"`},
		{"user Id syntax", "users: [005000000000008]", "users: [005-bad]", `lead_response.exclude.users[0]: "005-bad" is not a 15- or 18-character Id`},
		{"user Id checksum", "users: [005000000000008]", "users: [005000000000008AAB]", "lead_response.exclude.users[0]: \"005000000000008AAB\" has a bad checksum"},
		{"profile in users", "users: [005000000000008]", "users: [00e000000000001AAA]", "lead_response.exclude.users[0]: \"00e000000000001AAA\" is not a User Id"},
		{"user in profiles", "profiles: [00e000000000001AAA]", "profiles: [005000000000008]", "lead_response.exclude.profiles[0]: \"005000000000008AAA\" is not a Profile Id"},
		{"unknown user type", "user_types: [AutomatedProcess]", "user_types: [Automated Process]", `lead_response.exclude.user_types[0]: unknown UserType "Automated Process"`},
		{"profiles without value", "profiles: [00e000000000001AAA]", "profiles:", "lead_response.exclude.profiles: a value is required"},
		{"unknown key", "  responder: created_by\n", "  responder: created_by\n  queues: []\n", `unknown key "queues"`},
	}
	base, err := os.ReadFile("testdata/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := string(base)
			block := strings.Replace(responseBlock, c.old, c.new, 1)
			i, j := strings.Index(s, "lead_response:\n"), strings.Index(s, "meetings:\n")
			_, err := LoadConfig("x.yaml", []byte(s[:i]+block+"\n"+s[j:]))
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "x.yaml: ") {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}
