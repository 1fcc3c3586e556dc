// Package oauthtest runs a real OpenID provider in the test process, for
// tests of OAuth sign-ins that must not reach the network.
//
// The provider is zitadel/oidc's example OP (in-memory storage, a login
// form with a test user) served by httptest on 127.0.0.1. Point a
// provider/oauth Config at it and sign in with a cookie-jar client:
//
//	op := oauthtest.NewProvider(t, srv.URL+"/api/auth/callback/test")
//	p, _ := oauth.New(oauth.OIDC("test", "Test", op.Issuer, op.ClientID, op.ClientSecret))
//	authURL, _ := p.AuthCodeURL(ctx, latch.AuthorizationRequest{...})
//	callback := op.Login(t, client, authURL) // .../callback/test?code=...&state=...
//
// The OP answers ID tokens with only the protocol claims (sub, nonce,
// at_hash, ...); the user's email and name come from its userinfo
// endpoint.
package oauthtest

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// OP is a running OpenID provider with one registered web client
// (client_secret_basic or client_secret_post) and one user.
type OP struct {
	// Issuer is the OP's URL, "http://127.0.0.1:<port>" (no trailing
	// slash); discovery is at Issuer + "/.well-known/openid-configuration".
	Issuer string
	// ClientID and ClientSecret are the registered client's credentials.
	ClientID, ClientSecret string
	// Username and Password sign the test user in on the login form.
	Username, Password string
	// Subject, Email, Name and EmailVerified are what the OP says about
	// the test user ("sub", "email", "name", "email_verified").
	Subject, Email, Name string
	EmailVerified        bool

	store *store

	refreshes atomic.Int64
	mu        sync.Mutex
	failN     int           // refresh requests left to fail
	failCode  int           // with this status
	delay     time.Duration // before answering each refresh request
	codeTTL   time.Duration // expires_in of the code grant's access tokens
}

// NewProvider starts an OP whose client accepts redirectURIs (they must
// match the authorization request's redirect_uri exactly; see
// [OP.SetRedirectURIs] to set them once the RP's server is running). The
// OP stops when the test ends.
func NewProvider(t testing.TB, redirectURIs ...string) *OP {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	issuer := "http://" + srv.Listener.Addr().String()

	// The example user store names the test user after the issuer's host;
	// "localhost" keeps the username the documented test-user@localhost.
	users := storage.NewUserStore("http://localhost:9998/")
	user := users.GetUserByID("id1")
	o := &OP{
		Issuer:        issuer,
		ClientID:      "latch-test",
		ClientSecret:  rand.Text(),
		Username:      user.Username,
		Password:      user.Password,
		Subject:       user.ID,
		Email:         user.Email,
		Name:          user.FirstName + " " + user.LastName,
		EmailVerified: user.EmailVerified,
	}
	// Each OP has its own client table: the example's package-level one
	// (storage.RegisterClients) is shared by every OP in the process.
	o.store = &store{Storage: storage.NewStorageWithClients(users, map[string]*storage.Client{}), id: o.ClientID, secret: o.ClientSecret}
	o.SetRedirectURIs(redirectURIs...)

	srv.Config.Handler = o.tokenEndpoint(exampleop.SetupServer(issuer, o.store, nil, false))
	srv.Start()
	t.Cleanup(srv.Close)
	return o
}

// SetPostLogoutRedirectURIs sets the URIs the OP's end_session endpoint
// (OpenID Connect RP-initiated logout) may send the browser back to. The
// endpoint ends the user's grants to the client: its access and refresh
// tokens stop working.
func (o *OP) SetPostLogoutRedirectURIs(uris ...string) {
	o.store.mu.Lock()
	defer o.store.mu.Unlock()
	o.store.logout = slices.Clone(uris)
}

// Refreshes returns how many refresh_token grant requests the token
// endpoint received (failed ones too).
func (o *OP) Refreshes() int { return int(o.refreshes.Load()) }

// FailRefreshes makes the next n refresh requests fail with the HTTP
// status (e.g. 503), without reaching the OP: the refresh token stays
// valid.
func (o *OP) FailRefreshes(n, status int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.failN, o.failCode = n, status
}

// SlowRefreshes delays the answer to every refresh request by d: a slow
// token endpoint.
func (o *OP) SlowRefreshes(d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.delay = d
}

// ShortFirstToken makes the access token of every sign-in (the
// authorization code grant) say it expires in d (the OP's tokens live 5
// minutes; refreshed ones still say so): a sign-in whose token is about
// to expire at once.
func (o *OP) ShortFirstToken(d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.codeTTL = d
}

// RevokeRefreshToken revokes a refresh token (as the revocation endpoint
// would): refreshing with it fails with invalid_grant from then on.
func (o *OP) RevokeRefreshToken(t testing.TB, token string) {
	t.Helper()
	if err := o.store.RevokeToken(context.Background(), token, "", o.ClientID); err != nil {
		t.Fatalf("oauthtest: revoke: %v", err)
	}
}

// RevokeAll ends the test user's grants to the client at the OP: every
// access and refresh token it holds stops working (as when the user
// revokes the app's access, or signs out at the OP).
func (o *OP) RevokeAll(t testing.TB) {
	t.Helper()
	if err := o.store.TerminateSession(context.Background(), o.Subject, o.ClientID); err != nil {
		t.Fatalf("oauthtest: revoke the user's tokens: %v", err)
	}
}

// tokenEndpoint counts, fails and delays refresh requests to next's token
// endpoint. The OP rotates refresh tokens: each works once.
func (o *OP) tokenEndpoint(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/oauth/token" {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		if err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		form, _ := url.ParseQuery(string(body))
		o.mu.Lock()
		codeTTL := o.codeTTL
		o.mu.Unlock()
		if form.Get("grant_type") == "authorization_code" && codeTTL > 0 {
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			var m map[string]any
			if rec.Code == http.StatusOK && json.Unmarshal(rec.Body.Bytes(), &m) == nil {
				m["expires_in"] = int(codeTTL / time.Second)
				b, _ := json.Marshal(m)
				rec.Body.Reset()
				rec.Body.Write(b)
			}
			for k, v := range rec.Header() {
				if k != "Content-Length" {
					w.Header()[k] = v
				}
			}
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
			return
		}
		if form.Get("grant_type") != "refresh_token" {
			next.ServeHTTP(w, r)
			return
		}
		o.refreshes.Add(1)
		o.mu.Lock()
		fail, code, delay := o.failN > 0, o.failCode, o.delay
		if fail {
			o.failN--
		}
		o.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		if fail {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			io.WriteString(w, `{"error":"temporarily_unavailable"}`)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// SetRedirectURIs replaces the redirect URIs the client accepts.
func (o *OP) SetRedirectURIs(uris ...string) {
	o.store.set(storage.WebClient(o.ClientID, o.ClientSecret, slices.Clone(uris)...))
}

// Login signs the test user in: it GETs authURL (the OP's authorization
// URL) with client, fills in the OP's login form, and follows the OP's
// redirects until one leaves the OP. It returns that redirect's URL, the
// RP's callback with "code" and "state" (or "error"), without requesting
// it. client keeps its cookie jar; a nil client means a new one with a
// jar. The test fails if the OP answers anything else.
func (o *OP) Login(t testing.TB, client *http.Client, authURL string) (callbackURL string) {
	t.Helper()
	cb := o.login(t, client, authURL)
	if cb.form != nil {
		t.Fatalf("oauthtest: the OP answered with a form_post page to %s; use LoginFormPost", cb.url)
	}
	return cb.url
}

// LoginFormPost is Login for an authorization request with
// response_mode=form_post: the OP ends with a page that POSTs the
// response to the RP. It returns that form's action (the RP's callback)
// and fields ("code" and "state", or "error"), without posting them.
func (o *OP) LoginFormPost(t testing.TB, client *http.Client, authURL string) (action string, fields url.Values) {
	t.Helper()
	cb := o.login(t, client, authURL)
	if cb.form == nil {
		t.Fatalf("oauthtest: the OP redirected to %s instead of answering with a form_post page", cb.url)
	}
	return cb.url, cb.form
}

// callback is how the OP hands the browser back to the RP: a redirect
// to url, or (form_post) a form posting form to url.
type callback struct {
	url  string
	form url.Values
}

func (o *OP) login(t testing.TB, client *http.Client, authURL string) callback {
	t.Helper()
	if client == nil {
		jar, _ := cookiejar.New(nil)
		client = &http.Client{Jar: jar}
	}
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	issuer, err := url.Parse(o.Issuer)
	if err != nil {
		t.Fatalf("oauthtest: issuer %q: %v", o.Issuer, err)
	}
	leaves := func(u *url.URL) bool { return u.Scheme != issuer.Scheme || u.Host != issuer.Host }
	req, err := http.NewRequest(http.MethodGet, authURL, nil)
	if err != nil {
		t.Fatalf("oauthtest: authorization URL %q: %v", authURL, err)
	}
	submitted := false
	for range 10 {
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("oauthtest: %s %s: %v", req.Method, req.URL, err)
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		switch {
		case resp.StatusCode >= 300 && resp.StatusCode < 400:
			loc, err := resp.Location()
			if err != nil {
				t.Fatalf("oauthtest: %s %s: status %d without a usable Location: %v", req.Method, req.URL, resp.StatusCode, err)
			}
			if leaves(loc) {
				return callback{url: loc.String()}
			}
			req, _ = http.NewRequest(http.MethodGet, loc.String(), nil)
		case resp.StatusCode == http.StatusOK:
			form, err := loginForm(req.URL, string(body))
			if err != nil {
				t.Fatalf("oauthtest: %s %s: %v; page:\n%s", req.Method, req.URL, err, limit(body))
			}
			if action, _ := url.Parse(form.action); submitted && leaves(action) {
				return callback{url: form.action, form: form.values}
			}
			if submitted {
				t.Fatalf("oauthtest: %s %s: the login form again:\n%s", req.Method, req.URL, limit(body))
			}
			form.values.Set("username", o.Username)
			form.values.Set("password", o.Password)
			req, _ = http.NewRequest(http.MethodPost, form.action, strings.NewReader(form.values.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			submitted = true
		default:
			t.Fatalf("oauthtest: %s %s: status %d:\n%s", req.Method, req.URL, resp.StatusCode, limit(body))
		}
	}
	t.Fatalf("oauthtest: too many redirects from %s", authURL)
	return callback{}
}

func limit(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}

type form struct {
	action string
	values url.Values
}

var (
	formRE   = regexp.MustCompile(`(?is)<form[^>]*\baction="([^"]*)"`)
	hiddenRE = regexp.MustCompile(`(?is)<input[^>]*\btype="hidden"[^>]*\bname="([^"]*)"[^>]*\bvalue="([^"]*)"`)
)

// loginForm reads the action and hidden fields of the OP's login page, or
// of its form_post page.
func loginForm(page *url.URL, body string) (*form, error) {
	m := formRE.FindStringSubmatch(body)
	if m == nil {
		return nil, errors.New("no login form")
	}
	action, err := page.Parse(html.UnescapeString(m[1]))
	if err != nil {
		return nil, err
	}
	f := &form{action: action.String(), values: url.Values{}}
	for _, h := range hiddenRE.FindAllStringSubmatch(body, -1) {
		f.values.Set(html.UnescapeString(h[1]), html.UnescapeString(h[2]))
	}
	return f, nil
}

// store is the example storage with a client table of its own, safe to
// change while the OP runs.
type store struct {
	*storage.Storage

	id, secret string
	mu         sync.Mutex
	client     *storage.Client
	logout     []string // post_logout_redirect_uris
}

// logoutClient is a client with registered post_logout_redirect_uris.
type logoutClient struct {
	op.Client
	logout []string
}

// PostLogoutRedirectURIs implements op.Client.
func (c logoutClient) PostLogoutRedirectURIs() []string { return c.logout }

func (s *store) set(c *storage.Client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.client = c
}

// GetClientByClientID implements op.Storage.
func (s *store) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id != s.id {
		return nil, errors.New("client not found")
	}
	if len(s.logout) > 0 {
		return logoutClient{Client: s.client, logout: s.logout}, nil
	}
	return storage.RedirectGlobsClient(s.client), nil
}

// AuthorizeClientIDSecret implements op.Storage.
func (s *store) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	if id != s.id {
		return errors.New("client not found")
	}
	if secret != s.secret {
		return errors.New("invalid secret")
	}
	return nil
}
