package latch_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/sqlite"
)

// revokedAfterRead is a store whose sessions are revoked (as by a sign-out
// on another instance) right after each read, before the expiry update.
type revokedAfterRead struct{ *sqlite.Store }

func (s revokedAfterRead) Session(ctx context.Context, token string) (*latch.SessionRecord, *latch.StoredUser, error) {
	rec, user, err := s.Store.Session(ctx, token)
	if err == nil {
		s.Store.DeleteSession(ctx, token)
	}
	return rec, user, err
}

// TestDatabaseSessionRevokedWhileExtended: a session revoked between its
// read and its expiry update is a normal race: the answer is the
// revocation (no session, the cookie cleared), with no ERROR in the log.
func TestDatabaseSessionRevokedWhileExtended(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	user, _ := store.CreateUser(ctx, latch.StoredUser{User: latch.User{Name: "Rae", Email: "rae@example.com"}})
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	var logs bytes.Buffer
	auth, err := latch.New(latch.Config{
		URL: "http://localhost:3000/api/auth", Secrets: []string{strings.Repeat("r", 32)},
		Store: revokedAfterRead{store}, Strategy: latch.DatabaseSessions,
		MaxAge: 30 * 24 * time.Hour, UpdateAge: time.Hour,
		Now:       func() time.Time { return now },
		Logger:    slog.New(slog.NewTextHandler(&logs, nil)),
		Providers: []latch.Provider{&latch.Credentials{Authorize: func(context.Context, map[string]string, *http.Request) (*latch.User, error) { return &user.User, nil }}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/auth/session", "/protected"} {
		if err := store.CreateSession(ctx, latch.SessionRecord{Token: "tok", UserID: user.ID, Expires: now.Add(29 * 24 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("GET", "http://localhost:3000"+path, nil)
		req.Header.Set("Cookie", "next-auth.session-token=tok")
		w := httptest.NewRecorder()
		if path == "/protected" {
			auth.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("page")) })).ServeHTTP(w, req)
		} else {
			auth.ServeHTTP(w, req)
			if w.Body.String() != "{}" || !strings.Contains(strings.Join(w.Result().Header.Values("Set-Cookie"), "\n"), "next-auth.session-token=; Max-Age=0") {
				t.Errorf("GET session of a session revoked while extended = %d %s %v; want {} and the cookie cleared", w.Code, w.Body, w.Result().Header.Values("Set-Cookie"))
			}
		}
		if strings.Contains(logs.String(), "level=ERROR") {
			t.Errorf("%s: the race was logged as an error:\n%s", path, logs.String())
		}
	}
}
