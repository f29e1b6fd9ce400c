package salesforce

import (
	"errors"
	"fmt"
	"strings"

	"github.com/go-json-experiment/json"
)

// APIError is an error response from Salesforce: the HTTP status and the
// first entry of its error array (or the OAuth error and description).
// Callers branch on it with errors.As.
type APIError struct {
	Status  int
	Code    string // e.g. INVALID_FIELD, MALFORMED_QUERY, INVALID_SESSION_ID, invalid_grant
	Message string
}

// Error reports the status, code and message.
func (e *APIError) Error() string {
	return fmt.Sprintf("salesforce: HTTP %d %s: %s", e.Status, e.Code, e.Message)
}

// ErrLimitReserve means the org's remaining daily API allocation fell below
// Config.LimitReserve; the client refuses further calls so other
// integrations keep their share. It is wrapped with the numbers.
var ErrLimitReserve = errors.New("salesforce: daily API limit reserve reached")

// ErrBulkJobFailed means a Bulk API job ended Failed or Aborted. It is
// wrapped with the job Id and Salesforce's errorMessage; it is never
// reported as success with zero records.
var ErrBulkJobFailed = errors.New("salesforce: bulk query job failed")

// parseAPIError reads Salesforce's error body: the API's
// [{"message","errorCode"}] or OAuth's {"error","error_description"}.
func parseAPIError(status int, body []byte) *APIError {
	e := &APIError{Status: status}
	var arr []struct {
		Message   string `json:"message"`
		ErrorCode string `json:"errorCode"`
	}
	var oauth struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	switch {
	case json.Unmarshal(body, &arr) == nil && len(arr) > 0:
		e.Code, e.Message = arr[0].ErrorCode, arr[0].Message
	case json.Unmarshal(body, &oauth) == nil && oauth.Error != "":
		e.Code, e.Message = oauth.Error, oauth.Description
	default:
		msg := strings.TrimSpace(string(body))
		if len(msg) > 300 {
			msg = msg[:300] + "…"
		}
		e.Message = msg
	}
	return e
}
