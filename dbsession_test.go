package latch_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/sqlite"
)

// dbHarness is a Latch with database sessions on SQLite and a clock the
// test moves.
type dbHarness struct {
	auth  *latch.Auth
	store *sqlite.Store
	now   time.Time
	user  *latch.StoredUser
}

func newDBHarness(t *testing.T) *dbHarness {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	h := &dbHarness{store: store, now: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
	h.user, _ = store.CreateUser(ctx, latch.StoredUser{User: latch.User{Name: "Dee", Email: "dee@example.com"}})
	h.auth, err = latch.New(latch.Config{
		URL: "http://localhost:3000/api/auth", Secrets: []string{strings.Repeat("d", 32)},
		Store: store, Strategy: latch.DatabaseSessions,
		MaxAge: 30 * 24 * time.Hour, UpdateAge: 24 * time.Hour,
		Now: func() time.Time { return h.now },
		Providers: []latch.Provider{&latch.Credentials{Authorize: func(context.Context, map[string]string, *http.Request) (*latch.User, error) {
			return &h.user.User, nil
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// signIn returns the Cookie header after a credentials sign-in.
func (h *dbHarness) signIn(t *testing.T) (cookieHeader, token string) {
	t.Helper()
	w := httptest.NewRecorder()
	h.auth.ServeHTTP(w, httptest.NewRequest("GET", "http://localhost:3000/api/auth/csrf", nil))
	var csrf struct{ CsrfToken string }
	json.Unmarshal(w.Body.Bytes(), &csrf)
	csrfCookie := w.Result().Cookies()[0]
	req := httptest.NewRequest("POST", "http://localhost:3000/api/auth/callback/credentials", strings.NewReader("json=true&csrfToken="+csrf.CsrfToken))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(csrfCookie)
	w = httptest.NewRecorder()
	h.auth.ServeHTTP(w, req)
	for _, c := range w.Result().Cookies() {
		if c.Name == "next-auth.session-token" {
			token = c.Value
		}
	}
	if token == "" {
		t.Fatalf("no session cookie after sign-in: %d %s", w.Code, w.Body)
	}
	return "next-auth.session-token=" + token + "; " + csrfCookie.Name + "=" + csrfCookie.Value, token
}

func (h *dbHarness) session(t *testing.T, cookieHeader string) (string, *http.Response) {
	t.Helper()
	req := httptest.NewRequest("GET", "http://localhost:3000/api/auth/session", nil)
	req.Header.Set("Cookie", cookieHeader)
	w := httptest.NewRecorder()
	h.auth.ServeHTTP(w, req)
	return w.Body.String(), w.Result()
}

func TestDatabaseSessionLifecycle(t *testing.T) {
	h := newDBHarness(t)
	ctx := context.Background()
	cookies, token := h.signIn(t)
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(token) {
		t.Errorf("session cookie %q; want an opaque 64-hex token", token)
	}
	rec, _, err := h.store.Session(ctx, token)
	if err != nil || !rec.Expires.Equal(h.now.Add(30*24*time.Hour)) {
		t.Fatalf("stored session = %+v, %v; want expiry now+30d", rec, err)
	}
	body, _ := h.session(t, cookies)
	want := `{"user":{"name":"Dee","email":"dee@example.com"},"expires":"2026-12-01T12:00:00.000Z"}`
	if body != want {
		t.Errorf("session = %s; want %s", body, want)
	}

	// Within UpdateAge the stored expiry stays; after it, it moves.
	h.now = h.now.Add(time.Hour)
	h.session(t, cookies)
	if rec, _, _ := h.store.Session(ctx, token); !rec.Expires.Equal(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("expiry written back within UpdateAge: %v", rec.Expires)
	}
	h.now = h.now.Add(24 * time.Hour)
	body, _ = h.session(t, cookies)
	if !strings.Contains(body, `"expires":"2026-12-01T12:00:00.000Z"`) {
		t.Errorf("answer after UpdateAge = %s; want the expiry read before the update", body)
	}
	if rec, _, _ := h.store.Session(ctx, token); !rec.Expires.Equal(h.now.Add(30 * 24 * time.Hour)) {
		t.Errorf("expiry after UpdateAge = %v; want %v", rec.Expires, h.now.Add(30*24*time.Hour))
	}
	if s := h.auth.Session(reqWithCookie(cookies)); s == nil || s.User.Email != "dee@example.com" {
		t.Errorf("auth.Session = %+v; want Dee", s)
	}
	if got := h.auth.Session(reqWithCookie(cookies)).UserID(); got != h.user.ID {
		t.Errorf("Session().UserID() = %q; want the stored user %q", got, h.user.ID)
	}

	// Revoking ends the session on the next request.
	n, err := h.auth.RevokeUserSessions(ctx, h.user.ID)
	if err != nil || n != 1 {
		t.Fatalf("RevokeUserSessions = %d, %v; want 1", n, err)
	}
	body, res := h.session(t, cookies)
	if body != "{}" || !strings.Contains(strings.Join(res.Header.Values("Set-Cookie"), "\n"), "next-auth.session-token=; Max-Age=0") {
		t.Errorf("after revoke: %s %v; want {} and the cookie cleared", body, res.Header.Values("Set-Cookie"))
	}
	if s := h.auth.Session(reqWithCookie(cookies)); s != nil {
		t.Errorf("auth.Session after revoke = %+v; want nil", s)
	}
}

func TestDatabaseSessionExpiredIsDeleted(t *testing.T) {
	h := newDBHarness(t)
	cookies, token := h.signIn(t)
	h.now = h.now.Add(31 * 24 * time.Hour)
	if body, _ := h.session(t, cookies); body != "{}" {
		t.Errorf("expired session = %s; want {}", body)
	}
	if _, _, err := h.store.Session(context.Background(), token); err != latch.ErrNotFound {
		t.Errorf("expired session row: err = %v; want it deleted", err)
	}
}

func TestDatabaseSessionSignOutDeletesRow(t *testing.T) {
	h := newDBHarness(t)
	cookies, token := h.signIn(t)
	var csrf string
	for _, part := range strings.Split(cookies, "; ") {
		if v, ok := strings.CutPrefix(part, "next-auth.csrf-token="); ok {
			csrf, _, _ = strings.Cut(v, "%7C")
		}
	}
	req := httptest.NewRequest("POST", "http://localhost:3000/api/auth/signout", strings.NewReader("json=true&csrfToken="+csrf))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", cookies)
	w := httptest.NewRecorder()
	h.auth.ServeHTTP(w, req)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"url":"http://localhost:3000"`) {
		t.Fatalf("sign-out = %d %s", w.Code, w.Body)
	}
	if _, _, err := h.store.Session(context.Background(), token); err != latch.ErrNotFound {
		t.Errorf("session row after sign-out: err = %v; want deleted", err)
	}
}

func reqWithCookie(c string) *http.Request {
	r := httptest.NewRequest("GET", "http://localhost:3000/x", nil)
	r.Header.Set("Cookie", c)
	return r
}

// TestDatabaseSessionRequireKeepsAlive: Require extends a database
// session once it was last extended UpdateAge ago.
func TestDatabaseSessionRequireKeepsAlive(t *testing.T) {
	h := newDBHarness(t)
	ctx := context.Background()
	cookies, token := h.signIn(t)
	protected := h.auth.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	visit := func() *http.Response {
		req := httptest.NewRequest("GET", "http://localhost:3000/dash", nil)
		req.Header.Set("Cookie", cookies)
		w := httptest.NewRecorder()
		protected.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			t.Fatalf("status %d; want 200", w.Code)
		}
		return w.Result()
	}
	signedIn := h.now
	h.now = h.now.Add(23 * time.Hour)
	if res := visit(); len(res.Cookies()) != 0 {
		t.Errorf("23h after sign-in: Set-Cookie %q; want none", res.Header.Values("Set-Cookie"))
	}
	if rec, _, _ := h.store.Session(ctx, token); !rec.Expires.Equal(signedIn.Add(30 * 24 * time.Hour)) {
		t.Errorf("23h after sign-in: stored expiry %v; want it unchanged", rec.Expires)
	}
	h.now = h.now.Add(2 * time.Hour)
	res := visit()
	want := h.now.Add(30 * 24 * time.Hour)
	if rec, _, _ := h.store.Session(ctx, token); !rec.Expires.Equal(want) {
		t.Errorf("25h after sign-in: stored expiry %v; want %v", rec.Expires, want)
	}
	if cs := res.Cookies(); len(cs) != 1 || cs[0].Value != token || !cs[0].Expires.Equal(want) {
		t.Errorf("25h after sign-in: Set-Cookie %q; want the same token expiring %v", res.Header.Values("Set-Cookie"), want)
	}
	h.now = h.now.Add(time.Hour)
	if res := visit(); len(res.Cookies()) != 0 {
		t.Errorf("an hour after the extension: Set-Cookie %q; want none", res.Header.Values("Set-Cookie"))
	}
}
