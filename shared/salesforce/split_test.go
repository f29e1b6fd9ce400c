package salesforce

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

func readPage(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/pages/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A page whose records include invalid UTF-8, a lone surrogate escape, a
// duplicate key and a bare number delivers every element, in order, byte
// for byte as sent; only the number is flagged by the splitter (the
// others are the strict decoder's to judge), and the page is not failed.
func TestDecodePageToleratesBadRecords(t *testing.T) {
	body := readPage(t, "bad_records.json")
	var got []Record
	p, err := decodePage(body, func(r Record) error {
		r.Raw = bytes.Clone(r.Raw)
		got = append(got, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !p.done || p.totalSize != 6 || len(got) != 6 {
		t.Fatalf("page %+v, %d records", p, len(got))
	}
	// The expected raw texts are the file's own bytes between the
	// separators (",\n"), found without a JSON parser.
	inner := body[bytes.Index(body, []byte(`"records":[`))+len(`"records":[`) : len(body)-2]
	want := bytes.Split(inner, []byte(",\n"))
	for i, r := range got {
		if !bytes.Equal(r.Raw, want[i]) || r.Index != i {
			t.Errorf("record %d: index %d raw %q, want %q", i, r.Index, r.Raw, want[i])
		}
		if (r.Err != nil) != (i == 4) {
			t.Errorf("record %d: err %v", i, r.Err)
		}
	}
	if got[4].Err == nil || !strings.Contains(got[4].Err.Error(), "number, not an object") {
		t.Errorf("the number element: %v", got[4].Err)
	}
}

func TestDecodePageBrokenEnvelope(t *testing.T) {
	for file, want := range map[string]string{
		"truncated.json":          "query response",
		"not_json.html":           "not a JSON object",
		"no_records.json":         "no records array",
		"no_done.json":            "no done flag",
		"duplicate_envelope.json": `duplicate member "done"`,
		"syntax_error.json":       "record 2",
		"trailing.json":           "data after the JSON object",
	} {
		_, err := decodePage(readPage(t, file), func(Record) error { return nil })
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err %v, want it to mention %q", file, err, want)
		}
	}
	// A COUNT() response needs no records.
	if p, err := decodePage(readPage(t, "no_records.json"), nil); err != nil || !p.done {
		t.Errorf("count response: %+v %v", p, err)
	}
}

func TestReadCSVPageQuarantinesBadRows(t *testing.T) {
	type row struct {
		raw   string
		cells []string
		err   string
	}
	want := []row{
		{raw: "00Q000000000001EAA,Lee,Acme", cells: []string{"00Q000000000001EAA", "Lee", "Acme"}},
		{raw: `00Q000000000002EAA,"Ng"x,Globex`, err: "follows a closing quote"},
		{raw: "00Q000000000003EAA,Oh,Initech,extra", err: "4 cells for 3 columns"},
		{raw: `00Q000000000004EAA,Li"u,Umbrella`, err: "quote inside an unquoted cell"},
		{raw: "00Q000000000005EAA,\"Multi\nLine, \"\"quoted\"\"\",Hooli", cells: []string{"00Q000000000005EAA", "Multi\nLine, \"quoted\"", "Hooli"}},
		{raw: `00Q000000000006EAA,Park,"Pied Piper`, err: "never closed"},
		{raw: "00Q000000000007EAA,Kim,Stark", cells: []string{"00Q000000000007EAA", "Kim", "Stark"}},
	}
	var got []row
	n, header, err := readCSVPage(readPage(t, "bad_rows.csv"), 3, nil, func(h []string, r Record) error {
		if r.Page != 3 || r.Index != len(got) {
			t.Errorf("row %d at page %d index %d", len(got), r.Page, r.Index)
		}
		g := row{raw: string(r.Raw), cells: slices.Clone(r.Cells)}
		if r.Err != nil {
			g.err = r.Err.Error()
		}
		got = append(got, g)
		return nil
	})
	if err != nil || n != len(want) || !slices.Equal(header, []string{"Id", "LastName", "Company"}) {
		t.Fatalf("n %d header %v err %v", n, header, err)
	}
	for i, w := range want {
		g := got[i]
		if g.raw != w.raw || !slices.Equal(g.cells, w.cells) || (w.err == "") != (g.err == "") || !strings.Contains(g.err, w.err) {
			t.Errorf("row %d: got %+q, want %+q", i, g, w)
		}
	}
	// A malformed header fails the page.
	if _, _, err := readCSVPage([]byte("Id,\"Last\"x\n1,2\n"), 1, nil, func([]string, Record) error { return nil }); err == nil {
		t.Error("a malformed header was accepted")
	}
}

// FuzzCSVSplitter holds the tolerant splitter to encoding/csv wherever
// encoding/csv reads the data without error, and checks that every row's
// text is a piece of the input, in order, whatever the input.
func FuzzCSVSplitter(f *testing.F) {
	f.Add([]byte("a,b,c\n1,2,3\n"))
	f.Add([]byte("a,\"b\nc\",d\r\n\"x\"\"y\",,\n\n"))
	f.Add([]byte("a,\"b\"c,d\ne,f\n"))
	f.Add([]byte("\"unterminated\n1,2\n"))
	f.Add([]byte("a\r\nb\rc\r"))
	if b, err := os.ReadFile("testdata/pages/bad_rows.csv"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var rows [][]string
		sp := &csvSplitter{data: data}
		last := 0
		bad := false
		for {
			raw, cells, err, ok := sp.next()
			if !ok {
				break
			}
			if len(raw) > 0 {
				at := bytes.Index(data[last:], raw)
				if at < 0 {
					t.Fatalf("row text %q is not in the input after offset %d", raw, last)
				}
				last += at + len(raw)
			}
			if err != nil {
				bad = true
				if cells != nil {
					t.Fatalf("a malformed row has cells")
				}
				continue
			}
			rows = append(rows, slices.Clone(cells))
		}
		r := csv.NewReader(bytes.NewReader(data))
		r.FieldsPerRecord = -1
		var want [][]string
		for {
			rec, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return // encoding/csv gives up here; the splitter goes on
			}
			want = append(want, rec)
		}
		if bad {
			t.Fatalf("the splitter found a malformed row in data encoding/csv reads: %q", data)
		}
		if len(rows) != len(want) {
			t.Fatalf("%d rows, encoding/csv %d: %q", len(rows), len(want), data)
		}
		for i := range rows {
			if !slices.Equal(rows[i], want[i]) {
				t.Fatalf("row %d: %q, encoding/csv %q (input %q)", i, rows[i], want[i], data)
			}
		}
	})
}

// FuzzDecodePage: whatever the body, decodePage does not panic; when it
// succeeds on a body that strictly is JSON, it delivered exactly the
// elements an independent decode of "records" finds, in order.
func FuzzDecodePage(f *testing.F) {
	for _, name := range []string{"bad_records.json", "truncated.json", "no_done.json", "syntax_error.json"} {
		if b, err := os.ReadFile("testdata/pages/" + name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"totalSize":2,"done":true,"records":[{"Id":"a"},[1,{"x":null}]]}`))
	f.Add([]byte(`{"done":false,"nextRecordsUrl":"/next","records":[]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var got []jsontext.Value
		_, err := decodePage(body, func(r Record) error {
			got = append(got, bytes.Clone(r.Raw))
			if (r.Err == nil) != (jsontext.Value(r.Raw).Kind() == '{') {
				t.Fatalf("element %q: err %v", r.Raw, r.Err)
			}
			return nil
		})
		if err != nil || !jsontext.Value(body).IsValid() {
			return
		}
		var env struct {
			Records []jsontext.Value `json:"records"`
		}
		if err := json.Unmarshal(body, &env); err != nil {
			return
		}
		if len(got) != len(env.Records) {
			t.Fatalf("%d records, independent decode %d", len(got), len(env.Records))
		}
		for i := range got {
			if !bytes.Equal(bytes.TrimSpace(got[i]), bytes.TrimSpace(env.Records[i])) {
				t.Fatalf("record %d: %q vs %q", i, got[i], env.Records[i])
			}
		}
	})
}
