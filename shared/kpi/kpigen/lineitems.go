package kpigen

import "github.com/venn-revops/venn/shared/kpi"

// tLine keys the line items' random streams (apart from every other
// object's).
const tLine uint64 = 101

// catalogue is the product catalogue of Org.Products: a recurring main
// product, a recurring support product and one-time services.
var catalogue = [...]kpi.Product{
	{ID: ID("01t", 0), Name: "Platform", Family: "Subscription"},
	{ID: ID("01t", 1), Name: "Premium Support", Family: "Support"},
	{ID: ID("01t", 2), Name: "Onboarding", Family: "Services"},
}

// products streams the catalogue, or nil unless Org.Products.
func (o *Org) products() kpi.Source[kpi.Product] {
	if !o.Products {
		return nil
	}
	return source(o, len(catalogue), func(i int, r *kpi.Product) { *r = catalogue[i] })
}

// lineItems streams two line items per opportunity, or nil unless
// Org.Products: the main product, and support or services worth 5% to 20%
// of the amount; the main line takes the remainder, so the two sum to the
// opportunity's amount exactly. Each row costs one opportunity draw.
func (o *Org) lineItems() kpi.Source[kpi.LineItem] {
	if !o.Products {
		return nil
	}
	return source(o, 2*o.Opportunities(), func(i int, r *kpi.LineItem) {
		j := i / 2
		f := o.opp(j)
		second := f.amount * int64(5+o.pick(tLine, j, 1, 16)) / 100
		*r = kpi.LineItem{ID: ID("00k", i), CreatedDate: f.created, OpportunityID: o.oppID(j), ServiceDate: ptr(f.closeDay + 1)}
		if i%2 == 0 {
			r.Product2ID, r.TotalPrice = catalogue[0].ID, ptr(f.amount-second)
			return
		}
		r.Product2ID, r.TotalPrice = catalogue[1+o.pick(tLine, j, 2, 2)].ID, ptr(second)
	})
}
