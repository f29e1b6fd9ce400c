package comp

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

// nodeIndex holds the key path of every node of a decoded YAML document, by
// position, so an error the struct decoder reports by line and column can
// name the key (components[new_business_commission].tiers[2].rate).
type nodeIndex struct {
	byPos    map[[2]int]string   // value node (line, column) → path
	keys     map[int][]keyAtLine // line → keys on it
	reported map[string]bool     // paths that already have an error
}

type keyAtLine struct{ name, path string }

func newNodeIndex() *nodeIndex {
	return &nodeIndex{byPos: map[[2]int]string{}, keys: map[int][]keyAtLine{}, reported: map[string]bool{}}
}

// childPath joins a mapping key onto path.
func childPath(path, key string) string {
	if !isPlainKey(key) {
		key = strconv.Quote(key)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func isPlainKey(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if !(r == '_' || r == '-' || r == '<' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return false
		}
	}
	return true
}

// itemNames names the items of a sequence: by their id for components (ids
// are what people write and read; an index shifts when a component is
// added), by index elsewhere or when an id is missing or repeated.
func itemNames(seq *yaml.Node, key string) []string {
	names := make([]string, len(seq.Content))
	ids := make([]string, len(seq.Content))
	count := map[string]int{}
	if key == "components" {
		for i, it := range seq.Content {
			if it.Kind != yaml.MappingNode {
				continue
			}
			for k := 0; k+1 < len(it.Content); k += 2 {
				if it.Content[k].Value == "id" && it.Content[k+1].Kind == yaml.ScalarNode && isPlainKey(it.Content[k+1].Value) {
					ids[i] = it.Content[k+1].Value
					count[ids[i]]++
				}
			}
		}
	}
	for i := range seq.Content {
		if ids[i] != "" && count[ids[i]] == 1 {
			names[i] = ids[i]
		} else {
			names[i] = strconv.Itoa(i)
		}
	}
	return names
}

// walk records paths and checks every scalar under n; key is the mapping
// key n is the value of ("" at the root and for sequence items).
func (ix *nodeIndex) walk(e *errs, n *yaml.Node, path, key string) {
	ix.byPos[[2]int{n.Line, n.Column}] = path
	if reason := checkTag(n); reason != "" {
		ix.fail(e, path, n, "%s", reason)
	}
	switch n.Kind {
	case yaml.MappingNode:
		for k := 0; k+1 < len(n.Content); k += 2 {
			kn, vn := n.Content[k], n.Content[k+1]
			p := childPath(path, kn.Value)
			ix.keys[kn.Line] = append(ix.keys[kn.Line], keyAtLine{kn.Value, p})
			if reason := checkText(kn.Value, false); reason != "" {
				ix.fail(e, p, kn, "key %s", reason)
			}
			ix.walk(e, vn, p, kn.Value)
		}
	case yaml.SequenceNode:
		names := itemNames(n, key)
		for i, it := range n.Content {
			ix.walk(e, it, fmt.Sprintf("%s[%s]", path, names[i]), "")
		}
	case yaml.ScalarNode:
		if reason := checkText(n.Value, key == "reason"); reason != "" {
			ix.fail(e, path, n, "%s", reason)
		}
		if n.Style == 0 && (n.Tag == "!!int" || n.Tag == "!!float") {
			if reason := plainNumber(n.Value); reason != "" {
				ix.fail(e, path, n, "%s", reason)
			}
		}
	}
}

func (ix *nodeIndex) fail(e *errs, path string, n *yaml.Node, format string, args ...any) {
	ix.reported[path] = true
	e.add(path, "%s (line %d)", fmt.Sprintf(format, args...), n.Line)
}

var (
	posMsg     = regexp.MustCompile(`^line (\d+) col (\d+): (.*)$`)
	lineMsg    = regexp.MustCompile(`^line (\d+): (.*)$`)
	unknownKey = regexp.MustCompile(`^field (\S+) not found in type \S+$`)
)

// locate turns a struct decoder message into a key path and a reason.
func (ix *nodeIndex) locate(msg string) (path, reason string) {
	if m := posMsg.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		col, _ := strconv.Atoi(m[2])
		if p, ok := ix.byPos[[2]int{line, col}]; ok {
			return p, fmt.Sprintf("%s (line %d)", m[3], line)
		}
		return "", fmt.Sprintf("line %d: %s", line, m[3])
	}
	m := lineMsg.FindStringSubmatch(msg)
	if m == nil {
		return "", msg
	}
	line, _ := strconv.Atoi(m[1])
	if u := unknownKey.FindStringSubmatch(m[2]); u != nil {
		for _, k := range ix.keys[line] {
			if k.name == u[1] {
				return k.path, fmt.Sprintf("unknown key %q (line %d): not a field here (a typo?)", u[1], line)
			}
		}
	}
	return "", msg
}

// allowedTags are the YAML tags a configuration file may carry explicitly. !!binary
// would be decoded from base64 into a name, !!timestamp and the 1.1 set
// types have no place here, and a local tag (!foo) means nothing to Venn.
var allowedTags = map[string]bool{"!!str": true, "!!int": true, "!!float": true, "!!bool": true,
	"!!null": true, "!!map": true, "!!seq": true, "!!merge": true}

func checkTag(n *yaml.Node) string {
	// Only tags written in the file: yaml.v3 resolves a plain 2026-07-01
	// to !!timestamp by itself, and Day reads it strictly.
	if n.Style&yaml.TaggedStyle == 0 || allowedTags[n.Tag] {
		return ""
	}
	return fmt.Sprintf("tag %s is not allowed: write the value as plain text", n.Tag)
}

// checkText refuses control characters (NUL, ESC, DEL, C1 controls), line
// and paragraph separators and bidirectional overrides in a value: they
// hide or reorder what a reviewer sees in a name or id. Tab and line feed
// are allowed only in free text (multiline allows them: a reason).
func checkText(s string, multiline bool) string {
	for i, r := range s {
		switch {
		case multiline && (r == '\n' || r == '\t'):
		case unicode.Is(unicode.Cc, r), r == '\u2028', r == '\u2029',
			r >= '\u202A' && r <= '\u202E', r >= '\u2066' && r <= '\u2069', r == '\uFEFF':
			return fmt.Sprintf("holds the control character %U at byte %d: not allowed in names, ids or values", r, i)
		}
	}
	return ""
}

var decimalRE = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?$`)

// plainNumber returns why s is not a plain decimal number ("" when it is):
// YAML 1.1 and 1.2 read 0777, 0x1, 0o7, 1_000, 1e3, +1 and .5 differently
// or not at all (yaml.v3 reads 0777 as octal 511), so only -?digits[.digits]
// is accepted.
func plainNumber(s string) string {
	if decimalRE.MatchString(s) {
		return ""
	}
	t := strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	lower := strings.ToLower(t)
	switch {
	case strings.HasPrefix(lower, "0x") || strings.HasPrefix(lower, "0o") || strings.HasPrefix(lower, "0b"):
		return fmt.Sprintf("%s is hex, octal or binary notation: write the number in decimal", s)
	case len(t) > 1 && t[0] == '0' && t[1] != '.':
		return fmt.Sprintf("%s has a leading zero, which YAML 1.1 reads as octal (yaml.v3 too); write it without the zero", s)
	case strings.Contains(t, "_"):
		return fmt.Sprintf("%s has a digit separator '_', read differently by YAML versions; write the digits only", s)
	case strings.ContainsAny(lower, "e") && !strings.Contains(lower, "inf") && !strings.Contains(lower, "nan"):
		return fmt.Sprintf("%s is exponent notation: write the number in full", s)
	case strings.HasPrefix(s, "+"):
		return fmt.Sprintf("%s has a leading '+': write it without", s)
	case strings.HasPrefix(t, ".") || strings.HasSuffix(t, "."):
		return fmt.Sprintf("%s: write a digit on both sides of the decimal point", s)
	default:
		return fmt.Sprintf("%q is not a plain decimal number (digits, an optional '-' and '.')", s)
	}
}
