package latch_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/jwt"
	"github.com/latchauth/latch/store/sqlite"
)

// benchTokenSite is a site with a SQLite store, the stub provider, and a
// user whose account holds a token valid for an hour; cookie is that
// user's JWT session cookie.
func benchTokenSite(b *testing.B, enabled bool) (a *latch.Auth, userID, cookie string) {
	b.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "latch.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	a, err = latch.New(latch.Config{URL: httpBase, Secrets: []string{testSecret}, Store: st, Providers: []latch.Provider{stubRefresher{}},
		Logger: quietLogger(), ProviderTokens: latch.ProviderTokenConfig{Enabled: enabled}})
	if err != nil {
		b.Fatal(err)
	}
	u, err := st.CreateUser(ctx, latch.StoredUser{User: latch.User{Name: "Bench", Email: "bench@example.com"}})
	if err != nil {
		b.Fatal(err)
	}
	if err := st.LinkAccount(ctx, latch.LinkedAccount{Account: latch.Account{Provider: "stub", Type: "oauth", ProviderAccountID: "b"}, UserID: u.ID,
		OAuthTokens: latch.OAuthTokens{AccessToken: "at", RefreshToken: "rt", ExpiresAt: time.Now().Add(time.Hour).Unix(), TokenType: "Bearer"}}); err != nil {
		b.Fatal(err)
	}
	codec, _ := jwt.New(jwt.V4, "", testSecret)
	tok, err := codec.Encode(jwt.Claims{"sub": u.ID, "name": "Bench", "email": "bench@example.com"}, time.Now(), time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	return a, u.ID, "next-auth.session-token=" + tok
}

// BenchmarkUserProviderTokenFresh: the common case, a token that needs
// no refresh, read from SQLite and opened.
func BenchmarkUserProviderTokenFresh(b *testing.B) {
	a, uid, _ := benchTokenSite(b, true)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if t, err := a.UserProviderToken(ctx, uid, "stub", 0); err != nil || t.AccessToken != "at" {
			b.Fatal(t, err)
		}
	}
}

// BenchmarkProviderTokenEndpoint: GET <base>/token/<provider> with a JWT
// session cookie and a SQLite store.
func BenchmarkProviderTokenEndpoint(b *testing.B) {
	a, _, cookie := benchTokenSite(b, true)
	req := httptest.NewRequest(http.MethodGet, httpBase+"/token/stub", nil)
	req.Header.Set("Cookie", cookie)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		a.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}

// BenchmarkSessionGETStore: GET <base>/session with a JWT session cookie
// and a SQLite store, with provider tokens enabled (one more read of the
// user's accounts, for "error": "RefreshTokenError") and without.
func BenchmarkSessionGETStore(b *testing.B) {
	for _, enabled := range []bool{false, true} {
		name := "disabled"
		if enabled {
			name = "enabled"
		}
		b.Run(name, func(b *testing.B) {
			a, _, cookie := benchTokenSite(b, enabled)
			req := httptest.NewRequest(http.MethodGet, httpBase+"/session", nil)
			req.Header.Set("Cookie", cookie)
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				a.ServeHTTP(w, req)
				if w.Code != http.StatusOK || w.Body.Len() < 10 {
					b.Fatalf("%d %s", w.Code, w.Body)
				}
			}
		})
	}
}
