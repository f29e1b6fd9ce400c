package lake

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/venn-revops/venn/shared/crm"
)

// OpColumn is the extra column of change files: OpUpsert or OpDelete.
const OpColumn = "_op"

// Values of OpColumn.
const (
	OpUpsert = "upsert"
	OpDelete = "delete"
)

// Key-value metadata keys every lake Parquet file carries.
const (
	MetaObject        = "venn.object"
	MetaSchemaVersion = "venn.schema_version"
	MetaTable         = "venn.table"
)

// zstdCodec is shared by every writer: parquet-go pools encoders per codec
// value, and a zstd encoder reserves a large window, so one pool for the
// process keeps memory flat (PITFALLS: zstd encoder pooling).
var zstdCodec = &zstd.Codec{Level: zstd.SpeedDefault}

// DefaultRowGroupRows bounds a row group so a file is never one giant row
// group: writers buffer at most this many rows, and DuckDB/Athena can split
// the file between threads.
const DefaultRowGroupRows = 128 * 1024

// DefaultFileRows is the number of rows after which a writer rolls over to
// the next part file.
const DefaultFileRows = 1_000_000

// nodeOf maps a registry field to its Parquet leaf: strings (Picklist and
// Dict fields dictionary-encoded), BOOLEAN, DATE, TIMESTAMP(MICROS, UTC),
// DECIMAL(18,2) on int64 and DECIMAL(9,2) on int32 (hundredths, as the
// Parquet spec wants int32 up to 9 digits), INT64.
func nodeOf(f crm.Field) parquet.Node {
	switch t := f.Type; {
	case t == crm.Picklist, f.Dict && t == crm.ID:
		return parquet.Encoded(parquet.String(), &parquet.RLEDictionary)
	case t == crm.Bool:
		return parquet.Leaf(parquet.BooleanType)
	case t == crm.Date:
		return parquet.Date()
	case t == crm.DateTime:
		return parquet.Timestamp(parquet.Microsecond)
	case t == crm.Currency:
		return parquet.Decimal(2, 18, parquet.Int64Type)
	case t == crm.Percent:
		return parquet.Decimal(2, 9, parquet.Int32Type)
	case t == crm.Rate:
		return parquet.Decimal(crm.RateScale, 18, parquet.Int64Type)
	case t == crm.Int:
		return parquet.Int(64)
	default: // Text, ID, Email, Phone
		return parquet.String()
	}
}

// required lists the columns that are never null in the lake: the record
// identity and the two audit stamps every Salesforce record has.
func required(f crm.Field) bool {
	switch f.Name {
	case "Id", "SystemModstamp", "CreatedDate":
		return true
	}
	return false
}

// ObjectSchema is the Parquet layout of one CRM object, built from the
// registry. Parquet groups order their columns by name, so Column maps each
// registry field to its leaf column index.
type ObjectSchema struct {
	Object  *crm.Object
	Changes bool // carries the _op column
	Schema  *parquet.Schema
	// Column[i] is the leaf column index of Object.Fields[i].
	Column []int
	// OpIndex is the leaf column index of _op, or -1.
	OpIndex int
	// Version identifies the column set and types (see SchemaVersion).
	Version string
}

// NewObjectSchema builds the snapshot (changes=false) or change-file
// (changes=true) schema of o.
func NewObjectSchema(o *crm.Object, changes bool) *ObjectSchema {
	return newObjectSchema(o, changes, nodeOf)
}

// PlainObjectSchema is NewObjectSchema with no dictionary-encoded column:
// the same columns and types, each string stored plain, as files from
// before a column was marked crm.Field.Dict (or from other writers) are.
// Readers must treat both alike; tests use it to prove they do.
func PlainObjectSchema(o *crm.Object, changes bool) *ObjectSchema {
	return newObjectSchema(o, changes, func(f crm.Field) parquet.Node {
		if f.Type == crm.Picklist || f.Type == crm.ID {
			return parquet.String()
		}
		return nodeOf(f)
	})
}

func newObjectSchema(o *crm.Object, changes bool, nodeOf func(crm.Field) parquet.Node) *ObjectSchema {
	g := parquet.Group{}
	for _, f := range o.Fields {
		n := nodeOf(f)
		if !required(f) {
			n = parquet.Optional(n)
		}
		n = parquet.Compressed(n, zstdCodec)
		g[f.Column] = n
	}
	if changes {
		g[OpColumn] = parquet.Compressed(parquet.Encoded(parquet.String(), &parquet.RLEDictionary), zstdCodec)
	}
	s := parquet.NewSchema(o.Name, g)
	os := &ObjectSchema{Object: o, Changes: changes, Schema: s, Column: make([]int, len(o.Fields)), OpIndex: -1, Version: SchemaVersion(o)}
	for i, f := range o.Fields {
		leaf, ok := s.Lookup(f.Column)
		if !ok {
			panic("lake: column vanished from schema: " + f.Column)
		}
		os.Column[i] = leaf.ColumnIndex
	}
	if changes {
		leaf, _ := s.Lookup(OpColumn)
		os.OpIndex = leaf.ColumnIndex
	}
	return os
}

// SchemaVersion is a short digest of an object's lake columns, their types
// and nullability. It changes exactly when the registry's layout of the
// object changes, so readers can tell two files' schemas apart without
// anyone remembering to bump a number.
func SchemaVersion(o *crm.Object) string {
	var sb strings.Builder
	for _, f := range o.Fields {
		fmt.Fprintf(&sb, "%s:%s:%t\n", f.Column, f.Type, required(f))
	}
	sum := sha256.Sum256([]byte(sb.String()))
	return "v1-" + hex.EncodeToString(sum[:6])
}

// Columns describes the schema for manifests: "name type" per column in
// registry order, e.g. "amount decimal(18,2)".
func (s *ObjectSchema) Columns() []Column {
	out := make([]Column, 0, len(s.Object.Fields)+1)
	for _, f := range s.Object.Fields {
		out = append(out, Column{Name: f.Column, Type: logicalName(f.Type), Required: required(f), Field: f.Name, Kind: f.Type.String()})
	}
	if s.Changes {
		out = append(out, Column{Name: OpColumn, Type: "string", Required: true})
	}
	return out
}

func logicalName(t crm.FieldType) string {
	switch t {
	case crm.Bool:
		return "boolean"
	case crm.Date:
		return "date"
	case crm.DateTime:
		return "timestamp(micros,utc)"
	case crm.Currency:
		return "decimal(18,2)"
	case crm.Percent:
		return "decimal(9,2)"
	case crm.Rate:
		return "decimal(18,6)"
	case crm.Int:
		return "int64"
	case crm.Picklist:
		return "string(dictionary)"
	}
	return "string"
}

// maxPercent is the largest DECIMAL(9,2) in hundredths.
const maxPercent = 999_999_999

// CheckRow reports values the registry's decoder accepts but the lake's
// types cannot hold (a Percent beyond DECIMAL(9,2)), as a *crm.FieldError so
// the record is rejected like any other bad record instead of being
// silently wrapped.
func CheckRow(o *crm.Object, row *crm.Row) error {
	for i, f := range o.Fields {
		v := row.Values[i]
		if f.Type == crm.Percent && !v.Null && (v.I > maxPercent || v.I < -maxPercent) {
			return &crm.FieldError{Object: o.Name, ID: row.ID(), Field: f.Name, Reason: fmt.Sprintf("%d.%02d is out of range for DECIMAL(9,2)", v.I/100, abs(v.I%100))}
		}
	}
	return nil
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
