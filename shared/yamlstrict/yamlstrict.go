// Package yamlstrict reads a configuration file people write as exactly one
// strict YAML document: what yaml.v3 would silently accept (an empty file, a
// second document, `key:` with no value decoded as zero, aliases, deep
// nesting, unknown keys, a value of the wrong type, hex or octal numbers,
// explicit tags, control characters) is an error naming the key path and
// why. The kpi, score and extract configurations read through it, comp plans
// through its Index; their own validation comes after.
package yamlstrict

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"

	"gopkg.in/yaml.v3"
)

// Error is one problem: Path inside the document ("funnel.mql.statuses[1]";
// "" for the file as a whole) and the reason.
type Error struct {
	Path, Reason string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return e.Reason
	}
	return e.Path + ": " + e.Reason
}

// Decode decodes data into v with unknown keys rejected. want describes the
// expected document in the empty-file error ("a KPI definitions document
// with version: 1"); maxDepth bounds mapping and sequence nesting.
func Decode(data []byte, want string, maxDepth int, v any) *Error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &Error{Reason: "empty file: want " + want}
		}
		return &Error{Reason: err.Error()}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return &Error{Reason: "more than one YAML document: keep one document per file"}
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return &Error{Reason: "want a mapping at the top level"}
	}
	if err := checkNodes(doc.Content[0], "", 0, maxDepth); err != nil {
		return err
	}
	ix := NewIndex(nil)
	var first *Error
	ix.Walk(doc.Content[0], "", "", nil, func(path string, n *yaml.Node, reason string) {
		if first == nil {
			first = &Error{path, fmt.Sprintf("%s (line %d)", reason, n.Line)}
		}
	})
	if first != nil {
		return first
	}
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	if err := strict.Decode(v); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) && len(te.Errors) > 0 {
			path, reason := ix.Locate(te.Errors[0])
			return &Error{path, reason}
		}
		return &Error{Reason: err.Error()}
	}
	return nil
}

func checkNodes(n *yaml.Node, path string, depth, maxDepth int) *Error {
	if depth > maxDepth {
		return &Error{path, fmt.Sprintf("nested deeper than %d levels", maxDepth)}
	}
	switch n.Kind {
	case yaml.AliasNode:
		return &Error{path, fmt.Sprintf("YAML aliases are not allowed (line %d)", n.Line)}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
				return &Error{p, fmt.Sprintf("a value is required (line %d)", k.Line)}
			}
			if err := checkNodes(v, p, depth+1, maxDepth); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for i, v := range n.Content {
			p := path + "[" + strconv.Itoa(i) + "]"
			if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
				return &Error{p, fmt.Sprintf("a value is required (line %d)", v.Line)}
			}
			if err := checkNodes(v, p, depth+1, maxDepth); err != nil {
				return err
			}
		}
	}
	return nil
}
