package crm

import (
	"errors"
	"strings"
	"testing"
	"unicode"
)

// The expected 18-character forms below were worked by hand: for each
// 5-character chunk, add 1, 2, 4, 8, 16 for an uppercase letter in
// position 1..5 and look the sum up in A..Z0..5.
func TestNormalizeID(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{in: "001000000000001", want: "001000000000001AAA"},
		{in: "0015000000Gv7qJ", want: "0015000000Gv7qJAAR"},             // G=1 + J=16 = 17 → R
		{in: "00Q5g00000AbCdE", want: "00Q5g00000AbCdEEAV"},             // Q=4 → E; A+C+E = 1+4+16 = 21 → V
		{in: "006ABCDEFGHIJKL", want: "006ABCDEFGHIJKLY55"},             // A,B at 4,5 = 8+16 = 24 → Y; all upper = 31 → 5
		{in: "00Q5g00000AbCdEEAV", want: "00Q5g00000AbCdEEAV"},          // already complete
		{in: "00Q000000000001AAA", err: "bad checksum (AAA, want EAA)"}, // the Q is uppercase
		{in: "00Q5g00000abCdEEAV", err: "bad checksum"},                 // case changed after the checksum
		{in: "006-00000000001AAA", err: "character 4 is not a letter or digit"},
		{in: "006000000000001AA", err: "15- or 18-character"},
		{in: "", err: "15- or 18-character"},
		{in: "00600000000000é", err: "15- or 18-character"}, // é is two bytes: 16 bytes
		{in: "0060000000000é", err: "not a letter or digit"},
	}
	for _, tt := range tests {
		got, err := NormalizeID(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("NormalizeID(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizeID(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestCheckIDPrefix(t *testing.T) {
	tests := []struct {
		object, field, id string
		ok                bool
	}{
		{"Opportunity", "Id", "006000000000001AAA", true},
		{"Opportunity", "Id", "00Q000000000001EAA", false}, // a Lead Id on an Opportunity
		{"Lead", "Id", "00Q000000000001EAA", true},
		{"Opportunity", "OwnerId", "005000000000001AAA", true},
		{"Opportunity", "OwnerId", "00G000000000001EAA", true}, // a queue
		{"Opportunity", "OwnerId", "001000000000001AAA", false},
		{"Opportunity", "AccountId", "003000000000001AAA", false},
		{"Task", "WhoId", "00Q000000000001EAA", true}, // polymorphic: syntax only
		{"Task", "WhatId", "001000000000001AAA", true},
		{"Custom__c", "Id", "a0B000000000001CAA", true}, // no known prefix
		{"OpportunitySplit", "SplitTypeId", "1495g0000000001AAA", true},
	}
	for _, tt := range tests {
		err := CheckIDPrefix(tt.object, tt.field, tt.id)
		if (err == nil) != tt.ok {
			t.Errorf("CheckIDPrefix(%s, %s, %s) = %v, want ok=%v", tt.object, tt.field, tt.id, err, tt.ok)
		}
	}
	if UsableID("Opportunity", "00Q000000000001EAA") || UsableID("Lead", "00Q000000000001AAA") || !UsableID("Lead", "00Q000000000001EAA") {
		t.Error("UsableID")
	}
}

// checksumByHand is an independent formulation of the checksum, for the
// fuzz test: the chunk's uppercase letters read as a little-endian binary
// number.
func checksumByHand(id15 string) string {
	var sb strings.Builder
	for c := 0; c < 3; c++ {
		n := 0
		for i := 4; i >= 0; i-- {
			n *= 2
			if unicode.IsUpper(rune(id15[c*5+i])) && id15[c*5+i] < 128 {
				n++
			}
		}
		sb.WriteByte("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"[n])
	}
	return sb.String()
}

func FuzzNormalizeID(f *testing.F) {
	for _, s := range []string{"001000000000001", "0015000000Gv7qJAAR", "00Q000000000001AAA", "006-00000000001", "zzzzzzzzzzzzzzzzzz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizeID(s)
		if err != nil {
			return
		}
		if len(got) != 18 || got[:15] != s[:15] {
			t.Fatalf("NormalizeID(%q) = %q", s, got)
		}
		for i := 0; i < len(got); i++ {
			if !isIDChar(got[i]) {
				t.Fatalf("NormalizeID(%q) = %q: bad character", s, got)
			}
		}
		if got[15:] != checksumByHand(got[:15]) {
			t.Fatalf("NormalizeID(%q) = %q, checksum by hand %s", s, got, checksumByHand(got[:15]))
		}
		if again, err := NormalizeID(got); err != nil || again != got {
			t.Fatalf("not idempotent: %q → %q, %v", got, again, err)
		}
		if len(s) == 18 && s != got {
			t.Fatalf("an accepted 18-character Id changed: %q → %q", s, got)
		}
	})
}

func TestCurrencies(t *testing.T) {
	if _, err := NewCurrencies([]string{"USD", "EUR", "XYZ"}); err == nil {
		t.Error("XYZ accepted as an active currency")
	}
	active, err := NewCurrencies([]string{"USD", "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	for code, ok := range map[string]bool{"USD": true, "EUR": true, "GBP": false, "XYZ": false, "usd": false, "": false} {
		if got := active.Check(code) == nil; got != ok {
			t.Errorf("active %s: %v want %v", code, got, ok)
		}
	}
	var any Currencies
	for code, ok := range map[string]bool{"GBP": true, "JPY": true, "XYZ": false, "XXX": false} {
		if got := any.Check(code) == nil; got != ok {
			t.Errorf("any %s: %v want %v", code, got, ok)
		}
	}
}

// opp builds an Opportunity record from goodOpp with members replaced
// (a value of "" removes the member).
func opp(repl map[string]string) string {
	rec := goodOpp
	for k, v := range repl {
		i := strings.Index(rec, `"`+k+`":`)
		j := i + len(k) + 3
		end := j
		for depth, inStr := 0, false; end < len(rec); end++ {
			c := rec[end]
			if inStr {
				if c == '\\' {
					end++
				} else if c == '"' {
					inStr = false
				}
				continue
			}
			if c == '"' {
				inStr = true
			} else if c == '{' {
				depth++
			} else if c == '}' {
				if depth == 0 {
					break
				}
				depth--
			} else if c == ',' && depth == 0 {
				break
			}
		}
		rec = rec[:j] + v + rec[end:]
	}
	return rec
}

func TestDecodeValidation(t *testing.T) {
	tests := []struct {
		name   string
		repl   map[string]string
		field  string
		reason string
	}{
		{"lead id on opportunity", map[string]string{"Id": `"00Q000000000001EAA"`}, "Id", "not a Opportunity Id"},
		{"bad checksum", map[string]string{"Id": `"006000000000001AAB"`}, "Id", "bad checksum"},
		{"hyphen", map[string]string{"Id": `"006-00000000001AAA"`}, "Id", "not a letter or digit"},
		{"account id on owner", map[string]string{"OwnerId": `"001000000000001AAA"`}, "OwnerId", "not a User or Group Id"},
		{"currency XYZ", map[string]string{"CurrencyIsoCode": `"XYZ"`}, "CurrencyIsoCode", "not an ISO 4217"},
		{"currency null", map[string]string{"CurrencyIsoCode": `null`}, "CurrencyIsoCode", "required"},
		{"stage null", map[string]string{"StageName": `null`}, "StageName", "required"},
		{"owner null", map[string]string{"OwnerId": `null`}, "OwnerId", "required"},
		{"attributes of a lead", map[string]string{"attributes": `{"type":"Lead","url":"/x"}`}, "attributes.type", "is a Lead, not a Opportunity"},
		{"lone surrogate", map[string]string{"Name": `"Acme \ud800 renewal"`}, "Name", "malformed"},
		{"invalid utf-8", map[string]string{"Name": "\"Acme \xff renewal\""}, "Name", "malformed"},
	}
	d := NewDecoder(Opportunity)
	for _, tt := range tests {
		var row Row
		err := d.DecodeJSON([]byte(opp(tt.repl)), &row)
		var fe *FieldError
		if !errors.As(err, &fe) {
			t.Errorf("%s: want FieldError, got %v", tt.name, err)
			continue
		}
		if fe.Field != tt.field || !strings.Contains(fe.Reason, tt.reason) {
			t.Errorf("%s: got field %s reason %q", tt.name, fe.Field, fe.Reason)
		}
		// The Id is named even when decoding stopped before reaching it.
		if tt.field != "Id" && fe.ID != "006000000000001AAA" {
			t.Errorf("%s: reject names Id %q", tt.name, fe.ID)
		}
	}
	// A 15-character Id is stored in its 18-character form.
	var row Row
	if err := d.DecodeJSON([]byte(opp(map[string]string{"Id": `"0065g00000AbCdE"`})), &row); err != nil || row.ID() != "0065g00000AbCdEAAV" {
		t.Errorf("15-character Id: %q %v", row.ID(), err)
	}
	// The org's active currencies narrow the ISO list.
	d.Currencies, _ = NewCurrencies([]string{"EUR"})
	if err := d.DecodeJSON([]byte(goodOpp), &row); err == nil || !strings.Contains(err.Error(), "active currencies") {
		t.Errorf("USD outside the active currencies: %v", err)
	}
}

// A valid 18-character Id of the right object is checked without
// allocating: both checks run on every Id field of every pulled record.
func TestValidIDChecksAllocateNothing(t *testing.T) {
	const lead = "00Q5g00000AbCdEEAV" // checksum worked in TestNormalizeID
	allocs := testing.AllocsPerRun(100, func() {
		n, err := NormalizeID(lead)
		if err != nil || n != lead {
			t.Fatalf("NormalizeID(%s) = %s, %v", lead, n, err)
		}
		if err := CheckIDPrefix("Lead", "Id", n); err != nil {
			t.Fatal(err)
		}
		if err := CheckIDPrefix("Opportunity", "ConvertedOpportunityId", "006ABCDEFGHIJKLY55"); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per valid Id check, want 0", allocs)
	}
}
