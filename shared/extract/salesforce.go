package extract

import (
	"context"

	"github.com/venn-revops/venn/shared/salesforce"
)

// sfSource adapts the Salesforce client to Source.
type sfSource struct{ c *salesforce.Client }

// FromSalesforce adapts the real client (or one pointed at the demo CRM) to
// the extract's Source.
func FromSalesforce(c *salesforce.Client) Source { return sfSource{c} }

func (s sfSource) Query(ctx context.Context, soql string, fn func([]byte) error) (Stats, error) {
	st, err := s.c.Query(ctx, soql, fn)
	return Stats(st), err
}

func (s sfSource) QueryAll(ctx context.Context, soql string, fn func([]byte) error) (Stats, error) {
	st, err := s.c.QueryAll(ctx, soql, fn)
	return Stats(st), err
}

func (s sfSource) Count(ctx context.Context, soql string) (int64, error) { return s.c.Count(ctx, soql) }

func (s sfSource) BulkQuery(ctx context.Context, soql string, all bool, fn func(header, record []string) error) (Stats, error) {
	st, err := s.c.BulkQuery(ctx, soql, all, fn)
	return Stats(st), err
}

func (s sfSource) Describe(ctx context.Context, object string) ([]string, error) {
	d, err := s.c.Describe(ctx, object)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(d.Fields))
	for i, f := range d.Fields {
		names[i] = f.Name
	}
	return names, nil
}
