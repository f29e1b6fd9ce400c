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

func (s sfSource) QueryRecords(ctx context.Context, soql string, all bool, fn func(Record) error) (Stats, error) {
	st, err := s.c.QueryRecords(ctx, soql, all, func(r salesforce.Record) error { return fn(Record(r)) })
	return Stats(st), err
}

// Totals are the client's request and retry counters over every call,
// describe and token requests included: the run summary takes each
// object's retries from them.
func (s sfSource) Totals() Stats { return Stats(s.c.Totals()) }

func (s sfSource) Count(ctx context.Context, soql string) (int64, error) { return s.c.Count(ctx, soql) }

func (s sfSource) BulkQuery(ctx context.Context, soql string, all bool, fn func(header []string, rec Record) error) (Stats, error) {
	st, err := s.c.BulkQuery(ctx, soql, all, func(h []string, r salesforce.Record) error { return fn(h, Record(r)) })
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
