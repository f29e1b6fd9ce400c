package server

import (
	"cmp"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/venn-revops/venn/shared/democrm/orggen"
)

// Server serves an Org over the Salesforce protocols Venn uses: OAuth 2.0
// (client credentials and JWT bearer), REST query/queryAll with
// nextRecordsUrl paging, COUNT(), describe, limits and Bulk API 2.0 query
// jobs, with Salesforce's error shapes and the Sforce-Limit-Info header.
// Faults can be injected while it runs (Inject, SetAPIUsage,
// FailNextBulkJob); every method is safe for concurrent use.
type Server struct {
	org  *orggen.Org
	opts serverOptions

	mu       sync.Mutex
	tokens   map[string]bool
	cursors  map[string]*cursor
	jobs     map[string]*bulkJob
	opened   []string // cursor locators and job Ids, oldest first, for eviction
	faults   []*faultState
	failJobs []string
	seq      int64
	apiUsed  int64
	apiMax   int64
	counts   Counts

	inFlight atomic.Int64
}

type serverOptions struct {
	clientID, clientSecret string
	jwtClientID, jwtUser   string
	jwtKey                 *rsa.PublicKey
	jwtAudience            string
	pageSize               int
	varyPages              bool
	bulkPageSize           int
	bulkPolls              int
	dailyLimit             int64
	logger                 *slog.Logger
}

// Option configures a Server.
type Option func(*serverOptions)

// WithClientCredentials accepts the OAuth client-credentials flow for this
// connected app. Default: client "venn-demo", secret "venn-demo-secret".
func WithClientCredentials(clientID, secret string) Option {
	return func(o *serverOptions) { o.clientID, o.clientSecret = clientID, secret }
}

// WithJWTBearer accepts the OAuth JWT bearer flow: an RS256 assertion signed
// by the private half of key, issued by clientID for username. audience is
// the expected aud claim; empty accepts the server's own base URL and
// https://login.salesforce.com.
func WithJWTBearer(clientID, username string, key *rsa.PublicKey, audience string) Option {
	return func(o *serverOptions) {
		o.jwtClientID, o.jwtUser, o.jwtKey, o.jwtAudience = clientID, username, key, audience
	}
}

// WithPageSize caps the records per REST query page (default 2000, the
// Salesforce maximum). A client's smaller batchSize is honoured down to 200,
// as Salesforce does.
func WithPageSize(n int) Option { return func(o *serverOptions) { o.pageSize = n } }

// WithVaryingPageSizes makes REST pages hold between half and all of the
// page size (deterministically per page), as Salesforce may return fewer
// records than asked for; a client must follow nextRecordsUrl, not count.
func WithVaryingPageSizes() Option { return func(o *serverOptions) { o.varyPages = true } }

// WithBulkPageSize sets the Bulk API results page size used when the client
// sends no maxRecords (default 10000).
func WithBulkPageSize(n int) Option { return func(o *serverOptions) { o.bulkPageSize = n } }

// WithBulkPolls sets how many status polls a Bulk job takes to complete
// (default 2: InProgress, then JobComplete).
func WithBulkPolls(n int) Option { return func(o *serverOptions) { o.bulkPolls = n } }

// WithDailyLimit sets the daily API request allocation (default 100000).
func WithDailyLimit(n int64) Option { return func(o *serverOptions) { o.dailyLimit = n } }

// WithLogger logs each request at debug level and faults at info level.
func WithLogger(l *slog.Logger) Option { return func(o *serverOptions) { o.logger = l } }

// New serves org.
func New(org *orggen.Org, opts ...Option) *Server {
	o := serverOptions{clientID: "venn-demo", clientSecret: "venn-demo-secret", pageSize: 2000, bulkPageSize: 10000, bulkPolls: 2, dailyLimit: 100000}
	for _, f := range opts {
		f(&o)
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	return &Server{org: org, opts: o, tokens: map[string]bool{}, cursors: map[string]*cursor{}, jobs: map[string]*bulkJob{}, apiMax: o.dailyLimit}
}

// Start serves on a random port of 127.0.0.1. It returns the base URL (the
// login URL and instance URL) and a function that stops the server.
func (s *Server) Start() (baseURL string, closeFn func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("democrm: listen on 127.0.0.1: %v", err))
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }
}

// Route is a set of request kinds, for fault matching and counting.
type Route uint

// Routes.
const (
	RouteToken           Route = 1 << iota // POST /services/oauth2/token
	RouteQuery                             // first page of query, queryAll and COUNT()
	RouteQueryMore                         // a nextRecordsUrl page
	RouteDescribe                          // sobjects/<Obj>/describe
	RouteLimits                            // limits
	RouteBulkCreate                        // POST jobs/query
	RouteBulkPoll                          // GET jobs/query/<id>
	RouteBulkResults                       // GET jobs/query/<id>/results
	RouteGetDeleted                        // GET sobjects/<Obj>/deleted/?start=&end=
	RouteGetUpdated                        // GET sobjects/<Obj>/updated/?start=&end=
	RouteBulkDelete                        // DELETE jobs/query/<id>
	RouteVersions                          // GET /services/data/ (no session needed)
	RouteDescribeGlobal                    // GET sobjects/ (the org's objects)
	RouteBulkAbort                         // PATCH jobs/query/<id> {"state":"Aborted"}
	RouteCompositeUpdate                   // PATCH composite/sobjects (sObject Collections update)

	// RoutePages is every REST query page, first or next.
	RoutePages = RouteQuery | RouteQueryMore
	// RouteAPI is every authenticated API request.
	RouteAPI = RoutePages | RouteDescribe | RouteLimits | RouteBulkCreate | RouteBulkPoll | RouteBulkResults |
		RouteGetDeleted | RouteGetUpdated | RouteBulkDelete | RouteDescribeGlobal | RouteBulkAbort | RouteCompositeUpdate
	// RouteAny is every request.
	RouteAny = RouteAPI | RouteToken
)

// Fault makes matching requests misbehave: the first After matching
// requests pass, then the next Times (default 1) are delayed by Delay,
// call Modify, and fail with Status if it is set:
//   - 401: INVALID_SESSION_ID, and the session used is revoked
//   - 403: REQUEST_LIMIT_EXCEEDED
//   - 429, 500, 502, 503: a transient error, with Retry-After if set
//
// or, with Body set and no Status, answer 200 with a broken body.
type Fault struct {
	Route      Route
	After      int
	Times      int
	Status     int
	RetryAfter time.Duration
	Delay      time.Duration
	// Body breaks the whole response body of a request that is otherwise
	// served normally (status 200): see BodyFault.
	Body BodyFault
	// Modify runs before the request is served, e.g. to Touch a record
	// between two pages of an extract.
	Modify func()
}

// BodyFault is a broken response body: the envelope, not one record.
type BodyFault int

// Body faults.
const (
	// BodyTruncated serves the first half of the real body (a JSON page
	// or CSV results cut mid-record), with status 200.
	BodyTruncated BodyFault = iota + 1
	// BodyNotJSON serves an HTML maintenance page with status 200 and
	// Content-Type text/html, as a proxy in front of an org may.
	BodyNotJSON
)

type faultState struct {
	Fault
	seen, fired int
}

// Inject adds a fault. Faults are matched in the order injected; the first
// that fires decides the response.
func (s *Server) Inject(f Fault) {
	if f.Times == 0 {
		f.Times = 1
	}
	s.mu.Lock()
	s.faults = append(s.faults, &faultState{Fault: f})
	s.mu.Unlock()
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	s.faults = nil
	s.failJobs = nil
	s.mu.Unlock()
}

// FailNextBulkJob makes the next Bulk query job created end in state
// Failed with errorMessage msg.
func (s *Server) FailNextBulkJob(msg string) {
	s.mu.Lock()
	s.failJobs = append(s.failJobs, msg)
	s.mu.Unlock()
}

// SetAPIUsage sets the daily API usage (used of max requests), e.g. to
// simulate an allocation nearly spent.
func (s *Server) SetAPIUsage(used, max int64) {
	s.mu.Lock()
	s.apiUsed, s.apiMax = used, max
	s.mu.Unlock()
}

// APIUsage returns the daily API usage.
func (s *Server) APIUsage() (used, max int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.apiUsed, s.apiMax
}

// Counts are the requests the server has received, so tests can assert how
// many calls a client made.
type Counts struct {
	Total       int // every request
	Token       int
	Query       int // first pages
	QueryMore   int // nextRecordsUrl pages
	Describe    int
	Limits      int
	BulkCreate  int
	BulkPoll    int
	BulkResults int
	GetDeleted  int
	GetUpdated  int
	BulkDelete  int
	Versions    int
	// DescribeGlobal counts GET sobjects/ (the object list).
	DescribeGlobal int
	BulkAbort      int
	// CompositeUpdate counts sObject Collections updates (PATCH
	// composite/sobjects), as lead-score write-back sends them.
	CompositeUpdate int
	Faults          int // requests a fault answered with an error or a broken body
	MaxInFlight     int // the most requests served at the same time
}

// Counts returns the request counters.
func (s *Server) Counts() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts
}

// ResetCounts zeroes the request counters.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	s.counts = Counts{}
	s.mu.Unlock()
}

// apiError is one entry of Salesforce's error array.
type apiError struct {
	Message   string `json:"message"`
	ErrorCode string `json:"errorCode"`
}

func (s *Server) fail(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	b, _ := json.Marshal([]apiError{{Message: msg, ErrorCode: code}})
	_, _ = w.Write(b)
}

var dataPath = regexp.MustCompile(`^/services/data/(v\d+\.\d)/(.*)$`)

// ServeHTTP answers one request: the token endpoint, or an API call under
// /services/data/vNN.N/ after the injected faults, the session check and
// the daily limit.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	s.mu.Lock()
	s.counts.Total++
	s.counts.MaxInFlight = max(s.counts.MaxInFlight, int(n))
	s.mu.Unlock()
	s.opts.logger.Debug("democrm request", "method", r.Method, "path", r.URL.Path)

	if r.URL.Path == "/services/oauth2/token" {
		s.count(RouteToken)
		if answered, body := s.applyFaults(w, r, RouteToken, ""); answered {
			return
		} else if body != 0 {
			s.serveBroken(w, r, s.token, body)
			return
		}
		s.token(w, r)
		return
	}
	if r.URL.Path == "/services/data" || r.URL.Path == "/services/data/" {
		s.count(RouteVersions)
		if answered, _ := s.applyFaults(w, r, RouteVersions, ""); !answered {
			s.versions(w, r)
		}
		return
	}
	m := dataPath.FindStringSubmatch(r.URL.Path)
	if m == nil {
		s.fail(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	version, rest := m[1], m[2]
	route, handler := s.route(r.Method, version, rest)
	if handler == nil || !knownVersion(version) {
		s.fail(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	s.count(route)
	used, limit := s.APIUsage()
	w.Header().Set("Sforce-Limit-Info", fmt.Sprintf("api-usage=%d/%d", used, limit))
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	answered, body := s.applyFaults(w, r, route, token)
	if answered {
		return
	}
	s.mu.Lock()
	valid := s.tokens[token]
	s.mu.Unlock()
	if !valid {
		s.fail(w, http.StatusUnauthorized, "INVALID_SESSION_ID", "Session expired or invalid")
		return
	}
	s.mu.Lock()
	s.apiUsed++
	over := s.apiUsed > s.apiMax
	w.Header().Set("Sforce-Limit-Info", fmt.Sprintf("api-usage=%d/%d", s.apiUsed, s.apiMax))
	s.mu.Unlock()
	if over {
		s.fail(w, http.StatusForbidden, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
		return
	}
	if body != 0 {
		s.serveBroken(w, r, handler, body)
		return
	}
	handler(w, r)
}

func (s *Server) count(route Route) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch route {
	case RouteToken:
		s.counts.Token++
	case RouteQuery:
		s.counts.Query++
	case RouteQueryMore:
		s.counts.QueryMore++
	case RouteDescribe:
		s.counts.Describe++
	case RouteLimits:
		s.counts.Limits++
	case RouteBulkCreate:
		s.counts.BulkCreate++
	case RouteBulkPoll:
		s.counts.BulkPoll++
	case RouteBulkResults:
		s.counts.BulkResults++
	case RouteGetDeleted:
		s.counts.GetDeleted++
	case RouteGetUpdated:
		s.counts.GetUpdated++
	case RouteBulkDelete:
		s.counts.BulkDelete++
	case RouteVersions:
		s.counts.Versions++
	case RouteDescribeGlobal:
		s.counts.DescribeGlobal++
	case RouteBulkAbort:
		s.counts.BulkAbort++
	case RouteCompositeUpdate:
		s.counts.CompositeUpdate++
	}
}

func (s *Server) route(method, version, rest string) (Route, http.HandlerFunc) {
	parts := strings.Split(rest, "/")
	switch {
	case method == http.MethodGet && (rest == "query" || rest == "queryAll"):
		return RouteQuery, func(w http.ResponseWriter, r *http.Request) { s.query(w, r, version, rest == "queryAll") }
	case method == http.MethodGet && len(parts) == 2 && (parts[0] == "query" || parts[0] == "queryAll"):
		return RouteQueryMore, func(w http.ResponseWriter, r *http.Request) { s.queryMore(w, r, version, parts[1]) }
	case method == http.MethodGet && (len(parts) == 3 || len(parts) == 4 && parts[3] == "") && parts[0] == "sobjects" && parts[2] == "describe":
		return RouteDescribe, func(w http.ResponseWriter, r *http.Request) { s.describe(w, version, parts[1]) }
	case method == http.MethodGet && (rest == "sobjects" || rest == "sobjects/"):
		return RouteDescribeGlobal, func(w http.ResponseWriter, r *http.Request) { s.describeGlobal(w, version) }
	case method == http.MethodPatch && rest == "composite/sobjects":
		return RouteCompositeUpdate, s.compositeUpdate
	case method == http.MethodGet && rest == "limits":
		return RouteLimits, s.limits
	case method == http.MethodPost && rest == "jobs/query":
		return RouteBulkCreate, func(w http.ResponseWriter, r *http.Request) { s.bulkCreate(w, r, version) }
	case method == http.MethodGet && len(parts) == 3 && parts[0] == "jobs" && parts[1] == "query":
		return RouteBulkPoll, func(w http.ResponseWriter, r *http.Request) { s.bulkPoll(w, parts[2]) }
	case method == http.MethodGet && len(parts) == 4 && parts[0] == "jobs" && parts[1] == "query" && parts[3] == "results":
		return RouteBulkResults, func(w http.ResponseWriter, r *http.Request) { s.bulkResults(w, r, parts[2]) }
	case method == http.MethodPatch && len(parts) == 3 && parts[0] == "jobs" && parts[1] == "query":
		return RouteBulkAbort, func(w http.ResponseWriter, r *http.Request) { s.bulkAbort(w, r, parts[2]) }
	case method == http.MethodDelete && len(parts) == 3 && parts[0] == "jobs" && parts[1] == "query":
		return RouteBulkDelete, func(w http.ResponseWriter, r *http.Request) { s.bulkDelete(w, parts[2]) }
	case method == http.MethodGet && (len(parts) == 3 || len(parts) == 4 && parts[3] == "") && parts[0] == "sobjects" && parts[2] == "deleted":
		return RouteGetDeleted, func(w http.ResponseWriter, r *http.Request) { s.replicated(w, r, parts[1], true) }
	case method == http.MethodGet && (len(parts) == 3 || len(parts) == 4 && parts[3] == "") && parts[0] == "sobjects" && parts[2] == "updated":
		return RouteGetUpdated, func(w http.ResponseWriter, r *http.Request) { s.replicated(w, r, parts[1], false) }
	}
	return 0, nil
}

// applyFaults runs the faults matching route; answered is true if one
// answered the request with an error, body is the body fault to apply to
// the normal answer, if any.
func (s *Server) applyFaults(w http.ResponseWriter, r *http.Request, route Route, token string) (answered bool, body BodyFault) {
	var fire []Fault
	s.mu.Lock()
	for _, f := range s.faults {
		if f.Route&route == 0 {
			continue
		}
		f.seen++
		if f.seen > f.After && f.fired < f.Times {
			f.fired++
			fire = append(fire, f.Fault)
		}
	}
	s.mu.Unlock()
	for _, f := range fire {
		if f.Delay > 0 {
			select {
			case <-time.After(f.Delay):
			case <-r.Context().Done():
				return true, 0
			}
		}
		if f.Modify != nil {
			f.Modify()
		}
		if f.Status == 0 {
			if f.Body != 0 && body == 0 {
				body = f.Body
				s.mu.Lock()
				s.counts.Faults++
				s.mu.Unlock()
			}
			continue
		}
		s.mu.Lock()
		s.counts.Faults++
		if f.Status == http.StatusUnauthorized {
			delete(s.tokens, token)
		}
		s.mu.Unlock()
		s.opts.logger.Info("democrm fault", "path", r.URL.Path, "status", f.Status)
		switch f.Status {
		case http.StatusUnauthorized:
			s.fail(w, f.Status, "INVALID_SESSION_ID", "Session expired or invalid")
		case http.StatusForbidden:
			s.fail(w, f.Status, "REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded.")
		default:
			if f.RetryAfter > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(int(f.RetryAfter.Seconds())))
			}
			code := "SERVER_UNAVAILABLE"
			if f.Status == http.StatusTooManyRequests {
				code = "REQUEST_LIMIT_EXCEEDED"
			}
			s.fail(w, f.Status, code, fmt.Sprintf("injected fault: HTTP %d", f.Status))
		}
		return true, 0
	}
	return false, body
}

// bufferedResponse captures a handler's answer so a body fault can break it.
type bufferedResponse struct {
	header http.Header
	status int
	body   []byte
}

func (b *bufferedResponse) Header() http.Header { return b.header }
func (b *bufferedResponse) Write(p []byte) (int, error) {
	b.body = append(b.body, p...)
	return len(p), nil
}
func (b *bufferedResponse) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

// serveBroken serves handler's answer with body fault f applied.
func (s *Server) serveBroken(w http.ResponseWriter, r *http.Request, handler http.HandlerFunc, f BodyFault) {
	buf := &bufferedResponse{header: http.Header{}}
	handler(buf, r)
	for k, v := range buf.header {
		w.Header()[k] = v
	}
	s.opts.logger.Info("democrm body fault", "path", r.URL.Path, "fault", int(f))
	switch f {
	case BodyTruncated:
		w.WriteHeader(cmp.Or(buf.status, http.StatusOK))
		_, _ = w.Write(buf.body[:len(buf.body)/2])
	default:
		w.Header().Set("Content-Type", "text/html;charset=UTF-8")
		w.Header().Del("Sforce-Locator")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("<html><head><title>Down for Maintenance</title></head><body>This org is down for maintenance.</body></html>\n"))
	}
}

// maxOpen caps the cursors and Bulk jobs kept, oldest evicted first (then
// INVALID_QUERY_LOCATOR / NOT_FOUND), so abandoned queries do not hold a
// large org's record lists forever. Salesforce keeps 10 cursors per user;
// this is more generous so parallel extracts of every object fit.
const maxOpen = 64

// remember registers an open cursor or job under s.mu, evicting the oldest.
func (s *Server) remember(id string) {
	s.opened = append(s.opened, id)
	for len(s.opened) > maxOpen {
		delete(s.cursors, s.opened[0])
		delete(s.jobs, s.opened[0])
		s.opened = s.opened[1:]
	}
}

func (s *Server) newID(prefix string) string {
	s.mu.Lock()
	s.seq++
	n := s.seq
	s.mu.Unlock()
	return orggen.MakeID(prefix, n)[:15]
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// oauthError is the OAuth endpoint's error body (not the API's array form).
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"error": code, "error_description": desc})
	_, _ = w.Write(b)
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		oauthError(w, http.StatusBadRequest, "invalid_request", "must use HTTP POST")
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	base := "http://" + r.Host
	switch r.PostForm.Get("grant_type") {
	case "client_credentials":
		if r.PostForm.Get("client_id") != s.opts.clientID || r.PostForm.Get("client_secret") != s.opts.clientSecret {
			oauthError(w, http.StatusBadRequest, "invalid_client", "invalid client credentials")
			return
		}
	case "urn:ietf:params:oauth:grant-type:jwt-bearer":
		if err := s.verifyJWT(r.PostForm.Get("assertion"), base); err != nil {
			oauthError(w, http.StatusBadRequest, "invalid_grant", err.Error())
			return
		}
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant type not supported")
		return
	}
	tok := "00D5g0000000001!" + randomHex(24)
	id := base + "/id/00D5g0000000001EAA/005000000000099AAA"
	issued := strconv.FormatInt(time.Now().UnixMilli(), 10)
	// Salesforce signs id + issued_at with the connected app's consumer
	// secret (HMAC-SHA256, base64), so a client can check the response.
	mac := hmac.New(sha256.New, []byte(s.opts.clientSecret))
	mac.Write([]byte(id + issued))
	s.mu.Lock()
	s.tokens[tok] = true
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	b, _ := json.Marshal(map[string]string{
		"access_token": tok,
		"instance_url": base,
		"id":           id,
		"token_type":   "Bearer",
		"issued_at":    issued,
		"signature":    base64.StdEncoding.EncodeToString(mac.Sum(nil)),
	})
	_, _ = w.Write(b)
}

// verifyJWT checks an RS256 assertion: signature, iss, sub, aud and exp.
func (s *Server) verifyJWT(assertion, base string) error {
	if s.opts.jwtKey == nil {
		return errors.New("JWT bearer flow is not configured for this org")
	}
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return errors.New("invalid assertion: not a JWT")
	}
	var header struct {
		Alg string `json:"alg"`
	}
	var claims struct {
		Iss string `json:"iss"`
		Sub string `json:"sub"`
		Aud string `json:"aud"`
		Exp int64  `json:"exp"`
	}
	for i, dst := range []any{&header, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			return fmt.Errorf("invalid assertion: part %d: %v", i, err)
		}
		if err := json.Unmarshal(raw, dst, json.RejectUnknownMembers(false)); err != nil {
			return fmt.Errorf("invalid assertion: part %d: %v", i, err)
		}
	}
	if header.Alg != "RS256" {
		return fmt.Errorf("invalid assertion: alg %q, want RS256", header.Alg)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return errors.New("invalid assertion: signature encoding")
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(s.opts.jwtKey, crypto.SHA256, sum[:], sig); err != nil {
		return errors.New("invalid assertion: signature does not verify")
	}
	switch {
	case claims.Iss != s.opts.jwtClientID:
		return errors.New("invalid assertion: unknown issuer (client id)")
	case claims.Sub != s.opts.jwtUser:
		return errors.New("user hasn't approved this consumer")
	case s.opts.jwtAudience != "" && claims.Aud != s.opts.jwtAudience,
		s.opts.jwtAudience == "" && claims.Aud != base && claims.Aud != "https://login.salesforce.com":
		return fmt.Errorf("audience %q is invalid", claims.Aud)
	case time.Unix(claims.Exp, 0).Before(time.Now()):
		return errors.New("expired authorization code")
	}
	return nil
}

func (s *Server) writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v, json.Deterministic(true))
	if err != nil {
		s.fail(w, http.StatusInternalServerError, "UNKNOWN_EXCEPTION", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	_, _ = w.Write(b)
}

func (s *Server) limits(w http.ResponseWriter, _ *http.Request) {
	used, max := s.APIUsage()
	s.writeJSON(w, map[string]any{
		"DailyApiRequests":     map[string]int64{"Max": max, "Remaining": max - used},
		"DailyBulkV2QueryJobs": map[string]int64{"Max": 10000, "Remaining": 10000},
	})
}
