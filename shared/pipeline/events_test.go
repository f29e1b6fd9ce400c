package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/period"
)

func TestParseEvent(t *testing.T) {
	tests := []struct {
		job, raw string
		wantErr  string
	}{
		{"extract", `{"job":"extract","mode":"nightly","objects":["Lead"]}`, ""},
		{"extract", `{}`, ""},
		{"extract", `{"mode":"backfill","from":"2026-01-01","to":"2026-02-01"}`, ""},
		{"extract", `{"mode":"backfill","from":"2026-02-01","to":"2026-01-01"}`, "from must be before to"},
		{"extract", `{"mode":"backfill"}`, "backfill needs from and to"},
		{"extract", `{"objects":["Lead s"]}`, `"Lead s" is not a Salesforce object API name`},
		{"extract", `{"objects":["Order"]}`, ""},           // a standard object the configuration may add: checked when run
		{"extract", `{"objects":["Subscription__c"]}`, ""}, // checked against the extract configuration when run
		{"extract", `{"mode":"nightly","obejcts":["Lead"]}`, "unknown object member"},
		{"kpi", `{"mode":"rerun","quarter":"2026Q3","quarter":"2025Q1"}`, "duplicate object member"},
		{"kpi", `{"mode":"rerun","Quarter":"2026Q3"}`, "unknown object member"},
		{"approve", "{\"quarter\":\"2026Q3\",\"action\":\"approve\",\"people\":[\"\xff\"]}", "invalid UTF-8"},
		{"extract", `{"job":"kpi"}`, `this function runs "extract"`},
		{"kpi", `{"job":"kpi","mode":"qtd"}`, ""},
		{"kpi", `{"job":"kpi","mode":"qtd","defer":true}`, ""},
		{"kpi", `{"job":"kpi","query":{"ids":["q1","q2","q3"],"quarter":"2026Q4","asof":"2026-11-20T02:00:00Z","final":false,"config_hash":"h","inputs":{"Lead":"crm/snapshot/object=Lead/dt=2026-11-20/_manifest-000001.json"}}}`, ""},
		{"kpi", `{"job":"kpi","mode":"qtd","query":{"ids":["q1","q2","q3"],"quarter":"2026Q4","asof":"2026-11-20T02:00:00Z","config_hash":"h","inputs":{"Lead":"k"}}}`, "a query carries its own period"},
		{"kpi", `{"job":"kpi","query":{"quarter":"2026Q4","asof":"2026-11-20T02:00:00Z","config_hash":"h","inputs":{"Lead":"k"}}}`, "query.ids: required"},
		{"kpi", `{"job":"kpi","query":{"ids":["q1","q2","q3"],"quarter":"2026Q9","asof":"2026-11-20T02:00:00Z","config_hash":"h","inputs":{"Lead":"k"}}}`, "query.quarter"},
		{"kpi", `{"job":"kpi","query":{"ids":["q1","q2","q3"],"quarter":"2026Q4","asof":"2026-11-20T02:00:00Z","config_hash":"h"}}`, "query.inputs: required"},
		{"kpi", `{"job":"kpi","query":{"ids":["q1","q2","q3"],"quarter":"2026Q4","asof":"2026-11-20T02:00:00Z","config_hash":"h","inputs":{"Lead":"k"},"sql":"x"}}`, "unknown"},
		{"score", `{"job":"score","defer":true}`, "defer: the score job does not use it"},
		{"payouts", `{"job":"payouts","query":{"ids":["q1"]}}`, "query: the payouts job does not use it"},
		{"kpi", `{"mode":"rerun","quarter":"2026Q5"}`, "quarter must be 1 to 4"},
		{"kpi", `{"mode":"weekly"}`, "is not qtd, close or rerun"},
		{"approve", `{"quarter":"2026Q3","action":"acknowledge","plan":"ae@v1","sha256":"` + strings.Repeat("a", 64) + `"}`, ""},
		{"approve", `{"quarter":"2026Q3","action":"acknowledge","plan":"ae@v1","sha256":"abc"}`, "sha256: the plan file's full SHA-256"},
		{"approve", `{"quarter":"2026Q3","action":"acknowledge","plan":"ae","sha256":"` + strings.Repeat("a", 64) + `"}`, "is not a plan version id@vN"},
		{"approve", `{"quarter":"2026Q3","action":"acknowledge","plan":"ae@v1","sha256":"` + strings.Repeat("a", 64) + `","people":["a","b"]}`, "at most one person"},
		{"approve", `{"quarter":"2026Q3","action":"approve","plan":"ae@v1"}`, "only the acknowledge action takes them"},
		{"payouts", `{"mode":"qtd"}`, ""}, // the quarter to date and the what-if
		{"payouts", `{"mode":"qtd","asof":"2026-08-10"}`, ""},
		{"approve", `{"quarter":"2026Q3","action":"approve"}`, ""},
		// who approves is the authenticated caller, never a field
		{"approve", `{"quarter":"2026Q3","action":"approve","approver":"jane@corp"}`, "approver: not accepted: the approver is the authenticated caller"},
		{"approve", `{"quarter":"2026Q3","action":"finalize","approver":"x","people":[]}`, "approver: not accepted"},
		{"approve", `{"quarter":"2026Q3","action":"approve","people":["005000000000001AAA",""]}`, "people[1]: empty person Id"},
		{"approve", `{"quarter":"2026Q3","action":"delete"}`, "is not approve, finalize, acknowledge or a dispute action"},
		{"approve", `{"quarter":"2026Q3","action":"approve"} {}`, "trailing data"},
		// quarter: honoured or refused, never ignored
		{"kpi", `{"quarter":"2026Q2"}`, ""},                    // close of the named quarter
		{"payouts", `{"mode":"close","quarter":"2026Q2"}`, ""}, // likewise
		{"kpi", `{"mode":"qtd","quarter":"2026Q4"}`, ""},       // checked against asof when run
		{"kpi", `{"mode":"rerun"}`, "quarter: required"},
		{"payouts", `{"mode":"rerun","quarter":"2026Q0"}`, "quarter must be 1 to 4"},
		{"kpi", `{"quarter":"2026Q5"}`, "quarter: quarter \"2026Q5\": quarter must be 1 to 4"},
		{"kpi", `{"quarter":"26Q1"}`, "want YYYYQn"},
		{"kpi", `{"mode":"qtd","quarter":"2026-Q4"}`, "want YYYYQn"},
		{"kpi", `{"mode":"rerun","quarter":"2026Q3","asof":"2026-09-01"}`, "asof: a rerun recomputes"},
		{"kpi", `{"mode":"close","quarter":"2026Q3","asof":"2026-10-02"}`, "asof: close takes the quarter or an asof"},
		{"extract", `{"quarter":"2026Q2"}`, "quarter: only a backfill pulls by date"},
		{"extract", `{"mode":"full_resync","quarter":"2026Q2"}`, "quarter: only a backfill"},
		{"extract", `{"mode":"plan","quarter":"2026Q2"}`, "quarter: only a backfill"},
		{"extract", `{"mode":"backfill","quarter":"2026Q2"}`, ""},
		{"extract", `{"mode":"backfill","quarter":"2026Q2","from":"2026-01-01"}`, "either a quarter or from and to"},
		{"extract", `{"mode":"backfill","quarter":"2026Q9"}`, "quarter must be 1 to 4"},
		// a field the job does not read is refused, not ignored
		{"extract", `{"asof":"2026-01-01"}`, "asof: the extract job does not use it"},
		{"kpi", `{"objects":["Lead"]}`, "objects: the kpi job does not use it"},
		{"payouts", `{"approver":"jane@corp"}`, "approver: not accepted"},
		{"approve", `{"mode":"close","quarter":"2026Q3","action":"approve"}`, "mode: the approve job does not use it"},
		{"approve", `{"quarter":"2026Q3","action":"approve","people":[]}`, ""},
		// Disputes: the request in dispute, checked without quoting its text or amount.
		{"approve", `{"quarter":"2026Q2","action":"raise","dispute":{"person":"005A","line":"bonus/x","text":"why?"}}`, ""},
		{"approve", `{"quarter":"2026Q2","action":"raise","dispute":{"person":"005A","text":"why?"}}`, "raise needs person (whose statement) and line"},
		{"approve", `{"quarter":"2026Q2","action":"raise","dispute":{"id":"2026Q2/005A/1","person":"005A","line":"l","text":"x"}}`, "raise opens a new dispute"},
		{"approve", `{"quarter":"2026Q2","action":"raise"}`, "dispute: required for raise"},
		{"approve", `{"quarter":"2026Q2","action":"read","dispute":{"id":"2026Q2/005A/1"}}`, ""},
		{"approve", `{"quarter":"2026Q2","action":"read","dispute":{"person":"005A"}}`, ""},
		{"approve", `{"quarter":"2026Q2","action":"read","dispute":{"id":"2026Q2/005A/1","person":"005A"}}`, "read names one dispute (id) or a person"},
		{"approve", `{"quarter":"2026Q2","action":"read","dispute":{"id":"2026Q2/005A/1","text":"x"}}`, "read takes only id or person"},
		{"approve", `{"quarter":"2026Q2","action":"read","dispute":{"id":"2026Q3/005A/1"}}`, "want 2026Q2/<person id>/<n>"},
		{"approve", `{"quarter":"2026Q2","action":"answer","dispute":{"id":"2026Q2/005A/1","text":" "}}`, "dispute.text: required"},
		{"approve", `{"quarter":"2026Q2","action":"answer","dispute":{"id":"2026Q3/005A/1","text":"x"}}`, "want 2026Q2/<person id>/<n>"},
		{"approve", `{"quarter":"2026Q2","action":"answer","dispute":{"id":"2026Q2/005A/1","text":"x","amount":"1"}}`, "only resolve takes an outcome or amount"},
		{"approve", `{"quarter":"2026Q2","action":"resolve","dispute":{"id":"2026Q2/005A/1","text":"x","outcome":"adjustment","amount":"12,345.67"}}`, "dispute.amount: not a decimal amount (e.g."},
		{"approve", `{"quarter":"2026Q2","action":"resolve","dispute":{"id":"2026Q2/005A/1","text":"x","outcome":"adjustment"}}`, "an adjustment needs an amount"},
		{"approve", `{"quarter":"2026Q2","action":"resolve","dispute":{"id":"2026Q2/005A/1","text":"x","outcome":"maybe"}}`, "resolve needs no_change or adjustment"},
		{"approve", `{"quarter":"2026Q2","action":"resolve","dispute":{"id":"2026Q2/005A/1","version":3,"text":"x","outcome":"adjustment","amount":"-120.50"}}`, ""},
		{"approve", `{"quarter":"2026Q2","action":"withdraw","people":["005A"],"dispute":{"id":"2026Q2/005A/1","text":"x"}}`, "people: a dispute action names its dispute"},
		{"approve", `{"quarter":"2026Q2","action":"approve","dispute":{"id":"2026Q2/005A/1","text":"x"}}`, "only dispute actions"},
		{"approve", `{"quarter":"2026Q2","action":"raise","dispute":{"person":"005A","line":"l","text":"x","txt":"y"}}`, "unknown object member"},
		{"kpi", `{"dispute":{"text":"x"}}`, "dispute: the kpi job does not use it"},
	}
	for _, tt := range tests {
		_, err := ParseEvent([]byte(tt.raw), tt.job)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s %s: %v", tt.job, tt.raw, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s %s: want error containing %q, got %v", tt.job, tt.raw, tt.wantErr, err)
		}
	}
}

func TestEventResolve(t *testing.T) {
	close := time.Date(2026, 10, 1, 6, 0, 0, 0, time.UTC) // the quarterly close schedule fires
	night := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
	end := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		job, raw string
		now      time.Time
		earliest string // "" = the default
		wantQ    string
		wantAsOf time.Time
		final    bool
		wantErr  string
	}{
		{"kpi", `{"mode":"close"}`, close, "", "2026Q3", end(2026, 10, 1), true, ""},
		{"kpi", `{}`, close, "", "2026Q3", end(2026, 10, 1), true, ""},
		{"kpi", `{"mode":"close","asof":"2026-07-15"}`, close, "", "2026Q2", end(2026, 7, 1), true, ""},
		{"kpi", `{"mode":"qtd"}`, night, "", "2026Q4", end(2026, 11, 20).Add(2 * time.Hour), false, ""},
		{"kpi", `{"mode":"qtd","asof":"2026-11-19"}`, night, "", "2026Q4", end(2026, 11, 20).Add(-time.Microsecond), false, ""},
		{"kpi", `{"mode":"qtd","asof":"2026-11-21"}`, night, "", "", time.Time{}, false, "asof: 2026-11-21 is after today (2026-11-20)"},
		{"kpi", `{"mode":"qtd","quarter":"2026Q4"}`, night, "", "2026Q4", end(2026, 11, 20).Add(2 * time.Hour), false, ""},
		{"kpi", `{"mode":"qtd","quarter":"2026Q2"}`, night, "", "", time.Time{}, false, "quarter: qtd computes the quarter to date of 2026-11-20 (2026Q4), not 2026Q2"},
		{"kpi", `{"mode":"rerun","quarter":"2025Q4"}`, close, "", "2025Q4", end(2026, 1, 1), true, ""},
		// the case: a quarter without mode is that quarter's close, not the current one
		{"kpi", `{"quarter":"2026Q2"}`, night, "", "2026Q2", end(2026, 7, 1), true, ""},
		{"payouts", `{"quarter":"2026Q2"}`, night, "", "2026Q2", end(2026, 7, 1), true, ""},
		{"payouts", `{"mode":"rerun","quarter":"2026Q4"}`, night, "", "", time.Time{}, false, "quarter: 2026Q4 has not closed yet"},
		{"kpi", `{"mode":"rerun","quarter":"9999Q4"}`, night, "", "", time.Time{}, false, "quarter: 9999Q4 has not closed yet"},
		{"kpi", `{"mode":"rerun","quarter":"1999Q1"}`, night, "", "", time.Time{}, false, "quarter: 1999Q1 is before the earliest quarter configured (2000Q1"},
		{"kpi", `{"mode":"rerun","quarter":"2024Q4"}`, night, "2025Q1", "", time.Time{}, false, "quarter: 2024Q4 is before the earliest quarter configured (2025Q1"},
		{"kpi", `{"mode":"rerun","quarter":"2025Q1"}`, night, "2025Q1", "2025Q1", end(2025, 4, 1), true, ""},
	}
	for _, tt := range tests {
		ev, err := ParseEvent([]byte(tt.raw), tt.job)
		if err != nil {
			t.Fatalf("%s: %v", tt.raw, err)
		}
		var earliest period.Quarter
		if tt.earliest != "" {
			earliest = period.MustParse(tt.earliest)
		}
		got, err := ev.Resolve(tt.now, earliest)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), tt.job+" event: ") {
				t.Errorf("%s at %s: want error %q, got %v (%+v)", tt.raw, tt.now, tt.wantErr, err, got)
			}
			continue
		}
		if err != nil || got.Quarter.String() != tt.wantQ || !got.AsOf.Equal(tt.wantAsOf) || got.Final != tt.final {
			t.Errorf("%s at %s: got %v %v %v (%v), want %s %v %v", tt.raw, tt.now, got.Quarter, got.AsOf, got.Final, err, tt.wantQ, tt.wantAsOf, tt.final)
		}
	}
}

func TestBackfillQuarter(t *testing.T) {
	night := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
	tests := []struct {
		raw      string
		from, to string
		wantErr  string
	}{
		{`{"mode":"backfill","quarter":"2026Q2"}`, "2026-04-01", "2026-07-01", ""},
		{`{"mode":"backfill","quarter":"2026Q4"}`, "2026-10-01", "2027-01-01", ""},
		{`{"mode":"backfill","from":"2026-01-05","to":"2026-02-01"}`, "2026-01-05", "2026-02-01", ""},
		{`{"mode":"backfill","quarter":"2027Q1"}`, "", "", "quarter: 2027Q1 is after the current quarter (2026Q4)"},
		{`{"mode":"backfill","quarter":"1999Q4"}`, "", "", "quarter: 1999Q4 is before the earliest quarter configured"},
	}
	for _, tt := range tests {
		ev, err := ParseEvent([]byte(tt.raw), "extract")
		if err != nil {
			t.Fatalf("%s: %v", tt.raw, err)
		}
		err = ev.CheckBackfillQuarter(night, period.Quarter{})
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: want %q, got %v", tt.raw, tt.wantErr, err)
			}
			continue
		}
		from, to := ev.Backfill()
		if err != nil || from.Format(time.DateOnly) != tt.from || to.Format(time.DateOnly) != tt.to {
			t.Errorf("%s: %s..%s (%v), want %s..%s", tt.raw, from, to, err, tt.from, tt.to)
		}
	}
}

// Every sample event shipped beside a function parses for that function.
func TestSampleEvents(t *testing.T) {
	files, err := filepath.Glob("../../functions/*/event*.json")
	if err != nil || len(files) < 4 {
		t.Fatalf("sample events: %v %v", files, err)
	}
	for _, f := range files {
		job := filepath.Base(filepath.Dir(f))
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseEvent(raw, job); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
