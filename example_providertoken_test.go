package latch_test

import (
	"context"
	"errors"
	"fmt"
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
