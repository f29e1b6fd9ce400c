package crm

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Registry is the set of objects one org is extracted as: the code's
// objects with the org's names for their fields, plus the extra fields and
// objects its configuration adds. Lake column names and types never depend
// on the org; only which org field fills them does.
type Registry struct {
	Objects []*Object
}

// Default is the code's registry: the package objects, with the field
// names of the demo org (shared/config/extract/default.yaml says the same).
var Default = &Registry{Objects: Objects}

// Lookup returns the object with the given Salesforce name.
func (r *Registry) Lookup(name string) (*Object, error) {
	for _, o := range r.Objects {
		if o.Name == name {
			return o, nil
		}
	}
	return nil, fmt.Errorf("unknown CRM object %q (not in the registry nor the extract configuration)", name)
}

// Lookup returns the object with the given Salesforce name in the default
// registry.
func Lookup(name string) (*Object, error) { return Default.Lookup(name) }

// Mapping is how one org differs from the code's registry.
type Mapping struct {
	// Fields maps object → lake column → the org's API name of the field
	// that fills the column (e.g. "Lead" → "segment" → "Market_Segment__c").
	// Columns not listed keep the registry's name.
	Fields map[string]map[string]string
	// Extras adds fields to registry objects; AllFields takes every field
	// the object's describe lists.
	Extras    map[string][]Extra
	AllFields map[string]bool
	// Objects are extracted after the registry's, in this order.
	Objects []ObjectSpec
}

// ObjectSpec is an object added by configuration: a custom object
// (Invoice__c) or a standard one the registry lacks (Order).
type ObjectSpec struct {
	Name       string
	SoftDelete bool   // has IsDeleted (custom objects do)
	Cursor     string // "" = SystemModstamp
	Required   bool   // fail at start when the org lacks it
	Fields     []Extra
	AllFields  bool
}

var (
	apiName    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	columnName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	nonAlnum   = regexp.MustCompile(`[^a-z0-9]+`)
)

// ColumnName is the default lake column of an org field: its API name in
// lower case, each run of other characters one underscore, "__c" kept as
// "__c" (ARR__c → arr__c, Close_Date_Est__c → close_date_est__c), so a
// custom field's column never collides with a standard field's.
func ColumnName(api string) string {
	base, custom := strings.CutSuffix(api, "__c")
	col := strings.Trim(nonAlnum.ReplaceAllString(strings.ToLower(base), "_"), "_")
	if custom {
		col += "__c"
	}
	return col
}

// mappable reports whether a field's org name may be configured: not the
// identity, stamps or delete flag every object has under fixed names.
func mappable(f Field) bool {
	switch f.Name {
	case "Id", "SystemModstamp", "CreatedDate", "IsDeleted":
		return false
	}
	return true
}

// NewRegistry applies m to the default registry. It checks everything it
// can without the org (names, duplicates, collisions) and reports every
// problem at once; what needs the org (does the field exist, its type) is
// checked by the extract's describe step.
func NewRegistry(m Mapping) (*Registry, error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	known := map[string]bool{}
	for _, o := range Objects {
		known[o.Name] = true
	}
	for _, name := range sortedKeys(m.Fields) {
		if !known[name] {
			bad("fields: %s is not a registry object (add it under objects)", name)
		}
	}
	for _, name := range sortedKeys(m.Extras) {
		if !known[name] {
			bad("extra fields: %s is not a registry object (add it under objects)", name)
		}
	}
	for _, name := range sortedKeys(m.AllFields) {
		if !known[name] {
			bad("all_fields: %s is not a registry object (add it under objects)", name)
		}
	}
	r := &Registry{}
	for _, std := range Objects {
		o := *std
		o.Fields = slices.Clone(std.Fields)
		mapped := m.Fields[o.Name]
		byOrg := map[string]string{} // org name → column, to catch two columns on one field
		for _, col := range sortedKeys(mapped) {
			name := mapped[col]
			i := o.Column(col)
			switch {
			case i < 0:
				bad("fields: %s has no lake column %q (columns: %s)", o.Name, col, strings.Join(columnsOf(std), ", "))
				continue
			case !mappable(o.Fields[i]):
				bad("fields: %s.%s is %s in every org and cannot be mapped", o.Name, col, o.Fields[i].Name)
				continue
			case !apiName.MatchString(name):
				bad("fields: %s.%s: %q is not a Salesforce API name", o.Name, col, name)
				continue
			}
			if prev, dup := byOrg[name]; dup {
				bad("fields: %s.%s and %s.%s both map to %s", o.Name, prev, o.Name, col, name)
				continue
			}
			byOrg[name] = col
			o.Fields[i].Name = name
		}
		// A column left at its registry name must not collide with a
		// field another column now takes.
		seen := map[string]string{}
		for _, f := range o.Fields {
			if prev, dup := seen[f.Name]; dup {
				bad("fields: %s.%s and %s.%s would both read %s; map one of them elsewhere", o.Name, prev, o.Name, f.Column, f.Name)
			}
			seen[f.Name] = f.Column
		}
		o.Extras = checkExtras(o.Name, o.Fields, m.Extras[o.Name], bad)
		o.AllFields = m.AllFields[o.Name]
		r.Objects = append(r.Objects, &o)
	}
	for i, spec := range m.Objects {
		where := fmt.Sprintf("objects[%d] %s", i, spec.Name)
		switch {
		case !apiName.MatchString(spec.Name):
			bad("objects[%d]: %q is not a Salesforce object API name", i, spec.Name)
			continue
		case known[spec.Name]:
			bad("%s: already in the registry (configure its fields under fields/extra_fields)", where)
			continue
		case spec.Cursor != "" && !apiName.MatchString(spec.Cursor):
			bad("%s: cursor %q is not a Salesforce API name", where, spec.Cursor)
			continue
		}
		known[spec.Name] = true
		o := &Object{Name: spec.Name, SoftDelete: spec.SoftDelete, Fields: BaseFields(spec.SoftDelete), Optional: !spec.Required, Custom: true, AllFields: spec.AllFields}
		if spec.Cursor != "SystemModstamp" {
			o.Cursor = spec.Cursor
		}
		o.Extras = checkExtras(spec.Name, o.Fields, spec.Fields, bad)
		if len(o.Extras) == 0 && !o.AllFields {
			bad("%s: lists no fields and does not set all_fields: only its Id and stamps would be extracted", where)
		}
		r.Objects = append(r.Objects, o)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("extract configuration: %w", err)
	}
	return r, nil
}

// checkExtras validates extra fields against the object's fields and each
// other, filling default columns.
func checkExtras(object string, fields []Field, extras []Extra, bad func(string, ...any)) []Extra {
	names, cols := map[string]bool{}, map[string]bool{}
	for _, f := range fields {
		names[f.Name], cols[f.Column] = true, true
	}
	var out []Extra
	for _, e := range extras {
		if e.Column == "" {
			e.Column = ColumnName(e.Name)
		}
		switch {
		case !apiName.MatchString(e.Name):
			bad("extra fields: %s: %q is not a Salesforce API name", object, e.Name)
		case !columnName.MatchString(e.Column):
			bad("extra fields: %s.%s: column %q must be lower case letters, digits and _", object, e.Name, e.Column)
		case names[e.Name]:
			bad("extra fields: %s.%s is already extracted", object, e.Name)
		case cols[e.Column]:
			bad("extra fields: %s.%s: column %q is already taken", object, e.Name, e.Column)
		default:
			names[e.Name], cols[e.Column] = true, true
			out = append(out, e)
		}
	}
	return out
}

func columnsOf(o *Object) []string {
	var out []string
	for _, f := range o.Fields {
		if mappable(f) {
			out = append(out, f.Column)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// DescribeType maps a Salesforce describe field type to the lake type it is
// stored as. ok=false (with the reason) for what the lake does not take:
// compound fields (address, location: their parts are separate fields),
// binary (base64), and numbers whose scale does not fit a lake decimal.
// scale is the describe's scale (digits after the point) for double,
// currency and percent; -1 when the describe gave none.
func DescribeType(sfType string, scale int) (t FieldType, ok bool, reason string) {
	switch sfType {
	case "id", "reference":
		return ID, true, ""
	case "string", "textarea", "url", "encryptedstring", "multipicklist", "combobox", "time":
		// time ("10:00:00.000Z") has no date: kept as its text.
		return Text, true, ""
	case "picklist":
		return Picklist, true, ""
	case "boolean":
		return Bool, true, ""
	case "date":
		return Date, true, ""
	case "datetime":
		return DateTime, true, ""
	case "email":
		return Email, true, ""
	case "phone":
		return Phone, true, ""
	case "int", "long":
		return Int, true, ""
	case "currency":
		if scale > 2 {
			return 0, false, fmt.Sprintf("currency with scale %d (the lake keeps DECIMAL(18,2))", scale)
		}
		return Currency, true, ""
	case "percent":
		if scale > 2 {
			return 0, false, fmt.Sprintf("percent with scale %d (the lake keeps DECIMAL(9,2))", scale)
		}
		return Percent, true, ""
	case "double":
		// Never through float: a double with a known scale of 0 is a whole
		// number, up to 2 an exact DECIMAL(18,2); any other stays out
		// rather than be rounded.
		switch {
		case scale == 0:
			return Int, true, ""
		case scale == 1 || scale == 2:
			return Currency, true, ""
		}
		return 0, false, fmt.Sprintf("double with scale %d has no exact lake type (set the field's type in the configuration, or give it scale 0–2)", scale)
	case "address", "location":
		return 0, false, "compound field (its parts, e.g. BillingCity, are fields of their own)"
	case "base64":
		return 0, false, "binary field"
	}
	return 0, false, fmt.Sprintf("describe type %q has no lake type", sfType)
}

// ParseFieldType reads a FieldType by its name ("text", "currency", ...),
// as configuration files spell it.
func ParseFieldType(s string) (FieldType, bool) {
	for i, n := range fieldTypeNames {
		if n == s {
			return FieldType(i), true
		}
	}
	return 0, false
}
