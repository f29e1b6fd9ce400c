package gluecatalog

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	"github.com/aws/aws-sdk-go-v2/service/glue/types"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/lake"
)

// Table evolution. infra/glue.yaml declares the registry's columns, but an
// org's extract configuration adds columns (extra_fields, all_fields) and
// objects (custom objects) that only the committed manifests know. So the
// catalog follows the manifests: before a snapshot's partitions are
// registered, columns of its schema that the Glue table lacks are appended
// (UpdateTable), and a configured object's tables are created on its first
// commit. Columns are never dropped or retyped: a field the org removed
// stays a (null) column, as it does in the lake, and old partitions keep
// reading.

// Storage conventions of every Parquet table of infra/glue.yaml
// (infra/glue_test.go generates that file with the same values, and
// TestCreatedTableMatchesDeclared compares the two).
const (
	parquetInput  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
	parquetOutput = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
	parquetSerDe  = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
	// ParamCreatedFor marks a table this package created for a configured
	// object (its value is the object), so an operator can tell it from a
	// declared one.
	ParamCreatedFor = "venn.created_for"
)

// maxTableWrites bounds the re-read-and-retry loop of ensureTable when
// other writers keep changing the table (each round makes progress for
// somebody, so a handful is plenty).
const maxTableWrites = 8

var decimalType = regexp.MustCompile(`^decimal\((\d+),(\d+)\)$`)

// GlueType is the Athena (Hive DDL) type that reads a lake column of the
// manifest type lakeType (lake.Column.Type), as infra/glue.yaml types the
// declared columns.
func GlueType(lakeType string) (string, error) {
	switch lakeType {
	case "string", "string(dictionary)":
		return "string", nil
	case "boolean", "date":
		return lakeType, nil
	case "timestamp(micros,utc)":
		return "timestamp", nil
	case "int64":
		return "bigint", nil
	}
	if decimalType.MatchString(lakeType) {
		return lakeType, nil
	}
	return "", fmt.Errorf("gluecatalog: no Glue type for lake column type %q", lakeType)
}

// schemaColumns are the Glue columns of a snapshot manifest's schema, with
// the change files' _op column when changes is set.
func schemaColumns(m *lake.Manifest, changes bool) ([]types.Column, error) {
	var cols []types.Column
	for _, c := range m.Schema {
		typ, err := GlueType(c.Type)
		if err != nil {
			return nil, fmt.Errorf("gluecatalog: snapshot manifest of %s: column %s: %w", m.Partition, c.Name, err)
		}
		cols = append(cols, types.Column{Name: aws.String(c.Name), Type: aws.String(typ)})
	}
	if changes && len(cols) > 0 && !slices.ContainsFunc(m.Schema, func(c lake.Column) bool { return c.Name == lake.OpColumn }) {
		cols = append(cols, types.Column{Name: aws.String(lake.OpColumn), Type: aws.String("string")})
	}
	return cols, nil
}

// missingColumns are the wanted columns the table does not have, by name
// (an existing column is never retyped).
func missingColumns(have, want []types.Column) []types.Column {
	var out []types.Column
	for _, w := range want {
		if !slices.ContainsFunc(have, func(h types.Column) bool { return strings.EqualFold(aws.ToString(h.Name), aws.ToString(w.Name)) }) {
			out = append(out, w)
		}
	}
	return out
}

// ensureTable returns t's table, holding every column of t.Columns: it
// appends the missing ones, and creates a configured object's table. Each
// write is conditional (UpdateTable on the version read; CreateTable fails
// if the table exists), and a lost race re-reads, so concurrent extracts
// and reruns converge without losing a column.
func (c *Catalog) ensureTable(ctx context.Context, m *lake.Manifest, t Target, where string) (*types.Table, error) {
	for range maxTableWrites {
		out, err := c.client.GetTable(ctx, &glue.GetTableInput{DatabaseName: &c.database, Name: &t.Table})
		if _, missing := errors.AsType[*types.EntityNotFoundException](err); missing {
			if cerr := c.createTable(ctx, m, t, where); cerr != nil {
				if _, exists := errors.AsType[*types.AlreadyExistsException](cerr); exists {
					continue // created meanwhile (or our lost response): read it
				}
				if errors.Is(cerr, errNotCreatable) {
					return nil, fmt.Errorf("%s: the table does not exist (is infra/glue.yaml deployed, and GLUE_DATABASE its database?): %w", where, err)
				}
				return nil, cerr
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: read the table: %w", where, err)
		}
		table := out.Table
		if table == nil || table.StorageDescriptor == nil {
			return nil, fmt.Errorf("%s: the table has no storage descriptor", where)
		}
		add := missingColumns(table.StorageDescriptor.Columns, t.Columns)
		if len(add) == 0 {
			return table, nil
		}
		in := tableInput(table)
		sd := *in.StorageDescriptor
		sd.Columns = append(slices.Clone(sd.Columns), add...)
		in.StorageDescriptor = &sd
		_, err = c.client.UpdateTable(ctx, &glue.UpdateTableInput{DatabaseName: &c.database, TableInput: in, VersionId: table.VersionId},
			func(o *glue.Options) { o.Retryer = noRetryOnConflict{o.Retryer} })
		if _, conflict := errors.AsType[*types.ConcurrentModificationException](err); conflict {
			continue // another writer changed the table since we read it
		}
		if err != nil {
			return nil, fmt.Errorf("%s: add columns %s: %w", where, columnNames(add), err)
		}
		c.logger.InfoContext(ctx, "glue table columns added", "table", t.Table, "columns", columnNames(add), "manifest", m.Key())
	}
	return nil, fmt.Errorf("%s: the table kept changing under %d updates; rerun", where, maxTableWrites)
}

var errNotCreatable = errors.New("not a configured object's table")

// createTable creates the table of a configured object (one the registry
// does not know, so infra/glue.yaml cannot declare it) with the declared
// snapshot tables' conventions.
func (c *Catalog) createTable(ctx context.Context, m *lake.Manifest, t Target, where string) error {
	if len(t.Columns) == 0 || m.Table != snapshotTable {
		return errNotCreatable
	}
	if _, err := crm.Lookup(m.Object); err == nil {
		return errNotCreatable // a registry object's table is declared
	}
	if c.bucket == "" {
		return fmt.Errorf("%s: cannot create the table of configured object %s without the lake location (LAKE_BUCKET)", where, m.Object)
	}
	in := NewTableInput(t, m.Object, "s3://"+c.bucket+"/"+c.prefix)
	_, err := c.client.CreateTable(ctx, &glue.CreateTableInput{DatabaseName: &c.database, TableInput: in})
	if err != nil {
		if _, exists := errors.AsType[*types.AlreadyExistsException](err); exists {
			return err
		}
		return fmt.Errorf("%s: create the table of configured object %s: %w", where, m.Object, err)
	}
	c.logger.InfoContext(ctx, "glue table created for a configured object", "table", t.Table, "object", m.Object, "columns", len(t.Columns), "manifest", m.Key())
	return nil
}

// NewTableInput is the table of a snapshot target (crm_snapshot_… or
// crm_changes_…) for object, over the lake at lakeRoot
// ("s3://bucket/prefix"), as infra/glue.yaml declares the registry's.
func NewTableInput(t Target, object, lakeRoot string) *types.TableInput {
	desc := object + " as of each night (full state)"
	if strings.HasPrefix(t.Table, "crm_changes_") {
		desc = object + " increments of each run, _op upsert or delete"
	}
	keys := make([]types.Column, len(t.Keys))
	for i, k := range t.Keys {
		keys[i] = types.Column{Name: aws.String(k), Type: aws.String(partitionKeyType(k))}
	}
	return &types.TableInput{
		Name:        aws.String(t.Table),
		Description: aws.String(desc),
		TableType:   aws.String("EXTERNAL_TABLE"),
		Parameters: map[string]string{
			"classification":      "parquet",
			"parquet.compression": "ZSTD",
			"projection.enabled":  "false",
			"venn.partitions":     "registered after each manifest commit, location = the committed run folder",
			ParamCreatedFor:       object,
		},
		PartitionKeys: keys,
		StorageDescriptor: &types.StorageDescriptor{
			Location:     aws.String(lakeRoot + t.Root),
			InputFormat:  aws.String(parquetInput),
			OutputFormat: aws.String(parquetOutput),
			SerdeInfo:    &types.SerDeInfo{SerializationLibrary: aws.String(parquetSerDe)},
			Columns:      slices.Clone(t.Columns),
		},
	}
}

// partitionKeyType is the Glue type of a lake partition key.
func partitionKeyType(key string) string {
	switch key {
	case "dt", lake.AsOfKey:
		return "date"
	}
	return "string"
}

// tableInput carries a table's definition into an UpdateTable, which
// replaces the whole definition: every field Glue would otherwise reset.
func tableInput(t *types.Table) *types.TableInput {
	return &types.TableInput{
		Name:              t.Name,
		Description:       t.Description,
		Owner:             t.Owner,
		LastAccessTime:    t.LastAccessTime,
		LastAnalyzedTime:  t.LastAnalyzedTime,
		Retention:         t.Retention,
		StorageDescriptor: t.StorageDescriptor,
		PartitionKeys:     t.PartitionKeys,
		TableType:         t.TableType,
		Parameters:        t.Parameters,
		TargetTable:       t.TargetTable,
		ViewOriginalText:  t.ViewOriginalText,
		ViewExpandedText:  t.ViewExpandedText,
	}
}

func columnNames(cols []types.Column) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = aws.ToString(c.Name)
	}
	return strings.Join(names, ",")
}

// noRetryOnConflict keeps the SDK from resending a conditional UpdateTable
// on ConcurrentModificationException (the catalog's retryer retries it for
// partition calls): the same stale version would fail every attempt, where
// ensureTable re-reads the table instead.
type noRetryOnConflict struct{ aws.Retryer }

func (r noRetryOnConflict) IsErrorRetryable(err error) bool {
	if _, conflict := errors.AsType[*types.ConcurrentModificationException](err); conflict {
		return false
	}
	return r.Retryer.IsErrorRetryable(err)
}
