package salesforce_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/venn-revops/venn/shared/salesforce"
)

func TestLoadCredentials(t *testing.T) {
	tests := []struct {
		file    string
		want    salesforce.Credentials
		wantErr string
	}{
		{file: "creds_client_credentials.json", want: salesforce.Credentials{LoginURL: "https://venn-demo.my.salesforce.com", ClientID: "3MVG9demo", ClientSecret: "s3cret"}},
		{file: "creds_jwt.json", want: salesforce.Credentials{LoginURL: "https://login.salesforce.com", ClientID: "3MVG9demo", Username: "integration@venn-demo.example", PrivateKeyPEM: "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"}},
		{file: "creds_typo.json", wantErr: "client_secert"},
		{file: "creds_duplicate.json", wantErr: "duplicate"},
		{file: "creds_no_secret.json", wantErr: "set ClientSecret"},
		{file: "creds_bad_url.json", wantErr: "LoginURL"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			got, err := salesforce.LoadCredentialsFile(filepath.Join("testdata", tc.file))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestCredentialsFromEnv(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(keyFile, []byte("PEM"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"VENN_SF_LOGIN_URL": "https://login.salesforce.com", "VENN_SF_CLIENT_ID": "3MVG9demo",
		"VENN_SF_USERNAME": "integration@venn-demo.example", "VENN_SF_PRIVATE_KEY_FILE": keyFile,
	}
	cr, err := salesforce.CredentialsFromEnv(func(k string) string { return env[k] })
	if err != nil || cr.PrivateKeyPEM != "PEM" || cr.Username != "integration@venn-demo.example" {
		t.Fatalf("got %+v, %v", cr, err)
	}
	delete(env, "VENN_SF_PRIVATE_KEY_FILE")
	if _, err := salesforce.CredentialsFromEnv(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "VENN_SF_") {
		t.Fatalf("missing secret: err = %v, want one naming the VENN_SF_ variables", err)
	}
}

// secrets is an in-memory SecretReader; the real one wraps AWS Secrets
// Manager in Lambda main.
type secrets map[string]string

func (s secrets) SecretString(_ context.Context, id string) (string, error) {
	v, ok := s[id]
	if !ok {
		return "", errors.New("ResourceNotFoundException")
	}
	return v, nil
}

func TestLoadCredentialsSecret(t *testing.T) {
	sr := secrets{"venn/salesforce": `{"login_url":"https://login.salesforce.com","client_id":"id","client_secret":"s"}`}
	cr, err := salesforce.LoadCredentialsSecret(context.Background(), sr, "venn/salesforce")
	if err != nil || cr.ClientSecret != "s" {
		t.Fatalf("got %+v, %v", cr, err)
	}
	var cfg salesforce.Config
	cr.ApplyTo(&cfg)
	if _, err := salesforce.New(cfg); err != nil {
		t.Fatalf("config from the secret does not validate: %v", err)
	}
	if _, err := salesforce.LoadCredentialsSecret(context.Background(), sr, "venn/other"); err == nil || !strings.Contains(err.Error(), "venn/other") {
		t.Fatalf("missing secret: err = %v, want one naming it", err)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	tests := []struct {
		cfg     salesforce.Config
		wantErr string
	}{
		{salesforce.Config{ClientID: "id", ClientSecret: "s"}, "LoginURL"},
		{salesforce.Config{LoginURL: "https://login.salesforce.com", ClientSecret: "s"}, "ClientID"},
		{salesforce.Config{LoginURL: "https://login.salesforce.com", ClientID: "id", Username: "u", PrivateKeyPEM: []byte("not pem")}, "PEM"},
		{salesforce.Config{LoginURL: "https://login.salesforce.com", ClientID: "id", PrivateKeyPEM: []byte("x")}, "Username"},
		{salesforce.Config{LoginURL: "https://login.salesforce.com", ClientID: "id", ClientSecret: "s", APIVersion: "62.0"}, "APIVersion"},
	}
	for _, tc := range tests {
		if _, err := salesforce.New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("New(%+v) = %v, want an error about %s", tc.cfg, err, tc.wantErr)
		}
	}
}
