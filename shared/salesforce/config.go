// Package salesforce is Venn's Salesforce API client: OAuth 2.0 (client
// credentials or JWT bearer), REST query and queryAll streamed page by page,
// COUNT(), describe and Bulk API 2.0 query jobs. It retries what is
// transient (5xx, 429, REQUEST_LIMIT_EXCEEDED) with jittered exponential
// backoff, re-authenticates once on an expired session, caps concurrent
// requests, and stops before the org's daily API allocation is spent.
//
// It imports no AWS package: Lambda wiring reads the credentials from
// Secrets Manager through the small SecretReader interface.
package salesforce

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
)

// Config configures a Client. Zero values mean the documented defaults.
type Config struct {
	// LoginURL is where tokens are requested, e.g.
	// https://login.salesforce.com or https://MyDomain.my.salesforce.com.
	// It is also the JWT audience.
	LoginURL string
	// APIVersion is the REST API version, default "v62.0".
	APIVersion string
	// ClientID and ClientSecret are the connected app's consumer key and
	// secret (client credentials flow).
	ClientID, ClientSecret string
	// Username and PrivateKeyPEM select the JWT bearer flow instead: an
	// RS256 assertion for Username signed with this PKCS#1 or PKCS#8 key.
	Username      string
	PrivateKeyPEM []byte
	// MaxConcurrent caps requests in flight (default 4).
	MaxConcurrent int
	// MaxRetries is how many times a transient failure is retried (default
	// 5; negative: never retry).
	MaxRetries int
	// LimitReserve stops the client, with ErrLimitReserve, once less than
	// this fraction of the daily API allocation remains (default 0.1;
	// negative: no reserve).
	LimitReserve float64
	// PageSize asks for this many records per REST query page
	// (Sforce-Query-Options: batchSize; Salesforce honours 200..2000 and may
	// return fewer). Zero sends no preference.
	PageSize int
	// BulkPageSize is maxRecords per Bulk API results page. Zero lets
	// Salesforce choose.
	BulkPageSize int
	// RetryBaseDelay and RetryMaxDelay bound the backoff: attempt n waits a
	// uniformly random time in [0, min(RetryMaxDelay, RetryBaseDelay·2ⁿ)]
	// ("full jitter"), or Retry-After if the server asks for longer.
	// Defaults 500ms and 30s.
	RetryBaseDelay, RetryMaxDelay time.Duration
	// PollInterval is the first wait between Bulk job status polls; it grows
	// by half each poll up to 30s (default 1s).
	PollInterval time.Duration
	// HTTPClient sends the requests (default: a client with a 2-minute
	// timeout).
	HTTPClient *http.Client
	// Logger receives retries, re-authentications and warnings (default:
	// discarded).
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.APIVersion == "" {
		c.APIVersion = "v62.0"
	}
	if c.MaxConcurrent <= 0 {
		c.MaxConcurrent = 4
	}
	switch {
	case c.MaxRetries == 0:
		c.MaxRetries = 5
	case c.MaxRetries < 0:
		c.MaxRetries = 0
	}
	switch {
	case c.LimitReserve == 0:
		c.LimitReserve = 0.1
	case c.LimitReserve < 0:
		c.LimitReserve = 0
	}
	if c.RetryBaseDelay <= 0 {
		c.RetryBaseDelay = 500 * time.Millisecond
	}
	if c.RetryMaxDelay <= 0 {
		c.RetryMaxDelay = 30 * time.Second
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 2 * time.Minute}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	c.LoginURL = strings.TrimRight(c.LoginURL, "/")
	return c
}

func (c Config) validate() error {
	u, err := url.Parse(c.LoginURL)
	if c.LoginURL == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("salesforce: LoginURL %q is not an http(s) URL", c.LoginURL)
	}
	if c.ClientID == "" {
		return errors.New("salesforce: ClientID (the connected app's consumer key) is required")
	}
	if len(c.PrivateKeyPEM) == 0 && c.ClientSecret == "" {
		return errors.New("salesforce: set ClientSecret (client credentials) or Username and PrivateKeyPEM (JWT bearer)")
	}
	if len(c.PrivateKeyPEM) > 0 && c.Username == "" {
		return errors.New("salesforce: the JWT bearer flow needs Username")
	}
	if !strings.HasPrefix(c.APIVersion, "v") {
		return fmt.Errorf("salesforce: APIVersion %q must look like v62.0", c.APIVersion)
	}
	return nil
}

// Credentials are the secret part of a Config, as stored in a JSON file,
// environment variables or AWS Secrets Manager.
type Credentials struct {
	LoginURL      string `json:"login_url"`
	ClientID      string `json:"client_id"`
	ClientSecret  string `json:"client_secret,omitempty"`
	Username      string `json:"username,omitempty"`
	PrivateKeyPEM string `json:"private_key_pem,omitempty"`
}

// ApplyTo copies the credentials into cfg.
func (cr Credentials) ApplyTo(cfg *Config) {
	cfg.LoginURL, cfg.ClientID, cfg.ClientSecret, cfg.Username = cr.LoginURL, cr.ClientID, cr.ClientSecret, cr.Username
	cfg.PrivateKeyPEM = nil
	if cr.PrivateKeyPEM != "" {
		cfg.PrivateKeyPEM = []byte(cr.PrivateKeyPEM)
	}
}

func (cr Credentials) validate() error {
	cfg := Config{}
	cr.ApplyTo(&cfg)
	return cfg.withDefaults().validate()
}

// LoadCredentials reads credentials from JSON:
//
//	{"login_url": "...", "client_id": "...", "client_secret": "..."}
//	{"login_url": "...", "client_id": "...", "username": "...", "private_key_pem": "-----BEGIN ..."}
//
// Unknown keys and duplicate keys are errors, so a typo is not silently a
// missing secret.
func LoadCredentials(r io.Reader) (Credentials, error) {
	var cr Credentials
	raw, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return cr, fmt.Errorf("salesforce: read credentials: %w", err)
	}
	if err := json.Unmarshal(raw, &cr, json.RejectUnknownMembers(true)); err != nil {
		return Credentials{}, fmt.Errorf("salesforce: credentials JSON: %w", err)
	}
	if err := cr.validate(); err != nil {
		return Credentials{}, err
	}
	return cr, nil
}

// LoadCredentialsFile reads credentials JSON from a file.
func LoadCredentialsFile(path string) (Credentials, error) {
	f, err := os.Open(path)
	if err != nil {
		return Credentials{}, fmt.Errorf("salesforce: credentials file: %w", err)
	}
	defer f.Close()
	cr, err := LoadCredentials(f)
	if err != nil {
		return cr, fmt.Errorf("%s: %w", path, err)
	}
	return cr, nil
}

// CredentialsFromEnv reads VENN_SF_LOGIN_URL, VENN_SF_CLIENT_ID,
// VENN_SF_CLIENT_SECRET, VENN_SF_USERNAME and VENN_SF_PRIVATE_KEY (PEM text)
// or VENN_SF_PRIVATE_KEY_FILE (a path) through getenv (os.Getenv in
// production, a map in tests).
func CredentialsFromEnv(getenv func(string) string) (Credentials, error) {
	cr := Credentials{
		LoginURL:      getenv("VENN_SF_LOGIN_URL"),
		ClientID:      getenv("VENN_SF_CLIENT_ID"),
		ClientSecret:  getenv("VENN_SF_CLIENT_SECRET"),
		Username:      getenv("VENN_SF_USERNAME"),
		PrivateKeyPEM: getenv("VENN_SF_PRIVATE_KEY"),
	}
	if path := getenv("VENN_SF_PRIVATE_KEY_FILE"); path != "" && cr.PrivateKeyPEM == "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return Credentials{}, fmt.Errorf("salesforce: VENN_SF_PRIVATE_KEY_FILE: %w", err)
		}
		cr.PrivateKeyPEM = string(b)
	}
	if err := cr.validate(); err != nil {
		return Credentials{}, fmt.Errorf("%w (from VENN_SF_* environment variables)", err)
	}
	return cr, nil
}

// SecretReader is the one Secrets Manager call the client needs. Lambda
// main adapts the AWS SDK client to it:
//
//	type smReader struct{ c *secretsmanager.Client }
//
//	func (r smReader) SecretString(ctx context.Context, id string) (string, error) {
//		out, err := r.c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &id})
//		if err != nil {
//			return "", err
//		}
//		return aws.ToString(out.SecretString), nil
//	}
type SecretReader interface {
	SecretString(ctx context.Context, secretID string) (string, error)
}

// LoadCredentialsSecret reads credentials JSON (see LoadCredentials) from
// the secret secretID.
func LoadCredentialsSecret(ctx context.Context, sr SecretReader, secretID string) (Credentials, error) {
	s, err := sr.SecretString(ctx, secretID)
	if err != nil {
		return Credentials{}, fmt.Errorf("salesforce: read secret %s: %w", secretID, err)
	}
	cr, err := LoadCredentials(bytes.NewReader([]byte(s)))
	if err != nil {
		return cr, fmt.Errorf("secret %s: %w", secretID, err)
	}
	return cr, nil
}
