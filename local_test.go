package latch_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/latchauth/latch"
	"github.com/latchauth/latch/accesstoken"
	"github.com/latchauth/latch/provider/password"
	"github.com/latchauth/latch/store/sqlite"
)

const localBase = "http://localhost:3000/api/auth/local"

// localHarness is a Latch with the local provider on SQLite, a
// credentials provider that accepts the password "right", and a clock
// the test moves.
type localHarness struct {
	auth  *latch.Auth
	store *sqlite.Store
	user  *latch.StoredUser
	mu    sync.Mutex
	now   time.Time
}

func (h *localHarness) clock() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.now
}

func (h *localHarness) advance(d time.Duration) {
	h.mu.Lock()
	h.now = h.now.Add(d)
	h.mu.Unlock()
}

func newLocalHarness(t testing.TB, local latch.LocalConfig, edit ...func(*latch.Config)) *localHarness {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	h := &localHarness{store: store, now: time.Now().Truncate(time.Second)}
	h.user, _ = store.CreateUser(ctx, latch.StoredUser{User: latch.User{Name: "Lou", Email: "lou@example.com"}})
	h.auth = h.instance(t, local, edit...)
	return h
}

// instance returns another Auth on the same store and clock: a second
// instance of a deployment.
func (h *localHarness) instance(t testing.TB, local latch.LocalConfig, edit ...func(*latch.Config)) *latch.Auth {
	t.Helper()
	local.Enabled = true
	cfg := latch.Config{
		URL: "http://localhost:3000/api/auth", Secrets: []string{strings.Repeat("l", 32)},
		Store: h.store, Local: local, Now: h.clock,
		Providers: []latch.Provider{&latch.Credentials{Authorize: func(_ context.Context, c map[string]string, _ *http.Request) (*latch.User, error) {
			if c["email"] == h.user.Email && c["password"] == "right" {
				return &h.user.User, nil
			}
			return nil, nil
		}}},
	}
	for _, f := range edit {
		f(&cfg)
	}
	a, err := latch.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

type localResponse struct {
	code   int
	header http.Header
	body   string
}

func (r localResponse) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return m
}

// do sends a request to an endpoint of a; body "" sends none.
func do(a http.Handler, method, endpoint, contentType, body string, header ...string) localResponse {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, localBase+endpoint, rd)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	a.ServeHTTP(w, req)
	return localResponse{w.Code, w.Header(), w.Body.String()}
}

func (h *localHarness) login(t testing.TB, a *latch.Auth) (token, refresh string) {
	t.Helper()
	r := do(a, "POST", "/login", "application/json", `{"email":"lou@example.com","password":"right","callbackUrl":"/x","redirect":false}`)
	if r.code != http.StatusOK {
		t.Fatalf("login: %d %s", r.code, r.body)
	}
	var p struct{ Token, RefreshToken string }
	json.Unmarshal([]byte(r.body), &p)
	if p.Token == "" || p.RefreshToken == "" {
		t.Fatalf("login answered %s; want token and refreshToken", r.body)
	}
	return p.Token, p.RefreshToken
}

func bearer(t string) []string { return []string{"Authorization", "Bearer " + t} }

func (h *localHarness) sessionCode(a *latch.Auth, token string) int {
	return do(a, "GET", "/session", "", "", bearer(token)...).code
}

func (h *localHarness) refresh(a *latch.Auth, rt string, header ...string) localResponse {
	b, _ := json.Marshal(map[string]string{"refreshToken": rt})
	return do(a, "POST", "/refresh", "application/json", string(b), header...)
}

func refreshPair(t testing.TB, r localResponse) (token, refresh string) {
	t.Helper()
	if r.code != http.StatusOK {
		t.Fatalf("refresh: %d %s", r.code, r.body)
	}
	var p struct{ Token, RefreshToken string }
	json.Unmarshal([]byte(r.body), &p)
	return p.Token, p.RefreshToken
}

func TestLocalLoginSession(t *testing.T) {
	h := newLocalHarness(t, latch.LocalConfig{Audience: "api"})
	token, _ := h.login(t, h.auth)

	r := do(h.auth, "GET", "/session", "", "", bearer(token)...)
	if r.code != http.StatusOK {
		t.Fatalf("GET /session: %d %s", r.code, r.body)
	}
	want := `{"id":"` + h.user.ID + `","name":"Lou","email":"lou@example.com"}`
	if r.body != want {
		t.Errorf("GET /session = %s; want %s", r.body, want)
	}
	if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("Cache-Control = %q; want no-store", cc)
	}
	// nuxt-auth's header as it sends it; other cases of the scheme too.
	if c := do(h.auth, "GET", "/session", "", "", "Authorization", "bearer "+token).code; c != http.StatusOK {
		t.Errorf("lower-case bearer: %d", c)
	}

	// The token as another service sees it: from the JWKS alone.
	jwks := do(h.auth, "GET", "/jwks", "", "", "")
	var set jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(jwks.body), &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("JWKS %s: %v", jwks.body, err)
	}
	if set.Keys[0].Algorithm != "EdDSA" || set.Keys[0].KeyID == "" || !set.Keys[0].IsPublic() {
		t.Errorf("JWKS key = %+v; want a public EdDSA key with a kid", set.Keys[0])
	}
	v := &accesstoken.Verifier{Keys: accesstoken.StaticKeys(set.Keys), Issuer: "http://localhost:3000/api/auth", Audience: "api", Now: h.clock}
	c, err := v.Verify(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != h.user.ID || c.Email != "lou@example.com" || c.Name != "Lou" || c.SessionID == "" || c.ID == "" ||
		c.Expiry-c.IssuedAt != 1800 || !c.Audience.Contains("api") {
		t.Errorf("claims = %+v", c)
	}

	// auth.Session and auth.Require take the access token.
	req := httptest.NewRequest("GET", "http://localhost:3000/api/data", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if s := h.auth.Session(req); s == nil || s.UserID() != h.user.ID || s.User.Email != "lou@example.com" {
		t.Errorf("Session(r) = %+v; want Lou", s)
	}
	protected := h.auth.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(h.auth.Session(r).UserID()))
	}))
	w := httptest.NewRecorder()
	protected.ServeHTTP(w, req)
	if w.Code != http.StatusOK || w.Body.String() != h.user.ID {
		t.Errorf("Require with the access token: %d %s", w.Code, w.Body)
	}
}

func TestLocalSessionCallback(t *testing.T) {
	h := newLocalHarness(t, latch.LocalConfig{}, func(c *latch.Config) {
		c.Callbacks.Session = func(_ context.Context, p *latch.SessionParams) (*latch.Session, error) {
			p.Session.Extra = map[string]any{"role": "admin", "sid": p.Token["sid"] != nil}
			return p.Session, nil
		}
	})
	token, _ := h.login(t, h.auth)
	r := do(h.auth, "GET", "/session", "", "", bearer(token)...)
	want := `{"id":"` + h.user.ID + `","name":"Lou","email":"lou@example.com","role":"admin","sid":true}`
	if r.body != want {
		t.Errorf("GET /session = %s; want %s", r.body, want)
	}
}

func TestLocalLoginFailures(t *testing.T) {
	h := newLocalHarness(t, latch.LocalConfig{}, func(c *latch.Config) {
		c.Callbacks.SignIn = func(_ context.Context, p *latch.SignInParams) error {
			if p.Credentials["deny"] == "yes" {
				return errors.New("no")
			}
			return nil
		}
	})
	r := do(h.auth, "POST", "/login", "application/json", `{"email":"lou@example.com","password":"wrong"}`)
	if r.code != http.StatusUnauthorized || r.json(t)["error"] != "CredentialsSignin" || r.json(t)["message"] == "" {
		t.Errorf("wrong password: %d %s; want 401 CredentialsSignin with a message", r.code, r.body)
	}
	r = do(h.auth, "POST", "/login", "application/json", `{"username":"lou@example.com","password":"right"}`)
	if r.code != http.StatusOK {
		t.Errorf("username for email: %d %s", r.code, r.body)
	}
	r = do(h.auth, "POST", "/login", "application/json", `{"email":"lou@example.com","password":"right","deny":"yes"}`)
	if r.code != http.StatusForbidden || r.json(t)["error"] != "AccessDenied" {
		t.Errorf("refused by SignIn: %d %s; want 403 AccessDenied", r.code, r.body)
	}
	r = do(h.auth, "POST", "/login", "application/json", `{"email":"lou@example.com","password":"right","provider":"nope"}`)
	if r.code != http.StatusBadRequest || r.json(t)["field"] != "provider" {
		t.Errorf("unknown provider: %d %s; want 400 naming provider", r.code, r.body)
	}
}

// The built-in user database: sign-up and sign-in with the real password
// provider, its rate limit answering 429 with Retry-After.
func TestLocalRegisterAndPasswordLogin(t *testing.T) {
	h := newLocalHarness(t, latch.LocalConfig{})
	if r := do(h.auth, "POST", "/register", "application/json", `{"email":"new@example.com","password":"long enough"}`); r.code != http.StatusNotFound {
		t.Errorf("register without SignUp: %d; want 404", r.code)
	}
	pw := password.New(h.store, password.Options{MaxFailuresPerAccountIP: 2})
	a := h.instance(t, latch.LocalConfig{SignUp: password.SignUp(h.store, password.SignUpOptions{MaxPerIP: 4})}, func(c *latch.Config) {
		c.Providers = []latch.Provider{pw}
	})
	r := do(a, "POST", "/register", "application/json", `{"email":"New@Example.com","password":"long enough","name":"Nia"}`)
	if r.code != http.StatusCreated || r.json(t)["email"] != "New@Example.com" || r.json(t)["name"] != "Nia" || r.json(t)["id"] == "" {
		t.Fatalf("register: %d %s; want 201 with the user", r.code, r.body)
	}
	r = do(a, "POST", "/register", "application/json", `{"email":"new@example.com","password":"long enough"}`)
	if r.code != http.StatusConflict || r.json(t)["error"] != "EmailTaken" {
		t.Errorf("register a taken email: %d %s; want 409 EmailTaken", r.code, r.body)
	}
	r = do(a, "POST", "/register", "application/json", `{"email":"short@example.com","password":"short"}`)
	if r.code != http.StatusBadRequest || r.json(t)["field"] != "password" {
		t.Errorf("short password: %d %s; want 400 naming password", r.code, r.body)
	}
	r = do(a, "POST", "/register", "application/json", `{"email":"not-an-email","password":"long enough"}`)
	if r.code != http.StatusBadRequest || r.json(t)["field"] != "email" {
		t.Errorf("bad email: %d %s; want 400 naming email", r.code, r.body)
	}
	r = do(a, "POST", "/register", "application/json", `{"email":"fifth@example.com","password":"long enough"}`)
	if r.code != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Errorf("fifth sign-up from one address: %d %s; want 429 with Retry-After", r.code, r.body)
	}

	r = do(a, "POST", "/login", "application/json", `{"email":"new@example.com","password":"long enough"}`)
	if r.code != http.StatusOK {
		t.Fatalf("login after register: %d %s", r.code, r.body)
	}
	for range 2 {
		do(a, "POST", "/login", "application/json", `{"email":"new@example.com","password":"wrong password"}`)
	}
	r = do(a, "POST", "/login", "application/json", `{"email":"new@example.com","password":"long enough"}`)
	if r.code != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" || r.json(t)["error"] != "TooManyRequests" {
		t.Errorf("login over the limit: %d %s %v; want 429 TooManyRequests with Retry-After", r.code, r.body, r.header)
	}
}

func TestLocalRefreshWithoutRotation(t *testing.T) {
	h := newLocalHarness(t, latch.LocalConfig{})
	token, rt := h.login(t, h.auth)
	h.advance(31 * time.Minute) // the access token has expired
	if c := h.sessionCode(h.auth, token); c != http.StatusUnauthorized {
		t.Fatalf("expired access token: %d; want 401", c)
	}
	// nuxt-auth sends the expired token, or "null", in Authorization.
	for _, hdr := range [][]string{bearer(token), {"Authorization", "null"}, {"Authorization", "Bearer null"}, nil} {
		nt, nrt := refreshPair(t, h.refresh(h.auth, rt, hdr...))
		if nrt != rt {
			t.Errorf("without rotation the refresh token changed")
		}
		if h.sessionCode(h.auth, nt) != http.StatusOK {
			t.Errorf("refreshed access token refused")
		}
	}
	// Sliding expiry: used within 7 days, it lives on.
	for range 3 {
		h.advance(6 * 24 * time.Hour)
		refreshPair(t, h.refresh(h.auth, rt))
	}
	h.advance(7*24*time.Hour + time.Second)
	if r := h.refresh(h.auth, rt); r.code != http.StatusUnauthorized {
		t.Errorf("refresh token unused for 7 days: %d %s; want 401", r.code, r.body)
	}
}

func TestLocalRefreshRotation(t *testing.T) {
	h := newLocalHarness(t, latch.LocalConfig{Rotate: true, Grace: 30 * time.Second})
	_, rt1 := h.login(t, h.auth)
	h.advance(time.Minute)
	_, rt2 := refreshPair(t, h.refresh(h.auth, rt1))
	if rt2 == rt1 || rt2 == "" {
		t.Fatalf("rotation gave %q", rt2)
	}
	// Within the grace window, on another instance: the same successor.
	other := h.instance(t, latch.LocalConfig{Rotate: true, Grace: 30 * time.Second})
	h.advance(10 * time.Second)
	if _, again := refreshPair(t, h.refresh(other, rt1)); again != rt2 {
		t.Errorf("rt1 again within the grace window gave another successor")
	}
	h.advance(time.Minute)
	at3, rt3 := refreshPair(t, h.refresh(h.auth, rt2))
	if rt3 == rt2 || h.sessionCode(h.auth, at3) != http.StatusOK {
		t.Fatalf("second rotation failed")
	}
	// rt1 after its grace window: a stolen token. The sign-in ends.
	if r := h.refresh(other, rt1); r.code != http.StatusUnauthorized {
		t.Errorf("rt1 after the grace window: %d %s; want 401", r.code, r.body)
	}
	if r := h.refresh(h.auth, rt3); r.code != http.StatusUnauthorized {
		t.Errorf("the current token after reuse was detected: %d; want 401 (family revoked)", r.code)
	}
	if c := h.sessionCode(other, at3); c != http.StatusUnauthorized {
		t.Errorf("access token of the revoked family: %d; want 401", c)
	}
}

// Tabs racing to refresh with one token, on two instances at once, all
// stay signed in with the same new token.
func TestLocalRefreshRace(t *testing.T) {
	h := newLocalHarness(t, latch.LocalConfig{Rotate: true})
	other := h.instance(t, latch.LocalConfig{Rotate: true})
	_, rt := h.login(t, h.auth)
	const n = 8
	got := make([]localResponse, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := h.auth
			if i%2 == 1 {
				a = other
			}
			got[i] = h.refresh(a, rt)
		}()
	}
	wg.Wait()
	_, first := refreshPair(t, got[0])
	for i, r := range got {
		if _, next := refreshPair(t, r); next != first {
			t.Errorf("refresh %d got another successor", i)
		}
	}
	if _, again := refreshPair(t, h.refresh(other, first)); again == first {
		t.Errorf("the successor did not rotate in turn")
	}
}

func TestLocalLogout(t *testing.T) {
	h := newLocalHarness(t, latch.LocalConfig{})
	other := h.instance(t, latch.LocalConfig{RevocationCache: -1})
	token, rt := h.login(t, h.auth)
	if c := h.sessionCode(other, token); c != http.StatusOK {
		t.Fatalf("session on the other instance: %d", c)
	}
	r := do(h.auth, "POST", "/logout", "application/json", `{"refreshToken":"`+rt+`"}`, bearer(token)...)
	if r.code != http.StatusOK || r.body != "{}" {
		t.Errorf("logout: %d %s; want 200 {}", r.code, r.body)
	}
	if r := h.refresh(h.auth, rt); r.code != http.StatusUnauthorized {
		t.Errorf("refresh after logout: %d; want 401", r.code)
	}
	if c := h.sessionCode(h.auth, token); c != http.StatusUnauthorized {
		t.Errorf("access token after logout: %d; want 401", c)
	}
	if c := h.sessionCode(other, token); c != http.StatusUnauthorized {
		t.Errorf("access token after logout, other instance: %d; want 401", c)
	}
	// Only the access token (refresh off in nuxt-auth: no body, no
	// Content-Type), or nothing valid at all: still 200 {}.
	token2, rt2 := h.login(t, h.auth)
	for _, hdr := range [][]string{bearer(token2), {"Authorization", "null"}, bearer("garbage.x.y"), nil} {
		if r := do(h.auth, "POST", "/logout", "", "", hdr...); r.code != http.StatusOK || r.body != "{}" {
			t.Errorf("logout with %v: %d %s; want 200 {}", hdr, r.code, r.body)
		}
	}
	if r := h.refresh(h.auth, rt2); r.code != http.StatusUnauthorized {
		t.Errorf("refresh after a logout by access token: %d; want 401", r.code)
	}
}

// An access token's sign-in revoked on another instance is refused there
// once the cache time has passed.
func TestLocalRevocationCache(t *testing.T) {
	h := newLocalHarness(t, latch.LocalConfig{RevocationCache: 10 * time.Second})
	other := h.instance(t, latch.LocalConfig{})
	token, rt := h.login(t, h.auth)
	if c := h.sessionCode(h.auth, token); c != http.StatusOK {
		t.Fatal(c)
	}
	do(other, "POST", "/logout", "application/json", `{"refreshToken":"`+rt+`"}`)
	h.advance(11 * time.Second)
	if c := h.sessionCode(h.auth, token); c != http.StatusUnauthorized {
		t.Errorf("after the cache time: %d; want 401", c)
	}
}

func TestLocalRevokeUserSignIns(t *testing.T) {
	h := newLocalHarness(t, latch.LocalConfig{})
	t1, _ := h.login(t, h.auth)
	t2, _ := h.login(t, h.auth)
	n, err := h.auth.RevokeUserSignIns(context.Background(), h.user.ID)
	if err != nil || n != 2 {
		t.Fatalf("RevokeUserSignIns = %d, %v; want 2", n, err)
	}
	for _, tok := range []string{t1, t2} {
		if c := h.sessionCode(h.auth, tok); c != http.StatusUnauthorized {
			t.Errorf("revoked: %d; want 401", c)
		}
	}
}

// Keys rotate: a new key signs after KeyRotation, tokens of the old one
// keep working, and every instance knows both.
func TestLocalKeyRotation(t *testing.T) {
	h := newLocalHarness(t, latch.LocalConfig{KeyRotation: 24 * time.Hour})
	other := h.instance(t, latch.LocalConfig{KeyRotation: 24 * time.Hour})
	old, rt := h.login(t, h.auth)
	kid := func(tok string) string {
		var hdr struct{ Kid string }
		b, _ := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.EdDSA})
		hdr.Kid = b.Signatures[0].Header.KeyID
		return hdr.Kid
	}
	keys := func(a *latch.Auth) int {
		var set jose.JSONWebKeySet
		json.Unmarshal([]byte(do(a, "GET", "/jwks", "", "").body), &set)
		return len(set.Keys)
	}
	// An hour before the switch, the next key is made and published.
	h.advance(23*time.Hour + time.Minute)
	mid, _ := refreshPair(t, h.refresh(h.auth, rt))
	if kid(mid) != kid(old) {
		t.Errorf("signed with the next key before it was published for an hour")
	}
	if n := keys(h.auth); n != 2 {
		t.Errorf("JWKS has %d keys an hour before the switch; want 2 (the next key published)", n)
	}
	h.advance(55 * time.Minute)
	last, _ := refreshPair(t, h.refresh(other, rt))
	if kid(last) != kid(old) {
		t.Errorf("other instance signed with the next key early")
	}
	h.advance(10 * time.Minute)
	newer, _ := refreshPair(t, h.refresh(other, rt))
	if kid(newer) == kid(old) {
		t.Errorf("still signing with the old key after KeyRotation")
	}
	for _, a := range []*latch.Auth{h.auth, other} {
		for _, tok := range []string{last, newer} {
			if c := h.sessionCode(a, tok); c != http.StatusOK {
				t.Errorf("token of kid %s refused after the switch: %d", kid(tok), c)
			}
		}
	}
}

// Signing keys are sealed with the secret: the store never holds them in
// the clear, and an instance with another secret cannot use them (it
// makes its own).
func TestLocalKeysSealed(t *testing.T) {
	h := newLocalHarness(t, latch.LocalConfig{})
	token, _ := h.login(t, h.auth)
	stored, err := h.store.SigningKeys(context.Background())
	if err != nil || len(stored) != 1 {
		t.Fatalf("SigningKeys = %v, %v", stored, err)
	}
	if stored[0].Sealed[0] != 1 || len(stored[0].Sealed) < 48 {
		t.Errorf("sealed key = %x", stored[0].Sealed)
	}
	stranger := h.instance(t, latch.LocalConfig{}, func(c *latch.Config) { c.Secrets = []string{strings.Repeat("x", 32)} })
	if c := h.sessionCode(stranger, token); c != http.StatusUnauthorized {
		t.Errorf("an instance with another secret accepted the token: %d", c)
	}
	// With the old secret second (rotation), the key still opens.
	rotated := h.instance(t, latch.LocalConfig{}, func(c *latch.Config) { c.Secrets = []string{strings.Repeat("x", 32), strings.Repeat("l", 32)} })
	if c := h.sessionCode(rotated, token); c != http.StatusOK {
		t.Errorf("after secret rotation: %d; want 200", c)
	}
}

func TestLocalCORS(t *testing.T) {
	h := newLocalHarness(t, latch.LocalConfig{}, func(c *latch.Config) { c.TrustedOrigins = []string{"https://app.example.com"} })
	r := do(h.auth, "OPTIONS", "/session", "", "", "Origin", "https://app.example.com", "Access-Control-Request-Headers", "authorization")
	if r.code != http.StatusNoContent || !strings.Contains(r.header.Get("Access-Control-Allow-Headers"), "Authorization") ||
		r.header.Get("Access-Control-Allow-Origin") != "https://app.example.com" || r.header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("preflight: %d %v", r.code, r.header)
	}
	r = do(h.auth, "OPTIONS", "/session", "", "", "Origin", "https://evil.example")
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from an untrusted origin got CORS headers")
	}
}

// GET /local/session also takes the Latch session cookie (SSR, apps that
// use both providers).
func TestLocalSessionCookie(t *testing.T) {
	h := newLocalHarness(t, latch.LocalConfig{})
	w := httptest.NewRecorder()
	h.auth.ServeHTTP(w, httptest.NewRequest("GET", "http://localhost:3000/api/auth/csrf", nil))
	var csrf struct{ CsrfToken string }
	json.Unmarshal(w.Body.Bytes(), &csrf)
	req := httptest.NewRequest("POST", "http://localhost:3000/api/auth/callback/credentials",
		strings.NewReader("json=true&email=lou%40example.com&password=right&csrfToken="+csrf.CsrfToken))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(w.Result().Cookies()[0])
	w = httptest.NewRecorder()
	h.auth.ServeHTTP(w, req)
	var cookies []string
	for _, c := range w.Result().Cookies() {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	r := do(h.auth, "GET", "/session", "", "", "Cookie", strings.Join(cookies, "; "))
	if r.code != http.StatusOK || r.json(t)["email"] != "lou@example.com" || r.json(t)["id"] != h.user.ID {
		t.Errorf("GET /local/session with the session cookie: %d %s", r.code, r.body)
	}
}

func TestLocalConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  latch.Config
		want string
	}{
		{latch.Config{URL: "http://x/api/auth", Secrets: []string{strings.Repeat("s", 32)}, Local: latch.LocalConfig{Enabled: true}}, "Local needs a Store"},
		{latch.Config{URL: "http://x/api/auth", Secrets: []string{strings.Repeat("s", 32)}, Local: latch.LocalConfig{Enabled: true, Algorithm: "HS256"}}, `Local.Algorithm "HS256"`},
		{latch.Config{URL: "http://x/api/auth", Secrets: []string{strings.Repeat("s", 32)}, Local: latch.LocalConfig{Enabled: true, AccessTokenTTL: time.Hour, RefreshTokenTTL: time.Minute}}, "AccessTokenTTL must not be longer"},
		{latch.Config{URL: "/api/auth", AllowedHosts: []string{"a.example"}, Secrets: []string{strings.Repeat("s", 32)}, Local: latch.LocalConfig{Enabled: true}}, "Local.Issuer is required"},
	} {
		_, err := latch.New(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New: %v; want an error with %q", err, tc.want)
		}
	}
}
