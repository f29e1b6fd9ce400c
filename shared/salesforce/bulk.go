package salesforce

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/go-json-experiment/json"
)

// bulkJob is the part of a Bulk API 2.0 job's status Venn reads.
type bulkJob struct {
	ID                     string `json:"id"`
	State                  string `json:"state"`
	Object                 string `json:"object"`
	ErrorMessage           string `json:"errorMessage"`
	NumberRecordsProcessed int64  `json:"numberRecordsProcessed"`
}

// maxPollInterval caps the wait between two status polls of a Bulk job.
const maxPollInterval = 30 * time.Second

// BulkQuery runs soql as a Bulk API 2.0 query job (all: queryAll, soft
// deletes included): it creates the job, polls it with growing intervals
// until JobComplete, then reads the CSV results page by page with
// Sforce-Locator and calls fn with the header and each record (both valid
// only during the call; an empty cell is null; a malformed row comes with
// Err set and no cells, for quarantine). A job that ends Failed or
// Aborted is an error wrapping ErrBulkJobFailed with the job Id and
// Salesforce's message. Results whose record count differs from what the
// job reports processing are an error too, never a silent short read.
func (c *Client) BulkQuery(ctx context.Context, soql string, all bool, fn func(header []string, rec Record) error) (Stats, error) {
	return c.BulkQueryResume(ctx, soql, all, &BulkCursor{}, nil, fn)
}

// BulkCursor is where a resumable Bulk query stands: its job, and the
// results read so far. The zero cursor starts a new job.
type BulkCursor struct {
	JobID string `json:"job_id"`
	// Complete: the job reached JobComplete; Processed is its record count.
	Complete  bool  `json:"complete,omitempty"`
	Processed int64 `json:"processed,omitempty"`
	// Locator is the next results page ("": the first); Records and Pages
	// were read (and delivered to fn) before it.
	Locator string `json:"locator,omitempty"`
	Records int64  `json:"records,omitempty"`
	Pages   int    `json:"pages,omitempty"`
}

// ErrBulkPaused: BulkQueryResume stopped because stop said so; the cursor
// says where to resume.
var ErrBulkPaused = errors.New("salesforce: bulk query paused")

// BulkQueryResume is BulkQuery from cur, which it advances as it goes: a
// zero cursor creates the job, one with a job id polls that job (no new
// job), one with a locator reads the results from that page. Before each
// status poll (with the wait it is about to make) and before each results
// page (wait 0) it asks stop, a nil stop never stops; when stop answers
// true it returns ErrBulkPaused and cur holds the job and the next page:
// every record before cur.Locator was delivered to fn, none after. A job
// Salesforce no longer knows (its results expire after 7 days) is
// ErrBulkJobFailed, like a failed one: start again with a zero cursor.
func (c *Client) BulkQueryResume(ctx context.Context, soql string, all bool, cur *BulkCursor, stop func(wait time.Duration) bool, fn func(header []string, rec Record) error) (Stats, error) {
	var st Stats
	op := "query"
	if all {
		op = "queryAll"
	}
	if stop == nil {
		stop = func(time.Duration) bool { return false }
	}
	job := bulkJob{ID: cur.JobID, State: "UploadComplete"}
	if cur.Complete {
		job.State, job.NumberRecordsProcessed = "JobComplete", cur.Processed
	}
	if cur.JobID == "" {
		body, err := json.Marshal(map[string]string{"operation": op, "query": soql, "contentType": "CSV", "columnDelimiter": "COMMA", "lineEnding": "LF"}, json.Deterministic(true))
		if err != nil {
			return st, err
		}
		resp, err := c.do(ctx, &st, request{method: http.MethodPost, path: c.dataPath("jobs/query"), body: body, header: http.Header{"Content-Type": {"application/json"}}})
		if err != nil {
			return st, fmt.Errorf("salesforce: create bulk %s job: %w", op, err)
		}
		if err := json.Unmarshal(resp.body, &job); err != nil || job.ID == "" {
			return st, fmt.Errorf("salesforce: create bulk %s job: unreadable job info %.200q", op, resp.body)
		}
		cur.JobID = job.ID
		c.log.Debug("salesforce bulk job created", "job", job.ID, "operation", op)
	}

	wait := c.cfg.PollInterval
	for job.State != "JobComplete" {
		switch job.State {
		case "Failed", "Aborted":
			return st, fmt.Errorf("bulk %s job %s ended %s: %s: %w", op, job.ID, job.State, job.ErrorMessage, ErrBulkJobFailed)
		}
		if stop(wait) {
			return st, fmt.Errorf("bulk job %s in state %s: %w", job.ID, job.State, ErrBulkPaused)
		}
		if err := sleep(ctx, wait); err != nil {
			return st, fmt.Errorf("salesforce: bulk job %s: waiting for completion (state %s): %w", job.ID, job.State, err)
		}
		wait = min(wait*3/2, maxPollInterval)
		resp, err := c.do(ctx, &st, request{method: http.MethodGet, path: c.dataPath("jobs/query/" + url.PathEscape(job.ID))})
		if err != nil {
			return st, gone(fmt.Errorf("salesforce: poll bulk job %s: %w", job.ID, err))
		}
		id := job.ID
		job = bulkJob{}
		if err := json.Unmarshal(resp.body, &job); err != nil {
			return st, fmt.Errorf("salesforce: poll bulk job %s: %w", id, err)
		}
		job.ID = id
	}
	cur.Complete, cur.Processed = true, job.NumberRecordsProcessed

	var header []string
	for {
		if cur.Pages > 0 && cur.Locator == "" {
			break // the last page was read
		}
		if stop(0) {
			return st, fmt.Errorf("bulk job %s before results page %d: %w", job.ID, cur.Pages+1, ErrBulkPaused)
		}
		q := url.Values{}
		if c.cfg.BulkPageSize > 0 {
			q.Set("maxRecords", strconv.Itoa(c.cfg.BulkPageSize))
		}
		if cur.Locator != "" {
			q.Set("locator", cur.Locator)
		}
		path := c.dataPath("jobs/query/" + url.PathEscape(job.ID) + "/results")
		if len(q) > 0 {
			path += "?" + q.Encode()
		}
		page := cur.Pages + 1
		resp, err := c.do(ctx, &st, request{method: http.MethodGet, path: path, header: http.Header{"Accept": {"text/csv"}}})
		if err != nil {
			return st, gone(fmt.Errorf("salesforce: bulk job %s results page %d: %w", job.ID, page, err))
		}
		st.Pages++
		n, h, err := readCSVPage(resp.body, page, header, func(h []string, rec Record) error {
			st.Records++
			return fn(h, rec)
		})
		if err != nil {
			return st, fmt.Errorf("salesforce: bulk job %s results page %d: %w", job.ID, page, err)
		}
		header = h
		if want := resp.header.Get("Sforce-NumberOfRecords"); want != "" && want != strconv.Itoa(n) {
			return st, fmt.Errorf("salesforce: bulk job %s results page %d: read %d records, Sforce-NumberOfRecords says %s", job.ID, page, n, want)
		}
		next, ok := resp.header["Sforce-Locator"]
		if !ok || len(next) == 0 {
			return st, fmt.Errorf("salesforce: bulk job %s results page %d: no Sforce-Locator header", job.ID, page)
		}
		cur.Pages, cur.Records = page, cur.Records+int64(n)
		cur.Locator = next[0]
		if cur.Locator == "null" {
			cur.Locator = ""
		}
	}
	if cur.Records != cur.Processed {
		return st, fmt.Errorf("salesforce: bulk job %s: read %d records but the job processed %d", job.ID, cur.Records, cur.Processed)
	}
	return st, nil
}

// gone marks a job Salesforce no longer knows (404: expired or deleted)
// as failed, so a resumed pull starts a new one.
func gone(err error) error {
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound {
		return fmt.Errorf("%w (the job is gone): %w", err, ErrBulkJobFailed)
	}
	return err
}

// readCSVPage splits one results page (RFC 4180, header first) and calls
// fn per row. Every page repeats the header; it must not change, and a
// malformed header fails the page. A malformed row (bad quoting, the wrong
// number of cells) is delivered with Err set and the page goes on.
func readCSVPage(body []byte, page int, header []string, fn func(header []string, rec Record) error) (int, []string, error) {
	sp := &csvSplitter{data: body}
	_, h, err, ok := sp.next()
	if !ok {
		return 0, header, errors.New("empty results page (no CSV header)")
	}
	if err != nil {
		return 0, header, fmt.Errorf("CSV header: %w", err)
	}
	if header == nil {
		header = slices.Clone(h)
	} else if !slices.Equal(header, h) {
		return 0, header, fmt.Errorf("CSV header changed between pages: %v, then %v", header, h)
	}
	n := 0
	for {
		raw, cells, err, ok := sp.next()
		if !ok {
			return n, header, nil
		}
		if err == nil && len(cells) != len(header) {
			err = fmt.Errorf("%d cells for %d columns", len(cells), len(header))
			cells = nil
		}
		r := Record{Raw: raw, Cells: cells, Page: page, Index: n, Err: err}
		n++
		if err := fn(header, r); err != nil {
			return n, header, err
		}
	}
}
