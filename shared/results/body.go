package results

import (
	"bytes"
	"encoding/json"
	"io"
	"math/big"
)

// SameBody reports whether two item bodies hold the same record: equal
// bytes, or JSON values that are equal (object keys in any order, numbers
// compared by value, so 1.50 equals 1.5). A store may hand back a JSON
// object body re-encoded that way (the DynamoDB adapter does for readable
// items, see shared/dynamo); callers that check "is the stored item the one
// I wrote" compare with SameBody, never byte by byte.
func SameBody(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	x, okA := decodeJSON(a)
	y, okB := decodeJSON(b)
	return okA && okB && sameValue(x, y)
}

func decodeJSON(b []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return v, true
}

func sameValue(x, y any) bool {
	switch a := x.(type) {
	case map[string]any:
		b, ok := y.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, v := range a {
			w, ok := b[k]
			if !ok || !sameValue(v, w) {
				return false
			}
		}
		return true
	case []any:
		b, ok := y.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !sameValue(a[i], b[i]) {
				return false
			}
		}
		return true
	case json.Number:
		b, ok := y.(json.Number)
		if !ok {
			return false
		}
		ra, okA := new(big.Rat).SetString(string(a))
		rb, okB := new(big.Rat).SetString(string(b))
		return okA && okB && ra.Cmp(rb) == 0
	default: // string, bool, nil
		return x == y
	}
}
