package comp

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/venn-revops/venn/shared/period"
)

// largeInput is a synthetic org: managers of 10 reps each, every rep with
// dealsPerRep won deals in 2026Q3 (every tenth split 50/50 with the next
// rep), on the shipped plans.
func largeInput(b *testing.B, reps, dealsPerRep int) RunInput {
	b.Helper()
	cfg, err := LoadConfig(os.DirFS("../config/comp"))
	if err != nil {
		b.Fatal(err)
	}
	in := RunInput{Quarter: period.MustParse("2026Q3"), Plans: cfg.Plans, KnownKPI: knownKPIs, CodeVersion: "bench",
		Assignments: &Assignments{Roles: cfg.Assignments.Roles}, Products: spifCatalogue()}
	m := MetricTable{}
	from := Day{day("2025-01-01")}
	start := period.MustParse("2026Q3").Start()
	for i := 0; i < reps; i++ {
		mgr := fmt.Sprintf("M%05d", i/10)
		team := "Team " + mgr
		if i%10 == 0 {
			in.People = append(in.People, Person{ID: mgr, EmployeeID: "E" + mgr, Name: mgr, Team: team, Currency: "USD"})
			in.Assignments.People = append(in.Assignments.People, PersonAssignment{Person: mgr, Role: "sales_manager", From: from})
			m[MetricKey{"bookings", "team", team, ""}] = decimal.NewFromInt(int64(700000 + i*100))
		}
		id := fmt.Sprintf("R%05d", i)
		in.People = append(in.People, Person{ID: id, EmployeeID: "E" + id, Name: id, Team: team, ManagerID: mgr, Currency: "USD"})
		in.Assignments.People = append(in.Assignments.People, PersonAssignment{Person: id, Role: "account_executive", From: from})
		m[MetricKey{"bookings", "individual", id, ""}] = decimal.NewFromInt(int64(250000 + i*37))
		for k := 0; k < dealsPerRep; k++ {
			d := Deal{ID: fmt.Sprintf("D%05d-%03d", i, k), Name: "deal", OwnerID: id, Amount: decimal.New(int64(1234567+k*1001), -2),
				Currency: "USD", CloseDate: start.Add(time.Duration((i+k)%92) * 24 * time.Hour), Won: true, Type: "new_business"}
			if k%10 == 0 && i+1 < reps {
				d.Splits = []Split{{id, decimal.NewFromInt(50)}, {fmt.Sprintf("R%05d", i+1), decimal.NewFromInt(50)}}
			}
			in.Deals = append(in.Deals, d)
		}
	}
	m[MetricKey{"bookings", "org", "all", ""}] = decimal.NewFromInt(90000000)
	in.Metrics = m
	return in
}

// BenchmarkWhatIfs is the nightly what-if for 100 reps and 10 managers,
// 20 won deals and 3 open deals a rep: each person's scenarios are two
// engine runs per open deal in their pipeline, each over the whole org.
func BenchmarkWhatIfs(b *testing.B) {
	in := largeInput(b, 100, 20)
	var open []Deal
	for i := range in.Deals {
		if d := in.Deals[i]; d.ID[len(d.ID)-3:] < "003" {
			d.ID, d.Won = d.ID+"-open", false
			open = append(open, d)
		}
	}
	in.Deals = append(in.Deals, open...)
	b.ResetTimer()
	for range b.N {
		res, err := WhatIfs(WhatIfInput{Run: in, AsOf: day("2026-08-15"), Open: open})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.People) != 110 {
			b.Fatalf("%d people", len(res.People))
		}
	}
}

// BenchmarkRun computes a quarter for 1,000 reps, 100 managers and 50,000
// deals.
func BenchmarkRun(b *testing.B) {
	in := largeInput(b, 1000, 50)
	b.ResetTimer()
	for range b.N {
		out, err := Run(in)
		if err != nil {
			b.Fatal(err)
		}
		if len(out.Statements) != 1100 {
			b.Fatalf("%d statements", len(out.Statements))
		}
	}
}
