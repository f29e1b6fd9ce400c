package extract

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	extractconfig "github.com/venn-revops/venn/shared/config/extract"
	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/yamlstrict"
)

// OrgConfigVersion is the version of the extract configuration file format.
const OrgConfigVersion = 1

// OrgConfig is a validated extract configuration file: the org's registry
// (field mapping, extra fields, extra objects) and the delete settings.
type OrgConfig struct {
	Name     string // the file, for errors and logs
	Registry *crm.Registry
	Deletes  DeleteOptions
}

// DeleteOptions say when deletes are looked for beyond queryAll.
type DeleteOptions struct {
	// RecycleBin is how long the org's Recycle Bin (and getDeleted) keeps
	// deletes: 15 days in Salesforce. After a longer gap since an
	// object's last good extract, its live Ids are reconciled.
	RecycleBin time.Duration
	// ReconcileEvery is the interval between two Id reconciliations of an
	// object even without a gap (hard deletes, manual purges).
	ReconcileEvery time.Duration
}

func (d DeleteOptions) withDefaults() DeleteOptions {
	if d.RecycleBin <= 0 {
		d.RecycleBin = 15 * 24 * time.Hour
	}
	if d.ReconcileEvery <= 0 {
		d.ReconcileEvery = 7 * 24 * time.Hour
	}
	return d
}

// The file's shape. Every key is known (KnownFields), so a typo is an error
// rather than a setting silently ignored.
type rawOrgConfig struct {
	Version     int                          `yaml:"version"`
	Fields      map[string]map[string]string `yaml:"fields"`
	ExtraFields map[string][]rawField        `yaml:"extra_fields"`
	AllFields   map[string]bool              `yaml:"all_fields"`
	Objects     []rawObject                  `yaml:"objects"`
	Deletes     struct {
		RecycleBinDays     int `yaml:"recycle_bin_days"`
		ReconcileEveryDays int `yaml:"reconcile_every_days"`
	} `yaml:"deletes"`
}

type rawField struct {
	Name   string `yaml:"name"`
	Column string `yaml:"column"`
	Type   string `yaml:"type"`
}

type rawObject struct {
	Name       string     `yaml:"name"`
	SoftDelete *bool      `yaml:"soft_delete"`
	Cursor     string     `yaml:"cursor"`
	Required   bool       `yaml:"required"`
	Fields     []rawField `yaml:"fields"`
	AllFields  bool       `yaml:"all_fields"`
}

// Bounds on the file: written by people, small.
const (
	maxOrgConfigBytes = 1 << 20
	maxOrgConfigDepth = 16
)

// DefaultOrgConfig is the embedded shared/config/extract/default.yaml. It
// panics if that file is invalid, which its test prevents.
func DefaultOrgConfig() *OrgConfig {
	c, err := LoadOrgConfig(extractconfig.DefaultName, extractconfig.Default)
	if err != nil {
		panic(err)
	}
	return c
}

// LoadOrgConfig parses and validates an extract configuration file. It
// rejects what yaml.v3 lets through: an empty file, several documents,
// unknown or duplicate keys, keys without a value, aliases, deep nesting.
func LoadOrgConfig(name string, data []byte) (*OrgConfig, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("extract configuration %s: %s", name, fmt.Sprintf(format, args...))
	}
	if len(data) > maxOrgConfigBytes {
		return nil, fail("%d bytes, over the %d byte limit", len(data), maxOrgConfigBytes)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fail("file is empty")
	}
	var raw rawOrgConfig
	if err := yamlstrict.Decode(data, "a mapping with version, fields, extra_fields, all_fields, objects, deletes", maxOrgConfigDepth, &raw); err != nil {
		return nil, fail("%v", err)
	}
	if raw.Version != OrgConfigVersion {
		return nil, fail("version: must be %d, got %d", OrgConfigVersion, raw.Version)
	}
	var errs []error
	m := crm.Mapping{Fields: raw.Fields, AllFields: raw.AllFields, Extras: map[string][]crm.Extra{}}
	for obj, fields := range raw.ExtraFields {
		for i, f := range fields {
			e, err := f.extra()
			if err != nil {
				errs = append(errs, fmt.Errorf("extra_fields.%s[%d]: %w", obj, i, err))
			}
			m.Extras[obj] = append(m.Extras[obj], e)
		}
	}
	for i, o := range raw.Objects {
		spec := crm.ObjectSpec{Name: o.Name, Cursor: o.Cursor, Required: o.Required, AllFields: o.AllFields, SoftDelete: true}
		if o.SoftDelete != nil {
			spec.SoftDelete = *o.SoftDelete
		}
		for j, f := range o.Fields {
			e, err := f.extra()
			if err != nil {
				errs = append(errs, fmt.Errorf("objects[%d].fields[%d]: %w", i, j, err))
			}
			spec.Fields = append(spec.Fields, e)
		}
		m.Objects = append(m.Objects, spec)
	}
	d := raw.Deletes
	if d.RecycleBinDays < 0 || d.ReconcileEveryDays < 0 {
		errs = append(errs, errors.New("deletes: days must not be negative"))
	}
	if d.RecycleBinDays > 15 {
		// Salesforce keeps deletes at most 15 days: trusting a longer bin
		// would skip the reconciliation that finds the purged ones.
		errs = append(errs, fmt.Errorf("deletes.recycle_bin_days: %d is longer than Salesforce's 15 days", d.RecycleBinDays))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fail("%v", err)
	}
	reg, err := crm.NewRegistry(m)
	if err != nil {
		return nil, fail("%v", err)
	}
	days := func(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }
	return &OrgConfig{Name: name, Registry: reg, Deletes: DeleteOptions{RecycleBin: days(d.RecycleBinDays), ReconcileEvery: days(d.ReconcileEveryDays)}.withDefaults()}, nil
}

func (f rawField) extra() (crm.Extra, error) {
	e := crm.Extra{Name: f.Name, Column: f.Column}
	if f.Name == "" {
		return e, errors.New("name is required")
	}
	if f.Type != "" {
		t, ok := crm.ParseFieldType(f.Type)
		if !ok {
			return e, fmt.Errorf("%s: type %q is not one of text, id, picklist, bool, date, datetime, currency, percent, int, email, phone", f.Name, f.Type)
		}
		e.Type, e.TypeSet = t, true
	}
	return e, nil
}
