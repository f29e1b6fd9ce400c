// Package athenafake is a local Athena speaking the Athena JSON 1.1 wire
// protocol, executing the queries on DuckDB, for tests only (it takes a
// *testing.T): shared/athenakpi's runner is driven through the REAL SDK
// client (its serializers, SigV4 signing, paginator, error decoding and
// retryer) against it.
//
// Why a protocol fake: nothing installable here speaks Athena (LocalStack
// and moto come from PyPI or Docker). It serves the four operations the
// runner calls: StartQueryExecution (the query runs on its own goroutine,
// so a poll can see it QUEUED or RUNNING), GetQueryExecution (state,
// failure reason, bytes scanned), GetQueryResults (pages of at most
// MaxResults rows, the header row first, every value as text, NULL as an
// absent VarCharValue, as Athena returns them) and StopQueryExecution.
// What it cannot show is Trino itself: the runner's tests compile for
// DuckDB's dialect (kpisql.DuckDB); the Trino text is covered by golden
// files and by the dialect tests of shared/kpisql.
package athenafake

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Fake is the local Athena over one DuckDB database.
type Fake struct {
	t  *testing.T
	db *sql.DB
	// Database is the only QueryExecutionContext.Database accepted (the
	// DuckDB schema the tables live in: "main" for the views file).
	Database string
	// Running is how many GetQueryExecution calls of a finished query
	// still answer RUNNING: the runner must poll past them.
	Running int

	mu      sync.Mutex
	queries map[string]*query
	Calls   []string // operations in order
	seq     int
}

type query struct {
	text    string
	done    chan struct{}
	cols    []string
	rows    [][]*string
	err     error
	polls   int
	stopped bool
	took    time.Duration
}

// Start serves Athena over db on 127.0.0.1 and returns the fake and its
// endpoint URL. The server stops when the test ends.
func Start(t *testing.T, db *sql.DB, database string) (*Fake, string) {
	t.Helper()
	f := &Fake{t: t, db: db, Database: database, queries: map[string]*query{}}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AmazonAthena.")
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/":
		fail(w, "InvalidRequestException", fmt.Sprintf("%s %s", r.Method, r.URL.Path))
		return
	case !ok:
		fail(w, "UnknownOperationException", "X-Amz-Target "+r.Header.Get("X-Amz-Target"))
		return
	case r.Header.Get("Content-Type") != "application/x-amz-json-1.1":
		fail(w, "InvalidRequestException", "Content-Type "+r.Header.Get("Content-Type"))
		return
	case !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 "):
		fail(w, "UnrecognizedClientException", "request is not SigV4-signed")
		return
	}
	var in map[string]json.RawMessage
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(&in); err != nil {
		fail(w, "InvalidRequestException", "body: "+err.Error())
		return
	}
	f.mu.Lock()
	f.Calls = append(f.Calls, op)
	f.mu.Unlock()
	str := func(k string) string {
		var s string
		_ = json.Unmarshal(in[k], &s)
		return s
	}
	switch op {
	case "StartQueryExecution":
		var qc struct{ Database, Catalog string }
		_ = json.Unmarshal(in["QueryExecutionContext"], &qc)
		if qc.Database != f.Database {
			fail(w, "InvalidRequestException", fmt.Sprintf("database %q does not exist", qc.Database))
			return
		}
		text := str("QueryString")
		if text == "" {
			fail(w, "InvalidRequestException", "QueryString is required")
			return
		}
		f.mu.Lock()
		f.seq++
		id := fmt.Sprintf("00000000-0000-4000-8000-%012d", f.seq)
		q := &query{text: text, done: make(chan struct{})}
		f.queries[id] = q
		f.mu.Unlock()
		go f.run(q)
		reply(w, map[string]any{"QueryExecutionId": id})
	case "GetQueryExecution":
		q, id := f.lookup(w, str("QueryExecutionId"))
		if q == nil {
			return
		}
		state, reason := "RUNNING", ""
		select {
		case <-q.done:
			f.mu.Lock()
			q.polls++
			waiting := q.polls <= f.Running
			f.mu.Unlock()
			switch {
			case waiting:
			case q.stopped:
				state, reason = "CANCELLED", "Query cancelled by user"
			case q.err != nil:
				state, reason = "FAILED", "SYNTAX_ERROR: "+q.err.Error()
			default:
				state = "SUCCEEDED"
			}
		default:
		}
		status := map[string]any{"State": state}
		if reason != "" {
			status["StateChangeReason"] = reason
		}
		reply(w, map[string]any{"QueryExecution": map[string]any{
			"QueryExecutionId": id, "Query": q.text, "Status": status,
			"Statistics": map[string]any{"DataScannedInBytes": len(q.text), "EngineExecutionTimeInMillis": q.took.Milliseconds()},
		}})
	case "GetQueryResults":
		q, _ := f.lookup(w, str("QueryExecutionId"))
		if q == nil {
			return
		}
		select {
		case <-q.done:
		default:
			fail(w, "InvalidRequestException", "Query has not yet finished. Current state: RUNNING")
			return
		}
		if q.err != nil || q.stopped {
			fail(w, "InvalidRequestException", "Query did not succeed")
			return
		}
		f.results(w, q, str("NextToken"), in["MaxResults"])
	case "StopQueryExecution":
		q, _ := f.lookup(w, str("QueryExecutionId"))
		if q == nil {
			return
		}
		f.mu.Lock()
		q.stopped = true
		f.mu.Unlock()
		reply(w, map[string]any{})
	default:
		fail(w, "UnknownOperationException", op)
	}
}

func (f *Fake) lookup(w http.ResponseWriter, id string) (*query, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := f.queries[id]
	if q == nil {
		fail(w, "InvalidRequestException", "QueryExecution "+id+" was not found")
	}
	return q, id
}

// run executes the query on DuckDB, every column read as text.
func (f *Fake) run(q *query) {
	defer close(q.done)
	t0 := time.Now()
	defer func() { q.took = time.Since(t0) }()
	rs, err := f.db.Query("SELECT CAST(COLUMNS(*) AS VARCHAR) FROM (" + q.text + ") AS q")
	if err != nil {
		q.err = err
		return
	}
	defer rs.Close()
	if q.cols, q.err = rs.Columns(); q.err != nil {
		return
	}
	for rs.Next() {
		vals := make([]sql.NullString, len(q.cols))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if q.err = rs.Scan(ptrs...); q.err != nil {
			return
		}
		row := make([]*string, len(vals))
		for i, v := range vals {
			if v.Valid {
				row[i] = &v.String
			}
		}
		q.rows = append(q.rows, row)
	}
	q.err = rs.Err()
}

// results serves one page: the header row first on the first page, then
// at most MaxResults rows in all per page (Athena counts the header).
func (f *Fake) results(w http.ResponseWriter, q *query, token string, rawMax json.RawMessage) {
	max := 1000
	if len(rawMax) > 0 {
		if err := json.Unmarshal(rawMax, &max); err != nil || max < 1 || max > 1000 {
			fail(w, "InvalidRequestException", "MaxResults must be 1..1000")
			return
		}
	}
	from := 0
	if token != "" {
		n, err := strconv.Atoi(token)
		if err != nil || n < 0 || n > len(q.rows) {
			fail(w, "InvalidRequestException", "invalid NextToken")
			return
		}
		from = n
	}
	var rows []map[string]any
	cell := func(v *string) map[string]any {
		if v == nil {
			return map[string]any{}
		}
		return map[string]any{"VarCharValue": *v}
	}
	if token == "" {
		hdr := make([]map[string]any, len(q.cols))
		for i, c := range q.cols {
			hdr[i] = cell(&c)
		}
		rows = append(rows, map[string]any{"Data": hdr})
	}
	to := min(len(q.rows), from+max-len(rows))
	for _, r := range q.rows[from:to] {
		data := make([]map[string]any, len(r))
		for i, v := range r {
			data[i] = cell(v)
		}
		rows = append(rows, map[string]any{"Data": data})
	}
	info := make([]map[string]any, len(q.cols))
	for i, c := range q.cols {
		info[i] = map[string]any{"Name": c, "Label": c, "Type": "varchar"}
	}
	out := map[string]any{"ResultSet": map[string]any{"Rows": rows, "ResultSetMetadata": map[string]any{"ColumnInfo": info}}, "UpdateCount": 0}
	if to < len(q.rows) {
		out["NextToken"] = strconv.Itoa(to)
	}
	reply(w, out)
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}
