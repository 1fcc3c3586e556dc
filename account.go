package latch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/latchauth/latch/internal/cookie"
	"github.com/latchauth/latch/internal/pages"
)

// accountDone are the messages of the account page after an action, by
// the "done" parameter of the redirect that follows it.
var accountDone = map[string]string{
	"password": "Your password was changed. Your other sessions were signed out.",
	"signout":  "That session was signed out.",
	"unlink":   "The sign-in method was unlinked.",
}

// serveAccountPage answers GET <base>/account, the signed-in user's
// account (password, sign-in methods, sessions), and its POSTs
// (action=password, signout-session, signout-everywhere, unlink), every
// one CSRF-checked and followed by a redirect to the page.
func (a *Auth) serveAccountPage(x *exchange) {
	page := x.base + "/account"
	user, sess, _ := a.pageUser(x, page)
	if user == nil {
		return
	}
	message, failed := accountDone[x.r.URL.Query().Get("done")], false
	if x.r.Method == http.MethodPost {
		if !x.csrfVerified {
			x.plainError(http.StatusForbidden, "Error: the form is out of date (CSRF check failed); reload the page and try again")
			return
		}
		done, msg, err := a.accountAction(x, user, sess)
		switch {
		case err != nil:
			a.log.Error("latch: account page", "action", x.body.Get("action"), "err", err)
			x.plainError(http.StatusInternalServerError, "Error: that could not be done; try again")
			return
		case done == "everywhere":
			x.writeCookies()
			x.w.Header().Set("Location", x.base+"/signin")
			x.w.WriteHeader(http.StatusSeeOther)
			return
		case done != "":
			x.writeCookies()
			x.w.Header().Set("Location", page+"?done="+done)
			x.w.WriteHeader(http.StatusSeeOther)
			return
		}
		message, failed = msg, true
	}
	d, err := a.accountData(x, user, sess)
	if err != nil {
		a.log.Error("latch: account page", "err", err)
		x.plainError(http.StatusInternalServerError, "Error: the account could not be read")
		return
	}
	d.Message, d.Error = message, failed
	d.PageURL = page
	x.writeCookies()
	x.html(http.StatusOK, func(w *strings.Builder) error { return pages.RenderAccount(w, d) })
}

// pageUser returns the signed-in user of a page of their own at page
// (the account, passkeys and two-factor pages), their session, and the
// sign-in URL that comes back to page. Without a signed-in user it
// redirects to that URL, and when the store fails it answers 500; user
// is then nil and the page is done.
func (a *Auth) pageUser(x *exchange, page string) (user *StoredUser, sess *Session, signIn string) {
	signIn = x.base + "/signin?callbackUrl=" + url.QueryEscape(page)
	sess = a.Session(x.r)
	if sess != nil && sess.UserID() != "" {
		u, err := a.cfg.Store.User(x.r.Context(), sess.UserID())
		if err != nil && !errors.Is(err, ErrNotFound) {
			a.log.Error("latch: read the user of a page", "page", page, "err", err)
			x.plainError(http.StatusInternalServerError, "Error: the account could not be read")
			return nil, nil, ""
		}
		user = u
	}
	if user == nil {
		x.redirect(signIn, http.StatusUnauthorized)
		return nil, nil, ""
	}
	return user, sess, signIn
}

// accountData is what the account page shows.
func (a *Auth) accountData(x *exchange, user *StoredUser, sess *Session) (pages.Account, error) {
	ctx := x.r.Context()
	d := pages.Account{Theme: a.theme, CSRFToken: x.csrfToken, Name: user.Name, Email: user.Email, SignOutURL: x.base + "/signout"}
	d.HasPassword = a.pw.change != nil && a.hasPassword(ctx, user.ID)
	if a.passkey != nil {
		d.PasskeysURL = x.base + "/passkeys"
	}
	if a.twoFactor != nil {
		d.TwoFactorURL = x.base + "/two-factor"
	}
	links, err := a.cfg.Store.Accounts(ctx, user.ID)
	if err != nil {
		return d, err
	}
	linked := map[string]bool{}
	for _, l := range links {
		linked[l.Provider] = true
	}
	for _, p := range a.providers {
		if _, ok := p.(OAuthProvider); ok && !linked[p.Info().ID] {
			info := p.Info()
			d.Linkable = append(d.Linkable, pages.Provider{ID: info.ID, Name: info.Name, Type: info.Type, SigninURL: x.base + "/signin/" + info.ID})
		}
	}
	ways := a.signInWays(ctx, user, links, d.HasPassword)
	for _, l := range links {
		name := l.Provider
		if p, ok := a.byID[l.Provider]; ok {
			name = p.Info().Name
		}
		d.Accounts = append(d.Accounts, pages.AccountLink{Provider: l.Provider, ProviderName: name, ID: l.ProviderAccountID, CanUnlink: ways > 1})
	}
	d.PageURL = x.base + "/account"
	d.Sessions, err = a.accountSessions(x, user.ID, sess)
	return d, err
}

// signInWays counts the ways the user can sign in: a password, each
// linked account, passkeys, and email sign-in.
func (a *Auth) signInWays(ctx context.Context, user *StoredUser, links []LinkedAccount, hasPassword bool) int {
	n := len(links)
	if hasPassword {
		n++
	}
	if user.Email != "" {
		for _, p := range a.providers {
			if _, ok := p.(EmailProvider); ok {
				n++
				break
			}
		}
	}
	if a.passkey != nil {
		if recs, err := a.passkey.store.UserAuthenticators(ctx, user.ID); err == nil && len(recs) > 0 {
			n++
		}
	}
	return n
}

// accountSessions lists the user's sessions, this browser's marked:
// database sessions, or the JWT sessions seen (sightings).
func (a *Auth) accountSessions(x *exchange, userID string, sess *Session) ([]pages.AccountSession, error) {
	ctx := x.r.Context()
	current := a.currentSessionID(x, sess)
	var out []pages.AccountSession
	if a.cfg.Strategy == DatabaseSessions {
		recs, err := a.cfg.Store.UserSessions(ctx, userID)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			id := sessionHandle(r.Token)
			out = append(out, pages.AccountSession{ID: id, LastSeen: r.Expires.Add(-a.cfg.MaxAge), Current: id == current})
		}
		return out, nil
	}
	if a.sightings != nil {
		seen, err := a.UserSessions(ctx, userID)
		if err != nil {
			return nil, err
		}
		for _, s := range seen {
			out = append(out, pages.AccountSession{ID: s.ID, SignedIn: s.SignedIn, LastSeen: s.LastSeen, IP: s.IP, UserAgent: s.UserAgent, Current: s.ID == current})
		}
	}
	if current == "" || !containsCurrent(out) {
		out = append([]pages.AccountSession{{Current: true, UserAgent: x.r.UserAgent()}}, out...)
	}
	return out, nil
}

func containsCurrent(list []pages.AccountSession) bool {
	for _, s := range list {
		if s.Current {
			return true
		}
	}
	return false
}

// currentSessionID is the ID the account page gives this browser's
// session: its "sid", or the handle of its database session.
func (a *Auth) currentSessionID(x *exchange, sess *Session) string {
	if a.cfg.Strategy == DatabaseSessions {
		raw, _ := cookie.Join(x.names.session, x.cookies)
		if raw == "" {
			return ""
		}
		return sessionHandle(raw)
	}
	if t := sess.sessionToken(); t != nil {
		return t.str("sid")
	}
	return ""
}

// sessionHandle names a database session on the account page without
// showing its token.
func sessionHandle(token string) string {
	sum := sha256.Sum256([]byte("latch session handle\x00" + token))
	return hex.EncodeToString(sum[:12])
}

// accountAction does a POST of the account page. done names the message
// of the redirect that follows ("everywhere": to the sign-in page); msg
// is a refusal to show on the page; err a failure.
func (a *Auth) accountAction(x *exchange, user *StoredUser, sess *Session) (done, msg string, err error) {
	ctx := x.r.Context()
	switch x.body.Get("action") {
	case "password":
		change := a.pw.change
		if change == nil || !a.hasPassword(ctx, user.ID) {
			return "", "This account has no password to change.", nil
		}
		current, next := x.body.Get("current"), x.body.Get("new")
		if next != x.body.Get("confirm") {
			return "", "The two new passwords differ.", nil
		}
		err := change(ctx, x.r, user, current, next)
		var le *Error
		var se *SignUpError
		switch {
		case errors.As(err, &se):
			return "", "The new password was refused: " + se.Message + ".", nil
		case errors.As(err, &le) && le.Code == CodeCredentialsSignin:
			return "", "The current password is wrong.", nil
		case errors.As(err, &le) && le.Code == CodeTooManyRequests:
			return "", "Too many tries. Please wait a moment and try again.", nil
		case err != nil:
			return "", "", err
		}
		a.log.Info("latch: password changed", "user", user.ID)
		// Every other session ends; this browser gets a new one.
		if err := a.endSessionsBefore(ctx, user.ID, a.now().Truncate(time.Second).Add(-time.Nanosecond)); err != nil {
			return "", "", err
		}
		if err := a.reissueSession(x, user); err != nil {
			return "", "", err
		}
		return "password", "", nil
	case "signout-session":
		id := x.body.Get("session")
		if id == "" || len(id) > 128 || id == a.currentSessionID(x, sess) {
			return "", "Say which other session to sign out.", nil
		}
		list, err := a.accountSessions(x, user.ID, sess)
		if err != nil {
			return "", "", err
		}
		for _, s := range list {
			if s.ID != id {
				continue
			}
			if a.cfg.Strategy == DatabaseSessions {
				err = a.deleteSessionByHandle(ctx, user.ID, id)
			} else {
				err = a.RevokeSession(ctx, id)
			}
			if err != nil {
				return "", "", err
			}
			return "signout", "", nil
		}
		return "", "That session was signed out already.", nil
	case "signout-everywhere":
		if _, err := a.RevokeUserSessions(ctx, user.ID); err != nil {
			return "", "", err
		}
		_, names := cookie.Join(x.names.session, x.cookies)
		x.clearSession(names)
		return "everywhere", "", nil
	case "unlink":
		provider, id := x.body.Get("provider"), x.body.Get("id")
		links, err := a.cfg.Store.Accounts(ctx, user.ID)
		if err != nil {
			return "", "", err
		}
		for _, l := range links {
			if l.Provider != provider || l.ProviderAccountID != id {
				continue
			}
			if a.signInWays(ctx, user, links, a.pw.change != nil && a.hasPassword(ctx, user.ID)) < 2 {
				return "", "That is your only way to sign in: add another one first.", nil
			}
			if err := a.cfg.Store.UnlinkAccount(ctx, provider, id); err != nil && !errors.Is(err, ErrNotFound) {
				return "", "", err
			}
			return "unlink", "", nil
		}
		return "", "That sign-in method is not linked to your account.", nil
	}
	return "", "Unknown action.", nil
}

// passwordHooks are what the account, "forgot password" and sign-up
// pages use: the first email provider, and the password hooks of the
// first credentials provider that has each. New sets them once.
type passwordHooks struct {
	email  EmailProvider
	change func(context.Context, *http.Request, *StoredUser, string, string) error
	set    func(context.Context, *StoredUser, string) error
	hash   func(context.Context, string) (string, error)
}

func newPasswordHooks(providers []Provider) passwordHooks {
	var h passwordHooks
	for _, p := range providers {
		switch p := p.(type) {
		case EmailProvider:
			if h.email == nil {
				h.email = p
			}
		case *Credentials:
			if h.change == nil {
				h.change = p.ChangePassword
			}
			if h.set == nil {
				h.set = p.SetPassword
			}
			if h.hash == nil {
				h.hash = p.HashPassword
			}
		}
	}
	return h
}

// hasPassword reports whether the store has a password for the user.
func (a *Auth) hasPassword(ctx context.Context, userID string) bool {
	ps, ok := storeAs[interface {
		PasswordHash(ctx context.Context, userID string) (string, error)
	}](a.cfg.Store)
	if !ok {
		return false
	}
	h, err := ps.PasswordHash(ctx, userID)
	return err == nil && h != ""
}

// endSessionsBefore ends the user's sessions signed in before t: JWT
// sessions by a revocation mark, database sessions by deleting them all.
func (a *Auth) endSessionsBefore(ctx context.Context, userID string, t time.Time) error {
	if rs, ok := storeAs[SessionRevocationStore](a.cfg.Store); ok {
		if err := rs.RevokeSessionsBefore(ctx, userID, t); err != nil {
			return err
		}
		a.forgetRevocations()
	}
	if a.cfg.Strategy == DatabaseSessions {
		_, err := a.cfg.Store.DeleteUserSessions(ctx, userID)
		return err
	}
	return nil
}

// reissueSession gives this browser a new session of the user, as a new
// sign-in would (after its old one was ended).
func (a *Auth) reissueSession(x *exchange, user *StoredUser) error {
	_, names := cookie.Join(x.names.session, x.cookies)
	if a.cfg.Strategy == DatabaseSessions {
		return a.createDatabaseSession(x, user.ID, names)
	}
	u := user.User
	token, err := a.runJWT(x.r.Context(), &JWTParams{Token: tokenFor(&u), User: &u, Trigger: "signIn"})
	if err != nil {
		return err
	}
	a.markSignIn(x.r, token)
	return x.writeSession(token, names, a.now().Add(a.cfg.MaxAge))
}

// deleteSessionByHandle deletes the user's database session with the
// handle.
func (a *Auth) deleteSessionByHandle(ctx context.Context, userID, handle string) error {
	recs, err := a.cfg.Store.UserSessions(ctx, userID)
	if err != nil {
		return err
	}
	for _, r := range recs {
		if sessionHandle(r.Token) == handle {
			if _, err := a.cfg.Store.DeleteSession(ctx, r.Token); err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
		}
	}
	return nil
}
