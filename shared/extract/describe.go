package extract

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/lake"
)

// Describe errors a Source reports (wrapped) so the extract can tell an org
// without the object from one that hides it and from a transient failure.
var (
	// ErrNotInOrg: describe says the object does not exist (HTTP 404
	// NOT_FOUND, INVALID_TYPE): the org lacks it, or the integration user
	// cannot see it at all.
	ErrNotInOrg = errors.New("object not in the org")
	// ErrNoAccess: the user may not read it (HTTP 403,
	// INSUFFICIENT_ACCESS...).
	ErrNoAccess = errors.New("no permission to read the object")
)

// SourceField is one field as the org describes it.
type SourceField struct {
	Name string
	Type string // describe type: string, picklist, reference, currency, ...
	// Scale is the digits after the point of a number field; -1 unknown.
	Scale int
}

// FieldDescriber is a Source that describes fields with their types (the
// Salesforce adapter). Without it, Describe's names are used and extra
// fields need a configured type.
type FieldDescriber interface {
	DescribeFields(ctx context.Context, object string) ([]SourceField, error)
}

// describeFields describes one object through the richest interface src has.
func describeFields(ctx context.Context, src Source, object string) ([]SourceField, error) {
	if fd, ok := src.(FieldDescriber); ok {
		return fd.DescribeFields(ctx, object)
	}
	names, err := src.Describe(ctx, object)
	if err != nil {
		return nil, err
	}
	out := make([]SourceField, len(names))
	for i, n := range names {
		out[i] = SourceField{Name: n, Scale: -1}
	}
	return out, nil
}

// described is the preflight's answer for one object.
type described struct {
	fields []SourceField
	err    error // a describe failure other than a missing object
	st     Stats // the describe's requests and retries (counting sources)
}

// preflight describes every object before anything is pulled. A required
// object the org lacks, or any object the user may not read, stops the run
// here, naming them all; an optional object the org lacks is skipped. Any
// other describe failure fails only its object, later.
func preflight(ctx context.Context, src Source, objects []*crm.Object, log *slog.Logger) (map[string]described, map[string]bool, error) {
	out := make(map[string]described, len(objects))
	skipped := map[string]bool{}
	var missing, denied []string
	totals, counted := src.(interface{ Totals() Stats })
	for _, o := range objects {
		var before Stats
		if counted {
			before = totals.Totals()
		}
		fields, err := describeFields(ctx, src, o.Name)
		var st Stats
		if counted {
			after := totals.Totals()
			st = Stats{Retries: after.Retries - before.Retries, Requests: after.Requests - before.Requests}
		}
		out[o.Name] = described{st: st}
		switch {
		case err == nil:
			out[o.Name] = described{fields: fields, st: st}
		case errors.Is(err, ErrNoAccess):
			denied = append(denied, fmt.Sprintf("%s (%v)", o.Name, err))
		case errors.Is(err, ErrNotInOrg) && o.Optional:
			skipped[o.Name] = true
			log.Warn("optional object not in the org: skipped", "object", o.Name, "error", err.Error())
		case errors.Is(err, ErrNotInOrg):
			missing = append(missing, o.Name)
		case ctx.Err() != nil:
			return nil, nil, fmt.Errorf("describe %s: %w", o.Name, err)
		default:
			out[o.Name] = described{err: fmt.Errorf("describe: %w", err), st: st}
		}
	}
	var errs []error
	if len(missing) > 0 {
		errs = append(errs, fmt.Errorf("the org has no %s, required by the KPIs and comp (or the integration user cannot see it: grant read on it, or View All Data)", strings.Join(missing, ", ")))
	}
	if len(denied) > 0 {
		errs = append(errs, fmt.Errorf("the integration user may not read %s (grant API Enabled and read on each object, or View All Data)", strings.Join(denied, "; ")))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, fmt.Errorf("extract stopped before pulling anything: %w", err)
	}
	return out, skipped, nil
}

// describe builds the run's view of r.o from the org's describe and the
// previous snapshot's schema: the registry fields the org has (selected)
// and those it lacks (null columns, with a warning naming the KPIs they
// leave empty), the configured extra fields and, with all_fields, every
// other describe field, typed from the describe; columns an earlier night
// had and the org dropped stay as null columns. Neither a new nor a missing
// field fails the run; the identity and stamps must exist.
func (r *objectRun) describe(fields []SourceField, prev *lake.Manifest) error {
	byName := make(map[string]SourceField, len(fields))
	for _, f := range fields {
		byName[f.Name] = f
	}
	reg := r.o
	view := *reg
	view.Fields = slices.Clone(reg.Fields)
	columns := map[string]bool{}
	for i, f := range view.Fields {
		columns[f.Column] = true
		if i == 1 && reg.AppendOnly {
			continue // no SystemModstamp: the decoder fills it from CreatedDate
		}
		if _, ok := byName[f.Name]; ok {
			r.selected = append(r.selected, f.Name)
			continue
		}
		if i < 3 { // Id, SystemModstamp, CreatedDate
			return fmt.Errorf("describe: the org has no %s.%s; cannot extract without it", reg.Name, f.Name)
		}
		r.removed = append(r.removed, f.Name)
		view.Fields[i].Required = false
		note := fmt.Sprintf("%s.%s (column %s) is not in the org: the column stays empty", reg.Name, f.Name, f.Column)
		if readers := kpi.ReadersOf(reg.Name, f.Column); len(readers) > 0 {
			note += "; KPIs reading it (empty, or without that breakdown): " + strings.Join(readers, ", ")
			r.log.Warn("mapped field not in the org", "field", reg.Name+"."+f.Name, "column", f.Column, "kpis", readers)
		} else {
			r.log.Warn("mapped field not in the org", "field", reg.Name+"."+f.Name, "column", f.Column)
		}
		if pay := comp.ReadersOf(reg.Name, f.Column); pay != "" {
			note += "; " + pay
		}
		r.sum.Notes = append(r.sum.Notes, note)
	}
	if r.o.Cursor != "" {
		if f, ok := byName[r.o.Cursor]; !ok || (f.Type != "" && f.Type != "datetime") {
			return fmt.Errorf("describe: cursor %s.%s is not a datetime field of the org", reg.Name, r.o.Cursor)
		}
	}
	taken := map[string]bool{}
	for _, f := range view.Fields {
		taken[f.Name] = true
	}
	add := func(name, column string, t crm.FieldType, present bool) {
		view.Fields = append(view.Fields, crm.Field{Name: name, Column: column, Type: t})
		taken[name], columns[column] = true, true
		if present {
			r.selected = append(r.selected, name)
		} else {
			r.removed = append(r.removed, name)
		}
	}
	// Configured extras first, in configuration order.
	for _, e := range reg.Extras {
		sf, present := byName[e.Name]
		t, ok, reason := e.Type, e.TypeSet, ""
		if !ok && present {
			t, ok, reason = crm.DescribeType(sf.Type, sf.Scale)
		}
		if !ok && !present {
			t, ok = prevKind(prev, e.Column)
			reason = "not in the org and no type configured"
		}
		if !ok {
			r.sum.Notes = append(r.sum.Notes, fmt.Sprintf("extra field %s.%s skipped: %s", reg.Name, e.Name, reason))
			r.log.Warn("extra field skipped", "field", reg.Name+"."+e.Name, "reason", reason)
			continue
		}
		if !present {
			r.log.Warn("extra field not in the org: null column", "field", reg.Name+"."+e.Name, "column", e.Column)
		}
		add(e.Name, e.Column, t, present)
	}
	// Every other describe field, in describe order, when asked.
	for _, sf := range fields {
		if !reg.AllFields || taken[sf.Name] {
			continue
		}
		col := crm.ColumnName(sf.Name)
		t, ok, reason := crm.DescribeType(sf.Type, sf.Scale)
		switch {
		case !ok:
			r.sum.Notes = append(r.sum.Notes, fmt.Sprintf("%s.%s skipped: %s", reg.Name, sf.Name, reason))
			continue
		case columns[col]:
			r.sum.Notes = append(r.sum.Notes, fmt.Sprintf("%s.%s skipped: its column %s is taken (configure it under extra_fields with another column)", reg.Name, sf.Name, col))
			continue
		}
		add(sf.Name, col, t, true)
	}
	// Columns an earlier night wrote for a field the org no longer has
	// stay, null, so the table's schema only grows.
	if prev != nil {
		for _, c := range prev.Schema {
			if columns[c.Name] || c.Field == "" || taken[c.Field] {
				continue
			}
			if t, ok := crm.ParseFieldType(c.Kind); ok {
				add(c.Field, c.Name, t, false)
			}
		}
	}
	// Fields the org has that the view does not take: drift, recorded.
	for _, sf := range fields {
		if !taken[sf.Name] {
			r.newField = append(r.newField, sf.Name)
		}
	}
	if len(r.newField) > 0 || len(r.removed) > 0 {
		r.log.Info("describe drift", "not_extracted", r.newField, "missing", r.removed)
	}
	r.o = &view
	for i, f := range r.o.Fields {
		if i >= 3 && slices.Contains(r.removed, f.Name) {
			r.removedIdx = append(r.removedIdx, i)
		}
	}
	r.dec = crm.NewDecoder(r.o)
	r.dec.Currencies, _ = crm.NewCurrencies(r.cfg.Currencies) // validated with the config
	// Deletions carry only the identity and stamps.
	r.tombDec = crm.NewDecoder(&crm.Object{Name: r.o.Name, Fields: r.o.Fields[:3], AppendOnly: r.o.AppendOnly})
	return nil
}

// prevKind is the type an earlier snapshot stored a column as.
func prevKind(prev *lake.Manifest, column string) (crm.FieldType, bool) {
	if prev == nil {
		return 0, false
	}
	for _, c := range prev.Schema {
		if c.Name == column {
			return crm.ParseFieldType(c.Kind)
		}
	}
	return 0, false
}

// schemaHistory carries the previous snapshot's schema history forward and
// adds tonight's change of columns, if any.
func schemaHistory(prev *lake.Manifest, dt, version string, cols []lake.Column, removed []string) []lake.SchemaChange {
	if prev == nil {
		return nil
	}
	hist := slices.Clone(prev.SchemaHistory)
	had := map[string]bool{}
	for _, c := range prev.Schema {
		had[c.Name] = true
	}
	var added []string
	for _, c := range cols {
		if !had[c.Name] {
			added = append(added, c.Name)
		}
	}
	// Removed: fields present last night (selected then) and missing now.
	var gone []string
	prevPresent := map[string]bool{}
	for _, f := range prev.FieldsPresent {
		prevPresent[f] = true
	}
	for _, f := range removed {
		if prevPresent[f] {
			gone = append(gone, f)
		}
	}
	if prev.SchemaVersion == version && len(gone) == 0 {
		return hist
	}
	sort.Strings(added)
	sort.Strings(gone)
	return append(hist, lake.SchemaChange{Dt: dt, Version: version, Added: added, Removed: gone})
}

// skip records an optional object the org lacks. When the lake has never
// had it, an empty snapshot is committed so the jobs that read it (KPIs,
// payouts) find an empty object rather than a missing one; when an earlier
// night did extract it, nothing is committed over it: an object that
// vanishes may be a permission taken away, and the last good snapshot is
// kept rather than emptied.
func (r *objectRun) skip(ctx context.Context) error {
	r.sum.Mode = ModeSkipped
	r.sum.Notes = append(r.sum.Notes, "skipped: not in org")
	last, err := lake.LatestSnapshot(ctx, r.d.Blob, r.o.Name, r.cfg.Night)
	if err == nil && last.Mode == string(ModeSkipped) {
		return nil // still absent; the empty snapshot stands
	}
	if err == nil {
		r.log.Warn("optional object not in the org tonight but extracted before: its last snapshot is kept", "object", r.o.Name)
		return nil
	}
	if !errors.Is(err, lake.ErrNoSnapshot) {
		return err
	}
	dt := lake.DateString(r.cfg.Night)
	part := lake.SnapshotPartition(r.o.Name, dt)
	head, err := lake.Head(ctx, r.d.Blob, part)
	if err != nil {
		return err
	}
	schema := lake.NewObjectSchema(r.o, false)
	m := &lake.Manifest{
		Table: "crm/snapshot", Partition: part, Object: r.o.Name, Dt: dt, RunID: r.cfg.RunID,
		SchemaVersion: schema.Version, Schema: schema.Columns(), Files: []lake.File{},
		RemovedFields: r.o.FieldNames(), Counts: &lake.Counts{}, Mode: string(ModeSkipped),
		CommittedAt: r.d.Now().UTC(),
	}
	if err := lake.Commit(ctx, r.d.Blob, m, head); err != nil {
		return err
	}
	r.sum.Committed, r.sum.Manifest = true, m.Key()
	return nil
}

// nullRemoved clears, in a previous snapshot's row, the fields the org no
// longer has: the snapshot is the org as it is tonight, and the values stay
// in the earlier nights' snapshots.
func (r *objectRun) nullRemoved(row *crm.Row) {
	for _, i := range r.removedIdx {
		row.Values[i] = crm.Value{Null: true}
	}
}
