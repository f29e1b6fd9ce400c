package extract

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

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

func (s sfSource) BulkQueryResume(ctx context.Context, soql string, all bool, cur *BulkCursor, stop func(time.Duration) bool, fn func(header []string, rec Record) error) (Stats, error) {
	st, err := s.c.BulkQueryResume(ctx, soql, all, (*salesforce.BulkCursor)(cur), stop, func(h []string, r salesforce.Record) error { return fn(h, Record(r)) })
	switch {
	case errors.Is(err, salesforce.ErrBulkPaused):
		err = fmt.Errorf("%w: %w", ErrBulkPaused, err)
	case errors.Is(err, salesforce.ErrBulkJobFailed):
		err = fmt.Errorf("%w: %w", ErrBulkJobFailed, err)
	}
	return Stats(st), err
}

func (s sfSource) Describe(ctx context.Context, object string) ([]string, error) {
	fields, err := s.DescribeFields(ctx, object)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Name
	}
	return names, nil
}

// DescribeFields describes object with its field types, telling a missing
// object (ErrNotInOrg) and a missing permission (ErrNoAccess) from other
// failures.
func (s sfSource) DescribeFields(ctx context.Context, object string) ([]SourceField, error) {
	d, err := s.c.Describe(ctx, object)
	if err != nil {
		return nil, classify(err)
	}
	out := make([]SourceField, len(d.Fields))
	for i, f := range d.Fields {
		out[i] = SourceField{Name: f.Name, Type: f.Type, Scale: -1}
		if f.Scale != nil {
			out[i].Scale = *f.Scale
		}
	}
	return out, nil
}

// classify wraps Salesforce's answers for a missing object or permission.
// Salesforce answers NOT_FOUND (404) or INVALID_TYPE both for an object
// the org lacks and one the user cannot see at all; a 403 or an
// INSUFFICIENT_ACCESS code is a permission the user lacks.
func classify(err error) error {
	var apiErr *salesforce.APIError
	if !errors.As(err, &apiErr) {
		return err
	}
	switch {
	case apiErr.Status == http.StatusNotFound, apiErr.Code == "NOT_FOUND", apiErr.Code == "INVALID_TYPE":
		return fmt.Errorf("%w: %w", ErrNotInOrg, err)
	case apiErr.Code == "REQUEST_LIMIT_EXCEEDED":
		return err
	case apiErr.Status == http.StatusForbidden, strings.HasPrefix(apiErr.Code, "INSUFFICIENT_ACCESS"), apiErr.Code == "API_DISABLED_FOR_ORG", apiErr.Code == "API_CURRENTLY_DISABLED":
		return fmt.Errorf("%w: %w", ErrNoAccess, err)
	}
	return err
}

func (s sfSource) Deleted(ctx context.Context, object string, start, end time.Time) (DeletedResult, Stats, error) {
	res, st, err := s.c.GetDeleted(ctx, object, start, end)
	if err != nil {
		return DeletedResult{}, Stats(st), classify(err)
	}
	out := DeletedResult{EarliestAvailable: res.EarliestDateAvailable, LatestCovered: res.LatestDateCovered}
	for _, d := range res.Records {
		out.Records = append(out.Records, DeletedRecord{ID: d.ID, Deleted: d.DeletedDate})
	}
	return out, Stats(st), nil
}
