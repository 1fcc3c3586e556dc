package latch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/latchauth/latch/internal/cookie"
)

// tokensClaim is the session token claim that holds provider tokens with
// JWT sessions and no Store: {"<provider id>": sessionTokens}.
const tokensClaim = "providerTokens"

// sessionTokens are one provider's tokens in a session token, named as
// NextAuth names the account's fields.
type sessionTokens struct {
	AccessToken  string `json:"access_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ExpiresAt    int64  `json:"expires_at,omitempty"`
	TokenType    string `json:"token_type,omitempty"`
	Scope        string `json:"scope,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	// Error is "invalid_grant" once the provider refused the refresh token.
	Error string `json:"error,omitempty"`
}

func (s sessionTokens) oauth() OAuthTokens {
	return OAuthTokens{AccessToken: s.AccessToken, RefreshToken: s.RefreshToken, ExpiresAt: s.ExpiresAt,
		TokenType: s.TokenType, Scope: s.Scope, IDToken: s.IDToken}
}

func sessionTokensOf(t OAuthTokens) sessionTokens {
	return sessionTokens{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, ExpiresAt: t.ExpiresAt,
		TokenType: t.TokenType, Scope: t.Scope, IDToken: t.IDToken}
}

// tokensIn reads the provider tokens of a session token.
func tokensIn(t Token) map[string]sessionTokens {
	v, ok := t[tokensClaim]
	if !ok {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var m map[string]sessionTokens
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	return m
}

func setTokensIn(t Token, m map[string]sessionTokens) {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	t[tokensClaim] = out
}

// refusedIn reports whether a provider refused a refresh token kept in
// the raw JSON of the tokens claim.
func refusedIn(raw []byte) bool {
	var m map[string]struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	for _, e := range m {
		if e.Error != "" {
			return true
		}
	}
	return false
}

// keepsSessionTokens reports whether sign-ins with the provider keep its
// tokens in the session token.
func (a *Auth) keepsSessionTokens(provider string) bool {
	if !a.cfg.ProviderTokens.Enabled || a.cfg.Store != nil || a.cfg.Strategy != JWTSessions {
		return false
	}
	_, ok := a.byID[provider].(TokenRefresher)
	return ok
}

// markRefused adds "error": "RefreshTokenError" to a session.
func markRefused(sess *Session) {
	if sess.Extra == nil {
		sess.Extra = map[string]any{}
	}
	sess.Extra["error"] = "RefreshTokenError"
}

// tokenRefused reports whether the session token holds provider tokens
// whose refresh token the provider refused (JWT sessions without a Store).
func (a *Auth) tokenRefused(t Token) bool {
	if !a.cfg.ProviderTokens.Enabled || a.cfg.Store != nil {
		return false
	}
	v, ok := t[tokensClaim]
	if !ok {
		return false
	}
	b, _ := json.Marshal(v)
	return refusedIn(b)
}

// refreshSessionTokens refreshes the provider tokens, given as the raw
// JSON of the tokens claim, that expire within MinValidity
// (RefreshOnSession). It returns the claim's new JSON and whether it
// changed: refreshed tokens, or the mark of a refused refresh token.
func (a *Auth) refreshSessionTokens(ctx context.Context, raw []byte) ([]byte, bool) {
	var all map[string]sessionTokens
	if json.Unmarshal(raw, &all) != nil {
		return raw, false
	}
	changed := false
	for id, e := range all {
		p, ok := a.byID[id].(TokenRefresher)
		t := e.oauth()
		if !ok || e.Error != "" || t.RefreshToken == "" || a.fresh(t, a.cfg.ProviderTokens.MinValidity) {
			continue
		}
		next, err := a.refreshShared(ctx, p, id, t)
		switch {
		case err == nil:
			all[id], changed = sessionTokensOf(*next), true
		case errors.Is(err, ErrReauthRequired):
			e.Error = refreshErrorReauth
			all[id], changed = e, true
		}
	}
	if !changed {
		return raw, false
	}
	b, err := json.Marshal(all)
	if err != nil {
		return raw, false
	}
	return b, true
}

// refreshTokenClaim is refreshSessionTokens on a decoded session token.
func (a *Auth) refreshTokenClaim(ctx context.Context, t Token) {
	v, ok := t[tokensClaim]
	if !ok {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	if b, changed := a.refreshSessionTokens(ctx, b); changed {
		var m any
		if json.Unmarshal(b, &m) == nil {
			t[tokensClaim] = m
		}
	}
}

// markStoreRefused marks the session of a user one of whose accounts in
// the Store had its refresh token refused. With RefreshOnSession it first
// refreshes the accounts' tokens that expire within MinValidity.
func (a *Auth) markStoreRefused(ctx context.Context, sess *Session) {
	if !a.cfg.ProviderTokens.Enabled || sess == nil || sess.userID == "" {
		return
	}
	if _, ok := storeAs[AccountTokenStore](a.cfg.Store); !ok {
		return
	}
	accs, err := a.cfg.Store.Accounts(ctx, sess.userID)
	if err != nil {
		a.log.Error("latch: read accounts for the session", "err", err)
		return
	}
	for _, acc := range accs {
		if acc.RefreshError != "" {
			markRefused(sess)
			return
		}
	}
	if !a.cfg.ProviderTokens.RefreshOnSession {
		return
	}
	for _, acc := range accs {
		if _, ok := a.byID[acc.Provider].(TokenRefresher); !ok || acc.RefreshToken == "" || acc.ExpiresAt == 0 ||
			time.Unix(acc.ExpiresAt, 0).Sub(a.now()) >= a.cfg.ProviderTokens.MinValidity {
			continue
		}
		if _, err := a.UserProviderToken(ctx, sess.userID, acc.Provider, 0); errors.Is(err, ErrReauthRequired) {
			markRefused(sess)
			return
		}
	}
}

// ProviderToken returns an access token of the provider for the user
// signed in on r, valid for at least minValidity (0:
// ProviderTokens.MinValidity), refreshed when it expires sooner.
//
// With a Store it is [Auth.UserProviderToken] for the session's user.
// With JWT sessions and no Store (and ProviderTokens.Enabled) the tokens
// live in the session token: a refreshed token is written back into the
// session cookie on w, so call it before the response's header is
// written (w may be nil, e.g. for a bearer token, and the refreshed token
// is then kept only for ProviderTokens.Grace). Concurrent calls that
// present one refresh token make one refresh request (across instances
// with a shared ProviderTokens.Cache and Locker); the others get its
// result.
func (a *Auth) ProviderToken(w http.ResponseWriter, r *http.Request, providerID string, minValidity time.Duration) (*ProviderToken, error) {
	if _, ok := storeAs[AccountTokenStore](a.cfg.Store); ok {
		s := a.Session(r)
		if s == nil || s.UserID() == "" {
			return nil, ErrNoProviderAccount
		}
		return a.UserProviderToken(r.Context(), s.UserID(), providerID, minValidity)
	}
	if a.cfg.Store != nil || a.cfg.Strategy != JWTSessions || !a.cfg.ProviderTokens.Enabled {
		return nil, errors.New("latch: ProviderToken needs a Store that keeps account tokens, or JWT sessions with ProviderTokens.Enabled")
	}
	p, err := a.refresherFor(providerID)
	if err != nil {
		return nil, err
	}
	minValidity = a.minValidity(minValidity)
	ctx := r.Context()
	x := a.newExchange(w, r, "", "")
	raw, names := cookie.Join(x.names.session, x.cookies)
	fromCookie := raw != "" && w != nil
	if raw == "" {
		raw = a.rawSession(r, x.names)
	}
	if raw == "" {
		return nil, ErrNoProviderAccount
	}
	tok, err := a.decodeToken(x.names.sessions, raw)
	if err != nil {
		return nil, ErrNoProviderAccount
	}
	if _, err := a.runJWT(ctx, &JWTParams{Token: tok}); err != nil {
		return nil, ErrNoProviderAccount // the JWT callback ended the session
	}
	all := tokensIn(tok)
	entry, ok := all[providerID]
	if !ok {
		return nil, ErrNoProviderAccount
	}
	t := entry.oauth()
	switch {
	case a.fresh(t, minValidity):
		return providerToken(t), nil
	case entry.Error != "":
		return nil, ErrReauthRequired
	case t.RefreshToken == "":
		a.tokenEvent(ctx, providerID, "no_refresh_token", 0)
		return nil, ErrNoRefreshToken
	}
	next, err := a.refreshShared(ctx, p, providerID, t)
	if err != nil {
		if errors.Is(err, ErrReauthRequired) && fromCookie {
			entry.Error = refreshErrorReauth
			all[providerID] = entry
			a.writeTokensBack(x, tok, all, names)
		}
		return nil, err
	}
	if fromCookie {
		all[providerID] = sessionTokensOf(*next)
		a.writeTokensBack(x, tok, all, names)
	}
	return providerToken(*next), nil
}

// writeTokensBack writes the session token with new provider tokens into
// the session cookie, with a fresh expiry as GET <base>/session gives.
func (a *Auth) writeTokensBack(x *exchange, tok Token, all map[string]sessionTokens, names []string) {
	setTokensIn(tok, all)
	if err := x.writeSession(tok, names, a.now().Add(a.cfg.MaxAge)); err != nil {
		a.log.Error("latch: write refreshed provider tokens", "err", err)
		return
	}
	h := x.w.Header()
	h.Set("Cache-Control", "private, no-store")
	h.Add("Vary", "Cookie")
	x.writeCookies()
}

// refreshShared refreshes tokens kept in a session token. The result is
// kept (sealed) in the cache for the grace window under a keyed hash of
// the refresh token, so a request that presents the same refresh token,
// which a rotating provider has burned, gets the result instead of a
// refusal; a lease on the same name keeps instances from refreshing it
// twice.
func (a *Auth) refreshShared(ctx context.Context, p TokenRefresher, provider string, old OAuthTokens) (*OAuthTokens, error) {
	pt := &a.cfg.ProviderTokens
	sealer := a.tokens.sealer
	name := sealer.name(old.RefreshToken)
	ad := "refresh\x00" + provider + "\x00" + name
	cached := func(ctx context.Context) *OAuthTokens {
		v, err := pt.Cache.RefreshResult(ctx, name)
		if err != nil {
			if !errors.Is(err, ErrNotFound) {
				a.log.Error("latch: read refresh result", "err", err)
			}
			return nil
		}
		b, err := sealer.openBytes(v, ad)
		if err != nil {
			return nil
		}
		var t OAuthTokens
		if json.Unmarshal(b, &t) != nil || t.AccessToken == "" {
			return nil
		}
		return &t
	}
	ch := a.tokens.flight.DoChan("refresh\x00"+name, func() (any, error) {
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*pt.Timeout+5*time.Second)
		defer cancel()
		if t := cached(ctx); t != nil {
			a.tokenEvent(ctx, provider, "waited", time.Since(start))
			return t, nil
		}
		if pt.Locker != nil {
			unlock, err := pt.Locker.LockTokens(ctx, "refresh:"+name)
			if err != nil {
				a.tokenEvent(ctx, provider, "unavailable", time.Since(start))
				return nil, fmt.Errorf("%w: lease: %w", ErrRefreshUnavailable, err)
			}
			defer unlock()
			if t := cached(ctx); t != nil {
				a.tokenEvent(ctx, provider, "waited", time.Since(start))
				return t, nil
			}
		}
		next, err := a.callRefresh(ctx, p, old.RefreshToken)
		if err != nil {
			// Refused: another instance without the lease (or whose lease
			// ran out) may have burned the token and kept its result.
			if errors.Is(err, ErrReauthRequired) {
				if t := cached(ctx); t != nil {
					a.tokenEvent(ctx, provider, "waited", time.Since(start))
					return t, nil
				}
			}
			a.tokenEvent(ctx, provider, refreshOutcome(err), time.Since(start))
			return nil, err
		}
		merged := mergeRefreshed(old, next)
		b, _ := json.Marshal(merged)
		if err := pt.Cache.PutRefreshResult(ctx, name, sealer.sealBytes(b, ad), pt.Grace); err != nil {
			a.log.Error("latch: keep refresh result", "err", err)
		}
		a.tokenEvent(ctx, provider, "refreshed", time.Since(start))
		return &merged, nil
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		t := *res.Val.(*OAuthTokens)
		return &t, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrRefreshUnavailable, ctx.Err())
	}
}

// serveToken answers GET <base>/token/<provider>: the signed-in user's
// access token of the provider, fresh, for pages of the site's own origin
// and of trusted origins.
func (a *Auth) serveToken(w http.ResponseWriter, r *http.Request, provider string) {
	h := w.Header()
	h["Cache-Control"] = hdrNoStore
	h["Pragma"] = hdrNoCache
	h["Expires"] = hdrZero
	h.Set("X-Content-Type-Options", "nosniff")
	answer := func(status int, v any) {
		b, _ := marshalJS(v)
		h["Content-Type"] = hdrJSON
		w.WriteHeader(status)
		w.Write(b)
	}
	if r.Method != http.MethodGet {
		h.Set("Allow", http.MethodGet)
		answer(http.StatusMethodNotAllowed, map[string]string{"error": "MethodNotAllowed"})
		return
	}
	if !a.sameOriginOrTrusted(r) {
		answer(http.StatusForbidden, map[string]string{"error": "Forbidden"})
		return
	}
	if _, ok := a.byID[provider].(TokenRefresher); !ok {
		answer(http.StatusNotFound, map[string]string{"error": "UnknownProvider"})
		return
	}
	t, err := a.ProviderToken(w, r, provider, 0)
	switch {
	case err == nil:
		out := struct {
			AccessToken string `json:"access_token"`
			TokenType   string `json:"token_type,omitempty"`
			ExpiresAt   int64  `json:"expires_at,omitempty"`
			Scope       string `json:"scope,omitempty"`
		}{AccessToken: t.AccessToken, TokenType: t.TokenType, Scope: t.Scope}
		if !t.Expiry.IsZero() {
			out.ExpiresAt = t.Expiry.Unix()
		}
		answer(http.StatusOK, out)
	case errors.Is(err, ErrReauthRequired), errors.Is(err, ErrNoRefreshToken):
		answer(http.StatusUnauthorized, map[string]string{"error": "RefreshTokenError"})
	case errors.Is(err, ErrNoProviderAccount):
		answer(http.StatusUnauthorized, map[string]string{"error": "SessionRequired"})
	case errors.Is(err, ErrRefreshUnavailable):
		h.Set("Retry-After", "5")
		answer(http.StatusServiceUnavailable, map[string]string{"error": "TemporarilyUnavailable"})
	default:
		a.log.Error("latch: provider token", "provider", provider, "err", err)
		answer(http.StatusBadGateway, map[string]string{"error": "RefreshFailed"})
	}
}

// sameOriginOrTrusted reports whether r comes from a page of the site's
// own origin or of a trusted origin (or from no page at all, e.g. a
// server-side fetch): cross-site pages may not make Latch refresh tokens.
func (a *Auth) sameOriginOrTrusted(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" {
		o = strings.ToLower(o)
		return o == a.requestOrigin(r) || a.trusted[o]
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return false // a page elsewhere that sent no Origin
	}
	return true
}
