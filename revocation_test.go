package latch_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/sqlite"
)

// revClock is a time the test moves, safe for concurrent use.
type revClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *revClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *revClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestJWTSessionRevocation: with a store, revoking a user's sessions ends
// their JWT sessions: at once on the instance that revoked, on another
// instance sharing the store once its copy of the marks is older than
// RevocationCheckInterval; a sign-in after the revocation works.
func TestJWTSessionRevocation(t *testing.T) {
	t.Run("default callbacks", func(t *testing.T) { testJWTSessionRevocation(t, nil) })
	// A JWT callback that builds a new token (a common NextAuth pattern)
	// or merges client data must not shed the session's sign-in time.
	t.Run("a callback that rebuilds the token", func(t *testing.T) {
		testJWTSessionRevocation(t, func(_ context.Context, p *latch.JWTParams) (latch.Token, error) {
			return latch.Token{"sub": p.Token["sub"], "name": p.Token["name"], "email": p.Token["email"], "auth_time": float64(4_000_000_000)}, nil
		})
	})
}

func testJWTSessionRevocation(t *testing.T, jwtCallback func(context.Context, *latch.JWTParams) (latch.Token, error)) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	user, _ := store.CreateUser(ctx, latch.StoredUser{User: latch.User{Name: "Ada", Email: "ada@example.com"}})
	clk := &revClock{now: time.Unix(1_900_000_000, 0)}
	newAuth := func() *latch.Auth {
		cfg := latch.Config{
			URL: "http://localhost:3000/api/auth", Secrets: []string{strings.Repeat("r", 32)},
			Store: store, Now: clk.Now,
			Providers: []latch.Provider{&latch.Credentials{Authorize: func(context.Context, map[string]string, *http.Request) (*latch.User, error) {
				return &user.User, nil
			}}},
		}
		cfg.Callbacks.JWT = jwtCallback
		a, err := latch.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a, b := newAuth(), newAuth()
	cookies := signInWith(t, a)
	get := func(h *latch.Auth, path string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "http://localhost:3000"+path, nil)
		req.Header.Set("Cookie", cookies)
		w := httptest.NewRecorder()
		if path == "/api/auth/session" {
			h.ServeHTTP(w, req)
		} else {
			h.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("page")) })).ServeHTTP(w, req)
		}
		return w
	}
	for _, h := range []*latch.Auth{a, b} {
		if w := get(h, "/api/auth/session"); !strings.Contains(w.Body.String(), "ada@example.com") {
			t.Fatalf("session before the revocation: %s", w.Body)
		}
	}

	clk.Add(10 * time.Second)
	get(b, "/api/auth/session") // b's copy of the marks is fresh: it will not look again for a while
	if _, err := a.RevokeUserSessions(ctx, user.ID); err != nil {
		t.Fatal(err)
	}
	// On the instance that revoked: at once, for every way of reading it.
	if w := get(a, "/api/auth/session"); w.Body.String() != "{}" || !strings.Contains(strings.Join(w.Result().Header.Values("Set-Cookie"), "\n"), "next-auth.session-token=; Max-Age=0") {
		t.Errorf("GET session after the revocation: %s %v; want {} and the cookie cleared", w.Body, w.Result().Header.Values("Set-Cookie"))
	}
	if w := get(a, "/dashboard"); w.Code != http.StatusUnauthorized {
		t.Errorf("Require after the revocation: %d; want 401", w.Code)
	}
	req := httptest.NewRequest("GET", "http://localhost:3000/x", nil)
	req.Header.Set("Cookie", cookies)
	if a.Session(req) != nil || a.Token(req) != nil {
		t.Error("Session/Token after the revocation: not nil")
	}
	// On the other instance: once its marks are older than the interval,
	// even for a client that keeps refreshing its cookie meanwhile (each
	// answer re-issues the token with a later "iat").
	ended := false
	for i := 0; i < 10 && !ended; i++ {
		clk.Add(latch.RevocationCheckInterval / 2)
		w := get(b, "/api/auth/session")
		for _, c := range w.Result().Cookies() {
			if c.Name == "next-auth.session-token" && c.Value != "" {
				cookies = "next-auth.session-token=" + c.Value
			}
		}
		ended = w.Body.String() == "{}"
		if !ended && time.Duration(i+1)*latch.RevocationCheckInterval/2 > 2*latch.RevocationCheckInterval {
			t.Fatalf("GET session on the other instance %v after the revocation: %s; want {}", time.Duration(i+1)*latch.RevocationCheckInterval/2, w.Body)
		}
	}
	if !ended {
		t.Fatal("the revoked session went on on the other instance")
	}
	// A new sign-in, a second later, is a new session.
	clk.Add(time.Second)
	cookies = signInWith(t, b)
	for _, h := range []*latch.Auth{a, b} {
		if w := get(h, "/api/auth/session"); !strings.Contains(w.Body.String(), "ada@example.com") {
			t.Errorf("session signed in after the revocation: %s", w.Body)
		}
	}
}

// Without a store, RevokeUserSessions says it cannot end JWT sessions.
func TestRevokeWithoutStore(t *testing.T) {
	a, _ := benchSignedIn(t)
	if _, err := a.RevokeUserSessions(context.Background(), "1"); err == nil {
		t.Error("RevokeUserSessions without a store: no error")
	}
}

// signInWith signs in through a's credentials provider and returns the
// Cookie header.
func signInWith(t testing.TB, a *latch.Auth) string {
	t.Helper()
	w := httptest.NewRecorder()
	a.ServeHTTP(w, httptest.NewRequest("GET", "http://localhost:3000/api/auth/csrf", nil))
	csrfCookie := w.Result().Cookies()[0]
	token := strings.Split(strings.Split(w.Body.String(), `"csrfToken":"`)[1], `"`)[0]
	req := httptest.NewRequest("POST", "http://localhost:3000/api/auth/callback/credentials", strings.NewReader("json=true&csrfToken="+token))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(csrfCookie)
	w = httptest.NewRecorder()
	a.ServeHTTP(w, req)
	// What a browser then sends: the CSRF cookie and the callback's.
	jar := map[string]string{csrfCookie.Name: csrfCookie.Value}
	for _, c := range w.Result().Cookies() {
		jar[c.Name] = c.Value
	}
	if jar["next-auth.session-token"] == "" {
		t.Fatalf("no session cookie after sign-in: %d %s", w.Code, w.Body)
	}
	var parts []string
	for n, v := range jar {
		parts = append(parts, n+"="+v)
	}
	return strings.Join(parts, "; ")
}

// BenchmarkSessionGETRevocable is BenchmarkSessionGET with a store that
// records revocations (SQLite, 100 other users revoked): the revocation
// check on every session read.
func BenchmarkSessionGETRevocable(b *testing.B) { benchSessionGETStore(b, true) }

// BenchmarkSessionGETStoreNoRevocation is BenchmarkSessionGETRevocable
// with the store's revocation methods hidden: the cost of the check is
// the difference.
func BenchmarkSessionGETStoreNoRevocation(b *testing.B) { benchSessionGETStore(b, false) }

// plainStore hides a store's optional interfaces.
type plainStore struct{ latch.Store }

func benchSessionGETStore(b *testing.B, revocable bool) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "latch.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	for i := range 100 {
		store.RevokeSessionsBefore(ctx, "other-"+strings.Repeat("x", i%5)+string(rune('a'+i%26))+time.Duration(i).String(), time.Now())
	}
	var st latch.Store = store
	if !revocable {
		st = plainStore{store}
	}
	a, err := latch.New(latch.Config{
		URL: "http://localhost:3000/api/auth", Secrets: []string{strings.Repeat("k", 32)}, Store: st,
		Providers: []latch.Provider{&latch.Credentials{Authorize: func(context.Context, map[string]string, *http.Request) (*latch.User, error) {
			return &latch.User{ID: "1", Name: "Jane Smith", Email: "jane@example.com"}, nil
		}}},
	})
	if err != nil {
		b.Fatal(err)
	}
	store.CreateUser(ctx, latch.StoredUser{User: latch.User{ID: "1", Name: "Jane Smith", Email: "jane@example.com"}})
	req := httptest.NewRequest(http.MethodGet, "http://localhost:3000/api/auth/session", nil)
	req.Header.Set("Cookie", signInWith(b, a))
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		a.ServeHTTP(w, req)
		if w.Code != http.StatusOK || w.Body.Len() < 10 {
			b.Fatalf("status %d body %s", w.Code, w.Body)
		}
	}
}

// TestJWTSessionSightings: with a store, each JWT session is listed (who,
// from where, with what) and can be ended alone.
func TestJWTSessionSightings(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	user, _ := store.CreateUser(ctx, latch.StoredUser{User: latch.User{Name: "Ada", Email: "ada@example.com"}})
	clk := &revClock{now: time.Unix(1_900_000_000, 0)}
	a, err := latch.New(latch.Config{
		URL: "http://localhost:3000/api/auth", Secrets: []string{strings.Repeat("r", 32)},
		Store: store, Now: clk.Now,
		Providers: []latch.Provider{&latch.Credentials{Authorize: func(context.Context, map[string]string, *http.Request) (*latch.User, error) {
			return &user.User, nil
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	laptop := signInWith(t, a)
	clk.Add(time.Minute)
	phone := signInWith(t, a)
	get := func(cookies, ua string) string {
		req := httptest.NewRequest("GET", "http://localhost:3000/api/auth/session", nil)
		req.Header.Set("Cookie", cookies)
		req.Header.Set("User-Agent", ua)
		w := httptest.NewRecorder()
		a.ServeHTTP(w, req)
		return w.Body.String()
	}
	clk.Add(time.Hour) // past the sighting interval: the next read is recorded
	get(phone, "Phone/1.0")
	list, err := a.UserSessions(ctx, user.ID)
	if err != nil || len(list) != 2 {
		t.Fatalf("UserSessions = %+v, %v; want both sessions", list, err)
	}
	if list[0].UserAgent != "Phone/1.0" || list[0].IP != "192.0.2.1" || !list[0].LastSeen.Equal(clk.Now()) || list[0].SignedIn.Unix() != 1_900_000_060 {
		t.Errorf("the session used last = %+v; want the phone, seen now, signed in a minute after the first", list[0])
	}
	if list[1].ID == list[0].ID || list[1].ID == "" {
		t.Errorf("session IDs %q and %q; want two different ones", list[0].ID, list[1].ID)
	}
	if err := a.RevokeSession(ctx, list[0].ID); err != nil {
		t.Fatal(err)
	}
	if s := get(phone, "Phone/1.0"); s != "{}" {
		t.Errorf("the ended session: %s; want {}", s)
	}
	if s := get(laptop, "Laptop/1.0"); !strings.Contains(s, "ada@example.com") {
		t.Errorf("the other session after ending one: %s; want it to go on", s)
	}
}
