package comp

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// exportStatement is a hand-built statement: a 1,000.00 bonus and a
// -250.50 clawback, total 749.50.
func exportStatement(id, name, costCenter string) *Statement {
	return &Statement{
		ID: "2026Q3/" + id, Quarter: "2026Q3", PersonID: id, EmployeeID: "E-" + id, Name: name,
		CostCenter: costCenter, Currency: "USD",
		Lines: []Line{
			{Key: "b", Kind: LineAttainmentBonus, Amount: Money{dec("1000")}},
			{Key: "c", Kind: LineClawback, Amount: Money{dec("-250.50")}},
		},
		Total: Money{dec("749.50")},
	}
}

// Hostile names go through the CSV export and come back, read with
// encoding/csv, as one cell each: formula starts prefixed with ', nothing
// split on ; or a line break, and the amount columns untouched numbers.
func TestExportCSVHostileCells(t *testing.T) {
	tests := []struct {
		name, want string // want: the name cell as a CSV reader returns it
	}{
		{"=1+2", "'=1+2"},
		{"+1", "'+1"},
		{"-5", "'-5"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"\n=cmd", "'\n=cmd"},
		{"  =1+2", "'  =1+2"},
		{"＝1+2", "'＝1+2"},
		{"Acme;=1+2", "Acme;=1+2"},
		{"Acme, Inc.", "Acme, Inc."},
		{`Say "hi"`, `Say "hi"`},
		{"line1\nline2", "line1\nline2"},
		{"Zoë Ødegård 李", "Zoë Ødegård 李"},
		{"Plain", "Plain"},
	}
	var recs []ExportRecord
	for i, tt := range tests {
		id := string(rune('A' + i))
		recs = append(recs, ExportRecord{Statement: exportStatement(id, tt.name, "=CC"), Status: StatusApproved, Version: 1})
	}
	var out bytes.Buffer
	if err := WriteCSV(&out, recs); err != nil {
		t.Fatal(err)
	}
	raw := out.String()
	// A line feed in a cell stays a line feed: every CR in the file is
	// either the record end or the one in the "\r=1" cell.
	if n := strings.Count(raw, "\r\n"); n != len(tests)+1 {
		t.Errorf("%d CRLF sequences, want %d (one per record): a LF inside a cell was rewritten to CRLF?\n%q", n, len(tests)+1, raw)
	}
	// The ;-cell is quoted, so a reader splitting on ; keeps it whole.
	if !strings.Contains(raw, `"Acme;=1+2"`) {
		t.Errorf("Acme;=1+2 not quoted:\n%q", raw)
	}
	rows, err := csv.NewReader(strings.NewReader(raw)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(tests)+1 {
		t.Fatalf("%d rows, want %d", len(rows), len(tests)+1)
	}
	if strings.Join(rows[0], ",") != strings.Join(CSVHeader, ",") {
		t.Errorf("header %v", rows[0])
	}
	byID := map[string][]string{}
	for _, r := range rows[1:] {
		byID[r[0]] = r
	}
	for i, tt := range tests {
		r := byID["E-"+string(rune('A'+i))]
		if r == nil {
			t.Fatalf("no row for %q", tt.name)
		}
		if r[1] != tt.want {
			t.Errorf("name %q: cell %q, want %q", tt.name, r[1], tt.want)
		}
		want := map[int]string{4: "1000.00", 5: "0.00", 6: "-250.50", 7: "0.00", 8: "749.50", 3: "2026-07-01", 12: "1"}
		for col, v := range want {
			if r[col] != v {
				t.Errorf("name %q: %s = %q, want %q (numbers are never prefixed)", tt.name, CSVHeader[col], r[col], v)
			}
		}
		if r[10] != "'=CC" {
			t.Errorf("cost_center %q, want '=CC", r[10])
		}
	}
}

func TestTextCell(t *testing.T) {
	for in, want := range map[string]string{
		"":           "",
		"abc":        "abc",
		"=1":         "'=1",
		"a;b":        `"a;b"`,
		"a,b":        `"a,b"`,
		" lead":      `" lead"`,
		"\n=x":       "\"'\n=x\"",
		"-1,5":       `"'-1,5"`,
		`=HYPER("")`: `"'=HYPER("""")"`,
		"2026Q3/P1":  "2026Q3/P1",
	} {
		if got := textCell(in); got != want {
			t.Errorf("textCell(%q) = %q, want %q", in, got, want)
		}
	}
}

// The Parquet export keeps names as they are (a typed column, no formula
// risk) and amounts as DECIMAL(18,2) cents, negatives included.
func TestExportParquetKeepsTypes(t *testing.T) {
	recs := []ExportRecord{{Statement: exportStatement("P", "=1+2", "-CC"), Status: StatusFinal, Version: 4}}
	var buf bytes.Buffer
	if err := WriteParquet(&buf, recs); err != nil {
		t.Fatal(err)
	}
	rows, err := parquet.Read[ExportRow](bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("%d rows", len(rows))
	}
	r := rows[0]
	if r.Name != "=1+2" || r.CostCenter != "-CC" || r.AttainmentBonus != 100000 || r.Clawback != -25050 || r.Amount != 74950 || r.StatementVersion != 4 {
		t.Errorf("row %+v", r)
	}
}
