package score

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/venn-revops/venn/shared/yamlstrict"

	scoreconfig "github.com/venn-revops/venn/shared/config/score"
)

// ConfigSchemaVersion is the version: a configuration file must declare.
const ConfigSchemaVersion = 1

// TargetKind is what counts as a lead's success.
type TargetKind string

// The targets a configuration may name.
const (
	// TargetConverted: the lead was converted.
	TargetConverted TargetKind = "converted"
	// TargetConvertedWithOpportunity: converted into an opportunity.
	TargetConvertedWithOpportunity TargetKind = "converted_with_opportunity"
	// TargetWonRevenue: the opportunity it converted into was won.
	TargetWonRevenue TargetKind = "won_revenue"
)

// Config is a validated scoring configuration (LoadConfig).
type Config struct {
	Name string // where it came from, for errors and stored results
	Hash string // SHA-256 of the file: part of every run's input hash

	Target        TargetKind
	HorizonDays   int
	Fields        []string // categorical lake columns, in file order
	TitleField    string   // "" for none
	WindowDays    int
	MinValueCount int
	L2            float64
	MaxIterations int
	TestFraction  float64

	MinConversions     int
	MinTestConversions int
	MaxAUCDrop         float64
	TopFactors         int
	LeadItems          bool // each open lead's score in the results table too
	ClosedStatuses     []string

	Writeback Writeback
}

// Writeback says whether and where scores are written back to the CRM.
type Writeback struct {
	Enabled      bool
	DryRun       bool
	ScoreField   string
	FactorsField string
}

type rawConfig struct {
	Version *int `yaml:"version"`
	Target  *struct {
		Kind        *string `yaml:"kind"`
		HorizonDays *int    `yaml:"horizon_days"`
	} `yaml:"target"`
	Features *struct {
		Fields        []string `yaml:"fields"`
		TitleField    *string  `yaml:"title_field"`
		WindowDays    *int     `yaml:"window_days"`
		MinValueCount *int     `yaml:"min_value_count"`
	} `yaml:"features"`
	Model *struct {
		L2            *float64 `yaml:"l2"`
		MaxIterations *int     `yaml:"max_iterations"`
	} `yaml:"model"`
	Split *struct {
		TestFraction *float64 `yaml:"test_fraction"`
	} `yaml:"split"`
	Publish *struct {
		MinConversions     *int     `yaml:"min_conversions"`
		MinTestConversions *int     `yaml:"min_test_conversions"`
		MaxAUCDrop         *float64 `yaml:"max_auc_drop"`
		TopFactors         *int     `yaml:"top_factors"`
		LeadItems          *bool    `yaml:"lead_items"`
		ClosedStatuses     []string `yaml:"closed_statuses"`
	} `yaml:"publish"`
	Writeback *struct {
		Enabled      *bool   `yaml:"enabled"`
		DryRun       *bool   `yaml:"dry_run"`
		ScoreField   *string `yaml:"score_field"`
		FactorsField *string `yaml:"factors_field"`
	} `yaml:"writeback"`
}

// column is the shape of a lake column name; fieldName of a Salesforce
// field API name (write-back targets).
var (
	column    = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	fieldName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)*__c$`)
)

// LoadConfig parses and validates a scoring configuration. name is used in
// errors ("score.yaml: target.horizon_days: must be 1–730, got 0"). Empty
// files, several documents, unknown keys, missing keys, keys without a
// value, aliases and out-of-range values are rejected, and so is a feature
// field that is an outcome field (OutcomeField).
func LoadConfig(name string, data []byte) (*Config, error) {
	fail := func(path, format string, args ...any) error {
		if path == "" {
			return fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...))
		}
		return fmt.Errorf("%s: %s: %s", name, path, fmt.Sprintf(format, args...))
	}
	var raw rawConfig
	if err := yamlstrict.Decode(data, fmt.Sprintf("a scoring configuration with version: %d", ConfigSchemaVersion), maxDepth, &raw); err != nil {
		return nil, fail(err.Path, "%s", err.Reason)
	}
	sum := sha256.Sum256(data)
	c := &Config{Name: name, Hash: hex.EncodeToString(sum[:])}
	if path, why := c.fill(&raw); why != "" {
		return nil, fail(path, "%s", why)
	}
	return c, nil
}

// DefaultConfig returns the embedded shared/config/score/default.yaml. It
// panics if that file is invalid, which its test prevents.
func DefaultConfig() *Config {
	c, err := LoadConfig(scoreconfig.DefaultName, scoreconfig.Default)
	if err != nil {
		panic(err)
	}
	return c
}

// maxDepth bounds nesting; the schema needs 3 levels.
const maxDepth = 6

func (c *Config) fill(r *rawConfig) (path, why string) {
	missing := func(p string) (string, string) { return p, "required" }
	switch {
	case r.Version == nil:
		return missing("version")
	case *r.Version != ConfigSchemaVersion:
		return "version", fmt.Sprintf("this build reads version %d, got %d", ConfigSchemaVersion, *r.Version)
	case r.Target == nil:
		return missing("target")
	case r.Target.Kind == nil:
		return missing("target.kind")
	case r.Target.HorizonDays == nil:
		return missing("target.horizon_days")
	case r.Features == nil:
		return missing("features")
	case r.Features.Fields == nil:
		return missing("features.fields")
	case r.Features.TitleField == nil:
		return missing("features.title_field")
	case r.Features.WindowDays == nil:
		return missing("features.window_days")
	case r.Features.MinValueCount == nil:
		return missing("features.min_value_count")
	case r.Model == nil:
		return missing("model")
	case r.Model.L2 == nil:
		return missing("model.l2")
	case r.Model.MaxIterations == nil:
		return missing("model.max_iterations")
	case r.Split == nil || r.Split.TestFraction == nil:
		return missing("split.test_fraction")
	case r.Publish == nil:
		return missing("publish")
	case r.Publish.MinConversions == nil:
		return missing("publish.min_conversions")
	case r.Publish.MinTestConversions == nil:
		return missing("publish.min_test_conversions")
	case r.Publish.MaxAUCDrop == nil:
		return missing("publish.max_auc_drop")
	case r.Publish.TopFactors == nil:
		return missing("publish.top_factors")
	case r.Publish.LeadItems == nil:
		return missing("publish.lead_items")
	case r.Publish.ClosedStatuses == nil:
		return missing("publish.closed_statuses")
	case r.Writeback == nil:
		return missing("writeback")
	case r.Writeback.Enabled == nil:
		return missing("writeback.enabled")
	case r.Writeback.DryRun == nil:
		return missing("writeback.dry_run")
	case r.Writeback.ScoreField == nil:
		return missing("writeback.score_field")
	case r.Writeback.FactorsField == nil:
		return missing("writeback.factors_field")
	}
	c.Target = TargetKind(*r.Target.Kind)
	switch c.Target {
	case TargetConverted, TargetConvertedWithOpportunity, TargetWonRevenue:
	default:
		return "target.kind", fmt.Sprintf("%q is not converted, converted_with_opportunity or won_revenue", c.Target)
	}
	c.HorizonDays = *r.Target.HorizonDays
	if c.HorizonDays < 1 || c.HorizonDays > 730 {
		return "target.horizon_days", fmt.Sprintf("must be 1–730, got %d", c.HorizonDays)
	}
	seen := map[string]bool{}
	for i, f := range r.Features.Fields {
		p := fmt.Sprintf("features.fields[%d]", i)
		switch {
		case !column.MatchString(f):
			return p, fmt.Sprintf("%q is not a lake column name (lower case, digits, _)", f)
		case seen[f]:
			return p, fmt.Sprintf("%q is listed twice", f)
		}
		if why := OutcomeField(f); why != "" {
			return p, fmt.Sprintf("%q cannot be a feature: %s", f, why)
		}
		seen[f] = true
		c.Fields = append(c.Fields, f)
	}
	c.TitleField = *r.Features.TitleField
	if c.TitleField != "" {
		switch {
		case !column.MatchString(c.TitleField):
			return "features.title_field", fmt.Sprintf("%q is not a lake column name", c.TitleField)
		case seen[c.TitleField]:
			return "features.title_field", fmt.Sprintf("%q is also listed in features.fields", c.TitleField)
		}
		if why := OutcomeField(c.TitleField); why != "" {
			return "features.title_field", fmt.Sprintf("%q cannot be a feature: %s", c.TitleField, why)
		}
	}
	c.WindowDays = *r.Features.WindowDays
	if c.WindowDays < 0 || c.WindowDays >= c.HorizonDays {
		return "features.window_days", fmt.Sprintf("must be 0 or more and below target.horizon_days (%d), got %d", c.HorizonDays, c.WindowDays)
	}
	c.MinValueCount = *r.Features.MinValueCount
	if c.MinValueCount < 1 {
		return "features.min_value_count", fmt.Sprintf("must be at least 1, got %d", c.MinValueCount)
	}
	c.L2 = *r.Model.L2
	if !(c.L2 > 0) || math.IsInf(c.L2, 0) {
		return "model.l2", fmt.Sprintf("must be a positive number, got %v", c.L2)
	}
	c.MaxIterations = *r.Model.MaxIterations
	if c.MaxIterations < 1 || c.MaxIterations > 1000 {
		return "model.max_iterations", fmt.Sprintf("must be 1–1000, got %d", c.MaxIterations)
	}
	c.TestFraction = *r.Split.TestFraction
	if !(c.TestFraction >= 0.05 && c.TestFraction <= 0.5) {
		return "split.test_fraction", fmt.Sprintf("must be 0.05–0.5, got %v", c.TestFraction)
	}
	c.MinConversions = *r.Publish.MinConversions
	if c.MinConversions < 1 {
		return "publish.min_conversions", fmt.Sprintf("must be at least 1, got %d", c.MinConversions)
	}
	c.MinTestConversions = *r.Publish.MinTestConversions
	if c.MinTestConversions < 1 {
		return "publish.min_test_conversions", fmt.Sprintf("must be at least 1, got %d", c.MinTestConversions)
	}
	c.MaxAUCDrop = *r.Publish.MaxAUCDrop
	if !(c.MaxAUCDrop >= 0 && c.MaxAUCDrop <= 0.5) {
		return "publish.max_auc_drop", fmt.Sprintf("must be 0–0.5, got %v", c.MaxAUCDrop)
	}
	c.TopFactors = *r.Publish.TopFactors
	if c.TopFactors < 1 || c.TopFactors > 10 {
		return "publish.top_factors", fmt.Sprintf("must be 1–10, got %d", c.TopFactors)
	}
	c.LeadItems = *r.Publish.LeadItems
	for i, s := range r.Publish.ClosedStatuses {
		if strings.TrimSpace(s) == "" {
			return fmt.Sprintf("publish.closed_statuses[%d]", i), "empty status"
		}
	}
	c.ClosedStatuses = append([]string{}, r.Publish.ClosedStatuses...)
	w := r.Writeback
	c.Writeback = Writeback{Enabled: *w.Enabled, DryRun: *w.DryRun, ScoreField: *w.ScoreField, FactorsField: *w.FactorsField}
	if !fieldName.MatchString(c.Writeback.ScoreField) {
		return "writeback.score_field", fmt.Sprintf("%q is not a custom field API name (…__c)", c.Writeback.ScoreField)
	}
	if !fieldName.MatchString(c.Writeback.FactorsField) || c.Writeback.FactorsField == c.Writeback.ScoreField {
		return "writeback.factors_field", fmt.Sprintf("%q is not a custom field API name (…__c) other than score_field", c.Writeback.FactorsField)
	}
	return "", ""
}

// outcomeColumns are the Lead columns the funnel sets at or after
// qualification or conversion: reading any of them as a feature reads the
// answer.
var outcomeColumns = map[string]string{
	"status":             "the lead status moves with the funnel, up to Closed - Converted",
	"is_converted":       "set at conversion",
	"mql_date":           "set when the lead qualifies, after creation",
	"sql_date":           "set when sales accepts the lead, after creation",
	"is_deleted":         "not a property of the lead",
	"system_modstamp":    "changes with every later edit",
	"last_modified_date": "changes with every later edit",
}

// OutcomeField says why a lead column can never be a feature ("" when it
// can): the columns the funnel sets after creation, and any column whose
// name speaks of conversion (converted_date, converted_account_id,
// converted_contact_id, converted_opportunity_id and an org's own).
func OutcomeField(col string) string {
	if why, ok := outcomeColumns[col]; ok {
		return why
	}
	if strings.Contains(col, "convert") {
		return "a conversion field, set at conversion"
	}
	return ""
}
