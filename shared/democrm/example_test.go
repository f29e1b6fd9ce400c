package democrm_test

import (
	"fmt"
	"net/http"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/democrm"
)

// Generate builds the org; Each and Count give tests the expected values
// independently of any extract; Start serves it over the Salesforce
// protocols, with faults injected where a test needs them.
func Example() {
	org := democrm.Generate(democrm.Config{Seed: 1}) // 4000 leads, 2025Q3..2026Q4
	fmt.Println("leads:", org.Count(crm.Lead), "opportunities:", org.Count(crm.Opportunity))

	won := 0
	isWon := crm.Opportunity.Column("is_won")
	_ = org.Each(crm.Opportunity, func(r *crm.Row) error {
		if r.Values[isWon].B {
			won++
		}
		return nil
	})
	fmt.Println("won:", won)
	for _, m := range org.Malformed() {
		fmt.Printf("malformed %s: %s\n", m.Object, m.Why)
	}

	srv := democrm.NewServer(org, democrm.WithPageSize(500))
	// The third query page answers 503 twice, then recovers.
	srv.Inject(democrm.Fault{Route: democrm.RoutePages, After: 2, Times: 2, Status: http.StatusServiceUnavailable})
	baseURL, stop := srv.Start()
	defer stop()
	_ = baseURL // hand it to salesforce.Config.LoginURL

	// Output:
	// leads: 4000 opportunities: 349
	// won: 132
	// malformed Lead: CreatedDate is not a valid datetime
	// malformed Opportunity: Amount is the string "n/a"
	// malformed Lead: the record has no Id
}
