package kpi

import (
	"slices"
	"testing"
)

func TestCancellations(t *testing.T) {
	cfg := DefaultConfig()
	won, lost, open := cfg.WonStages[0], cfg.LostStages[0], "Negotiation"
	h := func(id string, at int64, stage string) OpportunityHistory {
		return OpportunityHistory{ID: id, CreatedDate: at, OpportunityID: "006A", StageName: stage}
	}
	deleted := h("017D", 30, lost)
	deleted.IsDeleted = true
	tests := []struct {
		name string
		hist []OpportunityHistory
		asOf int64
		want []int64
	}{
		{"never won", []OpportunityHistory{h("017A", 10, open), h("017B", 20, lost)}, 100, nil},
		{"won and kept", []OpportunityHistory{h("017A", 10, open), h("017B", 20, won)}, 100, nil},
		{"won then lost", []OpportunityHistory{h("017A", 10, won), h("017B", 20, lost)}, 100, []int64{20}},
		{"won then reopened", []OpportunityHistory{h("017A", 10, won), h("017B", 20, open)}, 100, []int64{20}},
		{"rows in any order", []OpportunityHistory{h("017B", 20, lost), h("017A", 10, won)}, 100, []int64{20}},
		{"won, lost, won again, lost again", []OpportunityHistory{h("017A", 10, won), h("017B", 20, lost), h("017C", 30, won), h("017D", 40, open)}, 100, []int64{20, 40}},
		{"the cancellation is after the cut", []OpportunityHistory{h("017A", 10, won), h("017B", 20, lost)}, 20, nil},
		{"a deleted row does not cancel", []OpportunityHistory{h("017A", 10, won), deleted}, 100, nil},
		// Same instant: the greater Id is the later row (supersedes).
		{"tie on the instant, lost row has the greater Id", []OpportunityHistory{h("017B", 10, lost), h("017A", 10, won)}, 100, []int64{10}},
		{"tie on the instant, won row has the greater Id", []OpportunityHistory{h("017B", 10, won), h("017A", 10, lost)}, 100, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cfg.Cancellations(tt.hist, tt.asOf); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMeetingDay(t *testing.T) {
	cfg := DefaultConfig()
	const day = dayMicros
	d := func(v int32) *int32 { return &v }
	tests := []struct {
		name    string
		task    Task
		asOf    int64
		want    int32
		counted bool
	}{
		{"meeting dated by its activity date", Task{Type: "Meeting", CreatedDate: 3 * day, ActivityDate: d(5)}, 100 * day, 5, true},
		{"meeting without activity date: its creation day", Task{Type: "Meeting", CreatedDate: 3*day + 7}, 100 * day, 3, true},
		{"a call is no meeting", Task{Type: "Call", CreatedDate: 3 * day}, 100 * day, 0, false},
		{"deleted", Task{Type: "Meeting", CreatedDate: 3 * day, IsDeleted: true}, 100 * day, 0, false},
		{"created at the cut: not known", Task{Type: "Meeting", CreatedDate: 100 * day, ActivityDate: d(50)}, 100 * day, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := cfg.MeetingDay(&tt.task, tt.asOf)
			if ok != tt.counted || got != tt.want {
				t.Errorf("got %d %v, want %d %v", got, ok, tt.want, tt.counted)
			}
		})
	}
}

func TestSQLAt(t *testing.T) {
	cfg := DefaultConfig()
	at := func(v int64) *int64 { return &v }
	tests := []struct {
		name string
		lead Lead
		asOf int64
		want int64
		ok   bool
	}{
		{"SQL date set", Lead{CreatedDate: 10, SQLDate: at(50)}, 100, 50, true},
		{"SQL date at the cut: not known yet", Lead{CreatedDate: 10, SQLDate: at(100)}, 100, 0, false},
		{"SQL status without a date: its creation instant", Lead{CreatedDate: 10, Status: "Sales Accepted"}, 100, 10, true},
		{"no SQL date, no SQL status", Lead{CreatedDate: 10, Status: "Open"}, 100, 0, false},
		{"deleted", Lead{CreatedDate: 10, SQLDate: at(50), IsDeleted: true}, 100, 0, false},
		{"created after the cut", Lead{CreatedDate: 200, SQLDate: at(50)}, 100, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := cfg.SQLAt(&tt.lead, tt.asOf)
			if ok != tt.ok || got != tt.want {
				t.Errorf("got %d %v, want %d %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}
