package yamlstrict

import "testing"

type doc struct {
	Name  string   `yaml:"name"`
	Items []string `yaml:"items"`
	Sub   struct {
		Deep any `yaml:"deep"`
	} `yaml:"sub"`
}

func TestDecode(t *testing.T) {
	cases := []struct {
		name, in         string
		wantPath, reason string // both "" = valid
	}{
		{"valid", "name: a\nitems: [x, y]\n", "", ""},
		{"empty", "", "", "empty file: want a test document"},
		{"only a comment", "# nothing\n", "", "empty file: want a test document"},
		{"two documents", "name: a\n---\nname: b\n", "", "more than one YAML document: keep one document per file"},
		{"not a mapping", "- a\n", "", "want a mapping at the top level"},
		{"key without value", "name:\n", "name", "a value is required (line 1)"},
		{"null in a list", "items: [x, ~]\n", "items[1]", "a value is required (line 1)"},
		{"alias", "name: &n a\nitems: [*n]\n", "items[0]", "YAML aliases are not allowed (line 2)"},
		{"too deep", "sub:\n  deep: [[[1]]]\n", "sub.deep[0][0]", "nested deeper than 3 levels"},
		{"unknown key", "name: a\nnmae: b\n", "nmae", `unknown key "nmae" (line 2): not a field here (a typo?)`},
		{"wrong type", "name: a\nitems: x\n", "items", "\"x\" is not a valid []string (line 2)"},
		{"unknown key in a flow mapping", "name: a\nsub:\n  deep: 1\nitems: [x, y]\nn: {a: 1}\n", "n", `unknown key "n" (line 5): not a field here (a typo?)`},
		{"explicit tag", "name: !!binary YWJj\n", "name", "tag !!binary is not allowed: write the value as plain text (line 1)"},
		{"control character", "name: \"a\\u202Eb\"\n", "name", "holds the control character U+202E at byte 1: not allowed in names, ids or values (line 1)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var d doc
			err := Decode([]byte(c.in), "a test document", 3, &d)
			if c.reason == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				if d.Name != "a" || len(d.Items) != 2 {
					t.Errorf("decoded %+v", d)
				}
				return
			}
			if err == nil || err.Path != c.wantPath || err.Reason != c.reason {
				t.Fatalf("error %#v, want path %q reason %q", err, c.wantPath, c.reason)
			}
		})
	}
}

// A digits-only Salesforce Id resolves as an int; a string field still gets
// its exact text (not 5000000000008, not octal), so Decode must not refuse it.
func TestDigitsOnlyIDIntoString(t *testing.T) {
	var d doc
	if err := Decode([]byte("name: 005000000000008\nitems: [0777, x]\n"), "a test document", 3, &d); err != nil {
		t.Fatal(err)
	}
	if d.Name != "005000000000008" || d.Items[0] != "0777" {
		t.Errorf("decoded %+v", d)
	}
}
