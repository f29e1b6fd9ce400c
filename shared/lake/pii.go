package lake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strings"

	"github.com/venn-revops/venn/shared/crm"
)

// PII says how personal data (Email and Phone fields) enters the lake. By
// default every such value is replaced by hex(HMAC-SHA256(Key, normalized
// value)): joins and distinct counts still work, the value cannot be read
// back, and without the key it cannot be confirmed by guessing. The key
// comes from configuration (Secrets Manager in AWS) and is never written to
// the lake; manifests carry only KeyID.
type PII struct {
	Key []byte
	// Clear lists fields kept in clear text, as "Object.Field" Salesforce
	// names (e.g. "Contact.Phone").
	Clear []string
}

// Validate fails when some PII field would be hashed but no key is set.
func (p *PII) Validate(objects []*crm.Object) error {
	if len(p.Key) > 0 {
		if len(p.Key) < 16 {
			return errors.New("PII key is shorter than 16 bytes")
		}
		return nil
	}
	for _, o := range objects {
		for _, f := range o.Fields {
			if f.Type.IsPII() && !p.isClear(o, f) {
				return fmt.Errorf("PII key is missing and %s.%s is not configured to stay in clear", o.Name, f.Name)
			}
		}
	}
	return nil
}

func (p *PII) isClear(o *crm.Object, f crm.Field) bool {
	return slices.Contains(p.Clear, o.Name+"."+f.Name)
}

// KeyID identifies the key without revealing it: HMAC(key, a constant),
// first 8 bytes. Empty without a key.
func (p *PII) KeyID() string {
	if len(p.Key) == 0 {
		return ""
	}
	return p.hash(crm.Text, "venn-pii-key-id")[:16]
}

// HashedFields lists o's fields (Salesforce names) that Apply hashes.
func (p *PII) HashedFields(o *crm.Object) []string {
	var out []string
	for _, f := range o.Fields {
		if f.Type.IsPII() && !p.isClear(o, f) {
			out = append(out, f.Name)
		}
	}
	return out
}

// normalize makes equal contacts hash equally: emails are case-insensitive
// in practice and phones are compared by their digits (and a leading +).
func normalize(t crm.FieldType, v string) string {
	switch t {
	case crm.Email:
		return strings.ToLower(strings.TrimSpace(v))
	case crm.Phone:
		var sb strings.Builder
		for i, r := range strings.TrimSpace(v) {
			if (r >= '0' && r <= '9') || (r == '+' && i == 0) {
				sb.WriteRune(r)
			}
		}
		return sb.String()
	}
	return v
}

func (p *PII) hash(t crm.FieldType, v string) string {
	var h piiHasher
	return h.hash(p.Key, t, v)
}

// piiHasher hashes many values with one HMAC: Reset returns it to the keyed
// state without deriving the key pads again, and the sum and its hex form
// reuse the hasher's buffers (one allocation per value, the result). Not
// safe for concurrent use.
type piiHasher struct {
	mac hash.Hash
	sum [sha256.Size]byte
	hex [2 * sha256.Size]byte
}

func (h *piiHasher) hash(key []byte, t crm.FieldType, v string) string {
	if h.mac == nil {
		h.mac = hmac.New(sha256.New, key)
	} else {
		h.mac.Reset()
	}
	io.WriteString(h.mac, normalize(t, v))
	hex.Encode(h.hex[:], h.mac.Sum(h.sum[:0]))
	return string(h.hex[:])
}

// Hash returns the lake value of a PII value of type t.
func (p *PII) Hash(t crm.FieldType, v string) string { return p.hash(t, v) }

// piiPlan is the per-object list of columns to hash, computed once.
type piiPlan struct {
	pii  *PII
	cols []int
}

// Plan returns a function that hashes the PII values of o's rows in place.
// It reuses one HMAC state, so one goroutine at a time may call it.
func (p *PII) Plan(o *crm.Object) func(row *crm.Row) {
	plan := piiPlan{pii: p}
	for i, f := range o.Fields {
		if f.Type.IsPII() && !p.isClear(o, f) {
			plan.cols = append(plan.cols, i)
		}
	}
	var h piiHasher
	return func(row *crm.Row) {
		for _, i := range plan.cols {
			v := &row.Values[i]
			if !v.Null && v.S != "" {
				v.S = h.hash(plan.pii.Key, o.Fields[i].Type, v.S)
			}
		}
	}
}
