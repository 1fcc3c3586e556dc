package oauth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc/oidctest"
	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/provider/oauth"
)

// appleKey returns a new Sign in with Apple key as Apple issues it (a
// PKCS #8 PEM of a P-256 key) and its public half.
func appleKey(t *testing.T) (oauth.AppleKey, *ecdsa.PublicKey) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	p8 := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	return oauth.AppleKey{TeamID: "TEAM123456", KeyID: "KEY1234567", PrivateKey: p8}, &k.PublicKey
}

// checkAppleSecret verifies a client secret as Apple does and returns
// what is wrong with it, "" when nothing.
func checkAppleSecret(secret string, pub *ecdsa.PublicKey, clientID string, now time.Time) string {
	tok, err := josejwt.ParseSigned(secret, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return "not an ES256 JWT: " + err.Error()
	}
	if kid := tok.Headers[0].KeyID; kid != "KEY1234567" {
		return "kid " + kid
	}
	var c josejwt.Claims
	if err := tok.Claims(pub, &c); err != nil {
		return "signature: " + err.Error()
	}
	if err := c.ValidateWithLeeway(josejwt.Expected{Issuer: "TEAM123456", Subject: clientID, AnyAudience: josejwt.Audience{"https://appleid.apple.com"}, Time: now}, 0); err != nil {
		return "claims: " + err.Error()
	}
	if life := c.Expiry.Time().Sub(c.IssuedAt.Time()); life <= 0 || life > 180*24*time.Hour {
		return "lifetime " + life.String()
	}
	return ""
}

func TestAppleClientSecret(t *testing.T) {
	key, pub := appleKey(t)
	secret, err := oauth.AppleClientSecret("com.example.web", key)
	if err != nil {
		t.Fatal(err)
	}
	s, err := secret(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if bad := checkAppleSecret(s, pub, "com.example.web", time.Now()); bad != "" {
		t.Errorf("client secret %s: %s", s, bad)
	}
	if bad := checkAppleSecret(s, pub, "com.example.web", time.Now().Add(time.Hour)); bad == "" {
		t.Error("the client secret is still valid an hour later; want a short-lived one")
	}

	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	rsaDER, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384DER, _ := x509.MarshalPKCS8PrivateKey(p384)
	tests := []struct {
		name     string
		clientID string
		edit     func(*oauth.AppleKey)
		wantErr  string
	}{
		{"no client ID", "", nil, "client ID"},
		{"no team", "c", func(k *oauth.AppleKey) { k.TeamID = "" }, "team ID"},
		{"no key ID", "c", func(k *oauth.AppleKey) { k.KeyID = "" }, "key ID"},
		{"not PEM", "c", func(k *oauth.AppleKey) { k.PrivateKey = []byte("MIGTAgEAMBMGByqGSM49") }, "not a PEM"},
		{"garbage in PEM", "c", func(k *oauth.AppleKey) {
			k.PrivateKey = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("junk")})
		}, "private key"},
		{"RSA key", "c", func(k *oauth.AppleKey) {
			k.PrivateKey = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: rsaDER})
		}, "P-256"},
		{"P-384 key", "c", func(k *oauth.AppleKey) {
			k.PrivateKey = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p384DER})
		}, "P-256"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := key
			if tc.edit != nil {
				tc.edit(&k)
			}
			_, err := oauth.Apple(tc.clientID, k)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Apple: error %v; want one containing %q", err, tc.wantErr)
			}
		})
	}
}

// TestApple runs the Apple preset against a stand-in for Apple: go-oidc's
// oidctest server for discovery and keys, and a token endpoint that
// checks the client secret as Apple does and answers an ID token shaped
// like Apple's (email_verified as a string, no userinfo endpoint).
func TestApple(t *testing.T) {
	const (
		clientID    = "com.example.web"
		code        = "c1a2b3-apple-code"
		nonce       = "apple-nonce-0123456789"
		redirectURI = "https://app.example.com/api/auth/callback/apple"
		sub         = "001234.0a1b2c3d4e5f67890a1b2c3d4e5f6789.1234"
	)
	key, pub := appleKey(t)
	idKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	op := &oidctest.Server{PublicKeys: []oidctest.PublicKey{{PublicKey: idKey.Public(), KeyID: "apple-key", Algorithm: "RS256"}}}
	op.SetIssuer(srv.URL)
	mux.Handle("/", op)
	now := time.Now()
	claims, _ := json.Marshal(map[string]any{
		"iss": srv.URL, "aud": clientID, "sub": sub, "iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
		"nonce": nonce, "email": "x7k2@privaterelay.appleid.com", "email_verified": "true", "is_private_email": "true",
		"auth_time": now.Unix(), "nonce_supported": true,
	})
	idToken := oidctest.SignIDToken(idKey, "apple-key", "RS256", string(claims))
	secrets := 0
	mux.HandleFunc("POST /auth/token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		id, secret, basic := r.BasicAuth()
		if !basic {
			id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		if bad := checkAppleSecret(secret, pub, clientID, time.Now()); id != clientID || bad != "" || r.PostForm.Get("code") != code {
			t.Errorf("token request: client %q, secret: %s, code %q", id, bad, r.PostForm.Get("code"))
			writeJSON(w, http.StatusBadRequest, []byte(`{"error":"invalid_client"}`))
			return
		}
		secrets++
		b, _ := json.Marshal(map[string]any{"access_token": "a0b1c2.0.apple", "token_type": "Bearer", "expires_in": 3600, "refresh_token": "r0b1c2.0.apple", "id_token": idToken})
		writeJSON(w, http.StatusOK, b)
	})

	cfg, err := oauth.Apple(clientID, key)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Issuer = srv.URL
	cfg.TokenURL = srv.URL + "/auth/token"
	p, err := oauth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Checks(), (latch.OAuthChecks{State: true, Nonce: true, FormPost: true}); got != want {
		t.Errorf("Checks() = %+v; want %+v", got, want)
	}
	authURL, err := p.AuthCodeURL(t.Context(), latch.AuthorizationRequest{RedirectURI: redirectURI, State: "st", Nonce: nonce})
	if err != nil {
		t.Fatal(err)
	}
	q := mustParse(t, authURL).Query()
	for k, want := range map[string]string{"response_mode": "form_post", "scope": "openid email name", "nonce": nonce, "state": "st", "client_id": clientID} {
		if got := q.Get(k); got != want {
			t.Errorf("authorization URL %s = %q; want %q", k, got, want)
		}
	}

	tests := []struct {
		name, user, wantName string
	}{
		{"first sign-in, with the user's name", `{"name":{"firstName":"Ann","lastName":"Example"},"email":"x7k2@privaterelay.appleid.com"}`, "Ann Example"},
		{"later sign-in, no name", "", ""},
		{"malformed user", `{"name":`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			params := url.Values{"code": {code}, "state": {"st"}}
			if tc.user != "" {
				params.Set("user", tc.user)
			}
			got, err := p.Exchange(context.Background(), latch.CallbackRequest{RedirectURI: redirectURI, Code: code, Nonce: nonce, Params: params})
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			if got.ID != sub || got.Email != "x7k2@privaterelay.appleid.com" || !got.EmailVerified || got.Name != tc.wantName || got.Image != "" {
				t.Errorf("profile = %+v; want %s, x7k2@privaterelay.appleid.com (verified), name %q", got, sub, tc.wantName)
			}
			if got.Tokens.RefreshToken != "r0b1c2.0.apple" || got.Tokens.IDToken != idToken {
				t.Errorf("tokens = %+v; want the refresh and ID tokens kept", got.Tokens)
			}
		})
	}
	if secrets != len(tests) {
		t.Errorf("token requests with a valid client secret: %d; want %d", secrets, len(tests))
	}
	if _, err := p.Exchange(context.Background(), latch.CallbackRequest{RedirectURI: redirectURI, Code: code, Nonce: "another nonce"}); err == nil || !strings.Contains(err.Error(), "nonce") {
		t.Errorf("Exchange with another nonce: %v; want a nonce mismatch", err)
	}
}
