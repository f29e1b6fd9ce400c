package server

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/democrm/orggen"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// wireDump renders every record queryAll would carry (valid, deleted and
// malformed), as REST JSON lines, object by object in Id order.
func wireDump(t *testing.T, o *orggen.Org) []byte {
	var b []byte
	for _, obj := range crm.Objects {
		sel, err := o.Query("SELECT "+strings.Join(obj.FieldNames(), ", ")+" FROM "+obj.Name, true)
		if err != nil {
			t.Fatal(err)
		}
		sel.Rows(0, sel.Len(), func(row *crm.Row, d *orggen.WireDefect) {
			b = appendJSONRecord(b, "v62.0", sel.Object(), sel.Fields(), row, d)
			b = append(b, '\n')
		})
	}
	return b
}

// TestGolden pins a small org's wire form byte for byte, so a change to the
// generator or the rendering (which would move every expected number
// downstream) is deliberate: rerun with -update and review the diff.
func TestGolden(t *testing.T) {
	got := wireDump(t, orggen.Generate(orggen.Config{Seed: 7, Leads: 40}))
	path := filepath.Join("testdata", "org_seed7_40leads.jsonl")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("the generated org differs from %s; if intended, rerun with -update", path)
	}
}

func TestCSVCell(t *testing.T) {
	if got := string(appendCSVCell(nil, `say "hi", ok`)); got != `"say ""hi"", ok"` {
		t.Errorf("CSV quoting: %s", got)
	}
}
