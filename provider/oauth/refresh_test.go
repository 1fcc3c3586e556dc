package oauth_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/provider/oauth"
	"github.com/latchauth/latch/provider/oauth/oauthtest"
)

// signedIn signs the OP's test user in with offline_access and returns
// the provider and the tokens of the sign-in.
func signedIn(t *testing.T) (*oauthtest.OP, *oauth.Provider, latch.OAuthTokens) {
	t.Helper()
	op := oauthtest.NewProvider(t, rpCallback)
	cfg := oauth.OIDC("zitadel", "Zitadel", op.Issuer, op.ClientID, op.ClientSecret)
	cfg.Scopes = []string{"openid", "email", "profile", "offline_access"}
	cfg.Checks = &latch.OAuthChecks{State: true}
	p, err := oauth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	q := signIn(t, op, p, latch.AuthorizationRequest{RedirectURI: rpCallback, State: "s1"})
	profile, err := p.Exchange(t.Context(), latch.CallbackRequest{RedirectURI: rpCallback, Code: q.Get("code"), Params: q})
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if profile.Tokens.RefreshToken == "" {
		t.Fatal("the sign-in with offline_access gave no refresh token")
	}
	return op, p, profile.Tokens
}

func TestRefreshToken(t *testing.T) {
	op, p, first := signedIn(t)
	ctx := t.Context()

	next, err := p.RefreshToken(ctx, first.RefreshToken)
	if err != nil {
		t.Fatalf("RefreshToken: %v", err)
	}
	if next.AccessToken == "" || next.AccessToken == first.AccessToken {
		t.Errorf("refreshed access token = %q; want a new one", next.AccessToken)
	}
	if next.RefreshToken == "" || next.RefreshToken == first.RefreshToken {
		t.Errorf("refreshed refresh token = %q; want a new one (the OP rotates them)", next.RefreshToken)
	}
	if now := time.Now().Unix(); next.ExpiresAt <= now || next.ExpiresAt > now+3600 {
		t.Errorf("ExpiresAt = %d; want within the hour after %d", next.ExpiresAt, now)
	}
	if op.Refreshes() != 1 {
		t.Errorf("the OP saw %d refreshes; want 1", op.Refreshes())
	}

	// The rotated token is burned: invalid_grant, which asks for a new sign-in.
	_, err = p.RefreshToken(ctx, first.RefreshToken)
	if !errors.Is(err, latch.ErrReauthRequired) {
		t.Fatalf("RefreshToken(used token) err = %v; want ErrReauthRequired", err)
	}
	if e, ok := errors.AsType[*oauth.ExchangeError](err); !ok || e.Code != "invalid_grant" {
		t.Errorf("RefreshToken(used token) err = %v; want an ExchangeError invalid_grant", err)
	}

	// A 503 is transient, and leaves the token usable.
	op.FailRefreshes(1, http.StatusServiceUnavailable)
	_, err = p.RefreshToken(ctx, next.RefreshToken)
	if !errors.Is(err, latch.ErrRefreshUnavailable) || errors.Is(err, latch.ErrReauthRequired) {
		t.Fatalf("RefreshToken during a 503 err = %v; want ErrRefreshUnavailable only", err)
	}
	third, err := p.RefreshToken(ctx, next.RefreshToken)
	if err != nil {
		t.Fatalf("RefreshToken after the 503: %v", err)
	}

	// A revoked token asks for a new sign-in.
	op.RevokeRefreshToken(t, third.RefreshToken)
	if _, err := p.RefreshToken(ctx, third.RefreshToken); !errors.Is(err, latch.ErrReauthRequired) {
		t.Errorf("RefreshToken(revoked) err = %v; want ErrReauthRequired", err)
	}

	// A timeout is transient.
	op.SlowRefreshes(5 * time.Second)
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := p.RefreshToken(short, third.RefreshToken); !errors.Is(err, latch.ErrRefreshUnavailable) {
		t.Errorf("RefreshToken past its deadline err = %v; want ErrRefreshUnavailable", err)
	}

	if _, err := p.RefreshToken(ctx, ""); !errors.Is(err, latch.ErrNoRefreshToken) {
		t.Errorf("RefreshToken(\"\") err = %v; want ErrNoRefreshToken", err)
	}
}

func TestRefreshTokenRejectedClient(t *testing.T) {
	op, _, first := signedIn(t)
	cfg := oauth.OIDC("zitadel", "Zitadel", op.Issuer, op.ClientID, "wrong-secret")
	p, err := oauth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.RefreshToken(t.Context(), first.RefreshToken)
	if !errors.Is(err, latch.ErrRefreshRejected) {
		t.Fatalf("RefreshToken with a wrong client secret err = %v; want ErrRefreshRejected", err)
	}
	if errors.Is(err, latch.ErrRefreshUnavailable) {
		t.Errorf("a wrong client secret counted as transient: %v", err)
	}
}

func TestRefreshTokenUnreachable(t *testing.T) {
	cfg := oauth.Config{ID: "x", ClientID: "c", AuthURL: "http://127.0.0.1:1/auth", TokenURL: "http://127.0.0.1:1/token", UserInfoURL: "http://127.0.0.1:1/me"}
	p, err := oauth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.RefreshToken(t.Context(), "rt"); !errors.Is(err, latch.ErrRefreshUnavailable) {
		t.Errorf("RefreshToken(unreachable) err = %v; want ErrRefreshUnavailable", err)
	}
}
