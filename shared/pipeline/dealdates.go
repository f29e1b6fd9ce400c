package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/lake"
)

// dealDates reads the Opportunity snapshot's date columns that comp plans
// hold pay on (comp.HoldDateFields: e.g. invoice_paid_date__c, the demo
// org's Invoice_Paid_Date__c added through the extract configuration's
// extra_fields), by deal Id; a null is left out. A column the snapshot
// lacks, or one that is not a date, is an error naming it: a hold on a
// field never extracted would hold pay for ever.
func (e *Env) dealDates(ctx context.Context, m *lake.Manifest, columns []string) (map[string]map[string]time.Time, error) {
	if len(columns) == 0 {
		return nil, nil
	}
	fields := []crm.Field{{Name: "Id", Column: "id", Type: crm.ID}}
	for _, col := range columns {
		var found *lake.Column
		for i := range m.Schema {
			if m.Schema[i].Name == col {
				found = &m.Schema[i]
			}
		}
		switch {
		case found == nil:
			return nil, fmt.Errorf("comp plans hold pay until Opportunity.%s, but the Opportunity snapshot %s has no such column: add the org field to extra_fields.Opportunity in the extract configuration (docs/org-setup.md)", col, m.Key())
		case found.Kind != crm.Date.String() && found.Kind != crm.DateTime.String():
			return nil, fmt.Errorf("comp plans hold pay until Opportunity.%s, but that column is %s, not a date (snapshot %s)", col, found.Kind, m.Key())
		}
		t := crm.Date
		if found.Kind == crm.DateTime.String() {
			t = crm.DateTime
		}
		fields = append(fields, crm.Field{Name: found.Field, Column: col, Type: t})
	}
	obj := &crm.Object{Name: crm.Opportunity.Name, Fields: fields}
	out := map[string]map[string]time.Time{}
	err := lake.ReadRows(ctx, e.Blob, obj, m.Files, func(row *crm.Row, _ string) error {
		for i, f := range fields[1:] {
			v := row.Values[i+1]
			if v.Null {
				continue
			}
			t := crm.TimeOfDays(v.I)
			if f.Type == crm.DateTime {
				t = crm.TimeOfMicros(v.I)
			}
			if out[row.ID()] == nil {
				out[row.ID()] = map[string]time.Time{}
			}
			out[row.ID()][f.Column] = t
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("opportunity dates: %w", err)
	}
	return out, nil
}
