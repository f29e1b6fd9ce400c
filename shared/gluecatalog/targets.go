package gluecatalog

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/glue/types"

	"github.com/venn-revops/venn/shared/lake"
)

// ErrUnknownTable is returned for a manifest of a lake table that has no
// registered Glue table (a new gold table needs its mapping here and its
// table in infra/glue.yaml).
var ErrUnknownTable = errors.New("gluecatalog: no Glue table for this lake table")

// Target is one Glue partition a committed manifest points at its run folder.
type Target struct {
	// Table is the Glue table, as infra/glue.yaml names it
	// (crm_snapshot_opportunity_split, kpi_gold, …).
	Table string
	// Root is the table's lake path, which its StorageDescriptor.Location
	// ends with ("crm/snapshot/object=Lead/", "kpi/").
	Root string
	// Keys and Values are the partition keys and values, in the order of
	// the partition path ("quarter", "as_of" → "2026Q4", "2026-11-20").
	Keys   []string
	Values []string
	// Folder is the committed run folder, relative to the lake prefix, with
	// no trailing slash ("kpi/quarter=2026Q4/as_of=2026-11-20/run=…").
	Folder string
	// Columns (snapshot and change tables) are the Glue columns of the
	// manifest's schema: the table must hold each of them (see ensureTable).
	Columns []types.Column
}

// Spec is the partition as Hive writes it: "quarter=2026Q4/as_of=2026-11-20".
func (t Target) Spec() string {
	parts := make([]string, len(t.Keys))
	for i, k := range t.Keys {
		parts[i] = k + "=" + t.Values[i]
	}
	return strings.Join(parts, "/")
}

// goldTables maps the gold lake tables (lake.TableOptions.Table, as the
// pipeline writes them) to their Glue table and lake path.
var goldTables = map[string]struct{ glue, root string }{
	"kpi":                   {"kpi_gold", "kpi/"},
	"kpi/credit":            {"kpi_credit", "kpi/credit/"},
	"kpi/response":          {"kpi_response", "kpi/response/"},
	"comp/statement_lines":  {"comp_statement_lines", "comp/"},
	"comp/statement_status": {"comp_statement_status", "comp/statement_status/"},
	"exports/payroll":       {"exports_payroll", "exports/payroll/"},
	"score/lead":            {"score_lead", "score/lead/"},
	"score/factor":          {"score_factor", "score/factor/"},
	"score/metric":          {"score_metric", "score/metric/"},
	"score/band":            {"score_band", "score/band/"},
}

// snapshotTable is the lake table of the extract's snapshot manifests; the
// same commit carries the night's change files.
const snapshotTable = "crm/snapshot"

// Targets maps a committed manifest to the Glue partitions it points at its
// run folder: a snapshot manifest to its crm_snapshot_<object> partition and
// to the crm_changes_<object> partition of the same run (an empty folder when
// the run wrote no change files, so Athena never shows the changes of a
// superseded run); a gold manifest to its one table. It validates what
// Athena will read: every file of the commit lies under the folder.
func Targets(m *lake.Manifest) ([]Target, error) {
	if m.RunID == "" || strings.Contains(m.RunID, "/") {
		return nil, fmt.Errorf("gluecatalog: manifest of %s: run id %q", m.Partition, m.RunID)
	}
	if m.Table == snapshotTable {
		return snapshotTargets(m)
	}
	g, ok := goldTables[m.Table]
	if !ok {
		return nil, fmt.Errorf("%w: %q (partition %s)", ErrUnknownTable, m.Table, m.Partition)
	}
	t, err := target(g.glue, g.root, m.Partition, m.RunID)
	if err != nil {
		return nil, err
	}
	if err := filesUnder(m.Files, t.Folder, "file"); err != nil {
		return nil, err
	}
	return []Target{t}, nil
}

func snapshotTargets(m *lake.Manifest) ([]Target, error) {
	if m.Object == "" || m.Dt == "" {
		return nil, fmt.Errorf("gluecatalog: snapshot manifest of %s names no object or dt", m.Partition)
	}
	if want := lake.SnapshotPartition(m.Object, m.Dt); m.Partition != want {
		return nil, fmt.Errorf("gluecatalog: snapshot manifest of %s: object %s and dt %s make partition %s", m.Partition, m.Object, m.Dt, want)
	}
	table := snake(m.Object)
	snap, err := target(SnapshotTable(m.Object), "crm/snapshot/object="+m.Object+"/", m.Partition, m.RunID)
	if err != nil {
		return nil, err
	}
	changes, err := target("crm_changes_"+table, "crm/changes/object="+m.Object+"/", lake.ChangesPartition(m.Object, m.Dt), m.RunID)
	if err != nil {
		return nil, err
	}
	if err := filesUnder(m.Files, snap.Folder, "file"); err != nil {
		return nil, err
	}
	if err := filesUnder(m.Changes, changes.Folder, "change file"); err != nil {
		return nil, err
	}
	if snap.Columns, err = schemaColumns(m, false); err != nil {
		return nil, err
	}
	if changes.Columns, err = schemaColumns(m, true); err != nil {
		return nil, err
	}
	return []Target{snap, changes}, nil
}

// target reads the Hive partition path below root ("dt=2026-11-20").
func target(table, root, partition, runID string) (Target, error) {
	rest, ok := strings.CutPrefix(partition, root)
	if !ok || rest == "" {
		return Target{}, fmt.Errorf("gluecatalog: partition %s is not under %s, the lake path of %s", partition, root, table)
	}
	t := Target{Table: table, Root: root, Folder: lake.RunFolder(partition, runID)}
	for _, seg := range strings.Split(rest, "/") {
		k, v, ok := strings.Cut(seg, "=")
		if !ok || k == "" || v == "" {
			return Target{}, fmt.Errorf("gluecatalog: partition %s of %s: segment %q is not key=value", partition, table, seg)
		}
		// A legacy key (asof= of lakes written before the rename) is
		// registered under the table's current name: Glue matches
		// partition values by position, the folder keeps its path.
		t.Keys = append(t.Keys, lake.PartitionKey(k))
		t.Values = append(t.Values, v)
	}
	return t, nil
}

// filesUnder checks that Athena, reading folder, reads every file of the
// commit: a file elsewhere would be committed yet invisible.
func filesUnder(files []lake.File, folder, what string) error {
	for _, f := range files {
		if !strings.HasPrefix(f.Key, folder+"/") {
			return fmt.Errorf("gluecatalog: %s %s is outside the committed run folder %s/", what, f.Key, folder)
		}
	}
	return nil
}

// SnapshotTable is the Glue table (and generated view) of a CRM object's
// snapshot: Lead → crm_snapshot_lead, OpportunityHistory →
// crm_snapshot_opportunity_history.
func SnapshotTable(object string) string { return "crm_snapshot_" + snake(object) }

var wordBoundary = regexp.MustCompile(`([a-z0-9])([A-Z])`)

// snake is the table name part of a CRM object, as infra/glue.yaml spells it:
// OpportunityContactRole → opportunity_contact_role.
func snake(name string) string {
	return strings.ToLower(wordBoundary.ReplaceAllString(name, "${1}_${2}"))
}
