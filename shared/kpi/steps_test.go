package kpi

import (
	"errors"
	"strings"
	"testing"

	"github.com/venn-revops/venn/shared/period"
)

// batches is a Source over several batches, then err (nil: none).
func batches[T any](err error, bs ...[]T) Source[T] {
	return func(fn func([]T) error) error {
		for _, b := range bs {
			if e := fn(b); e != nil {
				return e
			}
		}
		return err
	}
}

// The opportunity step indexes a batch before building its rows, yet it
// reports the first failing row, as row by row, across batches too.
func TestOpportunityStepFirstErrorInRowOrder(t *testing.T) {
	q := period.MustParse("2026Q3")
	p := Period{Quarter: q, AsOf: q.End(), Final: true}
	c := q.Start().UnixMicro()
	usd, eur := Opportunity{ID: "006A", CreatedDate: c}, Opportunity{ID: "006E", CreatedDate: c, CurrencyIsoCode: "EUR"}
	dup := Opportunity{ID: "006A", CreatedDate: c}
	tests := []struct {
		name string
		src  Source[Opportunity]
		want string
	}{
		{"currency before duplicate", batches(nil, []Opportunity{usd, eur, dup}), "opportunity 006E: currency EUR"},
		{"duplicate before currency", batches(nil, []Opportunity{usd, dup, eur}), "opportunity 006A: duplicate Id"},
		{"duplicate in a later batch", batches(nil, []Opportunity{usd}, []Opportunity{{ID: "006B", CreatedDate: c}, dup}), "opportunity 006A: duplicate Id"},
	}
	for _, tt := range tests {
		_, err := Compute(DefaultConfig(), Inputs{Opportunities: tt.src}, p)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.want)
		}
	}
}

// A source's error after some batches stops Compute in every step that
// splits its batches with the sidecar or is read beside another.
func TestSidecarStepsReturnSourceErrors(t *testing.T) {
	q := period.MustParse("2026Q3")
	p := Period{Quarter: q, AsOf: q.End(), Final: true}
	c := q.Start().UnixMicro()
	boom := errors.New("boom")
	tests := []struct {
		name, step string
		in         Inputs
	}{
		{"opportunities", "opportunities", Inputs{Opportunities: batches(boom, []Opportunity{{ID: "006A", CreatedDate: c}})}},
		{"history", "opportunity history", Inputs{OpportunityHistory: batches(boom, []OpportunityHistory{{ID: "008A", OpportunityID: "006A"}})}},
		{"contact roles", "contact roles", Inputs{ContactRoles: batches(boom, []ContactRole{{ID: "00KA", OpportunityID: "006A", ContactID: "003A"}})}},
		{"leads", "leads", Inputs{Leads: batches(boom, []Lead{{ID: "00QA", CreatedDate: c}})}},
		{"tasks", "tasks", Inputs{Tasks: batches(boom, []Task{{ID: "00TA", CreatedDate: c}})}},
		// Read beside the other steps (see Inputs).
		{"accounts", "accounts", Inputs{Accounts: batches(boom, []Account{{ID: "001A"}})}},
		{"campaign members", "campaign members", Inputs{CampaignMembers: batches(boom, []CampaignMember{{ID: "00vA"}})}},
	}
	for _, tt := range tests {
		_, err := Compute(DefaultConfig(), tt.in, p)
		if !errors.Is(err, boom) || !strings.Contains(err.Error(), ": "+tt.step+": ") {
			t.Errorf("%s: got %v", tt.name, err)
		}
	}
	// Two inputs read side by side both fail: both errors are reported.
	bang := errors.New("bang")
	_, err := Compute(DefaultConfig(), Inputs{
		Leads:        batches(boom, []Lead{{ID: "00QA", CreatedDate: c}}),
		ContactRoles: batches(bang, []ContactRole{{ID: "00KA"}}),
		Accounts:     batches(bang, []Account{{ID: "001A"}}),
	}, p)
	if !errors.Is(err, boom) || !errors.Is(err, bang) || !strings.Contains(err.Error(), "contact roles: bang") || !strings.Contains(err.Error(), "accounts: bang") {
		t.Errorf("side-by-side failures: got %v", err)
	}
}
