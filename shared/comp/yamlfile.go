package comp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"

	"github.com/venn-revops/venn/shared/yamlstrict"
)

// Bounds on untrusted YAML. Plans are small files written by people; anything
// past these limits is a mistake or an attack (alias bombs, deep nesting).
const (
	maxYAMLBytes = 1 << 20 // 1 MiB per file
	maxYAMLDepth = 32      // mapping/sequence nesting
	maxYAMLNodes = 200_000 // nodes after alias expansion
)

// FieldError is one validation problem: the file, the field path inside it
// (for example "components[1].tiers[0].rate") and the reason.
type FieldError struct {
	File   string
	Path   string
	Reason string
}

// Error implements error: "file: path: reason".
func (e *FieldError) Error() string {
	switch {
	case e.Path == "":
		return fmt.Sprintf("%s: %s", e.File, e.Reason)
	default:
		return fmt.Sprintf("%s: %s: %s", e.File, e.Path, e.Reason)
	}
}

// ValidationErrors is every problem found, not just the first. Run, Load*
// and Validate return it (as error) so a reviewer can fix a file in one pass.
type ValidationErrors []*FieldError

// Error implements error, one problem per line.
func (v ValidationErrors) Error() string {
	parts := make([]string, len(v))
	for i, e := range v {
		parts[i] = e.Error()
	}
	return fmt.Sprintf("%d validation error(s):\n  %s", len(v), strings.Join(parts, "\n  "))
}

// errs collects FieldErrors for one file.
type errs struct {
	file string
	list ValidationErrors
}

func (e *errs) add(path, format string, args ...any) {
	e.list = append(e.list, &FieldError{File: e.file, Path: path, Reason: fmt.Sprintf(format, args...)})
}

func (e *errs) err() error {
	if len(e.list) == 0 {
		return nil
	}
	return e.list
}

// asValidation merges errors into a ValidationErrors list.
func asValidation(all *ValidationErrors, err error) {
	if err == nil {
		return
	}
	var v ValidationErrors
	if errors.As(err, &v) {
		*all = append(*all, v...)
		return
	}
	*all = append(*all, &FieldError{Reason: err.Error()})
}

// decodeYAML decodes exactly one YAML document from b into out, rejecting
// what yaml.v3 lets through silently: an empty file, several documents,
// unknown keys, oversized input, deep nesting and alias expansion bombs.
// Bad values and unknown keys come back as ValidationErrors with out still
// filled in as far as possible, so callers can go on checking the rest of
// the file and report everything at once; other failures stop decoding.
func decodeYAML(file string, b []byte, out any) error {
	e := &errs{file: file}
	if len(b) > maxYAMLBytes {
		e.add("", "file is %d bytes, over the %d byte limit", len(b), maxYAMLBytes)
		return e.err()
	}
	if len(bytes.TrimSpace(b)) == 0 {
		e.add("", "file is empty")
		return e.err()
	}
	// First pass into a Node: bounds depth and expanded size before any
	// struct decoding expands aliases.
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			e.add("", "file is empty (no YAML document)")
		} else {
			e.add("", "not valid YAML: %v", err)
		}
		return e.err()
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		e.add("", "file holds more than one YAML document (only the first would be read); put one plan per file")
		return e.err()
	}
	if len(root.Content) == 0 || (root.Content[0].Kind == yaml.ScalarNode && root.Content[0].Tag == "!!null") {
		e.add("", "file is empty")
		return e.err()
	}
	nodes := 0
	if reason := checkNode(&root, 0, &nodes); reason != "" {
		e.add("", "%s", reason)
		return e.err()
	}
	// Second pass over the same Node: refuse what the struct decoder would
	// take silently (a !!binary tag decoded into a name, control characters,
	// YAML 1.1 number forms) and record each node's key path, so problems
	// the struct decoder reports by line name the key.
	ix := newNodeIndex()
	ix.walk(e, root.Content[0], "", "")
	strict := yaml.NewDecoder(bytes.NewReader(b))
	strict.KnownFields(true)
	if err := strict.Decode(out); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, msg := range te.Errors {
				path, reason := ix.Locate(msg)
				if !ix.reported[path] || path == "" {
					e.add(path, "%s", reason)
				}
			}
		} else {
			e.add("", "%v", err)
		}
	}
	return e.err()
}

// checkNode walks n (following aliases) and returns a reason when nesting or
// the expanded node count is past the limits.
func checkNode(n *yaml.Node, depth int, count *int) string {
	*count++
	if *count > maxYAMLNodes {
		return fmt.Sprintf("more than %d YAML nodes after alias expansion (alias bomb?)", maxYAMLNodes)
	}
	if depth > maxYAMLDepth {
		return fmt.Sprintf("line %d: nested deeper than %d levels", n.Line, maxYAMLDepth)
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return checkNode(n.Alias, depth+1, count)
	}
	for _, c := range n.Content {
		if r := checkNode(c, depth+1, count); r != "" {
			return r
		}
	}
	return ""
}

// Dec is a decimal read from YAML text exactly, never through float64. Set
// tells "0" from a key with no value (`rate:`), which yaml.v3 leaves as the
// zero value without calling UnmarshalYAML.
type Dec struct {
	decimal.Decimal
	Set bool
}

// UnmarshalYAML implements yaml.Unmarshaler. Only plain decimal notation
// is accepted (see plainNumber): 0777, 0x1, 1e3 or 1_000 mean different
// things to different YAML versions and are refused, quoted or not.
func (d *Dec) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return typeErrAt(n, "want a number")
	}
	if reason := yamlstrict.PlainNumber(n.Value); reason != "" {
		return typeErrAt(n, "%s", reason)
	}
	v, err := decimal.NewFromString(n.Value)
	if err != nil {
		return typeErrAt(n, "%q is not a decimal number", n.Value)
	}
	d.Decimal, d.Set = v, true
	return nil
}

// D is a shorthand for building a set Dec in code and tests.
func D(s string) Dec { return Dec{Decimal: decimal.RequireFromString(s), Set: true} }

// Day is a calendar date (YYYY-MM-DD, UTC midnight) read strictly from YAML.
type Day struct{ time.Time }

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Day) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return typeErrAt(n, "want a date YYYY-MM-DD")
	}
	t, err := time.Parse(time.DateOnly, n.Value)
	if err != nil {
		return typeErrAt(n, "%q is not a date YYYY-MM-DD", n.Value)
	}
	d.Time = t
	return nil
}

// String renders the day as YYYY-MM-DD, or "" when unset.
func (d Day) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Format(time.DateOnly)
}

// covers reports whether day t is in [from, to], both inclusive; a zero to
// is open-ended.
func covers(from, to Day, t time.Time) bool {
	if t.Before(from.Time) {
		return false
	}
	return to.IsZero() || !t.After(to.Time)
}

// typeErrAt reports a problem with scalar n as a *yaml.TypeError so the
// decoder keeps going and every bad value in a file is reported, not just
// the first. The message starts with n's line and column, which decodeYAML
// turns into the key path.
func typeErrAt(n *yaml.Node, format string, args ...any) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d col %d: ", n.Line, n.Column) + fmt.Sprintf(format, args...)}}
}
