package salesforce

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-json-experiment/json"
)

// Client talks to one Salesforce org. It is safe for concurrent use; the
// session is shared and obtained lazily on the first request.
type Client struct {
	cfg  Config
	log  *slog.Logger
	key  *rsa.PrivateKey
	sem  chan struct{}
	auth sync.Mutex // serialises token requests

	mu          sync.Mutex
	token       string
	instanceURL string
	apiUsed     int64 // from the last Sforce-Limit-Info
	apiMax      int64

	// requests and retries count every call the client made, whatever
	// method made it (describe, count and token requests included): a
	// caller's run summary takes them from Totals.
	requests, retries atomic.Int64
}

// Totals counts the requests sent and the retries made by this client
// since it was created, over all methods and goroutines. Pages and
// Records are zero: those belong to one call's Stats.
func (c *Client) Totals() Stats {
	return Stats{Requests: int(c.requests.Load()), Retries: int(c.retries.Load())}
}

// Stats counts what one call did.
type Stats struct {
	Pages    int // result pages read
	Records  int // records passed to the callback
	Retries  int // requests repeated after a transient failure
	Requests int // HTTP requests sent, token requests included
}

// New validates cfg and returns a client. It does not contact Salesforce.
func New(cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, log: cfg.Logger, sem: make(chan struct{}, cfg.MaxConcurrent)}
	if len(cfg.PrivateKeyPEM) > 0 {
		key, err := parseRSAKey(cfg.PrivateKeyPEM)
		if err != nil {
			return nil, err
		}
		c.key = key
	}
	return c, nil
}

func parseRSAKey(pemBytes []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("salesforce: PrivateKeyPEM holds no PEM block")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("salesforce: PrivateKeyPEM: not a PKCS#1 or PKCS#8 RSA key: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("salesforce: PrivateKeyPEM: a %T, want an RSA key", k)
	}
	return rk, nil
}

// APIUsage is the daily API usage the org last reported (Sforce-Limit-Info);
// zeros before the first response.
func (c *Client) APIUsage() (used, max int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.apiUsed, c.apiMax
}

// request describes one API call; path is relative to the instance URL
// (it starts with /services/...).
type request struct {
	method string
	path   string
	body   []byte
	header http.Header
}

// response is a fully read response: pages are buffered so that a body cut
// short is retried as a whole, never half-delivered to the caller.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends req with the session, retrying transient failures and
// re-authenticating once on INVALID_SESSION_ID.
func (c *Client) do(ctx context.Context, st *Stats, req request) (*response, error) {
	reauthed := false
	for attempt := 0; ; {
		if err := c.checkReserve(); err != nil {
			return nil, err
		}
		token, instance, err := c.session(ctx, st)
		if err != nil {
			return nil, err
		}
		resp, err := c.send(ctx, st, req.method, instance+req.path, req.body, req.header, token)
		if err == nil && resp.status < 300 {
			return resp, nil
		}
		var apiErr *APIError
		if err == nil {
			apiErr = parseAPIError(resp.status, resp.body)
			if resp.status == http.StatusUnauthorized {
				if reauthed {
					return nil, fmt.Errorf("%s %s: session rejected again after re-authenticating: %w", req.method, shortPath(req.path), apiErr)
				}
				reauthed = true
				c.log.Info("salesforce session expired; re-authenticating", "path", shortPath(req.path), "code", apiErr.Code)
				c.dropToken(token)
				continue
			}
			if !retryable(apiErr) {
				return nil, fmt.Errorf("%s %s: %w", req.method, shortPath(req.path), apiErr)
			}
			err = apiErr
		} else if ctx.Err() != nil {
			return nil, fmt.Errorf("%s %s: %w", req.method, shortPath(req.path), ctx.Err())
		}
		if attempt >= c.cfg.MaxRetries {
			return nil, fmt.Errorf("%s %s: giving up after %d retries: %w", req.method, shortPath(req.path), attempt, err)
		}
		var header http.Header
		if resp != nil {
			header = resp.header
		}
		wait := c.backoff(attempt, header)
		c.log.Warn("salesforce request failed; retrying", "path", shortPath(req.path), "attempt", attempt+1, "wait", wait, "err", err)
		if err := sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("%s %s: waiting to retry: %w", req.method, shortPath(req.path), err)
		}
		attempt++
		st.Retries++
		c.retries.Add(1)
	}
}

// retryable reports whether a failure is transient: server errors, 429,
// and 403 REQUEST_LIMIT_EXCEEDED (a concurrency limit that clears). Other
// 4xx are the caller's mistake and are never retried.
func retryable(e *APIError) bool {
	return e.Status >= 500 || e.Status == http.StatusTooManyRequests ||
		(e.Status == http.StatusForbidden && e.Code == "REQUEST_LIMIT_EXCEEDED")
}

// backoff is the wait before retry attempt+1: full jitter over an
// exponentially growing cap, but never less than the server's Retry-After.
func (c *Client) backoff(attempt int, h http.Header) time.Duration {
	ceiling := c.cfg.RetryBaseDelay << min(attempt, 20)
	if ceiling <= 0 || ceiling > c.cfg.RetryMaxDelay {
		ceiling = c.cfg.RetryMaxDelay
	}
	wait := time.Duration(rand.Int64N(int64(ceiling) + 1))
	if s := h.Get("Retry-After"); s != "" {
		if secs, err := strconv.Atoi(s); err == nil && secs >= 0 {
			wait = max(wait, time.Duration(secs)*time.Second)
		} else if t, err := http.ParseTime(s); err == nil {
			wait = max(wait, time.Until(t))
		}
	}
	return wait
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// send makes one HTTP round trip under the concurrency cap and reads the
// whole body. A transport error is returned as is (retryable); a
// cancelled context wraps ctx.Err().
func (c *Client) send(ctx context.Context, st *Stats, method, u string, body []byte, header http.Header, token string) (*response, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("%s %s: waiting for a connection slot: %w", method, shortPath(u), ctx.Err())
	}
	defer func() { <-c.sem }()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("salesforce: build request %s: %w", shortPath(u), err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	st.Requests++
	c.requests.Add(1)
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s %s: %w", method, shortPath(u), ctx.Err())
		}
		return nil, err
	}
	defer resp.Body.Close()
	// net/http negotiates gzip and decompresses transparently.
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s %s: reading the response: %w", method, shortPath(u), ctx.Err())
		}
		return nil, fmt.Errorf("reading the response: %w", err)
	}
	c.noteLimits(resp.Header)
	return &response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// shortPath drops the query string (SOQL can be long) for messages.
func shortPath(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		return p[:i]
	}
	return p
}

// noteLimits records the usage from Sforce-Limit-Info: api-usage=N/M.
func (c *Client) noteLimits(h http.Header) {
	info := h.Get("Sforce-Limit-Info")
	for _, part := range strings.Split(info, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || k != "api-usage" {
			continue
		}
		u, m, ok := strings.Cut(v, "/")
		used, err1 := strconv.ParseInt(u, 10, 64)
		limit, err2 := strconv.ParseInt(m, 10, 64)
		if ok && err1 == nil && err2 == nil {
			c.mu.Lock()
			c.apiUsed, c.apiMax = used, limit
			c.mu.Unlock()
		}
	}
}

// checkReserve refuses a request once the remaining allocation is below
// the reserve.
func (c *Client) checkReserve() error {
	used, limit := c.APIUsage()
	if limit <= 0 || c.cfg.LimitReserve <= 0 {
		return nil
	}
	remaining := limit - used
	if float64(remaining) < c.cfg.LimitReserve*float64(limit) {
		return fmt.Errorf("%w: %d of %d daily API requests used, %d left, reserve is %.0f%% (%d)",
			ErrLimitReserve, used, limit, remaining, c.cfg.LimitReserve*100, int64(c.cfg.LimitReserve*float64(limit)))
	}
	return nil
}

// session returns the access token and instance URL, authenticating if
// there is none.
func (c *Client) session(ctx context.Context, st *Stats) (token, instance string, err error) {
	c.mu.Lock()
	token, instance = c.token, c.instanceURL
	c.mu.Unlock()
	if token != "" {
		return token, instance, nil
	}
	c.auth.Lock()
	defer c.auth.Unlock()
	c.mu.Lock()
	token, instance = c.token, c.instanceURL
	c.mu.Unlock()
	if token != "" { // another goroutine authenticated meanwhile
		return token, instance, nil
	}
	token, instance, err = c.authenticate(ctx, st)
	if err != nil {
		return "", "", err
	}
	c.mu.Lock()
	c.token, c.instanceURL = token, instance
	c.mu.Unlock()
	return token, instance, nil
}

// dropToken forgets token unless it was already replaced.
func (c *Client) dropToken(token string) {
	c.mu.Lock()
	if c.token == token {
		c.token = ""
	}
	c.mu.Unlock()
}

// authenticate requests a token: JWT bearer when a key is configured,
// client credentials otherwise. Transient failures are retried like API
// calls; a rejected grant is not.
func (c *Client) authenticate(ctx context.Context, st *Stats) (string, string, error) {
	for attempt := 0; ; attempt++ {
		form := url.Values{}
		if c.key != nil {
			assertion, err := c.assertion()
			if err != nil {
				return "", "", err
			}
			form.Set("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer")
			form.Set("assertion", assertion)
		} else {
			form.Set("grant_type", "client_credentials")
			form.Set("client_id", c.cfg.ClientID)
			form.Set("client_secret", c.cfg.ClientSecret)
		}
		h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Accept": {"application/json"}}
		resp, err := c.send(ctx, st, http.MethodPost, c.cfg.LoginURL+"/services/oauth2/token", []byte(form.Encode()), h, "")
		if err == nil && resp.status == http.StatusOK {
			var tok struct {
				AccessToken string `json:"access_token"`
				InstanceURL string `json:"instance_url"`
			}
			if err := json.Unmarshal(resp.body, &tok); err != nil {
				return "", "", fmt.Errorf("salesforce: token response: %w", err)
			}
			if tok.AccessToken == "" || tok.InstanceURL == "" {
				return "", "", errors.New("salesforce: token response without access_token or instance_url")
			}
			return tok.AccessToken, strings.TrimRight(tok.InstanceURL, "/"), nil
		}
		if err == nil {
			apiErr := parseAPIError(resp.status, resp.body)
			if !retryable(apiErr) {
				return "", "", fmt.Errorf("salesforce: authenticate as client %s: %w", c.cfg.ClientID, apiErr)
			}
			err = apiErr
		} else if ctx.Err() != nil {
			return "", "", fmt.Errorf("salesforce: authenticate: %w", ctx.Err())
		}
		if attempt >= c.cfg.MaxRetries {
			return "", "", fmt.Errorf("salesforce: authenticate: giving up after %d retries: %w", attempt, err)
		}
		var header http.Header
		if resp != nil {
			header = resp.header
		}
		if err := sleep(ctx, c.backoff(attempt, header)); err != nil {
			return "", "", fmt.Errorf("salesforce: authenticate: %w", err)
		}
		st.Retries++
		c.retries.Add(1)
	}
}

// assertion builds the RS256 JWT for the bearer flow: iss = consumer key,
// sub = username, aud = login URL, exp = three minutes from now (the
// longest Salesforce accepts).
func (c *Client) assertion() (string, error) {
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`))
	claims, err := json.Marshal(map[string]any{
		"iss": c.cfg.ClientID,
		"sub": c.cfg.Username,
		"aud": c.cfg.LoginURL,
		"exp": time.Now().Add(3 * time.Minute).Unix(),
	}, json.Deterministic(true))
	if err != nil {
		return "", err
	}
	signing := header + "." + base64.RawURLEncoding.EncodeToString(claims)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(nil, c.key, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("salesforce: sign JWT: %w", err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}
