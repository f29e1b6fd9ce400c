package crm

import (
	"fmt"
	"strings"
)

// Salesforce record Ids: 15 case-sensitive characters [0-9A-Za-z], the
// first three of which (the key prefix) name the object, optionally
// followed by a 3-character checksum that makes the Id case-insensitive.
// This file is the one home of the Id rules; the decoders call it for
// every ID field.

// keyPrefixes are the key prefixes of the standard objects Venn reads or
// refers to. They are the same in every org (custom objects' prefixes are
// per org, so their Ids are checked for syntax and checksum only).
var keyPrefixes = map[string]string{
	"Account":                "001",
	"Contact":                "003",
	"User":                   "005",
	"Opportunity":            "006",
	"OpportunityHistory":     "008",
	"Group":                  "00G",
	"OpportunityContactRole": "00K",
	"Lead":                   "00Q",
	"LeadHistory":            "017", // every field history object's prefix
	"Profile":                "00e",
	"Task":                   "00T",
	"CampaignMember":         "00v",
	"OpportunityLineItem":    "00k",
	"OpportunitySplit":       "149",
	"Product2":               "01t",
	"PricebookEntry":         "01u",
	"Campaign":               "701",
	"Contract":               "800",
}

// refTargets lists, per reference field name, the objects its Ids may
// point to, where that target is fixed. OwnerId names a user or a queue (a
// Group). WhoId and WhatId are polymorphic and SplitTypeId points to an
// object whose prefix we do not rely on: those fields (and any field not
// listed) are checked for syntax and checksum only.
var refTargets = map[string][]string{
	"OwnerId":                {"User", "Group"},
	"ManagerId":              {"User"},
	"CreatedById":            {"User"},
	"ProfileId":              {"Profile"},
	"SplitOwnerId":           {"User"},
	"AccountId":              {"Account"},
	"ConvertedAccountId":     {"Account"},
	"ContactId":              {"Contact"},
	"ConvertedContactId":     {"Contact"},
	"LeadId":                 {"Lead"},
	"OpportunityId":          {"Opportunity"},
	"ConvertedOpportunityId": {"Opportunity"},
	"CampaignId":             {"Campaign"},
	"ContractId":             {"Contract"},
	"Product2Id":             {"Product2"},
	"PricebookEntryId":       {"PricebookEntry"},
}

// KeyPrefix returns the key prefix of a standard object's Ids.
func KeyPrefix(object string) (string, bool) {
	p, ok := keyPrefixes[object]
	return p, ok
}

// checksumAlphabet maps a 5-bit mask to the checksum character.
const checksumAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

// idChecksum computes the 3-character suffix of a 15-character Id: for each
// 5-character chunk, bit i is set when character i of the chunk is an
// uppercase letter A-Z. An array, not a string: NormalizeID runs on every Id
// of every record and compares without allocating.
func idChecksum(id15 string) [3]byte {
	var out [3]byte
	for chunk := 0; chunk < 3; chunk++ {
		v := 0
		for i := 0; i < 5; i++ {
			if c := id15[chunk*5+i]; c >= 'A' && c <= 'Z' {
				v |= 1 << i
			}
		}
		out[chunk] = checksumAlphabet[v]
	}
	return out
}

func isIDChar(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

// NormalizeID checks a record Id's syntax (15 or 18 characters of
// [0-9A-Za-z]) and, for 18 characters, its checksum, and returns the
// 18-character form: a 15-character Id is completed with its checksum.
func NormalizeID(s string) (string, error) {
	if len(s) != 15 && len(s) != 18 {
		return "", fmt.Errorf("%q is not a 15- or 18-character Id", s)
	}
	for i := 0; i < len(s); i++ {
		if !isIDChar(s[i]) {
			return "", fmt.Errorf("%q is not an Id: character %d is not a letter or digit", s, i+1)
		}
	}
	sum := idChecksum(s[:15])
	if len(s) == 15 {
		return s + string(sum[:]), nil
	}
	if s[15] != sum[0] || s[16] != sum[1] || s[17] != sum[2] {
		return "", fmt.Errorf("%q has a bad checksum (%s, want %s)", s, s[15:], string(sum[:]))
	}
	return s, nil
}

// CheckIDPrefix checks that id (already normalized) may be the value of
// field in a record of object: the record's own Id must carry the object's
// key prefix; a reference with a fixed target must carry one of its
// targets' prefixes. Objects and fields without a known prefix pass.
func CheckIDPrefix(object, field, id string) error {
	if field == "Id" {
		// The record's own Id: one target, checked without a slice.
		if p, ok := keyPrefixes[object]; ok && p != id[:3] {
			return fmt.Errorf("%q is not a %s Id (key prefix %s, want %s)", id, object, id[:3], p)
		}
		return nil
	}
	targets := refTargets[field]
	// The common case, a matching prefix, is decided without building
	// the list of wanted prefixes (this runs on every Id of every record).
	known := false
	for _, t := range targets {
		if p, ok := keyPrefixes[t]; ok {
			if p == id[:3] {
				return nil
			}
			known = true
		}
	}
	if !known {
		return nil
	}
	var want []string
	for _, t := range targets {
		if p, ok := keyPrefixes[t]; ok {
			want = append(want, p)
		}
	}
	return fmt.Errorf("%q is not a %s Id (key prefix %s, want %s)", id, strings.Join(targets, " or "), id[:3], strings.Join(want, " or "))
}

// UsableID reports whether id can identify a record of object when asked
// for again (WHERE Id IN (...)): valid syntax, checksum and key prefix.
func UsableID(object, id string) bool {
	n, err := NormalizeID(id)
	return err == nil && n == id && CheckIDPrefix(object, "Id", n) == nil
}
