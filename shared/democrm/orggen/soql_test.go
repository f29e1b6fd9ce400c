package orggen

import (
	"errors"
	"strings"
	"testing"

	"github.com/venn-revops/venn/shared/crm"
)

func TestParseSOQL(t *testing.T) {
	tests := []struct {
		q        string
		obj      *crm.Object
		fields   int
		conds    int
		byStamp  bool
		count    bool
		limit    int
		wantCode string
	}{
		{q: "SELECT Id, Name FROM Account", obj: crm.Account, fields: 2, limit: -1},
		{q: "select id, systemmodstamp from lead where SystemModstamp >= 2026-01-01T00:00:00Z and SystemModstamp < 2026-02-01T00:00:00.000+0000 order by SystemModstamp asc, Id asc", obj: crm.Lead, fields: 2, conds: 2, byStamp: true, limit: -1},
		{q: "SELECT COUNT() FROM Opportunity WHERE IsDeleted = true", obj: crm.Opportunity, count: true, conds: 1, limit: -1},
		{q: "SELECT Id FROM Opportunity WHERE Id IN ('0065g0000000000AAA', '0065g0000000001AAA') ORDER BY Id LIMIT 5", obj: crm.Opportunity, fields: 1, conds: 1, limit: 5},
		{q: "SELECT Id FROM Lead WHERE Company = 'O\\'Brien Ltd' AND MQL_Date__c != null", obj: crm.Lead, fields: 1, conds: 2, limit: -1},
		{q: "SELECT Id FROM Widget", wantCode: "INVALID_TYPE"},
		{q: "SELECT Id, Colour__c FROM Lead", wantCode: "INVALID_FIELD"},
		{q: "SELECT Id FROM Lead WHERE Colour__c = 'red'", wantCode: "INVALID_FIELD"},
		{q: "SELECT Id FROM Lead WHERE IsConverted = 'true'", wantCode: "INVALID_FIELD"},
		{q: "SELECT Id FROM Lead WHERE SystemModstamp >= '2026-01-01'", wantCode: "INVALID_FIELD"},
		{q: "SELECT Id FROM Lead WHERE Company = unquoted", wantCode: "MALFORMED_QUERY"},
		{q: "SELECT Id FROM Lead WHERE Id >= '00Q5g0000000abc' AND Id < '00Q5g0000000abd' ORDER BY Id DESC LIMIT 1", obj: crm.Lead, fields: 1, conds: 2, limit: 1},
		{q: "SELECT Id FROM Lead ORDER BY CreatedDate", wantCode: "MALFORMED_QUERY"},
		{q: "SELECT Id FROM Lead ORDER BY SystemModstamp DESC, Id", wantCode: "MALFORMED_QUERY"},
		{q: "SELECT Id FROM Lead WHERE Company = 'open", wantCode: "MALFORMED_QUERY"},
		{q: "SELECT FROM Lead", wantCode: "MALFORMED_QUERY"},
		{q: "SELECT Id FROM Lead LIMIT ten", wantCode: "MALFORMED_QUERY"},
		{q: "SELECT Id FROM Lead trailing", wantCode: "MALFORMED_QUERY"},
	}
	for _, tc := range tests {
		q, err := parseSOQL(tc.q, registryLookup)
		if tc.wantCode != "" {
			var se *QueryError
			if !errors.As(err, &se) || se.Code != tc.wantCode {
				t.Errorf("%s: err = %v, want %s", tc.q, err, tc.wantCode)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.q, err)
			continue
		}
		if q.obj != tc.obj || len(q.fields) != tc.fields || len(q.conds) != tc.conds || q.byStamp != tc.byStamp || q.count != tc.count || q.limit != tc.limit {
			t.Errorf("%s: parsed %+v", tc.q, q)
		}
	}
}

func TestConditions(t *testing.T) {
	o := Generate(Config{Seed: 1, Leads: 200, Malformed: -1})
	tests := []struct {
		where string
		want  func(r *crm.Row) bool
	}{
		{"LeadSource = 'Webinar'", func(r *crm.Row) bool { return val(crm.Lead, r, "LeadSource").S == "Webinar" }},
		{"LeadSource != 'Webinar'", func(r *crm.Row) bool { return val(crm.Lead, r, "LeadSource").S != "Webinar" }},
		{"MQL_Date__c = null", func(r *crm.Row) bool { return val(crm.Lead, r, "MQL_Date__c").Null }},
		{"IsConverted = true AND Segment__c IN ('SMB', 'Enterprise')", func(r *crm.Row) bool {
			s := val(crm.Lead, r, "Segment__c").S
			return val(crm.Lead, r, "IsConverted").B && (s == "SMB" || s == "Enterprise")
		}},
		{"ConvertedDate <= 2026-03-31", func(r *crm.Row) bool {
			d := val(crm.Lead, r, "ConvertedDate")
			return !d.Null && d.I <= 20543 // 2026-03-31 is day 20543 since 1970-01-01
		}},
		{"CreatedDate > 2026-06-30T23:59:59Z", func(r *crm.Row) bool { return r.Values[2].I > 1782863999_000000 }},
	}
	for _, tc := range tests {
		q, err := parseSOQL("SELECT Id FROM Lead WHERE "+tc.where, registryLookup)
		if err != nil {
			t.Fatal(err)
		}
		o.mu.RLock()
		refs := o.selectRecords(q, false)
		o.mu.RUnlock()
		want := 0
		_ = o.Each(crm.Lead, func(r *crm.Row) error {
			if tc.want(r) {
				want++
			}
			return nil
		})
		if len(refs) != want || want == 0 {
			t.Errorf("WHERE %s: %d records, want %d (nonzero)", tc.where, len(refs), want)
		}
	}
}

func TestWireValues(t *testing.T) {
	tests := []struct {
		f    crm.Field
		v    crm.Value
		rest string
		bulk string
	}{
		{crm.Field{Type: crm.Currency}, crm.Value{I: 1951119}, "19511.19", "19511.19"},
		{crm.Field{Type: crm.Currency}, crm.Value{I: 2500050}, "25000.5", "25000.5"},
		{crm.Field{Type: crm.Currency}, crm.Value{I: 1000}, "10.0", "10.0"},
		{crm.Field{Type: crm.Currency}, crm.Value{I: -7}, "-0.07", "-0.07"},
		{crm.Field{Type: crm.Percent}, crm.Value{I: 6000}, "60.0", "60.0"},
		{crm.Field{Type: crm.DateTime}, crm.Value{I: 1782863999_000000}, "2026-06-30T23:59:59.000+0000", "2026-06-30T23:59:59.000Z"},
		{crm.Field{Type: crm.Date}, crm.Value{I: 20543}, "2026-03-31", "2026-03-31"},
		{crm.Field{Type: crm.Bool}, crm.Value{B: false}, "false", "false"},
	}
	for _, tc := range tests {
		if got := string(AppendValue(nil, tc.f, tc.v, false)); got != tc.rest {
			t.Errorf("REST %s %+v = %s, want %s", tc.f.Type, tc.v, got, tc.rest)
		}
		if got := string(AppendValue(nil, tc.f, tc.v, true)); got != tc.bulk {
			t.Errorf("Bulk %s %+v = %s, want %s", tc.f.Type, tc.v, got, tc.bulk)
		}
	}
}

// registryLookup resolves the registry's objects, as the standard org has them.
func registryLookup(name string) (*crm.Object, bool) {
	for _, o := range crm.Objects {
		if strings.EqualFold(o.Name, name) {
			return o, true
		}
	}
	return nil, false
}
