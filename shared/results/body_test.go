package results

import "testing"

func TestSameBody(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{`{"a":1,"b":[1,2]}`, `{"b":[1,2],"a":1}`, true},
		{`{"n":1.50}`, `{"n":1.5}`, true},
		{`{"n":1e3}`, `{"n":1000}`, true},
		{`{"n":"1.50"}`, `{"n":"1.5"}`, false}, // strings are text
		{`{"n":"1"}`, `{"n":1}`, false},
		{`{"a":[1,2]}`, `{"a":[2,1]}`, false},
		{`{"a":1}`, `{"a":1,"b":null}`, false},
		{`{"s":"<&>"}`, `{"s":"\u003c\u0026\u003e"}`, true},
		{"stale", "stale", true},
		{"1", "2", false},
		{`{"a":1}`, `{"a":1} x`, false},
	}
	for _, tt := range tests {
		if got := SameBody([]byte(tt.a), []byte(tt.b)); got != tt.want {
			t.Errorf("SameBody(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
