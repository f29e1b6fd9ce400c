package dynamo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// AttrDoc holds the body of a readable item as native DynamoDB attributes
// (a map of maps, lists, strings, numbers and booleans), so the console and
// PartiQL show a statement's fields instead of base64.
const AttrDoc = "doc"

// ReadableKinds are the item kinds whose JSON-object bodies are stored as
// AttrDoc: the statements and corrections people open in the console. Other
// kinds (locks, watermarks, KPI values) keep the binary body.
var ReadableKinds = map[string]bool{"statement": true, "correction": true}

// DynamoDB's limits on a document attribute: nesting depth of maps and
// lists, and significant digits and exponent range of a number.
const (
	maxDocDepth  = 32
	maxNumDigits = 38
)

// toDoc converts a JSON object body to a DynamoDB map. ok is false when the
// body is not a JSON object or holds what a document attribute cannot carry
// exactly (a number past 38 digits or the exponent range, invalid UTF-8,
// nesting past 32 levels): the caller then stores the bytes. size is the
// attribute's size as DynamoDB counts it, for the item budget.
func toDoc(body []byte) (av types.AttributeValue, size int, ok bool) {
	if !utf8.Valid(body) {
		return nil, 0, false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, 0, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, 0, false // trailing data
	}
	if _, isObj := v.(map[string]any); !isObj {
		return nil, 0, false
	}
	return toAV(v, 0)
}

func toAV(v any, depth int) (types.AttributeValue, int, bool) {
	if depth > maxDocDepth {
		return nil, 0, false
	}
	switch x := v.(type) {
	case nil:
		return &types.AttributeValueMemberNULL{Value: true}, 1, true
	case bool:
		return &types.AttributeValueMemberBOOL{Value: x}, 1, true
	case string:
		return &types.AttributeValueMemberS{Value: x}, len(x), true
	case json.Number:
		n, ok := dynamoNumber(string(x))
		if !ok {
			return nil, 0, false
		}
		return &types.AttributeValueMemberN{Value: n}, len(n)/2 + 2, true
	case []any:
		l := make([]types.AttributeValue, len(x))
		size := 3
		for i, e := range x {
			av, n, ok := toAV(e, depth+1)
			if !ok {
				return nil, 0, false
			}
			l[i], size = av, size+n+1
		}
		return &types.AttributeValueMemberL{Value: l}, size, true
	case map[string]any:
		m := make(map[string]types.AttributeValue, len(x))
		size := 3
		for k, e := range x {
			av, n, ok := toAV(e, depth+1)
			if !ok {
				return nil, 0, false
			}
			m[k], size = av, size+len(k)+n+1
		}
		return &types.AttributeValueMemberM{Value: m}, size, true
	}
	return nil, 0, false
}

// dynamoNumber checks that DynamoDB stores JSON number s exactly: at most
// 38 significant digits, magnitude from 1e-130 to below 1e126.
func dynamoNumber(s string) (string, bool) {
	if _, ok := new(big.Rat).SetString(s); !ok {
		return "", false
	}
	mant, exp := strings.TrimPrefix(s, "-"), 0
	if i := strings.IndexAny(mant, "eE"); i >= 0 {
		e, ok := new(big.Int).SetString(strings.TrimPrefix(mant[i+1:], "+"), 10)
		if !ok || !e.IsInt64() || e.Int64() > 1e6 || e.Int64() < -1e6 {
			return "", false
		}
		mant, exp = mant[:i], int(e.Int64())
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := strings.TrimLeft(intPart+frac, "0") // value = digits × 10^(exp - len(frac))
	exp -= len(frac)
	for strings.HasSuffix(digits, "0") {
		digits, exp = digits[:len(digits)-1], exp+1
	}
	if digits == "" {
		return s, true // zero
	}
	order := exp + len(digits) // 10^(order-1) <= |value| < 10^order
	if len(digits) > maxNumDigits || order > 126 || order < -129 {
		return "", false
	}
	return s, true
}

// fromDoc is the JSON of a stored document: keys sorted, compact, numbers
// as DynamoDB returns them. It is the body's value, not its bytes.
func fromDoc(av types.AttributeValue) ([]byte, error) {
	var b bytes.Buffer
	if err := writeJSON(&b, av); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func writeJSON(b *bytes.Buffer, av types.AttributeValue) error {
	switch x := av.(type) {
	case *types.AttributeValueMemberNULL:
		b.WriteString("null")
	case *types.AttributeValueMemberBOOL:
		b.WriteString(fmt.Sprint(x.Value))
	case *types.AttributeValueMemberS:
		s, err := json.Marshal(x.Value)
		if err != nil {
			return err
		}
		b.Write(s)
	case *types.AttributeValueMemberN:
		if _, ok := new(big.Rat).SetString(x.Value); !ok {
			return fmt.Errorf("number %q", x.Value)
		}
		b.WriteString(x.Value)
	case *types.AttributeValueMemberL:
		b.WriteByte('[')
		for i, e := range x.Value {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeJSON(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case *types.AttributeValueMemberM:
		keys := make([]string, 0, len(x.Value))
		for k := range x.Value {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			ks, err := json.Marshal(k)
			if err != nil {
				return err
			}
			b.Write(ks)
			b.WriteByte(':')
			if err := writeJSON(b, x.Value[k]); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		}
		b.WriteByte('}')
	default:
		return fmt.Errorf("unsupported attribute type %T in a document", av)
	}
	return nil
}
