package oauth_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/provider/oauth"
	"github.com/latchauth/latch/provider/oauth/oauthtest"
)

func TestNew(t *testing.T) {
	plain := func() oauth.Config {
		return oauth.Config{ID: "plain", ClientID: "cid", AuthURL: "https://p.example/auth", TokenURL: "https://p.example/token", UserInfoURL: "https://p.example/me"}
	}
	tests := []struct {
		name    string
		cfg     func() oauth.Config
		wantErr []string // substrings of the error; none: no error
	}{
		{name: "plain OAuth 2", cfg: plain},
		{name: "OIDC", cfg: func() oauth.Config { return oauth.OIDC("corp", "Corp", "https://idp.example", "cid", "secret") }},
		{name: "empty", cfg: func() oauth.Config { return oauth.Config{} }, wantErr: []string{`"(no ID)"`, "ID is empty", "ClientID is empty", "set Issuer"}},
		{name: "bad ID", cfg: func() oauth.Config { c := plain(); c.ID = "a/b"; return c }, wantErr: []string{`ID "a/b" may only contain`}},
		{name: "no token URL", cfg: func() oauth.Config { c := plain(); c.TokenURL = ""; return c }, wantErr: []string{"both AuthURL and TokenURL"}},
		{name: "no userinfo", cfg: func() oauth.Config { c := plain(); c.UserInfoURL = ""; return c }, wantErr: []string{"UserInfoURL is empty"}},
		{name: "no userinfo, own mapper", cfg: func() oauth.Config { c := plain(); c.UserInfoURL = ""; c.Profile = oauth.StandardProfile; return c }},
		{name: "relative URL", cfg: func() oauth.Config { c := plain(); c.TokenURL = "/token"; return c }, wantErr: []string{`TokenURL "/token" is not an absolute http(s) URL`}},
		{name: "nonce without issuer", cfg: func() oauth.Config { c := plain(); c.Checks = &latch.OAuthChecks{State: true, Nonce: true}; return c }, wantErr: []string{"Checks.Nonce needs an ID token"}},
		{name: "skip issuer check without issuer", cfg: func() oauth.Config { c := plain(); c.SkipIssuerCheck = true; return c }, wantErr: []string{"SkipIssuerCheck only applies"}},
		{name: "OIDC without openid scope", cfg: func() oauth.Config {
			c := oauth.OIDC("corp", "Corp", "https://idp.example", "cid", "secret")
			c.Scopes = []string{"email"}
			return c
		}, wantErr: []string{`lack "openid"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := oauth.New(tc.cfg())
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if p == nil {
					t.Fatal("New returned a nil provider")
				}
				return
			}
			if err == nil {
				t.Fatalf("New = %v; want an error", p)
			}
			for _, s := range tc.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("err = %q; want it to contain %q", err, s)
				}
			}
		})
	}
}

func TestProviderDefaults(t *testing.T) {
	tests := []struct {
		name       string
		cfg        oauth.Config
		wantInfo   latch.ProviderInfo
		wantChecks latch.OAuthChecks
		wantLink   bool
	}{
		{
			name:       "OAuth 2",
			cfg:        oauth.Discord("cid", "secret"),
			wantInfo:   latch.ProviderInfo{ID: "discord", Name: "Discord", Type: latch.TypeOAuth},
			wantChecks: latch.OAuthChecks{State: true},
		},
		{
			name:       "OIDC",
			cfg:        oauth.Keycloak("https://kc.example/realms/r", "cid", "secret"),
			wantInfo:   latch.ProviderInfo{ID: "keycloak", Name: "Keycloak", Type: latch.TypeOAuth},
			wantChecks: latch.OAuthChecks{State: true, PKCE: true},
		},
		{
			name:       "explicit checks, name from ID, linking",
			cfg:        oauth.Config{ID: "corp", ClientID: "cid", Issuer: "https://idp.example", Checks: &latch.OAuthChecks{PKCE: true, Nonce: true}, AllowEmailLinking: true},
			wantInfo:   latch.ProviderInfo{ID: "corp", Name: "corp", Type: latch.TypeOAuth},
			wantChecks: latch.OAuthChecks{PKCE: true, Nonce: true},
			wantLink:   true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := oauth.New(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Info(); got != tc.wantInfo {
				t.Errorf("Info() = %+v; want %+v", got, tc.wantInfo)
			}
			if got := p.Checks(); got != tc.wantChecks {
				t.Errorf("Checks() = %+v; want %+v", got, tc.wantChecks)
			}
			if got := p.AllowEmailLinking(); got != tc.wantLink {
				t.Errorf("AllowEmailLinking() = %v; want %v", got, tc.wantLink)
			}
		})
	}
}

func TestPresets(t *testing.T) {
	oidcScopes := []string{"openid", "email", "profile"}
	tests := []struct {
		name       string
		cfg        oauth.Config
		wantID     string
		wantIssuer string
		wantSkip   bool
	}{
		{"GitLab", oauth.GitLab("", "c", "s"), "gitlab", "https://gitlab.com", false},
		{"GitLab self-managed", oauth.GitLab("https://git.example.com/", "c", "s"), "gitlab", "https://git.example.com", false},
		{"Entra tenant", oauth.MicrosoftEntraID("contoso.onmicrosoft.com", "c", "s"), "azure-ad", "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0", false},
		{"Entra common", oauth.MicrosoftEntraID("common", "c", "s"), "azure-ad", "https://login.microsoftonline.com/common/v2.0", true},
		{"Entra default", oauth.MicrosoftEntraID("", "c", "s"), "azure-ad", "https://login.microsoftonline.com/common/v2.0", true},
		{"Keycloak", oauth.Keycloak("https://kc.example/realms/r", "c", "s"), "keycloak", "https://kc.example/realms/r", false},
		{"Auth0", oauth.Auth0("dev-abc.us.auth0.com", "c", "s"), "auth0", "https://dev-abc.us.auth0.com/", false},
		{"Auth0 URL", oauth.Auth0("https://login.example.com", "c", "s"), "auth0", "https://login.example.com/", false},
		{"Okta", oauth.Okta("https://dev-1.okta.com/oauth2/default", "c", "s"), "okta", "https://dev-1.okta.com/oauth2/default", false},
		{"OIDC", oauth.OIDC("corp", "Corp", "https://idp.example", "c", "s"), "corp", "https://idp.example", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.cfg
			if c.ID != tc.wantID || c.Issuer != tc.wantIssuer || c.SkipIssuerCheck != tc.wantSkip {
				t.Errorf("ID, Issuer, SkipIssuerCheck = %q, %q, %v; want %q, %q, %v", c.ID, c.Issuer, c.SkipIssuerCheck, tc.wantID, tc.wantIssuer, tc.wantSkip)
			}
			if !reflect.DeepEqual(c.Scopes, oidcScopes) {
				t.Errorf("Scopes = %q; want %q", c.Scopes, oidcScopes)
			}
			if c.ClientID != "c" || c.ClientSecret != "s" {
				t.Errorf("ClientID, ClientSecret = %q, %q; want %q, %q", c.ClientID, c.ClientSecret, "c", "s")
			}
			if _, err := oauth.New(c); err != nil {
				t.Errorf("New: %v", err)
			}
		})
	}
}

func TestAuthCodeURL(t *testing.T) {
	const redirect = "http://localhost:3000/api/auth/callback/github"
	tests := []struct {
		name   string
		cfg    func(c *oauth.Config)
		req    latch.AuthorizationRequest
		want   string // expected URL, up to the order of parameters
		exactQ string // when set, the exact query string
	}{
		{
			name:   "GitHub as NextAuth sends it",
			req:    latch.AuthorizationRequest{RedirectURI: redirect, State: "BsqqV3NkqkI4ZQ_yB0Caqn4hEZOr0j-b65TJdzMYjlc", Params: url.Values{"prompt": {"login"}}},
			want:   "https://github.com/login/oauth/authorize?client_id=cid&scope=read%3Auser%20user%3Aemail&response_type=code&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fapi%2Fauth%2Fcallback%2Fgithub&prompt=login&state=BsqqV3NkqkI4ZQ_yB0Caqn4hEZOr0j-b65TJdzMYjlc",
			exactQ: "client_id=cid&prompt=login&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fapi%2Fauth%2Fcallback%2Fgithub&response_type=code&scope=read%3Auser%20user%3Aemail&state=BsqqV3NkqkI4ZQ_yB0Caqn4hEZOr0j-b65TJdzMYjlc",
		},
		{
			name: "PKCE and nonce",
			cfg:  func(c *oauth.Config) { c.Scopes = nil },
			req:  latch.AuthorizationRequest{RedirectURI: redirect, State: "st", CodeChallenge: "ch", Nonce: "no"},
			want: "https://github.com/login/oauth/authorize?client_id=cid&response_type=code&redirect_uri=" + url.QueryEscape(redirect) + "&state=st&code_challenge=ch&code_challenge_method=S256&nonce=no",
		},
		{
			name: "no state",
			req:  latch.AuthorizationRequest{RedirectURI: redirect},
			want: "https://github.com/login/oauth/authorize?client_id=cid&scope=read%3Auser+user%3Aemail&response_type=code&redirect_uri=" + url.QueryEscape(redirect),
		},
		{
			name: "request params override config params and scopes",
			cfg:  func(c *oauth.Config) { c.Params = map[string]string{"prompt": "consent", "access_type": "offline"} },
			req:  latch.AuthorizationRequest{RedirectURI: redirect, State: "st", Params: url.Values{"prompt": {"login", "none"}, "scope": {"repo"}, "login": {"a+b@example.com"}}},
			want: "https://github.com/login/oauth/authorize?client_id=cid&scope=repo&response_type=code&redirect_uri=" + url.QueryEscape(redirect) + "&state=st&prompt=login&access_type=offline&login=a%2Bb%40example.com",
		},
		{
			name: "reserved params are ignored",
			cfg: func(c *oauth.Config) {
				c.Params = map[string]string{"client_id": "evil", "redirect_uri": "https://evil.example", "response_type": "token", "nonce": "x"}
			},
			req: latch.AuthorizationRequest{RedirectURI: redirect, State: "st", CodeChallenge: "ch", Params: url.Values{
				"client_id": {"evil"}, "redirect_uri": {"https://evil.example"}, "response_type": {"token"}, "state": {"evil"},
				"code_challenge": {"evil"}, "code_challenge_method": {"plain"}, "nonce": {"evil"},
			}},
			want: "https://github.com/login/oauth/authorize?client_id=cid&scope=read%3Auser+user%3Aemail&response_type=code&redirect_uri=" + url.QueryEscape(redirect) + "&state=st&code_challenge=ch&code_challenge_method=S256",
		},
		{
			name: "endpoint with a query",
			cfg:  func(c *oauth.Config) { c.AuthURL = "https://idp.example/authorize?tenant=a+b" },
			req:  latch.AuthorizationRequest{RedirectURI: redirect, State: "st"},
			want: "https://idp.example/authorize?tenant=a+b&client_id=cid&scope=read%3Auser+user%3Aemail&response_type=code&redirect_uri=" + url.QueryEscape(redirect) + "&state=st",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := oauth.GitHub("cid", "secret")
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			p, err := oauth.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.AuthCodeURL(t.Context(), tc.req)
			if err != nil {
				t.Fatalf("AuthCodeURL: %v", err)
			}
			if strings.Contains(got, "+") && !strings.Contains(tc.want, "tenant=a+b") {
				t.Errorf("AuthCodeURL = %q; want spaces as %%20, not +", got)
			}
			g, w := mustParse(t, got), mustParse(t, tc.want)
			if g.Scheme != w.Scheme || g.Host != w.Host || g.Path != w.Path || !reflect.DeepEqual(g.Query(), w.Query()) {
				t.Errorf("AuthCodeURL =\n%s\nwant\n%s", got, tc.want)
			}
			if tc.exactQ != "" && g.RawQuery != tc.exactQ {
				t.Errorf("query = %q; want %q", g.RawQuery, tc.exactQ)
			}
		})
	}

	p, err := oauth.New(oauth.GitHub("cid", "secret"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.AuthCodeURL(t.Context(), latch.AuthorizationRequest{State: "st"}); err == nil {
		t.Error("AuthCodeURL without a redirect URI: got no error; want one")
	}
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestDiscovery checks that discovery waits for first use, is shared by
// concurrent callers, is retried after a failure, is cached after a
// success, and that waiting for it is bounded by the caller's context.
func TestDiscovery(t *testing.T) {
	op := oauthtest.NewProvider(t, rpCallback)
	var (
		fetches atomic.Int32
		fail    atomic.Bool
		gate    = make(chan struct{})
		gated   atomic.Bool
	)
	issuer := mustParse(t, op.Issuer)
	proxy := func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/openid-configuration" {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		fetches.Add(1)
		if gated.Load() {
			select {
			case <-gate:
			case <-r.Context().Done():
				return
			}
		}
		if fail.Load() {
			http.Error(w, "try again later", http.StatusServiceUnavailable)
			return
		}
		resp, err := http.Get(op.Issuer + r.URL.Path)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", "application/json")
		io.Copy(w, resp.Body)
	}
	// The discovery document names op.Issuer as issuer; the provider must
	// fetch it from op.Issuer's host, so serve it there through a client
	// whose transport routes that host to this test's handler.
	client := &http.Client{Transport: routeHost{host: issuer.Host, handler: http.HandlerFunc(proxy)}}

	cfg := oauth.OIDC("zitadel", "Zitadel", op.Issuer, op.ClientID, op.ClientSecret)
	cfg.HTTPClient = client
	p, err := oauth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if n := fetches.Load(); n != 0 {
		t.Fatalf("New fetched the discovery document %d times; want 0", n)
	}
	req := latch.AuthorizationRequest{RedirectURI: rpCallback, State: "st"}

	// A failure is reported with the URL and not cached.
	fail.Store(true)
	_, err = p.AuthCodeURL(t.Context(), req)
	if err == nil || !strings.Contains(err.Error(), op.Issuer+"/.well-known/openid-configuration") || !strings.Contains(err.Error(), "503") {
		t.Fatalf("AuthCodeURL with discovery down: err = %v; want the discovery URL and status 503", err)
	}

	// The fetch is bounded by the context.
	fail.Store(false)
	gated.Store(true)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	_, err = p.AuthCodeURL(ctx, req)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("AuthCodeURL with a hung discovery: err = %v; want context.DeadlineExceeded", err)
	}

	// Concurrent first uses share one fetch.
	before := fetches.Load()
	var wg sync.WaitGroup
	urls := make([]string, 8)
	errs := make([]error, 8)
	for i := range urls {
		wg.Go(func() { urls[i], errs[i] = p.AuthCodeURL(t.Context(), req) })
	}
	for fetches.Load() == before {
		time.Sleep(time.Millisecond)
	}
	// Waiting for another caller's fetch is bounded by the context too.
	ctx, cancel = context.WithTimeout(t.Context(), 50*time.Millisecond)
	_, err = p.AuthCodeURL(ctx, req)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("AuthCodeURL waiting for a hung discovery: err = %v; want context.DeadlineExceeded", err)
	}
	close(gate)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("AuthCodeURL #%d: %v", i, err)
		}
		if !strings.HasPrefix(urls[i], op.Issuer+"/auth?") {
			t.Errorf("AuthCodeURL #%d = %q; want the OP's authorization endpoint %q", i, urls[i], op.Issuer+"/auth")
		}
	}
	if n := fetches.Load() - before; n != 1 {
		t.Errorf("concurrent first uses fetched %d times; want 1", n)
	}

	// The result is cached.
	before = fetches.Load()
	if _, err := p.AuthCodeURL(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	if n := fetches.Load() - before; n != 0 {
		t.Errorf("a later use fetched %d times; want 0", n)
	}
}

// routeHost sends requests for host to handler and others to the network
// stack of http.DefaultTransport.
type routeHost struct {
	host    string
	handler http.Handler
}

func (rt routeHost) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host != rt.host {
		return http.DefaultTransport.RoundTrip(r)
	}
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		rt.handler.ServeHTTP(rec, r)
	}()
	select {
	case <-done:
		return rec.Result(), nil
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
}

// TestExchangeErrors covers failures around the token response of a plain
// OAuth 2.0 provider.
func TestExchangeErrors(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		body       string
		userStatus int
		wantCode   string // *ExchangeError with this Code; "-": some other error
		wantStatus int
		wantMsg    string
	}{
		{
			name:   "RFC 6749 error",
			status: http.StatusBadRequest, body: `{"error":"invalid_grant","error_description":"The code has expired."}`,
			wantCode: "invalid_grant", wantStatus: http.StatusBadRequest, wantMsg: "oauth: token request refused: invalid_grant: The code has expired.",
		},
		{
			name:   "GitHub style error with status 200",
			status: http.StatusOK, body: `{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired.","error_uri":"https://docs.github.com/"}`,
			wantCode: "bad_verification_code", wantStatus: http.StatusOK, wantMsg: "bad_verification_code: The code passed is incorrect or expired.",
		},
		{
			name:   "not an OAuth answer",
			status: http.StatusBadGateway, body: `<html>upstream down</html>`,
			wantCode: "", wantStatus: http.StatusBadGateway, wantMsg: "oauth: token request refused with status 502",
		},
		{
			name:   "userinfo fails",
			status: http.StatusOK, body: `{"access_token":"at","token_type":"bearer"}`, userStatus: http.StatusUnauthorized,
			wantCode: "-", wantMsg: "userinfo: GET",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/token":
					w.Header().Set("Content-Type", "application/json")
					if strings.HasPrefix(tc.body, "<") {
						w.Header().Set("Content-Type", "text/html")
					}
					w.WriteHeader(tc.status)
					w.Write([]byte(tc.body))
				case "/me":
					w.WriteHeader(tc.userStatus)
				}
			}))
			defer srv.Close()
			p, err := oauth.New(oauth.Config{ID: "plain", ClientID: "cid", AuthURL: srv.URL + "/auth", TokenURL: srv.URL + "/token", UserInfoURL: srv.URL + "/me"})
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.Exchange(t.Context(), latch.CallbackRequest{RedirectURI: "http://rp.test/cb", Code: "c"})
			if err == nil {
				t.Fatal("Exchange: got no error; want one")
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("err = %q; want it to contain %q", err, tc.wantMsg)
			}
			e, ok := errors.AsType[*oauth.ExchangeError](err)
			if tc.wantCode == "-" {
				if ok {
					t.Errorf("err = %v; want no *ExchangeError", err)
				}
				return
			}
			if !ok {
				t.Fatalf("err = %v (%T); want an *oauth.ExchangeError", err, err)
			}
			if e.Code != tc.wantCode || e.StatusCode != tc.wantStatus {
				t.Errorf("Code, StatusCode = %q, %d; want %q, %d", e.Code, e.StatusCode, tc.wantCode, tc.wantStatus)
			}
		})
	}
}
