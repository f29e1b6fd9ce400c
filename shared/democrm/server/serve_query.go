package server

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/democrm/orggen"
)

// cursor is an open REST query: the records selected when it was opened,
// served page by page through nextRecordsUrl. Records are rendered when
// their page is served, so a change between pages shows up, as in
// Salesforce.
type cursor struct {
	sel *orggen.Selection
}

// queryFailure answers a SOQL parse error with Salesforce's 400.
func (s *Server) queryFailure(w http.ResponseWriter, err error) {
	var se *orggen.QueryError
	if errors.As(err, &se) {
		s.fail(w, http.StatusBadRequest, se.Code, se.Message)
		return
	}
	s.fail(w, http.StatusBadRequest, "MALFORMED_QUERY", err.Error())
}

func (s *Server) query(w http.ResponseWriter, r *http.Request, version string, all bool) {
	sel, err := s.org.Query(r.URL.Query().Get("q"), all)
	if err != nil {
		s.queryFailure(w, err)
		return
	}
	if sel.IsCount() {
		s.writeJSON(w, map[string]any{"totalSize": sel.Len(), "done": true, "records": []any{}})
		return
	}
	c := &cursor{sel: sel}
	locator := s.newID("01g")
	size := s.pageSize(r)
	if sel.Len() > size {
		s.mu.Lock()
		s.cursors[locator] = c
		s.remember(locator)
		s.mu.Unlock()
	}
	s.writePage(w, version, c, locator, 0, size, all)
}

// pageSize is the records per page: the server's cap, lowered by the
// client's Sforce-Query-Options batchSize (which Salesforce clamps to
// 200..2000).
func (s *Server) pageSize(r *http.Request) int {
	size := s.opts.pageSize
	for _, opt := range strings.Split(r.Header.Get("Sforce-Query-Options"), ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(opt), "=")
		if ok && strings.EqualFold(k, "batchSize") {
			if n, err := strconv.Atoi(v); err == nil {
				size = min(size, max(200, min(n, 2000)))
			}
		}
	}
	return max(size, 1)
}

func (s *Server) queryMore(w http.ResponseWriter, r *http.Request, version, locatorOffset string) {
	i := strings.LastIndexByte(locatorOffset, '-')
	var offset int
	var err error
	if i > 0 {
		offset, err = strconv.Atoi(locatorOffset[i+1:])
	}
	if i <= 0 || err != nil || offset < 0 {
		s.fail(w, http.StatusBadRequest, "INVALID_QUERY_LOCATOR", "invalid query locator")
		return
	}
	locator := locatorOffset[:i]
	s.mu.Lock()
	c := s.cursors[locator]
	s.mu.Unlock()
	if c == nil || offset >= c.sel.Len() {
		s.fail(w, http.StatusBadRequest, "INVALID_QUERY_LOCATOR", "invalid query locator")
		return
	}
	s.writePage(w, version, c, locator, offset, s.pageSize(r), strings.HasPrefix(r.URL.Path, "/services/data/"+version+"/queryAll"))
}

// writePage renders records [offset, offset+size) of c.
func (s *Server) writePage(w http.ResponseWriter, version string, c *cursor, locator string, offset, size int, all bool) {
	if s.opts.varyPages && size > 1 {
		// A deterministic scramble of the offset (Knuth's multiplicative
		// hash), so page sizes vary but a rerun sees the same pages.
		size -= int((uint64(offset) * 2654435761 >> 7) % uint64(size/2+1))
	}
	total := c.sel.Len()
	end := min(offset+size, total)
	done := end == total
	b := make([]byte, 0, 64+(end-offset)*600)
	b = append(b, `{"totalSize":`...)
	b = strconv.AppendInt(b, int64(total), 10)
	b = append(b, `,"done":`...)
	b = strconv.AppendBool(b, done)
	if !done {
		b = append(b, `,"nextRecordsUrl":"/services/data/`...)
		b = append(b, version...)
		if all {
			b = append(b, "/queryAll/"...)
		} else {
			b = append(b, "/query/"...)
		}
		b = append(b, locator...)
		b = append(b, '-')
		b = strconv.AppendInt(b, int64(end), 10)
		b = append(b, '"')
	}
	b = append(b, `,"records":[`...)
	obj, fields := c.sel.Object(), c.sel.Fields()
	first := true
	c.sel.Rows(offset, end, func(row *crm.Row, d *orggen.WireDefect) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONRecord(b, version, obj, fields, row, d)
	})
	b = append(b, "]}"...)
	if done {
		s.mu.Lock()
		delete(s.cursors, locator)
		s.mu.Unlock()
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	_, _ = w.Write(b)
}

// bulkJob is a Bulk API 2.0 query job. Its records are selected when it is
// created and served as CSV pages after it completes.
type bulkJob struct {
	id, operation, version string
	sel                    *orggen.Selection
	polls                  int
	failMsg                string
	created                time.Time
	aborted                bool
}

func (j *bulkJob) state(completeAfter int) string {
	switch {
	case j.aborted:
		return "Aborted"
	case j.polls == 0:
		return "UploadComplete"
	case j.polls < completeAfter:
		return "InProgress"
	case j.failMsg != "":
		return "Failed"
	}
	return "JobComplete"
}

// jobInfo is a query job's information, as Bulk API 2.0 answers a create
// (the first fields) and a poll (all of them).
func (s *Server) jobInfo(j *bulkJob, poll bool) map[string]any {
	st := j.state(s.opts.bulkPolls)
	info := map[string]any{
		"id": j.id, "operation": j.operation, "object": j.sel.Object().Name,
		"createdById": "005000000000099AAA", "createdDate": crm.FormatDateTime(j.created),
		"systemModstamp": crm.FormatDateTime(j.created), "state": st,
		"concurrencyMode": "Parallel", "contentType": "CSV",
		// A JSON number with its decimal, as Salesforce writes it: 62.0.
		"apiVersion": jsontext.Value(strings.TrimPrefix(j.version, "v")),
		"lineEnding": "LF", "columnDelimiter": "COMMA",
	}
	if !poll {
		return info
	}
	info["jobType"] = "V2Query"
	info["retries"] = 0
	info["isPkChunkingSupported"] = true
	processed, ms := 0, 0
	if st == "JobComplete" {
		// The time is nominal: the demo selects at create time.
		processed, ms = j.sel.Len(), 40+j.sel.Len()/100
	}
	info["numberRecordsProcessed"] = processed
	info["totalProcessingTime"] = ms
	if st == "Failed" {
		info["errorMessage"] = j.failMsg
	}
	return info
}

func (s *Server) bulkCreate(w http.ResponseWriter, r *http.Request, version string) {
	var req struct {
		Operation string `json:"operation"`
		Query     string `json:"query"`
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err == nil {
		err = json.Unmarshal(body, &req, json.RejectUnknownMembers(false))
	}
	if err != nil {
		s.fail(w, http.StatusBadRequest, "JSON_PARSER_ERROR", fmt.Sprintf("cannot read the job request: %v", err))
		return
	}
	if req.Operation != "query" && req.Operation != "queryAll" {
		s.fail(w, http.StatusBadRequest, "INVALIDJOB", fmt.Sprintf("operation %q is not query or queryAll", req.Operation))
		return
	}
	sel, err := s.org.Query(req.Query, req.Operation == "queryAll")
	if err != nil {
		s.queryFailure(w, err)
		return
	}
	if sel.IsCount() {
		s.fail(w, http.StatusBadRequest, "API_ERROR", "Aggregate Relationships not supported in Bulk Query")
		return
	}
	j := &bulkJob{id: s.newID("750"), operation: req.Operation, version: version, sel: sel, created: time.Now().UTC()}
	s.mu.Lock()
	if len(s.failJobs) > 0 {
		j.failMsg, s.failJobs = s.failJobs[0], s.failJobs[1:]
	}
	s.jobs[j.id] = j
	s.remember(j.id)
	s.mu.Unlock()
	s.writeJSON(w, s.jobInfo(j, false))
}

func (s *Server) bulkPoll(w http.ResponseWriter, id string) {
	s.mu.Lock()
	j := s.jobs[id]
	var info map[string]any
	if j != nil {
		j.polls++
		info = s.jobInfo(j, true)
	}
	s.mu.Unlock()
	if j == nil {
		s.fail(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	s.writeJSON(w, info)
}

// bulkAbort answers PATCH jobs/query/<id> with {"state":"Aborted"}: the
// job stops and its results are no longer served.
func (s *Server) bulkAbort(w http.ResponseWriter, r *http.Request, id string) {
	var req struct {
		State string `json:"state"`
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err == nil {
		err = json.Unmarshal(body, &req, json.RejectUnknownMembers(false))
	}
	if err != nil || req.State != "Aborted" {
		s.fail(w, http.StatusBadRequest, "INVALIDJOBSTATE", `the only state change allowed is {"state":"Aborted"}`)
		return
	}
	s.mu.Lock()
	j := s.jobs[id]
	var info map[string]any
	if j != nil {
		if st := j.state(s.opts.bulkPolls); st == "JobComplete" || st == "Failed" {
			s.mu.Unlock()
			s.fail(w, http.StatusBadRequest, "INVALIDJOBSTATE", fmt.Sprintf("job %s is in state %s and cannot be aborted", id, st))
			return
		}
		j.aborted = true
		info = s.jobInfo(j, true)
	}
	s.mu.Unlock()
	if j == nil {
		s.fail(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	s.writeJSON(w, info)
}

func (s *Server) bulkResults(w http.ResponseWriter, r *http.Request, id string) {
	s.mu.Lock()
	j := s.jobs[id]
	var st string
	if j != nil {
		st = j.state(s.opts.bulkPolls)
	}
	s.mu.Unlock()
	if j == nil {
		s.fail(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	if st != "JobComplete" {
		s.fail(w, http.StatusBadRequest, "INVALIDJOBSTATE", fmt.Sprintf("job %s is in state %s, not JobComplete", id, st))
		return
	}
	size := s.opts.bulkPageSize
	if v := r.URL.Query().Get("maxRecords"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			s.fail(w, http.StatusBadRequest, "INVALID_MAX_RECORDS", "maxRecords must be a positive whole number")
			return
		}
		size = n
	}
	offset := 0
	if loc := r.URL.Query().Get("locator"); loc != "" {
		raw, err := base64.RawStdEncoding.DecodeString(loc)
		if err == nil {
			offset, err = strconv.Atoi(string(raw))
		}
		if err != nil || offset < 0 || offset > j.sel.Len() {
			s.fail(w, http.StatusBadRequest, "INVALID_LOCATOR", "invalid locator")
			return
		}
	}
	end := min(offset+size, j.sel.Len())
	obj, fields := j.sel.Object(), j.sel.Fields()
	b := make([]byte, 0, 256+(end-offset)*400)
	for n, i := range fields {
		if n > 0 {
			b = append(b, ',')
		}
		b = appendCSVCell(b, orggen.FieldName(obj, i))
	}
	b = append(b, '\n')
	written := 0
	j.sel.Rows(offset, end, func(row *crm.Row, d *orggen.WireDefect) {
		b = appendCSVRecord(b, obj, fields, row, d)
		written++
	})
	next := "null"
	if end < j.sel.Len() {
		next = base64.RawStdEncoding.EncodeToString([]byte(strconv.Itoa(end)))
	}
	w.Header().Set("Content-Type", "text/csv")
	w.Header().Set("Sforce-Locator", next)
	w.Header().Set("Sforce-NumberOfRecords", strconv.Itoa(written))
	_, _ = w.Write(b)
}
