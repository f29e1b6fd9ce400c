package salesforce

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/go-json-experiment/json"

	"github.com/venn-revops/venn/shared/crm"
)

// The data replication resources: which records of an object were deleted
// or updated in a span (GET sobjects/<Object>/deleted/ and .../updated/).
// Salesforce's rules, which callers must follow:
//   - start must precede end (by more than a minute); the seconds of both
//     are ignored;
//   - a span may reach back at most 30 days; getDeleted answers for no
//     more than the last 15 days (the Recycle Bin), less when the bin was
//     emptied: a start before earliestDateAvailable fails with
//     INVALID_REPLICATION_DATE;
//   - at most 600,000 Ids per answer (EXCEEDED_ID_LIMIT: ask for less).

// DeletedResult is a getDeleted answer.
type DeletedResult struct {
	Records []DeletedRecord
	// EarliestDateAvailable is when the last physically removed record of
	// the object was removed: deletes before it may be missing.
	EarliestDateAvailable time.Time
	// LatestDateCovered is the end of what the answer covers; the next
	// call should start there.
	LatestDateCovered time.Time
}

// DeletedRecord is one deleted record.
type DeletedRecord struct {
	ID          string
	DeletedDate time.Time
}

// UpdatedResult is a getUpdated answer.
type UpdatedResult struct {
	IDs               []string
	LatestDateCovered time.Time
}

// replicationTime formats a span bound as the resources want it: ISO 8601
// in UTC with an explicit offset.
func replicationTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05+00:00") }

func (c *Client) replicationPath(object, resource string, start, end time.Time) string {
	q := url.Values{"start": {replicationTime(start)}, "end": {replicationTime(end)}}
	return c.dataPath("sobjects/" + url.PathEscape(object) + "/" + resource + "/?" + q.Encode())
}

// GetDeleted lists the records of object deleted in [start, end).
func (c *Client) GetDeleted(ctx context.Context, object string, start, end time.Time) (DeletedResult, Stats, error) {
	var st Stats
	resp, err := c.do(ctx, &st, request{method: http.MethodGet, path: c.replicationPath(object, "deleted", start, end)})
	if err != nil {
		return DeletedResult{}, st, fmt.Errorf("salesforce: getDeleted %s: %w", object, err)
	}
	var body struct {
		DeletedRecords []struct {
			ID          string `json:"id"`
			DeletedDate string `json:"deletedDate"`
		} `json:"deletedRecords"`
		EarliestDateAvailable string `json:"earliestDateAvailable"`
		LatestDateCovered     string `json:"latestDateCovered"`
	}
	if err := json.Unmarshal(resp.body, &body); err != nil {
		return DeletedResult{}, st, fmt.Errorf("salesforce: getDeleted %s: %w", object, err)
	}
	var res DeletedResult
	if res.EarliestDateAvailable, err = optionalTime(body.EarliestDateAvailable); err != nil {
		return DeletedResult{}, st, fmt.Errorf("salesforce: getDeleted %s: earliestDateAvailable: %w", object, err)
	}
	if res.LatestDateCovered, err = optionalTime(body.LatestDateCovered); err != nil {
		return DeletedResult{}, st, fmt.Errorf("salesforce: getDeleted %s: latestDateCovered: %w", object, err)
	}
	for i, d := range body.DeletedRecords {
		at, err := parseTime(d.DeletedDate)
		if err != nil || d.ID == "" {
			// Without a trustworthy answer, deleting would be guessing.
			return DeletedResult{}, st, fmt.Errorf("salesforce: getDeleted %s: record %d (%q): bad id or deletedDate %q", object, i, d.ID, d.DeletedDate)
		}
		res.Records = append(res.Records, DeletedRecord{ID: d.ID, DeletedDate: at})
	}
	st.Records = len(res.Records)
	return res, st, nil
}

// GetUpdated lists the Ids of object's records updated in [start, end).
func (c *Client) GetUpdated(ctx context.Context, object string, start, end time.Time) (UpdatedResult, Stats, error) {
	var st Stats
	resp, err := c.do(ctx, &st, request{method: http.MethodGet, path: c.replicationPath(object, "updated", start, end)})
	if err != nil {
		return UpdatedResult{}, st, fmt.Errorf("salesforce: getUpdated %s: %w", object, err)
	}
	var body struct {
		IDs               []string `json:"ids"`
		LatestDateCovered string   `json:"latestDateCovered"`
	}
	if err := json.Unmarshal(resp.body, &body); err != nil {
		return UpdatedResult{}, st, fmt.Errorf("salesforce: getUpdated %s: %w", object, err)
	}
	res := UpdatedResult{IDs: body.IDs}
	if res.LatestDateCovered, err = optionalTime(body.LatestDateCovered); err != nil {
		return UpdatedResult{}, st, fmt.Errorf("salesforce: getUpdated %s: latestDateCovered: %w", object, err)
	}
	st.Records = len(res.IDs)
	return res, st, nil
}

// parseTime reads a Salesforce datetime (crm's parser: one home for the
// format).
func parseTime(s string) (time.Time, error) { return crm.ParseDateTime(s) }

func optionalTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return parseTime(s)
}
