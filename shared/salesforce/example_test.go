package salesforce_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/democrm"
	"github.com/venn-revops/venn/shared/salesforce"
)

// Query streams the records of a SOQL query page by page; each is decoded
// into a typed row by the CRM registry's decoder, and bad records come back
// as *crm.FieldError for the rejects path.
func ExampleClient_Query() {
	// The demo CRM speaks the same protocol as Salesforce.
	org := democrm.Generate(democrm.Config{Seed: 1, Leads: 500})
	baseURL, stop := democrm.NewServer(org).Start()
	defer stop()

	c, err := salesforce.New(salesforce.Config{
		LoginURL:     baseURL,
		ClientID:     "venn-demo",
		ClientSecret: "venn-demo-secret",
		PageSize:     200,
	})
	if err != nil {
		log.Fatal(err)
	}
	dec := crm.NewDecoder(crm.Opportunity)
	var row crm.Row
	won, rejected := 0, 0
	soql := "SELECT " + strings.Join(crm.Opportunity.FieldNames(), ", ") + " FROM Opportunity ORDER BY SystemModstamp, Id"
	st, err := c.Query(context.Background(), soql, func(record []byte) error {
		if err := dec.DecodeJSON(record, &row); err != nil {
			rejected++ // quarantine it with its reason and carry on
			return nil
		}
		if row.Values[crm.Opportunity.Column("is_won")].B {
			won++
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d opportunity records in %d pages: %d won, %d rejected\n", st.Records, st.Pages, won, rejected)

	n, err := c.Count(context.Background(), "SELECT COUNT() FROM Lead")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(n, "leads on the wire")
	// Output:
	// 55 opportunity records in 1 pages: 22 won, 1 rejected
	// 502 leads on the wire
}
