package latch

import (
	"context"
	"errors"
)

// ProviderSignOut is an OAuthProvider that can also end the user's
// session at the provider when they sign out of Latch; provider/oauth
// implements it (opt-in per provider: oauth.Config.EndSession and
// RevokeOnSignOut).
type ProviderSignOut interface {
	// RevokeTokens revokes the tokens at the provider (RFC 7009) when the
	// provider is configured to, and reports whether it did.
	RevokeTokens(ctx context.Context, t OAuthTokens) (bool, error)
	// EndSessionURL returns where to send the browser to end the session
	// at the provider (OpenID Connect RP-initiated logout), coming back to
	// postLogoutRedirectURI; "" when the provider is not configured to.
	EndSessionURL(ctx context.Context, idToken, postLogoutRedirectURI string) (string, error)
}

// refreshErrorRevoked is the RefreshError of an account whose tokens a
// sign-out revoked.
const refreshErrorRevoked = "revoked"

// providerSignOut ends the signed-out user's sessions at the providers
// that are configured to: it revokes their tokens and returns the end
// session URL of the first one that has one ("" when none). The tokens
// come from the session token (JWT sessions without a Store) or from the
// user's accounts in the Store. Failures are logged: the sign-out at
// Latch happens whatever the providers answer.
func (a *Auth) providerSignOut(x *exchange, token Token, userID string) string {
	type entry struct {
		provider string
		tokens   OAuthTokens
		stored   *LinkedAccount
	}
	var entries []entry
	ctx := x.r.Context()
	if _, ok := storeAs[AccountTokenStore](a.cfg.Store); ok && userID != "" {
		accs, err := a.cfg.Store.Accounts(ctx, userID)
		if err != nil {
			a.log.Error("latch: sign-out at the providers: read accounts", "err", err)
		}
		for i := range accs {
			t, err := a.tokens.sealer.openTokens(accs[i].Provider, accs[i].ProviderAccountID, accs[i].OAuthTokens)
			if err == nil {
				entries = append(entries, entry{accs[i].Provider, t, &accs[i]})
			}
		}
	} else if token != nil {
		for provider, t := range tokensIn(token) {
			entries = append(entries, entry{provider, t.oauth(), nil})
		}
	}
	endSession := ""
	for _, p := range a.providers {
		so, ok := p.(ProviderSignOut)
		if !ok {
			continue
		}
		id := p.Info().ID
		for _, e := range entries {
			if e.provider != id {
				continue
			}
			rctx, cancel := context.WithTimeout(ctx, a.cfg.ProviderTokens.Timeout)
			revoked, err := so.RevokeTokens(rctx, e.tokens)
			cancel()
			if err != nil {
				a.log.Warn("latch: sign-out at the provider: revoke tokens", "provider", id, "err", err)
			}
			if revoked && e.stored != nil {
				ts, _ := storeAs[AccountTokenStore](a.cfg.Store)
				kept := OAuthTokens{IDToken: e.stored.IDToken, Scope: e.stored.Scope, TokenType: e.stored.TokenType}
				if err := ts.UpdateAccountTokens(ctx, id, e.stored.ProviderAccountID, kept, refreshErrorRevoked); err != nil && !errors.Is(err, ErrNotFound) {
					a.log.Error("latch: sign-out at the provider: forget revoked tokens", "provider", id, "err", err)
				}
			}
			if endSession != "" {
				continue
			}
			rctx, cancel = context.WithTimeout(ctx, a.cfg.ProviderTokens.Timeout)
			u, err := so.EndSessionURL(rctx, e.tokens.IDToken, x.callbackURL)
			cancel()
			if err != nil {
				a.log.Warn("latch: sign-out at the provider: end session URL", "provider", id, "err", err)
			}
			endSession = u
		}
	}
	return endSession
}
