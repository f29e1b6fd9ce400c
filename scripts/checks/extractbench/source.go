package main

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/extract"
)

// leadSource serves n synthetic leads as Salesforce REST JSON records,
// generated on the fly (so memory does not hold the org), in
// (SystemModstamp, Id) order. With changed > 0 it plays the next night:
// every 10th lead has a newer SystemModstamp and status.
type leadSource struct {
	n       int
	changed int
	buf     []byte
}

func newLeadSource(n int) *leadSource { return &leadSource{n: n} }

var (
	genStart  = time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	statuses  = []string{"Open", "Working", "MQL", "SQL", "Converted", "Disqualified"}
	sources   = []string{"Web", "Event", "Partner", "Paid Search", "Webinar"}
	segments  = []string{"SMB", "Mid", "Ent"}
	regions   = []string{"East", "West", "EMEA", "APAC"}
	companies = []string{"Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka"}
)

func leadID(i int) string {
	s := strconv.Itoa(i)
	// Digits only after the prefix: the checksum is that of "00Q": EAA.
	return "00Q" + strings.Repeat("0", 12-len(s)) + s + "EAA"
}

// record renders lead i; night 2 rewrites every 10th.
func (s *leadSource) record(i int, night2 bool) []byte {
	b := s.buf[:0]
	stamp := genStart.Add(time.Duration(i) * 15 * time.Second)
	status := statuses[i%len(statuses)]
	if night2 {
		stamp = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Millisecond)
		status = "Working"
	}
	str := func(k, v string) {
		b = append(b, ',', '"')
		b = append(b, k...)
		b = append(b, `":`...)
		b = strconv.AppendQuote(b, v)
	}
	null := func(k string) {
		b = append(b, ',', '"')
		b = append(b, k...)
		b = append(b, `":null`...)
	}
	b = append(b, `{"attributes":{"type":"Lead","url":"/services/data/v62.0/sobjects/Lead/`...)
	b = append(b, leadID(i)...)
	b = append(b, `"},"Id":"`...)
	b = append(b, leadID(i)...)
	b = append(b, '"')
	str("SystemModstamp", crm.FormatDateTime(stamp))
	str("CreatedDate", crm.FormatDateTime(genStart.Add(time.Duration(i)*10*time.Second)))
	b = append(b, `,"IsDeleted":false`...)
	str("FirstName", "First"+strconv.Itoa(i%5000))
	str("LastName", "Last"+strconv.Itoa(i%7919))
	str("Company", companies[i%len(companies)]+" "+strconv.Itoa(i%100000))
	str("Email", "lead"+strconv.Itoa(i)+"@example.com")
	if i%3 == 0 {
		null("Phone")
	} else {
		str("Phone", "+1 415 555 "+strconv.Itoa(1000+i%9000))
	}
	str("Status", status)
	str("LeadSource", sources[i%len(sources)])
	str("OwnerId", "005000000000"+strconv.Itoa(100+i%14)+"AAA")
	str("Segment__c", segments[i%len(segments)])
	str("Region__c", regions[i%len(regions)])
	if i%2 == 0 {
		str("MQL_Date__c", crm.FormatDateTime(stamp.Add(-time.Hour)))
	} else {
		null("MQL_Date__c")
	}
	null("SQL_Date__c")
	b = append(b, `,"IsConverted":false`...)
	null("ConvertedDate")
	null("ConvertedAccountId")
	null("ConvertedContactId")
	null("ConvertedOpportunityId")
	b = append(b, '}')
	s.buf = b
	return b
}

// fromBound reads the lower SystemModstamp bound of a pull's SOQL (zero:
// none): a resumed pull asks from its cursor.
func fromBound(soql string) time.Time {
	const key = "SystemModstamp >= "
	i := strings.Index(soql, key)
	if i < 0 {
		return time.Time{}
	}
	lit := soql[i+len(key):]
	if j := strings.IndexByte(lit, ' '); j >= 0 {
		lit = lit[:j]
	}
	t, err := time.Parse("2006-01-02T15:04:05Z", lit)
	if err != nil {
		panic("extractbench: SOQL bound " + lit)
	}
	return t
}

func (s *leadSource) each(fn func([]byte) error) (extract.Stats, error) {
	return s.eachFrom(time.Time{}, fn)
}

// eachFrom serves the records stamped at or after from, in stamp order.
func (s *leadSource) eachFrom(from time.Time, fn func([]byte) error) (extract.Stats, error) {
	var st extract.Stats
	if s.changed > 0 {
		// Only the changed leads, in stamp order.
		for i := 0; i < s.n; i += 10 {
			st.Records++
			if err := fn(s.record(i, true)); err != nil {
				return st, err
			}
		}
	} else {
		first := 0
		if d := from.Sub(genStart); d > 0 {
			first = int((d + 15*time.Second - 1) / (15 * time.Second))
		}
		for i := first; i < s.n; i++ {
			st.Records++
			if err := fn(s.record(i, false)); err != nil {
				return st, err
			}
		}
	}
	st.Pages = (st.Records + 1999) / 2000
	st.Requests = st.Pages
	return st, nil
}

func (s *leadSource) Query(_ context.Context, soql string, fn func([]byte) error) (extract.Stats, error) {
	return s.each(fn)
}

// QueryAll serves the deletions query: none in this benchmark.
func (s *leadSource) QueryAll(context.Context, string, func([]byte) error) (extract.Stats, error) {
	return extract.Stats{Pages: 1, Requests: 1}, nil
}

func (s *leadSource) Count(context.Context, string) (int64, error) {
	if s.changed > 0 {
		return int64(s.changed), nil
	}
	return int64(s.n), nil
}

// QueryRecords serves the pulls like Query, with each record's position.
func (s *leadSource) QueryRecords(_ context.Context, soql string, all bool, fn func(extract.Record) error) (extract.Stats, error) {
	if all {
		return extract.Stats{Pages: 1, Requests: 1}, nil // no deletions in this benchmark
	}
	i := 0
	return s.eachFrom(fromBound(soql), func(raw []byte) error {
		i++
		return fn(extract.Record{Raw: raw, Page: (i-1)/2000 + 1, Index: (i - 1) % 2000})
	})
}

func (s *leadSource) BulkQuery(context.Context, string, bool, func([]string, extract.Record) error) (extract.Stats, error) {
	panic("extractbench: bulk path not benchmarked (BulkThreshold is above the lead count)")
}

func (s *leadSource) Describe(context.Context, string) ([]string, error) {
	return crm.Lead.FieldNames(), nil
}
