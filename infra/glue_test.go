package infra

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/pipeline"
)

var update = flag.Bool("update", false, "rewrite infra/glue.yaml from the lake's Parquet schemas")

const gluePath = "glue.yaml"

type glueColumn struct{ name, typ string }

// glueTable is one Athena table over the lake.
type glueTable struct {
	name     string
	comment  string
	location string // under the lake prefix, ending in "/"
	jsonl    bool   // JSON lines instead of Parquet
	columns  []glueColumn
	parts    []glueColumn
	// projection holds the partition projection properties; nil means the
	// partitions are registered by the jobs after each manifest commit.
	projection [][2]string
}

// athenaType maps a Parquet leaf to the Athena (Hive DDL) type that reads it.
func athenaType(n parquet.Node) (string, error) {
	if lt := n.Type().LogicalType(); lt != nil {
		switch v := lt.Value.(type) {
		case *format.StringType, *format.EnumType:
			return "string", nil
		case *format.DateType:
			return "date", nil
		case *format.TimestampType:
			// Athena v3 reads micros at millisecond precision (PITFALLS):
			// keep period boundaries exclusive in SQL.
			return "timestamp", nil
		case *format.DecimalType:
			return fmt.Sprintf("decimal(%d,%d)", v.Precision, v.Scale), nil
		case *format.IntType:
			switch v.BitWidth {
			case 8:
				return "tinyint", nil
			case 16:
				return "smallint", nil
			case 32:
				return "int", nil
			case 64:
				return "bigint", nil
			}
		}
	}
	switch n.Type().Kind() {
	case parquet.Boolean:
		return "boolean", nil
	case parquet.Int32:
		return "int", nil
	case parquet.Int64:
		return "bigint", nil
	case parquet.Float:
		return "float", nil
	case parquet.Double:
		return "double", nil
	}
	return "", fmt.Errorf("no Athena type for Parquet %v", n.Type())
}

// structColumns lists a row type's columns in field order, skipping those
// that are partition keys (their values come from the partition path).
func structColumns(t *testing.T, row any, parts []glueColumn) []glueColumn {
	t.Helper()
	var cols []glueColumn
	for _, f := range parquet.SchemaOf(row).Fields() {
		if slices.ContainsFunc(parts, func(p glueColumn) bool { return p.name == f.Name() }) {
			continue
		}
		typ, err := athenaType(f)
		if err != nil {
			t.Fatalf("%T.%s: %v", row, f.Name(), err)
		}
		cols = append(cols, glueColumn{f.Name(), typ})
	}
	return cols
}

// objectColumns lists a CRM object's lake columns in registry order.
func objectColumns(t *testing.T, o *crm.Object, changes bool) []glueColumn {
	t.Helper()
	s := lake.NewObjectSchema(o, changes)
	var cols []glueColumn
	for _, c := range s.Columns() {
		leaf, ok := s.Schema.Lookup(c.Name)
		if !ok {
			t.Fatalf("%s: column %s not in the Parquet schema", o.Name, c.Name)
		}
		typ, err := athenaType(leaf.Node)
		if err != nil {
			t.Fatalf("%s.%s: %v", o.Name, c.Name, err)
		}
		cols = append(cols, glueColumn{c.Name, typ})
	}
	return cols
}

var camel = regexp.MustCompile(`([a-z0-9])([A-Z])`)

func snake(name string) string { return strings.ToLower(camel.ReplaceAllString(name, "${1}_${2}")) }

// catalog is every table, derived from the code that writes the lake.
func catalog(t *testing.T) []glueTable {
	dt := []glueColumn{{"dt", "date"}}
	quarter := []glueColumn{{"quarter", "string"}}
	asOf := []glueColumn{{"as_of", "date"}}
	var tables []glueTable
	for _, o := range crm.Objects {
		tables = append(tables,
			glueTable{
				name:     "crm_snapshot_" + snake(o.Name),
				comment:  o.Name + " as of each night (full state)",
				location: "crm/snapshot/object=" + o.Name + "/",
				columns:  objectColumns(t, o, false),
				parts:    dt,
			},
			glueTable{
				name:     "crm_changes_" + snake(o.Name),
				comment:  o.Name + " increments of each run, _op upsert or delete",
				location: "crm/changes/object=" + o.Name + "/",
				columns:  objectColumns(t, o, true),
				parts:    dt,
			})
	}
	var objects []string
	for _, o := range crm.Objects {
		objects = append(objects, o.Name)
	}
	kpiParts := []glueColumn{{"quarter", "string"}, {"as_of", "date"}}
	tables = append(tables,
		glueTable{
			name:    "crm_rejects",
			comment: "Records the extract quarantined, with the reason; diagnostics of every run, committed or not",
			// Rejects are append-only diagnostics, each line naming its run, so
			// reading every run folder is what a reader wants: projection is safe.
			location: "crm/rejects/",
			jsonl:    true,
			columns: []glueColumn{{"object", "string"}, {"id", "string"}, {"field", "string"}, {"reason", "string"},
				{"run", "string"}, {"raw", "string"}, {"raw_bytes", "bigint"}, {"raw_sha256", "string"}},
			parts: []glueColumn{{"object_name", "string"}, {"dt", "date"}},
			projection: [][2]string{
				{"projection.enabled", "true"},
				{"projection.object_name.type", "enum"},
				{"projection.object_name.values", strings.Join(objects, ",")},
				{"projection.dt.type", "date"},
				{"projection.dt.format", "yyyy-MM-dd"},
				{"projection.dt.range", "2020-01-01,NOW"},
				{"projection.dt.interval", "1"},
				{"projection.dt.interval.unit", "DAYS"},
				{"storage.location.template", "s3://${LakeBucket}/${LakePrefix}crm/rejects/object=${!object_name}/dt=${!dt}/"},
			},
		},
		glueTable{
			name:     "kpi_gold",
			comment:  "Shared KPI values by quarter and as-of date (final figures: final = true)",
			location: "kpi/",
			columns:  structColumns(t, kpi.GoldRow{}, kpiParts),
			parts:    kpiParts,
		},
		glueTable{
			name:     "kpi_credit",
			comment:  "Attribution credit rows: per opportunity, touch and model, the credited cents (they sum to the opportunity's amount) and the window rule that admitted the touch",
			location: "kpi/credit/",
			columns:  structColumns(t, kpi.CreditRow{}, kpiParts),
			parts:    kpiParts,
		},
		glueTable{
			name:     "kpi_response",
			comment:  "Lead response rows: per MQL of the period, the first human response (instant, responder, hours), whether it met the SLA and whether the lead still waits",
			location: "kpi/response/",
			columns:  structColumns(t, kpi.ResponseRow{}, kpiParts),
			parts:    kpiParts,
		},
		glueTable{
			name:     "comp_statement_lines",
			comment:  "Compensation statement lines, each explained",
			location: "comp/",
			columns:  structColumns(t, comp.LineRow{}, quarter),
			parts:    quarter,
		},
		glueTable{
			name:     "comp_statement_status",
			comment:  "Statement status per statement: draft, approved or final, version, who and when; join comp_statement_lines on statement_id",
			location: "comp/statement_status/",
			columns:  structColumns(t, comp.StatusRow{}, quarter),
			parts:    quarter,
		},
		glueTable{
			name:     "exports_payroll",
			comment:  "Payroll export: approved and final statements",
			location: "exports/payroll/",
			columns:  structColumns(t, comp.ExportRow{}, quarter),
			parts:    quarter,
		},
		glueTable{
			name:     "score_lead",
			comment:  "Lead scores of each night: every open lead's score 1-99, probability and top factors as text (docs/scoring.md)",
			location: "score/lead/",
			columns:  structColumns(t, pipeline.ScoreRow{}, asOf),
			parts:    asOf,
		},
		glueTable{
			name:     "score_factor",
			comment:  "Top factors of each open lead's score: rank, feature and signed contribution to its log-odds",
			location: "score/factor/",
			columns:  structColumns(t, pipeline.ScoreFactorRow{}, asOf),
			parts:    asOf,
		},
		glueTable{
			name:     "score_metric",
			comment:  "The scoring model's measures on held-out recent leads (auc, brier, base_rate, top_decile_lift, split counts), calibration by decile, weights and means",
			location: "score/metric/",
			columns:  structColumns(t, pipeline.ScoreMetricRow{}, asOf),
			parts:    asOf,
		},
		glueTable{
			name:     "score_band",
			comment:  "Held-out conversion by score band: of the test leads scored lo-hi, how many converted",
			location: "score/band/",
			columns:  structColumns(t, pipeline.ScoreBandRow{}, asOf),
			parts:    asOf,
		})
	return tables
}

func resourceName(table string) string {
	var sb strings.Builder
	for _, w := range strings.Split(table, "_") {
		sb.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return sb.String() + "Table"
}

func renderGlue(tables []glueTable) []byte {
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w(`# GENERATED by "go test ./infra -run TestGlueCatalog -update" from the lake's
# Parquet schemas (shared/crm registry, kpi.GoldRow, kpi.CreditRow, kpi.ResponseRow, comp.LineRow,
# comp.StatusRow, comp.ExportRow, the pipeline's Score*Row). Do not edit: change the code, then regenerate. TestGlueCatalog
# fails when this file and the code disagree.
#
# Deployed by template.yaml as the nested application GlueCatalog.
#
# Partitions. Athena reads every file under a partition's location and knows
# nothing of Venn's manifests, so partition projection cannot hide a run that
# never committed or one that a rerun superseded. Every table whose partitions
# can be rewritten (snapshots, changes, KPIs, statements, exports) therefore
# has NO projection: its partitions are registered (glue:CreatePartition, or
# UpdatePartition on a rerun) with their location pointed at the committed
# run=<id>/ folder, only after the manifest commit. Files whose names start
# with "_" (the manifests) are ignored by Athena. Only crm_rejects, append-only
# diagnostics that name their run on each line, uses projection.
AWSTemplateFormatVersion: "2010-09-09"
Description: Venn Glue catalog over the lake (generated; see the header)

Parameters:
  LakeBucket:
    Type: String
  LakePrefix:
    Type: String
    Default: ""
  DatabaseName:
    Type: String
    Default: venn

Resources:
  Database:
    Type: AWS::Glue::Database
    Properties:
      CatalogId: !Ref AWS::AccountId
      DatabaseInput:
        Name: !Ref DatabaseName
        Description: Venn lake - CRM snapshots and changes, KPIs, compensation, payroll exports, lead scores
`)
	for _, t := range tables {
		w("\n  %s:\n", resourceName(t.name))
		w("    Type: AWS::Glue::Table\n")
		w("    Properties:\n")
		w("      CatalogId: !Ref AWS::AccountId\n")
		w("      DatabaseName: !Ref Database\n")
		w("      TableInput:\n")
		w("        Name: %s\n", t.name)
		w("        Description: %q\n", t.comment)
		w("        TableType: EXTERNAL_TABLE\n")
		w("        Parameters:\n")
		if t.jsonl {
			w("          classification: json\n")
		} else {
			w("          classification: parquet\n")
			w("          parquet.compression: ZSTD\n")
		}
		if t.projection == nil {
			w("          projection.enabled: \"false\"\n")
			w("          venn.partitions: registered after each manifest commit, location = the committed run folder\n")
		}
		for _, p := range t.projection {
			if strings.Contains(p[1], "${") {
				w("          %s: !Sub %q\n", p[0], p[1])
			} else {
				w("          %s: %q\n", p[0], p[1])
			}
		}
		w("        PartitionKeys:\n")
		for _, c := range t.parts {
			w("          - { Name: %s, Type: %s }\n", c.name, c.typ)
		}
		w("        StorageDescriptor:\n")
		w("          Location: !Sub \"s3://${LakeBucket}/${LakePrefix}%s\"\n", t.location)
		if t.jsonl {
			w("          InputFormat: org.apache.hadoop.mapred.TextInputFormat\n")
			w("          OutputFormat: org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat\n")
			w("          SerdeInfo:\n")
			w("            SerializationLibrary: org.openx.data.jsonserde.JsonSerDe\n")
			w("            Parameters: { ignore.malformed.json: \"false\" }\n")
		} else {
			w("          InputFormat: org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat\n")
			w("          OutputFormat: org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat\n")
			w("          SerdeInfo:\n")
			w("            SerializationLibrary: org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe\n")
		}
		w("          Columns:\n")
		for _, c := range t.columns {
			w("            - { Name: %s, Type: \"%s\" }\n", c.name, c.typ)
		}
	}
	return b.Bytes()
}

func TestGlueCatalog(t *testing.T) {
	want := renderGlue(catalog(t))
	if *update {
		if err := os.WriteFile(gluePath, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(gluePath)
	if err != nil {
		t.Fatalf("%v (generate it: go test ./infra -run TestGlueCatalog -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is out of date with the lake schemas: run go test ./infra -run TestGlueCatalog -update and review the diff", gluePath)
	}
	// It is a template the loader reads, with one table per catalog entry.
	tmpl := loadTemplate(t, gluePath)
	if n := len(resources(tmpl, "AWS::Glue::Table")); n != len(catalog(t)) {
		t.Fatalf("%d tables in %s", n, gluePath)
	}
	// The nested application passes exactly the parameters glue.yaml declares.
	params := get(loadTemplate(t, templatePath), "Resources", "GlueCatalog", "Properties", "Parameters").(map[string]any)
	for p := range get(tmpl, "Parameters").(map[string]any) {
		if params[p] == nil {
			t.Errorf("template.yaml GlueCatalog does not pass %s", p)
		}
	}
}

// Spot checks, computed by hand from the registry and the row types, so the
// generator's type mapping is itself tested.
func TestGlueColumnTypes(t *testing.T) {
	tables := map[string]glueTable{}
	for _, tb := range catalog(t) {
		tables[tb.name] = tb
	}
	typeOf := func(table, col string) string {
		for _, c := range tables[table].columns {
			if c.name == col {
				return c.typ
			}
		}
		return "<missing>"
	}
	tests := []struct{ table, col, want string }{
		{"crm_snapshot_opportunity", "amount", "decimal(18,2)"},
		{"crm_snapshot_opportunity", "close_date", "date"},
		{"crm_snapshot_opportunity", "system_modstamp", "timestamp"},
		{"crm_snapshot_opportunity", "is_deleted", "boolean"},
		{"crm_snapshot_opportunity", "stage_name", "string"},
		{"crm_snapshot_opportunity_split", "split_percentage", "decimal(9,2)"},
		{"crm_changes_lead", "_op", "string"},
		{"crm_snapshot_lead", "_op", "<missing>"},
		{"kpi_gold", "value", "decimal(18,6)"},
		{"kpi_gold", "amount", "decimal(18,2)"},
		{"kpi_gold", "value_cents", "<missing>"},
		{"kpi_gold", "side", "string"},
		{"kpi_gold", "numerator", "decimal(18,6)"},
		{"kpi_gold", "defined", "boolean"},
		{"kpi_gold", "quarter", "<missing>"}, // a partition key
		{"kpi_credit", "credit", "decimal(18,2)"},
		{"kpi_credit", "weight", "decimal(18,12)"},
		{"kpi_credit", "touch_at", "timestamp"},
		{"kpi_response", "response_hours", "decimal(18,6)"},
		{"kpi_response", "responded_at", "timestamp"},
		{"kpi_response", "within_sla", "boolean"},
		{"kpi_response", "sla_hours", "int"},
		{"comp_statement_lines", "amount", "decimal(18,2)"},
		{"comp_statement_lines", "seq", "int"}, // the line number within a statement (comp.LineRow.Seq)
		{"comp_statement_lines", "actual", "decimal(18,6)"},
		{"comp_statement_lines", "attainment", "decimal(18,12)"},
		{"comp_statement_lines", "proration", "decimal(18,12)"},
		{"comp_statement_status", "total", "decimal(18,2)"},
		{"comp_statement_status", "approved_at", "timestamp"},
		{"comp_statement_status", "statement_version", "bigint"},
		{"exports_payroll", "period_start", "date"},
		{"exports_payroll", "statement_version", "bigint"},
	}
	for _, tc := range tests {
		if got := typeOf(tc.table, tc.col); got != tc.want {
			t.Errorf("%s.%s: %s, want %s", tc.table, tc.col, got, tc.want)
		}
	}
	// Locations are the prefixes the lake writes under.
	for _, o := range crm.Objects {
		for table, part := range map[string]string{
			"crm_snapshot_" + snake(o.Name): lake.SnapshotPartition(o.Name, "2026-11-20"),
			"crm_changes_" + snake(o.Name):  lake.ChangesPartition(o.Name, "2026-11-20"),
			"crm_rejects":                   lake.RejectsPartition(o.Name, "2026-11-20"),
		} {
			if loc := tables[table].location; loc == "" || !strings.HasPrefix(part+"/", loc) {
				t.Errorf("%s: location %q does not hold the lake's partition %s", table, loc, part)
			}
		}
	}
	// Per object a snapshot and a changes table; then crm_rejects,
	// kpi_gold, kpi_credit, kpi_response, comp_statement_lines,
	// comp_statement_status, exports_payroll, score_lead, score_factor,
	// score_metric and score_band.
	if n := len(tables); n != 2*len(crm.Objects)+11 {
		t.Errorf("%d tables, want %d", n, 2*len(crm.Objects)+11)
	}
}

// The example queries only name tables of the catalog.
func TestAthenaQueriesNameCatalogTables(t *testing.T) {
	names := map[string]bool{}
	for _, tb := range catalog(t) {
		names[tb.name] = true
	}
	files, err := os.ReadDir("athena")
	if err != nil {
		t.Fatal(err)
	}
	from := regexp.MustCompile(`(?i)\b(?:from|join)\s+(?:venn\.)?([a-z_][a-z0-9_]*)`)
	var n int
	for _, f := range files {
		if !strings.HasSuffix(f.Name(), ".sql") {
			continue
		}
		n++
		raw, err := os.ReadFile("athena/" + f.Name())
		if err != nil {
			t.Fatal(err)
		}
		sql := regexp.MustCompile(`--[^\n]*`).ReplaceAll(raw, nil)
		ctes := map[string]bool{}
		for _, m := range regexp.MustCompile(`(?i)\b([a-z_][a-z0-9_]*)\s+as\s*\(`).FindAllStringSubmatch(string(sql), -1) {
			ctes[strings.ToLower(m[1])] = true
		}
		for _, m := range from.FindAllStringSubmatch(string(sql), -1) {
			if name := strings.ToLower(m[1]); !names[name] && !ctes[name] && name != "unnest" {
				t.Errorf("%s: unknown table %s", f.Name(), name)
			}
		}
	}
	if n == 0 {
		t.Fatal("no athena/*.sql")
	}
}
