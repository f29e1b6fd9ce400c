package demo

import (
	"strings"
	"testing"
)

// checkAcks: the demo's four acknowledgements are on their 2026Q3
// statements (by the person's own identity, of the file the statement was
// computed with, at the demo night plus 1–4 minutes); every other plan
// span says not acknowledged, and the demo prints the list.
func checkAcks(t *testing.T, r *Report, printed string) {
	t.Helper()
	acked := map[string]string{}
	for _, a := range demoAcks {
		acked[a.person+" "+a.plan] = "local:" + a.who
	}
	yes, no := 0, 0
	for _, s := range r.Payouts.Statements {
		for _, u := range s.Plans {
			a := u.Acknowledgement
			if a == nil {
				t.Fatalf("%s: plan %s: acknowledgement not looked up", s.ID, u.Plan)
			}
			by, want := acked[s.PersonID+" "+u.Plan]
			switch {
			case want && (!a.Acknowledged || a.By != by || a.FileSHA256 != u.FileSHA256 || !strings.HasPrefix(a.At, "2026-11-20T02:0")):
				t.Errorf("%s: plan %s: %+v, want acknowledged by %s of sha256 %s", s.ID, u.Plan, a, by, u.FileSHA256)
			case !want && a.Acknowledged:
				t.Errorf("%s: plan %s acknowledged: %+v", s.ID, u.Plan, a)
			case want:
				yes++
			default:
				no++
			}
		}
	}
	if yes != len(demoAcks) || no == 0 {
		t.Errorf("%d plan spans acknowledged (want %d), %d not", yes, len(demoAcks), no)
	}
	if !strings.Contains(printed, "== Plan acknowledgements 2026Q3") || !strings.Contains(printed, "plan versions in 2026Q3 not acknowledged") {
		t.Error("the demo did not print its acknowledgements")
	}
}
