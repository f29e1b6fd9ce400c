package awsenv

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/venn-revops/venn/shared/gluecatalog"
)

func TestConfigFromEnvClockAndLockMargin(t *testing.T) {
	base := map[string]string{"LAKE_BUCKET": "venn-lake", "RESULTS_TABLE": "venn-results"}
	tests := []struct {
		name       string
		env        map[string]string
		wantNow    time.Time
		wantMargin time.Duration
		wantErr    string
	}{
		{name: "defaults: wall clock, ledger margin"},
		{name: "pinned night", env: map[string]string{"VENN_NOW": "2026-11-20T02:00:00Z", "VENN_LOCK_MARGIN": "2s"},
			wantNow: time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC), wantMargin: 2 * time.Second},
		{name: "offset converted to UTC", env: map[string]string{"VENN_NOW": "2026-11-20T03:00:00+01:00"},
			wantNow: time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)},
		{name: "date only is not an instant", env: map[string]string{"VENN_NOW": "2026-11-20"}, wantErr: "VENN_NOW"},
		{name: "margin without unit", env: map[string]string{"VENN_LOCK_MARGIN": "5"}, wantErr: "VENN_LOCK_MARGIN"},
		{name: "negative margin", env: map[string]string{"VENN_LOCK_MARGIN": "-1s"}, wantErr: "VENN_LOCK_MARGIN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := envWith(base, tt.env)
			c, err := ConfigFromEnv(getenv)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("want an error naming %s, got %v", tt.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !c.Now.Equal(tt.wantNow) || c.LockMargin != tt.wantMargin {
				t.Fatalf("now %v margin %v, want %v %v", c.Now, c.LockMargin, tt.wantNow, tt.wantMargin)
			}
		})
	}
}

func TestPinnedClockAdvances(t *testing.T) {
	if pinnedClock(time.Time{}) != nil {
		t.Fatal("no VENN_NOW must leave the wall clock (nil) in place")
	}
	start := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
	clock := pinnedClock(start)
	a := clock()
	time.Sleep(time.Millisecond) // run IDs have microsecond resolution
	b := clock()
	if a.Before(start) || !b.After(a) || b.Sub(start) > time.Minute {
		t.Fatalf("clock from %v read %v then %v", start, a, b)
	}
}

func TestGlueDatabaseWiring(t *testing.T) {
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	base := map[string]string{"LAKE_BUCKET": "venn-lake", "RESULTS_TABLE": "venn-results"}
	tests := []struct {
		name, database string
		wantCatalog    bool
		wantErr        string
	}{
		{name: "unset: local runs register nothing"},
		{name: "the template's venn_<stage>", database: "venn_prod", wantCatalog: true},
		{name: "a stage with a hyphen", database: "venn_eu-prod", wantCatalog: true},
		{name: "upper case", database: "Venn_Prod", wantErr: "GLUE_DATABASE"},
		{name: "a path", database: "venn/prod", wantErr: "GLUE_DATABASE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ConfigFromEnv(func(k string) string {
				if k == "GLUE_DATABASE" {
					return tt.database
				}
				return base[k]
			})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("want an error naming %s, got %v", tt.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.GlueDatabase != tt.database {
				t.Fatalf("GlueDatabase %q, want %q", c.GlueDatabase, tt.database)
			}
			env, cl, err := New(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			_, isGlue := env.Catalog.(*gluecatalog.Catalog)
			if isGlue != tt.wantCatalog || (env.Catalog != nil) != tt.wantCatalog || (cl.Glue != nil) != tt.wantCatalog {
				t.Fatalf("catalog %T, glue client %v; want a Glue catalog: %v", env.Catalog, cl.Glue != nil, tt.wantCatalog)
			}
		})
	}
}

// The handler must see the payload as sent, trailing data included, so
// pipeline.ParseEvent can refuse it (the e2e test in functions/ covers the
// whole path through the Lambda runtime).
func TestRawPayloadIsPassedAsSent(t *testing.T) {
	var seen []byte
	var h lambda.Handler = rawPayload(func(_ context.Context, raw json.RawMessage) (json.RawMessage, error) {
		seen = raw
		return json.RawMessage(`{"ok":true}`), nil
	})
	payload := []byte(`{"job":"kpi"} {"job":"payouts"}`)
	out, err := h.Invoke(context.Background(), payload)
	if err != nil || string(out) != `{"ok":true}` || string(seen) != string(payload) {
		t.Fatalf("handler saw %q, returned %q, %v", seen, out, err)
	}
}

func TestConfigFromEnvValidation(t *testing.T) {
	base := map[string]string{"LAKE_BUCKET": "venn-lake", "RESULTS_TABLE": "venn-results"}
	tests := []struct {
		name    string
		env     map[string]string
		check   func(Config) bool
		wantErr []string
	}{
		{name: "extract tuning", env: map[string]string{"BULK_THRESHOLD": "250000", "EXTRACT_OVERLAP": "15m", "EXTRACT_DEADLINE_MARGIN": "45s", "PII_CLEAR": "Contact.Phone,User.Email"},
			check: func(c Config) bool {
				return c.BulkThreshold == 250000 && c.Overlap == 15*time.Minute && c.DeadlineMargin == 45*time.Second && len(c.PIIClear) == 2 && c.PIIClear[1] == "User.Email"
			}},
		{name: "zero deadline margin", env: map[string]string{"EXTRACT_DEADLINE_MARGIN": "0s"}, wantErr: []string{"EXTRACT_DEADLINE_MARGIN"}},
		{name: "sliced loads", env: map[string]string{"EXTRACT_SLICE_MIN_ROWS": "20000000", "EXTRACT_SLICE_ROWS": "2000000"},
			check: func(c Config) bool { return c.SliceMinRows == 20_000_000 && c.SliceRows == 2_000_000 }},
		{name: "slicing off", env: map[string]string{"EXTRACT_SLICE_MIN_ROWS": "-1"}, check: func(c Config) bool { return c.SliceMinRows == -1 }},
		{name: "bad slicing", env: map[string]string{"EXTRACT_SLICE_MIN_ROWS": "0", "EXTRACT_SLICE_ROWS": "-5"}, wantErr: []string{"EXTRACT_SLICE_MIN_ROWS", "EXTRACT_SLICE_ROWS"}},
		{name: "every bad variable named at once", env: map[string]string{"LAKE_BUCKET": "", "RESULTS_TABLE": "ab", "BULK_THRESHOLD": "lots", "EXTRACT_OVERLAP": "-1m", "LOG_LEVEL": "chatty"},
			wantErr: []string{"LAKE_BUCKET is required", "RESULTS_TABLE \"ab\"", "BULK_THRESHOLD", "EXTRACT_OVERLAP", "LOG_LEVEL"}},
		{name: "zero threshold", env: map[string]string{"BULK_THRESHOLD": "0"}, wantErr: []string{"BULK_THRESHOLD"}},
		{name: "active currencies", env: map[string]string{"CRM_CURRENCIES": "USD,EUR"},
			check: func(c Config) bool { return len(c.Currencies) == 2 && c.Currencies[1] == "EUR" }},
		{name: "earliest quarter and stage", env: map[string]string{"EARLIEST_QUARTER": "2024Q1", "VENN_STAGE": "prod"},
			check: func(c Config) bool { return c.EarliestQuarter.String() == "2024Q1" && c.Stage == "prod" }},
		{name: "bad earliest quarter", env: map[string]string{"EARLIEST_QUARTER": "2024Q5"}, wantErr: []string{`EARLIEST_QUARTER: quarter "2024Q5": quarter must be 1 to 4`}},
		{name: "configuration store", env: map[string]string{"CONFIG_URI": "s3://venn-lake/config/"},
			check: func(c Config) bool { return c.ConfigURI == "s3://venn-lake/config/" }},
		{name: "configuration store on another scheme", env: map[string]string{"CONFIG_URI": "gs://venn/config"}, wantErr: []string{`CONFIG_URI "gs://venn/config": want s3://bucket/prefix or a store folder`}},
		{name: "configuration store and EXTRACT_CONFIG", env: map[string]string{"CONFIG_URI": "s3://venn-lake/config/", "EXTRACT_CONFIG": "/var/task/extract.yaml"},
			wantErr: []string{"EXTRACT_CONFIG and CONFIG_URI are both set: put the extract configuration in the store as extract.yaml"}},
		{name: "kpi on athena off", env: map[string]string{"KPI_ATHENA_MIN_ROWS": "0", "ATHENA_WORKGROUP": "venn-prod-kpi"},
			check: func(c Config) bool { return c.KPIAthenaMinRows == 0 && c.AthenaWorkgroup == "venn-prod-kpi" }},
		{name: "kpi on athena without glue", env: map[string]string{"KPI_ATHENA_MIN_ROWS": "50000000"}, wantErr: []string{"KPI_ATHENA_MIN_ROWS needs GLUE_DATABASE"}},
		{name: "kpi on athena, bad size and output", env: map[string]string{"KPI_ATHENA_MIN_ROWS": "many", "ATHENA_OUTPUT": "/tmp/x"},
			wantErr: []string{`KPI_ATHENA_MIN_ROWS "many"`, `ATHENA_OUTPUT "/tmp/x": want an s3:// location`}},
		// Accepted: the generator covers the whole catalog (a KPI without
		// SQL would be refused here, athenakpi.Complete).
		{name: "kpi on athena", env: map[string]string{"KPI_ATHENA_MIN_ROWS": "50000000", "GLUE_DATABASE": "venn_prod"},
			check: func(c Config) bool { return c.KPIAthenaMinRows == 50000000 }},
		{name: "not a currency", env: map[string]string{"CRM_CURRENCIES": "USD,XYZ"}, wantErr: []string{`CRM_CURRENCIES "USD,XYZ": active currency "XYZ" is not an ISO 4217 code`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := envWith(base, tt.env)
			c, err := ConfigFromEnv(getenv)
			for _, want := range tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("want an error naming %s, got %v", want, err)
				}
			}
			if tt.wantErr == nil && (err != nil || !tt.check(c)) {
				t.Errorf("config %+v, err %v", c, err)
			}
		})
	}
}

// envWith is a getenv over base, overridden by over (an empty value unsets).
func envWith(base, over map[string]string) func(string) string {
	return func(k string) string {
		if v, ok := over[k]; ok {
			return v
		}
		return base[k]
	}
}

// JobConfigFromEnv (the venn command's local runs) needs no storage
// variables and ignores them, but reads and checks every other one as
// ConfigFromEnv does.
func TestJobConfigFromEnv(t *testing.T) {
	c, err := JobConfigFromEnv(envWith(map[string]string{"LAKE_BUCKET": "stray", "RESULTS_TABLE": "x"}, map[string]string{"VENN_NOW": "2026-11-20T02:00:00Z"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.LakeBucket != "" || c.ResultsTable != "" || !c.Now.Equal(time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)) {
		t.Errorf("config %+v: want no storage and the pinned clock", c)
	}
	if _, err := JobConfigFromEnv(envWith(nil, map[string]string{"EARLIEST_QUARTER": "2026Q5"})); err == nil || !strings.Contains(err.Error(), "EARLIEST_QUARTER") {
		t.Errorf("bad EARLIEST_QUARTER: %v", err)
	}
	if _, err := ConfigFromEnv(envWith(nil, nil)); err == nil || !strings.Contains(err.Error(), "LAKE_BUCKET is required") {
		t.Errorf("ConfigFromEnv without storage: %v", err)
	}
}
