package lake_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
)

func newBlob(t *testing.T) *fsblob.Blob {
	t.Helper()
	b, err := fsblob.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// loadRows decodes a testdata file of REST records.
func loadRows(t *testing.T, o *crm.Object, name string) []crm.Row {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := crm.NewDecoder(o)
	var rows []crm.Row
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r crm.Row
		if err := dec.DecodeJSON(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		rows = append(rows, r)
	}
	return rows
}

func writeRows(t *testing.T, b lake.Blob, folder string, s *lake.ObjectSchema, rows []crm.Row, opts lake.WriterOptions) []lake.File {
	t.Helper()
	w := lake.NewRowWriter(context.Background(), b, folder, "crm/snapshot", s, opts)
	for i := range rows {
		if err := w.Write(&rows[i], lake.OpUpsert); err != nil {
			t.Fatal(err)
		}
	}
	files, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func readBack(t *testing.T, b lake.Blob, o *crm.Object, files []lake.File) []crm.Row {
	t.Helper()
	var out []crm.Row
	err := lake.ReadRows(context.Background(), b, o, files, func(r *crm.Row, _ string) error {
		out = append(out, crm.Row{Values: append([]crm.Value(nil), r.Values...)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestWriterLogicalTypes checks the Parquet type of each registry type in
// the written file's own schema, and that values round-trip exactly.
func TestWriterLogicalTypes(t *testing.T) {
	b := newBlob(t)
	rows := loadRows(t, crm.Opportunity, "opportunities.jsonl")
	s := lake.NewObjectSchema(crm.Opportunity, false)
	files := writeRows(t, b, "t/run=r1", s, rows, lake.WriterOptions{})
	if len(files) != 1 || files[0].Rows != 3 {
		t.Fatalf("files = %+v", files)
	}
	ra, size, c, err := b.Open(context.Background(), files[0].Key)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pf, err := parquet.OpenFile(ra, size)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		column   string
		physical string
		logical  string
		optional bool
	}{
		{"id", "BYTE_ARRAY", "STRING", false},
		{"system_modstamp", "INT64", "TIMESTAMP(isAdjustedToUTC=true,unit=MICROS)", false},
		{"created_date", "INT64", "TIMESTAMP(isAdjustedToUTC=true,unit=MICROS)", false},
		{"amount", "INT64", "DECIMAL(18,2)", true},
		{"probability", "INT32", "DECIMAL(9,2)", true},
		{"close_date", "INT32", "DATE", true},
		{"is_won", "BOOLEAN", "", true},
		{"stage_name", "BYTE_ARRAY", "STRING", true},
	}
	for _, tt := range tests {
		leaf, ok := pf.Schema().Lookup(tt.column)
		if !ok {
			t.Errorf("column %s missing", tt.column)
			continue
		}
		typ := leaf.Node.Type()
		lt := ""
		if l := typ.LogicalType(); l != nil {
			lt = l.String()
		}
		if typ.Kind().String() != tt.physical || lt != tt.logical || leaf.Node.Optional() != tt.optional {
			t.Errorf("%s: %s %q optional=%t, want %s %q optional=%t", tt.column, typ.Kind(), lt, leaf.Node.Optional(), tt.physical, tt.logical, tt.optional)
		}
	}
	// CloseDate is Required by the decoder but nullable in the lake: only Id
	// and the two stamps are REQUIRED columns, so a registry change of
	// Required never breaks old files.
	if v, ok := pf.Lookup(lake.MetaObject); !ok || v != "Opportunity" {
		t.Errorf("object metadata = %q", v)
	}
	if v, _ := pf.Lookup(lake.MetaSchemaVersion); v != lake.SchemaVersion(crm.Opportunity) {
		t.Errorf("schema version metadata = %q", v)
	}
	if cc := pf.Metadata().RowGroups[0].Columns[0].MetaData.Codec.String(); cc != "ZSTD" {
		t.Errorf("codec = %s", cc)
	}
	got := readBack(t, b, crm.Opportunity, files)
	for i := range rows {
		for j, f := range crm.Opportunity.Fields {
			if got[i].Values[j] != rows[i].Values[j] {
				t.Errorf("row %d %s: got %+v want %+v", i, f.Name, got[i].Values[j], rows[i].Values[j])
			}
		}
	}
	// Independently known values: 12500.25 → 1250025 cents, -999.99, the
	// last microsecond-rounded instant of 2026Q3.
	amount := crm.Opportunity.Column("amount")
	if got[0].Values[amount].I != 1250025 || got[2].Values[amount].I != -99999 || !got[1].Values[amount].Null {
		t.Errorf("amounts = %+v %+v %+v", got[0].Values[amount], got[1].Values[amount], got[2].Values[amount])
	}
	want := time.Date(2026, 9, 30, 23, 59, 59, 999_000_000, time.UTC).UnixMicro()
	if got[0].Values[1].I != want {
		t.Errorf("modstamp = %d, want %d", got[0].Values[1].I, want)
	}
}

// TestWriterRollsFilesAndRowGroups checks the bounds: 10 rows with 3 rows
// per group and 4 per file → files of 4, 4, 2 rows; groups of 3+1, 3+1, 2.
func TestWriterRollsFilesAndRowGroups(t *testing.T) {
	b := newBlob(t)
	base := loadRows(t, crm.Opportunity, "opportunities.jsonl")[0]
	var rows []crm.Row
	for i := range 10 {
		r := crm.Row{Values: append([]crm.Value(nil), base.Values...)}
		r.Values[0].S = fmt.Sprintf("006000000000%03dAAA", i)
		rows = append(rows, r)
	}
	files := writeRows(t, b, "t/run=r1", lake.NewObjectSchema(crm.Opportunity, false), rows, lake.WriterOptions{RowGroupRows: 3, FileRows: 4})
	wantRows := []int64{4, 4, 2}
	wantGroups := [][]int64{{3, 1}, {3, 1}, {2}}
	if len(files) != 3 {
		t.Fatalf("files = %+v", files)
	}
	for i, f := range files {
		if f.Key != fmt.Sprintf("t/run=r1/part-%05d.parquet", i) || f.Rows != wantRows[i] {
			t.Errorf("file %d = %+v", i, f)
		}
		ra, size, c, err := b.Open(context.Background(), f.Key)
		if err != nil {
			t.Fatal(err)
		}
		pf, err := parquet.OpenFile(ra, size)
		if err != nil {
			t.Fatal(err)
		}
		var groups []int64
		for _, rg := range pf.RowGroups() {
			groups = append(groups, rg.NumRows())
		}
		c.Close()
		if fmt.Sprint(groups) != fmt.Sprint(wantGroups[i]) {
			t.Errorf("file %d row groups = %v, want %v", i, groups, wantGroups[i])
		}
	}
	if got := readBack(t, b, crm.Opportunity, files); len(got) != 10 || got[9].ID() != "006000000000009AAA" {
		t.Errorf("read back %d rows", len(got))
	}
}

// TestWriterDeterministic: the same rows give byte-identical files, which
// is what makes a rerun's snapshot provably the same content.
func TestWriterDeterministic(t *testing.T) {
	b := newBlob(t)
	rows := loadRows(t, crm.Opportunity, "opportunities.jsonl")
	s := lake.NewObjectSchema(crm.Opportunity, true)
	a := writeRows(t, b, "t/run=a", s, rows, lake.WriterOptions{})
	c := writeRows(t, b, "t/run=b", s, rows, lake.WriterOptions{})
	if a[0].SHA256 != c[0].SHA256 || a[0].Bytes != c[0].Bytes {
		t.Errorf("reruns differ: %+v vs %+v", a[0], c[0])
	}
}

func TestPIIHashing(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	rows := loadRows(t, crm.Contact, "contacts.jsonl")
	email, phone := crm.Contact.Column("email"), crm.Contact.Column("phone")
	tests := []struct {
		name      string
		pii       lake.PII
		wantEmail string
		wantPhone string
	}{
		// Expected hashes computed outside Go:
		//   printf '%s' alex@example.com | openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef
		{"hashed by default", lake.PII{Key: key}, "b4de149f0c18d746a43f22cd5b75836e6b3234d1080eb3a504893b2ce02d67a7", "b68f1795e44b4527d86773daca0aa6c73b7fa28c1c517c6d2bd7cf621ac5871c"},
		{"phone kept in clear", lake.PII{Key: key, Clear: []string{"Contact.Phone"}}, "b4de149f0c18d746a43f22cd5b75836e6b3234d1080eb3a504893b2ce02d67a7", "+1 (415) 555-0100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One plan over several rows reuses its HMAC state: every row
			// still gets the hash of its own value.
			plan := tt.pii.Plan(crm.Contact)
			for range 3 {
				r := crm.Row{Values: append([]crm.Value(nil), rows[0].Values...)}
				plan(&r)
				if r.Values[email].S != tt.wantEmail || r.Values[phone].S != tt.wantPhone {
					t.Errorf("email %q phone %q", r.Values[email].S, r.Values[phone].S)
				}
			}
			n := crm.Row{Values: append([]crm.Value(nil), rows[1].Values...)}
			tt.pii.Plan(crm.Contact)(&n)
			if !n.Values[email].Null || n.Values[phone].S != "" {
				t.Errorf("null/empty PII changed: %+v %+v", n.Values[email], n.Values[phone])
			}
		})
	}
	if err := (&lake.PII{}).Validate(crm.Objects); err == nil {
		t.Error("missing key accepted")
	}
	if err := (&lake.PII{Key: key}).Validate(crm.Objects); err != nil {
		t.Error(err)
	}
	if id := (&lake.PII{Key: key}).KeyID(); len(id) != 16 || id == string(key[:16]) {
		t.Errorf("key id %q", id)
	}
}

func TestRejectsScrubPII(t *testing.T) {
	b := newBlob(t)
	pii := &lake.PII{Key: []byte("0123456789abcdef0123456789abcdef")}
	w := lake.NewRejectWriter(context.Background(), b, crm.Contact, "2026-11-20", "r1", pii)
	raw := []byte(`{"attributes":{"type":"Contact"},"Id":"003000000000009AAA","Email":"alex@example.com","SystemModstamp":"yesterday"}`)
	dec := crm.NewDecoder(crm.Contact)
	var row crm.Row
	ferr := dec.DecodeJSON(raw, &row)
	if ferr == nil {
		t.Fatal("bad record decoded")
	}
	if err := w.AddJSON(raw, lake.At{Page: 2, Index: 4}, ferr); err != nil {
		t.Fatal(err)
	}
	if err := w.AddCSV([]string{"Id", "Email"}, []string{"003000000000010AAA", "alex@example.com"}, lake.At{}, &crm.FieldError{Object: "Contact", ID: "003000000000010AAA", Field: "CreatedDate", Reason: "required field is missing"}); err != nil {
		t.Fatal(err)
	}
	if err := w.AddJSON([]byte(`{"Id": broken`), lake.At{}, errors.New("malformed")); err != nil {
		t.Fatal(err)
	}
	files, err := w.Close()
	if err != nil || len(files) != 1 || files[0].Rows != 3 {
		t.Fatalf("files %+v %v", files, err)
	}
	rc, err := b.Get(context.Background(), files[0].Key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	sc := bufio.NewScanner(rc)
	var got []map[string]any
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		got = append(got, m)
	}
	hashed := "b4de149f0c18d746a43f22cd5b75836e6b3234d1080eb3a504893b2ce02d67a7"
	if got[0]["id"] != "003000000000009AAA" || got[0]["field"] != "SystemModstamp" || got[0]["run"] != "r1" || got[0]["raw"].(map[string]any)["Email"] != hashed || got[0]["page"] != float64(2) || got[0]["row"] != float64(5) {
		t.Errorf("json reject = %v", got[0])
	}
	if got[1]["field"] != "CreatedDate" || got[1]["raw"].(map[string]any)["Email"] != hashed {
		t.Errorf("csv reject = %v", got[1])
	}
	if got[2]["raw"] != nil || got[2]["raw_bytes"] != float64(13) || got[2]["raw_sha256"] == "" {
		t.Errorf("unparseable reject = %v", got[2])
	}
}

func commitPartition(t *testing.T, b lake.Blob, partition, run string, head int) (*lake.Manifest, error) {
	t.Helper()
	m := &lake.Manifest{Table: "crm/snapshot", Partition: partition, RunID: run, Files: []lake.File{{Key: partition + "/run=" + run + "/part-00000.parquet", Rows: 1}}, Rows: 1}
	return m, lake.Commit(context.Background(), b, m, head)
}

// TestCommitRace: many writers that observed the same head race for the
// next sequence; exactly one wins and the partition names its run.
func TestCommitRace(t *testing.T) {
	b := newBlob(t)
	p := lake.SnapshotPartition("Lead", "2026-11-20")
	const writers = 8
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = commitPartition(t, b, p, fmt.Sprintf("run%d", i), 0)
		}()
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Fatalf("writers %d and %d both committed", winner, i)
			}
			winner = i
		case !errors.Is(err, lake.ErrCommitConflict):
			t.Errorf("writer %d: %v", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("nobody committed")
	}
	m, err := lake.Snapshot(context.Background(), b, "Lead", "2026-11-20")
	if err != nil || m.RunID != fmt.Sprintf("run%d", winner) || m.Sequence != 1 {
		t.Fatalf("committed %+v %v", m, err)
	}
	// A rerun that reads the head supersedes the winner.
	m2, err := commitPartition(t, b, p, "rerun", 1)
	if err != nil || m2.Supersedes != lake.ManifestKey(p, 1) {
		t.Fatalf("rerun: %+v %v", m2, err)
	}
	if got, _ := lake.Snapshot(context.Background(), b, "Lead", "2026-11-20"); got.RunID != "rerun" {
		t.Errorf("latest = %s", got.RunID)
	}
}

// lostResponse is a Blob whose conditional PUT succeeds but whose caller
// sees "exists", as when the SDK retries a PUT whose 200 was lost.
type lostResponse struct{ lake.Blob }

func (l lostResponse) PutIfAbsent(ctx context.Context, key string, body []byte) error {
	if err := l.Blob.PutIfAbsent(ctx, key, body); err != nil {
		return err
	}
	return lake.ErrExists
}

func TestCommitLostResponseIsSuccess(t *testing.T) {
	b := lostResponse{newBlob(t)}
	if _, err := commitPartition(t, b, "kpi/quarter=2026Q4/as_of=2026-11-20", "r1", 0); err != nil {
		t.Fatalf("own manifest read back as conflict: %v", err)
	}
}

func TestLatestSnapshot(t *testing.T) {
	b := newBlob(t)
	ctx := context.Background()
	for _, c := range []struct{ dt, run string }{{"2026-11-18", "a"}, {"2026-11-19", "b"}, {"2026-11-19", "c"}, {"2026-11-21", "d"}} {
		head, _ := lake.Head(ctx, b, lake.SnapshotPartition("Lead", c.dt))
		if _, err := commitPartition(t, b, lake.SnapshotPartition("Lead", c.dt), c.run, head); err != nil {
			t.Fatal(err)
		}
	}
	// Uncommitted run folder of the 20th: data without a manifest.
	b.Put(ctx, lake.SnapshotPartition("Lead", "2026-11-20")+"/run=x/part-00000.parquet", strings.NewReader("PAR1"))
	tests := []struct {
		asOf    time.Time
		wantRun string
	}{
		{time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC), "c"},
		{time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), "d"},
		{time.Date(2026, 11, 18, 23, 59, 59, 0, time.UTC), "a"},
		{time.Date(2026, 11, 17, 0, 0, 0, 0, time.UTC), ""},
	}
	for _, tt := range tests {
		m, err := lake.LatestSnapshot(ctx, b, "Lead", tt.asOf)
		if tt.wantRun == "" {
			if !errors.Is(err, lake.ErrNoSnapshot) {
				t.Errorf("%v: %v", tt.asOf, err)
			}
			continue
		}
		if err != nil || m.RunID != tt.wantRun {
			t.Errorf("%v: got %+v %v, want run %s", tt.asOf, m, err, tt.wantRun)
		}
	}
}

// oppProjection is how a downstream job reads the snapshot.
type oppProjection struct {
	ID        string    `parquet:"id"`
	Modstamp  time.Time `parquet:"system_modstamp,timestamp(microsecond)"`
	Amount    int64     `parquet:"amount,optional,decimal(2:18)"`
	AmountPtr *int32    `parquet:"probability,optional,decimal(2:9)"`
	CloseDate time.Time `parquet:"close_date,optional,date"`
	IsWon     *bool     `parquet:"is_won,optional"`
	Stage     string    `parquet:"stage_name,optional"`
}

func TestScanProjection(t *testing.T) {
	b := newBlob(t)
	rows := loadRows(t, crm.Opportunity, "opportunities.jsonl")
	files := writeRows(t, b, "t/run=r1", lake.NewObjectSchema(crm.Opportunity, false), rows, lake.WriterOptions{RowGroupRows: 2})
	var got []oppProjection
	err := lake.Scan(context.Background(), b, &lake.Manifest{Files: files}, func(batch []oppProjection) error {
		got = append(got, batch...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d rows", len(got))
	}
	var sum int64
	for _, r := range got {
		sum += r.Amount
	}
	if sum != 1250025-99999 {
		t.Errorf("sum of amounts = %d cents", sum)
	}
	if got[0].IsWon == nil || !*got[0].IsWon || got[1].IsWon != nil || *got[2].IsWon {
		t.Errorf("is_won = %v %v %v", got[0].IsWon, got[1].IsWon, got[2].IsWon)
	}
	if !got[0].Modstamp.Equal(time.Date(2026, 9, 30, 23, 59, 59, 999_000_000, time.UTC)) || got[1].CloseDate != time.Date(2026, 12, 15, 0, 0, 0, 0, time.UTC) {
		t.Errorf("times: %v %v", got[0].Modstamp, got[1].CloseDate)
	}
	if got[1].AmountPtr == nil || *got[1].AmountPtr != 6250 || got[0].Stage != "Closed Won" {
		t.Errorf("probability %v stage %q", got[1].AmountPtr, got[0].Stage)
	}
}

// A projection that omits "optional" on a nullable column still reads,
// with null as the zero value: the documented rule is to use a pointer
// where null and zero differ. This pins parquet-go's behaviour.
func TestScanWithoutOptionalTagReadsNullAsZero(t *testing.T) {
	b := newBlob(t)
	rows := loadRows(t, crm.Opportunity, "opportunities.jsonl")
	files := writeRows(t, b, "t/run=r1", lake.NewObjectSchema(crm.Opportunity, false), rows, lake.WriterOptions{})
	type plain struct {
		Amount int64 `parquet:"amount,decimal(2:18)"`
	}
	var got []int64
	err := lake.ScanFiles(context.Background(), b, files, func(r []plain) error {
		for _, p := range r {
			got = append(got, p.Amount)
		}
		return nil
	})
	if err != nil || fmt.Sprint(got) != "[1250025 0 -99999]" {
		t.Errorf("got %v %v", got, err)
	}
}

type kpiRow struct {
	KPI       string `parquet:"kpi,dict"`
	Dimension string `parquet:"dimension"`
	Value     int64  `parquet:"value_cents,decimal(2:18)"`
}

func TestWriteTable(t *testing.T) {
	b := newBlob(t)
	ctx := context.Background()
	rows := []kpiRow{{"bookings", "org", 1250025}, {"bookings", "team:Sales East", 750000}, {"pipeline", "org", -5}}
	p := "kpi/quarter=2026Q4/as_of=2026-11-20"
	m, err := lake.WriteTable(ctx, b, p, rows, lake.TableOptions{Table: "kpi", RunID: "r1", WriterOptions: lake.WriterOptions{FileRows: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if m.Rows != 3 || len(m.Files) != 2 || m.Sequence != 1 {
		t.Fatalf("manifest %+v", m)
	}
	latest, err := lake.Latest(ctx, b, p)
	if err != nil || latest.RunID != "r1" {
		t.Fatalf("latest %+v %v", latest, err)
	}
	var got []kpiRow
	if err := lake.Scan(ctx, b, latest, func(r []kpiRow) error { got = append(got, r...); return nil }); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(rows) {
		t.Errorf("got %v", got)
	}
	// Two writers that started from the same head: the later commit loses.
	w1, _ := lake.NewTableWriter[kpiRow](ctx, b, p, lake.TableOptions{Table: "kpi", RunID: "r2"})
	w2, _ := lake.NewTableWriter[kpiRow](ctx, b, p, lake.TableOptions{Table: "kpi", RunID: "r3"})
	w1.Write(rows)
	w2.Write(rows[:1])
	if _, err := w1.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := w2.Commit(); !errors.Is(err, lake.ErrCommitConflict) {
		t.Fatalf("second writer: %v", err)
	}
}

// TestReadRowsAcrossSchemaVersions: a file written before a field joined
// the registry reads with that column null, and its schema version differs.
func TestReadRowsAcrossSchemaVersions(t *testing.T) {
	b := newBlob(t)
	rows := loadRows(t, crm.Opportunity, "opportunities.jsonl")
	older := *crm.Opportunity
	older.Fields = nil
	for _, f := range crm.Opportunity.Fields {
		if f.Name != "Probability" {
			older.Fields = append(older.Fields, f)
		}
	}
	var oldRows []crm.Row
	for _, r := range rows {
		var o crm.Row
		for i, f := range crm.Opportunity.Fields {
			if f.Name != "Probability" {
				o.Values = append(o.Values, r.Values[i])
			}
		}
		oldRows = append(oldRows, o)
	}
	files := writeRows(t, b, "t/run=old", lake.NewObjectSchema(&older, false), oldRows, lake.WriterOptions{})
	got := readBack(t, b, crm.Opportunity, files)
	p := crm.Opportunity.Column("probability")
	a := crm.Opportunity.Column("amount")
	if len(got) != 3 || !got[0].Values[p].Null || got[0].Values[a].I != 1250025 {
		t.Errorf("old file read as %+v", got)
	}
	if lake.SchemaVersion(&older) == lake.SchemaVersion(crm.Opportunity) {
		t.Error("schema version did not change with the column set")
	}
}

func TestCheckRowPercentRange(t *testing.T) {
	o := crm.OpportunitySplit
	p := o.Column("split_percentage")
	tests := []struct {
		hundredths int64
		null       bool
		ok         bool
	}{
		{10000, false, true},       // 100.00
		{999_999_999, false, true}, // 9,999,999.99: the DECIMAL(9,2) maximum
		{1_000_000_000, false, false},
		{-1_000_000_000, false, false},
		{0, true, true},
	}
	for _, tt := range tests {
		var r crm.Row
		r.Reset(len(o.Fields))
		r.Values[0] = crm.Value{S: "04S000000000001AAA"}
		r.Values[p] = crm.Value{I: tt.hundredths, Null: tt.null}
		err := lake.CheckRow(o, &r)
		var fe *crm.FieldError
		if tt.ok != (err == nil) || (err != nil && (!errors.As(err, &fe) || fe.Field != "SplitPercentage")) {
			t.Errorf("%d: %v", tt.hundredths, err)
		}
	}
}

// A record that is not strict JSON (invalid UTF-8 here) keeps its bytes,
// base64, with its PII hashed; a CSV row that cannot be split keeps only
// its hash when the object has PII.
func TestRejectsKeepLooseRecords(t *testing.T) {
	b := newBlob(t)
	pii := &lake.PII{Key: []byte("0123456789abcdef0123456789abcdef")}
	w := lake.NewRejectWriter(context.Background(), b, crm.Contact, "2026-11-20", "r1", pii)
	raw := []byte("{\"Id\":\"003000000000009AAA\",\"Email\":\"alex@example.com\",\"LastName\":\"L\xffe\"}")
	if err := w.AddJSON(raw, lake.At{Page: 1, Index: 0}, &crm.FieldError{Object: "Contact", ID: "003000000000009AAA", Field: "(record)", Reason: "malformed JSON"}); err != nil {
		t.Fatal(err)
	}
	row := []byte(`003000000000010AAA,"x"y,alex@example.com`)
	if err := w.AddRaw(row, lake.At{Page: 1, Index: 1}, errors.New("bad quoting")); err != nil {
		t.Fatal(err)
	}
	files, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := b.Get(context.Background(), files[0].Key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	sc := bufio.NewScanner(rc)
	var got []lake.Reject
	for sc.Scan() {
		var r lake.Reject
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	hashed := "b4de149f0c18d746a43f22cd5b75836e6b3234d1080eb3a504893b2ce02d67a7"
	want := "{\"Id\":\"003000000000009AAA\",\"Email\":\"" + hashed + "\",\"LastName\":\"L\xffe\"}"
	if len(got) != 2 || string(got[0].RawBase64) != want || len(got[0].Raw) != 0 || got[0].RawSHA256 == "" || got[0].Row != 1 {
		t.Fatalf("loose JSON reject: %+v", got)
	}
	if got[1].RawBase64 != nil || got[1].RawBytes != len(row) || got[1].Row != 2 {
		t.Errorf("unsplittable CSV row of an object with PII: %+v", got[1])
	}
}
