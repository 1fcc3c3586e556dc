package latch

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// verificationHash is how a link's token is stored: hex(SHA-256(token +
// secret)), as NextAuth stores it.
func verificationHash(token, secret string) string {
	sum := sha256.Sum256([]byte(token + secret))
	return hex.EncodeToString(sum[:])
}

// startEmail answers POST <base>/signin/<id> for an email provider: it
// stores a token and sends the link.
func (a *Auth) startEmail(x *exchange, p EmailProvider) {
	ctx := x.r.Context()
	info := p.Info()
	raw := x.body.Get("email")
	if raw == "" {
		x.redirect(x.errorURL(CodeEmailSignin, ""), http.StatusOK)
		return
	}
	email, err := p.Normalize(ctx, x.r, raw)
	if err != nil {
		var le *Error
		if errors.As(err, &le) {
			x.fail(le, http.StatusOK, "")
			return
		}
		x.redirect(x.errorURL(CodeEmailSignin, ""), http.StatusOK)
		return
	}
	user := &User{ID: email, Email: email}
	if u, err := a.cfg.Store.UserByEmail(ctx, email); err == nil {
		user = &u.User
	} else if !errors.Is(err, ErrNotFound) {
		a.log.Error("latch: email sign-in: look up user", "err", err)
		x.redirect(x.errorURL(CodeEmailSignin, ""), http.StatusOK)
		return
	}
	account := &Account{Provider: info.ID, Type: TypeEmail, ProviderAccountID: email}
	if !a.checkSignIn(ctx, x, &SignInParams{User: user, Account: account, VerificationRequest: true}) {
		return
	}
	var b [32]byte
	rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	expires := a.now().Add(p.TokenMaxAge())
	q := "callbackUrl=" + url.QueryEscape(x.callbackURL) + "&token=" + token + "&email=" + url.QueryEscape(email)
	link := x.base + "/callback/" + url.PathEscape(info.ID) + "?" + q
	err = a.cfg.Store.CreateVerificationToken(ctx, VerificationToken{Identifier: email, Token: verificationHash(token, a.cfg.Secrets[0]), Expires: expires})
	if err == nil {
		host := strings.TrimPrefix(strings.TrimPrefix(x.origin, "https://"), "http://")
		err = p.SendVerificationRequest(ctx, VerificationRequest{Identifier: email, URL: link, Expires: expires, Host: host})
	}
	if err != nil {
		a.log.Error("latch: email sign-in: send link", "provider", info.ID, "err", err)
		x.redirect(x.errorURL(CodeEmailSignin, ""), http.StatusOK)
		return
	}
	x.redirect(x.base+"/verify-request?provider="+url.QueryEscape(info.ID)+"&type=email", http.StatusOK)
}

// emailCallback answers GET <base>/callback/<id>?token=..&email=.. : the
// link from the email, good once.
func (a *Auth) emailCallback(x *exchange, p EmailProvider) {
	ctx := x.r.Context()
	info := p.Info()
	q := x.r.URL.Query()
	token, email := q.Get("token"), q.Get("email")
	if token == "" {
		x.redirect(x.errorURL("configuration", ""), http.StatusOK)
		return
	}
	var vt *VerificationToken
	var err error = ErrNotFound
	for _, secret := range a.cfg.Secrets {
		if vt, err = a.cfg.Store.UseVerificationToken(ctx, email, verificationHash(token, secret)); !errors.Is(err, ErrNotFound) {
			break
		}
	}
	if err != nil || vt.Expires.Before(a.now()) {
		if err != nil && !errors.Is(err, ErrNotFound) {
			a.log.Error("latch: email callback: use token", "err", err)
		}
		x.redirect(x.errorURL(CodeVerification, ""), http.StatusOK)
		return
	}
	stored, err := a.cfg.Store.UserByEmail(ctx, vt.Identifier)
	switch {
	case err == nil:
		// A user whose address was never proven but who has provider
		// accounts was made by a provider that did not verify it: whoever
		// linked those must not receive the owner's sign-in.
		if stored.EmailVerified.IsZero() {
			accs, err := a.cfg.Store.Accounts(ctx, stored.ID)
			if err != nil {
				a.log.Error("latch: email callback: accounts", "err", err)
				x.redirect(x.errorURL(CodeCallback, ""), http.StatusOK)
				return
			}
			if len(accs) > 0 {
				x.redirect(x.errorURL(CodeOAuthAccountNotLinked, ""), http.StatusOK)
				return
			}
		}
	case errors.Is(err, ErrNotFound):
		stored = nil
	default:
		a.log.Error("latch: email callback: look up user", "err", err)
		x.redirect(x.errorURL(CodeCallback, ""), http.StatusOK)
		return
	}
	account := &Account{Provider: info.ID, Type: TypeEmail, ProviderAccountID: vt.Identifier}
	candidate := &User{ID: vt.Identifier, Email: vt.Identifier}
	if stored != nil {
		candidate = &stored.User
	}
	if !a.checkSignIn(ctx, x, &SignInParams{User: candidate, Account: account}) {
		return // refused before the user was created or updated
	}
	isNew := stored == nil
	if isNew {
		stored, err = a.cfg.Store.CreateUser(ctx, StoredUser{User: User{Email: vt.Identifier}, EmailVerified: a.now()})
		if err != nil {
			a.log.Error("latch: email callback: create user", "err", err)
			x.redirect(x.errorURL(CodeEmailCreateAccount, ""), http.StatusOK)
			return
		}
		if f := a.cfg.Events.CreateUser; f != nil {
			f(ctx, CreateUserEvent{User: &stored.User})
		}
	} else {
		stored.EmailVerified = a.now()
		if stored, err = a.cfg.Store.UpdateUser(ctx, *stored); err != nil {
			a.log.Error("latch: email callback: update user", "err", err)
			x.redirect(x.errorURL(CodeCallback, ""), http.StatusOK)
			return
		}
		if f := a.cfg.Events.UpdateUser; f != nil {
			f(ctx, UpdateUserEvent{User: &stored.User})
		}
	}
	if !a.startSession(x, &stored.User, account, nil, isNew) {
		return
	}
	x.redirect(x.callbackURL, http.StatusOK)
}
