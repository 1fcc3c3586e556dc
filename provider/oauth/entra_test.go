package oauth_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc/oidctest"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/provider/oauth"
)

// TestEntraTenantByDomain runs the Entra preset for a tenant named by its
// domain against a stand-in for login.microsoftonline.com: discovery
// happens under the domain, but the document, and the ID tokens, name
// the tenant's ID as issuer. A token from another tenant is refused, and
// a document naming an issuer on another host fails discovery.
func TestEntraTenantByDomain(t *testing.T) {
	const (
		tid      = "9188040d-6c67-4c5b-b112-36a304b66dad"
		clientID = "6731de76-14a6-49ae-97bc-6eba6914391e"
		code     = "0.AXkA-entra-code"
	)
	host := "https://login.microsoftonline.com"
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keys := &oidctest.Server{PublicKeys: []oidctest.PublicKey{{PublicKey: key.Public(), KeyID: "entra-key", Algorithm: "RS256"}}}
	keys.SetIssuer(host + "/" + tid + "/v2.0")

	tests := []struct {
		name, docIssuer, tokenIssuer, wantErr string
	}{
		{"tokens from the tenant", host + "/" + tid + "/v2.0", host + "/" + tid + "/v2.0", ""},
		{"a token from another tenant", host + "/" + tid + "/v2.0", host + "/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0", "issued by a different provider"},
		{"a document naming another host", "https://login.example.com/" + tid + "/v2.0", host + "/" + tid + "/v2.0", "not on https://login.microsoftonline.com"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mux := http.NewServeMux()
			mux.HandleFunc("GET /contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
				doc, _ := json.Marshal(map[string]any{
					"issuer":                                tc.docIssuer,
					"authorization_endpoint":                host + "/" + tid + "/oauth2/v2.0/authorize",
					"token_endpoint":                        host + "/" + tid + "/oauth2/v2.0/token",
					"jwks_uri":                              host + "/common/discovery/v2.0/keys",
					"id_token_signing_alg_values_supported": []string{"RS256"},
				})
				writeJSON(w, http.StatusOK, doc)
			})
			mux.HandleFunc("GET /common/discovery/v2.0/keys", func(w http.ResponseWriter, r *http.Request) {
				r.URL.Path = "/keys"
				keys.ServeHTTP(w, r)
			})
			mux.HandleFunc("POST /"+tid+"/oauth2/v2.0/token", func(w http.ResponseWriter, r *http.Request) {
				now := time.Now()
				claims, _ := json.Marshal(map[string]any{
					"iss": tc.tokenIssuer, "aud": clientID, "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", "tid": tid,
					"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "email": "ann@contoso.onmicrosoft.com", "name": "Ann",
				})
				body, _ := json.Marshal(map[string]any{"access_token": "eyJ0-entra", "token_type": "Bearer", "expires_in": 3599,
					"id_token": oidctest.SignIDToken(key, "entra-key", "RS256", string(claims))})
				writeJSON(w, http.StatusOK, body)
			})
			cfg := oauth.MicrosoftEntraID("contoso.onmicrosoft.com", clientID, "entra-secret")
			cfg.HTTPClient = &http.Client{Transport: routeHost{host: "login.microsoftonline.com", handler: mux}}
			p, err := oauth.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			profile, err := p.Exchange(t.Context(), latch.CallbackRequest{RedirectURI: rpCallback, Code: code, CodeVerifier: "v-0123456789012345678901234567890123456789"})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Exchange: %v; want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			if profile.Email != "ann@contoso.onmicrosoft.com" || profile.Name != "Ann" {
				t.Errorf("profile = %+v; want Ann", profile)
			}
		})
	}
}
