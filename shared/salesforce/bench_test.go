package salesforce_test

import (
	"context"
	"testing"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/democrm"
	"github.com/venn-revops/venn/shared/salesforce"
)

// BenchmarkQueryLeads pulls 100k leads over HTTP in pages of 2000 and
// decodes each into a row: the REST extract path end to end, server
// included.
func BenchmarkQueryLeads(b *testing.B) {
	_, _, base := demo(b, democrm.Config{Seed: 1, Leads: 100_000, Malformed: -1})
	c := client(b, base, func(cfg *salesforce.Config) { cfg.PageSize = 2000 })
	dec := crm.NewDecoder(crm.Lead)
	var row crm.Row
	soql := selectAll(crm.Lead, "")
	for b.Loop() {
		if _, err := c.Query(context.Background(), soql, func(rec []byte) error { return dec.DecodeJSON(rec, &row) }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(100_000*b.N)/b.Elapsed().Seconds(), "records/s")
}
