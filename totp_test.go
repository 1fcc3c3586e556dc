package latch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/provider/password"
	"github.com/latchauth/latch/store/sqlite"
	"github.com/pquerna/otp/totp"
)

const (
	tfEmail    = "ann@example.com"
	tfPassword = "correct horse battery staple"
)

type twoFactorHarness struct {
	*harness
	store  *sqlite.Store
	userID string
	events []latch.SecondFactorEvent
}

// newTwoFactorHarness is a harness with the built-in user database
// (provider/password) holding ann, and the second factor on.
func newTwoFactorHarness(t *testing.T, opts ...func(*latch.Config)) *twoFactorHarness {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	u, err := st.CreateUser(context.Background(), latch.StoredUser{User: latch.User{Name: "Ann", Email: tfEmail}})
	if err != nil {
		t.Fatal(err)
	}
	hash, _ := password.Hash(tfPassword)
	if err := st.SetPasswordHash(context.Background(), u.ID, hash); err != nil {
		t.Fatal(err)
	}
	h := &twoFactorHarness{store: st, userID: u.ID}
	h.harness = newHarness(t, append([]func(*latch.Config){func(c *latch.Config) {
		c.Store = st
		c.Providers = []latch.Provider{password.New(st, password.Options{Logger: quietLogger()})}
		c.SecondFactor = latch.SecondFactorConfig{Enabled: true, Issuer: "Example"}
		c.Events.SecondFactor = func(_ context.Context, e latch.SecondFactorEvent) { h.events = append(h.events, e) }
	}}, opts...)...)
	return h
}

// signInPassword posts the password sign-in (json=true) with extra
// fields.
func (b *browser) signInPassword(extra ...string) *response {
	b.h.t.Helper()
	v := url.Values{"csrfToken": {b.csrf()}, "email": {tfEmail}, "password": {tfPassword}, "json": {"true"}, "callbackUrl": {"/after"}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return b.postForm("/callback/credentials", v)
}

var secretRE = regexp.MustCompile(`<code id="totp-secret">([A-Z2-7]+)</code>`)

// enrol turns the second factor on for ann and returns the secret and the
// recovery codes.
func (h *twoFactorHarness) enrol() (string, []string) {
	h.t.Helper()
	b := h.browser()
	wantJSONURL(h.t, b.signInPassword(), http.StatusOK, httpOrigin+"/after")
	res := b.get("/two-factor")
	if !strings.Contains(res.Body, `id="totp-off"`) {
		h.t.Fatalf("two-factor page before enrolment:\n%s", res.Body)
	}
	res = b.postForm("/two-factor", url.Values{"csrfToken": {b.csrf()}, "action": {"start"}})
	wantStatus(h.t, res, http.StatusOK)
	m := secretRE.FindStringSubmatch(res.Body)
	if m == nil || !strings.Contains(res.Body, `src="data:image/png;base64,`) || !strings.Contains(res.Body, html.EscapeString("otpauth://totp/Example:"+tfEmail)) {
		h.t.Fatalf("enrolment page lacks the secret, the QR code or the otpauth URI:\n%s", res.Body)
	}
	secret := m[1]
	// A wrong first code does not turn it on.
	res = b.postForm("/two-factor", url.Values{"csrfToken": {b.csrf()}, "action": {"confirm"}, "code": {"000000"}})
	wantStatus(h.t, res, http.StatusUnprocessableEntity)
	if !strings.Contains(res.Body, secret) {
		h.t.Errorf("after a wrong code the secret is not shown again")
	}
	code, _ := totp.GenerateCode(secret, h.clock.Now())
	res = b.postForm("/two-factor", url.Values{"csrfToken": {b.csrf()}, "action": {"confirm"}, "code": {code}})
	wantStatus(h.t, res, http.StatusOK)
	codes := regexp.MustCompile(`<li><code>([a-z2-9-]+)</code></li>`).FindAllStringSubmatch(res.Body, -1)
	if len(codes) != 10 {
		h.t.Fatalf("recovery codes shown: %d; want 10:\n%s", len(codes), res.Body)
	}
	var out []string
	for _, c := range codes {
		out = append(out, c[1])
	}
	if res := b.get("/two-factor"); !strings.Contains(res.Body, `<span id="codes-left">10</span>`) || strings.Contains(res.Body, out[0]) {
		h.t.Errorf("two-factor page after enrolment (codes must not show again):\n%s", res.Body)
	}
	return secret, out
}

func wantError(t *testing.T, res *response, status int, code string) {
	t.Helper()
	wantJSONURL(t, res, status, httpBase+"/error?error="+code)
	if _, ok := res.setCookie(sessionCookie); ok {
		t.Errorf("a refused sign-in (%s) set a session cookie", code)
	}
}

func TestSecondFactorSignIn(t *testing.T) {
	h := newTwoFactorHarness(t)
	secret, recovery := h.enrol()
	if len(h.events) != 1 || h.events[0].Kind != "enrol" || h.events[0].UserID != h.userID {
		t.Errorf("events = %+v; want one enrol", h.events)
	}
	rec, err := h.store.TOTP(context.Background(), h.userID)
	if err != nil || bytes.Contains(rec.Sealed, []byte(secret)) || rec.Confirmed.IsZero() {
		t.Errorf("stored record %+v, %v: want it confirmed and the secret sealed", rec, err)
	}

	// The password alone is not enough any more.
	b := h.browser()
	wantError(t, b.signInPassword(), http.StatusUnauthorized, "SecondFactorRequired")
	// The code of the step used to confirm is used up.
	code, _ := totp.GenerateCode(secret, h.clock.Now())
	wantError(t, b.signInPassword("code", code), http.StatusUnauthorized, "SecondFactorInvalid")
	h.clock.Advance(30 * time.Second)
	code, _ = totp.GenerateCode(secret, h.clock.Now())
	wantJSONURL(t, b.signInPassword("code", " "+code[:3]+" "+code[3:]+" "), http.StatusOK, httpOrigin+"/after")
	if s := b.get("/session"); !strings.Contains(s.Body, tfEmail) {
		t.Errorf("session after password and code = %s", s.Body)
	}
	// Replayed in another browser: refused.
	wantError(t, h.browser().signInPassword("code", code), http.StatusUnauthorized, "SecondFactorInvalid")
	// A wrong password with a right code is a wrong password.
	h.clock.Advance(30 * time.Second)
	code, _ = totp.GenerateCode(secret, h.clock.Now())
	wb := h.browser()
	res := wb.postForm("/callback/credentials", url.Values{"csrfToken": {wb.csrf()}, "email": {tfEmail}, "password": {"wrong password!"}, "code": {code}, "json": {"true"}})
	if res.Code != http.StatusUnauthorized || !strings.Contains(res.Body, "CredentialsSignin") {
		t.Errorf("wrong password, right code: %s", res)
	}

	// A recovery code signs in once.
	wantJSONURL(t, h.browser().signInPassword("code", strings.ToUpper(recovery[3])), http.StatusOK, httpOrigin+"/after")
	if n := len(h.events); n != 2 || h.events[1].Kind != "recovery-code" || h.events[1].CodesLeft != 9 {
		t.Errorf("events after a recovery code = %+v; want recovery-code with 9 left", h.events)
	}
	wantError(t, h.browser().signInPassword("code", recovery[3]), http.StatusUnauthorized, "SecondFactorInvalid")

	// The admin resets it: the password alone signs in again.
	if err := h.auth.ResetSecondFactor(context.Background(), h.userID); err != nil {
		t.Fatal(err)
	}
	wantJSONURL(t, h.browser().signInPassword(), http.StatusOK, httpOrigin+"/after")
	if h.events[len(h.events)-1].Kind != "reset" {
		t.Errorf("no reset event: %+v", h.events)
	}
}

func TestSecondFactorWrongCodeLimit(t *testing.T) {
	h := newTwoFactorHarness(t)
	secret, _ := h.enrol()
	h.clock.Advance(30 * time.Second)
	b := h.browser()
	for i := range 5 {
		if res := b.signInPassword("code", "123456"); res.Code != http.StatusUnauthorized || !strings.Contains(res.Body, "SecondFactorInvalid") {
			t.Fatalf("wrong code %d: %s", i+1, res)
		}
	}
	code, _ := totp.GenerateCode(secret, h.clock.Now())
	res := b.signInPassword("code", code)
	wantError(t, res, http.StatusTooManyRequests, "TooManyRequests")
	if res.Header.Get("Retry-After") == "" {
		t.Errorf("no Retry-After on the refused code")
	}
	// From another address too: the limit is the user's.
	other := h.browser()
	other.header.Set("X-Forwarded-For", "198.51.100.7")
	wantError(t, other.signInPassword("code", code), http.StatusTooManyRequests, "TooManyRequests")
	// After the window, the right code works.
	h.clock.Advance(16 * time.Minute)
	code, _ = totp.GenerateCode(secret, h.clock.Now())
	wantJSONURL(t, b.signInPassword("code", code), http.StatusOK, httpOrigin+"/after")
}

// The built-in sign-in page asks for the code in a second step, without
// the password again.
func TestSecondFactorSignInPage(t *testing.T) {
	h := newTwoFactorHarness(t)
	secret, _ := h.enrol()
	h.clock.Advance(30 * time.Second)
	b := h.browser()
	res := b.postForm("/callback/credentials", url.Values{"csrfToken": {b.csrf()}, "email": {tfEmail}, "password": {tfPassword}, "callbackUrl": {httpOrigin + "/app"}})
	wantRedirect(t, res, httpBase+"/error?error=SecondFactorRequired")
	res = b.get("/error?error=SecondFactorRequired")
	wantRedirect(t, res, httpBase+"/signin?error=SecondFactorRequired")
	res = b.get("/signin?error=SecondFactorRequired")
	if !strings.Contains(res.Body, `<form action="`+httpBase+`/callback/credentials" method="POST" id="second-factor">`) || strings.Contains(res.Body, `name="password"`) {
		t.Fatalf("second step of the sign-in page:\n%s", res.Body)
	}
	// A wrong code keeps the second step.
	res = b.postForm("/callback/credentials", url.Values{"csrfToken": {b.csrf()}, "code": {"111111"}})
	wantRedirect(t, res, httpBase+"/error?error=SecondFactorInvalid")
	if res := b.get("/signin?error=SecondFactorInvalid"); !strings.Contains(res.Body, `id="second-factor"`) || !strings.Contains(res.Body, "wrong") {
		t.Errorf("after a wrong code:\n%s", res.Body)
	}
	code, _ := totp.GenerateCode(secret, h.clock.Now())
	res = b.postForm("/callback/credentials", url.Values{"csrfToken": {b.csrf()}, "code": {code}})
	wantRedirect(t, res, httpOrigin+"/app")
	if _, ok := res.setCookie(sessionCookie); !ok {
		t.Errorf("no session after the second step")
	}
	// Without the first step (no pending cookie) a code alone is nothing.
	other := h.browser()
	h.clock.Advance(30 * time.Second)
	code, _ = totp.GenerateCode(secret, h.clock.Now())
	res = other.postForm("/callback/credentials", url.Values{"csrfToken": {other.csrf()}, "code": {code}, "json": {"true"}})
	wantError(t, res, http.StatusUnauthorized, "CredentialsSignin&provider=credentials")
	// After the pending step expires, neither.
	res = b.postForm("/callback/credentials", url.Values{"csrfToken": {b.csrf()}, "email": {tfEmail}, "password": {tfPassword}, "json": {"true"}})
	wantError(t, res, http.StatusUnauthorized, "SecondFactorRequired")
	h.clock.Advance(6 * time.Minute)
	code, _ = totp.GenerateCode(secret, h.clock.Now())
	res = b.postForm("/callback/credentials", url.Values{"csrfToken": {b.csrf()}, "code": {code}, "json": {"true"}})
	wantError(t, res, http.StatusUnauthorized, "CredentialsSignin&provider=credentials")
}

// nuxt-auth's local provider asks for the code too.
func TestSecondFactorLocalLogin(t *testing.T) {
	h := newTwoFactorHarness(t, func(c *latch.Config) { c.Local = latch.LocalConfig{Enabled: true} })
	secret, _ := h.enrol()
	h.clock.Advance(30 * time.Second)
	b := h.browser()
	res := b.postJSON("/local/login", map[string]string{"email": tfEmail, "password": tfPassword})
	var out struct {
		Error string `json:"error"`
		Token string `json:"token"`
	}
	json.Unmarshal([]byte(res.Body), &out)
	if res.Code != http.StatusUnauthorized || out.Error != "SecondFactorRequired" {
		t.Errorf("local login without a code: %s", res)
	}
	code, _ := totp.GenerateCode(secret, h.clock.Now())
	res = b.postJSON("/local/login", map[string]string{"email": tfEmail, "password": tfPassword, "code": code})
	out = struct {
		Error string `json:"error"`
		Token string `json:"token"`
	}{}
	json.Unmarshal([]byte(res.Body), &out)
	if res.Code != http.StatusOK || out.Token == "" {
		t.Errorf("local login with the code: %s", res)
	}
}

func TestSecondFactorPageNeedsFreshSignIn(t *testing.T) {
	h := newTwoFactorHarness(t)
	b := h.browser()
	if res := b.get("/two-factor"); res.Code != http.StatusFound || !strings.Contains(res.Header.Get("Location"), "/signin?callbackUrl=") {
		t.Errorf("two-factor page signed out: %d %s", res.Code, res.Header.Get("Location"))
	}
	wantJSONURL(t, b.signInPassword(), http.StatusOK, httpOrigin+"/after")
	res := b.postForm("/two-factor", url.Values{"action": {"start"}})
	wantStatus(t, res, http.StatusForbidden)
	h.clock.Advance(11 * time.Minute)
	res = b.get("/two-factor")
	if !strings.Contains(res.Body, `id="totp-stale"`) {
		t.Errorf("two-factor page of a stale sign-in:\n%s", res.Body)
	}
	res = b.postForm("/two-factor", url.Values{"csrfToken": {b.csrf()}, "action": {"start"}})
	if res.Code != http.StatusConflict || strings.Contains(res.Body, "totp-secret") {
		t.Errorf("start with a stale sign-in: %d\n%s", res.Code, res.Body)
	}
	if _, err := h.store.TOTP(context.Background(), h.userID); err == nil {
		t.Errorf("a stale sign-in stored a secret")
	}
}

func TestSecondFactorConfig(t *testing.T) {
	_, err := latch.New(latch.Config{URL: httpBase, Secrets: []string{testSecret}, SecondFactor: latch.SecondFactorConfig{Enabled: true}})
	if err == nil || !strings.Contains(err.Error(), "SecondFactor needs a Store") {
		t.Errorf("SecondFactor without a store: err = %v", err)
	}
}

// sharedLimiter is a CodeLimiter two instances share (as Redis would be):
// at most max hits per key, counted in one map.
type sharedLimiter struct {
	mu   sync.Mutex
	max  int
	hits map[string]int
	keys []string
}

func (l *sharedLimiter) Hit(_ context.Context, key string) (time.Duration, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.keys = append(l.keys, key)
	if l.hits[key] >= l.max {
		return time.Minute, false, nil
	}
	l.hits[key]++
	return 0, true, nil
}

func (l *sharedLimiter) Undo(_ context.Context, key string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.hits[key] > 0 {
		l.hits[key]--
	}
	return nil
}

func (l *sharedLimiter) Reset(_ context.Context, key string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.hits, key)
	return nil
}

// With a Limiter of its own (Redis with latch serve), wrong codes count
// across instances.
func TestSecondFactorSharedLimiter(t *testing.T) {
	lim := &sharedLimiter{max: 3, hits: map[string]int{}}
	h := newTwoFactorHarness(t, func(c *latch.Config) { c.SecondFactor.Limiter = lim })
	secret, _ := h.enrol()
	// A second instance on the same store and limiter.
	cfg := h.cfg
	second, err := latch.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h2 := &harness{t: t, auth: second, cfg: cfg, clock: h.clock, base: h.base}
	h.clock.Advance(30 * time.Second)
	for i, b := range []*browser{h.browser(), h2.browser(), h.browser()} {
		if res := b.signInPassword("code", "123456"); !strings.Contains(res.Body, "SecondFactorInvalid") {
			t.Fatalf("wrong code %d: %s", i+1, res)
		}
	}
	code, _ := totp.GenerateCode(secret, h.clock.Now())
	wantError(t, h2.browser().signInPassword("code", code), http.StatusTooManyRequests, "TooManyRequests")
	if !slices.Contains(lim.keys, "user:"+h.userID) || !slices.ContainsFunc(lim.keys, func(k string) bool { return strings.HasPrefix(k, "ip:") }) {
		t.Errorf("limiter keys = %q; want user: and ip: keys", lim.keys)
	}
	// The windows end (every key's).
	lim.mu.Lock()
	lim.hits = map[string]int{}
	lim.mu.Unlock()
	wantJSONURL(t, h2.browser().signInPassword("code", code), http.StatusOK, httpOrigin+"/after")
	if n := lim.hits["user:"+h.userID]; n != 0 {
		t.Errorf("a right code left %d counted tries for the user", n)
	}
}
