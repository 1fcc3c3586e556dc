package latch_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
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

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/jwt"
)

// ---------------------------------------------------------------------------
// Test harness
// ---------------------------------------------------------------------------

const (
	testSecret = "test-secret-0123456789abcdefghijklmnopqrstuv"
	oldSecret  = "old-secret-0123456789abcdefghijklmnopqrstuvw"
	httpOrigin = "http://localhost:3000"
	httpBase   = httpOrigin + "/api/auth"
	isoMillis  = "2006-01-02T15:04:05.000Z"
	maxAge30d  = 30 * 24 * time.Hour

	unsupportedGET  = "Error: This action with HTTP GET is not supported by NextAuth.js"
	unsupportedPOST = "Error: This action with HTTP POST is not supported by NextAuth.js"

	// v4Header is base64url({"alg":"dir","enc":"A256GCM"}).
	v4Header = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0"
)

// t0 has milliseconds so that the "expires" format is exercised.
var t0 = time.Date(2026, 11, 28, 23, 29, 23, 876_000_000, time.UTC)

var (
	csrfCookieRE = regexp.MustCompile(`^next-auth\.csrf-token=([0-9a-f]{64})%7C([0-9a-f]{64}); Path=/; HttpOnly; SameSite=Lax$`)
	hex64RE      = regexp.MustCompile(`^[0-9a-f]{64}$`)
	uuidV4RE     = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	jweV4RE      = regexp.MustCompile(`^` + v4Header + `\.\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$`)
)

// clock is a settable Config.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// testUser is who "jsmith"/"secret" signs in as.
func testUser() *latch.User {
	return &latch.User{ID: "1", Name: "J Smith", Email: "j@example.com"}
}

// testCredentials is a credentials provider whose Authorize answers by
// username: jsmith/secret signs in; "custom", "denied" and "broken" fail in
// the ways their names say; anything else is a wrong password.
func testCredentials() *latch.Credentials {
	return &latch.Credentials{
		Fields: []latch.CredentialField{
			{Name: "username", Label: "Username", Placeholder: "jsmith"},
			{Name: "password", Label: "Password", Type: "password"},
		},
		Authorize: func(ctx context.Context, c map[string]string, r *http.Request) (*latch.User, error) {
			switch c["username"] {
			case "jsmith":
				if c["password"] == "secret" {
					return testUser(), nil
				}
			case "custom":
				return nil, &latch.Error{Code: "Custom"}
			case "denied":
				return nil, latch.ErrAccessDenied
			case "broken":
				return nil, errors.New("database is down")
			}
			return nil, nil
		},
	}
}

type harness struct {
	t     testing.TB
	auth  *latch.Auth
	cfg   latch.Config
	clock *clock
	base  string // absolute base URL requests are sent to
}

// newHarness builds an Auth from the default test configuration changed by
// opts. Requests go to cfg.URL (or httpBase when it is not absolute).
func newHarness(t testing.TB, opts ...func(*latch.Config)) *harness {
	t.Helper()
	clk := &clock{now: t0}
	cfg := latch.Config{
		URL:       httpBase,
		Secrets:   []string{testSecret},
		Providers: []latch.Provider{testCredentials()},
		Now:       clk.Now,
		Logger:    quietLogger(),
	}
	for _, o := range opts {
		o(&cfg)
	}
	a, err := latch.New(cfg)
	if err != nil {
		t.Fatalf("latch.New: got error %v; want nil", err)
	}
	base := cfg.URL
	if !strings.HasPrefix(base, "http") {
		base = httpBase
	}
	return &harness{t: t, auth: a, cfg: cfg, clock: clk, base: strings.TrimSuffix(base, "/")}
}

func (h *harness) origin() string {
	u, _ := url.Parse(h.base)
	return u.Scheme + "://" + u.Host
}

// browser keeps cookies like a browser would (by name, deleted by Max-Age=0)
// and sends them back in the order they were first set.
type browser struct {
	h      *harness
	jar    []*http.Cookie
	header http.Header
}

func (h *harness) browser() *browser { return &browser{h: h, header: http.Header{}} }

type response struct {
	Code   int
	Header http.Header
	Body   string
}

func (r *response) setCookies() []string { return r.Header.Values("Set-Cookie") }

// setCookie returns the Set-Cookie header for name.
func (r *response) setCookie(name string) (string, bool) {
	for _, c := range r.setCookies() {
		if strings.HasPrefix(c, name+"=") {
			return c, true
		}
	}
	return "", false
}

func (r *response) String() string {
	return fmt.Sprintf("%d %v %s", r.Code, r.Header, r.Body)
}

func (b *browser) cookieHeader() string {
	var parts []string
	for _, c := range b.jar {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}

func (b *browser) cookie(name string) (string, bool) {
	for _, c := range b.jar {
		if c.Name == name {
			return c.Value, true
		}
	}
	return "", false
}

func (b *browser) cookieNames() []string {
	var out []string
	for _, c := range b.jar {
		out = append(out, c.Name)
	}
	return out
}

// setRaw puts a cookie into the jar as its raw wire value.
func (b *browser) setRaw(name, value string) {
	for _, c := range b.jar {
		if c.Name == name {
			c.Value = value
			return
		}
	}
	b.jar = append(b.jar, &http.Cookie{Name: name, Value: value})
}

func (b *browser) remove(name string) {
	b.jar = slices.DeleteFunc(b.jar, func(c *http.Cookie) bool { return c.Name == name })
}

func (b *browser) store(res *response) {
	b.h.t.Helper()
	for _, line := range res.setCookies() {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			b.h.t.Errorf("Set-Cookie %q: got parse error %v; want a valid cookie", line, err)
			continue
		}
		if c.MaxAge < 0 {
			b.remove(c.Name)
			continue
		}
		b.setRaw(c.Name, c.Value)
	}
}

func (b *browser) do(method, path string, body io.Reader, contentType string) *response {
	b.h.t.Helper()
	req := httptest.NewRequest(method, b.h.base+path, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, vs := range b.header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if c := b.cookieHeader(); c != "" {
		req.Header.Set("Cookie", c)
	}
	w := httptest.NewRecorder()
	b.h.auth.ServeHTTP(w, req)
	res := &response{Code: w.Code, Header: w.Result().Header, Body: w.Body.String()}
	b.store(res)
	return res
}

func (b *browser) get(path string) *response {
	b.h.t.Helper()
	return b.do(http.MethodGet, path, nil, "")
}

func (b *browser) postForm(path string, v url.Values) *response {
	b.h.t.Helper()
	return b.do(http.MethodPost, path, strings.NewReader(v.Encode()), "application/x-www-form-urlencoded")
}

func (b *browser) postJSON(path string, v any) *response {
	b.h.t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		b.h.t.Fatal(err)
	}
	return b.do(http.MethodPost, path, bytes.NewReader(raw), "application/json")
}

// csrf answers GET /csrf and returns the token.
func (b *browser) csrf() string {
	b.h.t.Helper()
	res := b.get("/csrf")
	var out struct {
		CSRFToken string `json:"csrfToken"`
	}
	if err := json.Unmarshal([]byte(res.Body), &out); err != nil || res.Code != http.StatusOK {
		b.h.t.Fatalf("GET /csrf: got %d %q; want 200 {csrfToken}", res.Code, res.Body)
	}
	return out.CSRFToken
}

// signIn signs jsmith in through the credentials callback, as
// next-auth/react's signIn("credentials", {redirect: false}) does.
func (b *browser) signIn() *response {
	b.h.t.Helper()
	res := b.postForm("/callback/credentials", url.Values{
		"csrfToken": {b.csrf()}, "username": {"jsmith"}, "password": {"secret"}, "json": {"true"},
	})
	if res.Code != http.StatusOK {
		b.h.t.Fatalf("sign-in: got %s; want 200", res)
	}
	return res
}

func (b *browser) sessionToken() string {
	b.h.t.Helper()
	v, ok := b.cookie(sessionCookie)
	if !ok {
		b.h.t.Fatalf("jar: got cookies %v; want %s", b.cookieNames(), sessionCookie)
	}
	return v
}

const (
	sessionCookie  = "next-auth.session-token"
	csrfCookie     = "next-auth.csrf-token"
	callbackCookie = "next-auth.callback-url"
)

func wantStatus(t testing.TB, res *response, want int) {
	t.Helper()
	if res.Code != want {
		t.Fatalf("status: got %d; want %d (body %q)", res.Code, want, res.Body)
	}
}

func wantBody(t testing.TB, res *response, want string) {
	t.Helper()
	if res.Body != want {
		t.Errorf("body: got %q; want %q", res.Body, want)
	}
}

func wantHeader(t testing.TB, res *response, key, want string) {
	t.Helper()
	if got := res.Header.Get(key); got != want {
		t.Errorf("header %s: got %q; want %q", key, got, want)
	}
}

func wantNoSetCookie(t testing.TB, res *response) {
	t.Helper()
	if got := res.setCookies(); len(got) != 0 {
		t.Errorf("Set-Cookie: got %q; want none", got)
	}
}

func wantJSONURL(t testing.TB, res *response, status int, wantURL string) {
	t.Helper()
	wantStatus(t, res, status)
	wantHeader(t, res, "Content-Type", "application/json")
	if loc := res.Header.Get("Location"); loc != "" {
		t.Errorf("Location in JSON mode: got %q; want none", loc)
	}
	// JSON.stringify: no HTML escaping.
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	enc.Encode(map[string]string{"url": wantURL})
	wantBody(t, res, strings.TrimSuffix(want.String(), "\n"))
}

func wantRedirect(t testing.TB, res *response, wantURL string) {
	t.Helper()
	wantStatus(t, res, http.StatusFound)
	wantHeader(t, res, "Location", wantURL)
}

func wantNoCache(t testing.TB, res *response) {
	t.Helper()
	wantHeader(t, res, "Cache-Control", "private, no-cache, no-store")
	wantHeader(t, res, "Pragma", "no-cache")
	wantHeader(t, res, "Expires", "0")
}

func deletion(name string) string {
	return name + "=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"
}

// sessionCookieRE matches a plain-http session cookie carrying a v4 token
// that expires at exp.
func sessionCookieLine(name string, exp time.Time, secure bool) *regexp.Regexp {
	s := ""
	if secure {
		s = "; Secure"
	}
	return regexp.MustCompile(`^` + regexp.QuoteMeta(name) + `=([^;]+); Path=/; Expires=` +
		regexp.QuoteMeta(exp.UTC().Format(http.TimeFormat)) + `; HttpOnly` + regexp.QuoteMeta(s) + `; SameSite=Lax$`)
}

// decryptV4 opens a next-auth v4 session token with a key derived here,
// independently of the jwt package: HKDF-SHA256(secret, salt "", info
// "NextAuth.js Generated Encryption Key", 32), AES-256-GCM, AAD = header.
func decryptV4(t testing.TB, token, secret string) (map[string]any, error) {
	t.Helper()
	plain, err := openV4(t, token, secret)
	if err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(plain))
	d.UseNumber()
	var claims map[string]any
	if err := d.Decode(&claims); err != nil {
		return nil, err
	}
	return claims, nil
}

// openV4 decrypts a next-auth v4 session token and returns its payload.
func openV4(t testing.TB, token, secret string) ([]byte, error) {
	t.Helper()
	key, err := hkdf.Key(sha256.New, []byte(secret), nil, "NextAuth.js Generated Encryption Key", 32)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 5 || parts[0] != v4Header || parts[1] != "" {
		return nil, fmt.Errorf("not a v4 JWE: %d parts, header %q", len(parts), parts[0])
	}
	dec := base64.RawURLEncoding
	iv, err1 := dec.DecodeString(parts[2])
	ct, err2 := dec.DecodeString(parts[3])
	tag, err3 := dec.DecodeString(parts[4])
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, err
	}
	block, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCM(block)
	if len(iv) != gcm.NonceSize() {
		return nil, fmt.Errorf("iv: %d bytes", len(iv))
	}
	return gcm.Open(nil, iv, append(ct, tag...), []byte(parts[0]))
}

func claimInt(t testing.TB, claims map[string]any, k string) int64 {
	t.Helper()
	n, ok := claims[k].(json.Number)
	if !ok {
		t.Fatalf("claim %q: got %T %v; want a number", k, claims[k], claims[k])
	}
	i, err := n.Int64()
	if err != nil {
		t.Fatalf("claim %q: got %v; want an integer", k, n)
	}
	return i
}

func sessionJSON(name, email string, expires time.Time) string {
	return `{"user":{"name":"` + name + `","email":"` + email + `"},"expires":"` + expires.UTC().Format(isoMillis) + `"}`
}

// ---------------------------------------------------------------------------
// GET /session
// ---------------------------------------------------------------------------

func TestSessionSignedOut(t *testing.T) {
	h := newHarness(t)
	b := h.browser()

	res := b.get("/session")
	wantStatus(t, res, http.StatusOK)
	wantBody(t, res, `{}`)
	wantHeader(t, res, "Content-Type", "application/json")
	wantNoCache(t, res)

	if n := len(res.setCookies()); n != 2 {
		t.Errorf("first GET /session: got %d Set-Cookie headers %q; want 2 (csrf, callback-url)", n, res.setCookies())
	}
	line, ok := res.setCookie(csrfCookie)
	if !ok {
		t.Fatalf("first GET /session: got Set-Cookie %q; want %s", res.setCookies(), csrfCookie)
	}
	m := csrfCookieRE.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("csrf Set-Cookie: got %q; want %s", line, csrfCookieRE)
	}
	sum := sha256.Sum256([]byte(m[1] + testSecret))
	if got, want := m[2], hex.EncodeToString(sum[:]); got != want {
		t.Errorf("csrf hash: got %s; want sha256(token+secret) = %s", got, want)
	}
	wantCB := "next-auth.callback-url=http%3A%2F%2Flocalhost%3A3000; Path=/; HttpOnly; SameSite=Lax"
	if got, _ := res.setCookie(callbackCookie); got != wantCB {
		t.Errorf("callback-url Set-Cookie: got %q; want %q", got, wantCB)
	}
	if _, ok := res.setCookie(sessionCookie); ok {
		t.Errorf("signed-out GET /session: got a session Set-Cookie; want none")
	}

	res = b.get("/session")
	wantStatus(t, res, http.StatusOK)
	wantBody(t, res, `{}`)
	wantNoSetCookie(t, res)
}

func TestSessionSignedIn(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	b.signIn()
	first := b.sessionToken()

	h.clock.Advance(time.Hour)
	now := h.clock.Now()
	res := b.get("/session")
	wantStatus(t, res, http.StatusOK)
	wantHeader(t, res, "Content-Type", "application/json")
	wantNoCache(t, res)
	wantBody(t, res, sessionJSON("J Smith", "j@example.com", now.Add(maxAge30d)))

	// Rolling expiry: the token is re-encrypted and the cookie re-set.
	line, ok := res.setCookie(sessionCookie)
	if !ok {
		t.Fatalf("signed-in GET /session: got Set-Cookie %q; want the session cookie re-issued", res.setCookies())
	}
	m := sessionCookieLine(sessionCookie, now.Add(maxAge30d), false).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("session Set-Cookie: got %q; want name=<jwe>; Path=/; Expires=%s; HttpOnly; SameSite=Lax", line, now.Add(maxAge30d).Format(http.TimeFormat))
	}
	token := m[1]
	if token == first {
		t.Errorf("re-issued token: got the same token; want a fresh one")
	}
	if !jweV4RE.MatchString(token) {
		t.Errorf("token: got %q; want a compact JWE with header {\"alg\":\"dir\",\"enc\":\"A256GCM\"}, empty key, 12-byte IV", token)
	}
	claims, err := decryptV4(t, token, testSecret)
	if err != nil {
		t.Fatalf("decrypt with the NextAuth v4 key: got %v; want the claims", err)
	}
	for k, want := range map[string]string{"sub": "1", "name": "J Smith", "email": "j@example.com"} {
		if got := claims[k]; got != want {
			t.Errorf("claim %s: got %v; want %q", k, got, want)
		}
	}
	if _, ok := claims["picture"]; ok {
		t.Errorf("claim picture: got %v; want absent (the user has no image)", claims["picture"])
	}
	iat := claimInt(t, claims, "iat")
	if iat != now.Unix() {
		t.Errorf("iat: got %d; want %d", iat, now.Unix())
	}
	if exp := claimInt(t, claims, "exp"); exp != iat+int64(maxAge30d/time.Second) {
		t.Errorf("exp: got %d; want iat+maxAge = %d", exp, iat+int64(maxAge30d/time.Second))
	}
	if jti, _ := claims["jti"].(string); !uuidV4RE.MatchString(jti) {
		t.Errorf("jti: got %q; want a UUID v4", jti)
	}
}

func TestSessionRollingExpiry(t *testing.T) {
	h := newHarness(t, func(c *latch.Config) { c.MaxAge = 2 * time.Hour })
	b := h.browser()
	b.signIn()

	// Each read within maxAge slides the expiry forward.
	for i := range 4 {
		h.clock.Advance(90 * time.Minute)
		now := h.clock.Now()
		res := b.get("/session")
		wantBody(t, res, sessionJSON("J Smith", "j@example.com", now.Add(2*time.Hour)))
		line, _ := res.setCookie(sessionCookie)
		if !sessionCookieLine(sessionCookie, now.Add(2*time.Hour), false).MatchString(line) {
			t.Errorf("read %d: session Set-Cookie got %q; want Expires=%s", i, line, now.Add(2*time.Hour).Format(http.TimeFormat))
		}
		claims, err := decryptV4(t, b.sessionToken(), testSecret)
		if err != nil {
			t.Fatal(err)
		}
		if exp := claimInt(t, claims, "exp"); exp != now.Add(2*time.Hour).Unix() {
			t.Errorf("read %d: exp got %d; want %d", i, exp, now.Add(2*time.Hour).Unix())
		}
	}
}

func TestSessionClockTolerance(t *testing.T) {
	tests := []struct {
		name     string
		after    time.Duration // after the token's exp
		signedIn bool
	}{
		// As jose decides it: expired once exp <= now - 15 s.
		{"just expired", 1 * time.Second, true},
		{"within 15s", 14 * time.Second, true},
		{"at 15s", 15 * time.Second, false},
		{"beyond 15s", 16 * time.Second, false},
		{"long expired", 48 * time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, func(c *latch.Config) { c.MaxAge = time.Hour })
			b := h.browser()
			b.signIn()
			// Token exp is whole seconds: t0 truncated + 1h.
			exp := time.Unix(t0.Unix(), 0).Add(time.Hour)
			h.clock.mu.Lock()
			h.clock.now = exp.Add(tt.after)
			h.clock.mu.Unlock()
			res := b.get("/session")
			wantStatus(t, res, http.StatusOK)
			if tt.signedIn {
				if res.Body == `{}` {
					t.Errorf("%v after exp: got {}; want a session (15 s tolerance)", tt.after)
				}
				return
			}
			wantBody(t, res, `{}`)
			if got, _ := res.setCookie(sessionCookie); got != deletion(sessionCookie) {
				t.Errorf("expired token: got session Set-Cookie %q; want %q", got, deletion(sessionCookie))
			}
		})
	}
}

func TestSessionInvalidToken(t *testing.T) {
	other, err := jwt.New(jwt.V4, "", oldSecret)
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := other.Encode(jwt.Claims{"sub": "1", "name": "Mallory"}, t0, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cookies map[string]string
	}{
		{"garbage", map[string]string{sessionCookie: "garbage"}},
		{"empty value", map[string]string{sessionCookie: ""}},
		{"other secret", map[string]string{sessionCookie: foreign}},
		{"truncated", map[string]string{sessionCookie: foreign[:len(foreign)-5]}},
		{"garbage chunks", map[string]string{sessionCookie + ".0": "abc", sessionCookie + ".1": "def"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			b := h.browser()
			b.csrf()
			for _, n := range slices.Sorted(func(yield func(string) bool) {
				for k := range tt.cookies {
					if !yield(k) {
						return
					}
				}
			}) {
				b.setRaw(n, tt.cookies[n])
			}
			res := b.get("/session")
			wantStatus(t, res, http.StatusOK)
			wantBody(t, res, `{}`)
			for n := range tt.cookies {
				if got, _ := res.setCookie(n); got != deletion(n) {
					t.Errorf("invalid token: got Set-Cookie for %s %q; want %q", n, got, deletion(n))
				}
			}
			if _, ok := b.cookie(sessionCookie); ok {
				t.Errorf("jar after invalid token: got %v; want the session cookie gone", b.cookieNames())
			}
		})
	}
}

// TestSessionNullClaim reads the next-auth v4 test vector (a token a real
// next-auth decoder accepts, "picture": null). NextAuth emits null values
// as null and leaves out only absent ones.
func TestSessionNullClaim(t *testing.T) {
	const vector = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..AAECAwQFBgcICQoL.mWGZN0spOpy6aHQxlv4Lh_bkgrx5CjwNyVgx7p5mWyUtj4tZBd1vyTj3W1YJS8itRd0kwtEDZi2gC_TvTqO1oze6bhERbbs8QX-cS3NhwtDDnM3bCcoGNRG_U0Mm3k9i9FG0bxT-o-aW1VqF5sB5IOcbEz4lY8kwfUQzzAgbBSRV6uSdc1yCjO3FFK7fSnowbj0._CGuJRogZjZguH3Nbxhl5w"
	// "test-secret" is shorter than MinSecretLength, so it can only be a
	// decrypt-only second secret.
	h := newHarness(t, func(c *latch.Config) { c.Secrets = []string{testSecret, "test-secret"} })
	b := h.browser()
	b.setRaw(sessionCookie, vector)
	res := b.get("/session")
	wantStatus(t, res, http.StatusOK)
	exp := t0.Add(maxAge30d).UTC().Format(isoMillis)
	wantBody(t, res, `{"user":{"name":"J Smith","email":"j@example.com","image":null},"expires":"`+exp+`"}`)
}

func TestSessionCallbacks(t *testing.T) {
	t.Run("session callback adds fields", func(t *testing.T) {
		h := newHarness(t, func(c *latch.Config) {
			c.Callbacks.Session = func(ctx context.Context, p *latch.SessionParams) (*latch.Session, error) {
				p.Session.User.ID = p.Token.Subject()
				p.Session.Extra = map[string]any{"accessToken": "abc", "roles": []string{"admin"}}
				return p.Session, nil
			}
		})
		b := h.browser()
		b.signIn()
		res := b.get("/session")
		want := `{"user":{"id":"1","name":"J Smith","email":"j@example.com"},"expires":"` +
			t0.Add(maxAge30d).Format(isoMillis) + `","accessToken":"abc","roles":["admin"]}`
		wantBody(t, res, want)
	})
	t.Run("jwt callback ends the session", func(t *testing.T) {
		var end bool
		h := newHarness(t, func(c *latch.Config) {
			c.Callbacks.JWT = func(ctx context.Context, p *latch.JWTParams) (latch.Token, error) {
				if end {
					return nil, nil
				}
				return p.Token, nil
			}
		})
		b := h.browser()
		b.signIn()
		end = true
		res := b.get("/session")
		wantStatus(t, res, http.StatusOK)
		wantBody(t, res, `{}`)
		if got, _ := res.setCookie(sessionCookie); got != deletion(sessionCookie) {
			t.Errorf("ended session: got Set-Cookie %q; want %q", got, deletion(sessionCookie))
		}
	})
}

// ---------------------------------------------------------------------------
// POST /session (update)
// ---------------------------------------------------------------------------

func TestSessionUpdate(t *testing.T) {
	var mu sync.Mutex
	var triggers []string
	h := newHarness(t, func(c *latch.Config) {
		c.Callbacks.JWT = func(ctx context.Context, p *latch.JWTParams) (latch.Token, error) {
			mu.Lock()
			triggers = append(triggers, p.Trigger)
			mu.Unlock()
			if p.Trigger == "update" && p.UpdateData != nil {
				var d struct {
					Name string `json:"name"`
				}
				if err := json.Unmarshal(p.UpdateData, &d); err != nil {
					return nil, err
				}
				p.Token["name"] = d.Name
			}
			return p.Token, nil
		}
	})
	b := h.browser()
	b.signIn()
	token := b.csrf()
	before := b.sessionToken()
	triggers = nil

	t.Run("without csrf", func(t *testing.T) {
		res := b.postJSON("/session", map[string]any{"data": map[string]string{"name": "Evil"}})
		wantStatus(t, res, http.StatusBadRequest)
		wantBody(t, res, `{}`)
		if _, ok := res.setCookie(sessionCookie); ok {
			t.Errorf("update without csrf: got a session Set-Cookie; want none")
		}
		if slices.Contains(triggers, "update") {
			t.Errorf("update without csrf: got the JWT callback run with trigger update; want it not run")
		}
	})
	t.Run("wrong csrf", func(t *testing.T) {
		res := b.postJSON("/session", map[string]any{"csrfToken": strings.Repeat("0", 64), "data": map[string]string{"name": "Evil"}})
		wantStatus(t, res, http.StatusBadRequest)
		wantBody(t, res, `{}`)
	})
	if got := b.sessionToken(); got != before {
		t.Fatalf("session cookie changed by a rejected update")
	}
	t.Run("json", func(t *testing.T) {
		triggers = nil
		res := b.postJSON("/session", map[string]any{"csrfToken": token, "data": map[string]string{"name": "New Name"}})
		wantStatus(t, res, http.StatusOK)
		wantHeader(t, res, "Content-Type", "application/json")
		wantBody(t, res, sessionJSON("New Name", "j@example.com", t0.Add(maxAge30d)))
		if !slices.Equal(triggers, []string{"update"}) {
			t.Errorf("JWT callback triggers: got %q; want [update]", triggers)
		}
		if _, ok := res.setCookie(sessionCookie); !ok {
			t.Errorf("update: got Set-Cookie %q; want the session cookie re-issued", res.setCookies())
		}
		res = b.get("/session")
		wantBody(t, res, sessionJSON("New Name", "j@example.com", t0.Add(maxAge30d)))
	})
	t.Run("form", func(t *testing.T) {
		triggers = nil
		res := b.postForm("/session", url.Values{"csrfToken": {token}})
		wantStatus(t, res, http.StatusOK)
		if !slices.Equal(triggers, []string{"update"}) {
			t.Errorf("form update: JWT callback triggers got %q; want [update]", triggers)
		}
	})
	t.Run("signed out", func(t *testing.T) {
		b2 := h.browser()
		tok := b2.csrf()
		res := b2.postJSON("/session", map[string]any{"csrfToken": tok, "data": map[string]string{"name": "X"}})
		wantStatus(t, res, http.StatusOK)
		wantBody(t, res, `{}`)
	})
}

// ---------------------------------------------------------------------------
// GET /csrf, GET /providers
// ---------------------------------------------------------------------------

func TestCSRFEndpoint(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	res := b.get("/csrf")
	wantStatus(t, res, http.StatusOK)
	wantHeader(t, res, "Content-Type", "application/json")
	wantNoCache(t, res)
	var out struct {
		CSRFToken string `json:"csrfToken"`
	}
	if err := json.Unmarshal([]byte(res.Body), &out); err != nil {
		t.Fatalf("body %q: %v", res.Body, err)
	}
	if !hex64RE.MatchString(out.CSRFToken) {
		t.Errorf("csrfToken: got %q; want 64 lower-case hex", out.CSRFToken)
	}
	wantBody(t, res, `{"csrfToken":"`+out.CSRFToken+`"}`)
	line, _ := res.setCookie(csrfCookie)
	m := csrfCookieRE.FindStringSubmatch(line)
	if m == nil || m[1] != out.CSRFToken {
		t.Errorf("csrf cookie: got %q; want it to carry token %s", line, out.CSRFToken)
	}

	// A valid cookie is kept.
	res = b.get("/csrf")
	wantBody(t, res, `{"csrfToken":"`+out.CSRFToken+`"}`)
	if _, ok := res.setCookie(csrfCookie); ok {
		t.Errorf("second GET /csrf: got a csrf Set-Cookie; want none (cookie valid)")
	}

	// A tampered cookie is replaced.
	v, _ := b.cookie(csrfCookie)
	b.setRaw(csrfCookie, strings.Repeat("a", 64)+v[64:])
	res = b.get("/csrf")
	var again struct {
		CSRFToken string `json:"csrfToken"`
	}
	json.Unmarshal([]byte(res.Body), &again)
	if again.CSRFToken == strings.Repeat("a", 64) || again.CSRFToken == "" {
		t.Errorf("tampered cookie: got token %q; want a fresh one", again.CSRFToken)
	}
	if _, ok := res.setCookie(csrfCookie); !ok {
		t.Errorf("tampered cookie: got no csrf Set-Cookie; want a new cookie")
	}
}

// TestCSRFVector checks the published vector: secret "test-secret", token
// cd24... and hash 4ac7..., observed on next-auth 4.24.15.
func TestCSRFVector(t *testing.T) {
	const token = "cd24d2a3467882d042613ba4a0137f6012f3f168f1cc0a4a312bfba828760f15"
	const hash = "4ac7a44b2e175e339b6b6db7f17ea32f416573626f613be144fe7a4e5df2ba7f"
	h := newHarness(t, func(c *latch.Config) { c.Secrets = []string{testSecret, "test-secret"} })
	b := h.browser()
	b.setRaw(csrfCookie, token+"%7C"+hash)
	res := b.get("/csrf")
	wantBody(t, res, `{"csrfToken":"`+token+`"}`)
	if _, ok := res.setCookie(csrfCookie); ok {
		t.Errorf("vector cookie: got a new csrf cookie; want it accepted")
	}
	res = b.postForm("/signout", url.Values{"csrfToken": {token}, "json": {"true"}})
	wantJSONURL(t, res, http.StatusOK, httpOrigin)
}

func TestProviders(t *testing.T) {
	t.Run("credentials", func(t *testing.T) {
		h := newHarness(t)
		b := h.browser()
		res := b.get("/providers")
		wantStatus(t, res, http.StatusOK)
		wantHeader(t, res, "Content-Type", "application/json")
		wantBody(t, res, `{"credentials":{"id":"credentials","name":"Credentials","type":"credentials",`+
			`"signinUrl":"http://localhost:3000/api/auth/signin/credentials",`+
			`"callbackUrl":"http://localhost:3000/api/auth/callback/credentials"}}`)
		wantNoSetCookie(t, res)
	})
	t.Run("configuration order", func(t *testing.T) {
		// A JavaScript object keeps insertion order: NextAuth lists the
		// providers in the order they were configured.
		h := newHarness(t, func(c *latch.Config) {
			pw, otp := testCredentials(), testCredentials()
			pw.ID, pw.Name = "password", "Password"
			otp.ID, otp.Name = "otp", "One-time code"
			c.Providers = []latch.Provider{pw, otp}
		})
		res := h.browser().get("/providers")
		wantBody(t, res, `{"password":{"id":"password","name":"Password","type":"credentials",`+
			`"signinUrl":"http://localhost:3000/api/auth/signin/password","callbackUrl":"http://localhost:3000/api/auth/callback/password"},`+
			`"otp":{"id":"otp","name":"One-time code","type":"credentials",`+
			`"signinUrl":"http://localhost:3000/api/auth/signin/otp","callbackUrl":"http://localhost:3000/api/auth/callback/otp"}}`)
	})
	t.Run("none", func(t *testing.T) {
		h := newHarness(t, func(c *latch.Config) { c.Providers = nil })
		res := h.browser().get("/providers")
		wantStatus(t, res, http.StatusOK)
		wantBody(t, res, `{}`)
	})
	t.Run("custom base path", func(t *testing.T) {
		h := newHarness(t, func(c *latch.Config) { c.URL = "https://example.com/custom/auth/" })
		res := h.browser().get("/providers")
		if !strings.Contains(res.Body, `"signinUrl":"https://example.com/custom/auth/signin/credentials"`) {
			t.Errorf("custom base: got %s; want signinUrl on https://example.com/custom/auth", res.Body)
		}
	})
}

// ---------------------------------------------------------------------------
// Sign-in page and POST /signin
// ---------------------------------------------------------------------------

func TestSignInPage(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	res := b.get("/signin")
	wantStatus(t, res, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type: got %q; want text/html", ct)
	}
	if _, ok := res.setCookie(csrfCookie); !ok {
		t.Errorf("sign-in page: got Set-Cookie %q; want the csrf cookie", res.setCookies())
	}
	v, _ := b.cookie(csrfCookie)
	token, _, _ := strings.Cut(v, "%7C")
	for _, want := range []string{
		`<form action="http://localhost:3000/api/auth/callback/credentials" method="POST">`,
		`<input type="hidden" name="csrfToken" value="` + token + `">`,
		`name="username"`,
		`placeholder="jsmith"`,
		`type="password" name="password"`,
		`Sign in with Credentials`,
	} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("sign-in page: got no %q; want it present", want)
		}
	}
	if strings.Contains(res.Body, `role="alert"`) {
		t.Errorf("sign-in page without error: got an alert; want none")
	}

	tests := []struct{ code, msg string }{
		{"CredentialsSignin", "Sign in failed. Check the details you provided are correct."},
		{"OAuthAccountNotLinked", "To confirm your identity, sign in with the same account you used originally."},
		{"SessionRequired", "Please sign in to access this page."},
		{"Callback", "Try signing in with a different account."},
		{"Whatever", "Unable to sign in."},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			res := b.get("/signin?error=" + tt.code)
			wantStatus(t, res, http.StatusOK)
			if !strings.Contains(res.Body, tt.msg) {
				t.Errorf("?error=%s: got no %q in the page; want it", tt.code, tt.msg)
			}
		})
	}
}

func TestSignInCustomPage(t *testing.T) {
	tests := []struct {
		page, path, want string
	}{
		{"/login", "/signin", "/login?callbackUrl=http%3A%2F%2Flocalhost%3A3000"},
		{"/login", "/signin?callbackUrl=/dash&error=CredentialsSignin", "/login?callbackUrl=http%3A%2F%2Flocalhost%3A3000%2Fdash&error=CredentialsSignin"},
		{"https://id.example.com/login?app=1", "/signin?error=SessionRequired", "https://id.example.com/login?app=1&callbackUrl=http%3A%2F%2Flocalhost%3A3000&error=SessionRequired"},
		// NextAuth's quirk: error = query.error ?? providerId.
		{"/login", "/signin/credentials", "/login?callbackUrl=http%3A%2F%2Flocalhost%3A3000&error=credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.page+tt.path, func(t *testing.T) {
			h := newHarness(t, func(c *latch.Config) { c.Pages.SignIn = tt.page })
			res := h.browser().get(tt.path)
			wantRedirect(t, res, tt.want)
		})
	}
}

func TestSignInPOST(t *testing.T) {
	tests := []struct {
		name     string
		path     string
		csrf     bool
		json     bool
		wantURL  string
		wantCode int
	}{
		{"no csrf json", "/signin/credentials", false, true, httpBase + "/signin?csrf=true", 200},
		{"no csrf redirect", "/signin/credentials", false, false, httpBase + "/signin?csrf=true", 302},
		{"unknown provider", "/signin/nope", true, true, httpBase + "/signin?csrf=true", 200},
		{"no provider", "/signin", true, true, httpBase + "/signin?csrf=true", 200},
		{"credentials via signin", "/signin/credentials", true, true, httpBase + "/signin", 200},
		{"credentials via signin redirect", "/signin/credentials", true, false, httpBase + "/signin", 302},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			b := h.browser()
			tok := b.csrf()
			v := url.Values{"username": {"jsmith"}, "password": {"secret"}}
			if tt.csrf {
				v.Set("csrfToken", tok)
			}
			if tt.json {
				v.Set("json", "true")
			}
			res := b.postForm(tt.path, v)
			if tt.json {
				wantJSONURL(t, res, tt.wantCode, tt.wantURL)
			} else {
				wantRedirect(t, res, tt.wantURL)
				wantBody(t, res, "")
			}
			if _, ok := res.setCookie(sessionCookie); ok {
				t.Errorf("POST %s: got a session cookie; want none", tt.path)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Credentials callback
// ---------------------------------------------------------------------------

func TestCredentialsCallback(t *testing.T) {
	errorURL := func(q string) string { return httpBase + "/error?" + q }
	tests := []struct {
		name        string
		form        url.Values
		noCSRF      bool
		wantCode    int // with json=true
		wantURL     string
		wantSession bool
	}{
		{"success", url.Values{"username": {"jsmith"}, "password": {"secret"}, "callbackUrl": {"/dash"}}, false, 200, httpOrigin + "/dash", true},
		{"success absolute callback", url.Values{"username": {"jsmith"}, "password": {"secret"}, "callbackUrl": {httpOrigin + "/x?y=1"}}, false, 200, httpOrigin + "/x?y=1", true},
		{"success default callback", url.Values{"username": {"jsmith"}, "password": {"secret"}}, false, 200, httpOrigin, true},
		{"foreign callback", url.Values{"username": {"jsmith"}, "password": {"secret"}, "callbackUrl": {"https://evil.example/x"}}, false, 200, httpOrigin, true},
		{"wrong password", url.Values{"username": {"jsmith"}, "password": {"nope"}}, false, 401, errorURL("error=CredentialsSignin&provider=credentials"), false},
		{"unknown user", url.Values{"username": {"x"}}, false, 401, errorURL("error=CredentialsSignin&provider=credentials"), false},
		{"custom error", url.Values{"username": {"custom"}}, false, 401, errorURL("error=Custom"), false},
		{"access denied by authorize", url.Values{"username": {"denied"}}, false, 401, errorURL("error=AccessDenied"), false},
		{"no csrf", url.Values{"username": {"jsmith"}, "password": {"secret"}}, true, 200, httpBase + "/signin?csrf=true", false},
	}
	for _, tt := range tests {
		for _, asJSON := range []bool{true, false} {
			name := tt.name + map[bool]string{true: "/json", false: "/redirect"}[asJSON]
			t.Run(name, func(t *testing.T) {
				h := newHarness(t)
				b := h.browser()
				tok := b.csrf()
				v := url.Values{}
				for k, vs := range tt.form {
					v[k] = vs
				}
				if !tt.noCSRF {
					v.Set("csrfToken", tok)
				}
				if asJSON {
					v.Set("json", "true")
				}
				res := b.postForm("/callback/credentials", v)
				if asJSON {
					wantJSONURL(t, res, tt.wantCode, tt.wantURL)
				} else {
					wantRedirect(t, res, tt.wantURL)
				}
				line, got := res.setCookie(sessionCookie)
				if got != tt.wantSession {
					t.Fatalf("session Set-Cookie: got %v (%q); want %v", got, line, tt.wantSession)
				}
				if !tt.wantSession {
					return
				}
				if !sessionCookieLine(sessionCookie, t0.Add(maxAge30d), false).MatchString(line) {
					t.Errorf("session Set-Cookie: got %q; want <jwe>; Path=/; Expires=%s; HttpOnly; SameSite=Lax", line, t0.Add(maxAge30d).Format(http.TimeFormat))
				}
				if tt.wantURL != httpOrigin {
					cb, _ := res.setCookie(callbackCookie)
					want := callbackCookie + "=" + url.QueryEscape(tt.wantURL) + "; Path=/; HttpOnly; SameSite=Lax"
					if cb != want {
						t.Errorf("callback-url Set-Cookie: got %q; want %q", cb, want)
					}
				}
				res = b.get("/session")
				wantBody(t, res, sessionJSON("J Smith", "j@example.com", t0.Add(maxAge30d)))
			})
		}
	}
}

// TestCredentialsAuthorizeError: PROTOCOL.md, Providers/Credentials: "a
// thrown error → 401 with the error message as code" (NEXTAUTH-V4 §4.7).
// The client reads the status; a failing Authorize is not a success and not
// the handler crashing.
func TestCredentialsAuthorizeError(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	res := b.postForm("/callback/credentials", url.Values{"csrfToken": {b.csrf()}, "username": {"broken"}, "json": {"true"}})
	if res.Code != http.StatusUnauthorized {
		t.Errorf("Authorize returning an error: got status %d; want 401", res.Code)
	}
	var out struct{ URL string }
	json.Unmarshal([]byte(res.Body), &out)
	if !strings.HasPrefix(out.URL, httpBase+"/error?error=") {
		t.Errorf("Authorize returning an error: got url %q; want %s/error?error=...", out.URL, httpBase)
	}
	if strings.Contains(res.Body, "database is down") {
		t.Errorf("Authorize returning an error: got the internal message in the answer; want it kept out")
	}
	if _, ok := res.setCookie(sessionCookie); ok {
		t.Errorf("Authorize returning an error: got a session cookie; want none")
	}
}

func TestSignInCallback(t *testing.T) {
	var got *latch.SignInParams
	tests := []struct {
		name     string
		ret      error
		wantCode int
		wantURL  string
		session  bool
	}{
		{"allow", nil, 200, httpOrigin, true},
		{"access denied", latch.ErrAccessDenied, 403, httpBase + "/error?error=AccessDenied", false},
		// RedirectTo goes through the redirect rule: on the site, or the origin.
		{"redirect", latch.RedirectTo("/x"), 200, httpOrigin + "/x", false},
		{"redirect absolute", latch.RedirectTo("https://example.com/onboard"), 200, httpOrigin, false},
	}
	for _, tt := range tests {
		for _, asJSON := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/json=%v", tt.name, asJSON), func(t *testing.T) {
				h := newHarness(t, func(c *latch.Config) {
					c.Callbacks.SignIn = func(ctx context.Context, p *latch.SignInParams) error {
						got = p
						return tt.ret
					}
				})
				b := h.browser()
				v := url.Values{"csrfToken": {b.csrf()}, "username": {"jsmith"}, "password": {"secret"}}
				if asJSON {
					v.Set("json", "true")
				}
				res := b.postForm("/callback/credentials", v)
				if asJSON {
					wantJSONURL(t, res, tt.wantCode, tt.wantURL)
				} else {
					wantRedirect(t, res, tt.wantURL)
				}
				if _, ok := res.setCookie(sessionCookie); ok != tt.session {
					t.Errorf("session cookie: got %v; want %v", ok, tt.session)
				}
				if got == nil || got.User == nil || got.User.ID != "1" {
					t.Fatalf("SignIn params: got %+v; want the user with id 1", got)
				}
				if got.Account == nil || got.Account.Provider != "credentials" || got.Account.Type != "credentials" || got.Account.ProviderAccountID != "1" {
					t.Errorf("SignIn account: got %+v; want {credentials credentials 1}", got.Account)
				}
				if got.Credentials["username"] != "jsmith" {
					t.Errorf("SignIn credentials: got %v; want username jsmith", got.Credentials)
				}
			})
		}
	}
}

func TestCallbackGETCredentials(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	b.csrf()
	res := b.get("/callback/credentials?username=jsmith&password=secret")
	if res.Code >= 500 {
		t.Fatalf("GET /callback/credentials: got %d; want a 4xx (next-auth answers 500 here)", res.Code)
	}
	wantStatus(t, res, http.StatusMethodNotAllowed)
	wantHeader(t, res, "Allow", "POST")
	if _, ok := res.setCookie(sessionCookie); ok {
		t.Errorf("GET /callback/credentials: got a session cookie; want none")
	}
}

func TestCallbackUnknownProvider(t *testing.T) {
	for _, tt := range []struct{ method, want string }{
		{http.MethodPost, unsupportedPOST},
		{http.MethodGet, unsupportedGET},
	} {
		t.Run(tt.method, func(t *testing.T) {
			h := newHarness(t)
			b := h.browser()
			tok := b.csrf()
			var res *response
			if tt.method == http.MethodPost {
				res = b.postForm("/callback/nope", url.Values{"csrfToken": {tok}, "json": {"true"}})
			} else {
				res = b.get("/callback/nope?code=x&state=y")
			}
			wantStatus(t, res, http.StatusBadRequest)
			wantBody(t, res, tt.want)
			wantNoSetCookie(t, res)
		})
	}
}

// ---------------------------------------------------------------------------
// Sign-out
// ---------------------------------------------------------------------------

func TestSignOutPage(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	tok := b.csrf()
	res := b.get("/signout")
	wantStatus(t, res, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type: got %q; want text/html", ct)
	}
	for _, want := range []string{
		`<form action="http://localhost:3000/api/auth/signout" method="POST">`,
		`<input type="hidden" name="csrfToken" value="` + tok + `">`,
	} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("sign-out page: got no %q; want it", want)
		}
	}

	h = newHarness(t, func(c *latch.Config) { c.Pages.SignOut = "/bye-page" })
	wantRedirect(t, h.browser().get("/signout"), "/bye-page")
}

func TestSignOut(t *testing.T) {
	t.Run("without csrf", func(t *testing.T) {
		for _, asJSON := range []bool{true, false} {
			h := newHarness(t)
			b := h.browser()
			b.signIn()
			v := url.Values{"callbackUrl": {"/bye"}}
			if asJSON {
				v.Set("json", "true")
			}
			res := b.postForm("/signout", v)
			if asJSON {
				wantJSONURL(t, res, http.StatusOK, httpBase+"/signout?csrf=true")
			} else {
				wantRedirect(t, res, httpBase+"/signout?csrf=true")
			}
			if _, ok := res.setCookie(sessionCookie); ok {
				t.Errorf("signout without csrf: got a session Set-Cookie; want the session kept")
			}
			if b.get("/session").Body == `{}` {
				t.Errorf("signout without csrf: got signed out; want still signed in")
			}
		}
	})
	t.Run("with csrf", func(t *testing.T) {
		for _, asJSON := range []bool{true, false} {
			var events []latch.SignOutEvent
			h := newHarness(t, func(c *latch.Config) {
				c.Events.SignOut = func(ctx context.Context, e latch.SignOutEvent) { events = append(events, e) }
			})
			b := h.browser()
			b.signIn()
			v := url.Values{"csrfToken": {b.csrf()}, "callbackUrl": {"/bye"}}
			if asJSON {
				v.Set("json", "true")
			}
			res := b.postForm("/signout", v)
			if asJSON {
				wantJSONURL(t, res, http.StatusOK, httpOrigin+"/bye")
			} else {
				wantRedirect(t, res, httpOrigin+"/bye")
			}
			if got, _ := res.setCookie(sessionCookie); got != deletion(sessionCookie) {
				t.Errorf("signout: got session Set-Cookie %q; want %q", got, deletion(sessionCookie))
			}
			wantCB := "next-auth.callback-url=http%3A%2F%2Flocalhost%3A3000%2Fbye; Path=/; HttpOnly; SameSite=Lax"
			if got, _ := res.setCookie(callbackCookie); got != wantCB {
				t.Errorf("signout: got callback-url Set-Cookie %q; want %q", got, wantCB)
			}
			wantBody(t, b.get("/session"), `{}`)
			if len(events) != 1 || events[0].Token == nil || events[0].Token.Subject() != "1" {
				t.Errorf("SignOut events: got %+v; want one with the token of user 1", events)
			}
		}
	})
	t.Run("signed out", func(t *testing.T) {
		fired := false
		h := newHarness(t, func(c *latch.Config) {
			c.Events.SignOut = func(ctx context.Context, e latch.SignOutEvent) { fired = true }
		})
		b := h.browser()
		res := b.postForm("/signout", url.Values{"csrfToken": {b.csrf()}, "json": {"true"}})
		wantJSONURL(t, res, http.StatusOK, httpOrigin)
		if _, ok := res.setCookie(sessionCookie); ok {
			t.Errorf("signout without a session: got a session Set-Cookie; want none")
		}
		if fired {
			t.Errorf("signout without a session: got a SignOut event; want none")
		}
	})
	t.Run("chunked", func(t *testing.T) {
		h := newHarness(t, func(c *latch.Config) {
			c.Callbacks.JWT = func(ctx context.Context, p *latch.JWTParams) (latch.Token, error) {
				p.Token["blob"] = strings.Repeat("x", 4000)
				return p.Token, nil
			}
		})
		b := h.browser()
		b.signIn()
		if _, ok := b.cookie(sessionCookie + ".1"); !ok {
			t.Fatalf("big token: got cookies %v; want chunks .0 and .1", b.cookieNames())
		}
		res := b.postForm("/signout", url.Values{"csrfToken": {b.csrf()}, "json": {"true"}})
		for _, n := range []string{sessionCookie + ".0", sessionCookie + ".1"} {
			if got, _ := res.setCookie(n); got != deletion(n) {
				t.Errorf("signout: got Set-Cookie for %s %q; want %q", n, got, deletion(n))
			}
		}
		for _, n := range b.cookieNames() {
			if strings.HasPrefix(n, sessionCookie) {
				t.Errorf("jar after signout: got %s; want every session chunk gone", n)
			}
		}
	})
}

func TestEvents(t *testing.T) {
	var signIns []latch.SignInEvent
	var sessions []latch.SessionEvent
	var signOuts []latch.SignOutEvent
	h := newHarness(t, func(c *latch.Config) {
		c.Events.SignIn = func(ctx context.Context, e latch.SignInEvent) { signIns = append(signIns, e) }
		c.Events.Session = func(ctx context.Context, e latch.SessionEvent) { sessions = append(sessions, e) }
		c.Events.SignOut = func(ctx context.Context, e latch.SignOutEvent) { signOuts = append(signOuts, e) }
	})
	b := h.browser()
	b.get("/session")
	if len(sessions) != 0 {
		t.Errorf("signed-out GET /session: got %d Session events; want 0", len(sessions))
	}
	b.postForm("/callback/credentials", url.Values{"csrfToken": {b.csrf()}, "username": {"jsmith"}, "password": {"nope"}, "json": {"true"}})
	if len(signIns) != 0 {
		t.Errorf("failed sign-in: got %d SignIn events; want 0", len(signIns))
	}
	b.signIn()
	if len(signIns) != 1 {
		t.Fatalf("sign-in: got %d SignIn events; want 1", len(signIns))
	}
	e := signIns[0]
	if e.User == nil || e.User.ID != "1" || e.Account == nil || e.Account.Provider != "credentials" || e.Request == nil {
		t.Errorf("SignIn event: got %+v; want user 1, account credentials and the request", e)
	}
	b.get("/session")
	if len(sessions) != 1 || sessions[0].Session == nil || sessions[0].Session.User.Name != "J Smith" || sessions[0].Token.Subject() != "1" {
		t.Errorf("Session events: got %+v; want one for J Smith", sessions)
	}
	b.postForm("/signout", url.Values{"csrfToken": {b.csrf()}, "json": {"true"}})
	if len(signOuts) != 1 || signOuts[0].Token.Subject() != "1" {
		t.Errorf("SignOut events: got %+v; want one for user 1", signOuts)
	}
}

// ---------------------------------------------------------------------------
// Error and verify-request pages, _log
// ---------------------------------------------------------------------------

func TestErrorPage(t *testing.T) {
	bounce := []string{"Signin", "OAuthSignin", "OAuthCallback", "OAuthCreateAccount", "EmailCreateAccount",
		"Callback", "OAuthAccountNotLinked", "EmailSignin", "CredentialsSignin", "SessionRequired"}
	for _, code := range bounce {
		t.Run("bounce/"+code, func(t *testing.T) {
			h := newHarness(t, func(c *latch.Config) { c.Pages.Error = "/oops" })
			res := h.browser().get("/error?error=" + code)
			wantRedirect(t, res, httpBase+"/signin?error="+code)
		})
	}
	pages := []struct {
		path   string
		status int
		text   string
	}{
		{"/error?error=AccessDenied", 403, "<h1>Access Denied</h1>"},
		{"/error?error=Verification", 403, "<h1>Unable to sign in</h1>"},
		{"/error?error=Configuration", 500, "<h1>Server error</h1>"},
		{"/error?error=Whatever", 200, "<h1>Unable to sign in</h1>"},
		{"/error?error=Default", 200, "<h1>Unable to sign in</h1>"},
		{"/error", 200, "<h1>Unable to sign in</h1>"},
		{"/error/AccessDenied", 403, "<h1>Access Denied</h1>"},
	}
	for _, tt := range pages {
		t.Run("page"+tt.path, func(t *testing.T) {
			h := newHarness(t)
			res := h.browser().get(tt.path)
			wantStatus(t, res, tt.status)
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type: got %q; want text/html", ct)
			}
			if !strings.Contains(res.Body, tt.text) {
				t.Errorf("error page: got no %q; want it", tt.text)
			}
		})
	}
	t.Run("custom page", func(t *testing.T) {
		h := newHarness(t, func(c *latch.Config) { c.Pages.Error = "/oops" })
		wantRedirect(t, h.browser().get("/error?error=AccessDenied"), "/oops?error=AccessDenied")
		h = newHarness(t, func(c *latch.Config) { c.Pages.Error = "https://example.com/oops?lang=en" })
		wantRedirect(t, h.browser().get("/error?error=Verification"), "https://example.com/oops?lang=en&error=Verification")
	})
}

func TestVerifyRequest(t *testing.T) {
	h := newHarness(t)
	res := h.browser().get("/verify-request?provider=email&type=email")
	wantStatus(t, res, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type: got %q; want text/html", ct)
	}
	if !strings.Contains(res.Body, "Check your email") {
		t.Errorf("verify-request page: got no \"Check your email\"; want it")
	}
	h = newHarness(t, func(c *latch.Config) { c.Pages.VerifyRequest = "/check-mail" })
	wantRedirect(t, h.browser().get("/verify-request"), "/check-mail")
}

func TestLog(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	res := b.postForm("/_log", url.Values{"level": {"error"}, "code": {"CLIENT_FETCH_ERROR"}, "message": {"boom"}, "client": {"true"}})
	wantStatus(t, res, http.StatusOK)
	wantHeader(t, res, "Content-Type", "application/json")
	wantBody(t, res, `{}`)
	wantNoSetCookie(t, res)
}

// ---------------------------------------------------------------------------
// Unsupported combinations
// ---------------------------------------------------------------------------

func TestUnsupported(t *testing.T) {
	tests := []struct{ method, path string }{
		{http.MethodPut, "/session"},
		{http.MethodDelete, "/session"},
		{http.MethodPatch, "/signout"},
		{http.MethodGet, "/foo"},
		{http.MethodPost, "/foo"},
		{http.MethodGet, "/session/x/y"},
		{http.MethodGet, "/callback/credentials/extra"},
		{http.MethodPost, "/csrf"},
		{http.MethodPost, "/providers"},
		{http.MethodGet, "/_log"},
		{http.MethodPost, "/error"},
		{http.MethodPost, "/verify-request"},
		{http.MethodGet, "/"},
		{http.MethodHead, "/session"},
		{http.MethodOptions, "/session"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			h := newHarness(t)
			b := h.browser()
			res := b.do(tt.method, tt.path, strings.NewReader("csrfToken=x"), "application/x-www-form-urlencoded")
			wantStatus(t, res, http.StatusBadRequest)
			if tt.method != http.MethodHead {
				wantBody(t, res, "Error: This action with HTTP "+tt.method+" is not supported by NextAuth.js")
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("Content-Type: got %q; want text/plain", ct)
			}
			wantNoSetCookie(t, res)
		})
	}
}

// ---------------------------------------------------------------------------
// callbackUrl resolution
// ---------------------------------------------------------------------------

func TestCallbackURLResolution(t *testing.T) {
	enc := url.QueryEscape
	tests := []struct {
		name       string
		body       string // form callbackUrl
		query      string
		cookie     string // wire value of the callback-url cookie
		want       string
		wantCookie bool // a callback-url Set-Cookie is expected
	}{
		{"body wins", "/b", "/q", enc(httpOrigin + "/c"), httpOrigin + "/b", true},
		{"query over cookie", "", "/q", enc(httpOrigin + "/c"), httpOrigin + "/q", true},
		{"cookie", "", "", enc(httpOrigin + "/c"), httpOrigin + "/c", false},
		{"relative cookie normalised", "", "", enc("/c"), httpOrigin + "/c", true},
		{"origin", "", "", "", httpOrigin, true},
		{"unchanged", "/c", "", enc(httpOrigin + "/c"), httpOrigin + "/c", false},
		{"nuxt-auth undefined", "undefined", "", "", httpOrigin, true},
		{"unparsable query", "", "%zz", "", httpOrigin, true},
		{"foreign body", "https://evil.example/", "", enc(httpOrigin + "/c"), httpOrigin, true},
		{"foreign cookie", "", "", enc("https://evil.example/"), httpOrigin, true},
		{"absolute same origin", httpOrigin + "/abs?x=1#f", "", "", httpOrigin + "/abs?x=1#f", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			b := h.browser()
			tok := b.csrf()
			b.remove(callbackCookie)
			if tt.cookie != "" {
				b.setRaw(callbackCookie, tt.cookie)
			}
			v := url.Values{"csrfToken": {tok}, "json": {"true"}}
			if tt.body != "" {
				v.Set("callbackUrl", tt.body)
			}
			path := "/signout"
			if tt.query != "" {
				path += "?callbackUrl=" + url.QueryEscape(tt.query)
			}
			res := b.postForm(path, v)
			wantJSONURL(t, res, http.StatusOK, tt.want)
			line, ok := res.setCookie(callbackCookie)
			if ok != tt.wantCookie {
				t.Errorf("callback-url Set-Cookie: got %q (present %v); want present %v", line, ok, tt.wantCookie)
			}
			if ok {
				want := callbackCookie + "=" + enc(tt.want) + "; Path=/; HttpOnly; SameSite=Lax"
				if line != want {
					t.Errorf("callback-url Set-Cookie: got %q; want %q", line, want)
				}
			}
		})
	}

	// nuxt-auth's GET /session?callbackUrl=... rewrites the cookie once.
	t.Run("session query", func(t *testing.T) {
		h := newHarness(t)
		b := h.browser()
		b.get("/session")
		res := b.get("/session?callbackUrl=" + url.QueryEscape(httpOrigin+"/protected"))
		want := "next-auth.callback-url=http%3A%2F%2Flocalhost%3A3000%2Fprotected; Path=/; HttpOnly; SameSite=Lax"
		if got, _ := res.setCookie(callbackCookie); got != want {
			t.Errorf("GET /session?callbackUrl: got %q; want %q", got, want)
		}
		res = b.get("/session?callbackUrl=" + url.QueryEscape(httpOrigin+"/protected"))
		wantNoSetCookie(t, res)
	})
}

// ---------------------------------------------------------------------------
// Chunking
// ---------------------------------------------------------------------------

func TestChunking(t *testing.T) {
	var mu sync.Mutex
	blob := 0
	setBlob := func(n int) { mu.Lock(); blob = n; mu.Unlock() }
	h := newHarness(t, func(c *latch.Config) {
		c.Callbacks.JWT = func(ctx context.Context, p *latch.JWTParams) (latch.Token, error) {
			mu.Lock()
			n := blob
			mu.Unlock()
			if n > 0 {
				p.Token["blob"] = strings.Repeat("x", n)
			} else {
				delete(p.Token, "blob")
			}
			return p.Token, nil
		}
	})
	b := h.browser()
	b.signIn()
	sessionNames := func() []string {
		var out []string
		for _, n := range b.cookieNames() {
			if strings.HasPrefix(n, sessionCookie) {
				out = append(out, n)
			}
		}
		slices.Sort(out)
		return out
	}
	if got := sessionNames(); !slices.Equal(got, []string{sessionCookie}) {
		t.Fatalf("small token: got session cookies %v; want [%s]", got, sessionCookie)
	}
	exp := t0.Add(maxAge30d)
	wantSignedIn := func(step string) {
		t.Helper()
		if res := b.get("/session"); !strings.Contains(res.Body, `"name":"J Smith"`) {
			t.Errorf("%s: got session %s; want J Smith signed in", step, res.Body)
		}
	}

	steps := []struct {
		name      string
		blob      int
		wantNames []string
		cleared   []string
	}{
		{"grow to 2 chunks", 4000, []string{sessionCookie + ".0", sessionCookie + ".1"}, []string{sessionCookie}},
		{"stay at 2 chunks", 4000, []string{sessionCookie + ".0", sessionCookie + ".1"}, nil},
		{"grow to 3 chunks", 7000, []string{sessionCookie + ".0", sessionCookie + ".1", sessionCookie + ".2"}, nil},
		{"shrink to 2 chunks", 4000, []string{sessionCookie + ".0", sessionCookie + ".1"}, []string{sessionCookie + ".2"}},
		{"back to one cookie", 0, []string{sessionCookie}, []string{sessionCookie + ".0", sessionCookie + ".1"}},
	}
	for _, st := range steps {
		setBlob(st.blob)
		res := b.get("/session")
		wantStatus(t, res, http.StatusOK)
		if res.Body == `{}` {
			t.Fatalf("%s: got {}; want the session", st.name)
		}
		if got := sessionNames(); !slices.Equal(got, st.wantNames) {
			t.Errorf("%s: got session cookies %v; want %v", st.name, got, st.wantNames)
		}
		for _, n := range st.cleared {
			if got, _ := res.setCookie(n); got != deletion(n) {
				t.Errorf("%s: got Set-Cookie for %s %q; want %q", st.name, n, got, deletion(n))
			}
		}
		var joined strings.Builder
		for i, n := range st.wantNames {
			line, ok := res.setCookie(n)
			if !ok {
				t.Errorf("%s: got no Set-Cookie for %s; want it", st.name, n)
				continue
			}
			m := sessionCookieLine(n, exp, false).FindStringSubmatch(line)
			if m == nil {
				t.Errorf("%s: Set-Cookie %s got %q; want value; Path=/; Expires=...; HttpOnly; SameSite=Lax", st.name, n, line)
				continue
			}
			if len(st.wantNames) > 1 && i < len(st.wantNames)-1 && len(m[1]) != 3933 {
				t.Errorf("%s: chunk %s got %d bytes; want 3933", st.name, n, len(m[1]))
			}
			if len(m[1]) > 3933 {
				t.Errorf("%s: cookie %s got %d bytes; want at most 3933", st.name, n, len(m[1]))
			}
			joined.WriteString(m[1])
		}
		if _, err := decryptV4(t, joined.String(), testSecret); err != nil {
			t.Errorf("%s: reassembled chunks got %v; want a valid token", st.name, err)
		}
		wantSignedIn(st.name)
	}
}

// ---------------------------------------------------------------------------
// Key rotation, token formats, https
// ---------------------------------------------------------------------------

func TestKeyRotation(t *testing.T) {
	oldH := newHarness(t, func(c *latch.Config) { c.Secrets = []string{oldSecret} })
	b := oldH.browser()
	b.signIn()
	oldToken := b.sessionToken()
	csrfTok := b.csrf()

	newOnly := newHarness(t, func(c *latch.Config) { c.Secrets = []string{testSecret} })
	probe := newOnly.browser()
	probe.setRaw(sessionCookie, oldToken)
	wantBody(t, probe.get("/session"), `{}`)

	rotated := newHarness(t, func(c *latch.Config) { c.Secrets = []string{testSecret, oldSecret} })
	b.h = rotated
	res := b.get("/session")
	wantBody(t, res, sessionJSON("J Smith", "j@example.com", t0.Add(maxAge30d)))
	newToken := b.sessionToken()
	if newToken == oldToken {
		t.Fatalf("rotation: got the old token back; want it re-issued")
	}
	if _, err := decryptV4(t, newToken, testSecret); err != nil {
		t.Errorf("re-issued token: got %v decrypting with the new secret; want it encrypted with the first secret", err)
	}
	if _, err := decryptV4(t, newToken, oldSecret); err == nil {
		t.Errorf("re-issued token: got it decrypted by the old secret; want the new secret only")
	}
	// The CSRF cookie signed with the old secret still verifies.
	res = b.postForm("/signout", url.Values{"csrfToken": {csrfTok}, "json": {"true"}})
	wantJSONURL(t, res, http.StatusOK, httpOrigin)

	// After re-issue, a deployment with only the new secret reads it.
	probe = newOnly.browser()
	probe.setRaw(sessionCookie, newToken)
	wantBody(t, probe.get("/session"), sessionJSON("J Smith", "j@example.com", t0.Add(maxAge30d)))
}

// v5KeyID derives the Auth.js v5 key for salt and returns its SHA-512 JWK
// thumbprint, computed here independently of the jwt package.
func v5KeyID(t testing.TB, secret, salt string) string {
	t.Helper()
	key, err := hkdf.Key(sha256.New, []byte(secret), []byte(salt), "Auth.js Generated Encryption Key ("+salt+")", 64)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding
	sum := sha512.Sum512([]byte(`{"k":"` + b64.EncodeToString(key) + `","kty":"oct"}`))
	return b64.EncodeToString(sum[:])
}

func jweHeader(t testing.TB, token string) map[string]any {
	t.Helper()
	part, _, _ := strings.Cut(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		t.Fatalf("token header %q: %v", part, err)
	}
	var hdr map[string]any
	if err := json.Unmarshal(raw, &hdr); err != nil {
		t.Fatalf("token header %s: %v", raw, err)
	}
	return hdr
}

func TestTokenFormatV5(t *testing.T) {
	tests := []struct {
		name    string
		opts    func(*latch.Config)
		header  http.Header
		session string
		csrf    string
		cb      string
		secure  bool
	}{
		{"http", func(c *latch.Config) {}, nil, "authjs.session-token", "authjs.csrf-token", "authjs.callback-url", false},
		{"https", func(c *latch.Config) { c.URL = "https://example.com/api/auth" }, nil,
			"__Secure-authjs.session-token", "__Host-authjs.csrf-token", "__Secure-authjs.callback-url", true},
		{"https behind a proxy", func(c *latch.Config) {
			c.URL, c.AllowedHosts, c.TrustForwardedHeaders, c.TrustedProxies = "/api/auth", []string{"example.com"}, true, []string{"192.0.2.1"}
		},
			http.Header{"X-Forwarded-Proto": {"https"}, "X-Forwarded-Host": {"example.com"}},
			"__Secure-authjs.session-token", "__Host-authjs.csrf-token", "__Secure-authjs.callback-url", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, func(c *latch.Config) { c.TokenFormat = jwt.V5 }, tt.opts)
			b := h.browser()
			for k, v := range tt.header {
				b.header[k] = v
			}
			res := b.get("/csrf")
			if _, ok := res.setCookie(tt.csrf); !ok {
				t.Errorf("csrf cookie: got %q; want %s", res.setCookies(), tt.csrf)
			}
			if _, ok := res.setCookie(tt.cb); !ok {
				t.Errorf("callback-url cookie: got %q; want %s", res.setCookies(), tt.cb)
			}
			tok, _ := b.cookie(tt.csrf)
			tok, _, _ = strings.Cut(tok, "%7C")
			res = b.postForm("/callback/credentials", url.Values{"csrfToken": {tok}, "username": {"jsmith"}, "password": {"secret"}, "json": {"true"}})
			wantStatus(t, res, http.StatusOK)
			line, ok := res.setCookie(tt.session)
			if !ok {
				t.Fatalf("session cookie: got %q; want %s", res.setCookies(), tt.session)
			}
			if !sessionCookieLine(tt.session, t0.Add(maxAge30d), tt.secure).MatchString(line) {
				t.Errorf("session Set-Cookie: got %q; want attributes Path=/; Expires; HttpOnly; [Secure;] SameSite=Lax", line)
			}
			for _, n := range []string{sessionCookie, "__Secure-" + sessionCookie} {
				if _, ok := res.setCookie(n); ok {
					t.Errorf("V5: got a %s cookie; want authjs names only", n)
				}
			}
			token, _ := b.cookie(tt.session)
			hdr := jweHeader(t, token)
			if hdr["alg"] != "dir" || hdr["enc"] != "A256CBC-HS512" {
				t.Errorf("V5 header: got %v; want alg dir, enc A256CBC-HS512", hdr)
			}
			// Auth.js salts the key with the session cookie's name.
			if want := v5KeyID(t, testSecret, tt.session); hdr["kid"] != want {
				t.Errorf("V5 kid: got %v; want the SHA-512 thumbprint of the key salted with %q (%s)", hdr["kid"], tt.session, want)
			}
			codec, err := jwt.New(jwt.V5, tt.session, testSecret)
			if err != nil {
				t.Fatal(err)
			}
			claims, err := codec.Decode(token, t0)
			if err != nil {
				t.Errorf("decode with salt %q: got %v; want the claims", tt.session, err)
			} else if claims["sub"] != "1" {
				t.Errorf("claims: got %v; want sub 1", claims)
			}
			h.clock.Advance(time.Hour)
			res = b.get("/session")
			wantBody(t, res, sessionJSON("J Smith", "j@example.com", t0.Add(time.Hour+maxAge30d)))
			token, _ = b.cookie(tt.session)
			if hdr := jweHeader(t, token); hdr["enc"] != "A256CBC-HS512" || hdr["kid"] != v5KeyID(t, testSecret, tt.session) {
				t.Errorf("re-issued V5 header: got %v; want enc A256CBC-HS512 and the kid for salt %q", hdr, tt.session)
			}
			if claims, err := codec.Decode(token, h.clock.Now()); err != nil || claims["name"] != "J Smith" {
				t.Errorf("re-issued V5 token: got %v, %v; want it to decode with salt %q", claims, err, tt.session)
			}
		})
	}
}

func TestHTTPSCookies(t *testing.T) {
	h := newHarness(t, func(c *latch.Config) { c.URL = "https://example.com/api/auth" })
	b := h.browser()
	res := b.get("/session")
	csrfRE := regexp.MustCompile(`^__Host-next-auth\.csrf-token=[0-9a-f]{64}%7C[0-9a-f]{64}; Path=/; HttpOnly; Secure; SameSite=Lax$`)
	if line, _ := res.setCookie("__Host-next-auth.csrf-token"); !csrfRE.MatchString(line) {
		t.Errorf("https csrf cookie: got %q; want %s", line, csrfRE)
	}
	wantCB := "__Secure-next-auth.callback-url=https%3A%2F%2Fexample.com; Path=/; HttpOnly; Secure; SameSite=Lax"
	if line, _ := res.setCookie("__Secure-next-auth.callback-url"); line != wantCB {
		t.Errorf("https callback-url cookie: got %q; want %q", line, wantCB)
	}
	for _, n := range []string{csrfCookie, callbackCookie} {
		if _, ok := res.setCookie(n); ok {
			t.Errorf("https: got an unprefixed %s cookie; want prefixed names only", n)
		}
	}
	v, _ := b.cookie("__Host-next-auth.csrf-token")
	tok, _, _ := strings.Cut(v, "%7C")
	res = b.postForm("/callback/credentials", url.Values{"csrfToken": {tok}, "username": {"jsmith"}, "password": {"secret"}, "callbackUrl": {"/dash"}, "json": {"true"}})
	wantJSONURL(t, res, http.StatusOK, "https://example.com/dash")
	const sess = "__Secure-next-auth.session-token"
	line, _ := res.setCookie(sess)
	if !sessionCookieLine(sess, t0.Add(maxAge30d), true).MatchString(line) {
		t.Errorf("https session cookie: got %q; want %s=<jwe>; Path=/; Expires=...; HttpOnly; Secure; SameSite=Lax", line, sess)
	}
	res = b.postForm("/signout", url.Values{"csrfToken": {tok}, "json": {"true"}})
	wantJSONURL(t, res, http.StatusOK, "https://example.com/dash")
	if got, want := func() string { l, _ := res.setCookie(sess); return l }(), sess+"=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax"; got != want {
		t.Errorf("https deletion: got %q; want %q", got, want)
	}

	t.Run("domain", func(t *testing.T) {
		h := newHarness(t, func(c *latch.Config) {
			c.URL = "https://example.com/api/auth"
			c.Cookies.Domain = "example.com"
		})
		b := h.browser()
		res := b.get("/session")
		if line, _ := res.setCookie("__Host-next-auth.csrf-token"); strings.Contains(line, "Domain=") {
			t.Errorf("__Host- cookie: got %q; want no Domain (browsers reject it)", line)
		}
		want := "__Secure-next-auth.callback-url=https%3A%2F%2Fexample.com; Domain=example.com; Path=/; HttpOnly; Secure; SameSite=Lax"
		if line, _ := res.setCookie("__Secure-next-auth.callback-url"); line != want {
			t.Errorf("callback-url with Domain: got %q; want %q", line, want)
		}
	})
}

// ---------------------------------------------------------------------------
// CORS, forwarded headers
// ---------------------------------------------------------------------------

func TestCORS(t *testing.T) {
	const app = "https://app.example.com"
	h := newHarness(t, func(c *latch.Config) { c.TrustedOrigins = []string{"https://App.example.com/"} })

	request := func(method, origin string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, httpBase+"/session", nil)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if method == http.MethodOptions {
			req.Header.Set("Access-Control-Request-Method", "POST")
			req.Header.Set("Access-Control-Request-Headers", "content-type")
		}
		w := httptest.NewRecorder()
		h.auth.ServeHTTP(w, req)
		return w
	}
	t.Run("preflight trusted", func(t *testing.T) {
		w := request(http.MethodOptions, app)
		if w.Code != http.StatusNoContent {
			t.Errorf("preflight: got %d; want 204", w.Code)
		}
		if got := w.Header().Get("Access-Control-Allow-Origin"); got != app {
			t.Errorf("Allow-Origin: got %q; want %q", got, app)
		}
		if got := w.Header().Get("Access-Control-Allow-Credentials"); got != "true" {
			t.Errorf("Allow-Credentials: got %q; want true", got)
		}
		if got := w.Header().Get("Access-Control-Allow-Methods"); !strings.Contains(got, "POST") || !strings.Contains(got, "GET") {
			t.Errorf("Allow-Methods: got %q; want GET and POST", got)
		}
		if got := strings.ToLower(w.Header().Get("Access-Control-Allow-Headers")); !strings.Contains(got, "content-type") {
			t.Errorf("Allow-Headers: got %q; want Content-Type", got)
		}
		if got := w.Header().Values("Set-Cookie"); len(got) != 0 {
			t.Errorf("preflight: got Set-Cookie %q; want none", got)
		}
	})
	t.Run("simple trusted", func(t *testing.T) {
		w := request(http.MethodGet, app)
		if w.Code != http.StatusOK || w.Body.String() != `{}` {
			t.Errorf("GET: got %d %q; want 200 {}", w.Code, w.Body)
		}
		if got := w.Header().Get("Access-Control-Allow-Origin"); got != app {
			t.Errorf("Allow-Origin: got %q; want %q", got, app)
		}
		if got := w.Header().Get("Access-Control-Allow-Credentials"); got != "true" {
			t.Errorf("Allow-Credentials: got %q; want true", got)
		}
		if got := w.Header().Values("Vary"); !slices.Contains(got, "Origin") {
			t.Errorf("Vary: got %q; want Origin", got)
		}
	})
	t.Run("trusted in another case", func(t *testing.T) {
		// Browsers send origins in lower case; whatever comes, the answer
		// names the trusted origin as configured, never the client's bytes.
		w := request(http.MethodGet, "HTTPS://App.Example.COM")
		if got := w.Header().Get("Access-Control-Allow-Origin"); got != app {
			t.Errorf("Allow-Origin: got %q; want %q", got, app)
		}
	})
	for _, origin := range []string{"https://evil.example", "https://app.example.com.evil.example", "http://app.example.com", "null", ""} {
		for _, method := range []string{http.MethodGet, http.MethodOptions} {
			t.Run(fmt.Sprintf("untrusted %s %q", method, origin), func(t *testing.T) {
				w := request(method, origin)
				for _, k := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Allow-Methods"} {
					if got := w.Header().Get(k); got != "" {
						t.Errorf("%s: got %q; want none", k, got)
					}
				}
				if method == http.MethodOptions && w.Code == http.StatusNoContent {
					t.Errorf("preflight from %q: got 204; want it refused", origin)
				}
			})
		}
	}
	t.Run("callbackUrl on trusted origin", func(t *testing.T) {
		b := h.browser()
		tok := b.csrf()
		res := b.postForm("/signout", url.Values{"csrfToken": {tok}, "json": {"true"}, "callbackUrl": {app + "/after"}})
		wantJSONURL(t, res, http.StatusOK, app+"/after")
		res = b.postForm("/signout", url.Values{"csrfToken": {tok}, "json": {"true"}, "callbackUrl": {"https://evil.example/after"}})
		wantJSONURL(t, res, http.StatusOK, httpOrigin)
		res = b.postForm("/signout", url.Values{"csrfToken": {tok}, "json": {"true"}, "callbackUrl": {"/rel"}})
		wantJSONURL(t, res, http.StatusOK, httpOrigin+"/rel")
	})
}

// ---------------------------------------------------------------------------
// Require, Session, Token
// ---------------------------------------------------------------------------

func TestRequire(t *testing.T) {
	h := newHarness(t)
	var seen *latch.Session
	protected := h.auth.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = h.auth.Session(r)
		w.Write([]byte("secret page"))
	}))
	signedIn := h.browser()
	signedIn.signIn()

	tests := []struct {
		name, method, accept string
		cookie               bool
		wantCode             int
		wantLoc, wantBody    string
	}{
		{"html redirect", http.MethodGet, "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8", false, http.StatusFound,
			"/api/auth/signin?callbackUrl=" + url.QueryEscape(httpOrigin+"/dash?tab=1"), ""},
		{"api 401", http.MethodGet, "application/json", false, http.StatusUnauthorized, "", `{"error":"SessionRequired"}`},
		{"no accept 401", http.MethodGet, "", false, http.StatusUnauthorized, "", `{"error":"SessionRequired"}`},
		{"html POST 401", http.MethodPost, "text/html", false, http.StatusUnauthorized, "", `{"error":"SessionRequired"}`},
		{"signed in", http.MethodGet, "text/html", true, http.StatusOK, "", "secret page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen = nil
			req := httptest.NewRequest(tt.method, httpOrigin+"/dash?tab=1", nil)
			if tt.accept != "" {
				req.Header.Set("Accept", tt.accept)
			}
			if tt.cookie {
				req.Header.Set("Cookie", signedIn.cookieHeader())
			}
			w := httptest.NewRecorder()
			protected.ServeHTTP(w, req)
			if w.Code != tt.wantCode {
				t.Fatalf("status: got %d; want %d", w.Code, tt.wantCode)
			}
			if got := w.Header().Get("Location"); got != tt.wantLoc {
				t.Errorf("Location: got %q; want %q", got, tt.wantLoc)
			}
			if tt.wantBody != "" && strings.TrimSpace(w.Body.String()) != tt.wantBody {
				t.Errorf("body: got %q; want %q", w.Body, tt.wantBody)
			}
			if tt.wantCode == http.StatusUnauthorized {
				if ct := w.Header().Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type: got %q; want application/json", ct)
				}
			}
			if tt.cookie {
				if seen == nil || seen.User.Name != "J Smith" || seen.User.Email != "j@example.com" {
					t.Errorf("Session inside Require: got %+v; want J Smith", seen)
				} else if seen.UserID() != testUser().ID || seen.User.ID != testUser().ID {
					t.Errorf("UserID() = %q, User.ID = %q; want %q for both", seen.UserID(), seen.User.ID, testUser().ID)
				}
			} else if seen != nil {
				t.Errorf("handler ran without a session")
			}
		})
	}
	t.Run("custom sign-in page", func(t *testing.T) {
		h := newHarness(t, func(c *latch.Config) { c.Pages.SignIn = "/login" })
		w := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, httpOrigin+"/dash", nil)
		req.Header.Set("Accept", "text/html")
		h.auth.Require(http.NotFoundHandler()).ServeHTTP(w, req)
		if want := "/login?callbackUrl=" + url.QueryEscape(httpOrigin+"/dash"); w.Header().Get("Location") != want {
			t.Errorf("Location: got %q; want %q", w.Header().Get("Location"), want)
		}
	})
}

// TestRequireKeepsSessionAlive: a user active on Require'd pages, which
// never call GET /session, stays signed in: once a day the session is
// extended with a new cookie, on no other request.
func TestRequireKeepsSessionAlive(t *testing.T) {
	var jwtCalls atomic.Int32
	h := newHarness(t, func(c *latch.Config) {
		c.Callbacks.JWT = func(_ context.Context, p *latch.JWTParams) (latch.Token, error) {
			jwtCalls.Add(1)
			return p.Token, nil
		}
	})
	b := h.browser()
	b.signIn()
	codec, err := jwt.New(jwt.V4, "", testSecret)
	if err != nil {
		t.Fatal(err)
	}
	// The page says it may be cached publicly; nested Require (a group of
	// routes, then one route) must not extend twice.
	protected := h.auth.Require(h.auth.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Write([]byte("page"))
	})))
	get := func(set func(*http.Request)) *httptest.ResponseRecorder {
		t.Helper()
		r := httptest.NewRequest(http.MethodGet, httpOrigin+"/dash", nil)
		set(r)
		w := httptest.NewRecorder()
		protected.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Fatalf("status %d; want 200", w.Code)
		}
		return w
	}
	withCookie := func(r *http.Request) { r.Header.Set("Cookie", b.cookieHeader()) }
	renewedCookie := func(w *httptest.ResponseRecorder) string {
		for _, c := range w.Result().Cookies() {
			if c.Name == sessionCookie {
				return c.Value
			}
		}
		return ""
	}

	h.clock.Advance(23 * time.Hour)
	if w := get(withCookie); renewedCookie(w) != "" || w.Header().Get("Cache-Control") != "public, max-age=3600" {
		t.Errorf("23h after sign-in: Set-Cookie %q, Cache-Control %q; want no cookie and the page's own caching", w.Header().Values("Set-Cookie"), w.Header().Get("Cache-Control"))
	}
	h.clock.Advance(2 * time.Hour)
	token := b.sessionToken()
	if w := get(func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }); renewedCookie(w) != "" {
		t.Errorf("bearer session: Set-Cookie %q; want none (there is no cookie to renew)", w.Header().Values("Set-Cookie"))
	}
	jwtCalls.Store(0)
	w := get(withCookie)
	value := renewedCookie(w)
	if value == "" || w.Header().Values("Cache-Control")[0] != "private, no-store" || len(w.Header().Values("Cache-Control")) != 1 {
		t.Fatalf("25h after sign-in: Set-Cookie %q, Cache-Control %q; want a new session cookie, private whatever the page said", w.Header().Values("Set-Cookie"), w.Header().Values("Cache-Control"))
	}
	if n := len(w.Header().Values("Set-Cookie")); n != 1 {
		t.Errorf("25h after sign-in: %d Set-Cookie headers; want 1 (nested Require extends once)", n)
	}
	if n := jwtCalls.Load(); n != 1 {
		t.Errorf("JWT callback ran %d times for the extending request; want 1", n)
	}
	claims, err := codec.Decode(value, h.clock.Now())
	if err != nil || claims["email"] != "j@example.com" {
		t.Fatalf("renewed token: %v, %v", claims, err)
	}
	if exp := fmt.Sprint(claims["exp"]); exp != fmt.Sprint(h.clock.Now().Add(30*24*time.Hour).Unix()) {
		t.Errorf("renewed token exp %v; want now + 30 days (%d)", claims["exp"], h.clock.Now().Add(30*24*time.Hour).Unix())
	}
	// With the new cookie, the next extension is a day away.
	r := httptest.NewRequest(http.MethodGet, httpOrigin+"/dash", nil)
	r.Header.Set("Cookie", sessionCookie+"="+value)
	h.clock.Advance(time.Hour)
	w = httptest.NewRecorder()
	protected.ServeHTTP(w, r)
	if renewedCookie(w) != "" {
		t.Errorf("an hour after the renewal: Set-Cookie %q; want none", w.Header().Values("Set-Cookie"))
	}
}

func TestSessionAndTokenOfRequest(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	b.signIn()
	token := b.sessionToken()

	tests := []struct {
		name   string
		set    func(r *http.Request)
		wantOK bool
	}{
		{"cookie", func(r *http.Request) { r.Header.Set("Cookie", sessionCookie+"="+token) }, true},
		{"bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }, true},
		{"bearer url-encoded", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+url.QueryEscape(token)) }, true},
		{"bearer garbage", func(r *http.Request) { r.Header.Set("Authorization", "Bearer garbage") }, false},
		{"basic", func(r *http.Request) { r.Header.Set("Authorization", "Basic "+token) }, false},
		{"nothing", func(r *http.Request) {}, false},
		{"garbage cookie", func(r *http.Request) { r.Header.Set("Cookie", sessionCookie+"=x.y.z") }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, httpOrigin+"/api/data", nil)
			tt.set(r)
			s := h.auth.Session(r)
			tok := h.auth.Token(r)
			if !tt.wantOK {
				if s != nil || tok != nil {
					t.Errorf("Session/Token: got %+v / %v; want nil", s, tok)
				}
				return
			}
			if s == nil || s.User.Name != "J Smith" || s.User.Email != "j@example.com" {
				t.Errorf("Session: got %+v; want J Smith", s)
			}
			if tok == nil || tok.Subject() != "1" {
				t.Errorf("Token: got %v; want sub 1", tok)
			}
			if s != nil && !s.Expires.Equal(t0.Add(maxAge30d)) {
				t.Errorf("Session.Expires: got %v; want %v", s.Expires, t0.Add(maxAge30d))
			}
		})
	}
}

// ---------------------------------------------------------------------------
// New
// ---------------------------------------------------------------------------

func TestNewConfigErrors(t *testing.T) {
	good := func() latch.Config {
		return latch.Config{URL: httpBase, Secrets: []string{testSecret}, Providers: []latch.Provider{testCredentials()}}
	}
	tests := []struct {
		name  string
		edit  func(*latch.Config)
		wants []string
	}{
		{"no URL", func(c *latch.Config) { c.URL = "" }, []string{"URL is required"}},
		{"relative URL", func(c *latch.Config) { c.URL = "/api/auth" }, []string{"is a path", "AllowedHosts"}},
		{"bad scheme", func(c *latch.Config) { c.URL = "ftp://example.com/api/auth" }, []string{"not an absolute http(s) URL"}},
		{"garbage URL", func(c *latch.Config) { c.URL = "http://[::1" }, []string{"not an absolute http(s) URL"}},
		{"URL with query", func(c *latch.Config) { c.URL = "https://example.com/api/auth?x=1" }, []string{"must not have a query"}},
		{"no secret", func(c *latch.Config) { c.Secrets = nil }, []string{"secret is required"}},
		{"short secret", func(c *latch.Config) { c.Secrets = []string{"too-short"} }, []string{"at least 32"}},
		{"empty second secret", func(c *latch.Config) { c.Secrets = []string{testSecret, ""} }, []string{"secret 2 is empty"}},
		{"duplicate provider", func(c *latch.Config) { c.Providers = append(c.Providers, testCredentials()) }, []string{`duplicate provider id "credentials"`}},
		{"credentials without Authorize", func(c *latch.Config) { c.Providers = []latch.Provider{&latch.Credentials{ID: "pw"}} }, []string{`"pw" has no Authorize`}},
		{"nil provider", func(c *latch.Config) { c.Providers = []latch.Provider{nil} }, []string{"provider 1 is nil"}},
		{"bad provider id", func(c *latch.Config) {
			p := testCredentials()
			p.ID = "a/b"
			c.Providers = []latch.Provider{p}
		}, []string{`provider id "a/b"`}},
		{"bad trusted origin", func(c *latch.Config) { c.TrustedOrigins = []string{"app.example.com"} }, []string{`trusted origin "app.example.com"`}},
		{"bad page", func(c *latch.Config) { c.Pages.SignIn = "//evil.example/login" }, []string{"Pages.SignIn"}},
		{"bad token format", func(c *latch.Config) { c.TokenFormat = 7 }, []string{"TokenFormat"}},
		{"negative max age", func(c *latch.Config) { c.MaxAge = -time.Hour }, []string{"must not be negative"}},
		{"several at once", func(c *latch.Config) {
			c.URL = ""
			c.Secrets = []string{"short"}
			c.Providers = []latch.Provider{testCredentials(), testCredentials(), &latch.Credentials{ID: "pw"}}
		}, []string{"URL is required", "at least 32", `duplicate provider id "credentials"`, `"pw" has no Authorize`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good()
			tt.edit(&cfg)
			a, err := latch.New(cfg)
			if err == nil {
				t.Fatalf("New: got nil error; want one mentioning %q", tt.wants)
			}
			if a != nil {
				t.Errorf("New: got a non-nil *Auth with an error; want nil")
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("New error: got %q; want it to mention %q", err, w)
				}
			}
		})
	}
	t.Run("valid", func(t *testing.T) {
		for _, cfg := range []latch.Config{
			good(),
			{URL: "https://example.com", Secrets: []string{testSecret}},
			{URL: "/api/auth", AllowedHosts: []string{"example.com"}, TrustForwardedHeaders: true, TrustedProxies: []string{"10.0.0.0/8"}, Secrets: []string{testSecret, "short-old"}},
		} {
			if _, err := latch.New(cfg); err != nil {
				t.Errorf("New(%+v): got %v; want nil", cfg, err)
			}
		}
	})
	t.Run("default base path", func(t *testing.T) {
		a, err := latch.New(latch.Config{URL: "https://example.com", Secrets: []string{testSecret}})
		if err != nil {
			t.Fatal(err)
		}
		if got := a.BasePath(); got != "/api/auth" {
			t.Errorf("BasePath: got %q; want /api/auth", got)
		}
	})
}

// ---------------------------------------------------------------------------
// End to end over HTTP with a cookie jar
// ---------------------------------------------------------------------------

func TestEndToEnd(t *testing.T) {
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	a, err := latch.New(latch.Config{
		URL: srv.URL + "/api/auth", Secrets: []string{testSecret},
		Providers: []latch.Provider{testCredentials()}, Logger: quietLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/api/auth/", a)
	mux.Handle("/dash", a.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", a.Session(r).User.Name)
	})))
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	call := func(method, path string, form url.Values) (int, http.Header, string) {
		t.Helper()
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequest(method, srv.URL+path, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.Header.Set("Accept", "text/html")
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header, string(raw)
	}

	code, hdr, _ := call(http.MethodGet, "/dash", nil)
	if code != http.StatusFound || !strings.HasPrefix(hdr.Get("Location"), "/api/auth/signin?callbackUrl=") {
		t.Fatalf("GET /dash signed out: got %d %q; want 302 to the sign-in page", code, hdr.Get("Location"))
	}
	code, _, body := call(http.MethodGet, "/api/auth/csrf", nil)
	var c struct{ CsrfToken string }
	json.Unmarshal([]byte(body), &c)
	if code != 200 || c.CsrfToken == "" {
		t.Fatalf("GET /csrf: got %d %q", code, body)
	}
	code, hdr, _ = call(http.MethodPost, "/api/auth/callback/credentials", url.Values{
		"csrfToken": {c.CsrfToken}, "username": {"jsmith"}, "password": {"secret"}, "callbackUrl": {"/dash"},
	})
	if code != http.StatusFound || hdr.Get("Location") != srv.URL+"/dash" {
		t.Fatalf("sign-in: got %d %q; want 302 to %s/dash", code, hdr.Get("Location"), srv.URL)
	}
	code, _, body = call(http.MethodGet, "/dash", nil)
	if code != http.StatusOK || body != "hello J Smith" {
		t.Errorf("GET /dash signed in: got %d %q; want 200 hello J Smith", code, body)
	}
	code, _, body = call(http.MethodGet, "/api/auth/session", nil)
	if code != 200 || !strings.HasPrefix(body, `{"user":{"name":"J Smith","email":"j@example.com"},"expires":"`) {
		t.Errorf("GET /session: got %d %q", code, body)
	}
	code, hdr, _ = call(http.MethodPost, "/api/auth/signout", url.Values{"csrfToken": {c.CsrfToken}})
	if code != http.StatusFound || hdr.Get("Location") != srv.URL+"/dash" {
		t.Errorf("sign-out: got %d %q; want 302 to the callbackUrl %s/dash", code, hdr.Get("Location"), srv.URL)
	}
	_, _, body = call(http.MethodGet, "/api/auth/session", nil)
	if body != `{}` {
		t.Errorf("GET /session after sign-out: got %q; want {}", body)
	}
}

// TestSessionPayloadPaths reads tokens with unusual but valid payloads
// through a handler without callbacks and one with a Session event (which
// needs the decoded token): both must answer the same session and re-issue
// the same claims with fresh iat, exp and jti.
func TestSessionPayloadPaths(t *testing.T) {
	payloads := []struct {
		name, payload string
		wantUser      string // the "user" member, "" to only compare the paths
	}{
		{"null picture", `{"exp":4102444800,"name":"J Smith","email":"j@example.com","picture":null,"sub":"1"}`, `{"name":"J Smith","email":"j@example.com","image":null}`},
		{"empty name", `{"exp":4102444800,"name":"","email":"e@example.com","sub":"1"}`, `{"name":"","email":"e@example.com"}`},
		{"no claims", `{"exp":4102444800,"sub":"1"}`, `{}`},
		{"escapes", `{"exp":4102444800,"name":"\u00e9l\u00e8ve \"q\" \\ <b>&amp;","sub":"1"}`, `{"name":"élève \"q\" \\ <b>&amp;"}`},
		{"line separator", `{"exp":4102444800,"name":"a\u2028b","sub":"1"}`, "{\"name\":\"a\u2028b\"}"},
		{"whitespace", ` {"exp":4102444800, "name" : "J" , "sub" : "1" , "email":"x@example.com" } `, `{"name":"J","email":"x@example.com"}`},
		{"nested name", `{"exp":4102444800,"sub":"1","profile":{"name":"inner","picture":"p"},"name":"outer"}`, `{"name":"outer"}`},
		{"name inside a string", `{"exp":4102444800,"sub":"1","x":"\"name\":\"fake\"","name":"real"}`, `{"name":"real"}`},
		{"old times", `{"sub":"1","name":"J","iat":1,"exp":4102444800,"jti":"x"}`, `{"name":"J"}`},
		{"custom claims", `{"exp":4102444800,"sub":"1","name":"J","role":"admin","n":1.5e3,"list":[1,"a",null],"obj":{"k":true}}`, `{"name":"J"}`},
		{"non-string name", `{"exp":4102444800,"sub":"1","name":5}`, ""},
		{"duplicate claims", `{"exp":1,"sub":"1","name":"A","exp":4102444800,"name":"B","picture":"p","picture":null}`, `{"name":"B","image":null}`},
	}
	for _, tt := range payloads {
		t.Run(tt.name, func(t *testing.T) {
			token := encryptV4(t, []byte(tt.payload), testSecret)
			var bodies [2]string
			var claims [2]map[string]any
			for i, slow := range []bool{false, true} {
				h := newHarness(t, func(c *latch.Config) {
					if slow {
						c.Events.Session = func(context.Context, latch.SessionEvent) {}
					}
				})
				h.clock.Advance(time.Minute)
				b := h.browser()
				b.setRaw(sessionCookie, token)
				res := b.get("/session")
				wantStatus(t, res, http.StatusOK)
				bodies[i] = res.Body
				c, err := decryptV4(t, b.sessionToken(), testSecret)
				if err != nil {
					t.Fatalf("slow=%v: re-issued token got %v; want it to decrypt", slow, err)
				}
				now := h.clock.Now().Unix()
				if iat := claimInt(t, c, "iat"); iat != now {
					t.Errorf("slow=%v: iat got %d; want %d", slow, iat, now)
				}
				if exp := claimInt(t, c, "exp"); exp != now+int64(maxAge30d/time.Second) {
					t.Errorf("slow=%v: exp got %d; want %d", slow, exp, now+int64(maxAge30d/time.Second))
				}
				if jti, _ := c["jti"].(string); !uuidV4RE.MatchString(jti) {
					t.Errorf("slow=%v: jti got %q; want a new UUID v4", slow, c["jti"])
				}
				delete(c, "iat")
				delete(c, "exp")
				delete(c, "jti")
				claims[i] = c
			}
			if bodies[0] != bodies[1] {
				t.Errorf("session without callbacks: got %q; with a Session event: got %q; want the same", bodies[0], bodies[1])
			}
			if tt.wantUser != "" {
				want := `{"user":` + tt.wantUser + `,"expires":"` + t0.Add(time.Minute+maxAge30d).Format(isoMillis) + `"}`
				if bodies[0] != want {
					t.Errorf("session: got %q; want %q", bodies[0], want)
				}
			}
			a, _ := json.Marshal(claims[0])
			b, _ := json.Marshal(claims[1])
			if !bytes.Equal(a, b) {
				t.Errorf("re-issued claims: got %s without callbacks and %s with; want the same", a, b)
			}
			var orig map[string]any
			d := json.NewDecoder(strings.NewReader(tt.payload))
			d.UseNumber()
			d.Decode(&orig)
			delete(orig, "iat")
			delete(orig, "exp")
			delete(orig, "jti")
			o, _ := json.Marshal(orig)
			if !bytes.Equal(a, o) {
				t.Errorf("re-issued claims: got %s; want the original claims %s", a, o)
			}
		})
	}
}

// TestJSONLikeJavaScript: NextAuth's bodies are JSON.stringify output, which
// does not escape <, > and &. A callbackUrl with a query string is the
// common case.
func TestJSONLikeJavaScript(t *testing.T) {
	t.Run("signin url", func(t *testing.T) {
		h := newHarness(t)
		b := h.browser()
		res := b.postForm("/callback/credentials", url.Values{"csrfToken": {b.csrf()}, "username": {"jsmith"}, "password": {"secret"},
			"callbackUrl": {"/dash?tab=1&sort=name"}, "json": {"true"}})
		wantStatus(t, res, http.StatusOK)
		wantBody(t, res, `{"url":"http://localhost:3000/dash?tab=1&sort=name"}`)
	})
	t.Run("signout url", func(t *testing.T) {
		h := newHarness(t)
		b := h.browser()
		res := b.postForm("/signout", url.Values{"csrfToken": {b.csrf()}, "callbackUrl": {"/bye?a=1&b=2"}, "json": {"true"}})
		wantBody(t, res, `{"url":"http://localhost:3000/bye?a=1&b=2"}`)
	})
	t.Run("providers", func(t *testing.T) {
		h := newHarness(t, func(c *latch.Config) {
			p := testCredentials()
			p.Name = "AT&T <staff>"
			c.Providers = []latch.Provider{p}
		})
		res := h.browser().get("/providers")
		if !strings.Contains(res.Body, `"name":"AT&T <staff>"`) {
			t.Errorf("providers: got %s; want the name written as JSON.stringify does (\"AT&T <staff>\")", res.Body)
		}
	})
	t.Run("session extra", func(t *testing.T) {
		h := newHarness(t, func(c *latch.Config) {
			c.Callbacks.Session = func(ctx context.Context, p *latch.SessionParams) (*latch.Session, error) {
				p.Session.Extra = map[string]any{"note": "a&b<c>"}
				return p.Session, nil
			}
		})
		b := h.browser()
		b.signIn()
		res := b.get("/session")
		if !strings.HasSuffix(res.Body, `,"note":"a&b<c>"}`) {
			t.Errorf("session: got %s; want \"note\":\"a&b<c>\" as JSON.stringify writes it", res.Body)
		}
	})
}

// TestErrorStatusAndRetryAfter checks latch.Error's Status and RetryAfter,
// which say what the {"url"} answer's status is and when to retry.
func TestErrorStatusAndRetryAfter(t *testing.T) {
	limited := &latch.Error{Code: "TooManyRequests", Status: http.StatusTooManyRequests, RetryAfter: 1500 * time.Millisecond}
	tests := []struct {
		name      string
		authorize error // returned by Authorize
		signIn    error // returned by the SignIn callback
		wantCode  int
		wantURL   string
		wantRetry string
	}{
		// JSON clients get NextAuth's URL; the wait is in Retry-After.
		{"authorize", limited, nil, 429, httpBase + "/error?error=TooManyRequests", "2"},
		{"authorize credentials code", &latch.Error{Code: latch.CodeCredentialsSignin, RetryAfter: 5 * time.Second}, nil, 401,
			httpBase + "/error?error=CredentialsSignin&provider=credentials", "5"},
		{"signIn callback", nil, limited, 429, httpBase + "/error?error=TooManyRequests", "2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, func(c *latch.Config) {
				p := testCredentials()
				inner := p.Authorize
				p.Authorize = func(ctx context.Context, cr map[string]string, r *http.Request) (*latch.User, error) {
					if tt.authorize != nil {
						return nil, tt.authorize
					}
					return inner(ctx, cr, r)
				}
				c.Providers = []latch.Provider{p}
				c.Callbacks.SignIn = func(context.Context, *latch.SignInParams) error { return tt.signIn }
			})
			b := h.browser()
			res := b.postForm("/callback/credentials", url.Values{"csrfToken": {b.csrf()}, "username": {"jsmith"}, "password": {"secret"}, "json": {"true"}})
			wantJSONURL(t, res, tt.wantCode, tt.wantURL)
			wantHeader(t, res, "Retry-After", tt.wantRetry)
		})
	}
}

// TestConcurrentUse drives one Auth from many goroutines (run with -race).
func TestConcurrentUse(t *testing.T) {
	h := newHarness(t, func(c *latch.Config) {
		c.Callbacks.JWT = func(ctx context.Context, p *latch.JWTParams) (latch.Token, error) { return p.Token, nil }
	})
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := h.browser()
			// No Fatal off the test goroutine: sign in step by step.
			var c struct{ CsrfToken string }
			json.Unmarshal([]byte(b.get("/csrf").Body), &c)
			res := b.postForm("/callback/credentials", url.Values{"csrfToken": {c.CsrfToken}, "username": {"jsmith"}, "password": {"secret"}, "json": {"true"}})
			if res.Code != http.StatusOK {
				errs <- fmt.Sprintf("goroutine %d: sign-in got %d %q", i, res.Code, res.Body)
				return
			}
			for range 10 {
				if res := b.get("/session"); !strings.Contains(res.Body, "J Smith") {
					errs <- fmt.Sprintf("goroutine %d: got %q; want J Smith", i, res.Body)
					return
				}
				r := httptest.NewRequest(http.MethodGet, httpOrigin+"/", nil)
				r.Header.Set("Cookie", b.cookieHeader())
				if h.auth.Session(r) == nil {
					errs <- fmt.Sprintf("goroutine %d: Session(r) got nil; want the session", i)
					return
				}
			}
			res = b.postForm("/signout", url.Values{"csrfToken": {c.CsrfToken}, "json": {"true"}})
			if res.Code != http.StatusOK || res.Body != `{"url":"http://localhost:3000"}` {
				errs <- fmt.Sprintf("goroutine %d: signout got %d %q", i, res.Code, res.Body)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
