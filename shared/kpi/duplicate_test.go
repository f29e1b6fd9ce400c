package kpi

import (
	"strings"
	"testing"

	"github.com/venn-revops/venn/shared/period"
)

// A snapshot with one opportunity Id twice fails Compute, whichever
// copies' other fields, and a repeated Id of a deleted row does not count.
func TestDuplicateOpportunityID(t *testing.T) {
	q := period.MustParse("2026Q3")
	p := Period{Quarter: q, AsOf: q.End(), Final: true}
	created := q.Start().UnixMicro()
	tests := []struct {
		name    string
		opps    []Opportunity
		wantErr bool
	}{
		{"distinct", []Opportunity{{ID: "006A", CreatedDate: created}, {ID: "006B", CreatedDate: created}}, false},
		{"twice", []Opportunity{{ID: "006A", CreatedDate: created}, {ID: "006B", CreatedDate: created}, {ID: "006A", CreatedDate: created + 1}}, true},
		{"deleted copy", []Opportunity{{ID: "006A", CreatedDate: created}, {ID: "006A", CreatedDate: created, IsDeleted: true}}, false},
	}
	for _, tt := range tests {
		_, err := Compute(DefaultConfig(), Inputs{Opportunities: Rows(tt.opps)}, p)
		if (err != nil) != tt.wantErr || (err != nil && !strings.Contains(err.Error(), "opportunity 006A: duplicate Id")) {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}
