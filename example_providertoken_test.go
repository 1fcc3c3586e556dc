package latch_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/provider/oauth"
	"github.com/latchauth/latch/store/sqlite"
)

// Get a user's access token of a provider, refreshed when it expires
// within the minute, to call the provider's API.
func ExampleAuth_UserProviderToken() {
	ctx := context.Background()
	// The provider's token endpoint, here a stand-in that answers every
	// refresh with new tokens.
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"at-2","token_type":"Bearer","expires_in":3600,"refresh_token":"rt-2","scope":"read"}`)
	}))
	defer provider.Close()
	corp, err := oauth.New(oauth.Config{ID: "corp", ClientID: "app", ClientSecret: "secret",
		AuthURL: provider.URL + "/authorize", TokenURL: provider.URL + "/token", UserInfoURL: provider.URL + "/me"})
	if err != nil {
		panic(err)
	}
	dir, _ := os.MkdirTemp("", "latch-example")
	defer os.RemoveAll(dir)
	store, err := sqlite.Open(ctx, filepath.Join(dir, "latch.db"))
	if err != nil {
		panic(err)
	}
	defer store.Close()
	auth, err := latch.New(latch.Config{
		URL: "http://localhost:3000/api/auth", Secrets: []string{strings.Repeat("x", 32)},
		Providers: []latch.Provider{corp}, Store: store,
		ProviderTokens: latch.ProviderTokenConfig{Enabled: true}, // also GET /api/auth/token/corp
	})
	if err != nil {
		panic(err)
	}

	// Ann signed in with the provider an hour ago (a sign-in stores the
	// account, sealed): her access token has expired.
	ann, _ := store.CreateUser(ctx, latch.StoredUser{User: latch.User{Email: "ann@example.com"}})
	store.LinkAccount(ctx, latch.LinkedAccount{
		Account: latch.Account{Provider: "corp", Type: latch.TypeOAuth, ProviderAccountID: "ann"}, UserID: ann.ID,
		OAuthTokens: latch.OAuthTokens{AccessToken: "at-1", RefreshToken: "rt-1", ExpiresAt: time.Now().Add(-time.Minute).Unix()},
	})

	tok, err := auth.UserProviderToken(ctx, ann.ID, "corp", time.Minute)
	switch {
	case errors.Is(err, latch.ErrReauthRequired), errors.Is(err, latch.ErrNoRefreshToken):
		fmt.Println("Ann must sign in with the provider again")
	case errors.Is(err, latch.ErrRefreshUnavailable):
		fmt.Println("try again later")
	case err != nil:
		panic(err)
	default:
		fmt.Println(tok.TokenType, tok.AccessToken, tok.Scopes(), time.Until(tok.Expiry) > 59*time.Minute)
	}
	// Output: Bearer at-2 [read] true
}

// Call the provider's API with the signed-in user's access token,
// refreshed when it expires within the minute.
func ExampleAuth_ProviderToken() {
	ctx := context.Background()
	// The provider, here a stand-in: its token endpoint answers every
	// refresh with new tokens, its API says which token it got.
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api" {
			fmt.Fprintf(w, "the API got %s", r.Header.Get("Authorization"))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"at-2","token_type":"Bearer","expires_in":3600,"refresh_token":"rt-2"}`)
	}))
	defer provider.Close()
	googleAPI := provider.URL + "/api"
	google, err := oauth.New(oauth.Config{ID: "google", ClientID: "app", ClientSecret: "secret",
		AuthURL: provider.URL + "/authorize", TokenURL: provider.URL + "/token", UserInfoURL: provider.URL + "/me"})
	if err != nil {
		panic(err)
	}
	dir, _ := os.MkdirTemp("", "latch-example")
	defer os.RemoveAll(dir)
	store, err := sqlite.Open(ctx, filepath.Join(dir, "latch.db"))
	if err != nil {
		panic(err)
	}
	defer store.Close()
	auth, err := latch.New(latch.Config{
		URL: "http://localhost:3000/api/auth", Secrets: []string{strings.Repeat("x", 32)},
		Providers: []latch.Provider{google}, Store: store, Strategy: latch.DatabaseSessions,
	})
	if err != nil {
		panic(err)
	}
	// Ann signed in with Google an hour ago: her access token has expired.
	ann, _ := store.CreateUser(ctx, latch.StoredUser{User: latch.User{Email: "ann@example.com"}})
	store.LinkAccount(ctx, latch.LinkedAccount{
		Account: latch.Account{Provider: "google", Type: latch.TypeOAuth, ProviderAccountID: "ann"}, UserID: ann.ID,
		OAuthTokens: latch.OAuthTokens{AccessToken: "at-1", RefreshToken: "rt-1", ExpiresAt: time.Now().Add(-time.Minute).Unix()},
	})
	store.CreateSession(ctx, latch.SessionRecord{Token: "ann-session", UserID: ann.ID, Expires: time.Now().Add(time.Hour)})

	calendar := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// readme:begin
		tok, err := auth.ProviderToken(w, r, "google", time.Minute) // the signed-in user's, valid ≥ 1 minute
		// or, for any user (with a Store): auth.UserProviderToken(ctx, userID, "google", 0)
		switch {
		case errors.Is(err, latch.ErrReauthRequired), // the provider refused the refresh token (invalid_grant)
			errors.Is(err, latch.ErrNoRefreshToken): // expired, and no refresh token was granted
			http.Error(w, "Sign in with Google again", http.StatusUnauthorized)
			return
		case errors.Is(err, latch.ErrRefreshUnavailable): // network, 5xx, timeout: nothing changed, try later
			http.Error(w, "Google cannot be reached, try again later", http.StatusServiceUnavailable)
			return
		case err != nil: // latch.ErrNoProviderAccount (no Google account, or signed out), a store error
			http.Error(w, "Sign in with Google first", http.StatusUnauthorized)
			return
		}
		req, _ := http.NewRequestWithContext(r.Context(), "GET", googleAPI, nil)
		req.Header.Set("Authorization", tok.TokenType+" "+tok.AccessToken) // also tok.Expiry, tok.Scope, tok.IDToken
		// readme:end
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, "Google cannot be reached", http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		io.Copy(w, res.Body)
	})

	req := httptest.NewRequest("GET", "http://localhost:3000/calendar", nil)
	req.AddCookie(&http.Cookie{Name: "next-auth.session-token", Value: "ann-session"})
	w := httptest.NewRecorder()
	auth.Require(calendar).ServeHTTP(w, req)
	fmt.Println(w.Body.String())
	w = httptest.NewRecorder()
	calendar.ServeHTTP(w, httptest.NewRequest("GET", "http://localhost:3000/calendar", nil))
	fmt.Print(w.Body.String())
	// Output:
	// the API got Bearer at-2
	// Sign in with Google first
}
