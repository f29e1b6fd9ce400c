package extract

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/democrm"
	"github.com/venn-revops/venn/shared/lake"
)

// Multi-night scenarios of orgs that are not shaped like the demo org and
// of deletes queryAll can no longer see, run against the demo CRM over
// HTTP. After each night the lake is compared with the org's own truth
// (democrm's Each), never with what the extract reported.

// orgNight runs every object of reg (nil: the default registry) a minute
// after the org's clock.
func (s *scenario) orgNight(org *OrgConfig) (time.Time, Summary, error) {
	s.t.Helper()
	now := s.org.Clock().Add(time.Minute)
	cfg := Config{Objects: s.objs, PII: lake.PII{Key: testKey}}
	if org != nil {
		// The objects as the configuration's registry has them.
		cfg.Objects = nil
		for _, o := range s.objs {
			ro, err := org.Registry.Lookup(o.Name)
			if err != nil {
				s.t.Fatal(err)
			}
			cfg.Objects = append(cfg.Objects, ro)
		}
		cfg.Registry, cfg.Deletes = org.Registry, org.Deletes
	}
	sum, err := Run(context.Background(), Deps{Source: FromSalesforce(s.c), Blob: s.blob, Store: s.store, Now: func() time.Time { return now }}, cfg)
	s.t.Logf("night %s:\n%s", lake.DateString(now), sum)
	return now, sum, err
}

func mustOrgConfig(t *testing.T, yaml string) *OrgConfig {
	t.Helper()
	c, err := LoadOrgConfig(t.Name()+".yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// lakeEqualsOrg compares the night's snapshot of the org's object name
// with the org's live records, field by field: each field the org has is
// found in the lake by the org field name the manifest records for its
// column; a registry field the org lacks must be a null column. It returns
// the manifest.
func (s *scenario) lakeEqualsOrg(name string, night time.Time) *lake.Manifest {
	s.t.Helper()
	ctx := context.Background()
	orgObj, ok := s.org.Object(name)
	if !ok {
		s.t.Fatalf("the org has no %s", name)
	}
	m, err := lake.Snapshot(ctx, s.blob, name, lake.DateString(night))
	if err != nil {
		s.t.Fatal(err)
	}
	// The lake as its manifest describes it.
	read := &crm.Object{Name: name}
	for _, c := range m.Schema {
		ft, ok := crm.ParseFieldType(c.Kind)
		if !ok {
			s.t.Fatalf("%s column %s: kind %q", name, c.Name, c.Kind)
		}
		read.Fields = append(read.Fields, crm.Field{Name: c.Field, Column: c.Name, Type: ft})
	}
	got, _, _ := rows(s.t, s.blob, read, m.Files)
	hash := (&lake.PII{Key: testKey}).Plan(orgObj)
	want := map[string]*crm.Row{}
	s.org.Each(orgObj, func(r *crm.Row) error {
		hash(r)
		want[r.ID()] = r
		return nil
	})
	if len(got) != len(want) {
		s.t.Errorf("%s: lake has %d rows, the org %d live records", name, len(got), len(want))
	}
	bad := 0
	for id, w := range want {
		g, ok := got[id]
		if !ok {
			s.t.Errorf("%s %s missing from the lake", name, id)
			bad++
		}
		for i, f := range orgObj.Fields {
			col := -1
			if f.Name != "" {
				col = slices.IndexFunc(read.Fields, func(rf crm.Field) bool { return rf.Name == f.Name })
			} else {
				col = read.Column(f.Column) // the org lacks it: a null column
			}
			switch {
			case !ok:
			case col < 0:
				s.t.Errorf("%s: no lake column for the org's field %s (column %s)", name, f.Name, f.Column)
				bad++
			case f.Name == "" && orgObj.AppendOnly && i == 1:
				// Field history has no SystemModstamp: the column holds CreatedDate.
				if g[col] != w.Values[2] {
					s.t.Errorf("%s %s: stamp column %v, CreatedDate %v", name, id, g[col], w.Values[2])
					bad++
				}
			case f.Name == "" && !g[col].Null:
				s.t.Errorf("%s %s: column %s = %v, want null (the org lacks the field)", name, id, f.Column, g[col])
				bad++
			case f.Name != "" && g[col] != w.Values[i]:
				s.t.Errorf("%s %s: %s lake %v, org %v", name, id, f.Name, g[col], w.Values[i])
				bad++
			}
			if bad > 5 {
				s.t.Fatalf("%s: too many mismatches", name)
			}
		}
	}
	return m
}

func objectSummary(t *testing.T, sum Summary, name string) ObjectSummary {
	t.Helper()
	for _, o := range sum.Objects {
		if o.Object == name {
			return o
		}
	}
	t.Fatalf("no %s in the summary", name)
	return ObjectSummary{}
}

// An org without Splits and without stage history: both are skipped with a
// note, everything else commits, and the jobs that read them find an empty
// snapshot. The next night the same.
func TestOrgWithoutSplitsOrHistory(t *testing.T) {
	s := newScenario(t, democrm.Config{Seed: 31, Leads: 200, Shape: democrm.Shape{Omit: []string{"OpportunitySplit", "OpportunityHistory"}}})
	for n := range 2 {
		if n > 0 {
			// A day of changes (SimulateNight writes stage history, which
			// this org lacks).
			s.nextDay()
			for _, id := range firstIDs(t, s.org, crm.Opportunity, 3) {
				if err := s.org.Update(crm.Opportunity, id, map[string]any{"StageName": "Negotiation"}); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.org.Delete(crm.Lead, firstIDs(t, s.org, crm.Lead, 1)[0]); err != nil {
				t.Fatal(err)
			}
		}
		night, sum, err := s.orgNight(nil)
		if err != nil {
			t.Fatalf("night %d: %v", n+1, err)
		}
		if got := sum.Skipped(); got != 2 {
			t.Errorf("night %d: %d objects skipped, want 2", n+1, got)
		}
		for _, name := range []string{"OpportunitySplit", "OpportunityHistory"} {
			o := objectSummary(t, sum, name)
			if o.Mode != ModeSkipped || !slices.Contains(o.Notes, "skipped: not in org") || o.Err != "" {
				t.Errorf("%s: %+v", name, o)
			}
			m, err := lake.LatestSnapshot(context.Background(), s.blob, name, night)
			if err != nil || m.Rows != 0 || m.Mode != string(ModeSkipped) {
				t.Errorf("%s snapshot: %+v %v, want an empty skipped one", name, m, err)
			}
		}
		for _, o := range s.org.Objects() {
			s.lakeEqualsOrg(o.Name, night)
		}
	}
}

// A required object the org lacks stops the run before anything is
// pulled, naming it.
func TestMissingRequiredObjectFailsAtStart(t *testing.T) {
	s := newScenario(t, democrm.Config{Seed: 32, Leads: 50, Shape: democrm.Shape{Omit: []string{"CampaignMember", "OpportunitySplit"}}})
	_, _, err := s.orgNight(nil)
	if err == nil || !strings.Contains(err.Error(), "CampaignMember") || strings.Contains(err.Error(), "OpportunitySplit") || !strings.Contains(err.Error(), "before pulling anything") {
		t.Fatalf("err = %v, want a stop naming CampaignMember (only)", err)
	}
	for _, o := range crm.Objects {
		if _, err := lake.LatestSnapshot(context.Background(), s.blob, o.Name, s.org.Clock().Add(time.Hour)); !errors.Is(err, lake.ErrNoSnapshot) {
			t.Errorf("%s committed: %v", o.Name, err)
		}
	}
	if c := s.srv.Counts(); c.Query+c.QueryMore+c.BulkCreate > 0 {
		t.Errorf("queries ran before the stop: %+v", c)
	}
}

// An org that names its custom fields differently: with the mapping the
// team, segment, region and funnel-date columns are filled; without it
// they stay null and the summary names the KPIs left empty.
func TestRenamedCustomFieldsWithMapping(t *testing.T) {
	shape := democrm.Shape{Fields: democrm.RenamedCustomFields()}
	mapping := mustOrgConfig(t, `
version: 1
fields:
  User: {team: Sales_Team__c, cost_center: Cost_Centre__c}
  Account: {segment: Market_Segment__c, region: Sales_Region__c}
  Lead: {segment: Market_Segment__c, region: Sales_Region__c, mql_date: MQL_Timestamp__c, sql_date: SQL_Timestamp__c}
`)
	s := newScenario(t, democrm.Config{Seed: 33, Leads: 200, Shape: shape}, crm.User, crm.Account, crm.Lead)
	night, sum, err := s.orgNight(mapping)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range sum.Objects {
		if len(o.RemovedFields) > 0 || len(o.Notes) > 0 {
			t.Errorf("%s: removed %v notes %v, want every mapped field found", o.Object, o.RemovedFields, o.Notes)
		}
	}
	for _, name := range []string{"User", "Account", "Lead"} {
		s.lakeEqualsOrg(name, night)
	}
	// The columns the KPIs read are filled (not merely equal to a null).
	filled := func(obj *crm.Object, col string) int {
		m, _ := lake.Snapshot(context.Background(), s.blob, obj.Name, lake.DateString(night))
		got, _, _ := rows(t, s.blob, obj, m.Files)
		n := 0
		for _, v := range got {
			if !v[obj.Column(col)].Null {
				n++
			}
		}
		return n
	}
	for _, c := range []struct {
		obj *crm.Object
		col string
	}{{crm.User, "team"}, {crm.Account, "segment"}, {crm.Account, "region"}, {crm.Lead, "segment"}, {crm.Lead, "mql_date"}} {
		if filled(c.obj, c.col) == 0 {
			t.Errorf("%s.%s is empty with the mapping", c.obj.Name, c.col)
		}
	}
}

// An org without the mapped fields: they are null columns and the summary
// warns once per field, naming the KPIs that read it.
func TestMissingMappedFieldWarnsNamingKPIs(t *testing.T) {
	s := newScenario(t, democrm.Config{Seed: 34, Leads: 100, Shape: democrm.Shape{Fields: democrm.MissingCustomFields()}}, crm.User, crm.Lead)
	night, sum, err := s.orgNight(nil)
	if err != nil {
		t.Fatal(err)
	}
	lead := objectSummary(t, sum, "Lead")
	notes := strings.Join(lead.Notes, "\n")
	for _, want := range []string{"Lead.MQL_Date__c (column mql_date) is not in the org", "mqls", "Lead.Segment__c (column segment)"} {
		if !strings.Contains(notes, want) {
			t.Errorf("Lead notes lack %q:\n%s", want, notes)
		}
	}
	if n := strings.Count(notes, "MQL_Date__c"); n != 1 {
		t.Errorf("MQL_Date__c warned %d times, want once", n)
	}
	user := objectSummary(t, sum, "User")
	if notes := strings.Join(user.Notes, "\n"); !strings.Contains(notes, "User.CostCenter__c (column cost_center) is not in the org: the column stays empty") || strings.Contains(notes, "cost_center) is not in the org: the column stays empty; KPIs") {
		t.Errorf("User notes (cost center is read by no KPI):\n%s", notes)
	}
	s.lakeEqualsOrg("User", night)
	s.lakeEqualsOrg("Lead", night)
}

// Extra fields (configured, and all_fields) become columns read back with
// the org's values, and the manifest records them.
func TestExtraFieldsAndAllFields(t *testing.T) {
	s := newScenario(t, democrm.Config{Seed: 35, Leads: 200, Shape: democrm.Shape{Extra: democrm.ExampleExtraFields()}}, crm.Account, crm.Lead, crm.Opportunity)
	cfg := mustOrgConfig(t, `
version: 1
extra_fields:
  Lead: [{name: Score__c, column: score}]
all_fields:
  Opportunity: true
`)
	for n := range 2 {
		if n > 0 {
			s.nextDay()
			if _, err := s.org.SimulateNight(int64(n)); err != nil {
				t.Fatal(err)
			}
		}
		night, _, err := s.orgNight(cfg)
		if err != nil {
			t.Fatal(err)
		}
		lead := s.lakeEqualsOrg("Lead", night)
		opp := s.lakeEqualsOrg("Opportunity", night)
		if i := slices.IndexFunc(lead.Schema, func(c lake.Column) bool { return c.Name == "score" }); i < 0 || lead.Schema[i].Type != "int64" || lead.Schema[i].Field != "Score__c" {
			t.Errorf("Lead schema has no int64 score column from Score__c: %+v", lead.Schema)
		}
		if !slices.ContainsFunc(opp.Schema, func(c lake.Column) bool { return c.Name == "forecast_category__c" && c.Field == "Forecast_Category__c" }) {
			t.Errorf("Opportunity schema lacks forecast_category__c: %+v", opp.Schema)
		}
		if !slices.Contains(lead.FieldsPresent, "Score__c") {
			t.Errorf("Lead fields present %v", lead.FieldsPresent)
		}
	}
}

// A custom object from the configuration lands in the lake like a
// standard one, incrementally too.
func TestCustomObjectLands(t *testing.T) {
	s := newScenario(t, democrm.Config{Seed: 36, Leads: 200, Shape: democrm.Shape{Custom: []democrm.CustomObject{democrm.ExampleCustomObject()}}})
	cfg := mustOrgConfig(t, `
version: 1
objects:
  - name: Subscription__c
    fields: [{name: Account__c}, {name: Status__c}, {name: MRR__c}, {name: Start_Date__c}]
`)
	sub, err := cfg.Registry.Lookup("Subscription__c")
	if err != nil {
		t.Fatal(err)
	}
	s.objs = []*crm.Object{sub}
	night, sum, err := s.orgNight(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := s.lakeEqualsOrg("Subscription__c", night)
	if m.Rows == 0 || sum.Objects[0].Mode != ModeFull {
		t.Fatalf("custom object: %d rows, %+v", m.Rows, sum.Objects[0])
	}
	// A day of changes to it: an update and a delete.
	orgSub, _ := s.org.Object("Subscription__c")
	ids := firstIDs(t, s.org, orgSub, 2)
	s.nextDay()
	if err := s.org.Update(orgSub, ids[0], map[string]any{"Status__c": "Cancelled"}); err != nil {
		t.Fatal(err)
	}
	if err := s.org.Delete(orgSub, ids[1]); err != nil {
		t.Fatal(err)
	}
	night, sum, err = s.orgNight(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if o := sum.Objects[0]; o.Mode != ModeIncremental || o.Deletes != 1 {
		t.Errorf("night 2: %+v", o)
	}
	s.lakeEqualsOrg("Subscription__c", night)
}

// A 16-day outage with deletes: some still in the Recycle Bin, some purged
// from it by the 15-day rule, one hard-deleted, one emptied bin. The
// first night back, the snapshot equals the live org, and the deletes are
// in the change files and counted.
func TestOutageWithPurgedDeletes(t *testing.T) {
	objs := []*crm.Object{crm.Account, crm.Contact, crm.Lead, crm.Opportunity, crm.Task}
	s := newScenario(t, democrm.Config{Seed: 37, Leads: 300}, objs...)
	if _, _, err := s.orgNight(nil); err != nil {
		t.Fatal(err)
	}
	leads := firstIDs(t, s.org, crm.Lead, 40)
	opps := firstIDs(t, s.org, crm.Opportunity, 5)
	tasks := firstIDs(t, s.org, crm.Task, 5)
	var deleted []string
	for day := range 16 {
		s.nextDay()
		// Two leads deleted each day: the first days' ones are purged from
		// the bin by the time the extract is back.
		for _, id := range leads[2*day : 2*day+2] {
			if err := s.org.Delete(crm.Lead, id); err != nil {
				t.Fatal(err)
			}
			deleted = append(deleted, id)
		}
		if day == 3 {
			if err := s.org.HardDelete(crm.Opportunity, opps[0]); err != nil {
				t.Fatal(err)
			}
			if err := s.org.Delete(crm.Task, tasks[0]); err != nil {
				t.Fatal(err)
			}
		}
		if day == 14 {
			if err := s.org.Delete(crm.Opportunity, opps[1]); err != nil {
				t.Fatal(err)
			}
			if err := s.org.Update(crm.Lead, leads[39], map[string]any{"Status": "Working"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	night, sum, err := s.orgNight(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		s.lakeEqualsOrg(o.Name, night)
	}
	lead := objectSummary(t, sum, "Lead")
	if lead.Reconciled == "" || lead.Deletes != int64(len(deleted)) || lead.ReconcileDeletes == 0 {
		t.Errorf("Lead: reconciled %q, deletes %d (want %d), by reconciliation %d", lead.Reconciled, lead.Deletes, len(deleted), lead.ReconcileDeletes)
	}
	m, _ := lake.Snapshot(context.Background(), s.blob, "Lead", lake.DateString(night))
	_, ops, _ := rows(t, s.blob, crm.Lead, m.Changes)
	for _, id := range deleted {
		if ops[id] != lake.OpDelete {
			t.Errorf("Lead %s: change %q, want a delete", id, ops[id])
		}
	}
	if o := objectSummary(t, sum, "Opportunity"); o.Deletes != 2 {
		t.Errorf("Opportunity deletes %d, want 2 (one hard, one in the bin)", o.Deletes)
	}
	// And the night after, nothing is reconciled again for no reason, and
	// the lake still equals the org.
	s.nextDay()
	night, sum, err = s.orgNight(nil)
	if err != nil {
		t.Fatal(err)
	}
	if o := objectSummary(t, sum, "Lead"); o.Reconciled != "" {
		t.Errorf("Lead reconciled again: %s", o.Reconciled)
	}
	s.lakeEqualsOrg("Lead", night)
}

// A hard delete (never in queryAll nor getDeleted) is removed the night
// after: the delete log's earliestDateAvailable moved past the last
// extract, so the live Ids are reconciled.
func TestHardDeleteRemovedNextNight(t *testing.T) {
	s := newScenario(t, democrm.Config{Seed: 38, Leads: 200}, crm.Lead)
	if _, _, err := s.orgNight(nil); err != nil {
		t.Fatal(err)
	}
	id := firstIDs(t, s.org, crm.Lead, 1)[0]
	s.nextDay()
	if err := s.org.HardDelete(crm.Lead, id); err != nil {
		t.Fatal(err)
	}
	night, sum, err := s.orgNight(nil)
	if err != nil {
		t.Fatal(err)
	}
	if o := sum.Objects[0]; o.ReconcileDeletes != 1 || o.Reconciled == "" {
		t.Errorf("%+v", o)
	}
	s.lakeEqualsOrg("Lead", night)
}

// The periodic reconciliation: with a source that offers no getDeleted, a
// hard delete stays in the snapshot until the object's reconciliation is
// due (every 3 days here), then it is removed, counted and written as a
// delete.
func TestPeriodicReconciliationRemovesHardDelete(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	day := func(n int) time.Time { return night1.Add(time.Duration(n) * 24 * time.Hour) }
	cfg := Config{Objects: []*crm.Object{crm.Lead}, Deletes: DeleteOptions{ReconcileEvery: 3 * 24 * time.Hour}}
	if _, err := e.run(ctx, day(0), cfg); err != nil {
		t.Fatal(err)
	}
	gone := e.src.records["Lead"][0]["Id"].(string)
	e.src.hardDelete("Lead", gone)
	for n := 1; n <= 3; n++ {
		sum, err := e.run(ctx, day(n), cfg)
		if err != nil {
			t.Fatal(err)
		}
		m := snapshot(t, e, lake.DateString(day(n)))
		snap, _, _ := rows(t, e.blob, crm.Lead, m.Files)
		_, still := snap[gone]
		o := sum.Objects[0]
		switch {
		case n < 3 && (!still || o.Reconciled != ""):
			t.Errorf("day %d: reconciled %q, hard-deleted lead in the snapshot: %v; want no reconciliation yet", n, o.Reconciled, still)
		case n == 3 && (still || o.ReconcileDeletes != 1 || !strings.HasPrefix(o.Reconciled, "periodic")):
			t.Errorf("day 3: reconciled %q (%d deletes), lead still there: %v", o.Reconciled, o.ReconcileDeletes, still)
		case n == 3:
			_, ops, _ := rows(t, e.blob, crm.Lead, m.Changes)
			if ops[gone] != lake.OpDelete {
				t.Errorf("day 3: change %q, want a delete", ops[gone])
			}
		}
	}
	rc, ok, err := ReadReconciliation(ctx, e.store, "Lead")
	if err != nil || !ok || !rc.At.Equal(day(3)) {
		t.Errorf("recorded reconciliation %+v %v %v, want at %s", rc, ok, err, day(3))
	}
}

// Schema evolution: an extra field is a column from its first night; when
// the org drops it, the column stays, null in tonight's snapshot (earlier
// snapshots keep their values), and the schema history records both
// changes.
func TestExtraFieldDroppedStaysNullColumn(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	for i, r := range e.src.records["Lead"] {
		r["Score__c"] = json.Number(fmt.Sprint(10 * (i + 1)))
	}
	registryNames := crm.Lead.FieldNames()
	cfg := func(extra string) Config {
		c := mustOrgConfig(t, "version: 1\nextra_fields:\n  Lead: ["+extra+"]\n")
		lead, _ := c.Registry.Lookup("Lead")
		return Config{Registry: c.Registry, Objects: []*crm.Object{lead}}
	}
	score := cfg("{name: Score__c, type: int}")
	read := func(dt string) (*lake.Manifest, map[string][]crm.Value) {
		m := snapshot(t, e, dt)
		obj := crm.Lead.WithFields(crm.Field{Name: "Score__c", Column: "score__c", Type: crm.Int}, crm.Field{Name: "Tier__c", Column: "tier__c", Type: crm.Picklist})
		got, _, _ := rows(t, e.blob, obj, m.Files)
		return m, got
	}
	scoreCol := len(crm.Lead.Fields)

	// Night 1: the org has Score__c.
	e.src.describe["Lead"] = append(slices.Clone(registryNames), "Score__c")
	if _, err := e.run(ctx, night1, score); err != nil {
		t.Fatal(err)
	}
	m1, got := read("2026-11-19")
	if len(got) == 0 || len(m1.SchemaHistory) != 0 {
		t.Fatalf("night 1: %d rows, history %+v", len(got), m1.SchemaHistory)
	}
	for i, r := range e.src.records["Lead"] {
		g, ok := got[r["Id"].(string)]
		if !ok {
			continue // deleted or rejected in the fixture
		}
		if v := g[scoreCol]; v.Null || v.I != int64(10*(i+1)) {
			t.Errorf("night 1 %s score %+v, want %d", r["Id"], v, 10*(i+1))
		}
	}

	// Night 2: the org dropped it; the config still asks for it.
	e.src.describe["Lead"] = slices.Clone(registryNames)
	if _, err := e.run(ctx, night2, score); err != nil {
		t.Fatal(err)
	}
	m2, got := read("2026-11-20")
	if !slices.ContainsFunc(m2.Schema, func(c lake.Column) bool { return c.Name == "score__c" && c.Kind == "int" }) {
		t.Errorf("night 2 schema lost score__c: %+v", m2.Schema)
	}
	for id, v := range got {
		if !v[scoreCol].Null {
			t.Errorf("night 2 %s score %+v, want null", id, v[scoreCol])
		}
	}
	if h := m2.SchemaHistory; len(h) != 1 || h[0].Dt != "2026-11-20" || fmt.Sprint(h[0].Removed) != "[Score__c]" || len(h[0].Added) != 0 {
		t.Errorf("night 2 history %+v", h)
	}
	if fmt.Sprint(m2.RemovedFields) != "[Score__c]" {
		t.Errorf("night 2 removed %v", m2.RemovedFields)
	}
	// Night 1's snapshot still has the values.
	if _, got := read("2026-11-19"); slices.ContainsFunc(slices.Collect(maps.Values(got)), func(v []crm.Value) bool { return v[scoreCol].Null }) {
		t.Error("night 1's snapshot changed")
	}

	// Night 3: a new extra field; Score__c is no longer configured but its
	// column stays (from the previous schema).
	night3 := night2.Add(24 * time.Hour)
	for _, r := range e.src.records["Lead"] {
		r["Tier__c"] = "Gold"
	}
	e.src.describe["Lead"] = append(slices.Clone(registryNames), "Tier__c")
	if _, err := e.run(ctx, night3, cfg("{name: Tier__c, type: picklist}")); err != nil {
		t.Fatal(err)
	}
	m3, got := read("2026-11-21")
	h := m3.SchemaHistory
	if len(h) != 2 || h[1].Dt != "2026-11-21" || fmt.Sprint(h[1].Added) != "[tier__c]" || h[1].Version != m3.SchemaVersion || h[1].Version == m2.SchemaVersion {
		t.Errorf("night 3 history %+v (version %s)", h, m3.SchemaVersion)
	}
	if !slices.ContainsFunc(m3.Schema, func(c lake.Column) bool { return c.Name == "score__c" }) {
		t.Errorf("night 3 schema lost score__c")
	}
	// Rows not re-pulled keep tonight's truth: Tier__c for the re-pulled
	// ones only (the fake does not stamp the change), never a stale score.
	for id, v := range got {
		if !v[scoreCol].Null {
			t.Errorf("night 3 %s score %+v, want null", id, v[scoreCol])
		}
	}
}

// A multi-currency org (the demo org: CurrencyType, DatedConversionRate,
// CurrencyIsoCode on opportunities) lands both currency objects with their
// exact rates, and a single-currency org (neither object, no
// CurrencyIsoCode field) is extracted without them: both skipped with a
// note, the opportunities' currency column null, the run not failed.
func TestCurrencyObjects(t *testing.T) {
	for _, c := range []struct {
		name  string
		shape democrm.Shape
		multi bool
	}{{"multi-currency", democrm.Shape{}, true}, {"single-currency", democrm.SingleCurrency(), false}} {
		t.Run(c.name, func(t *testing.T) {
			s := newScenario(t, democrm.Config{Seed: 33, Leads: 60, Shape: c.shape})
			night, sum, err := s.orgNight(nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"CurrencyType", "DatedConversionRate"} {
				o := objectSummary(t, sum, name)
				if got := o.Mode == ModeSkipped; got == c.multi || o.Err != "" {
					t.Errorf("%s: %+v, skipped want %v", name, o, !c.multi)
				}
			}
			for _, o := range s.org.Objects() {
				s.lakeEqualsOrg(o.Name, night)
			}
			if !c.multi {
				return
			}
			// The rates as the lake holds them: exact decimals, the
			// corporate currency at 1, EUR's first dated range closed by
			// the next one's start.
			m, err := lake.Snapshot(context.Background(), s.blob, "CurrencyType", lake.DateString(night))
			if err != nil {
				t.Fatal(err)
			}
			got, _, _ := rows(t, s.blob, crm.CurrencyType, m.Files)
			rates := map[string]string{}
			for _, r := range got {
				rates[r[crm.CurrencyType.Column("iso_code")].S] = crm.FormatRate(r[crm.CurrencyType.Column("conversion_rate")].I)
			}
			if want := map[string]string{"USD": "1", "EUR": "0.92", "GBP": "0.79"}; !maps.Equal(rates, want) {
				t.Errorf("CurrencyType rates %v, want %v", rates, want)
			}
			m, err = lake.Snapshot(context.Background(), s.blob, "DatedConversionRate", lake.DateString(night))
			if err != nil {
				t.Fatal(err)
			}
			got, _, _ = rows(t, s.blob, crm.DatedConversionRate, m.Files)
			o := crm.DatedConversionRate
			var eur []string
			for _, r := range got {
				if r[o.Column("iso_code")].S == "EUR" {
					next := "open"
					if v := r[o.Column("next_start_date")]; !v.Null {
						next = crm.TimeOfDays(v.I).Format(time.DateOnly)
					}
					eur = append(eur, fmt.Sprintf("%s %s..%s", crm.FormatRate(r[o.Column("conversion_rate")].I), crm.TimeOfDays(r[o.Column("start_date")].I).Format(time.DateOnly), next))
				}
			}
			slices.SortFunc(eur, func(a, b string) int { return strings.Compare(strings.Fields(a)[1], strings.Fields(b)[1]) })
			if len(eur) < 2 || !strings.HasPrefix(eur[0], "0.9 ") || !strings.HasSuffix(eur[len(eur)-1], "..open") {
				t.Errorf("EUR dated rates %v: want 0.9 first, the last open-ended", eur)
			}
			for i := 1; i < len(eur); i++ {
				prevNext := strings.Split(strings.Fields(eur[i-1])[1], "..")[1]
				start := strings.Split(strings.Fields(eur[i])[1], "..")[0]
				if prevNext != start {
					t.Errorf("EUR range %q does not end where %q starts", eur[i-1], eur[i])
				}
			}
		})
	}
}
