package statementstore

import (
	"fmt"
	"sort"
	"time"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/money"
)

// StatusRows is the lake's status table of stored statements (see
// comp.StatusRow), sorted by statement id.
func StatusRows(all []Stored) ([]comp.StatusRow, error) {
	rows := make([]comp.StatusRow, 0, len(all))
	for _, s := range all {
		st := s.Statement
		r := comp.StatusRow{StatementID: st.ID, Quarter: st.Quarter, PersonID: st.PersonID, EmployeeID: st.EmployeeID,
			Status: s.Status, Version: s.Version, ApprovedBy: s.ApprovedBy, FinalBy: s.FinalBy,
			Total: money.Cents(st.Total.Decimal), Currency: st.Currency, InputHash: st.InputHash}
		var err error
		if r.ApprovedAt, err = instant(s.ApprovedAt); err != nil {
			return nil, fmt.Errorf("statement %s: approved_at: %w", st.ID, err)
		}
		if r.FinalAt, err = instant(s.FinalAt); err != nil {
			return nil, fmt.Errorf("statement %s: final_at: %w", st.ID, err)
		}
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].StatementID < rows[j].StatementID })
	return rows, nil
}

// instant parses a stamp (RFC 3339, UTC); "" is nil.
func instant(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil, err
	}
	t = t.UTC()
	return &t, nil
}
