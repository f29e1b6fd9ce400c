package pipeline

import (
	"context"
	"sort"

	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/money"
)

// lineItemRow is the projection of the OpportunityLineItem snapshot that
// SPIFs read. Quantity is DECIMAL(18,2) like the prices; a lake file
// written before the column existed reads it as null.
type lineItemRow struct {
	ID            string `parquet:"id"`
	IsDeleted     bool   `parquet:"is_deleted,optional"`
	OpportunityID string `parquet:"opportunity_id,optional"`
	Product2ID    string `parquet:"product2_id,optional"`
	Quantity      *int64 `parquet:"quantity,optional,decimal(2:18)"`
	UnitPrice     *int64 `parquet:"unit_price,optional,decimal(2:18)"`
	ListPrice     *int64 `parquet:"list_price,optional,decimal(2:18)"`
	TotalPrice    *int64 `parquet:"total_price,optional,decimal(2:18)"`
}

// productRow is the projection of the Product2 snapshot: the catalogue
// SPIF product conditions are checked and matched against. A Family the
// org lacks reads as "".
type productRow struct {
	ID          string `parquet:"id"`
	IsDeleted   bool   `parquet:"is_deleted,optional"`
	Name        string `parquet:"name,optional"`
	ProductCode string `parquet:"product_code,optional"`
	Family      string `parquet:"family,optional"`
	IsActive    *bool  `parquet:"is_active,optional"`
}

// readProducts adds the opportunities' line items and the product
// catalogue to b, from the optional snapshots (payoutSnapshots leaves out
// those of an org without them: no lines, no catalogue).
func (e *Env) readProducts(ctx context.Context, snaps map[string]*lake.Manifest, b *dealBook) error {
	b.lines = map[string][]comp.DealLine{}
	dec := func(c *int64) decimal.Decimal {
		if c == nil {
			return decimal.Zero
		}
		return money.FromCents(*c)
	}
	if m := snaps[crm.OpportunityLineItem.Name]; m != nil {
		err := lake.Scan(ctx, e.Blob, m, func(rows []lineItemRow) error {
			for _, r := range rows {
				if r.IsDeleted {
					continue
				}
				b.lines[r.OpportunityID] = append(b.lines[r.OpportunityID], comp.DealLine{ID: r.ID, ProductID: r.Product2ID,
					Quantity: dec(r.Quantity), NoQuantity: r.Quantity == nil, UnitPrice: dec(r.UnitPrice), ListPrice: dec(r.ListPrice), TotalPrice: dec(r.TotalPrice)})
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, ls := range b.lines {
			sort.Slice(ls, func(i, j int) bool { return ls[i].ID < ls[j].ID })
		}
	}
	if m := snaps[crm.Product2.Name]; m != nil {
		err := lake.Scan(ctx, e.Blob, m, func(rows []productRow) error {
			for _, r := range rows {
				if !r.IsDeleted {
					b.products = append(b.products, comp.Product{ID: r.ID, Name: r.Name, Code: r.ProductCode, Family: r.Family, Active: r.IsActive != nil && *r.IsActive})
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		sort.Slice(b.products, func(i, j int) bool { return b.products[i].ID < b.products[j].ID })
	}
	return nil
}
