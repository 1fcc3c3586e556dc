package latch

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/latchauth/latch/internal/pages"
)

// passkeyPage is what the built-in pages need to run passkey ceremonies;
// nil without a passkey provider.
func (a *Auth) passkeyPage(x *exchange) *pages.Passkey {
	if a.passkey == nil {
		return nil
	}
	p := &pages.Passkey{
		ScriptURL:   a.basePath + "/passkey.js",
		OptionsURL:  x.base + "/webauthn-options/" + a.passkey.id,
		CallbackURL: x.base + "/callback/" + a.passkey.id,
	}
	if a.passkey.p.SignUp {
		for _, pr := range a.providers {
			if _, ok := pr.(EmailProvider); ok {
				p.SignUpURL = x.base + "/signin/" + pr.Info().ID
				p.SignUpCallback = x.base + "/passkeys?new=1"
				break
			}
		}
	}
	return p
}

// scriptCSP lets the built-in pages run passkey.js when there is a passkey
// provider.
func (a *Auth) scriptCSP() func(http.Header) {
	if a.passkey == nil {
		return nil
	}
	return func(h http.Header) { h.Set("Content-Security-Policy", pages.ScriptCSP) }
}

// servePasskeySignInPage answers GET <base>/signin/<passkey id>: the page
// that runs a passkey sign-in and then goes to the callbackUrl.
func (a *Auth) servePasskeySignInPage(x *exchange) {
	d := pages.PasskeySignIn{
		Theme:       a.theme,
		Passkey:     *a.passkeyPage(x),
		CSRFToken:   x.csrfToken,
		CallbackURL: x.callbackURL,
		SignInURL:   x.base + "/signin?callbackUrl=" + url.QueryEscape(x.callbackURL),
	}
	x.htmlWith(http.StatusOK, a.scriptCSP(), func(w *strings.Builder) error { return pages.RenderPasskeySignIn(w, d) })
}

// servePasskeysPage answers GET <base>/passkeys, the signed-in user's
// passkeys, and POST <base>/passkeys, which removes one (remove=ID).
func (a *Auth) servePasskeysPage(x *exchange) {
	page := x.base + "/passkeys"
	ctx := x.r.Context()
	user, _, signIn := a.pageUser(x, page)
	if user == nil {
		return
	}
	message := ""
	if x.r.Method == http.MethodPost {
		if !x.csrfVerified {
			x.plainError(http.StatusForbidden, "Error: the form is out of date (CSRF check failed); reload the page and try again")
			return
		}
		id := x.body.Get("remove")
		if id == "" || len(id) > 1024 {
			x.plainError(http.StatusBadRequest, "Error: say which passkey to remove (remove)")
			return
		}
		// As adding one: a stolen session cookie alone must not lock the
		// user out of their passkeys.
		var err error
		if !x.freshSignIn(user.ID) {
			err = errNotFresh
		} else {
			err = a.passkey.store.DeleteAuthenticator(ctx, user.ID, id)
		}
		switch {
		case errors.Is(err, errNotFresh):
			message = "To remove a passkey, sign in again first (removing one needs a recent sign-in)."
		case errors.Is(err, ErrNotFound):
			message = "That passkey was removed already."
		case err != nil:
			a.log.Error("latch: remove passkey", "err", err)
			x.plainError(http.StatusInternalServerError, "Error: the passkey could not be removed")
			return
		default:
			a.log.Info("latch: passkey removed", "user", user.ID, "credential", id)
			x.writeCookies()
			x.w.Header().Set("Location", page)
			x.w.WriteHeader(http.StatusSeeOther)
			return
		}
	}
	recs, err := a.passkey.store.UserAuthenticators(ctx, user.ID)
	if err != nil {
		a.log.Error("latch: passkeys page", "err", err)
		x.plainError(http.StatusInternalServerError, "Error: the passkeys could not be read")
		return
	}
	d := pages.Passkeys{
		Theme: a.theme, Passkey: *a.passkeyPage(x), CSRFToken: x.csrfToken, PageURL: page,
		User: user.Email, Fresh: x.freshSignIn(user.ID), SignInURL: signIn, Message: message,
	}
	d.New = a.passkey.p.SignUp && x.r.Method == http.MethodGet && x.r.URL.Query().Get("new") == "1" && len(recs) == 0
	if d.User == "" {
		d.User = user.Name
	}
	for _, r := range recs {
		d.Items = append(d.Items, pages.PasskeyItem{ID: r.CredentialID, Name: r.Name, Created: r.Created, LastUsed: r.LastUsed})
	}
	x.htmlWith(http.StatusOK, a.scriptCSP(), func(w *strings.Builder) error { return pages.RenderPasskeys(w, d) })
}

var errNotFresh = errors.New("latch: the sign-in is not recent")
