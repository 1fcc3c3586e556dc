// Package client is useSession for Go programs: CLIs, services, tests and
// desktop apps that sign in to a server speaking the NextAuth v4 REST API —
// Latch, or an existing NextAuth/Auth.js app.
//
// A [Client] keeps its own cookie jar and the session state of
// @sidebase/nuxt-auth's useAuth(): [Client.Status], [Client.Data] and
// [Client.LastRefreshedAt], with [Client.GetCsrfToken],
// [Client.GetProviders], [Client.GetSession], [Client.SignIn],
// [Client.SignOut] and [Client.Update]. Subscribers hear of every change.
// The package depends on the standard library only.
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Status is the state of the session.
type Status int

const (
	// Unauthenticated: no session (or not fetched yet).
	Unauthenticated Status = iota
	// Loading: the first session request is under way.
	Loading
	// Authenticated: a session is present.
	Authenticated
)

// String returns the status as useSession names it: "loading",
// "authenticated" or "unauthenticated".
func (s Status) String() string {
	switch s {
	case Loading:
		return "loading"
	case Authenticated:
		return "authenticated"
	}
	return "unauthenticated"
}

// Session is the session JSON of the server.
type Session struct {
	User    User      `json:"user"`
	Expires time.Time `json:"expires"`
	// Extra holds every other top-level field the server's session
	// callback added, undecoded.
	Extra map[string]json.RawMessage `json:"-"`
}

// User is the session's user.
type User struct {
	ID    string `json:"id,omitempty"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	Image string `json:"image,omitempty"`
}

// Provider is one entry of GET <base>/providers.
type Provider struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Type        string `json:"type"`
	SigninURL   string `json:"signinUrl"`
	CallbackURL string `json:"callbackUrl"`
}

// State is a snapshot of the session state, as subscribers receive it.
type State struct {
	Status Status
	// Fetched is false until the first session answer.
	Fetched bool
	// Session is nil when signed out or not fetched.
	Session         *Session
	LastRefreshedAt time.Time
}

// Client talks to one auth server. It is safe for concurrent use.
type Client struct {
	base     *url.URL // e.g. http://localhost:3000/api/auth
	hc       *http.Client
	interval time.Duration

	mu      sync.Mutex
	state   State
	subs    map[int]func(State)
	nextSub int
}

// Option configures a Client.
type Option interface{ apply(*Client) }

type optionFunc func(*Client)

func (f optionFunc) apply(c *Client) { f(c) }

// WithHTTPClient sets the HTTP client. Its Jar keeps the cookies (one is
// added when it has none); redirects of the auth API are not followed.
func WithHTTPClient(hc *http.Client) Option {
	return optionFunc(func(c *Client) { cp := *hc; c.hc = &cp })
}

// WithJar sets the cookie jar, e.g. to share cookies with other clients.
func WithJar(jar http.CookieJar) Option {
	return optionFunc(func(c *Client) { c.hc.Jar = jar })
}

// WithTimeout bounds each request. Default 30 seconds.
func WithTimeout(d time.Duration) Option {
	return optionFunc(func(c *Client) { c.hc.Timeout = d })
}

// WithRefreshInterval makes [Client.Run] refresh the session this often
// while signed in.
func WithRefreshInterval(d time.Duration) Option {
	return optionFunc(func(c *Client) { c.interval = d })
}

// New returns a client of the auth API at baseURL, e.g.
// "http://localhost:3000/api/auth" (a URL without a path gets /api/auth).
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("client: base URL %q is not an absolute http(s) URL", baseURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	if u.Path == "" {
		u.Path = "/api/auth"
	}
	u.RawQuery, u.Fragment = "", ""
	c := &Client{base: u, hc: &http.Client{Timeout: 30 * time.Second}, subs: map[int]func(State){}}
	for _, o := range opts {
		o.apply(c)
	}
	if c.hc.Jar == nil {
		c.hc.Jar, _ = cookiejar.New(nil)
	}
	c.hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c, nil
}

// BaseURL returns the auth API's URL.
func (c *Client) BaseURL() string { return c.base.String() }

// Jar returns the cookie jar holding the session.
func (c *Client) Jar() http.CookieJar { return c.hc.Jar }

// Status returns Loading during the first session request, then
// Authenticated or Unauthenticated. Later refreshes keep the status until
// their answer arrives.
func (c *Client) Status() Status { return c.State().Status }

// Data returns the session, or nil when signed out; fetched is false
// before any session answer (nuxt-auth's data === undefined).
func (c *Client) Data() (s *Session, fetched bool) {
	st := c.State()
	return st.Session, st.Fetched
}

// LastRefreshedAt returns when the last session request was sent (zero:
// never).
func (c *Client) LastRefreshedAt() time.Time { return c.State().LastRefreshedAt }

// State returns a snapshot of the whole state.
func (c *Client) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Subscribe calls fn with the new state after every change, until the
// returned function is called. fn runs on the goroutine that made the
// change and must not block.
func (c *Client) Subscribe(fn func(State)) (unsubscribe func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := c.nextSub
	c.nextSub++
	c.subs[id] = fn
	return func() {
		c.mu.Lock()
		delete(c.subs, id)
		c.mu.Unlock()
	}
}

// Changes returns a channel that receives the state after every change
// until ctx ends. A slow reader misses intermediate states, never the
// latest one.
func (c *Client) Changes(ctx context.Context) <-chan State {
	ch := make(chan State, 1)
	var mu sync.Mutex // one drain-and-send at a time, so a send never blocks
	unsub := c.Subscribe(func(s State) {
		mu.Lock()
		defer mu.Unlock()
		select {
		case <-ch: // drop the stale state
		default:
		}
		ch <- s
	})
	go func() {
		<-ctx.Done()
		unsub()
	}()
	return ch
}

// update changes the state under the lock and notifies subscribers.
func (c *Client) update(f func(*State)) {
	c.mu.Lock()
	before := c.state
	f(&c.state)
	after := c.state
	subs := make([]func(State), 0, len(c.subs))
	for _, fn := range c.subs {
		subs = append(subs, fn)
	}
	c.mu.Unlock()
	if before.Status == after.Status && before.Fetched == after.Fetched && before.LastRefreshedAt.Equal(after.LastRefreshedAt) && sameSession(before.Session, after.Session) {
		return
	}
	for _, fn := range subs {
		fn(after)
	}
}

func sameSession(a, b *Session) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.User != b.User || !a.Expires.Equal(b.Expires) || len(a.Extra) != len(b.Extra) {
		return false
	}
	for k, v := range a.Extra {
		if string(b.Extra[k]) != string(v) {
			return false
		}
	}
	return true
}

// Run refreshes the session every WithRefreshInterval while signed in,
// until ctx ends. Without an interval it returns at once.
func (c *Client) Run(ctx context.Context) error {
	if c.interval <= 0 {
		return nil
	}
	t := time.NewTicker(c.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			if c.Status() == Authenticated {
				c.GetSession(ctx, GetSessionOptions{})
			}
		}
	}
}

// url returns <base>/<path>.
func (c *Client) url(path string, q url.Values) string {
	u := *c.base
	u.Path += "/" + path
	if len(q) > 0 {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// do sends a request and decodes a JSON answer into v (when non-nil).
func (c *Client) do(ctx context.Context, method, path string, q url.Values, body io.Reader, contentType string, v any) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.url(path, q), body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return nil, &UnreachableError{URL: req.URL.String(), Err: err}
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return res, &UnreachableError{URL: req.URL.String(), Err: err}
	}
	if v != nil && len(data) > 0 {
		if err := json.Unmarshal(data, v); err != nil {
			return res, fmt.Errorf("client: %s %s answered %d with a body that is not the expected JSON: %w", method, path, res.StatusCode, err)
		}
	}
	return res, nil
}

// GetCsrfToken returns the CSRF token (GET <base>/csrf).
func (c *Client) GetCsrfToken(ctx context.Context) (string, error) {
	var out struct {
		CsrfToken string `json:"csrfToken"`
	}
	res, err := c.do(ctx, http.MethodGet, "csrf", nil, nil, "", &out)
	if err != nil {
		return "", err
	}
	if res.StatusCode != http.StatusOK || out.CsrfToken == "" {
		return "", fmt.Errorf("client: no CSRF token (status %d): %w", res.StatusCode, ErrCSRF)
	}
	return out.CsrfToken, nil
}

// GetProviders returns the providers keyed by id (GET <base>/providers).
func (c *Client) GetProviders(ctx context.Context) (map[string]Provider, error) {
	var out map[string]Provider
	res, err := c.do(ctx, http.MethodGet, "providers", nil, nil, "", &out)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("client: GET providers answered %d", res.StatusCode)
	}
	return out, nil
}

// GetSessionOptions are the options of [Client.GetSession].
type GetSessionOptions struct {
	// Required: a signed-out answer calls OnUnauthenticated.
	Required bool
	// CallbackURL is sent as ?callbackUrl= and is where a sign-in for a
	// required session comes back to.
	CallbackURL string
	// OnUnauthenticated handles a required session that is missing; it
	// gets the sign-in page URL. Default: GetSession returns a
	// *SignInRequiredError carrying that URL.
	OnUnauthenticated func(signInURL string) error
}

// GetSession fetches the session (GET <base>/session), updates the state
// and returns the session, or nil when signed out.
func (c *Client) GetSession(ctx context.Context, opts GetSessionOptions) (*Session, error) {
	c.update(func(s *State) {
		s.LastRefreshedAt = time.Now()
		if !s.Fetched {
			s.Status = Loading
		}
	})
	var q url.Values
	if opts.CallbackURL != "" {
		q = url.Values{"callbackUrl": {opts.CallbackURL}}
	}
	var raw map[string]json.RawMessage
	res, err := c.do(ctx, http.MethodGet, "session", q, nil, "", &raw)
	if err == nil && res.StatusCode != http.StatusOK {
		err = fmt.Errorf("client: GET session answered %d", res.StatusCode)
	}
	if err != nil {
		// Keep the last known session: a network blip must not sign the
		// user out.
		c.update(func(s *State) {
			if s.Status == Loading {
				s.Status = Unauthenticated
			}
		})
		return nil, err
	}
	sess, err := decodeSession(raw)
	if err != nil {
		c.update(func(s *State) {
			if s.Status == Loading {
				s.Status = Unauthenticated
			}
		})
		return nil, err
	}
	c.update(func(s *State) {
		s.Fetched, s.Session = true, sess
		s.Status = Unauthenticated
		if sess != nil {
			s.Status = Authenticated
		}
	})
	if sess == nil && opts.Required {
		signIn := c.url("signin", url.Values{"callbackUrl": {opts.CallbackURL}})
		if opts.CallbackURL == "" {
			signIn = c.url("signin", nil)
		}
		if opts.OnUnauthenticated != nil {
			return nil, opts.OnUnauthenticated(signIn)
		}
		return nil, &SignInRequiredError{URL: signIn}
	}
	return sess, nil
}

// decodeSession reads a session answer: {} is nil.
func decodeSession(raw map[string]json.RawMessage) (*Session, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	s := &Session{}
	for k, v := range raw {
		switch k {
		case "user":
			if err := json.Unmarshal(v, &s.User); err != nil {
				return nil, fmt.Errorf("client: session user: %w", err)
			}
		case "expires":
			if err := json.Unmarshal(v, &s.Expires); err != nil {
				return nil, fmt.Errorf("client: session expires: %w", err)
			}
		default:
			if s.Extra == nil {
				s.Extra = map[string]json.RawMessage{}
			}
			s.Extra[k] = v
		}
	}
	return s, nil
}

// SignInOptions are the options of [Client.SignIn].
type SignInOptions struct {
	// CallbackURL is where the server sends the user after signing in;
	// default the server's origin.
	CallbackURL string
	// Redirect false (credentials and email only) waits for the outcome
	// and refreshes the session, like next-auth's redirect: false. With
	// Redirect true the result's URL is where a browser should go next
	// (for OAuth: the provider's authorization page).
	Redirect bool
	// Credentials are the form fields of a credentials sign-in, or
	// {"email": ...} for an email sign-in.
	Credentials map[string]string
}

// SignInResult is what next-auth's signIn resolves to.
type SignInResult struct {
	Error  string // the error code, e.g. "CredentialsSignin"; "" on success
	Status int    // the HTTP status of the answer
	OK     bool
	URL    string // where to go next; "" on error
}

// SignIn signs in with a provider. For credentials it posts to
// <base>/callback/<id>, for other providers to <base>/signin/<id> with
// authorizationParams as query. A refusal returns the result and a
// *SignInError (errors.Is ErrCredentials for wrong credentials). A
// credentials sign-in without Redirect that returns no error has left a
// session: [Client.Data] is not nil (else the error is [ErrNoSession]).
func (c *Client) SignIn(ctx context.Context, provider string, opts SignInOptions, authorizationParams url.Values) (*SignInResult, error) {
	providers, err := c.GetProviders(ctx)
	if err != nil {
		return nil, err
	}
	p, ok := providers[provider]
	if !ok {
		return nil, &UnknownProviderError{Provider: provider, SignInURL: c.url("signin", url.Values{"callbackUrl": {c.callbackURL(opts.CallbackURL)}})}
	}
	csrf, err := c.GetCsrfToken(ctx)
	if err != nil {
		return nil, err
	}
	form := url.Values{}
	for k, v := range opts.Credentials {
		form.Set(k, v)
	}
	form.Set("redirect", fmt.Sprint(opts.Redirect))
	form.Set("csrfToken", csrf)
	form.Set("callbackUrl", c.callbackURL(opts.CallbackURL))
	form.Set("json", "true")
	action := "signin/" + url.PathEscape(p.ID)
	if p.Type == "credentials" {
		action = "callback/" + url.PathEscape(p.ID)
	}
	var out struct {
		URL string `json:"url"`
	}
	res, err := c.do(ctx, http.MethodPost, action, authorizationParams, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded", &out)
	if err != nil {
		return nil, err
	}
	result := &SignInResult{Status: res.StatusCode, OK: res.StatusCode < 300, URL: out.URL}
	if u, err := url.Parse(out.URL); err == nil {
		result.Error = u.Query().Get("error")
		if u.Query().Get("csrf") == "true" {
			return result, fmt.Errorf("client: sign-in refused: %w", ErrCSRF)
		}
	}
	if result.Error == "" && res.StatusCode >= 400 {
		// An answer without NextAuth's error URL (a proxy's, a server
		// error) is a failure all the same.
		result.OK = false
		return result, &SignInError{Status: res.StatusCode}
	}
	if result.Error != "" {
		result.URL = ""
		if !opts.Redirect || p.Type == "credentials" || p.Type == "email" {
			c.GetSession(ctx, GetSessionOptions{})
		}
		return result, &SignInError{Code: result.Error, Status: res.StatusCode}
	}
	if !opts.Redirect && (p.Type == "credentials" || p.Type == "email") {
		sess, err := c.GetSession(ctx, GetSessionOptions{})
		if err != nil {
			return result, err
		}
		if sess == nil && p.Type == "credentials" {
			return result, ErrNoSession
		}
	}
	return result, nil
}

func (c *Client) callbackURL(u string) string {
	if u != "" {
		return u
	}
	return c.base.Scheme + "://" + c.base.Host
}

// SignOutOptions are the options of [Client.SignOut].
type SignOutOptions struct {
	CallbackURL string // default the server's origin
	// Redirect true returns the URL to go to without refreshing the
	// session state; false (usual for programs) refreshes it.
	Redirect bool
}

// SignOut ends the session (POST <base>/signout) and returns the URL the
// server sends the user to.
func (c *Client) SignOut(ctx context.Context, opts SignOutOptions) (string, error) {
	csrf, err := c.GetCsrfToken(ctx)
	if err != nil {
		return "", err
	}
	form := url.Values{"csrfToken": {csrf}, "callbackUrl": {c.callbackURL(opts.CallbackURL)}, "json": {"true"}}
	var out struct {
		URL string `json:"url"`
	}
	res, err := c.do(ctx, http.MethodPost, "signout", nil, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded", &out)
	if err != nil {
		return "", err
	}
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("client: sign-out answered %d", res.StatusCode)
	}
	if u, err := url.Parse(out.URL); err == nil && u.Query().Get("csrf") == "true" {
		return "", fmt.Errorf("client: sign-out refused: %w", ErrCSRF)
	}
	if !opts.Redirect {
		if _, err := c.GetSession(ctx, GetSessionOptions{}); err != nil {
			return out.URL, err
		}
	}
	return out.URL, nil
}

// Update sends data to the server's session update (POST <base>/session,
// the JWT callback's trigger "update") and stores the new session.
func (c *Client) Update(ctx context.Context, data any) (*Session, error) {
	csrf, err := c.GetCsrfToken(ctx)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(map[string]any{"csrfToken": csrf, "data": data})
	if err != nil {
		return nil, fmt.Errorf("client: update data: %w", err)
	}
	var raw map[string]json.RawMessage
	res, err := c.do(ctx, http.MethodPost, "session", nil, strings.NewReader(string(body)), "application/json", &raw)
	if err != nil {
		return nil, err
	}
	if res.StatusCode == http.StatusBadRequest {
		return nil, fmt.Errorf("client: session update refused: %w", ErrCSRF)
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("client: session update answered %d", res.StatusCode)
	}
	sess, err := decodeSession(raw)
	if err != nil {
		return nil, err
	}
	c.update(func(s *State) {
		s.Fetched, s.Session, s.Status = true, sess, Unauthenticated
		if sess != nil {
			s.Status = Authenticated
		}
	})
	return sess, nil
}

// ErrCSRF means the server refused a request's CSRF token.
var ErrCSRF = errors.New("client: CSRF token rejected")

// ErrCredentials matches (errors.Is) a *SignInError for wrong credentials.
var ErrCredentials = errors.New("client: credentials refused")

// ErrNoSession is what SignIn returns when the server accepted the
// credentials but the session that should follow is not there: the
// client did not keep the session cookie (a Secure cookie over http, a
// cookie for another domain), or the server ended the session at once.
var ErrNoSession = errors.New("client: signed in, but no session followed")

// ErrUnreachable matches (errors.Is) an *UnreachableError.
var ErrUnreachable = errors.New("client: server unreachable")

// ErrUnknownProvider matches (errors.Is) an *UnknownProviderError.
var ErrUnknownProvider = errors.New("client: unknown provider")

// UnreachableError is a request that got no answer.
type UnreachableError struct {
	URL string
	Err error
}

// Error implements error.
func (e *UnreachableError) Error() string {
	return fmt.Sprintf("client: %s unreachable: %v", e.URL, e.Err)
}

// Unwrap returns the transport error.
func (e *UnreachableError) Unwrap() []error { return []error{ErrUnreachable, e.Err} }

// SignInError is a refused sign-in with the server's error code.
type SignInError struct {
	Code   string // e.g. "CredentialsSignin", "AccessDenied"; "" when the answer had none
	Status int
}

// Error implements error.
func (e *SignInError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("client: sign-in failed with status %d", e.Status)
	}
	return fmt.Sprintf("client: sign-in refused: %s (status %d)", e.Code, e.Status)
}

// Is makes errors.Is(err, ErrCredentials) true for wrong credentials.
func (e *SignInError) Is(target error) bool {
	return target == ErrCredentials && e.Code == "CredentialsSignin"
}

// UnknownProviderError is a sign-in with a provider the server does not
// have. SignInURL is the server's sign-in page, where a browser would go.
type UnknownProviderError struct {
	Provider  string
	SignInURL string
}

// Error implements error.
func (e *UnknownProviderError) Error() string {
	return fmt.Sprintf("client: the server has no provider %q", e.Provider)
}

// Is makes errors.Is(err, ErrUnknownProvider) true.
func (e *UnknownProviderError) Is(target error) bool { return target == ErrUnknownProvider }

// SignInRequiredError is GetSession's answer to a required session that is
// missing. URL is the sign-in page with the callbackUrl.
type SignInRequiredError struct {
	URL string
}

// Error implements error.
func (e *SignInRequiredError) Error() string {
	return "client: sign-in required: " + e.URL
}
