package oauth_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc/oidctest"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/provider/oauth"
)

func atHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

// TestGoogle runs the Google preset against a stand-in for Google: the
// discovery document and keys of go-oidc's oidctest server, a token
// endpoint answering a recorded response with an ID token made of the
// recorded claims, and the recorded userinfo response.
func TestGoogle(t *testing.T) {
	const (
		clientID    = "1234987819200.apps.googleusercontent.com"
		secret      = "google-secret"
		code        = "4/0AanRRrs-google-code"
		verifier    = "google-verifier-0123456789012345678901234567"
		redirectURI = "http://localhost:3000/api/auth/callback/google"
	)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	claimsFile := decode(t, readTestdata(t, "google-id-token-claims.json"))
	userinfo := readTestdata(t, "google-userinfo.json")
	tokenResp := decode(t, readTestdata(t, "google-token.json"))
	accessToken := tokenResp["access_token"].(string)
	iat, _ := claimsFile["iat"].(json.Number).Int64()
	now := time.Unix(iat+60, 0)

	tests := []struct {
		name    string
		edit    func(claims map[string]any) // changes the recorded claims
		wantErr string
	}{
		{name: "recorded"},
		{name: "wrong at_hash", edit: func(c map[string]any) { c["at_hash"] = atHash("another token") }, wantErr: "access token hash does not match"},
		{name: "other audience", edit: func(c map[string]any) { c["aud"] = "someone-else.apps.googleusercontent.com" }, wantErr: "expected audience"},
		{name: "other issuer", edit: func(c map[string]any) { c["iss"] = "https://accounts.example.com" }, wantErr: "id token issued by a different provider"},
		{name: "expired", edit: func(c map[string]any) { c["exp"] = iat + 30 }, wantErr: "token is expired"},
		{name: "userinfo about another subject", edit: func(c map[string]any) { c["sub"] = "110169484474386270000" }, wantErr: "userinfo is about subject"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mux := http.NewServeMux()
			srv := httptest.NewServer(mux)
			defer srv.Close()
			op := &oidctest.Server{PublicKeys: []oidctest.PublicKey{{PublicKey: key.Public(), KeyID: "google-key", Algorithm: "RS256"}}}
			op.SetIssuer(srv.URL)
			mux.Handle("/", op)

			claims := maps.Clone(claimsFile)
			claims["iss"] = srv.URL
			claims["at_hash"] = atHash(accessToken)
			if tc.edit != nil {
				tc.edit(claims)
			}
			payload, err := json.Marshal(claims)
			if err != nil {
				t.Fatal(err)
			}
			idToken := oidctest.SignIDToken(key, "google-key", "RS256", string(payload))

			mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
				if err := r.ParseForm(); err != nil {
					t.Error(err)
				}
				want := map[string]string{"grant_type": "authorization_code", "code": code, "redirect_uri": redirectURI, "code_verifier": verifier}
				for k, v := range want {
					if got := r.PostForm.Get(k); got != v {
						t.Errorf("token request %s = %q; want %q", k, got, v)
					}
				}
				id, pw, basic := r.BasicAuth()
				if !basic {
					id, pw = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
				}
				if id != clientID || pw != secret {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusUnauthorized)
					w.Write([]byte(`{"error":"invalid_client","error_description":"The OAuth client was not found."}`))
					return
				}
				resp := maps.Clone(tokenResp)
				resp["id_token"] = idToken
				b, _ := json.Marshal(resp)
				writeJSON(w, http.StatusOK, b)
			})
			mux.HandleFunc("GET /v1/userinfo", func(w http.ResponseWriter, r *http.Request) {
				if got, want := r.Header.Get("Authorization"), "Bearer "+accessToken; got != want {
					t.Errorf("userinfo Authorization = %q; want %q", got, want)
				}
				writeJSON(w, http.StatusOK, userinfo)
			})

			cfg := oauth.Google(clientID, secret)
			cfg.Issuer = srv.URL
			cfg.UserInfoURL = srv.URL + "/v1/userinfo" // the stand-in's discovery has none
			cfg.Now = func() time.Time { return now }
			p, err := oauth.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := p.Checks(), (latch.OAuthChecks{State: true, PKCE: true}); got != want {
				t.Errorf("Checks() = %+v; want %+v", got, want)
			}

			got, err := p.Exchange(t.Context(), latch.CallbackRequest{RedirectURI: redirectURI, Code: code, CodeVerifier: verifier})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Exchange error = %v; want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			raw := decode(t, payload)
			maps.Copy(raw, decode(t, userinfo))
			want := latch.OAuthProfile{
				ID:            "110169484474386276334",
				Name:          "Jane Smith",
				Email:         "jane.smith@example.com",
				EmailVerified: true,
				Image:         "https://lh3.googleusercontent.com/a/ACg8ocK7oHkZ9yqX0dT2mJ4s=s96-c",
				Tokens: latch.OAuthTokens{
					AccessToken: accessToken,
					ExpiresAt:   now.Unix() + 3599,
					TokenType:   "Bearer",
					Scope:       tokenResp["scope"].(string),
					IDToken:     idToken,
				},
				Raw: raw,
			}
			if !reflect.DeepEqual(*got, want) {
				t.Errorf("profile =\n%+v\nwant\n%+v", *got, want)
			}
		})
	}
}

func TestGooglePreset(t *testing.T) {
	c := oauth.Google("id", "secret")
	if c.ID != "google" || c.Name != "Google" || c.Issuer != "https://accounts.google.com" {
		t.Errorf("ID, Name, Issuer = %q, %q, %q; want %q, %q, %q", c.ID, c.Name, c.Issuer, "google", "Google", "https://accounts.google.com")
	}
	if want := []string{"openid", "email", "profile"}; !reflect.DeepEqual(c.Scopes, want) {
		t.Errorf("Scopes = %q; want %q", c.Scopes, want)
	}
}
