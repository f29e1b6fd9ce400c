package orggen

import (
	"fmt"
	"strings"
)

// Key prefixes: the first three characters of a Salesforce Id name the object.
var keyPrefix = map[string]string{
	"User":                   "005",
	"Account":                "001",
	"Contact":                "003",
	"Lead":                   "00Q",
	"Campaign":               "701",
	"CampaignMember":         "00v",
	"Opportunity":            "006",
	"OpportunityContactRole": "00K",
	"OpportunityHistory":     "008",
	"OpportunitySplit":       "149",
	"Task":                   "00T",
	"Product2":               "01t",
	"Contract":               "800",
	"OpportunityLineItem":    "00k",
	"LeadHistory":            "017",
	"PricebookEntry":         "01u", // referenced by line items, not served
	"CurrencyType":           "02Z",
	"DatedConversionRate":    "04w",
}

// The base62 alphabet in ASCII order, so fixed-width Ids sort (as strings)
// in the same order as the record numbers they encode.
const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// idPod is the fixed "instance" part after the key prefix, so the Ids look
// like a real org's ("00Q5g00000…").
const idPod = "5g"

// malformedBase offsets the numbers of malformed records so they sort after
// every valid and inserted record.
const malformedBase = int64(1) << 56

// makeID builds the 18-character Id of record n of the object with the given
// key prefix: prefix + pod + 10 base62 digits + the 3-character
// case-insensitivity checksum Salesforce appends to 15-character Ids.
func makeID(prefix string, n int64) string {
	var b [18]byte
	copy(b[:3], prefix)
	copy(b[3:5], idPod)
	for i := 14; i >= 5; i-- {
		b[i] = base62[n%62]
		n /= 62
	}
	appendChecksum(&b)
	return string(b[:])
}

// appendChecksum fills b[15:18]: for each 5-character chunk of the
// 15-character Id, a bit per uppercase letter, mapped to A–Z0–5.
func appendChecksum(b *[18]byte) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
	for chunk := 0; chunk < 3; chunk++ {
		v := 0
		for i := 0; i < 5; i++ {
			c := b[chunk*5+i]
			if c >= 'A' && c <= 'Z' {
				v |= 1 << i
			}
		}
		b[15+chunk] = alphabet[v]
	}
}

// parseID returns the record number encoded in an Id made by makeID for the
// given prefix.
func parseID(prefix, id string) (int64, error) {
	if len(id) != 18 || !strings.HasPrefix(id, prefix+idPod) {
		return 0, fmt.Errorf("%q is not a demo %s Id", id, prefix)
	}
	var n int64
	for i := 5; i < 15; i++ {
		d := strings.IndexByte(base62, id[i])
		if d < 0 {
			return 0, fmt.Errorf("%q is not a demo %s Id", id, prefix)
		}
		n = n*62 + int64(d)
	}
	if makeID(prefix, n) != id {
		return 0, fmt.Errorf("%q has a bad checksum", id)
	}
	return n, nil
}

// rng is a small, fast, deterministic generator (SplitMix64). Every record
// draws from its own stream keyed by (seed, object, record number), so record
// i is the same whether or not records 0..i-1 were generated: a large org can
// be rendered page by page.
type rng struct{ s uint64 }

func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func newRNG(seed int64, stream uint64, n int64) rng {
	return rng{s: mix(mix(uint64(seed)^stream*0x9e3779b97f4a7c15) ^ uint64(n))}
}

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix(r.s)
}

// intn returns a uniform int in [0, n).
func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// float returns a uniform float64 in [0, 1).
func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

// chance reports true with probability p.
func (r *rng) chance(p float64) bool { return r.float() < p }

// between returns a uniform int64 in [lo, hi).
func (r *rng) between(lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	return lo + int64(r.next()%uint64(hi-lo))
}

// weighted picks an index with probability proportional to w[i].
func (r *rng) weighted(w []int) int {
	total := 0
	for _, x := range w {
		total += x
	}
	v := r.intn(total)
	for i, x := range w {
		if v < x {
			return i
		}
		v -= x
	}
	return len(w) - 1
}
