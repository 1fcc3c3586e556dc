package latch_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/provider/oauth"
	"github.com/latchauth/latch/provider/oauth/oauthtest"
	"github.com/latchauth/latch/store/sqlite"
)

// oidcSite is a Latch site with one OIDC provider ("idp") backed by a real
// OpenID provider running in the test.
type oidcSite struct {
	srv     *httptest.Server
	op      *oauthtest.OP
	store   *sqlite.Store
	created atomic.Int32
	linked  atomic.Int32
	signIns atomic.Int32
}

func newOIDCSite(t *testing.T, edit func(*oauth.Config, *latch.Config)) *oidcSite {
	t.Helper()
	return newOIDCSiteOn(t, httptest.NewServer, edit)
}

// newOIDCSiteOn is newOIDCSite on a server made by newServer, e.g.
// httptest.NewTLSServer for an https site.
func newOIDCSiteOn(t *testing.T, newServer func(http.Handler) *httptest.Server, edit func(*oauth.Config, *latch.Config)) *oidcSite {
	t.Helper()
	s := &oidcSite{}
	mux := http.NewServeMux()
	s.srv = newServer(mux)
	t.Cleanup(s.srv.Close)
	s.op = oauthtest.NewProvider(t, s.srv.URL+"/api/auth/callback/idp")
	var err error
	s.store, err = sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.store.Close() })
	pc := oauth.OIDC("idp", "Test IdP", s.op.Issuer, s.op.ClientID, s.op.ClientSecret)
	cfg := latch.Config{
		URL: s.srv.URL + "/api/auth", Secrets: []string{strings.Repeat("o", 32)}, Store: s.store,
		Events: latch.Events{
			CreateUser:  func(context.Context, latch.CreateUserEvent) { s.created.Add(1) },
			LinkAccount: func(context.Context, latch.LinkAccountEvent) { s.linked.Add(1) },
			SignIn:      func(context.Context, latch.SignInEvent) { s.signIns.Add(1) },
		},
	}
	if edit != nil {
		edit(&pc, &cfg)
	}
	p, err := oauth.New(pc)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Providers = append(cfg.Providers, p)
	auth, err := latch.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/api/auth/", auth)
	return s
}

func newBrowser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// start posts the sign-in form (as next-auth/react's signIn does) and
// returns the provider's authorization URL.
func (s *oidcSite) start(t *testing.T, c *http.Client, query string) string {
	t.Helper()
	res, err := c.Get(s.srv.URL + "/api/auth/csrf")
	if err != nil {
		t.Fatal(err)
	}
	var csrf struct{ CsrfToken string }
	json.NewDecoder(res.Body).Decode(&csrf)
	res, err = c.PostForm(s.srv.URL+"/api/auth/signin/idp"+query, url.Values{"csrfToken": {csrf.CsrfToken}, "callbackUrl": {"/after"}, "json": {"true"}})
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ URL string }
	json.NewDecoder(res.Body).Decode(&out)
	if !strings.HasPrefix(out.URL, s.op.Issuer) {
		t.Fatalf("sign-in answer url = %q; want the provider's authorization URL", out.URL)
	}
	return out.URL
}

func (s *oidcSite) session(t *testing.T, c *http.Client) string {
	t.Helper()
	res, err := c.Get(s.srv.URL + "/api/auth/session")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// finish opens the callback URL in the browser and returns where Latch
// sends it.
func finish(t *testing.T, c *http.Client, callback string) string {
	t.Helper()
	res, err := c.Get(callback)
	if err != nil {
		t.Fatal(err)
	}
	return res.Header.Get("Location")
}

func TestOIDCSignIn(t *testing.T) {
	s := newOIDCSite(t, nil)
	c := newBrowser()
	authURL := s.start(t, c, "?prompt=login")
	q, _ := url.Parse(authURL)
	for _, p := range []string{"state", "code_challenge", "prompt"} {
		if q.Query().Get(p) == "" {
			t.Errorf("authorization URL lacks %s: %s", p, authURL)
		}
	}
	if q.Query().Get("code_challenge_method") != "S256" || q.Query().Get("redirect_uri") != s.srv.URL+"/api/auth/callback/idp" {
		t.Errorf("authorization URL = %s", authURL)
	}
	callback := s.op.Login(t, c, authURL)
	if loc := finish(t, c, callback); loc != s.srv.URL+"/after" {
		t.Fatalf("callback redirected to %q; want %s/after", loc, s.srv.URL)
	}
	if got := s.session(t, c); !strings.Contains(got, `"email":"`+s.op.Email+`"`) {
		t.Errorf("session = %s; want the provider's user", got)
	}
	u, err := s.store.UserByAccount(context.Background(), "idp", s.op.Subject)
	if err != nil || !strings.EqualFold(u.Email, s.op.Email) {
		t.Errorf("stored user = %+v, %v", u, err)
	}
	if s.created.Load() != 1 || s.linked.Load() != 1 || s.signIns.Load() != 1 {
		t.Errorf("events createUser %d, linkAccount %d, signIn %d; want 1 each", s.created.Load(), s.linked.Load(), s.signIns.Load())
	}
	// A second sign-in finds the same user: no new user, no new link.
	c2 := newBrowser()
	finish(t, c2, s.op.Login(t, c2, s.start(t, c2, "")))
	if s.created.Load() != 1 || s.linked.Load() != 1 || s.signIns.Load() != 2 {
		t.Errorf("second sign-in: createUser %d, linkAccount %d, signIn %d; want 1, 1, 2", s.created.Load(), s.linked.Load(), s.signIns.Load())
	}
	if users, _ := s.store.ListUsers(context.Background()); len(users) != 1 {
		t.Errorf("%d users after two sign-ins; want 1", len(users))
	}
}

func TestOIDCCallbackFailures(t *testing.T) {
	errorURL := func(s *oidcSite) string { return s.srv.URL + "/api/auth/error?error=OAuthCallback" }
	t.Run("wrong state", func(t *testing.T) {
		s := newOIDCSite(t, nil)
		c := newBrowser()
		cb := s.op.Login(t, c, s.start(t, c, ""))
		u, _ := url.Parse(cb)
		q := u.Query()
		q.Set("state", "forged")
		u.RawQuery = q.Encode()
		if loc := finish(t, c, u.String()); loc != errorURL(s) {
			t.Errorf("Location %q; want %s", loc, errorURL(s))
		}
	})
	t.Run("missing PKCE verifier", func(t *testing.T) {
		s := newOIDCSite(t, nil)
		c := newBrowser()
		cb := s.op.Login(t, c, s.start(t, c, ""))
		u, _ := url.Parse(s.srv.URL)
		var keep []*http.Cookie
		for _, ck := range c.Jar.Cookies(u) {
			if ck.Name != "next-auth.pkce.code_verifier" {
				keep = append(keep, ck)
			}
		}
		jar, _ := cookiejar.New(nil)
		jar.SetCookies(u, keep)
		c.Jar = jar
		if loc := finish(t, c, cb); loc != errorURL(s) {
			t.Errorf("Location %q; want %s", loc, errorURL(s))
		}
	})
	t.Run("replayed callback", func(t *testing.T) {
		s := newOIDCSite(t, nil)
		c := newBrowser()
		cb := s.op.Login(t, c, s.start(t, c, ""))
		if loc := finish(t, c, cb); loc != s.srv.URL+"/after" {
			t.Fatalf("first use: %q", loc)
		}
		// The check cookies were cleared: the same code and state again fail.
		if loc := finish(t, c, cb); loc != errorURL(s) {
			t.Errorf("replay: Location %q; want %s", loc, errorURL(s))
		}
	})
	t.Run("nonce mismatch", func(t *testing.T) {
		s := newOIDCSite(t, func(pc *oauth.Config, _ *latch.Config) {
			pc.Checks = &latch.OAuthChecks{State: true, PKCE: true, Nonce: true}
		})
		c := newBrowser()
		authURL := s.start(t, c, "")
		// Sign in with a different nonce than the one in the cookie.
		u, _ := url.Parse(authURL)
		q := u.Query()
		q.Set("nonce", "not-the-cookies-nonce")
		u.RawQuery = q.Encode()
		if loc := finish(t, c, s.op.Login(t, c, u.String())); loc != errorURL(s) {
			t.Errorf("Location %q; want %s", loc, errorURL(s))
		}
	})
	t.Run("expired ID token", func(t *testing.T) {
		s := newOIDCSite(t, func(pc *oauth.Config, _ *latch.Config) {
			pc.Now = func() time.Time { return time.Now().Add(3 * time.Hour) }
		})
		c := newBrowser()
		if loc := finish(t, c, s.op.Login(t, c, s.start(t, c, ""))); loc != errorURL(s) {
			t.Errorf("Location %q; want %s", loc, errorURL(s))
		}
	})
	t.Run("access_denied from the provider", func(t *testing.T) {
		s := newOIDCSite(t, nil)
		c := newBrowser()
		s.start(t, c, "")
		// NextAuth 4 answers Callback here (OAuthCallback is for failed checks).
		want := s.srv.URL + "/api/auth/error?error=Callback"
		if loc := finish(t, c, s.srv.URL+"/api/auth/callback/idp?error=access_denied&state=x"); loc != want {
			t.Errorf("Location %q; want %s", loc, want)
		}
	})
	t.Run("callback of an unknown provider", func(t *testing.T) {
		s := newOIDCSite(t, nil)
		c := newBrowser()
		cb := s.op.Login(t, c, s.start(t, c, ""))
		// Present the callback under another provider id: unknown → 400.
		res, _ := c.Get(strings.Replace(cb, "/callback/idp", "/callback/other", 1))
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("unknown provider callback: %d; want 400", res.StatusCode)
		}
	})
}

// An email that belongs to an existing user is not linked silently.
func TestOIDCAccountNotLinked(t *testing.T) {
	var s *oidcSite
	s = newOIDCSite(t, nil)
	if _, err := s.store.CreateUser(context.Background(), latch.StoredUser{User: latch.User{Email: s.op.Email, Name: "Existing"}}); err != nil {
		t.Fatal(err)
	}
	c := newBrowser()
	if loc := finish(t, c, s.op.Login(t, c, s.start(t, c, ""))); loc != s.srv.URL+"/api/auth/error?error=OAuthAccountNotLinked" {
		t.Errorf("Location %q; want error=OAuthAccountNotLinked", loc)
	}
	if got := s.session(t, c); got != "{}" {
		t.Errorf("session = %s; want none", got)
	}

	// With linking by verified email allowed, the same sign-in links.
	s2 := newOIDCSite(t, func(pc *oauth.Config, _ *latch.Config) { pc.AllowEmailLinking = true })
	existing, _ := s2.store.CreateUser(context.Background(), latch.StoredUser{User: latch.User{Email: s2.op.Email, Name: "Existing"}, EmailVerified: time.Now()})
	c2 := newBrowser()
	loc := finish(t, c2, s2.op.Login(t, c2, s2.start(t, c2, "")))
	wantLinked := s2.op.EmailVerified
	if wantLinked {
		if loc != s2.srv.URL+"/after" {
			t.Fatalf("Location %q; want /after", loc)
		}
		u, err := s2.store.UserByAccount(context.Background(), "idp", s2.op.Subject)
		if err != nil || u.ID != existing.ID {
			t.Errorf("account linked to %+v, %v; want the existing user %s", u, err, existing.ID)
		}
	} else if loc != s2.srv.URL+"/api/auth/error?error=OAuthAccountNotLinked" {
		t.Errorf("unverified email: Location %q; want OAuthAccountNotLinked", loc)
	}
}

// A signed-in user links a second provider account to themselves.
// meCredentials is a credentials provider that signs in as the stored
// user me@example.com, whatever is submitted.
func meCredentials(store latch.Store) *latch.Credentials {
	return &latch.Credentials{Authorize: func(ctx context.Context, _ map[string]string, _ *http.Request) (*latch.User, error) {
		u, err := store.UserByEmail(ctx, "me@example.com")
		if err != nil {
			return nil, err
		}
		return &u.User, nil
	}}
}

func TestOIDCLinkWhileSignedIn(t *testing.T) {
	s := newOIDCSite(t, func(_ *oauth.Config, cfg *latch.Config) {
		cfg.Providers = []latch.Provider{meCredentials(cfg.Store)}
	})
	me, _ := s.store.CreateUser(context.Background(), latch.StoredUser{User: latch.User{Email: "me@example.com", Name: "Me"}})
	c := newBrowser()
	res, _ := c.Get(s.srv.URL + "/api/auth/csrf")
	var csrf struct{ CsrfToken string }
	json.NewDecoder(res.Body).Decode(&csrf)
	res, _ = c.PostForm(s.srv.URL+"/api/auth/callback/credentials", url.Values{"csrfToken": {csrf.CsrfToken}, "json": {"true"}})
	if res.StatusCode != 200 {
		t.Fatalf("credentials sign-in: %d", res.StatusCode)
	}
	if loc := finish(t, c, s.op.Login(t, c, s.start(t, c, ""))); loc != s.srv.URL+"/after" {
		t.Fatalf("link: Location %q", loc)
	}
	u, err := s.store.UserByAccount(context.Background(), "idp", s.op.Subject)
	if err != nil || u.ID != me.ID {
		t.Errorf("provider account linked to %+v, %v; want %s", u, err, me.ID)
	}
	if s.created.Load() != 0 || s.linked.Load() != 1 {
		t.Errorf("createUser %d, linkAccount %d; want 0, 1", s.created.Load(), s.linked.Load())
	}
}

// response_mode=form_post: the provider POSTs code and state to the
// callback instead of redirecting with a query.
func TestOIDCFormPostCallback(t *testing.T) {
	s := newOIDCSite(t, nil)
	c := newBrowser()
	cb := s.op.Login(t, c, s.start(t, c, ""))
	u, _ := url.Parse(cb)
	res, err := c.PostForm(s.srv.URL+"/api/auth/callback/idp", u.Query())
	if err != nil {
		t.Fatal(err)
	}
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusFound || loc != s.srv.URL+"/after" {
		t.Fatalf("form_post callback: %d %q; want 302 to /after", res.StatusCode, loc)
	}
	if got := s.session(t, c); !strings.Contains(got, s.op.Email) {
		t.Errorf("session after form_post = %s", got)
	}
}

// A form_post provider on https POSTs the callback from its own site, so
// a browser sends only the cookies that are SameSite=None: the check
// cookies must be, and must carry the callback URL, since the Lax
// callback-url cookie stays behind. The provider is set up as the Apple
// preset is: a client secret made per token request, and the user's name
// from the "user" field of the first callback.
func TestOIDCFormPostCrossSite(t *testing.T) {
	var secrets atomic.Int32
	s := newOIDCSiteOn(t, httptest.NewTLSServer, func(pc *oauth.Config, _ *latch.Config) {
		pc.Params = map[string]string{"response_mode": "form_post"}
		pc.Checks = &latch.OAuthChecks{State: true, Nonce: true}
		pc.Profile = oauth.AppleProfile
		secret := pc.ClientSecret
		pc.ClientSecret = ""
		pc.ClientSecretFunc = func(context.Context) (string, error) { secrets.Add(1); return secret, nil }
	})
	b := newTLSBrowser(s)
	// A sign-in request cannot switch the response mode back.
	authURL, res := b.startFormPost(t, "?response_mode=query")
	if !strings.Contains(authURL, "response_mode=form_post") {
		t.Errorf("authorization URL %q; want response_mode=form_post", authURL)
	}
	for _, h := range res.Header.Values("Set-Cookie") {
		name, _, _ := strings.Cut(h, "=")
		switch name {
		case "__Secure-next-auth.state", "__Secure-next-auth.nonce":
			if !strings.Contains(h, "; Secure") || !strings.Contains(h, "; SameSite=None") || !strings.Contains(h, "; HttpOnly") {
				t.Errorf("check cookie %s; want HttpOnly; Secure; SameSite=None", h)
			}
		case "__Secure-next-auth.callback-url":
			if !strings.Contains(h, "; SameSite=Lax") {
				t.Errorf("callback-url cookie %s; want SameSite=Lax", h)
			}
		}
	}
	if len(b.crossSite) != 2 {
		t.Fatalf("sign-in set cookies %q; want the state and nonce cookies SameSite=None", res.Header.Values("Set-Cookie"))
	}

	action, fields := s.op.LoginFormPost(t, b.Client, authURL)
	if action != s.srv.URL+"/api/auth/callback/idp" || fields.Get("code") == "" || fields.Get("state") == "" {
		t.Fatalf("form_post to %q with %v; want code and state to the callback", action, fields)
	}
	fields.Set("user", `{"name":{"firstName":"Ann","lastName":"Apple"},"email":"ann@example.com"}`)
	res = b.crossSitePost(t, action, fields)
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusFound || loc != s.srv.URL+"/after" {
		t.Fatalf("cross-site form_post callback: %d %q; want 302 to %s/after (from the state cookie)", res.StatusCode, loc, s.srv.URL)
	}
	if got := s.session(t, b.Client); !strings.Contains(got, s.op.Email) || !strings.Contains(got, `"name":"Ann Apple"`) {
		t.Errorf("session after the cross-site form_post = %s; want %s named Ann Apple", got, s.op.Email)
	}
	if secrets.Load() != 1 {
		t.Errorf("client secrets made: %d; want 1", secrets.Load())
	}
	for _, ck := range res.Cookies() {
		if b.crossSite[ck.Name] && ck.MaxAge >= 0 {
			t.Errorf("check cookie %s not cleared by the callback", ck.Name)
		}
	}
}

// A signed-in user who adds a form_post provider gets the account linked,
// although the provider's cross-site POST comes without the session
// cookie: the sign-in carried the session in its check cookie. Signing
// out before the provider answers ends that sign-in.
func TestOIDCFormPostLinksSignedInUser(t *testing.T) {
	tests := []struct {
		name              string
		database, signOut bool
	}{
		{"signed in", false, false},
		{"signed in, database sessions", true, false},
		{"signed out meanwhile", false, true},
	}
	for _, tt := range tests {
		signOutFirst := tt.signOut
		t.Run(tt.name, func(t *testing.T) {
			s := newOIDCSiteOn(t, httptest.NewTLSServer, func(pc *oauth.Config, cfg *latch.Config) {
				pc.Params = map[string]string{"response_mode": "form_post"}
				cfg.Providers = []latch.Provider{meCredentials(cfg.Store)}
				if tt.database {
					cfg.Strategy = latch.DatabaseSessions
				}
			})
			me, _ := s.store.CreateUser(context.Background(), latch.StoredUser{User: latch.User{Email: "me@example.com", Name: "Me"}})
			b := newTLSBrowser(s)
			if res := b.post(t, "/api/auth/callback/credentials", url.Values{"json": {"true"}}); res.StatusCode != http.StatusOK {
				t.Fatalf("credentials sign-in: %d", res.StatusCode)
			}
			authURL, _ := b.startFormPost(t, "")
			action, fields := s.op.LoginFormPost(t, b.Client, authURL)
			if signOutFirst {
				b.post(t, "/api/auth/signout", url.Values{"json": {"true"}})
			}
			res := b.crossSitePost(t, action, fields)
			linked, err := s.store.UserByAccount(context.Background(), "idp", s.op.Subject)
			if signOutFirst {
				if loc := res.Header.Get("Location"); !strings.Contains(loc, "error=OAuthCallback") || err == nil {
					t.Errorf("callback after signing out: %q, account linked to %+v; want OAuthCallback and nothing linked", loc, linked)
				}
				return
			}
			if loc := res.Header.Get("Location"); loc != s.srv.URL+"/after" {
				t.Fatalf("callback: Location %q; want %s/after", loc, s.srv.URL)
			}
			if err != nil || linked.ID != me.ID || s.created.Load() != 0 || s.linked.Load() != 1 {
				t.Errorf("account linked to %+v (%v), users created %d, links %d; want linked to %s, 0 created, 1 link", linked, err, s.created.Load(), s.linked.Load(), me.ID)
			}
			if tt.database {
				// The session the sign-in started with was replaced, not
				// left behind.
				if sessions, err := s.store.UserSessions(context.Background(), me.ID); err != nil || len(sessions) != 1 {
					t.Errorf("sessions of the user after the link: %d (%v); want 1", len(sessions), err)
				}
			}
		})
	}
}

// tlsBrowser is a browser for an https oidcSite that knows which cookies
// it would send with a cross-site POST: those set SameSite=None.
type tlsBrowser struct {
	*http.Client
	s         *oidcSite
	crossSite map[string]bool
}

func newTLSBrowser(s *oidcSite) *tlsBrowser {
	c := s.srv.Client()
	c.Jar, _ = cookiejar.New(nil)
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &tlsBrowser{Client: c, s: s, crossSite: map[string]bool{}}
}

// post posts form to path with the CSRF token, noting SameSite=None
// cookies.
func (b *tlsBrowser) post(t *testing.T, path string, form url.Values) *http.Response {
	t.Helper()
	res, err := b.Get(b.s.srv.URL + "/api/auth/csrf")
	if err != nil {
		t.Fatal(err)
	}
	var csrf struct{ CsrfToken string }
	json.NewDecoder(res.Body).Decode(&csrf)
	form.Set("csrfToken", csrf.CsrfToken)
	if res, err = b.PostForm(b.s.srv.URL+path, form); err != nil {
		t.Fatal(err)
	}
	for _, h := range res.Header.Values("Set-Cookie") {
		if name, _, _ := strings.Cut(h, "="); strings.Contains(h, "; SameSite=None") {
			b.crossSite[name] = true
		}
	}
	return res
}

// startFormPost posts the sign-in form for "idp" (query added to its URL)
// and returns the provider's authorization URL and the response.
func (b *tlsBrowser) startFormPost(t *testing.T, query string) (string, *http.Response) {
	t.Helper()
	res := b.post(t, "/api/auth/signin/idp"+query, url.Values{"callbackUrl": {"/after"}, "json": {"true"}})
	var out struct{ URL string }
	json.NewDecoder(res.Body).Decode(&out)
	if !strings.HasPrefix(out.URL, b.s.op.Issuer) {
		t.Fatalf("sign-in answer url = %q; want the provider's authorization URL", out.URL)
	}
	return out.URL, res
}

// crossSitePost posts fields to action as a browser does for a page on
// another site: with the SameSite=None cookies only. The answer's cookies
// go to the jar.
func (b *tlsBrowser) crossSitePost(t *testing.T, action string, fields url.Values) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, action, strings.NewReader(fields.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	u, _ := url.Parse(action)
	for _, ck := range b.Jar.Cookies(u) {
		if b.crossSite[ck.Name] {
			req.AddCookie(ck)
		}
	}
	bare := *b.Client
	bare.Jar = nil
	res, err := bare.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b.Jar.SetCookies(u, res.Cookies())
	return res
}

// Without https, SameSite=None cookies cannot be set (browsers want them
// Secure): a form_post provider's check cookies stay Lax there.
func TestOIDCFormPostCheckCookiesLaxOnHTTP(t *testing.T) {
	var logs strings.Builder
	s := newOIDCSite(t, func(pc *oauth.Config, cfg *latch.Config) {
		pc.Params = map[string]string{"response_mode": "form_post"}
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "provider=idp") || !strings.Contains(logs.String(), "https") {
		t.Errorf("New logged %q; want a warning that the form_post provider idp needs https", logs.String())
	}
	c := newBrowser()
	res, _ := c.Get(s.srv.URL + "/api/auth/csrf")
	var csrf struct{ CsrfToken string }
	json.NewDecoder(res.Body).Decode(&csrf)
	res, err := c.PostForm(s.srv.URL+"/api/auth/signin/idp", url.Values{"csrfToken": {csrf.CsrfToken}, "json": {"true"}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, h := range res.Header.Values("Set-Cookie") {
		if strings.HasPrefix(h, "next-auth.state=") || strings.HasPrefix(h, "next-auth.pkce.code_verifier=") {
			n++
			if !strings.Contains(h, "; SameSite=Lax") {
				t.Errorf("check cookie on http %s; want SameSite=Lax", h)
			}
		}
	}
	if n != 2 {
		t.Errorf("sign-in set %d check cookies; want 2", n)
	}
}

// A user whose email was never proven is not linked by email, even when
// the provider allows linking: whoever registered the address first must
// not receive the account.
func TestOIDCNoLinkToUnverifiedUser(t *testing.T) {
	s := newOIDCSite(t, func(pc *oauth.Config, _ *latch.Config) { pc.AllowEmailLinking = true })
	squatter, _ := s.store.CreateUser(context.Background(), latch.StoredUser{User: latch.User{Email: s.op.Email, Name: "Squatter"}})
	c := newBrowser()
	if loc := finish(t, c, s.op.Login(t, c, s.start(t, c, ""))); loc != s.srv.URL+"/api/auth/error?error=OAuthAccountNotLinked" {
		t.Errorf("Location %q; want error=OAuthAccountNotLinked", loc)
	}
	if accs, _ := s.store.Accounts(context.Background(), squatter.ID); len(accs) != 0 {
		t.Errorf("accounts linked to the unverified user: %+v", accs)
	}
}

// A sign-in the SignIn callback refuses writes nothing: no user, no link,
// no events.
func TestOIDCRefusedSignInWritesNothing(t *testing.T) {
	s := newOIDCSite(t, func(_ *oauth.Config, cfg *latch.Config) {
		cfg.Callbacks.SignIn = func(context.Context, *latch.SignInParams) error { return latch.ErrAccessDenied }
	})
	c := newBrowser()
	if loc := finish(t, c, s.op.Login(t, c, s.start(t, c, ""))); loc != s.srv.URL+"/api/auth/error?error=AccessDenied" {
		t.Errorf("Location %q; want error=AccessDenied", loc)
	}
	if users, _ := s.store.ListUsers(context.Background()); len(users) != 0 {
		t.Errorf("users after a refused sign-in: %d; want 0", len(users))
	}
	if s.created.Load() != 0 || s.linked.Load() != 0 {
		t.Errorf("events after a refused sign-in: createUser %d, linkAccount %d", s.created.Load(), s.linked.Load())
	}
}

// A session the JWT callback has ended cannot link accounts.
func TestOIDCEndedSessionCannotLink(t *testing.T) {
	var revoked atomic.Bool
	s := newOIDCSite(t, func(_ *oauth.Config, cfg *latch.Config) {
		cfg.Callbacks.JWT = func(_ context.Context, p *latch.JWTParams) (latch.Token, error) {
			if p.Trigger == "" && revoked.Load() {
				return nil, nil
			}
			return p.Token, nil
		}
		cfg.Providers = []latch.Provider{&latch.Credentials{Authorize: func(ctx context.Context, _ map[string]string, _ *http.Request) (*latch.User, error) {
			u, err := cfg.Store.UserByEmail(ctx, "victim@example.com")
			if err != nil {
				return nil, err
			}
			return &u.User, nil
		}}}
	})
	victim, _ := s.store.CreateUser(context.Background(), latch.StoredUser{User: latch.User{Email: "victim@example.com"}})
	c := newBrowser()
	res, _ := c.Get(s.srv.URL + "/api/auth/csrf")
	var csrf struct{ CsrfToken string }
	json.NewDecoder(res.Body).Decode(&csrf)
	c.PostForm(s.srv.URL+"/api/auth/callback/credentials", url.Values{"csrfToken": {csrf.CsrfToken}, "json": {"true"}})
	revoked.Store(true)
	finish(t, c, s.op.Login(t, c, s.start(t, c, "")))
	if accs, _ := s.store.Accounts(context.Background(), victim.ID); len(accs) != 0 {
		t.Errorf("an ended session linked %+v to its user", accs)
	}
}
