package salesforce_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/democrm"
	"github.com/venn-revops/venn/shared/salesforce"
)

// decoded is what one extract path made of an object's records: good rows
// by Id and the rejects.
type decoded struct {
	rows    map[string]crm.Row
	rejects []*crm.FieldError
}

func (d *decoded) add(t *testing.T, obj *crm.Object, row crm.Row, err error) {
	t.Helper()
	var fe *crm.FieldError
	switch {
	case errors.As(err, &fe):
		d.rejects = append(d.rejects, fe)
	case err != nil:
		t.Fatal(err)
	default:
		if _, dup := d.rows[row.ID()]; dup {
			t.Fatalf("%s %s served twice", obj.Name, row.ID())
		}
		d.rows[row.ID()] = row
	}
}

func viaREST(t *testing.T, c *salesforce.Client, obj *crm.Object, all bool) decoded {
	t.Helper()
	d := decoded{rows: map[string]crm.Row{}}
	dec := crm.NewDecoder(obj)
	run := c.Query
	if all {
		run = c.QueryAll
	}
	if _, err := run(context.Background(), selectAll(obj, ""), func(rec []byte) error {
		var row crm.Row
		err := dec.DecodeJSON(rec, &row)
		d.add(t, obj, row, err)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return d
}

func viaBulk(t *testing.T, c *salesforce.Client, obj *crm.Object, all bool) (decoded, salesforce.Stats) {
	t.Helper()
	d := decoded{rows: map[string]crm.Row{}}
	dec := crm.NewDecoder(obj)
	st, err := c.BulkQuery(context.Background(), selectAll(obj, ""), all, func(header []string, rec salesforce.Record) error {
		if rec.Err != nil {
			t.Fatalf("bulk row %d of page %d: %v", rec.Index, rec.Page, rec.Err)
		}
		var row crm.Row
		err := dec.DecodeCSV(header, rec.Cells, &row)
		d.add(t, obj, row, err)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return d, st
}

func TestBulkMatchesREST(t *testing.T) {
	const pageSize = 250
	org, srv, base := demo(t, democrm.Config{Seed: 21, Leads: 1200, Malformed: 3}, democrm.WithPageSize(500))
	c := client(t, base, func(cfg *salesforce.Config) { cfg.BulkPageSize = pageSize })
	org.SetClock(democrm.DefaultAsOf.Add(time.Hour))
	var victim string
	_ = org.Each(crm.Opportunity, func(r *crm.Row) error { victim = r.ID(); return nil })
	if err := org.Delete(crm.Opportunity, victim); err != nil {
		t.Fatal(err)
	}
	for _, obj := range crm.Objects {
		for _, all := range []bool{false, true} {
			srv.ResetCounts()
			rest := viaREST(t, c, obj, all)
			bulk, st := viaBulk(t, c, obj, all)
			if err := sameRows(obj, bulk.rows, rest.rows); err != nil {
				t.Fatalf("all=%v: bulk vs REST: %v", all, err)
			}
			if err := sameRows(obj, rest.rows, expected(t, org, obj, all)); err != nil {
				t.Fatalf("all=%v: REST vs generator: %v", all, err)
			}
			served := len(bulk.rows) + len(bulk.rejects)
			if st.Records != served || st.Pages != max(1, (served+pageSize-1)/pageSize) {
				t.Fatalf("%s: Stats %+v for %d records in pages of %d", obj.Name, st, served, pageSize)
			}
			if got := srv.Counts(); got.BulkResults != st.Pages || got.BulkPoll < 2 {
				t.Fatalf("%s: %d results requests for %d pages, %d polls", obj.Name, got.BulkResults, st.Pages, got.BulkPoll)
			}
			// Both paths reject exactly the malformed records, for the same reason.
			var want []string
			for _, m := range org.Malformed() {
				if m.Object == obj.Name {
					want = append(want, m.ID+"/"+m.Field)
				}
			}
			for name, rejects := range map[string][]*crm.FieldError{"REST": rest.rejects, "Bulk": bulk.rejects} {
				var got []string
				for _, fe := range rejects {
					got = append(got, fe.ID+"/"+fe.Field)
				}
				slices.Sort(got)
				slices.Sort(want)
				if strings.Join(got, ",") != strings.Join(want, ",") {
					t.Fatalf("%s %s rejects %v, want %v", name, obj.Name, got, want)
				}
			}
		}
	}
	if _, ok := expected(t, org, crm.Opportunity, true)[victim]; !ok {
		t.Fatal("queryAll lost the soft-deleted opportunity")
	}
}

func TestBulkJobFailedIsAnError(t *testing.T) {
	_, srv, base := demo(t, democrm.Config{Seed: 1, Leads: 100})
	c := client(t, base, nil)
	srv.FailNextBulkJob("QUERY_TIMEOUT: Your query request was running for too long.")
	calls := 0
	st, err := c.BulkQuery(context.Background(), selectAll(crm.Lead, ""), false, func([]string, salesforce.Record) error { calls++; return nil })
	if !errors.Is(err, salesforce.ErrBulkJobFailed) {
		t.Fatalf("err = %v, want ErrBulkJobFailed", err)
	}
	if !strings.Contains(err.Error(), "QUERY_TIMEOUT") || !strings.Contains(err.Error(), "job 750") {
		t.Fatalf("error %q should name the job and carry its errorMessage", err)
	}
	if calls != 0 || st.Records != 0 || srv.Counts().BulkResults != 0 {
		t.Fatalf("a failed job delivered %d records and %d result requests", calls, srv.Counts().BulkResults)
	}
}

func TestBulkRetriesAndDeadline(t *testing.T) {
	org, srv, base := demo(t, democrm.Config{Seed: 2, Leads: 400, Malformed: -1})
	c := client(t, base, func(cfg *salesforce.Config) { cfg.BulkPageSize = 100 })
	srv.Inject(democrm.Fault{Route: democrm.RouteBulkResults, After: 1, Times: 2, Status: 503})
	d, st := viaBulk(t, c, crm.Lead, false)
	if len(d.rows) != org.Count(crm.Lead) || st.Retries != 2 {
		t.Fatalf("%d rows with %d retries, want %d and 2", len(d.rows), st.Retries, org.Count(crm.Lead))
	}

	srv.Inject(democrm.Fault{Route: democrm.RouteBulkPoll, Times: 100, Delay: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := c.BulkQuery(ctx, selectAll(crm.Lead, ""), false, func([]string, salesforce.Record) error { return nil })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want it to wrap context.DeadlineExceeded", err)
	}
}

// A Bulk query stopped before every status poll and every results page
// resumes from its cursor: one job in all, each record delivered once,
// the cursor's count equal to the org's; a job the server no longer knows
// is ErrBulkJobFailed.
func TestBulkQueryResume(t *testing.T) {
	org, srv, base := demo(t, democrm.Config{Seed: 4, Leads: 500, Malformed: -1}, democrm.WithBulkPolls(4))
	c := client(t, base, func(cfg *salesforce.Config) { cfg.BulkPageSize = 120 })
	want := expected(t, org, crm.Lead, false)
	var cur salesforce.BulkCursor
	seen := map[string]int{}
	calls := 0
	for {
		calls++
		stops := 0
		// Each call may wait for one status poll or read one page.
		stop := func(time.Duration) bool { stops++; return stops > 1 }
		_, err := c.BulkQueryResume(context.Background(), selectAll(crm.Lead, ""), false, &cur, stop, func(h []string, r salesforce.Record) error {
			seen[r.Cells[slices.Index(h, "Id")]]++
			return nil
		})
		if err == nil {
			break
		}
		if !errors.Is(err, salesforce.ErrBulkPaused) || cur.JobID == "" || calls > 50 {
			t.Fatalf("call %d: %v (cursor %+v)", calls, err, cur)
		}
	}
	// Hand count: calls 1-4 each make one of the 4 polls the job takes
	// (call 1 creates it first), then stop; calls 5-9 each read one of the
	// 500 / 120 → 5 pages, and call 9 ends.
	if got := srv.Counts(); got.BulkCreate != 1 || got.BulkPoll != 4 || got.BulkResults != 5 || calls != 9 {
		t.Errorf("%d calls, server counts %+v: want 9 calls, 1 job, 4 polls, 5 pages", calls, got)
	}
	if len(seen) != len(want) || cur.Records != int64(len(want)) || cur.Locator != "" {
		t.Errorf("%d distinct records, cursor %+v; the org has %d", len(seen), cur, len(want))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s delivered %d times", id, n)
		}
	}
	gone := salesforce.BulkCursor{JobID: "750000000000000AAA"}
	if _, err := c.BulkQueryResume(context.Background(), selectAll(crm.Lead, ""), false, &gone, nil, func([]string, salesforce.Record) error { return nil }); !errors.Is(err, salesforce.ErrBulkJobFailed) {
		t.Errorf("an unknown job: %v, want ErrBulkJobFailed", err)
	}
}
