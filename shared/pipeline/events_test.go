package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
		{"approve", "{\"quarter\":\"2026Q3\",\"action\":\"approve\",\"approver\":\"\xff\"}", "invalid UTF-8"},
		{"extract", `{"job":"kpi"}`, `this function runs "extract"`},
		{"kpi", `{"job":"kpi","mode":"qtd"}`, ""},
		{"kpi", `{"mode":"rerun","quarter":"2026Q5"}`, "quarter must be 1 to 4"},
		{"kpi", `{"mode":"weekly"}`, "is not qtd, close or rerun"},
		{"payouts", `{"mode":"qtd"}`, "not quarter to date"},
		{"approve", `{"quarter":"2026Q3","action":"approve","approver":"jane@corp"}`, ""},
		{"approve", `{"quarter":"2026Q3","action":"approve"}`, "approver: required"},
		{"approve", `{"quarter":"2026Q3","action":"delete","approver":"x"}`, "not approve or finalize"},
		{"approve", `{"quarter":"2026Q3","action":"approve","approver":"x"} {}`, "trailing data"},
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

func TestEventQuarters(t *testing.T) {
	now := time.Date(2026, 10, 1, 6, 0, 0, 0, time.UTC) // the quarterly close schedule fires
	e, _ := ParseEvent([]byte(`{"mode":"close"}`), "kpi")
	q, asOf, final := e.Quarters(now)
	if q.String() != "2026Q3" || !final || !asOf.Equal(time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("close: %v %v %v", q, asOf, final)
	}
	e, _ = ParseEvent([]byte(`{"mode":"qtd"}`), "kpi")
	q, asOf, final = e.Quarters(time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC))
	if q.String() != "2026Q4" || final || asOf.Day() != 20 {
		t.Errorf("qtd: %v %v %v", q, asOf, final)
	}
	e, _ = ParseEvent([]byte(`{"mode":"rerun","quarter":"2025Q4"}`), "payouts")
	if q, _, final = e.Quarters(now); q.String() != "2025Q4" || !final {
		t.Errorf("rerun: %v", q)
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
