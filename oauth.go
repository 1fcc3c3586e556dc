package latch

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/latchauth/latch/internal/cookie"
	"github.com/latchauth/latch/jwt"
)

// checkCookieLife is how long an OAuth sign-in may take: the life of the
// state, PKCE and nonce cookies.
const checkCookieLife = 15 * time.Minute

// maxCarried bounds the session cookie value and callback URL that a
// FormPost sign-in carries in one check cookie, which must stay within a
// browser's 4096 bytes once encrypted.
const maxCarried = 2400

func randomToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// startOAuth answers POST <base>/signin/<id> for an OAuth provider: it
// sets the check cookies and sends the browser to the provider.
func (a *Auth) startOAuth(x *exchange, p OAuthProvider) {
	info := p.Info()
	checks := p.Checks()
	req := AuthorizationRequest{RedirectURI: x.base + "/callback/" + info.ID, Params: x.r.URL.Query()}
	opts := checkCookieOptions(x.names.opts, checks)
	// The callback-url and session cookies will not come with a FormPost
	// provider's cross-site POST: the check cookies carry them, the
	// session (to link the account to a signed-in user) in the first one
	// only, and only when it is small.
	session := ""
	if checks.FormPost {
		if raw, _ := joinNames(x); len(raw)+len(x.callbackURL) <= maxCarried {
			session = raw
		}
	}
	set := func(name, value string, maxAge bool) error {
		claims := jwt.Claims{"value": value, "provider": info.ID}
		if checks.FormPost {
			claims["callbackUrl"] = x.callbackURL
			if session != "" {
				claims["session"], session = session, ""
			}
		}
		v, err := x.names.checks[name].Encode(claims, a.now(), checkCookieLife)
		if err != nil {
			return err
		}
		age := -1
		if maxAge {
			age = int(checkCookieLife / time.Second)
		}
		x.setCookie(name, cookie.Serialize(name, v, age, a.now().Add(checkCookieLife), opts))
		return nil
	}
	var err error
	if checks.State {
		req.State = randomToken()
		err = errors.Join(err, set(x.names.state, req.State, true))
	}
	if checks.PKCE {
		verifier := randomToken()
		sum := sha256.Sum256([]byte(verifier))
		req.CodeChallenge = base64.RawURLEncoding.EncodeToString(sum[:])
		err = errors.Join(err, set(x.names.pkce, verifier, true))
	}
	if checks.Nonce {
		req.Nonce = randomToken()
		err = errors.Join(err, set(x.names.nonce, req.Nonce, false))
	}
	var to string
	if err == nil {
		to, err = p.AuthCodeURL(x.r.Context(), req)
	}
	if err != nil {
		a.log.Error("latch: start OAuth sign-in", "provider", info.ID, "err", err)
		x.redirect(x.errorURL(CodeOAuthSignin, ""), http.StatusOK)
		return
	}
	x.redirect(to, http.StatusOK)
}

// checkCookieOptions are the attributes of the OAuth check cookies: the
// other cookies' attributes, but SameSite=None on https for a provider
// that POSTs the callback from its own site.
func checkCookieOptions(opts cookie.Options, checks OAuthChecks) cookie.Options {
	if checks.FormPost && opts.Secure {
		opts.SameSite = "None"
	}
	return opts
}

// oauthCallback answers GET/POST <base>/callback/<id> for an OAuth
// provider.
func (a *Auth) oauthCallback(x *exchange, p OAuthProvider) {
	ctx := x.r.Context()
	info := p.Info()
	params := x.r.URL.Query()
	if x.r.Method == http.MethodPost { // response_mode=form_post
		params = url.Values{}
		for k, v := range x.body.Values {
			params.Set(k, v)
		}
	}
	fail := func(code string, err error, attrs ...any) {
		a.log.Warn("latch: OAuth callback failed", append([]any{"provider", info.ID, "code", code, "err", err}, attrs...)...)
		x.redirect(x.errorURL(code, ""), http.StatusOK)
	}
	// The provider answered an error (access_denied: the user cancelled
	// there). NextAuth 4 reads it from the body, else the query, and
	// answers Callback, not OAuthCallback.
	if e := cmp.Or(x.body.Get("error"), x.r.URL.Query().Get("error")); e != "" {
		fail(CodeCallback, errors.New("the provider answered an error"), "error", limit(e, 64), "error_description", limit(cmp.Or(params.Get("error_description"), x.r.URL.Query().Get("error_description")), 256))
		return
	}
	checks := p.Checks()
	req := CallbackRequest{RedirectURI: x.base + "/callback/" + info.ID, Code: params.Get("code"), Params: params}
	opts := checkCookieOptions(x.names.opts, checks)
	callbackURL, startedAs := "", "" // from a check cookie, for FormPost providers
	read := func(name string) (string, error) {
		raw, ok := cookie.Get(x.cookies, name)
		x.setCookie(name, cookie.Clear(name, opts))
		if !ok {
			return "", fmt.Errorf("%s cookie is missing", name)
		}
		claims, err := x.names.checks[name].Decode(raw, a.now())
		if err != nil {
			return "", fmt.Errorf("%s cookie: %w", name, err)
		}
		if claims["provider"] != info.ID {
			return "", fmt.Errorf("%s cookie was created for another provider", name)
		}
		v, _ := claims["value"].(string)
		if v == "" {
			return "", fmt.Errorf("%s cookie has no value", name)
		}
		if u, _ := claims["callbackUrl"].(string); u != "" && callbackURL == "" {
			callbackURL = u
		}
		if raw, _ := claims["session"].(string); raw != "" && startedAs == "" {
			startedAs = raw
		}
		return v, nil
	}
	if checks.State {
		state, err := read(x.names.state)
		if err == nil && subtle.ConstantTimeCompare([]byte(state), []byte(params.Get("state"))) != 1 {
			err = errors.New("state mismatch")
		}
		if err != nil {
			fail(CodeOAuthCallback, err)
			return
		}
	}
	var err error
	if checks.PKCE {
		if req.CodeVerifier, err = read(x.names.pkce); err != nil {
			fail(CodeOAuthCallback, err)
			return
		}
	}
	if checks.Nonce {
		if req.Nonce, err = read(x.names.nonce); err != nil {
			fail(CodeOAuthCallback, err)
			return
		}
	}
	if checks.FormPost && x.r.Method == http.MethodPost {
		if _, sent := cookie.Get(x.cookies, x.names.callbackURL); !sent && callbackURL != "" {
			x.setCallbackURL(a.redirectTo(callbackURL, x.origin))
		}
		if raw, _ := joinNames(x); raw == "" {
			x.startedAs = startedAs
		}
	}
	profile, err := p.Exchange(ctx, req)
	if err != nil {
		fail(CodeOAuthCallback, err)
		return
	}
	if profile == nil || profile.ID == "" {
		a.log.Warn("latch: OAuth profile without id", "provider", info.ID)
		x.redirect(x.base+"/signin", http.StatusOK)
		return
	}
	account := &LinkedAccount{
		Account:     Account{Provider: info.ID, Type: TypeOAuth, ProviderAccountID: profile.ID},
		OAuthTokens: profile.Tokens,
	}
	user, commit, err := a.planOAuthUser(x, p, profile, account)
	if err == nil && !a.checkSignIn(ctx, x, &SignInParams{User: user, Account: &account.Account, Profile: profile}) {
		return // refused before anything was written
	}
	isNew := false
	if err == nil {
		user, isNew, err = commit()
	}
	if err != nil {
		var le *Error
		if errors.As(err, &le) {
			fail(le.Code, err)
		} else {
			fail(CodeCallback, err)
		}
		return
	}
	if !a.startSession(x, user, &account.Account, profile, isNew) {
		return
	}
	x.redirect(x.callbackURL, http.StatusOK)
}

// planOAuthUser decides, without writing anything, which user an OAuth
// sign-in signs in, as NextAuth does: the user the account is linked to;
// else the signed-in user, who links it; else the user with the same
// verified email when the provider allows linking; else a new user. It
// returns that user (for the SignIn callback) and the function that
// performs the writes (create, link) once the sign-in is allowed. Without
// a Store the profile is the user.
func (a *Auth) planOAuthUser(x *exchange, p OAuthProvider, profile *OAuthProfile, account *LinkedAccount) (*User, func() (*User, bool, error), error) {
	fromProfile := &User{ID: profile.ID, Name: profile.Name, Email: profile.Email, Image: profile.Image}
	s := a.cfg.Store
	if s == nil {
		return fromProfile, func() (*User, bool, error) { return fromProfile, false, nil }, nil
	}
	ctx := x.r.Context()
	link := func(u *StoredUser) func() (*User, bool, error) {
		return func() (*User, bool, error) {
			account.UserID = u.ID
			stored := *account
			stored.OAuthTokens = a.tokens.sealer.sealTokens(account.Provider, account.ProviderAccountID, account.OAuthTokens)
			if err := s.LinkAccount(ctx, stored); err != nil {
				return nil, false, err
			}
			a.fireLinkAccount(ctx, &u.User, account)
			return &u.User, false, nil
		}
	}
	current, err := a.currentUser(x)
	if err != nil {
		return nil, nil, err
	}
	linked, err := s.UserByAccount(ctx, account.Provider, account.ProviderAccountID)
	switch {
	case err == nil:
		if current != nil && current.ID != linked.ID {
			return nil, nil, &Error{Code: CodeOAuthAccountNotLinked, Err: errors.New("the account is linked to another user")}
		}
		return &linked.User, func() (*User, bool, error) {
			// A new sign-in brings new tokens (and ends a refused refresh).
			if ts, ok := storeAs[AccountTokenStore](s); ok && account.AccessToken != "" {
				sealed := a.tokens.sealer.sealTokens(account.Provider, account.ProviderAccountID, account.OAuthTokens)
				if err := ts.UpdateAccountTokens(ctx, account.Provider, account.ProviderAccountID, sealed, ""); err != nil {
					return nil, false, err
				}
			}
			return &linked.User, false, nil
		}, nil
	case !errors.Is(err, ErrNotFound):
		return nil, nil, err
	}
	if current != nil { // a signed-in user links another provider
		return &current.User, link(current), nil
	}
	if profile.Email != "" {
		existing, err := s.UserByEmail(ctx, profile.Email)
		switch {
		case err == nil:
			// Both sides must have proven the address: the provider now,
			// and the existing user before (else whoever registered the
			// address first, unverified, would get the account).
			if !p.AllowEmailLinking() || !profile.EmailVerified || existing.EmailVerified.IsZero() {
				return nil, nil, &Error{Code: CodeOAuthAccountNotLinked, Err: errors.New("the email belongs to a user without this account")}
			}
			return &existing.User, link(existing), nil
		case !errors.Is(err, ErrNotFound):
			return nil, nil, err
		}
	}
	return fromProfile, func() (*User, bool, error) {
		nu := StoredUser{User: User{Name: profile.Name, Email: profile.Email, Image: profile.Image}}
		if profile.EmailVerified {
			nu.EmailVerified = a.now()
		}
		created, err := s.CreateUser(ctx, nu)
		if err != nil {
			return nil, false, &Error{Code: CodeOAuthCreateAccount, Err: err}
		}
		if f := a.cfg.Events.CreateUser; f != nil {
			f(ctx, CreateUserEvent{User: &created.User})
		}
		u, _, err := link(created)()
		return u, true, err
	}, nil
}

func (a *Auth) fireLinkAccount(ctx context.Context, u *User, acc *LinkedAccount) {
	if f := a.cfg.Events.LinkAccount; f != nil {
		f(ctx, LinkAccountEvent{User: u, Account: &acc.Account})
	}
}

// currentUser is the stored user signed in on this request, or nil. The
// session is checked as GET <base>/session checks it (a JWT the JWT
// callback ends counts as signed out), and its user must exist. For a
// FormPost callback without the session cookie, it is the session the
// sign-in started with, checked now: one that ended since links nothing.
func (a *Auth) currentUser(x *exchange) (*StoredUser, error) {
	raw, _ := joinNames(x)
	if raw == "" {
		raw = x.startedAs // still checked as if it came now
	}
	if raw == "" {
		return nil, nil
	}
	ctx := x.r.Context()
	var id string
	if a.cfg.Strategy == DatabaseSessions {
		rec, _, err := a.lookupSession(ctx, raw, a.now())
		if err != nil {
			return nil, nil
		}
		id = rec.UserID
	} else {
		t, err := a.decodeToken(x.names.sessions, raw)
		if err != nil {
			return nil, nil
		}
		if t, err = a.runJWT(ctx, &JWTParams{Token: t}); err != nil {
			return nil, nil
		}
		id = t.Subject()
	}
	u, err := a.cfg.Store.User(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return u, err
}
