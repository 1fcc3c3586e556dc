package latch_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/metrics"
	"github.com/latchauth/latch/provider/oauth"
	"github.com/latchauth/latch/provider/oauth/oauthtest"
	"github.com/latchauth/latch/store/sqlite"
)

// tokenSites are instances of one Latch site (same secret, their own
// servers) with the OIDC provider "idp", a real OpenID provider that
// issues access tokens for 5 minutes and rotating, single-use refresh
// tokens. Latch and the provider's token checks share a settable clock.
type tokenSites struct {
	op    *oauthtest.OP
	clock *clock
	sites []*tokenSite
}

type tokenSite struct {
	srv   *httptest.Server
	auth  *latch.Auth
	store latch.Store // nil: JWT sessions without a Store
}

// newTokenSites starts one instance per entry of stores (nil: no Store).
func newTokenSites(t *testing.T, stores []latch.Store, edit func(i int, c *latch.Config)) *tokenSites {
	t.Helper()
	return newTokenSitesWith(t, stores, nil, edit)
}

// newTokenSitesWith is newTokenSites with the provider's configuration
// edited too.
func newTokenSitesWith(t *testing.T, stores []latch.Store, editProvider func(*oauth.Config), edit func(i int, c *latch.Config)) *tokenSites {
	t.Helper()
	ts := &tokenSites{clock: &clock{now: time.Now()}}
	ts.op = oauthtest.NewProvider(t)
	var redirects []string
	for i, st := range stores {
		mux := http.NewServeMux()
		srv := httptest.NewServer(mux)
		t.Cleanup(srv.Close)
		pc := oauth.OIDC("idp", "Test IdP", ts.op.Issuer, ts.op.ClientID, ts.op.ClientSecret)
		pc.Scopes = []string{"openid", "email", "profile", "offline_access"}
		pc.Now = ts.clock.Now
		if editProvider != nil {
			editProvider(&pc)
		}
		p, err := oauth.New(pc)
		if err != nil {
			t.Fatal(err)
		}
		cfg := latch.Config{
			URL: srv.URL + "/api/auth", Secrets: []string{strings.Repeat("t", 32)}, Providers: []latch.Provider{p},
			Now: ts.clock.Now, Logger: quietLogger(),
			ProviderTokens: latch.ProviderTokenConfig{Enabled: true},
		}
		if st != nil {
			cfg.Store = st
		}
		if edit != nil {
			edit(i, &cfg)
		}
		auth, err := latch.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		mux.Handle("/api/auth/", auth)
		ts.sites = append(ts.sites, &tokenSite{srv: srv, auth: auth, store: st})
		redirects = append(redirects, srv.URL+"/api/auth/callback/idp")
	}
	ts.op.SetRedirectURIs(redirects...)
	return ts
}

func sqliteStore(t *testing.T) latch.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// signIn signs the OP's user in on the site with a new browser, which it
// returns with the session cookie in its jar.
func (s *tokenSite) signIn(t *testing.T, op *oauthtest.OP) *http.Client {
	t.Helper()
	c := newBrowser()
	res, err := c.Get(s.srv.URL + "/api/auth/csrf")
	if err != nil {
		t.Fatal(err)
	}
	var csrf struct{ CsrfToken string }
	json.NewDecoder(res.Body).Decode(&csrf)
	res.Body.Close()
	res, err = c.PostForm(s.srv.URL+"/api/auth/signin/idp", url.Values{"csrfToken": {csrf.CsrfToken}, "callbackUrl": {"/"}, "json": {"true"}})
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ URL string }
	json.NewDecoder(res.Body).Decode(&out)
	res.Body.Close()
	if !strings.HasPrefix(out.URL, op.Issuer) {
		t.Fatalf("sign-in answered url %q; want the OP's", out.URL)
	}
	if loc := finish(t, c, op.Login(t, c, out.URL)); !strings.HasPrefix(loc, s.srv.URL+"/") {
		t.Fatalf("the callback sent the browser to %q; want the site", loc)
	}
	return c
}

// get sends a GET with the browser's cookies and returns status and body.
func (s *tokenSite) get(t *testing.T, c *http.Client, path string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.srv.URL+path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// request is a request to the site carrying the browser's cookies, for
// calling ProviderToken directly.
func (s *tokenSite) request(c *http.Client) *http.Request {
	r := httptest.NewRequest(http.MethodGet, s.srv.URL+"/app", nil)
	u, _ := url.Parse(s.srv.URL)
	for _, ck := range c.Jar.Cookies(u) {
		r.AddCookie(ck)
	}
	return r
}

func (s *tokenSite) userID(t *testing.T, c *http.Client) string {
	t.Helper()
	sess := s.auth.Session(s.request(c))
	if sess == nil || sess.UserID() == "" {
		t.Fatal("not signed in")
	}
	return sess.UserID()
}

// concurrently runs n calls of f at once and returns their results.
func concurrently(n int, f func(i int) (*latch.ProviderToken, error)) ([]*latch.ProviderToken, []error) {
	toks, errs := make([]*latch.ProviderToken, n), make([]error, n)
	var start, wg sync.WaitGroup
	start.Add(1)
	for i := range n {
		wg.Go(func() {
			start.Wait()
			toks[i], errs[i] = f(i)
		})
	}
	start.Done()
	wg.Wait()
	return toks, errs
}

// sameToken checks that every call succeeded with one access token, other
// than old, and returns it.
func sameToken(t *testing.T, toks []*latch.ProviderToken, errs []error, old string) string {
	t.Helper()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	first := toks[0].AccessToken
	for i, tok := range toks {
		if tok.AccessToken != first {
			t.Fatalf("call %d got another access token than call 0", i)
		}
	}
	if first == old {
		t.Fatal("the access token was not refreshed")
	}
	return first
}

func TestUserProviderTokenStore(t *testing.T) {
	ts := newTokenSites(t, []latch.Store{sqliteStore(t)}, nil)
	site := ts.sites[0]
	c := site.signIn(t, ts.op)
	uid := site.userID(t, c)
	ctx := t.Context()

	first, err := site.auth.UserProviderToken(ctx, uid, "idp", 0)
	if err != nil {
		t.Fatalf("UserProviderToken: %v", err)
	}
	if first.AccessToken == "" || !strings.EqualFold(first.TokenType, "bearer") || first.IDToken == "" ||
		!strings.Contains(first.Scope, "offline_access") || first.Expiry.Sub(ts.clock.Now()) < 4*time.Minute {
		t.Fatalf("token = %+v; want an access token valid for 5 minutes, with scope and ID token", first)
	}
	if n := ts.op.Refreshes(); n != 0 {
		t.Fatalf("a fresh token made %d refreshes", n)
	}

	// At rest, the tokens are sealed.
	accs, err := site.store.Accounts(ctx, uid)
	if err != nil || len(accs) != 1 {
		t.Fatalf("Accounts = %v, %v", accs, err)
	}
	for _, v := range []string{accs[0].AccessToken, accs[0].RefreshToken, accs[0].IDToken} {
		if !strings.HasPrefix(v, "latch:v1:") || strings.Contains(v, first.AccessToken) {
			t.Errorf("stored token %.40q… is not sealed", v)
		}
	}

	// Within a minute of expiry: 50 concurrent callers, one refresh.
	ts.clock.Advance(250 * time.Second)
	toks, errs := concurrently(50, func(int) (*latch.ProviderToken, error) {
		return site.auth.UserProviderToken(ctx, uid, "idp", 0)
	})
	second := sameToken(t, toks, errs, first.AccessToken)
	if n := ts.op.Refreshes(); n != 1 {
		t.Fatalf("50 concurrent calls made %d refreshes; want 1", n)
	}
	if got := toks[0].Expiry.Sub(ts.clock.Now()); got < 4*time.Minute {
		t.Errorf("refreshed token expires in %v; want about 5 minutes", got)
	}
	if toks[0].IDToken == "" {
		t.Error("the refreshed token lost its ID token")
	}
	// The refreshed (and rotated) tokens were stored: the next expiry
	// refreshes again with the new refresh token.
	ts.clock.Advance(250 * time.Second)
	third, err := site.auth.UserProviderToken(ctx, uid, "idp", 0)
	if err != nil || third.AccessToken == second {
		t.Fatalf("second refresh = %v, %v; want a new token", third, err)
	}

	// A 503 is transient: an error, nothing destroyed, the next call works.
	ts.clock.Advance(250 * time.Second)
	ts.op.FailRefreshes(1, http.StatusServiceUnavailable)
	_, err = site.auth.UserProviderToken(ctx, uid, "idp", 0)
	if !errors.Is(err, latch.ErrRefreshUnavailable) || errors.Is(err, latch.ErrReauthRequired) {
		t.Fatalf("during a 503: err = %v; want ErrRefreshUnavailable", err)
	}
	if _, body := site.get(t, c, "/api/auth/session", nil); strings.Contains(body, "RefreshTokenError") || !strings.Contains(body, ts.op.Email) {
		t.Errorf("session after a 503 = %s; want it signed in without an error", body)
	}
	if _, err := site.auth.UserProviderToken(ctx, uid, "idp", 0); err != nil {
		t.Fatalf("after the 503: %v", err)
	}
	refreshes := ts.op.Refreshes()

	// The user revokes the app at the OP: RefreshTokenError, and no more
	// calls to the provider with the refused token.
	ts.op.RevokeAll(t)
	ts.clock.Advance(250 * time.Second)
	if _, err := site.auth.UserProviderToken(ctx, uid, "idp", 0); !errors.Is(err, latch.ErrReauthRequired) {
		t.Fatalf("after revocation: err = %v; want ErrReauthRequired", err)
	}
	if _, err := site.auth.UserProviderToken(ctx, uid, "idp", 0); !errors.Is(err, latch.ErrReauthRequired) {
		t.Fatalf("again after revocation: err = %v; want ErrReauthRequired", err)
	}
	if n := ts.op.Refreshes() - refreshes; n != 1 {
		t.Errorf("%d refresh requests after the revocation; want 1", n)
	}
	res, body := site.get(t, c, "/api/auth/session", nil)
	var sess map[string]any
	json.Unmarshal([]byte(body), &sess)
	if res.StatusCode != http.StatusOK || sess["error"] != "RefreshTokenError" || sess["user"] == nil {
		t.Errorf("session after revocation = %d %s; want the user with error RefreshTokenError", res.StatusCode, body)
	}
	if res, body := site.get(t, c, "/api/auth/token/idp", nil); res.StatusCode != http.StatusUnauthorized || body != `{"error":"RefreshTokenError"}` {
		t.Errorf("GET token after revocation = %d %s; want 401 RefreshTokenError", res.StatusCode, body)
	}

	// Signing in again brings new tokens and ends the error.
	c = site.signIn(t, ts.op)
	if _, err := site.auth.UserProviderToken(ctx, uid, "idp", 0); err != nil {
		t.Fatalf("after a new sign-in: %v", err)
	}
	if _, body := site.get(t, c, "/api/auth/session", nil); strings.Contains(body, "error") {
		t.Errorf("session after a new sign-in = %s; want no error", body)
	}
}

func TestProviderTokenErrors(t *testing.T) {
	ts := newTokenSites(t, []latch.Store{sqliteStore(t)}, nil)
	site := ts.sites[0]
	ctx := t.Context()
	if _, err := site.auth.UserProviderToken(ctx, "nobody", "idp", 0); !errors.Is(err, latch.ErrNoProviderAccount) {
		t.Errorf("unknown user: err = %v; want ErrNoProviderAccount", err)
	}
	if _, err := site.auth.UserProviderToken(ctx, "nobody", "github", 0); !errors.Is(err, latch.ErrNoProviderAccount) {
		t.Errorf("unknown provider: err = %v; want ErrNoProviderAccount", err)
	}
	if _, err := site.auth.ProviderToken(nil, httptest.NewRequest(http.MethodGet, "/", nil), "idp", 0); !errors.Is(err, latch.ErrNoProviderAccount) {
		t.Errorf("signed out: err = %v; want ErrNoProviderAccount", err)
	}

	// An account without a refresh token.
	st := site.store
	u, err := st.CreateUser(ctx, latch.StoredUser{User: latch.User{Email: "nort@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	exp := ts.clock.Now().Add(30 * time.Second).Unix()
	if err := st.LinkAccount(ctx, latch.LinkedAccount{Account: latch.Account{Provider: "idp", Type: "oauth", ProviderAccountID: "x"}, UserID: u.ID,
		OAuthTokens: latch.OAuthTokens{AccessToken: "clear-at", ExpiresAt: exp, TokenType: "Bearer"}}); err != nil {
		t.Fatal(err)
	}
	// A token stored in the clear (before sealing) is read as it is.
	tok, err := site.auth.UserProviderToken(ctx, u.ID, "idp", 10*time.Second)
	if err != nil || tok.AccessToken != "clear-at" {
		t.Errorf("clear token: %v, %v; want clear-at", tok, err)
	}
	if _, err := site.auth.UserProviderToken(ctx, u.ID, "idp", 0); !errors.Is(err, latch.ErrNoRefreshToken) {
		t.Errorf("expiring without a refresh token: err = %v; want ErrNoRefreshToken", err)
	}
	if n := ts.op.Refreshes(); n != 0 {
		t.Errorf("%d refreshes; want none", n)
	}
}

func TestProviderTokenEndpoint(t *testing.T) {
	m := metrics.New()
	ts := newTokenSites(t, []latch.Store{sqliteStore(t)}, func(_ int, c *latch.Config) {
		c.TrustedOrigins = []string{"https://app.example.com"}
		m.Instrument(c) // the store it wraps still keeps account tokens
	})
	site := ts.sites[0]
	c := site.signIn(t, ts.op)

	res, body := site.get(t, c, "/api/auth/token/idp", nil)
	var out map[string]any
	if err := json.Unmarshal([]byte(body), &out); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET token = %d %s", res.StatusCode, body)
	}
	if out["access_token"] == "" || !strings.EqualFold(out["token_type"].(string), "bearer") || out["expires_at"] == nil || out["scope"] == nil || out["id_token"] != nil || out["refresh_token"] != nil {
		t.Errorf("GET token = %s; want access_token, token_type, expires_at and scope only", body)
	}
	if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("Cache-Control = %q; want no-store", cc)
	}
	for name, tc := range map[string]struct {
		path   string
		header map[string]string
		status int
		body   string
	}{
		"same origin":          {"/api/auth/token/idp", map[string]string{"Origin": site.srv.URL, "Sec-Fetch-Site": "same-origin"}, 200, ""},
		"trusted origin":       {"/api/auth/token/idp", map[string]string{"Origin": "https://app.example.com", "Sec-Fetch-Site": "cross-site"}, 200, ""},
		"other origin":         {"/api/auth/token/idp", map[string]string{"Origin": "https://evil.example"}, 403, `{"error":"Forbidden"}`},
		"cross-site no origin": {"/api/auth/token/idp", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403, `{"error":"Forbidden"}`},
		"null origin":          {"/api/auth/token/idp", map[string]string{"Origin": "null"}, 403, `{"error":"Forbidden"}`},
		"unknown provider":     {"/api/auth/token/github", nil, 404, `{"error":"UnknownProvider"}`},
		"no provider":          {"/api/auth/token/", nil, 404, `{"error":"UnknownProvider"}`},
	} {
		t.Run(name, func(t *testing.T) {
			res, body := site.get(t, c, tc.path, tc.header)
			if res.StatusCode != tc.status || tc.body != "" && body != tc.body {
				t.Errorf("= %d %s; want %d %s", res.StatusCode, body, tc.status, tc.body)
			}
		})
	}
	// Signed out.
	res, body = site.get(t, newBrowser(), "/api/auth/token/idp", nil)
	if res.StatusCode != http.StatusUnauthorized || body != `{"error":"SessionRequired"}` {
		t.Errorf("signed out: %d %s; want 401 SessionRequired", res.StatusCode, body)
	}
	// Only GET.
	req, _ := http.NewRequest(http.MethodPost, site.srv.URL+"/api/auth/token/idp", nil)
	if res, err := c.Do(req); err != nil || res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST token: %v, %v; want 405", res.StatusCode, err)
	}
	// 503 from the provider: 503 with Retry-After, and the session stays.
	ts.clock.Advance(250 * time.Second)
	ts.op.FailRefreshes(1, http.StatusServiceUnavailable)
	if res, body := site.get(t, c, "/api/auth/token/idp", nil); res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Errorf("during a 503: %d %s; want 503 with Retry-After", res.StatusCode, body)
	}
	if res, body := site.get(t, c, "/api/auth/token/idp", nil); res.StatusCode != http.StatusOK {
		t.Errorf("after the 503: %d %s; want 200", res.StatusCode, body)
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, want := range []string{
		`latch_provider_token_refreshes_total{outcome="refreshed",provider="idp"} 1`,
		`latch_provider_token_refreshes_total{outcome="unavailable",provider="idp"} 1`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestProviderTokenDisabled(t *testing.T) {
	ts := newTokenSites(t, []latch.Store{sqliteStore(t)}, func(_ int, c *latch.Config) { c.ProviderTokens.Enabled = false })
	site := ts.sites[0]
	c := site.signIn(t, ts.op)
	if res, _ := site.get(t, c, "/api/auth/token/idp", nil); res.StatusCode != http.StatusBadRequest {
		t.Errorf("GET token while disabled = %d; want 400 (unsupported action)", res.StatusCode)
	}
	// The Go API works with a Store all the same.
	if _, err := site.auth.UserProviderToken(t.Context(), site.userID(t, c), "idp", 0); err != nil {
		t.Errorf("UserProviderToken while disabled: %v", err)
	}
}

// TestSealAccountTokens: accounts stored in the clear (before sealing, or
// by a NextAuth adapter) are sealed, once, and still read.
func TestSealAccountTokens(t *testing.T) {
	ts := newTokenSites(t, []latch.Store{sqliteStore(t)}, nil)
	site := ts.sites[0]
	st := site.store
	ctx := t.Context()
	u, err := st.CreateUser(ctx, latch.StoredUser{User: latch.User{Email: "old@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	exp := ts.clock.Now().Add(time.Hour).Unix()
	for _, id := range []string{"p1", "p2", "p3"} {
		if err := st.LinkAccount(ctx, latch.LinkedAccount{Account: latch.Account{Provider: "idp", Type: "oauth", ProviderAccountID: id}, UserID: u.ID,
			OAuthTokens: latch.OAuthTokens{AccessToken: "at-" + id, RefreshToken: "rt-" + id, IDToken: "idt-" + id, ExpiresAt: exp}}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := site.auth.SealAccountTokens(ctx)
	if err != nil || n != 3 {
		t.Fatalf("SealAccountTokens = %d, %v; want 3", n, err)
	}
	accs, _ := st.Accounts(ctx, u.ID)
	for _, a := range accs {
		if !strings.HasPrefix(a.AccessToken, "latch:v1:") || !strings.HasPrefix(a.RefreshToken, "latch:v1:") || !strings.HasPrefix(a.IDToken, "latch:v1:") {
			t.Errorf("account %s not sealed: %+v", a.ProviderAccountID, a.OAuthTokens)
		}
	}
	if n, err := site.auth.SealAccountTokens(ctx); err != nil || n != 0 {
		t.Errorf("SealAccountTokens again = %d, %v; want 0", n, err)
	}
	tok, err := site.auth.UserProviderToken(ctx, u.ID, "idp", 0)
	if err != nil || !strings.HasPrefix(tok.AccessToken, "at-p") || !strings.HasPrefix(tok.IDToken, "idt-p") {
		t.Errorf("UserProviderToken after sealing = %+v, %v", tok, err)
	}
	// With another secret, sealed tokens do not open: an error, not a
	// token.
	other, err := latch.New(latch.Config{URL: "http://x/api/auth", Secrets: []string{strings.Repeat("o", 32)}, Store: st,
		Providers: []latch.Provider{stubRefresher{}}, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.LinkAccount(ctx, latch.LinkedAccount{Account: latch.Account{Provider: "stub", Type: "oauth", ProviderAccountID: "s1"}, UserID: u.ID,
		OAuthTokens: latch.OAuthTokens{AccessToken: "latch:v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", ExpiresAt: exp}}); err != nil {
		t.Fatal(err)
	}
	if tok, err := other.UserProviderToken(ctx, u.ID, "stub", 0); err == nil {
		t.Errorf("a token sealed with an unknown secret opened: %+v", tok)
	}

}

func TestProviderTokenConfigErrors(t *testing.T) {
	_, err := latch.New(latch.Config{URL: "http://x/api/auth", Secrets: []string{strings.Repeat("s", 32)},
		ProviderTokens: latch.ProviderTokenConfig{Enabled: true, Timeout: -time.Second}})
	if err == nil || !strings.Contains(err.Error(), "ProviderTokens.MinValidity, Timeout and Grace must not be negative") {
		t.Errorf("negative timeout: err = %v", err)
	}
}

// TestProviderTokenDatabaseSessions: the endpoint and the session's error
// with database sessions.
func TestProviderTokenDatabaseSessions(t *testing.T) {
	ts := newTokenSites(t, []latch.Store{sqliteStore(t)}, func(_ int, c *latch.Config) { c.Strategy = latch.DatabaseSessions })
	site := ts.sites[0]
	c := site.signIn(t, ts.op)
	ts.clock.Advance(250 * time.Second)
	res, body := site.get(t, c, "/api/auth/token/idp", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `"access_token"`) || ts.op.Refreshes() != 1 {
		t.Fatalf("GET token = %d %s after %d refreshes; want 200 after one", res.StatusCode, body, ts.op.Refreshes())
	}
	ts.op.RevokeAll(t)
	ts.clock.Advance(250 * time.Second)
	if res, body := site.get(t, c, "/api/auth/token/idp", nil); res.StatusCode != http.StatusUnauthorized || body != `{"error":"RefreshTokenError"}` {
		t.Errorf("GET token after revocation = %d %s; want 401 RefreshTokenError", res.StatusCode, body)
	}
	if _, body := site.get(t, c, "/api/auth/session", nil); !strings.Contains(body, `"error":"RefreshTokenError"`) || !strings.Contains(body, ts.op.Email) {
		t.Errorf("session after revocation = %s; want the user and the error", body)
	}
}

// TestProviderTokenJWTCallbacks: with a JWT callback (the session
// endpoint's slow path) the tokens stay in the session token and a
// refused refresh still shows in the session.
func TestProviderTokenJWTCallbacks(t *testing.T) {
	ts := newTokenSites(t, []latch.Store{nil}, func(_ int, c *latch.Config) {
		c.Callbacks.JWT = func(_ context.Context, p *latch.JWTParams) (latch.Token, error) {
			p.Token["app"] = "kept"
			return p.Token, nil
		}
	})
	site := ts.sites[0]
	c := site.signIn(t, ts.op)
	ts.clock.Advance(250 * time.Second)
	if res, body := site.get(t, c, "/api/auth/token/idp", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("GET token = %d %s", res.StatusCode, body)
	}
	ts.op.RevokeAll(t)
	ts.clock.Advance(250 * time.Second)
	if res, body := site.get(t, c, "/api/auth/token/idp", nil); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET token after revocation = %d %s; want 401", res.StatusCode, body)
	}
	if _, body := site.get(t, c, "/api/auth/session", nil); !strings.Contains(body, `"error":"RefreshTokenError"`) {
		t.Errorf("session after revocation = %s; want the error", body)
	}
	if tok := site.auth.Token(site.request(c)); tok["app"] != "kept" || tok["providerTokens"] == nil {
		t.Errorf("session token = %v; want the callback's claim and the provider tokens", tok)
	}
}

// TestRefreshOnSession: GET <base>/session refreshes expiring provider
// tokens, as NextAuth's recipe does, and shows a refusal at once; with and
// without a Store, with and without a JWT callback.
func TestRefreshOnSession(t *testing.T) {
	for _, tc := range []struct {
		name     string
		store    bool
		callback bool
	}{{"store", true, false}, {"JWT", false, false}, {"JWT with a callback", false, true}} {
		t.Run(tc.name, func(t *testing.T) {
			stores := []latch.Store{nil}
			if tc.store {
				stores[0] = sqliteStore(t)
			}
			ts := newTokenSites(t, stores, func(_ int, c *latch.Config) {
				c.ProviderTokens.RefreshOnSession = true
				if tc.callback {
					c.Callbacks.JWT = func(_ context.Context, p *latch.JWTParams) (latch.Token, error) { return p.Token, nil }
				}
			})
			site := ts.sites[0]
			c := site.signIn(t, ts.op)
			if _, body := site.get(t, c, "/api/auth/session", nil); strings.Contains(body, "error") || ts.op.Refreshes() != 0 {
				t.Fatalf("fresh session = %s after %d refreshes; want no error, no refresh", body, ts.op.Refreshes())
			}
			ts.clock.Advance(250 * time.Second)
			if _, body := site.get(t, c, "/api/auth/session", nil); strings.Contains(body, "error") || ts.op.Refreshes() != 1 {
				t.Fatalf("session at expiry = %s after %d refreshes; want one refresh, no error", body, ts.op.Refreshes())
			}
			// The refreshed tokens were kept (in the cookie, or the store).
			if res, _ := site.get(t, c, "/api/auth/token/idp", nil); res.StatusCode != http.StatusOK || ts.op.Refreshes() != 1 {
				t.Fatalf("GET token after the session refreshed = %d after %d refreshes; want 200, no other refresh", res.StatusCode, ts.op.Refreshes())
			}
			ts.op.RevokeAll(t)
			ts.clock.Advance(250 * time.Second)
			_, body := site.get(t, c, "/api/auth/session", nil)
			if !strings.Contains(body, `"error":"RefreshTokenError"`) || !strings.Contains(body, ts.op.Email) {
				t.Errorf("session after revocation = %s; want the user and the error", body)
			}
			if _, body := site.get(t, c, "/api/auth/session", nil); !strings.Contains(body, `"error":"RefreshTokenError"`) || ts.op.Refreshes() != 2 {
				t.Errorf("session again = %s after %d refreshes; want the error, and the provider not asked again", body, ts.op.Refreshes())
			}
		})
	}
}
