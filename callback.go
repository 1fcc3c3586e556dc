package latch

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// serveCallback answers GET/POST <base>/callback/<provider>.
func (a *Auth) serveCallback(x *exchange) {
	p := a.byID[x.provider]
	if p == nil {
		unsupported(x.w, x.r)
		return
	}
	switch p := p.(type) {
	case *Credentials:
		a.credentialsCallback(x, p)
	case *Passkey:
		a.passkeyCallback(x)
	case OAuthProvider:
		a.oauthCallback(x, p)
	case EmailProvider:
		a.emailCallback(x, p)
	default:
		unsupported(x.w, x.r)
	}
}

// credentialsCallback signs a user in with submitted credentials.
func (a *Auth) credentialsCallback(x *exchange, p *Credentials) {
	if x.r.Method != http.MethodPost {
		x.w.Header().Set("Allow", http.MethodPost)
		x.plainError(http.StatusMethodNotAllowed, "Error: credentials are submitted with POST")
		return
	}
	if !x.csrfVerified {
		x.redirect(x.base+"/signin?csrf=true", http.StatusOK)
		return
	}
	ctx := x.r.Context()
	info := p.Info()
	twoFactor := p.SecondFactor && a.twoFactor != nil
	var user *User
	var err error
	if pending := ""; twoFactor && x.body.Get("code") != "" && x.body.Get("password") == "" {
		// The second step of the built-in sign-in page: the password was
		// right moments ago, in this browser.
		if pending = x.pendingSecondFactor(info.ID); pending != "" {
			var su *StoredUser
			if su, err = a.cfg.Store.User(ctx, pending); err == nil {
				user = &su.User
			} else if errors.Is(err, ErrNotFound) {
				err = nil
			}
		}
	} else {
		user, err = p.Authorize(ctx, x.body.Values, x.r)
	}
	// A refused password goes back to the page with the address filled
	// in, and the wait of a rate limit.
	tried := strings.TrimSpace(x.body.Get("email"))
	var le *Error
	switch {
	case errors.As(err, &le):
		x.keepEmail, x.retryAfter = tried, le.RetryAfter
		provider := ""
		if le.Code == CodeCredentialsSignin {
			provider = info.ID
		}
		x.fail(le, http.StatusUnauthorized, provider)
		return
	case err != nil:
		// NextAuth answers 401 with the thrown message as the code; the
		// message of a Go error may hold internals, so it goes to the log.
		a.log.Error("latch: credentials authorize failed", "provider", info.ID, "err", err)
		x.redirect(x.errorURL(CodeCallback, ""), http.StatusUnauthorized)
		return
	case user == nil:
		x.keepEmail = tried
		x.redirect(x.errorURL(CodeCredentialsSignin, info.ID), http.StatusUnauthorized)
		return
	}
	if twoFactor {
		le, err := a.checkSecondFactor(ctx, x.r, user.ID, x.body.Get("code"))
		if err != nil {
			a.log.Error("latch: second factor", "provider", info.ID, "err", err)
			x.redirect(x.errorURL(CodeCallback, ""), http.StatusInternalServerError)
			return
		}
		if le != nil {
			if le.Code != CodeTooManyRequests {
				x.setPendingSecondFactor(user.ID, info.ID)
			}
			x.fail(le, http.StatusUnauthorized, "")
			return
		}
		x.clearPendingSecondFactor()
	}
	account := &Account{Provider: info.ID, Type: TypeCredentials, ProviderAccountID: user.ID}
	if !a.checkSignIn(ctx, x, &SignInParams{User: user, Account: account, Credentials: x.body.Values}) {
		return
	}
	if !a.startSession(x, user, account, nil, false) {
		return
	}
	x.redirect(x.callbackURL, http.StatusOK)
}

// fail ends a sign-in at the error URL of e, with e's status (else
// status) and Retry-After.
func (x *exchange) fail(e *Error, status int, provider string) {
	if e.Status != 0 {
		status = e.Status
	}
	if e.RetryAfter > 0 {
		x.w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	x.redirect(x.errorURL(e.Code, provider), status)
}

// startSession writes the session cookie for a user who just signed in and
// fires the SignIn event. It reports whether it succeeded (false: an error
// has been answered).
func (a *Auth) startSession(x *exchange, user *User, account *Account, profile *OAuthProfile, isNew bool) bool {
	ctx := x.r.Context()
	_, names := joinNames(x)
	var err error
	if a.cfg.Strategy == DatabaseSessions {
		old, _ := joinNames(x)
		if old == "" {
			old = x.startedAs // a FormPost callback comes without the cookie
		}
		if old != "" {
			a.endDatabaseSession(x, old) // a new sign-in replaces the old session
		}
		err = a.createDatabaseSession(x, user.ID, names)
	} else {
		var token Token
		trigger := "signIn"
		if isNew {
			trigger = "signUp"
		}
		t := tokenFor(user)
		if profile != nil && a.keepsSessionTokens(account.Provider) && profile.Tokens.AccessToken != "" {
			setTokensIn(t, map[string]sessionTokens{account.Provider: sessionTokensOf(profile.Tokens)})
		}
		token, err = a.runJWT(ctx, &JWTParams{Token: t, User: user, Account: account, Profile: profile, Trigger: trigger})
		if err == nil {
			a.markSignIn(x.r, token)
			err = x.writeSession(token, names, a.now().Add(a.cfg.MaxAge))
		}
	}
	if err != nil {
		a.log.Error("latch: start session", "provider", account.Provider, "err", err)
		x.redirect(x.errorURL(CodeCallback, ""), http.StatusInternalServerError)
		return false
	}
	x.setAuthTime(user.ID)
	if f := a.cfg.Events.SignIn; f != nil {
		f(ctx, SignInEvent{User: user, Account: account, Profile: profile, IsNewUser: isNew, Request: x.r})
	}
	return true
}
