package extract

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/crm"
)

// fakeSource is an in-memory org that answers the SOQL shapes the extract
// sends (SELECT fields / COUNT() FROM obj WHERE SystemModstamp and
// IsDeleted conditions), REST and Bulk alike.
type fakeSource struct {
	mu       sync.Mutex
	records  map[string][]map[string]any // object → records (with IsDeleted)
	describe map[string][]string         // overrides the registry's field list
	// failAfter makes Query fail after that many records (0: never).
	failAfter int
	// duplicate emits every record twice, as overlapping pages do.
	duplicate bool
	// afterQuery runs after every REST query (e.g. to move a test clock).
	afterQuery func()
	// raw serves these bytes instead of the record with that Id (REST), a
	// malformed record as the org sent it.
	raw  map[string][]byte
	soql []string
	// reverseTies serves records sharing a SystemModstamp in descending
	// Id order: the org's order among equal stamps is not promised.
	reverseTies bool
}

func newFakeSource() *fakeSource {
	return &fakeSource{records: map[string][]map[string]any{}, describe: map[string][]string{}}
}

func (f *fakeSource) load(t *testing.T, object, file string) {
	t.Helper()
	fh, err := os.Open("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		f.records[object] = append(f.records[object], m)
	}
}

// set inserts or replaces a record (by Id).
func (f *fakeSource) set(object string, rec map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, r := range f.records[object] {
		if r["Id"] == rec["Id"] {
			f.records[object][i] = rec
			return
		}
	}
	f.records[object] = append(f.records[object], rec)
}

// update changes fields of a record and stamps it.
func (f *fakeSource) update(object, id string, stamp string, fields map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.records[object] {
		if r["Id"] == id {
			for k, v := range fields {
				r[k] = v
			}
			r["SystemModstamp"] = stamp
			return
		}
	}
	panic("no record " + id)
}

// hardDelete removes a record without a trace (CampaignMember-style).
func (f *fakeSource) hardDelete(object, id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.records[object] = slices.DeleteFunc(f.records[object], func(r map[string]any) bool { return r["Id"] == id })
}

var soqlRe = regexp.MustCompile(`^SELECT (.+?) FROM (\w+)(?: WHERE (.+?))?(?: ORDER BY (.+))?$`)

type parsedQuery struct {
	fields  []string
	object  string
	from    string
	to      string
	deleted bool
	ids     map[string]bool // Id IN (...)
}

func parseSOQL(soql string) (parsedQuery, error) {
	m := soqlRe.FindStringSubmatch(soql)
	if m == nil {
		return parsedQuery{}, fmt.Errorf("fake source: cannot parse %q", soql)
	}
	q := parsedQuery{fields: strings.Split(m[1], ", "), object: m[2]}
	if m[3] != "" {
		for _, c := range strings.Split(m[3], " AND ") {
			switch {
			case strings.HasPrefix(c, "SystemModstamp >= "):
				q.from = strings.TrimPrefix(c, "SystemModstamp >= ")
			case strings.HasPrefix(c, "SystemModstamp < "):
				q.to = strings.TrimPrefix(c, "SystemModstamp < ")
			case c == "IsDeleted = true":
				q.deleted = true
			case strings.HasPrefix(c, "Id IN ('") && strings.HasSuffix(c, "')"):
				q.ids = map[string]bool{}
				for _, id := range strings.Split(strings.TrimSuffix(strings.TrimPrefix(c, "Id IN ('"), "')"), "', '") {
					q.ids[id] = true
				}
			default:
				return q, fmt.Errorf("fake source: condition %q", c)
			}
		}
	}
	return q, nil
}

func stampOf(r map[string]any) time.Time {
	t, err := crm.ParseDateTime(r["SystemModstamp"].(string))
	if err != nil {
		panic(err)
	}
	return t
}

func soqlBound(s string) time.Time {
	t, err := time.Parse("2006-01-02T15:04:05Z", s)
	if err != nil {
		panic(err)
	}
	return t
}

// matching returns the records of a query in (SystemModstamp, Id) order.
func (f *fakeSource) matching(q parsedQuery, all bool) []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []map[string]any
	for _, r := range f.records[q.object] {
		deleted := r["IsDeleted"] == true
		if (deleted && !all) || (q.deleted && !deleted) {
			continue
		}
		if q.ids != nil && !q.ids[r["Id"].(string)] {
			continue
		}
		if q.from != "" && stampOf(r).Before(soqlBound(q.from)) {
			continue
		}
		if q.to != "" && !stampOf(r).Before(soqlBound(q.to)) {
			continue
		}
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool {
		si, sj := stampOf(out[i]), stampOf(out[j])
		if !si.Equal(sj) {
			return si.Before(sj)
		}
		return (out[i]["Id"].(string) < out[j]["Id"].(string)) != f.reverseTies
	})
	return out
}

func (f *fakeSource) log(soql string) {
	f.mu.Lock()
	f.soql = append(f.soql, soql)
	f.mu.Unlock()
}

func (f *fakeSource) rest(ctx context.Context, soql string, all bool, fn func(Record) error) (Stats, error) {
	f.log(soql)
	q, err := parseSOQL(soql)
	if err != nil {
		return Stats{}, err
	}
	recs := f.matching(q, all)
	if f.afterQuery != nil {
		defer f.afterQuery()
	}
	var st Stats
	st.Pages = max(1, (len(recs)+1999)/2000)
	st.Requests = st.Pages
	for i, r := range recs {
		if f.failAfter > 0 && i >= f.failAfter {
			return st, fmt.Errorf("fake source: QUERY_TIMEOUT after %d records", i)
		}
		var b bytes.Buffer
		b.WriteString(`{"attributes":{"type":"` + q.object + `"}`)
		for _, name := range q.fields {
			v, ok := r[name]
			if !ok {
				continue
			}
			enc, _ := json.Marshal(v)
			fmt.Fprintf(&b, `,%q:%s`, name, enc)
		}
		b.WriteString("}")
		raw := b.Bytes()
		if alt, ok := f.raw[r["Id"].(string)]; ok {
			raw = alt
		}
		copies := 1
		if f.duplicate {
			copies = 2
		}
		for range copies {
			st.Records++
			if err := fn(Record{Raw: raw, Page: i/2000 + 1, Index: i % 2000}); err != nil {
				return st, err
			}
		}
	}
	return st, nil
}

func (f *fakeSource) Query(ctx context.Context, soql string, fn func([]byte) error) (Stats, error) {
	return f.rest(ctx, soql, false, func(r Record) error { return fn(r.Raw) })
}

func (f *fakeSource) QueryAll(ctx context.Context, soql string, fn func([]byte) error) (Stats, error) {
	return f.rest(ctx, soql, true, func(r Record) error { return fn(r.Raw) })
}

func (f *fakeSource) QueryRecords(ctx context.Context, soql string, all bool, fn func(Record) error) (Stats, error) {
	return f.rest(ctx, soql, all, fn)
}

func (f *fakeSource) Count(ctx context.Context, soql string) (int64, error) {
	f.log(soql)
	q, err := parseSOQL(soql)
	if err != nil {
		return 0, err
	}
	return int64(len(f.matching(q, false))), nil
}

func (f *fakeSource) BulkQuery(ctx context.Context, soql string, all bool, fn func(header []string, record Record) error) (Stats, error) {
	f.log("BULK " + soql)
	q, err := parseSOQL(soql)
	if err != nil {
		return Stats{}, err
	}
	st := Stats{Pages: 1, Requests: 3}
	for _, r := range f.matching(q, all) {
		rec := make([]string, len(q.fields))
		for i, name := range q.fields {
			switch v := r[name].(type) {
			case nil:
			case string:
				rec[i] = v
			case bool:
				rec[i] = fmt.Sprint(v)
			case json.Number:
				rec[i] = v.String()
			default:
				panic(fmt.Sprintf("%T", v))
			}
		}
		st.Records++
		if err := fn(q.fields, Record{Cells: rec, Page: 1, Index: st.Records - 1}); err != nil {
			return st, err
		}
	}
	return st, nil
}

func (f *fakeSource) Describe(ctx context.Context, object string) ([]string, error) {
	if d, ok := f.describe[object]; ok {
		return d, nil
	}
	o, err := crm.Lookup(object)
	if err != nil {
		return nil, err
	}
	return o.FieldNames(), nil
}
