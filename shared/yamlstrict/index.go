package yamlstrict

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

// Index holds the key path of every node of a decoded YAML document, by
// position, so an error the struct decoder reports by line and column
// ("line 4: cannot unmarshal !!str `abc` into int") can name the key
// (model.max_iterations). One home for every configuration Venn reads: KPI
// definitions, scoring, extraction and comp plans.
type Index struct {
	byPos     map[[2]int]string   // value node (line, column) → path
	keys      map[int][]keyAtLine // line → keys on it
	itemNames func(seq *yaml.Node, key string) []string
	// Numbers makes Walk refuse every plain number that is not plain
	// decimal notation. Only for files where no string value looks like a
	// number: a 15-digit Salesforce Id such as 005000000000008 resolves as
	// an int, and yaml.v3 still hands a string field its exact text.
	Numbers bool
}

type keyAtLine struct{ name, path string }

// NewIndex returns an empty index. itemNames names the items of a sequence
// under key (comp names components by id, which does not shift when one is
// added); nil names them by index.
func NewIndex(itemNames func(seq *yaml.Node, key string) []string) *Index {
	return &Index{byPos: map[[2]int]string{}, keys: map[int][]keyAtLine{}, itemNames: itemNames}
}

// ChildPath joins a mapping key onto path, quoting a key that is not plain.
func ChildPath(path, key string) string {
	if !IsPlainKey(key) {
		key = strconv.Quote(key)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// IsPlainKey reports whether k can be written in a path without quotes.
func IsPlainKey(k string) bool {
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

// Walk records the path of n and everything under it, and reports each
// value CheckTag, CheckText or (with Numbers) PlainNumber refuses. key is the mapping key
// n is the value of ("" at the root and for sequence items); freeText says
// which keys hold free text where tabs and line feeds are allowed.
func (ix *Index) Walk(n *yaml.Node, path, key string, freeText func(key string) bool, report func(path string, n *yaml.Node, reason string)) {
	ix.byPos[[2]int{n.Line, n.Column}] = path
	if reason := CheckTag(n); reason != "" {
		report(path, n, reason)
	}
	switch n.Kind {
	case yaml.MappingNode:
		for k := 0; k+1 < len(n.Content); k += 2 {
			kn, vn := n.Content[k], n.Content[k+1]
			p := ChildPath(path, kn.Value)
			ix.keys[kn.Line] = append(ix.keys[kn.Line], keyAtLine{kn.Value, p})
			if reason := CheckText(kn.Value, false); reason != "" {
				report(p, kn, "key "+reason)
			}
			ix.Walk(vn, p, kn.Value, freeText, report)
		}
	case yaml.SequenceNode:
		var names []string
		if ix.itemNames != nil {
			names = ix.itemNames(n, key)
		}
		for i, it := range n.Content {
			name := strconv.Itoa(i)
			if i < len(names) {
				name = names[i]
			}
			ix.Walk(it, path+"["+name+"]", "", freeText, report)
		}
	case yaml.ScalarNode:
		if reason := CheckText(n.Value, freeText != nil && freeText(key)); reason != "" {
			report(path, n, reason)
		}
		if ix.Numbers && n.Style == 0 && (n.Tag == "!!int" || n.Tag == "!!float") {
			if reason := PlainNumber(n.Value); reason != "" {
				report(path, n, reason)
			}
		}
	}
}

var (
	posMsg     = regexp.MustCompile(`^line (\d+) col (\d+): (.*)$`)
	lineMsg    = regexp.MustCompile(`^line (\d+): (.*)$`)
	unknownKey = regexp.MustCompile(`^field (\S+) not found in type .+$`)
	typeMsg    = regexp.MustCompile("^cannot unmarshal (\\S+) `(.*)` into (\\S+)$")
)

// Locate turns one message of a yaml.TypeError into a key path and a
// reason; path is "" when the message names no node the index knows.
func (ix *Index) Locate(msg string) (path, reason string) {
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
	// A value of the wrong type ("cannot unmarshal !!str `abc` into int"):
	// the one key on that line whose value it is names it.
	if t := typeMsg.FindStringSubmatch(m[2]); t != nil {
		if ks := ix.keys[line]; len(ks) == 1 {
			return ks[0].path, fmt.Sprintf("%q is not a valid %s (line %d)", t[2], t[3], line)
		}
	}
	return "", msg
}

// allowedTags are the YAML tags a configuration file may carry explicitly.
// !!binary would be decoded from base64 into a name, !!timestamp and the 1.1
// set types have no place here, and a local tag (!foo) means nothing to Venn.
var allowedTags = map[string]bool{"!!str": true, "!!int": true, "!!float": true, "!!bool": true,
	"!!null": true, "!!map": true, "!!seq": true, "!!merge": true}

// CheckTag returns why n's explicit tag is refused ("" when it is not).
func CheckTag(n *yaml.Node) string {
	// Only tags written in the file: yaml.v3 resolves a plain 2026-07-01
	// to !!timestamp by itself, and dates are read strictly later.
	if n.Style&yaml.TaggedStyle == 0 || allowedTags[n.Tag] {
		return ""
	}
	return fmt.Sprintf("tag %s is not allowed: write the value as plain text", n.Tag)
}

// CheckText refuses control characters (NUL, ESC, DEL, C1 controls), line
// and paragraph separators and bidirectional overrides in a value: they
// hide or reorder what a reviewer sees in a name or id. Tab and line feed
// are allowed only in free text (multiline).
func CheckText(s string, multiline bool) string {
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

// PlainNumber returns why s is not a plain decimal number ("" when it is):
// YAML 1.1 and 1.2 read 0777, 0x1, 0o7, 1_000, 1e3, +1 and .5 differently
// or not at all (yaml.v3 reads 0777 as octal 511), so only -?digits[.digits]
// is accepted.
func PlainNumber(s string) string {
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
