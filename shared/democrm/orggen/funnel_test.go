package orggen

import (
	"sort"
	"testing"
	"time"

	"github.com/venn-revops/venn/shared/crm"
)

// snapshot is the valid org as rows by Id, with a field accessor.
type snapshot map[string]map[string]*crm.Row

func load(t *testing.T, o *Org) snapshot {
	t.Helper()
	s := snapshot{}
	for _, obj := range crm.Objects {
		m := map[string]*crm.Row{}
		if err := o.Each(obj, func(r *crm.Row) error { m[r.ID()] = r; return nil }); err != nil {
			t.Fatal(err)
		}
		s[obj.Name] = m
	}
	return s
}

func val(obj *crm.Object, r *crm.Row, field string) crm.Value { return r.Values[colIndex[obj][field]] }

func personByID(t *testing.T, id string) int {
	t.Helper()
	for i, p := range People {
		if p.ID == id {
			return i
		}
	}
	t.Fatalf("owner %s is not on the roster", id)
	return -1
}

// leadWorked is the lead's last funnel step: its owner's work ends there
// (a later status change, closed or recycled, is the automation's).
func leadWorked(t *testing.T, o *Org, id string) int64 {
	t.Helper()
	n, err := parseID(keyPrefix["Lead"], id)
	if err != nil {
		t.Fatal(err)
	}
	var p leadPlan
	o.gen.plan(n, &p)
	return p.worked
}

func endOfDay(days int64) int64 { return (days+1)*usDay - 1 }

func TestFunnelSanity(t *testing.T) {
	o := Generate(Config{Seed: 2026})
	s := load(t, o)
	start, asOf := crm.Micros(DefaultHistoryStart), crm.Micros(DefaultAsOf)

	// Leads: MQLs ⊂ leads, SQLs ⊂ MQLs, conversions ⊂ SQLs, in date order,
	// owned by someone who was an SDR throughout.
	var mqls, sqls, converted, marketing, queued int
	for id, r := range s["Lead"] {
		L := func(f string) crm.Value { return val(crm.Lead, r, f) }
		created, mql, sql := L("CreatedDate").I, L("MQL_Date__c"), L("SQL_Date__c")
		if created < start || created >= asOf {
			t.Fatalf("lead %s created %v, outside the history", id, crm.TimeOfMicros(created))
		}
		if !mql.Null {
			mqls++
			if mql.I < created {
				t.Fatalf("lead %s: MQL before creation", id)
			}
		}
		if !sql.Null {
			sqls++
			if mql.Null || sql.I < mql.I {
				t.Fatalf("lead %s: SQL without or before MQL", id)
			}
		}
		if L("IsConverted").B {
			converted++
			if sql.Null || L("ConvertedDate").I < dayOf(sql.I) || L("Status").S != "Closed - Converted" {
				t.Fatalf("lead %s converted without SQL, before it, or with status %s", id, L("Status").S)
			}
			for obj, f := range map[string]string{"Account": "ConvertedAccountId", "Contact": "ConvertedContactId", "Opportunity": "ConvertedOpportunityId"} {
				if _, ok := s[obj][L(f).S]; !ok {
					t.Fatalf("lead %s: %s %s does not exist", id, f, L(f).S)
				}
			}
		} else if !L("ConvertedDate").Null || !L("ConvertedOpportunityId").Null {
			t.Fatalf("unconverted lead %s has conversion fields", id)
		}
		for _, src := range leadSources[:numMarketingSources] {
			if L("LeadSource").S == src {
				marketing++
			}
		}
		if L("OwnerId").S == QueueID {
			if L("MQL_Date__c").Null {
				t.Fatalf("lead %s in the queue is no MQL", id)
			}
			queued++
			continue
		}
		// The owner is an SDR through the lead's last funnel step; a
		// later status change (closed, recycled) is the automation's.
		owner := personByID(t, L("OwnerId").S)
		worked := leadWorked(t, o, id)
		if !holdsRole(owner, roleSDR, created, worked) || wholeSecond(worked) > r.Modstamp() {
			t.Fatalf("lead %s owned by %s, not an SDR from %v to %v", id, People[owner].Name, crm.TimeOfMicros(created), crm.TimeOfMicros(worked))
		}
	}
	n := len(s["Lead"])
	t.Logf("%d leads, %d marketing-sourced, %d MQL, %d SQL, %d converted", n, marketing, mqls, sqls, converted)
	if !(n > mqls && mqls > sqls && sqls > converted && converted > 100 && marketing > n/2) {
		t.Fatalf("not a funnel: %d leads, %d MQL, %d SQL, %d converted", n, mqls, sqls, converted)
	}

	// Opportunities: flags agree with the stage, owners are AEs throughout.
	wonQ3 := map[string]bool{}
	wonByQuarter := map[string]int{}
	for id, r := range s["Opportunity"] {
		O := func(f string) crm.Value { return val(crm.Opportunity, r, f) }
		stage, closed, won := O("StageName").S, O("IsClosed").B, O("IsWon").B
		if won != (stage == "Closed Won") || closed != (stage == "Closed Won" || stage == "Closed Lost") || (won && !closed) {
			t.Fatalf("opportunity %s: stage %s, IsClosed %v, IsWon %v", id, stage, closed, won)
		}
		if cur := O("CurrencyIsoCode").S; O("Amount").I <= 0 || (cur != "USD" && (cur != "EUR" || O("OwnerId").S != "005000000000007AAA")) {
			t.Fatalf("opportunity %s: amount %d %s (only Lena Fischer's scripted account buys in EUR)", id, O("Amount").I, cur)
		}
		closeDay, asOfDay := O("CloseDate").I, dayOf(asOf)
		if (closed && closeDay > asOfDay) || (!closed && closeDay < asOfDay) {
			t.Fatalf("opportunity %s: closed=%v with close date %v", id, closed, crm.TimeOfDays(closeDay))
		}
		owner := personByID(t, O("OwnerId").S)
		end := asOf - 1
		if closed {
			end = min(end, endOfDay(closeDay))
		}
		if !holdsRole(owner, roleAE, O("CreatedDate").I, end) {
			t.Fatalf("opportunity %s owned by %s, not an AE throughout", id, People[owner].Name)
		}
		if won {
			q := crm.TimeOfDays(closeDay)
			wonByQuarter[q.Format("2006")+"Q"+string(rune('1'+(int(q.Month())-1)/3))]++
			if q.Year() == 2026 && q.Month() >= 7 && q.Month() <= 9 {
				wonQ3[People[owner].Name] = true
			}
		}
	}
	for _, p := range People {
		if p.Title == "Account Executive" && !wonQ3[p.Name] {
			t.Errorf("%s has no won deal closing in 2026Q3", p.Name)
		}
	}
	for _, q := range []string{"2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3", "2026Q4"} {
		if wonByQuarter[q] == 0 {
			t.Errorf("no deal won in %s", q)
		}
	}

	// Stage history: starts at Prospecting when the deal was created, ends
	// at its current stage; clawbacks are won in 2026Q2 and lost in 2026Q3.
	hist := map[string][]*crm.Row{}
	for _, r := range s["OpportunityHistory"] {
		opp := val(crm.OpportunityHistory, r, "OpportunityId").S
		hist[opp] = append(hist[opp], r)
	}
	clawbacks := 0
	q2, q3, q4 := crm.Micros(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)), crm.Micros(time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)), crm.Micros(time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC))
	for id, r := range s["Opportunity"] {
		h := hist[id]
		sort.Slice(h, func(a, b int) bool { return h[a].Values[2].I < h[b].Values[2].I })
		if len(h) == 0 || val(crm.OpportunityHistory, h[0], "StageName").S != "Prospecting" || h[0].Values[2].I != r.Values[2].I {
			t.Fatalf("opportunity %s: history does not start with Prospecting at creation", id)
		}
		if last := val(crm.OpportunityHistory, h[len(h)-1], "StageName").S; last != val(crm.Opportunity, r, "StageName").S {
			t.Fatalf("opportunity %s: history ends at %s, stage is %s", id, last, val(crm.Opportunity, r, "StageName").S)
		}
		if len(h) >= 2 {
			won, lost := h[len(h)-2], h[len(h)-1]
			if val(crm.OpportunityHistory, won, "StageName").S == "Closed Won" && val(crm.OpportunityHistory, lost, "StageName").S == "Closed Lost" &&
				won.Values[2].I >= q2 && won.Values[2].I < q3 && lost.Values[2].I >= q3 && lost.Values[2].I < q4 {
				clawbacks++
			}
		}
	}
	if clawbacks < 3 {
		t.Errorf("%d deals won in 2026Q2 and cancelled in 2026Q3, want at least 3", clawbacks)
	}

	// Splits: two AEs, one of them the owner, summing to exactly 100%.
	splits := map[string][]*crm.Row{}
	for _, r := range s["OpportunitySplit"] {
		splits[val(crm.OpportunitySplit, r, "OpportunityId").S] = append(splits[val(crm.OpportunitySplit, r, "OpportunityId").S], r)
	}
	if len(splits) < len(s["Opportunity"])/20 {
		t.Errorf("only %d of %d deals are split", len(splits), len(s["Opportunity"]))
	}
	for opp, rows := range splits {
		var sum int64
		owners := map[string]bool{}
		for _, r := range rows {
			sum += val(crm.OpportunitySplit, r, "SplitPercentage").I
			owners[val(crm.OpportunitySplit, r, "SplitOwnerId").S] = true
		}
		if len(rows) != 2 || sum != 100_00 || len(owners) != 2 || !owners[val(crm.Opportunity, s["Opportunity"][opp], "OwnerId").S] {
			t.Fatalf("opportunity %s: %d split rows summing to %d hundredths", opp, len(rows), sum)
		}
	}

	// Renewals: a year after a won deal on the same account.
	renewals := 0
	for id, r := range s["Opportunity"] {
		if val(crm.Opportunity, r, "Type").S != "Renewal" {
			continue
		}
		renewals++
		ok := false
		for _, p := range s["Opportunity"] {
			if val(crm.Opportunity, p, "AccountId") == val(crm.Opportunity, r, "AccountId") && val(crm.Opportunity, p, "Type").S == "New Business" &&
				val(crm.Opportunity, p, "IsWon").B && val(crm.Opportunity, r, "CloseDate").I-val(crm.Opportunity, p, "CloseDate").I == 365 {
				ok = true
			}
		}
		if !ok {
			t.Fatalf("renewal %s has no won deal a year earlier on its account", id)
		}
	}
	if renewals == 0 {
		t.Error("no renewals")
	}

	// Campaign touches fall inside their campaign; responses are dated.
	for id, r := range s["CampaignMember"] {
		C := func(f string) crm.Value { return val(crm.CampaignMember, r, f) }
		camp, ok := s["Campaign"][C("CampaignId").S]
		if !ok {
			t.Fatalf("member %s: no campaign %s", id, C("CampaignId").S)
		}
		d := dayOf(r.Values[2].I)
		if d < val(crm.Campaign, camp, "StartDate").I || d > val(crm.Campaign, camp, "EndDate").I {
			t.Fatalf("member %s touched on %v, outside its campaign", id, crm.TimeOfDays(d))
		}
		if C("HasResponded").B != !C("FirstRespondedDate").Null || C("LeadId").Null == C("ContactId").Null {
			t.Fatalf("member %s: HasResponded/FirstRespondedDate or LeadId/ContactId inconsistent", id)
		}
	}

	// Lead response time: first sales touch after MQL, some beyond the 24 h
	// SLA, some never; every task owner held the right role that day. The
	// routing flow's e-mails (created by the Automated Process user, within
	// 90 s of the MQL) are no sales touch; people create their own tasks.
	first := map[string]int64{}
	var auto int
	for id, r := range s["Task"] {
		T := func(f string) crm.Value { return val(crm.Task, r, f) }
		at := r.Values[2].I
		if T("CreatedById").S == AutomatedProcessID {
			mql := val(crm.Lead, s["Lead"][T("WhoId").S], "MQL_Date__c")
			if T("Type").S != "Email" || mql.Null || at < mql.I || at > mql.I+90*usSecond {
				t.Fatalf("automated task %s: %s at %v, MQL %v", id, T("Type").S, crm.TimeOfMicros(at), mql)
			}
			auto++
			continue
		}
		if T("CreatedById").S != T("OwnerId").S {
			t.Fatalf("task %s created by %s, owned by %s", id, T("CreatedById").S, T("OwnerId").S)
		}
		owner := personByID(t, T("OwnerId").S)
		want := roleSDR
		if T("Type").S == "Meeting" {
			want = roleAE
		}
		if !holdsRole(owner, want, at, at) {
			t.Fatalf("task %s on %v owned by %s, not in that role", id, crm.TimeOfMicros(at), People[owner].Name)
		}
		if who := T("WhoId").S; T("Type").S != "Meeting" {
			if f, ok := first[who]; !ok || at < f {
				first[who] = at
			}
		}
	}
	var within, late, never int
	for id, r := range s["Lead"] {
		mql := val(crm.Lead, r, "MQL_Date__c")
		if mql.Null {
			continue
		}
		f, ok := first[id]
		switch {
		case !ok:
			never++
		case f < mql.I:
			t.Fatalf("lead %s touched before its MQL", id)
		case f-mql.I <= 24*usHour:
			within++
		default:
			late++
		}
	}
	t.Logf("first response: %d within 24h, %d later, %d never (%d in the queue); %d automated e-mails", within, late, never, queued, auto)
	if within < mqls/3 || late < mqls/10 || never < mqls/20 {
		t.Errorf("response times not realistic: %d within 24h, %d late, %d never of %d MQLs", within, late, never, mqls)
	}
	if auto < mqls*9/10 || queued == 0 || queued >= never {
		t.Errorf("%d automated e-mails for %d MQLs, %d of %d unanswered MQLs in the queue", auto, mqls, queued, never)
	}

	// The roster's events: nothing for Hana before her hire or Chris after he
	// left; Jordan owns deals only as an AE.
	hana, chris, jordan := personIndex("005000000000009AAA"), personIndex("005000000000010AAA"), personIndex("005000000000005AAA")
	for _, obj := range crm.Objects {
		ownerCol, ok := colIndex[obj]["OwnerId"]
		if !ok || obj == crm.User {
			continue
		}
		for id, r := range s[obj.Name] {
			if r.Values[ownerCol].S == QueueID {
				continue
			}
			p := personByID(t, r.Values[ownerCol].S)
			created, modified := r.Values[2].I, r.Modstamp()
			if obj == crm.Lead {
				modified = leadWorked(t, o, id)
			}
			switch {
			case p == hana && created < crm.Micros(People[hana].Hired):
				t.Fatalf("%s %s owned by Hana before her hire", obj.Name, id)
			case p == chris && modified >= crm.Micros(People[chris].Left.Add(24*time.Hour)):
				t.Fatalf("%s %s owned by Chris, modified after he left", obj.Name, id)
			case p == jordan && obj == crm.Opportunity && created < crm.Micros(JordanPromoted):
				t.Fatalf("opportunity %s owned by Jordan before the promotion", id)
			}
		}
	}
	for _, r := range s["Campaign"] {
		if People[personByID(t, val(crm.Campaign, r, "OwnerId").S)].Department != "Marketing" {
			t.Fatal("a campaign is owned outside marketing")
		}
	}
}
