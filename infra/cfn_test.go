package infra

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// A CloudFormation template decoded into plain Go values: map[string]any,
// []any, string, and the short-form tags expanded to their long form
// (!Ref x → {"Ref": x}, !GetAtt a.b → {"Fn::GetAtt": [a, b]}, !Sub s →
// {"Fn::Sub": s}, …), so checks read one shape whichever form was written.

func loadTemplate(t *testing.T, path string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	v, err := cfnValue(doc.Content[0])
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s: top level is not a mapping", path)
	}
	return m
}

func cfnValue(n *yaml.Node) (any, error) {
	var v any
	switch n.Kind {
	case yaml.AliasNode:
		return cfnValue(n.Alias)
	case yaml.ScalarNode:
		v = n.Value
		if n.Tag == "!!null" {
			v = nil
		}
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			cv, err := cfnValue(c)
			if err != nil {
				return nil, err
			}
			list = append(list, cv)
		}
		v = list
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if _, dup := m[k]; dup {
				return nil, fmt.Errorf("line %d: duplicate key %q", n.Content[i].Line, k)
			}
			cv, err := cfnValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[k] = cv
		}
		v = m
	default:
		return nil, fmt.Errorf("line %d: unexpected YAML node kind %v", n.Line, n.Kind)
	}
	if !strings.HasPrefix(n.Tag, "!") || strings.HasPrefix(n.Tag, "!!") {
		return v, nil
	}
	name := strings.TrimPrefix(n.Tag, "!")
	switch name {
	case "Ref", "Condition":
		return map[string]any{name: v}, nil
	case "GetAtt":
		if s, ok := v.(string); ok {
			res, attr, _ := strings.Cut(s, ".")
			v = []any{res, attr}
		}
		return map[string]any{"Fn::GetAtt": v}, nil
	case "Sub", "Join", "Select", "Split", "If", "Equals", "Not", "And", "Or", "FindInMap", "GetAZs", "ImportValue", "Base64", "Cidr", "Length", "ToJsonString":
		return map[string]any{"Fn::" + name: v}, nil
	}
	return nil, fmt.Errorf("line %d: unknown tag %s", n.Line, n.Tag)
}

// get walks a path of map keys; it returns nil when any step is missing.
func get(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func list(v any) []any {
	switch v := v.(type) {
	case []any:
		return v
	case nil:
		return nil
	default:
		return []any{v}
	}
}

// ref returns the logical id a {"Ref": id} or {"Fn::GetAtt": [id, …]} names.
func ref(v any) string {
	if r := str(get(v, "Ref")); r != "" {
		return r
	}
	if ga := list(get(v, "Fn::GetAtt")); len(ga) > 0 {
		return str(ga[0])
	}
	return ""
}

// resources returns the template's resources of the given type, by logical id.
func resources(tmpl map[string]any, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range get(tmpl, "Resources").(map[string]any) {
		if rm, ok := r.(map[string]any); ok && str(rm["Type"]) == typ {
			out[id] = rm
		}
	}
	return out
}

// statement is one IAM policy statement, with where it came from.
type statement struct {
	where     string // "ExtractFunction", "SchedulerRole/start-venn-state-machines", …
	effect    string
	actions   []string
	resources []any
	condition any
}

// policyStatements collects the IAM statements of every principal-side
// policy in the template: SAM function and state machine Policies (inline
// documents; SAM policy templates are listed by name as actions "template:<Name>"),
// IAM roles' inline policies and managed policies. Resource policies (key,
// bucket) are not principal grants and are checked separately.
func policyStatements(tmpl map[string]any) []statement {
	var out []statement
	addDoc := func(where string, doc any) {
		for _, s := range list(get(doc, "Statement")) {
			st := statement{where: where, effect: str(get(s, "Effect")), resources: list(get(s, "Resource")), condition: get(s, "Condition")}
			for _, a := range list(get(s, "Action")) {
				st.actions = append(st.actions, str(a))
			}
			out = append(out, st)
		}
	}
	for id, r := range get(tmpl, "Resources").(map[string]any) {
		switch str(get(r, "Type")) {
		case "AWS::Serverless::Function", "AWS::Serverless::StateMachine":
			for _, p := range list(get(r, "Properties", "Policies")) {
				if get(p, "Statement") != nil {
					addDoc(id, p)
					continue
				}
				for name := range p.(map[string]any) {
					out = append(out, statement{where: id, effect: "Allow", actions: []string{"template:" + name}})
				}
			}
		case "AWS::IAM::Role":
			for _, p := range list(get(r, "Properties", "Policies")) {
				addDoc(id+"/"+str(get(p, "PolicyName")), get(p, "PolicyDocument"))
			}
		case "AWS::IAM::ManagedPolicy", "AWS::IAM::Policy":
			addDoc(id, get(r, "Properties", "PolicyDocument"))
		}
	}
	return out
}

// subText returns the text of a {"Fn::Sub": "..."} (or a plain string).
func subText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return str(get(v, "Fn::Sub"))
}

func TestCFNShortFormTags(t *testing.T) {
	src := `
A: !Ref Bucket
B: !GetAtt Table.Arn
C: !Sub "${LakeBucket.Arn}/crm/*"
D: !If [Cond, !Ref X, !Ref "AWS::NoValue"]
E: [!GetAtt [Q, Arn]]
`
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	v, err := cfnValue(doc.Content[0])
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(v)
	want := "map[A:map[Ref:Bucket] B:map[Fn::GetAtt:[Table Arn]] C:map[Fn::Sub:${LakeBucket.Arn}/crm/*] D:map[Fn::If:[Cond map[Ref:X] map[Ref:AWS::NoValue]]] E:[map[Fn::GetAtt:[Q Arn]]]]"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if _, err := cfnValue(mustNode(t, "A: !Bogus x")); err == nil {
		t.Fatal("unknown tag accepted")
	}
	if _, err := cfnValue(mustNode(t, "A: 1\nA: 2")); err == nil {
		t.Fatal("duplicate key accepted")
	}
}

func mustNode(t *testing.T, src string) *yaml.Node {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Content[0]
}
