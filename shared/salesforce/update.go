package salesforce

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// MaxCollection is how many records one sObject Collections request
// carries at most.
const MaxCollection = 200

// RecordUpdate is one record to update: its Id and the fields to set (by
// API name; nil sets a field to null).
type RecordUpdate struct {
	ID     string
	Fields map[string]any
}

// SaveResult is one record's outcome of an update.
type SaveResult struct {
	ID      string      `json:"id"`
	Success bool        `json:"success"`
	Errors  []SaveError `json:"errors"`
}

// SaveError says why a record was not saved.
type SaveError struct {
	StatusCode string   `json:"statusCode"`
	Message    string   `json:"message"`
	Fields     []string `json:"fields"`
}

// UpdateRecords updates records of object with the Composite API's sObject
// Collections (PATCH composite/sobjects), MaxCollection records a request,
// allOrNone false: each record succeeds or fails on its own, and its
// result says which (results are in the order of records). An update sets
// the same values again when retried, so the client's retries are safe.
// The error is for a request that failed as a whole.
func (c *Client) UpdateRecords(ctx context.Context, object string, records []RecordUpdate) ([]SaveResult, error) {
	out := make([]SaveResult, 0, len(records))
	for start := 0; start < len(records); start += MaxCollection {
		chunk := records[start:min(start+MaxCollection, len(records))]
		body := struct {
			AllOrNone bool             `json:"allOrNone"`
			Records   []map[string]any `json:"records"`
		}{Records: make([]map[string]any, len(chunk))}
		for i, r := range chunk {
			rec := make(map[string]any, len(r.Fields)+2)
			for k, v := range r.Fields {
				rec[k] = v
			}
			rec["attributes"] = map[string]string{"type": object}
			rec["id"] = r.ID
			body.Records[i] = rec
		}
		b, err := json.Marshal(body)
		if err != nil {
			return out, fmt.Errorf("salesforce: update %s: %w", object, err)
		}
		var st Stats
		resp, err := c.do(ctx, &st, request{method: http.MethodPatch, path: c.dataPath("composite/sobjects"), body: b, header: http.Header{"Content-Type": {"application/json"}}})
		if err != nil {
			return out, fmt.Errorf("salesforce: update %s records %d–%d: %w", object, start+1, start+len(chunk), err)
		}
		var res []SaveResult
		if err := json.Unmarshal(resp.body, &res); err != nil {
			return out, fmt.Errorf("salesforce: update %s records %d–%d: answer: %w", object, start+1, start+len(chunk), err)
		}
		if len(res) != len(chunk) {
			return out, fmt.Errorf("salesforce: update %s records %d–%d: %d results for %d records", object, start+1, start+len(chunk), len(res), len(chunk))
		}
		for i := range res {
			if res[i].ID == "" {
				res[i].ID = chunk[i].ID // a failed record's result may omit its Id
			}
		}
		out = append(out, res...)
	}
	return out, nil
}
