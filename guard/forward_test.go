package guard_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/guard"
	"github.com/latchauth/latch/jwt"
)

const testSecret = "forward-auth-test-secret-0123456789abcdef"

// logBuffer is a log destination safe for concurrent writes.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// fixture is a Checker for two sites of example.com behind a proxy at
// 10.0.0.1, with Latch at https://auth.example.com.
type fixture struct {
	auth    *latch.Auth
	checker *guard.Checker
	logs    *logBuffer
	now     time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{logs: &logBuffer{}, now: time.Now()}
	auth, err := latch.New(latch.Config{
		URL:       "https://auth.example.com/api/auth",
		Secrets:   []string{testSecret},
		Cookies:   latch.CookieOptions{Domain: "example.com"},
		Callbacks: latch.Callbacks{Redirect: guard.Redirect("https://app.example.com", "https://wiki.example.com:8443")},
		Now:       func() time.Time { return f.now },
	})
	if err != nil {
		t.Fatal(err)
	}
	f.auth = auth
	f.checker, err = guard.NewChecker(guard.CheckerConfig{
		Auth: auth,
		Sites: []guard.Site{
			{URL: "https://app.example.com", Public: []string{"/assets/"}},
			{URL: "https://wiki.example.com:8443", Allow: func(s *latch.Session, path string) bool {
				return strings.HasSuffix(s.User.Email, "@example.com") && !strings.HasPrefix(path, "/admin")
			}},
		},
		TrustedProxy: func(r *http.Request) bool { return strings.HasPrefix(r.RemoteAddr, "10.0.0.1:") },
		Logger:       slog.New(slog.NewTextHandler(f.logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// token mints a session token for the user, issued age ago.
func (f *fixture) token(t *testing.T, email string, age time.Duration) string {
	t.Helper()
	c, err := jwt.New(jwt.V4, "", testSecret)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.Encode(jwt.Claims{"sub": "u-1", "name": "Ann Example", "email": email}, f.now.Add(-age), 30*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// check sends a check as the proxy at peer: to the Traefik endpoint when
// nginx is false, with the headers h.
func (f *fixture) check(nginx bool, peer string, h map[string]string) *httptest.ResponseRecorder {
	path, handler := "/api/auth/forward-auth", f.checker.ForwardAuth()
	if nginx {
		path, handler = "/api/auth/auth-request", f.checker.AuthRequest()
	}
	r := httptest.NewRequest("GET", "http://127.0.0.1:3000"+path, nil)
	r.RemoteAddr = peer + ":41000"
	for k, v := range h {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	handler.ServeHTTP(w, r)
	return w
}

// traefik are the headers Traefik's ForwardAuth sends for a browser's GET
// https://app.example.com/page?x=1 (trustForwardHeader: false).
func traefik(extra ...string) map[string]string {
	h := map[string]string{
		"X-Forwarded-Method": "GET", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "app.example.com",
		"X-Forwarded-Uri": "/page?x=1", "X-Forwarded-For": "203.0.113.9",
		"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = extra[i+1]
	}
	return h
}

func wantIdentity(t *testing.T, w *httptest.ResponseRecorder, user, email, name string) {
	t.Helper()
	want := map[string]string{
		"Remote-User": user, "Remote-Email": email, "Remote-Name": name, "Remote-Groups": "",
		"X-Auth-Request-User": user, "X-Auth-Request-Email": email, "X-Auth-Request-Preferred-Username": name, "X-Auth-Request-Groups": "",
	}
	for k, v := range want {
		got, ok := w.Header()[k]
		if !ok || len(got) != 1 || got[0] != v {
			t.Errorf("%s: %q (present %v); want %q", k, got, ok, v)
		}
	}
	if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q; want no-store", cc)
	}
}

// TestForwardAuthTraefik: the Traefik/Caddy contract. Signed in: 200 with
// every identity header; signed out: 302 for a page, 303 for a form
// POST, 401 for XHR and APIs; not allowed: 403.
func TestForwardAuthTraefik(t *testing.T) {
	f := newFixture(t)
	ann := "__Secure-next-auth.session-token=" + f.token(t, "ann@example.com", time.Minute)
	signIn := "https://auth.example.com/api/auth/signin?callbackUrl=" + url.QueryEscape("https://app.example.com/page?x=1")

	t.Run("signed in", func(t *testing.T) {
		w := f.check(false, "10.0.0.1", traefik("Cookie", ann))
		if w.Code != 200 {
			t.Fatalf("%d %s; want 200", w.Code, w.Body)
		}
		wantIdentity(t, w, "u-1", "ann@example.com", "Ann Example")
		if sc := w.Header().Values("Set-Cookie"); len(sc) != 0 {
			t.Errorf("Set-Cookie %q for a fresh session; want none", sc)
		}
	})
	t.Run("signed out", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			h      map[string]string
			code   int
			target string
		}{
			{"page", traefik(), http.StatusFound, signIn},
			{"HEAD", traefik("X-Forwarded-Method", "HEAD"), http.StatusFound, signIn},
			{"form POST", traefik("X-Forwarded-Method", "POST"), http.StatusSeeOther, signIn},
			{"XHR", traefik("X-Requested-With", "XMLHttpRequest"), http.StatusUnauthorized, ""},
			{"fetch", traefik("Accept", "application/json"), http.StatusUnauthorized, ""},
			{"no Accept", traefik("Accept", ""), http.StatusUnauthorized, ""},
			{"bad cookie", traefik("Cookie", "__Secure-next-auth.session-token=forged"), http.StatusFound, signIn},
			{"Forwarded and X-Forwarded-Prefix ignored", traefik("Forwarded", "host=evil.example;proto=http", "X-Forwarded-Prefix", "//evil.example"), http.StatusFound, signIn},
		} {
			t.Run(tc.name, func(t *testing.T) {
				w := f.check(false, "10.0.0.1", tc.h)
				if w.Code != tc.code || w.Header().Get("Location") != tc.target {
					t.Errorf("%d Location %q; want %d %q", w.Code, w.Header().Get("Location"), tc.code, tc.target)
				}
				if w.Header().Get("Remote-User") != "" || w.Header().Get("Cache-Control") != "no-store" {
					t.Errorf("headers %v; want no identity, no-store", w.Header())
				}
			})
		}
	})
	t.Run("public path", func(t *testing.T) {
		w := f.check(false, "10.0.0.1", traefik("X-Forwarded-Uri", "/assets/app.css"))
		if w.Code != 200 {
			t.Fatalf("%d; want 200", w.Code)
		}
		wantIdentity(t, w, "", "", "")
		w = f.check(false, "10.0.0.1", traefik("X-Forwarded-Uri", "/assets/../admin"))
		if w.Code != http.StatusFound {
			t.Errorf("/assets/../admin: %d; want 302 (not public)", w.Code)
		}
	})
	t.Run("not allowed", func(t *testing.T) {
		wiki := traefik("X-Forwarded-Host", "wiki.example.com:8443", "Cookie", ann)
		if w := f.check(false, "10.0.0.1", wiki); w.Code != 200 {
			t.Errorf("wiki: %d; want 200", w.Code)
		}
		wiki["X-Forwarded-Uri"] = "/admin/users"
		if w := f.check(false, "10.0.0.1", wiki); w.Code != http.StatusForbidden || w.Header().Get("Remote-User") != "" {
			t.Errorf("wiki /admin: %d %v; want 403 without identity", w.Code, w.Header())
		}
		eve := traefik("X-Forwarded-Host", "wiki.example.com:8443", "Cookie", "__Secure-next-auth.session-token="+f.token(t, "eve@evil.example", time.Minute))
		if w := f.check(false, "10.0.0.1", eve); w.Code != http.StatusForbidden {
			t.Errorf("eve on the wiki: %d; want 403", w.Code)
		}
	})
	t.Run("session slides", func(t *testing.T) {
		old := "__Secure-next-auth.session-token=" + f.token(t, "ann@example.com", 48*time.Hour)
		w := f.check(false, "10.0.0.1", traefik("Cookie", old))
		if w.Code != 200 {
			t.Fatalf("%d; want 200", w.Code)
		}
		sc := w.Header().Get("Set-Cookie")
		if !strings.HasPrefix(sc, "__Secure-next-auth.session-token=") && !strings.HasPrefix(sc, "__Secure-next-auth.session-token=") || !strings.Contains(sc, "Domain=example.com") {
			t.Errorf("Set-Cookie %q; want a new session cookie for Domain=example.com", sc)
		}
		if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control %q; want no-store", cc)
		}
	})
}

// TestForwardAuthNginx: auth_request gets 401 with Location instead of a
// redirect, for every kind of request; the rest is as for Traefik.
func TestForwardAuthNginx(t *testing.T) {
	f := newFixture(t)
	ann := "__Secure-next-auth.session-token=" + f.token(t, "ann@example.com", time.Minute)
	h := map[string]string{"X-Original-URL": "https://app.example.com/page?x=1", "X-Original-Method": "POST", "Accept": "application/json"}
	w := f.check(true, "10.0.0.1", h)
	want := "https://auth.example.com/api/auth/signin?callbackUrl=" + url.QueryEscape("https://app.example.com/page?x=1")
	if w.Code != http.StatusUnauthorized || w.Header().Get("Location") != want {
		t.Errorf("signed out: %d Location %q; want 401 %q", w.Code, w.Header().Get("Location"), want)
	}
	h["Cookie"] = ann
	w = f.check(true, "10.0.0.1", h)
	if w.Code != 200 {
		t.Fatalf("signed in: %d %s; want 200", w.Code, w.Body)
	}
	wantIdentity(t, w, "u-1", "ann@example.com", "Ann Example")
	h["X-Original-URL"] = "https://app.example.com?q"
	if w := f.check(true, "10.0.0.1", h); w.Code != 200 {
		t.Errorf("URL without a path: %d; want 200", w.Code)
	}
}

// TestForwardAuthUntrusted: a check from a peer that is not a trusted
// proxy is refused, with a log line that says what to configure; a
// Checker without TrustedProxy refuses every check.
func TestForwardAuthUntrusted(t *testing.T) {
	f := newFixture(t)
	ann := "__Secure-next-auth.session-token=" + f.token(t, "ann@example.com", time.Minute)
	for _, nginx := range []bool{false, true} {
		h := traefik("Cookie", ann, "X-Original-URL", "https://app.example.com/")
		w := f.check(nginx, "203.0.113.9", h)
		if w.Code != http.StatusForbidden || w.Header().Get("Remote-User") != "" || w.Header().Get("Remote-Email") != "" {
			t.Errorf("nginx %v: %d %v; want 403 without identity", nginx, w.Code, w.Header())
		}
	}
	if l := f.logs.String(); !strings.Contains(l, "trustedProxies") || !strings.Contains(l, "peer=203.0.113.9") || strings.Contains(l, ann[25:]) {
		t.Errorf("log %q; want one line naming trustedProxies and the peer, without the token", l)
	}
	if n := strings.Count(f.logs.String(), "\n"); n != 1 {
		t.Errorf("%d log lines for two refusals within the interval; want 1", n)
	}
	k, err := guard.NewChecker(guard.CheckerConfig{Auth: f.auth, Sites: []guard.Site{{URL: "https://app.example.com"}}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/api/auth/forward-auth", nil)
	r.RemoteAddr = "127.0.0.1:5000"
	for k, v := range traefik("Cookie", ann) {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	k.ForwardAuth().ServeHTTP(w, r)
	if w.Code != http.StatusForbidden {
		t.Errorf("without TrustedProxy: %d; want 403", w.Code)
	}
}

// TestForwardAuthBadOriginal: forged and malformed original requests get
// 400 or 403 and never an identity; a callbackUrl that would leave the
// site is replaced by the site's home page.
func TestForwardAuthBadOriginal(t *testing.T) {
	f := newFixture(t)
	ann := "__Secure-next-auth.session-token=" + f.token(t, "ann@example.com", time.Minute)
	home := "https://auth.example.com/api/auth/signin?callbackUrl=" + url.QueryEscape("https://app.example.com/")
	tests := []struct {
		name string
		h    map[string]string
		code int
	}{
		{"other host", traefik("X-Forwarded-Host", "evil.example"), http.StatusForbidden},
		{"suffix host", traefik("X-Forwarded-Host", "app.example.com.evil.example"), http.StatusForbidden},
		{"userinfo host", traefik("X-Forwarded-Host", "app.example.com@evil.example"), http.StatusBadRequest},
		{"path in host", traefik("X-Forwarded-Host", "evil.example/app.example.com"), http.StatusBadRequest},
		{"two hosts", traefik("X-Forwarded-Host", "app.example.com, evil.example"), http.StatusBadRequest},
		{"other port", traefik("X-Forwarded-Host", "app.example.com:8443"), http.StatusForbidden},
		{"http for https", traefik("X-Forwarded-Proto", "http"), http.StatusForbidden},
		{"javascript proto", traefik("X-Forwarded-Proto", "javascript"), http.StatusBadRequest},
		{"no host", traefik("X-Forwarded-Host", ""), http.StatusBadRequest},
		{"absolute URI", traefik("X-Forwarded-Uri", "https://evil.example/"), http.StatusBadRequest},
		{"space in URI", traefik("X-Forwarded-Uri", "/a b"), http.StatusBadRequest},
		{"tab in URI", traefik("X-Forwarded-Uri", "/\t/evil.example"), http.StatusBadRequest},
		{"fragment", traefik("X-Forwarded-Uri", "/a#b"), http.StatusBadRequest},
		{"bad escape", traefik("X-Forwarded-Uri", "/%zz"), http.StatusBadRequest},
		{"bad method", traefik("X-Forwarded-Method", "GET /x"), http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.h["Cookie"] = ann
			w := f.check(false, "10.0.0.1", tt.h)
			if w.Code != tt.code || w.Header().Get("Remote-User") != "" || w.Header().Get("Location") != "" {
				t.Errorf("%d %v; want %d without identity or Location", w.Code, w.Header(), tt.code)
			}
		})
	}
	t.Run("open redirects", func(t *testing.T) {
		for _, uri := range []string{"//evil.example/", `/\evil.example`, "/.//evil.example", "/%2F%2Fevil.example", `/%5Cevil.example`, "/a/..//evil.example"} {
			w := f.check(false, "10.0.0.1", traefik("X-Forwarded-Uri", uri))
			if w.Code != http.StatusFound || w.Header().Get("Location") != home {
				t.Errorf("%s: %d Location %q; want 302 %q", uri, w.Code, w.Header().Get("Location"), home)
			}
		}
		for _, u := range []string{"https://app.example.com//evil.example/", `https://app.example.com/\evil.example`} {
			w := f.check(true, "10.0.0.1", map[string]string{"X-Original-URL": u})
			if w.Code != http.StatusUnauthorized || w.Header().Get("Location") != home {
				t.Errorf("%s: %d Location %q; want 401 %q", u, w.Code, w.Header().Get("Location"), home)
			}
		}
		for _, u := range []string{"https://evil.example/", "https://app.example.com@evil.example/", "https://evil.example\\@app.example.com/", "//app.example.com/", "app.example.com/", "https://app.example.com:443:1/"} {
			w := f.check(true, "10.0.0.1", map[string]string{"X-Original-URL": u, "Cookie": ann})
			if w.Code != http.StatusForbidden && w.Code != http.StatusBadRequest || w.Header().Get("Location") != "" || w.Header().Get("Remote-User") != "" {
				t.Errorf("%s: %d %v; want 400 or 403", u, w.Code, w.Header())
			}
		}
	})
	t.Run("repeated headers", func(t *testing.T) {
		r := httptest.NewRequest("GET", "/api/auth/forward-auth", nil)
		r.RemoteAddr = "10.0.0.1:1"
		for k, v := range traefik("Cookie", ann) {
			r.Header.Set(k, v)
		}
		r.Header.Add("X-Forwarded-Host", "evil.example")
		w := httptest.NewRecorder()
		f.checker.ForwardAuth().ServeHTTP(w, r)
		if w.Code != http.StatusBadRequest {
			t.Errorf("two X-Forwarded-Host lines: %d; want 400", w.Code)
		}
	})
	t.Run("method", func(t *testing.T) {
		r := httptest.NewRequest("POST", "/api/auth/forward-auth", strings.NewReader("x"))
		r.RemoteAddr = "10.0.0.1:1"
		w := httptest.NewRecorder()
		f.checker.ForwardAuth().ServeHTTP(w, r)
		if w.Code != http.StatusMethodNotAllowed {
			t.Errorf("POST: %d; want 405", w.Code)
		}
	})
}

// TestForwardAuthGroups: groups a Session callback adds reach
// Remote-Groups, comma-separated.
func TestForwardAuthGroups(t *testing.T) {
	auth, err := latch.New(latch.Config{
		URL: "https://auth.example.com/api/auth", Secrets: []string{testSecret},
		Callbacks: latch.Callbacks{Session: func(_ context.Context, p *latch.SessionParams) (*latch.Session, error) {
			p.Session.Extra = map[string]any{"groups": []any{"admins", "dev ops", "a,b", 7}}
			return p.Session, nil
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	k, err := guard.NewChecker(guard.CheckerConfig{Auth: auth, Sites: []guard.Site{{URL: "https://app.example.com/"}},
		TrustedProxy: func(*http.Request) bool { return true }})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := jwt.New(jwt.V4, "", testSecret)
	tok, _ := c.Encode(jwt.Claims{"sub": "u-2", "email": "bo@example.com"}, time.Now(), time.Hour)
	r := httptest.NewRequest("GET", "/", nil)
	for k, v := range traefik("Cookie", "__Secure-next-auth.session-token="+tok) {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	k.ForwardAuth().ServeHTTP(w, r)
	if g := w.Header().Get("Remote-Groups"); w.Code != 200 || g != "admins,dev ops" || w.Header().Get("X-Auth-Request-Groups") != g {
		t.Errorf("%d Remote-Groups %q; want 200 \"admins,dev ops\"", w.Code, g)
	}
}

// TestNewCheckerErrors: bad configurations are refused.
func TestNewCheckerErrors(t *testing.T) {
	auth, _ := latch.New(latch.Config{URL: "https://auth.example.com/api/auth", Secrets: []string{testSecret}})
	for _, c := range []guard.CheckerConfig{
		{},
		{Auth: auth},
		{Auth: auth, Sites: []guard.Site{{URL: "app.example.com"}}},
		{Auth: auth, Sites: []guard.Site{{URL: "https://app.example.com/path"}}},
		{Auth: auth, Sites: []guard.Site{{URL: "https://u@app.example.com"}}},
		{Auth: auth, Sites: []guard.Site{{URL: "ftp://app.example.com"}}},
		{Auth: auth, Sites: []guard.Site{{URL: "https://app.example.com"}, {URL: "https://APP.example.com:443"}}},
		{Auth: auth, Sites: []guard.Site{{URL: "https://app.example.com", Public: []string{"assets"}}}},
		{Auth: auth, Sites: []guard.Site{{URL: "https://app.example.com"}}, SignInURL: "/signin"},
	} {
		if _, err := guard.NewChecker(c); err == nil {
			t.Errorf("NewChecker(%+v): no error", c)
		}
	}
}

// TestRedirect: the redirect callback lets users go back to the sites and
// nowhere else.
func TestRedirect(t *testing.T) {
	cb := guard.Redirect("https://app.example.com", "http://wiki.example.com:8080")
	base := "https://auth.example.com"
	tests := []struct{ in, want string }{
		{"/x", base + "/x"},
		{base + "/y", base + "/y"},
		{"https://app.example.com/page?x=1", "https://app.example.com/page?x=1"},
		{"http://wiki.example.com:8080/", "http://wiki.example.com:8080/"},
		{"https://wiki.example.com:8080/", base},
		{"https://evil.example/", base},
		{"https://app.example.com.evil.example/", base},
		{"https://app.example.com@evil.example/", base},
		{"https://app.example.com//evil.example", base},
		{`https://app.example.com/\evil.example`, base},
		{"//evil.example", base},
		{"https://app.example.com/ x", base},
	}
	for _, tt := range tests {
		if got := cb(tt.in, base); got != tt.want {
			t.Errorf("Redirect(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// TestNewProxyErrors: NewProxy refuses a configuration it cannot serve.
func TestNewProxyErrors(t *testing.T) {
	auth, _ := latch.New(latch.Config{URL: "https://auth.example.com/api/auth", Secrets: []string{testSecret}})
	app, _ := guard.ParseTarget("http://127.0.0.1:8080")
	for _, c := range []guard.ProxyConfig{
		{Target: app},
		{Auth: auth},
		{Auth: auth, Target: &url.URL{Scheme: "ftp", Host: "x"}},
		{Auth: auth, Target: app, Public: []string{"assets/"}},
	} {
		if _, err := guard.NewProxy(c); err == nil {
			t.Errorf("NewProxy(%+v): no error", c)
		}
	}
	for _, raw := range []string{"127.0.0.1:8080", "http://u:p@127.0.0.1", "http://127.0.0.1/?a=1", "ftp://x"} {
		if _, err := guard.ParseTarget(raw); err == nil {
			t.Errorf("ParseTarget(%q): no error", raw)
		}
	}
	if _, err := guard.NewProxy(guard.ProxyConfig{Auth: auth, Target: app}); err != nil {
		t.Errorf("NewProxy: %v", err)
	}
}

// TestPathRules: the longest prefix's rule applies, else the site's; a
// path that is not clean is refused once there are path rules.
func TestPathRules(t *testing.T) {
	emails := func(list ...string) guard.Rule {
		return func(s *latch.Session) bool {
			for _, e := range list {
				if s.User.Email == e {
					return true
				}
			}
			return false
		}
	}
	allow := guard.PathRules(emails("ann@example.com", "bo@example.com"), map[string]guard.Rule{
		"/admin/":        emails("ann@example.com"),
		"/admin/public/": nil,
		"/api":           emails("bo@example.com"),
	})
	ann, bo, eve := &latch.Session{}, &latch.Session{}, &latch.Session{}
	ann.User.Email, bo.User.Email, eve.User.Email = "ann@example.com", "bo@example.com", "eve@example.com"
	tests := []struct {
		path         string
		ann, bo, eve bool
	}{
		{"/", true, true, false},
		{"/page", true, true, false},
		{"/admin/", true, false, false},
		{"/admin/users", true, false, false},
		{"/admin", true, true, false}, // "/admin/" covers what is below it only
		{"/admin/public/logo.png", true, true, true},
		{"/api", false, true, false},
		{"/api/v1", false, true, false},
		{"/apix", true, true, false},
		{"/x/../admin/users", false, false, false},
		{"/admin/public/../users", false, false, false},
		{"/admin;x/users", false, false, false},
		{`/admin\users`, false, false, false},
		{"//admin/users", false, false, false},
		{"/%2561dmin/users", false, false, false}, // decoded once: "/%61dmin/users"
	}
	for _, tt := range tests {
		for _, u := range []struct {
			s    *latch.Session
			want bool
		}{{ann, tt.ann}, {bo, tt.bo}, {eve, tt.eve}} {
			if got := allow(u.s, tt.path); got != u.want {
				t.Errorf("%s on %s: %v; want %v", u.s.User.Email, tt.path, got, u.want)
			}
		}
	}
	if open := guard.PathRules(nil, nil); !open(eve, "/x/../y") {
		t.Error("without rules, every signed-in user gets in")
	}
}

// TestForwardAuthPublicForRefused: on a public path, a signed-in user the
// site refuses gets through as anyone would, without their identity (an
// app must not read "identity present" as "allowed").
func TestForwardAuthPublicForRefused(t *testing.T) {
	auth, err := latch.New(latch.Config{URL: "https://auth.example.com/api/auth", Secrets: []string{testSecret}})
	if err != nil {
		t.Fatal(err)
	}
	k, err := guard.NewChecker(guard.CheckerConfig{Auth: auth, TrustedProxy: func(*http.Request) bool { return true },
		Sites: []guard.Site{{URL: "https://app.example.com/", Public: []string{"/pub/"}, Allow: func(s *latch.Session, _ string) bool {
			return strings.HasSuffix(s.User.Email, "@example.com")
		}}}})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := jwt.New(jwt.V4, "", testSecret)
	for _, tc := range []struct{ email, want string }{{"ann@example.com", "ann@example.com"}, {"bo@other.example", ""}} {
		tok, _ := c.Encode(jwt.Claims{"sub": "u", "email": tc.email}, time.Now(), time.Hour)
		r := httptest.NewRequest("GET", "/", nil)
		for k, v := range traefik("Cookie", "__Secure-next-auth.session-token="+tok, "X-Forwarded-Uri", "/pub/x") {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		k.ForwardAuth().ServeHTTP(w, r)
		if w.Code != 200 || w.Header().Get("Remote-Email") != tc.want {
			t.Errorf("%s on a public path: %d Remote-Email %q; want 200 %q", tc.email, w.Code, w.Header().Get("Remote-Email"), tc.want)
		}
	}
}
