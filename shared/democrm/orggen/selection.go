package orggen

import (
	"github.com/venn-revops/venn/shared/crm"
)

// Selection is the result of a SOQL query over the org: the records that
// matched when it ran, in the query's order, rendered only when read, so a
// change between two pages shows up as in Salesforce. It is what the
// protocol server pages through.
type Selection struct {
	org  *Org
	t    *table
	q    *soqlQuery
	refs []int32
}

// Query runs soql (the subset in soql.go) over the org; all is queryAll
// (soft-deleted records included). Records served with a SameStampCopy
// defect are selected twice, and the synthetic malformed records of
// Config.Malformed are included. A query the org refuses is a
// *QueryError.
func (o *Org) Query(soql string, all bool) (*Selection, error) {
	q, err := parseSOQL(soql, o.object)
	if err != nil {
		return nil, err
	}
	o.mu.RLock()
	refs := o.selectRecords(q, all)
	o.mu.RUnlock()
	return &Selection{org: o, t: o.tables[q.obj.Name], q: q, refs: refs}, nil
}

// Object is the queried object as this org has it.
func (s *Selection) Object() *crm.Object { return s.q.obj }

// Fields are the selected fields' positions in Object().Fields, in SELECT
// order; CompoundName stands for Lead's compound Name (see FieldAt).
func (s *Selection) Fields() []int { return s.q.fields }

// IsCount reports a SELECT COUNT() query.
func (s *Selection) IsCount() bool { return s.q.count }

// Len is the number of records selected.
func (s *Selection) Len() int { return len(s.refs) }

// Rows renders records [from, to) of the selection as they are now and
// calls fn with each and its wire defect (nil for a record served
// correctly); a record hard-deleted since the query ran is skipped. For a
// SameStampCopy pair the first call carries the stale copy (no defect),
// the second the true record. row is reused between calls.
func (s *Selection) Rows(from, to int, fn func(row *crm.Row, d *WireDefect)) {
	rc := &renderCtx{g: &s.org.gen}
	var row crm.Row
	s.org.mu.RLock()
	defer s.org.mu.RUnlock()
	for k := from; k < to; k++ {
		if d, ok := s.t.loadAt(rc, s.refs, k, &row); ok {
			fn(&row, d)
		}
	}
}

// ObjectInfo is what a describe says of an object of this org.
type ObjectInfo struct {
	Object    *crm.Object  // as this org has it (see Org.Object)
	Base      *crm.Object  // the registry's object; nil for a custom object
	Extras    []ExtraField // the extra fields, the last len(Extras) of Object.Fields
	KeyPrefix string
}

// Describe returns what a describe of the named object says, or false if
// the org lacks it. Names are case-insensitive.
func (o *Org) Describe(name string) (ObjectInfo, bool) {
	t, ok := o.tableNamed(name)
	if !ok {
		return ObjectInfo{}, false
	}
	return ObjectInfo{Object: t.obj, Base: t.base, Extras: t.extras, KeyPrefix: t.prefix}, true
}

// MakeID builds the 18-character Id of number n with the given key prefix,
// as the org's own Ids are made (the server names cursors and jobs so).
func MakeID(prefix string, n int64) string { return makeID(prefix, n) }

// PicklistValues are the values this org uses for a registry picklist
// field, where the demo defines them (nil otherwise).
func PicklistValues(field string) []string {
	switch field {
	case "StageName":
		return stageNames
	case "LeadSource":
		return leadSources
	case "Segment__c":
		return segments
	case "Region__c":
		return regions
	case "Industry":
		return industries
	case "CurrencyIsoCode":
		return []string{"USD"}
	}
	return nil
}
