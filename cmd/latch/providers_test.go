package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchauth/latch"
)

func TestBuildOAuthApple(t *testing.T) {
	dir := t.TempDir()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	os.WriteFile(filepath.Join(dir, "AuthKey_KEY1234567.p8"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	oc := oauthConfig{Preset: "apple", ClientID: "com.example.web", TeamID: "TEAM123456", KeyID: "KEY1234567", PrivateKeyFile: "AuthKey_KEY1234567.p8"}
	inDir := (&config{path: filepath.Join(dir, "latch.yaml")}).file
	p, err := buildOAuth(oc, inDir)
	if err != nil {
		t.Fatalf("apple preset: %v", err)
	}
	if info := p.Info(); info.ID != "apple" || info.Name != "Apple" {
		t.Errorf("Info() = %+v; want apple / Apple", info)
	}
	if got := p.Checks(); got != (latch.OAuthChecks{State: true, Nonce: true, FormPost: true}) {
		t.Errorf("Checks() = %+v; want State, Nonce and FormPost", got)
	}

	tests := []struct {
		name    string
		edit    func(*oauthConfig)
		wantErr string
	}{
		{"no key file", func(c *oauthConfig) { c.PrivateKeyFile = "" }, "privateKeyFile"},
		{"missing key file", func(c *oauthConfig) { c.PrivateKeyFile = "AuthKey_NOPE.p8" }, "AuthKey_NOPE.p8"},
		{"no team", func(c *oauthConfig) { c.TeamID = "" }, "team ID"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := oc
			tc.edit(&c)
			if _, err := buildOAuth(c, inDir); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v; want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestBuildOAuthScopesAndParams(t *testing.T) {
	p, err := buildOAuth(oauthConfig{Preset: "github", ClientID: "c", ClientSecret: "s", Scopes: []string{"read:user"}, Params: map[string]string{"prompt": "consent"}}, (&config{}).file)
	if err != nil {
		t.Fatal(err)
	}
	to, err := p.AuthCodeURL(t.Context(), latch.AuthorizationRequest{RedirectURI: "https://app.example.com/api/auth/callback/github", State: "s"})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(to)
	if q := u.Query(); q.Get("scope") != "read:user" || q.Get("prompt") != "consent" {
		t.Errorf("authorization URL %s; want scope read:user and prompt consent", to)
	}
	if p.Checks().FormPost {
		t.Error("FormPost on without response_mode=form_post")
	}
	p, err = buildOAuth(oauthConfig{Preset: "github", ClientID: "c", ClientSecret: "s", Params: map[string]string{"response_mode": "form_post"}}, (&config{}).file)
	if err != nil || !p.Checks().FormPost {
		t.Errorf("params response_mode: form_post: FormPost %v, err %v; want on", p != nil && p.Checks().FormPost, err)
	}
}

func TestEmailModeConfig(t *testing.T) {
	dir := t.TempDir()
	load := func(yaml string) (*config, error) {
		path := filepath.Join(dir, "latch.yaml")
		if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		return loadConfig(&env{getenv: func(string) string { return "" }}, path)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"", "link+code"},
		{"  mode: link+code\n", "link+code"},
		{"  mode: link\n", "link"},
		{"  mode: code\n", "code"},
		{"  mode: link-get\n", "link-get"},
	} {
		c, err := load("email:\n  from: Latch <no-reply@example.com>\n" + tc.yaml)
		if err != nil {
			t.Fatalf("%q: %v", tc.yaml, err)
		}
		ps, err := buildProviders(c, nil, quietLog())
		if err != nil {
			t.Fatalf("%q: buildProviders: %v", tc.yaml, err)
		}
		cp, ok := ps[len(ps)-1].(latch.EmailCodeProvider)
		if !ok || string(cp.EmailMode()) != tc.want {
			t.Errorf("%q: email provider %T with mode %v; want mode %s", tc.yaml, ps[len(ps)-1], cp, tc.want)
		}
	}
	_, err := load("email:\n  from: Latch <no-reply@example.com>\n  mode: magic\n")
	if err == nil || !strings.Contains(err.Error(), "latch.yaml:3:9: email.mode \"magic\"") {
		t.Errorf("mode: magic: error %v; want one naming the line and the allowed modes", err)
	}
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
