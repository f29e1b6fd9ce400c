package gluecatalog

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/gluecatalog/gluefake"
	"github.com/venn-revops/venn/shared/lake"
)

// snapshotOf is a committed snapshot manifest of object for dt with schema.
func snapshotOf(object, dt, run string, seq int, schema []lake.Column) *lake.Manifest {
	m := &lake.Manifest{Table: "crm/snapshot", Partition: lake.SnapshotPartition(object, dt), Object: object, Dt: dt, Sequence: seq, RunID: run, Schema: schema}
	m.Files = []lake.File{{Key: lake.RunFolder(m.Partition, run) + "/part-00000.parquet"}}
	return m
}

func registrySchema(t *testing.T, name string) []lake.Column {
	t.Helper()
	o, err := crm.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return lake.NewObjectSchema(o, false).Columns()
}

func names(cols []fakeColumn) []string {
	var out []string
	for _, c := range cols {
		out = append(out, c.Name+" "+c.Type)
	}
	return out
}

func count(calls []string, op string) int {
	n := 0
	for _, c := range calls {
		if c == op {
			n++
		}
	}
	return n
}

// Extra columns of a snapshot (extra_fields, all_fields) are appended to
// the declared tables with their Glue types; the partition reads them; a
// later commit without one of them (the org dropped the field: the lake
// keeps it, but an older manifest lacks it) drops nothing; registering
// again writes nothing.
func TestExtraColumnsAppendedNeverDropped(t *testing.T) {
	ctx := context.Background()
	fake, client := newGlueFake(t)
	cat := New(client, testDatabase, WithLake(testBucket, testPrefix))
	declared, _ := fake.Table("crm_snapshot_lead")
	declaredChanges, _ := fake.Table("crm_changes_lead")
	extras := []lake.Column{
		{Name: "score", Type: "int64", Field: "Score__c", Kind: "Int"},
		{Name: "arr__c", Type: "decimal(18,2)", Field: "ARR__c", Kind: "Currency"},
		{Name: "nps_date__c", Type: "date", Field: "NPS_Date__c", Kind: "Date"},
		{Name: "touched_at__c", Type: "timestamp(micros,utc)", Field: "Touched_At__c", Kind: "DateTime"},
		{Name: "tier__c", Type: "string(dictionary)", Field: "Tier__c", Kind: "Picklist"},
		{Name: "vip__c", Type: "boolean", Field: "VIP__c", Kind: "Bool"},
	}
	// Hand-written: the Glue type each lake type is read as.
	wantExtra := []string{"score bigint", "arr__c decimal(18,2)", "nps_date__c date", "touched_at__c timestamp", "tier__c string", "vip__c boolean"}

	m := snapshotOf("Lead", "2026-11-20", "20261120T020000.000000Z", 1, append(registrySchema(t, "Lead"), extras...))
	if err := cat.Register(ctx, m); err != nil {
		t.Fatal(err)
	}
	calls := fake.TakeCalls()
	if count(calls, "UpdateTable") != 2 || count(calls, "CreateTable") != 0 {
		t.Fatalf("calls %v, want one UpdateTable per table (snapshot, changes)", calls)
	}
	snap, _ := fake.Table("crm_snapshot_lead")
	if want := append(names(declared.StorageDescriptor.Columns), wantExtra...); !slices.Equal(names(snap.StorageDescriptor.Columns), want) {
		t.Errorf("snapshot table columns\n%v\nwant\n%v", names(snap.StorageDescriptor.Columns), want)
	}
	changes, _ := fake.Table("crm_changes_lead")
	// _op stays where it was declared; the new columns follow.
	if want := append(names(declaredChanges.StorageDescriptor.Columns), wantExtra...); !slices.Equal(names(changes.StorageDescriptor.Columns), want) {
		t.Errorf("changes table columns\n%v\nwant\n%v", names(changes.StorageDescriptor.Columns), want)
	}
	// Everything else of the declared table is kept.
	if snap.StorageDescriptor.Location != declared.StorageDescriptor.Location || !maps.Equal(snap.Parameters, declared.Parameters) ||
		!slices.Equal(snap.PartitionKeys, declared.PartitionKeys) || snap.TableType != declared.TableType || snap.Description != declared.Description ||
		snap.StorageDescriptor.SerdeInfo.SerializationLibrary != declared.StorageDescriptor.SerdeInfo.SerializationLibrary || snap.VersionId != "2" {
		t.Errorf("table definition changed beyond its columns: %+v", snap)
	}
	p, ok := fake.Partition("crm_snapshot_lead", "2026-11-20")
	if !ok || !slices.Equal(p.StorageDescriptor.Columns, snap.StorageDescriptor.Columns) {
		t.Errorf("partition columns %v, table's %v", p.StorageDescriptor, snap.StorageDescriptor.Columns)
	}

	// The same commit again: no table or partition write.
	if err := cat.Register(ctx, m); err != nil {
		t.Fatal(err)
	}
	if calls := fake.TakeCalls(); slices.ContainsFunc(calls, func(c string) bool { return c == "UpdateTable" || c == "UpdatePartition" || c == "CreateTable" }) {
		t.Fatalf("registering again wrote: %v", calls)
	}
	// A commit whose schema lacks two of the extras: nothing is dropped.
	older := snapshotOf("Lead", "2026-11-21", "20261121T020000.000000Z", 1, append(registrySchema(t, "Lead"), extras[:4]...))
	if err := cat.Register(ctx, older); err != nil {
		t.Fatal(err)
	}
	if calls := fake.TakeCalls(); count(calls, "UpdateTable") != 0 {
		t.Fatalf("calls %v", calls)
	}
	if after, _ := fake.Table("crm_snapshot_lead"); !slices.Equal(after.StorageDescriptor.Columns, snap.StorageDescriptor.Columns) {
		t.Errorf("columns changed to %v", names(after.StorageDescriptor.Columns))
	}
	// An existing column with another type in the manifest is not retyped.
	retyped := append(registrySchema(t, "Lead"), lake.Column{Name: "score", Type: "string"})
	if err := cat.Register(ctx, snapshotOf("Lead", "2026-11-22", "20261122T020000.000000Z", 1, retyped)); err != nil {
		t.Fatal(err)
	}
	if after, _ := fake.Table("crm_snapshot_lead"); !slices.Contains(names(after.StorageDescriptor.Columns), "score bigint") {
		t.Errorf("score retyped: %v", names(after.StorageDescriptor.Columns))
	}
}

// Another writer changes the table between the adapter's read and its
// conditional update: the update fails on the stale version, the adapter
// re-reads and adds its columns on top, keeping the other writer's.
func TestTableUpdateConflictRereads(t *testing.T) {
	ctx := context.Background()
	fake, client := newGlueFake(t)
	cat := New(client, testDatabase, WithLake(testBucket, testPrefix))
	fake.Before["UpdateTable"] = func(f *glueFake) {
		tb := f.Tables["crm_snapshot_opportunity"]
		sd := *tb.StorageDescriptor
		sd.Columns = append(slices.Clone(sd.Columns), fakeColumn{Name: "other_writer__c", Type: "string"})
		tb.StorageDescriptor, tb.VersionId = &sd, "7"
		f.Tables["crm_snapshot_opportunity"] = tb
	}
	extra := lake.Column{Name: "forecast_category__c", Type: "string"}
	m := snapshotOf("Opportunity", "2026-11-20", "20261120T020000.000000Z", 1, append(registrySchema(t, "Opportunity"), extra))
	if err := cat.Register(ctx, m); err != nil {
		t.Fatal(err)
	}
	calls := fake.TakeCalls()
	if got, want := calls[:5], []string{"GetTable", "UpdateTable", "GetTable", "UpdateTable", "GetTable"}; !slices.Equal(got, want) {
		t.Fatalf("calls %v, want to start %v (one conflict, not resent by the SDK)", calls, want)
	}
	tb, _ := fake.Table("crm_snapshot_opportunity")
	cols := names(tb.StorageDescriptor.Columns)
	if got, want := cols[len(cols)-2:], []string{"other_writer__c string", "forecast_category__c string"}; !slices.Equal(got, want) || tb.VersionId != "8" {
		t.Fatalf("columns end %v version %s, want %v version 8", got, tb.VersionId, want)
	}

	// A lost UpdateTable response: the SDK resends with the version it
	// read, which is stale now (our own write): a conflict, then a re-read
	// that finds the columns there.
	fake.TakeCalls()
	fake.Lose["UpdateTable"] = 1
	m2 := snapshotOf("Opportunity", "2026-11-21", "20261121T020000.000000Z", 1, append(registrySchema(t, "Opportunity"), extra, lake.Column{Name: "next_step__c", Type: "string"}))
	if err := cat.Register(ctx, m2); err != nil {
		t.Fatalf("update whose response was lost: %v", err)
	}
	tb, _ = fake.Table("crm_snapshot_opportunity")
	if n := strings.Count(strings.Join(names(tb.StorageDescriptor.Columns), ","), "next_step__c"); n != 1 {
		t.Fatalf("next_step__c %d times in %v", n, names(tb.StorageDescriptor.Columns))
	}
}

// subscriptionSchema is a configured custom object's snapshot schema.
var subscriptionSchema = []lake.Column{
	{Name: "id", Type: "string", Required: true, Field: "Id", Kind: "ID"},
	{Name: "system_modstamp", Type: "timestamp(micros,utc)", Required: true, Field: "SystemModstamp", Kind: "DateTime"},
	{Name: "created_date", Type: "timestamp(micros,utc)", Required: true, Field: "CreatedDate", Kind: "DateTime"},
	{Name: "account__c", Type: "string", Field: "Account__c", Kind: "ID"},
	{Name: "mrr__c", Type: "decimal(18,2)", Field: "MRR__c", Kind: "Currency"},
	{Name: "start_date__c", Type: "date", Field: "Start_Date__c", Kind: "Date"},
}

// A configured object's first commit creates its snapshot and change
// tables with the declared tables' conventions, and registers the
// partitions; a lost CreateTable response and a second registration are
// harmless.
func TestConfiguredObjectTableCreated(t *testing.T) {
	ctx := context.Background()
	fake, client := newGlueFake(t)
	cat := New(client, testDatabase, WithLake(testBucket, testPrefix))
	fake.Lose["CreateTable"] = 1
	m := snapshotOf("Subscription__c", "2026-11-20", "20261120T020000.000000Z", 1, subscriptionSchema)
	if err := cat.Register(ctx, m); err != nil {
		t.Fatal(err)
	}
	wantCols := []string{"id string", "system_modstamp timestamp", "created_date timestamp", "account__c string", "mrr__c decimal(18,2)", "start_date__c date"}
	for _, tc := range []struct{ table, root string }{
		{"crm_snapshot_subscription__c", "crm/snapshot/object=Subscription__c/"},
		{"crm_changes_subscription__c", "crm/changes/object=Subscription__c/"},
	} {
		tb, ok := fake.Table(tc.table)
		if !ok {
			t.Fatalf("%s not created", tc.table)
		}
		want := wantCols
		if strings.Contains(tc.table, "changes") {
			want = append(slices.Clone(wantCols), "_op string")
		}
		sd := tb.StorageDescriptor
		if !slices.Equal(names(sd.Columns), want) || sd.Location != lakeRoot+tc.root ||
			!slices.Equal(tb.PartitionKeys, []fakeColumn{{Name: "dt", Type: "date"}}) || tb.TableType != "EXTERNAL_TABLE" ||
			sd.SerdeInfo.SerializationLibrary != "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe" ||
			sd.InputFormat != "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat" ||
			tb.Parameters["projection.enabled"] != "false" || tb.Parameters[ParamCreatedFor] != "Subscription__c" {
			t.Errorf("%s: %+v %+v", tc.table, tb, sd)
		}
		p, ok := fake.Partition(tc.table, "2026-11-20")
		wantLoc := lakeRoot + tc.root + "dt=2026-11-20/run=20261120T020000.000000Z/"
		if !ok || p.StorageDescriptor.Location != wantLoc || !slices.Equal(p.StorageDescriptor.Columns, sd.Columns) {
			t.Errorf("%s partition %+v, want at %s", tc.table, p.StorageDescriptor, wantLoc)
		}
	}
	calls := fake.TakeCalls()
	if n := count(calls, "CreateTable"); n != 3 { // snapshot (lost, resent: exists), changes
		t.Errorf("%d CreateTable calls in %v, want 3", n, calls)
	}
	if err := cat.Register(ctx, m); err != nil {
		t.Fatal(err)
	}
	if calls := fake.TakeCalls(); slices.ContainsFunc(calls, func(c string) bool {
		return strings.HasPrefix(c, "Create") && c != "CreatePartition" || c == "UpdateTable"
	}) {
		t.Errorf("second registration wrote tables: %v", calls)
	}
}

func TestTableErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		lake bool
		m    *lake.Manifest
		want []string
	}{
		{"a registry object's table is never created", true,
			snapshotOf("Lead", "2026-11-20", "r1", 1, registrySchema(t, "Lead")),
			[]string{"crm_snapshot_lead", "does not exist (is infra/glue.yaml deployed"}},
		{"no lake location to create a table at", false,
			snapshotOf("Subscription__c", "2026-11-20", "r1", 1, subscriptionSchema),
			[]string{"crm_snapshot_subscription__c", "configured object Subscription__c", "LAKE_BUCKET"}},
		{"a lake type with no Glue type", true,
			snapshotOf("Subscription__c", "2026-11-20", "r1", 1, append(slices.Clone(subscriptionSchema), lake.Column{Name: "ratio__c", Type: "float"})),
			[]string{"column ratio__c", `lake column type "float"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake, client := newGlueFake(t)
			if tc.name == "a registry object's table is never created" {
				delete(fake.Tables, "crm_snapshot_lead")
			}
			var opts []Option
			if tc.lake {
				opts = append(opts, WithLake(testBucket, testPrefix))
			}
			err := New(client, testDatabase, opts...).Register(ctx, tc.m)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if calls := fake.TakeCalls(); slices.Contains(calls, "CreateTable") || slices.Contains(calls, "CreatePartition") {
				t.Errorf("calls %v", calls)
			}
		})
	}
}

// The table the adapter would create for a registry object is the one
// infra/glue.yaml declares (generated independently from the Parquet
// schemas by infra/glue_test.go): same columns and Glue types, location,
// partition keys, formats, SerDe and parameters. So a configured object's
// table follows the declared conventions, and GlueType agrees with the
// generator's Parquet-to-Athena mapping for every registry column.
func TestCreatedTableMatchesDeclared(t *testing.T) {
	declared := map[string]fakeTable{}
	for _, tb := range gluefake.Definitions(t, testDatabase, testBucket, testPrefix) {
		declared[tb.Name] = tb
	}
	for _, o := range crm.Objects {
		m := snapshotOf(o.Name, "2026-11-20", "r", 1, lake.NewObjectSchema(o, false).Columns())
		targets, err := Targets(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, tg := range targets {
			in := NewTableInput(tg, o.Name, "s3://"+testBucket+"/"+testPrefix)
			d := declared[tg.Table]
			var cols, keys []string
			for _, c := range in.StorageDescriptor.Columns {
				cols = append(cols, aws.ToString(c.Name)+" "+aws.ToString(c.Type))
			}
			for _, c := range in.PartitionKeys {
				keys = append(keys, aws.ToString(c.Name)+" "+aws.ToString(c.Type))
			}
			params := maps.Clone(in.Parameters)
			delete(params, ParamCreatedFor)
			sd := in.StorageDescriptor
			if !slices.Equal(cols, names(d.StorageDescriptor.Columns)) {
				t.Errorf("%s columns\n%v\ndeclared\n%v", tg.Table, cols, names(d.StorageDescriptor.Columns))
			}
			if !slices.Equal(keys, names(d.PartitionKeys)) || aws.ToString(sd.Location) != d.StorageDescriptor.Location ||
				aws.ToString(sd.InputFormat) != d.StorageDescriptor.InputFormat || aws.ToString(sd.OutputFormat) != d.StorageDescriptor.OutputFormat ||
				aws.ToString(sd.SerdeInfo.SerializationLibrary) != d.StorageDescriptor.SerdeInfo.SerializationLibrary ||
				!maps.Equal(params, d.Parameters) || aws.ToString(in.TableType) != d.TableType || aws.ToString(in.Description) != d.Description {
				t.Errorf("%s: built %+v %+v\ndeclared %+v %+v", tg.Table, in, sd, d, d.StorageDescriptor)
			}
		}
	}
}
