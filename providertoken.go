package latch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// ProviderToken is a provider's access token for a signed-in user, valid
// for at least the asked time when [Auth.ProviderToken] or
// [Auth.UserProviderToken] returns it.
type ProviderToken struct {
	AccessToken string
	TokenType   string    // e.g. "Bearer"
	Expiry      time.Time // zero when the provider did not say
	Scope       string    // space-separated, as the provider granted it
	IDToken     string    // the OpenID Connect ID token, when there is one
}

// Scopes returns the granted scopes.
func (t *ProviderToken) Scopes() []string { return strings.Fields(t.Scope) }

// The errors of [Auth.ProviderToken] and [Auth.UserProviderToken]; test
// for them with errors.Is.
var (
	// ErrReauthRequired: the provider refused the refresh token (RFC 6749
	// §5.2 invalid_grant: revoked, expired, or already used). The user must
	// sign in with the provider again; GET <base>/session says
	// "error": "RefreshTokenError" until then.
	ErrReauthRequired = errors.New("latch: the provider refused the refresh token; the user must sign in with it again")
	// ErrNoRefreshToken: the access token expires and the provider gave no
	// refresh token (ask for one: "offline_access", or access_type=offline
	// at Google).
	ErrNoRefreshToken = errors.New("latch: the access token expires and there is no refresh token")
	// ErrRefreshUnavailable: the refresh failed for now (network, a 5xx, a
	// timeout, a store that did not answer). Nothing was changed; try
	// again later. The underlying error is wrapped too.
	ErrRefreshUnavailable = errors.New("latch: the provider token could not be refreshed now")
	// ErrNoProviderAccount: the user has no account with the provider, or
	// nobody is signed in.
	ErrNoProviderAccount = errors.New("latch: no account with this provider")
)

// ErrRefreshRejected is what a [TokenRefresher] returns (wrapped) when
// the provider refused the refresh for a reason of the client rather than
// of the token (RFC 6749 §5.2 invalid_client, unauthorized_client,
// invalid_request, unsupported_grant_type, invalid_scope): a
// configuration to fix. The user's tokens are kept.
var ErrRefreshRejected = errors.New("latch: the provider rejected the refresh request")

// TokenRefresher is an OAuthProvider that can refresh access tokens;
// provider/oauth implements it.
type TokenRefresher interface {
	// RefreshToken trades a refresh token for new tokens. A response
	// without a refresh token keeps the old one (Latch does that). Errors
	// wrap ErrReauthRequired when the provider refused the token
	// (invalid_grant), ErrRefreshRejected for the client's faults, and
	// anything else counts as transient.
	RefreshToken(ctx context.Context, refreshToken string) (*OAuthTokens, error)
}

// AccountTokenStore is an [AccountStore] that reads one account and
// replaces its tokens: what provider tokens need with a Store.
// store/sqlite, store/postgres and store/redis implement it. Latch seals
// AccessToken, RefreshToken and IDToken with the secret before they reach
// the store.
type AccountTokenStore interface {
	// Account returns the account, or ErrNotFound.
	Account(ctx context.Context, provider, providerAccountID string) (*LinkedAccount, error)
	// UpdateAccountTokens replaces every token field of the account and
	// its RefreshError; ErrNotFound when there is no such account.
	UpdateAccountTokens(ctx context.Context, provider, providerAccountID string, t OAuthTokens, refreshError string) error
}

// TokenLocker gives the lease that lets one instance at a time refresh a
// token: store/postgres holds a PostgreSQL advisory lock for it, and
// store/redis a Redis key it renews while the refresh runs.
type TokenLocker interface {
	// LockTokens waits until it holds the lease named key, or ctx ends,
	// and returns the function that gives it back. The lease lasts until
	// given back, however slow the refresh, and ends by itself when its
	// holder dies.
	LockTokens(ctx context.Context, key string) (unlock func(), err error)
}

// RefreshResultCache keeps the sealed result of a refresh for a short
// while, under a keyed hash of the refresh token it used, so that another
// request (or instance) presenting that token, which a provider with
// rotating refresh tokens burned, gets the result instead of a refusal.
// Used with JWT sessions without a Store; store/redis implements it.
type RefreshResultCache interface {
	// PutRefreshResult keeps v under key for ttl.
	PutRefreshResult(ctx context.Context, key string, v []byte, ttl time.Duration) error
	// RefreshResult returns what was kept under key, or ErrNotFound.
	RefreshResult(ctx context.Context, key string) ([]byte, error)
}

// ProviderTokenConfig configures provider tokens (see [Auth.ProviderToken]).
type ProviderTokenConfig struct {
	// Enabled serves GET <base>/token/<provider> (the signed-in user's
	// fresh access token, to same-origin and trusted-origin pages), adds
	// "error": "RefreshTokenError" to GET <base>/session when a provider
	// refused a refresh, and, with JWT sessions and no Store, keeps the
	// provider tokens in the (encrypted) session token. With a Store,
	// [Auth.UserProviderToken] works whether or not it is set.
	Enabled bool
	// MinValidity is how long a returned access token must still be
	// valid; a token that expires sooner is refreshed. Default 60 s.
	MinValidity time.Duration
	// Timeout bounds each refresh request to the provider. Default 10 s.
	Timeout time.Duration
	// Grace is how long the result of a refresh is kept for a request
	// that presents the refresh token it used (JWT sessions without a
	// Store). Default 30 s.
	Grace time.Duration
	// RefreshOnSession makes GET <base>/session refresh the provider tokens
	// that expire within MinValidity, as NextAuth's refresh recipe does in
	// its jwt callback, so that "error": "RefreshTokenError" shows as soon
	// as a provider refuses, without a call to the token endpoint. That
	// session read then waits for the provider (Timeout at most). A
	// transient failure leaves the session as it was.
	RefreshOnSession bool
	// Locker gives the lease of a refresh across instances. Default: the
	// Store when it is a TokenLocker (store/postgres, store/redis), else
	// none (one refresh per instance at a time).
	Locker TokenLocker
	// Cache keeps refresh results for Grace. Default: the Store when it is
	// a RefreshResultCache (store/redis), else this process's memory.
	// Several instances with JWT sessions and no Store share one (e.g.
	// redis.NewCoordinator), which is also their Locker.
	Cache RefreshResultCache
}

func (c *ProviderTokenConfig) withDefaults(s Store) {
	if c.MinValidity <= 0 {
		c.MinValidity = time.Minute
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Grace <= 0 {
		c.Grace = 30 * time.Second
	}
	if c.Locker == nil {
		if l, ok := storeAs[TokenLocker](s); ok {
			c.Locker = l
		} else if l, ok := c.Cache.(TokenLocker); ok {
			c.Locker = l
		}
	}
	if c.Cache == nil {
		if rc, ok := storeAs[RefreshResultCache](s); ok {
			c.Cache = rc
		} else {
			c.Cache = newMemoryCache(4096)
		}
	}
}

// TokenRefreshEvent describes one attempt to get a fresh provider token
// that did more than read it.
type TokenRefreshEvent struct {
	Provider string
	// Outcome is "refreshed" (this instance refreshed), "waited" (another
	// request or instance did, and this one used its result), "reauth"
	// (the provider refused the refresh token), "rejected" (the provider
	// refused the client), "unavailable" (a transient failure) or
	// "no_refresh_token".
	Outcome  string
	Duration time.Duration
}

// storeAs finds an optional interface of the Store (AccountTokenStore,
// TokenLocker, RefreshResultCache, SessionRevocationStore) on it or on the store it wraps: a
// wrapper (such as the one metrics.Instrument makes) that has an
// Unwrap() Store method passes them on.
func storeAs[T any](s Store) (T, bool) {
	for s != nil {
		if v, ok := s.(T); ok {
			return v, true
		}
		u, ok := s.(interface{ Unwrap() Store })
		if !ok {
			break
		}
		s = u.Unwrap()
	}
	var zero T
	return zero, false
}

// tokenState is what an Auth keeps for provider tokens.
type tokenState struct {
	sealer *tokenSealer
	flight singleflight.Group
}

// refresherFor returns the provider with the id if it can refresh.
func (a *Auth) refresherFor(id string) (TokenRefresher, error) {
	p, ok := a.byID[id].(TokenRefresher)
	if !ok {
		return nil, fmt.Errorf("latch: provider %q is not an OAuth provider that refreshes tokens: %w", id, ErrNoProviderAccount)
	}
	return p, nil
}

func (a *Auth) minValidity(d time.Duration) time.Duration {
	if d <= 0 {
		return a.cfg.ProviderTokens.MinValidity
	}
	return d
}

// fresh reports whether t is valid for at least d more.
func (a *Auth) fresh(t OAuthTokens, d time.Duration) bool {
	if t.AccessToken == "" {
		return false
	}
	return t.ExpiresAt == 0 || time.Unix(t.ExpiresAt, 0).Sub(a.now()) >= d
}

func providerToken(t OAuthTokens) *ProviderToken {
	pt := &ProviderToken{AccessToken: t.AccessToken, TokenType: t.TokenType, Scope: t.Scope, IDToken: t.IDToken}
	if t.ExpiresAt != 0 {
		pt.Expiry = time.Unix(t.ExpiresAt, 0)
	}
	return pt
}

// mergeRefreshed is the account's tokens after a refresh answered next:
// what the provider did not send again (refresh token, ID token, scope)
// stays.
func mergeRefreshed(old OAuthTokens, next *OAuthTokens) OAuthTokens {
	t := *next
	if t.RefreshToken == "" {
		t.RefreshToken = old.RefreshToken
	}
	if t.IDToken == "" {
		t.IDToken = old.IDToken
	}
	if t.Scope == "" {
		t.Scope = old.Scope
	}
	if t.TokenType == "" {
		t.TokenType = old.TokenType
	}
	if t.SessionState == "" {
		t.SessionState = old.SessionState
	}
	return t
}

// refreshErrorReauth is the RefreshError an account gets when the
// provider refused its refresh token.
const refreshErrorReauth = "invalid_grant"

// UserProviderToken returns an access token of the provider for the user,
// valid for at least minValidity (0: ProviderTokens.MinValidity), read
// from the user's linked account in the Store (which needs to be an
// [AccountTokenStore]) and refreshed with its refresh token when it
// expires sooner. Concurrent calls for one account make one refresh
// request, on this instance and, with a [TokenLocker], across instances;
// the others wait for it and get its result. Errors: ErrNoProviderAccount,
// ErrNoRefreshToken, ErrReauthRequired, ErrRefreshUnavailable (nothing
// changed), ErrRefreshRejected.
func (a *Auth) UserProviderToken(ctx context.Context, userID, providerID string, minValidity time.Duration) (*ProviderToken, error) {
	s, ok := storeAs[AccountTokenStore](a.cfg.Store)
	if !ok {
		return nil, errors.New("latch: UserProviderToken needs a Store that keeps account tokens (AccountTokenStore)")
	}
	p, err := a.refresherFor(providerID)
	if err != nil {
		return nil, err
	}
	minValidity = a.minValidity(minValidity)
	accs, err := a.cfg.Store.Accounts(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRefreshUnavailable, err)
	}
	var acc *LinkedAccount
	for i := range accs {
		if accs[i].Provider == providerID {
			acc = &accs[i]
			break
		}
	}
	if acc == nil {
		return nil, ErrNoProviderAccount
	}
	t, err := a.tokens.sealer.openTokens(acc.Provider, acc.ProviderAccountID, acc.OAuthTokens)
	if err != nil {
		return nil, err
	}
	if a.fresh(t, minValidity) {
		return providerToken(t), nil
	}
	if acc.RefreshError != "" {
		return nil, ErrReauthRequired
	}
	if t.RefreshToken == "" {
		a.tokenEvent(ctx, providerID, "no_refresh_token", 0)
		return nil, ErrNoRefreshToken
	}
	key := "account\x00" + providerID + "\x00" + acc.ProviderAccountID
	ch := a.tokens.flight.DoChan(key, func() (any, error) {
		return a.refreshAccount(context.WithoutCancel(ctx), s, p, providerID, acc.ProviderAccountID, minValidity)
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		tok := *res.Val.(*ProviderToken)
		return &tok, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrRefreshUnavailable, ctx.Err())
	}
}

// refreshAccount refreshes the tokens of one account under its lease: it
// reads the account again once it holds the lease (another instance may
// have refreshed meanwhile), refreshes, and stores the result.
func (a *Auth) refreshAccount(ctx context.Context, s AccountTokenStore, p TokenRefresher, provider, id string, minValidity time.Duration) (*ProviderToken, error) {
	start := time.Now()
	pt := &a.cfg.ProviderTokens
	// The lease may be held by a refresh as slow as Timeout; wait for it
	// a little longer than that, then give up (nothing changed).
	ctx, cancel := context.WithTimeout(ctx, 2*pt.Timeout+5*time.Second)
	defer cancel()
	if pt.Locker != nil {
		unlock, err := pt.Locker.LockTokens(ctx, "account:"+provider+":"+id)
		if err != nil {
			a.tokenEvent(ctx, provider, "unavailable", time.Since(start))
			return nil, fmt.Errorf("%w: lease: %w", ErrRefreshUnavailable, err)
		}
		defer unlock()
	}
	read := func() (*LinkedAccount, OAuthTokens, error) {
		acc, err := s.Account(ctx, provider, id)
		if errors.Is(err, ErrNotFound) {
			return nil, OAuthTokens{}, ErrNoProviderAccount
		}
		if err != nil {
			return nil, OAuthTokens{}, fmt.Errorf("%w: %w", ErrRefreshUnavailable, err)
		}
		t, err := a.tokens.sealer.openTokens(provider, id, acc.OAuthTokens)
		return acc, t, err
	}
	acc, t, err := read()
	if err != nil {
		return nil, err
	}
	switch {
	case a.fresh(t, minValidity):
		a.tokenEvent(ctx, provider, "waited", time.Since(start))
		return providerToken(t), nil
	case acc.RefreshError != "":
		return nil, ErrReauthRequired
	case t.RefreshToken == "":
		a.tokenEvent(ctx, provider, "no_refresh_token", time.Since(start))
		return nil, ErrNoRefreshToken
	}
	next, err := a.callRefresh(ctx, p, t.RefreshToken)
	if err != nil {
		outcome := refreshOutcome(err)
		a.tokenEvent(ctx, provider, outcome, time.Since(start))
		if outcome != "reauth" {
			return nil, err
		}
		// Another instance (whose lease ran out, or without one) may have
		// stored a newer token: the refusal is then of a token it burned.
		if acc2, t2, err2 := read(); err2 == nil && t2.RefreshToken != t.RefreshToken && acc2.RefreshError == "" && a.fresh(t2, 0) {
			return providerToken(t2), nil
		}
		if err := s.UpdateAccountTokens(ctx, provider, id, acc.OAuthTokens, refreshErrorReauth); err != nil {
			a.log.Error("latch: mark refused refresh token", "provider", provider, "err", err)
		}
		return nil, err
	}
	merged := mergeRefreshed(t, next)
	if err := s.UpdateAccountTokens(ctx, provider, id, a.tokens.sealer.sealTokens(provider, id, merged), ""); err != nil {
		// The provider may have burned the old refresh token: the new
		// tokens are still this caller's to use.
		a.log.Error("latch: store refreshed provider tokens", "provider", provider, "err", err)
	}
	a.tokenEvent(ctx, provider, "refreshed", time.Since(start))
	return providerToken(merged), nil
}

// callRefresh asks the provider for new tokens within the timeout, and
// classifies its errors.
func (a *Auth) callRefresh(ctx context.Context, p TokenRefresher, refreshToken string) (*OAuthTokens, error) {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.ProviderTokens.Timeout)
	defer cancel()
	next, err := p.RefreshToken(ctx, refreshToken)
	switch {
	case err == nil && (next == nil || next.AccessToken == ""):
		return nil, fmt.Errorf("%w: the provider answered no access token", ErrRefreshUnavailable)
	case err == nil:
		return next, nil
	case errors.Is(err, ErrReauthRequired), errors.Is(err, ErrRefreshRejected), errors.Is(err, ErrRefreshUnavailable):
		return nil, err
	default:
		return nil, fmt.Errorf("%w: %w", ErrRefreshUnavailable, err)
	}
}

func refreshOutcome(err error) string {
	switch {
	case errors.Is(err, ErrReauthRequired):
		return "reauth"
	case errors.Is(err, ErrRefreshRejected):
		return "rejected"
	case errors.Is(err, ErrNoRefreshToken):
		return "no_refresh_token"
	}
	return "unavailable"
}

func (a *Auth) tokenEvent(ctx context.Context, provider, outcome string, d time.Duration) {
	if outcome != "refreshed" && outcome != "waited" {
		a.log.Warn("latch: provider token refresh failed", "provider", provider, "outcome", outcome)
	}
	if f := a.cfg.Events.TokenRefresh; f != nil {
		f(ctx, TokenRefreshEvent{Provider: provider, Outcome: outcome, Duration: d})
	}
}

// memoryCache is the RefreshResultCache of one process: a bounded map
// whose entries expire.
type memoryCache struct {
	mu      sync.Mutex
	max     int
	entries map[string]memoryEntry
}

type memoryEntry struct {
	v       []byte
	expires time.Time
}

func newMemoryCache(max int) *memoryCache {
	return &memoryCache{max: max, entries: map[string]memoryEntry{}}
}

// PutRefreshResult implements [RefreshResultCache]. When the cache is
// full, expired entries go first, then any.
func (c *memoryCache) PutRefreshResult(_ context.Context, key string, v []byte, ttl time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if len(c.entries) >= c.max {
		for k, e := range c.entries {
			if now.After(e.expires) {
				delete(c.entries, k)
			}
		}
		for k := range c.entries { // still full: drop any
			if len(c.entries) < c.max {
				break
			}
			delete(c.entries, k)
		}
	}
	c.entries[key] = memoryEntry{v: v, expires: now.Add(ttl)}
	return nil
}

// RefreshResult implements [RefreshResultCache].
func (c *memoryCache) RefreshResult(_ context.Context, key string) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || time.Now().After(e.expires) {
		return nil, ErrNotFound
	}
	return e.v, nil
}

// AccountLister is a Store that lists every account in pages; store/sqlite,
// store/postgres and store/redis implement it. [Auth.SealAccountTokens]
// walks it.
type AccountLister interface {
	// AccountsAfter returns up to limit accounts ordered by provider, then
	// provider account id, that come after (provider, providerAccountID);
	// ("", "") starts at the first.
	AccountsAfter(ctx context.Context, provider, providerAccountID string, limit int) ([]LinkedAccount, error)
}

// SealAccountTokens seals the provider tokens that accounts hold in the
// clear (stored before Latch sealed them, or by a NextAuth adapter) with
// the first secret, and returns how many accounts it sealed. Each account
// is rewritten under its refresh lease, so a concurrent refresh is not
// undone. `latch migrate` runs it. Tokens sealed already are left as they
// are (also those sealed with an older secret, which still open).
func (a *Auth) SealAccountTokens(ctx context.Context) (int, error) {
	ts, ok := storeAs[AccountTokenStore](a.cfg.Store)
	lister, ok2 := storeAs[AccountLister](a.cfg.Store)
	if !ok || !ok2 {
		return 0, errors.New("latch: SealAccountTokens needs a Store that keeps and lists account tokens")
	}
	clear := func(t OAuthTokens) bool {
		for _, v := range []string{t.AccessToken, t.RefreshToken, t.IDToken} {
			if v != "" && !strings.HasPrefix(v, sealedPrefix) {
				return true
			}
		}
		return false
	}
	sealed := 0
	provider, id := "", ""
	for {
		page, err := lister.AccountsAfter(ctx, provider, id, 200)
		if err != nil {
			return sealed, err
		}
		if len(page) == 0 {
			return sealed, nil
		}
		for _, acc := range page {
			if !clear(acc.OAuthTokens) {
				continue
			}
			n, err := a.sealAccount(ctx, ts, acc.Provider, acc.ProviderAccountID, clear)
			if err != nil {
				return sealed, err
			}
			sealed += n
		}
		last := page[len(page)-1]
		provider, id = last.Provider, last.ProviderAccountID
	}
}

// sealAccount seals one account's clear tokens under its lease.
func (a *Auth) sealAccount(ctx context.Context, ts AccountTokenStore, provider, id string, clear func(OAuthTokens) bool) (int, error) {
	if l := a.cfg.ProviderTokens.Locker; l != nil {
		unlock, err := l.LockTokens(ctx, "account:"+provider+":"+id)
		if err != nil {
			return 0, err
		}
		defer unlock()
	}
	acc, err := ts.Account(ctx, provider, id)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if !clear(acc.OAuthTokens) {
		return 0, nil
	}
	t, err := a.tokens.sealer.openTokens(provider, id, acc.OAuthTokens)
	if err != nil {
		return 0, fmt.Errorf("latch: account %s of %s: %w", id, provider, err)
	}
	if err := ts.UpdateAccountTokens(ctx, provider, id, a.tokens.sealer.sealTokens(provider, id, t), acc.RefreshError); err != nil {
		return 0, err
	}
	return 1, nil
}
