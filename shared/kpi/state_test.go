package kpi

import (
	"slices"
	"testing"
)

func TestStateAt(t *testing.T) {
	cfg := DefaultConfig()
	won, lost, open := cfg.WonStages[0], cfg.LostStages[0], "Prospecting"
	yes, no := new(bool), new(bool)
	*yes = true
	const asOf = 1_000
	opp := func(stage string, amount int64, isWon, isClosed *bool) Opportunity {
		return Opportunity{ID: "006A", CreatedDate: 10, StageName: stage, Amount: &amount, CloseDate: 20, IsWon: isWon, IsClosed: isClosed}
	}
	hist := func(id string, at int64, stage string, amount *int64, closeDay *int32) OpportunityHistory {
		return OpportunityHistory{ID: id, CreatedDate: at, OpportunityID: "006A", StageName: stage, Amount: amount, CloseDate: closeDay}
	}
	c := func(v int64) *int64 { return &v }
	d := func(v int32) *int32 { return &v }
	deletedRow := hist("017Z", 500, lost, c(1), nil)
	deletedRow.IsDeleted = true
	deletedOpp := opp(won, 100, yes, yes)
	deletedOpp.IsDeleted = true
	tests := []struct {
		name string
		opp  Opportunity
		hist []OpportunityHistory
		want OppState
		ok   bool
	}{
		{"snapshot flags decide", opp(open, 100, yes, yes), nil, OppState{Stage: open, Amount: 100, CloseDay: 20, Won: true, Closed: true}, true},
		{"won implies closed", opp(open, 100, yes, no), nil, OppState{Stage: open, Amount: 100, CloseDay: 20, Won: true, Closed: true}, true},
		{"a null flag: the stage name decides", opp(lost, 100, yes, nil), nil, OppState{Stage: lost, Amount: 100, CloseDay: 20, Closed: true}, true},
		{"null amount is 0", Opportunity{ID: "006A", CreatedDate: 10, StageName: won}, nil, OppState{Stage: won, Won: true, Closed: true}, true},
		{"latest history row before as-of", opp(won, 100, yes, yes), []OpportunityHistory{
			hist("017B", 300, lost, c(70), d(30)), hist("017A", 200, open, c(50), nil), hist("017C", asOf, won, c(99), d(99)),
		}, OppState{Stage: lost, Amount: 70, CloseDay: 30, Closed: true, FromHistory: true}, true},
		{"tie on CreatedDate: the greater Id", opp(open, 100, nil, nil), []OpportunityHistory{
			hist("017B", 300, won, c(80), nil), hist("017A", 300, lost, c(60), nil),
		}, OppState{Stage: won, Amount: 80, CloseDay: 20, Won: true, Closed: true, FromHistory: true}, true},
		{"history null amount is 0, null close date keeps the snapshot's", opp(open, 100, nil, nil), []OpportunityHistory{
			hist("017A", 300, won, nil, nil),
		}, OppState{Stage: won, CloseDay: 20, Won: true, Closed: true, FromHistory: true}, true},
		{"deleted history row skipped", opp(open, 100, no, no), []OpportunityHistory{deletedRow}, OppState{Stage: open, Amount: 100, CloseDay: 20}, true},
		{"created at as-of: not yet", Opportunity{ID: "006A", CreatedDate: asOf}, nil, OppState{}, false},
		{"deleted", deletedOpp, nil, OppState{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, h := range [][]OpportunityHistory{tc.hist, reversed(tc.hist)} {
				got, ok := cfg.StateAt(&tc.opp, h, asOf)
				if ok != tc.ok || got != tc.want {
					t.Fatalf("StateAt = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
				}
			}
		})
	}
}

func reversed[T any](s []T) []T {
	r := slices.Clone(s)
	slices.Reverse(r)
	return r
}
