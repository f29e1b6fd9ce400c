package orggen

import (
	"reflect"
	"testing"
)

// FuzzParseSOQL holds the SOQL parser to two properties: it never panics,
// and what it accepts it reads back the same from its canonical form
// (parse, format, parse gives the same query). Seeds are the queries the
// Venn client sends plus edge cases; testdata/fuzz/FuzzParseSOQL keeps
// inputs the fuzzer found interesting.
func FuzzParseSOQL(f *testing.F) {
	for _, seed := range []string{
		"SELECT Id, SystemModstamp, Name FROM Opportunity WHERE SystemModstamp >= 2026-01-01T00:00:00.000+0000 ORDER BY SystemModstamp, Id",
		"SELECT COUNT() FROM Lead WHERE IsDeleted = false",
		"SELECT Id FROM CampaignMember ORDER BY Id LIMIT 10",
		"SELECT Id, Name FROM Lead WHERE Company IN ('Acme', 'O\\'Brien', 'back\\\\slash') AND Status != null",
		"SELECT Id FROM Opportunity WHERE Amount > 1234.5 AND CloseDate <= 2026-03-31 AND Probability < 50",
		"select id from lead where ismql = true",
		"SELECT Id FROM Lead WHERE Company = 'open",
		"SELECT FROM Lead",
		"SELECT Id FROM Lead LIMIT -1",
		"SELECT Id FROM Opportunity WHERE Amount = 1e30",
		"SELECT Id FROM Lead WHERE CreatedDate > 2026-06-30T23:59:59.123456Z",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, soql string) {
		q, err := parseSOQL(soql, registryLookup)
		if err != nil {
			return
		}
		canon := q.String()
		again, err := parseSOQL(canon, registryLookup)
		if err != nil {
			t.Fatalf("%q parsed, but its canonical form %q does not: %v", soql, canon, err)
		}
		if !reflect.DeepEqual(q, again) {
			t.Fatalf("%q reads back differently from %q:\n%+v\n%+v", soql, canon, q, again)
		}
	})
}
