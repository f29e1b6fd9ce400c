package salesforce_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/democrm"
	"github.com/venn-revops/venn/shared/salesforce"
)

// demo starts a demo org server on 127.0.0.1 for the test.
func demo(t testing.TB, cfg democrm.Config, opts ...democrm.Option) (*democrm.Org, *democrm.Server, string) {
	t.Helper()
	org := democrm.Generate(cfg)
	srv := democrm.NewServer(org, opts...)
	base, stop := srv.Start()
	t.Cleanup(stop)
	return org, srv, base
}

// client returns a client for the demo server with fast retries.
func client(t testing.TB, base string, mod func(*salesforce.Config)) *salesforce.Client {
	t.Helper()
	cfg := salesforce.Config{
		LoginURL: base, ClientID: "venn-demo", ClientSecret: "venn-demo-secret",
		RetryBaseDelay: time.Millisecond, RetryMaxDelay: 5 * time.Millisecond, PollInterval: time.Millisecond,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := salesforce.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// selectAll is the extract's query: every registry field, in cursor order.
func selectAll(obj *crm.Object, where string) string {
	q := "SELECT " + strings.Join(obj.FieldNames(), ", ") + " FROM " + obj.Name
	if where != "" {
		q += " WHERE " + where
	}
	return q + " ORDER BY " + obj.StampField() + ", Id"
}

// expected is the org's live records of obj by Id, straight from the
// generator (no wire format involved).
func expected(t testing.TB, org *democrm.Org, obj *crm.Object, all bool) map[string]crm.Row {
	t.Helper()
	out := map[string]crm.Row{}
	each := org.Each
	if all {
		each = org.EachAll
	}
	if err := each(obj, func(r *crm.Row) error {
		out[r.ID()] = *r
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// restRows decodes every record of a REST query into rows by Id, failing
// on a duplicate Id or a record the decoder rejects.
func restRows(t testing.TB, obj *crm.Object, records [][]byte) map[string]crm.Row {
	t.Helper()
	dec := crm.NewDecoder(obj)
	out := map[string]crm.Row{}
	for _, raw := range records {
		var row crm.Row
		if err := dec.DecodeJSON(raw, &row); err != nil {
			t.Fatalf("decode %s: %v", raw, err)
		}
		if _, dup := out[row.ID()]; dup {
			t.Fatalf("%s %s served twice", obj.Name, row.ID())
		}
		out[row.ID()] = row
	}
	return out
}

// sameRows reports the first difference between two sets of rows.
func sameRows(obj *crm.Object, got, want map[string]crm.Row) error {
	if len(got) != len(want) {
		return fmt.Errorf("%s: %d rows, want %d", obj.Name, len(got), len(want))
	}
	for _, id := range slices.Sorted(maps.Keys(want)) {
		g, ok := got[id]
		if !ok {
			return fmt.Errorf("%s %s missing", obj.Name, id)
		}
		w := want[id]
		for i, f := range obj.Fields {
			if g.Values[i] != w.Values[i] {
				return fmt.Errorf("%s %s field %s: got %+v, want %+v", obj.Name, id, f.Name, g.Values[i], w.Values[i])
			}
		}
	}
	return nil
}
