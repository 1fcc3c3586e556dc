package latch

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/latchauth/latch/internal/cookie"
	"github.com/latchauth/latch/internal/pages"
)

func joinNames(x *exchange) (string, []string) {
	return cookie.Join(x.names.session, x.cookies)
}

// serveSignOutPage answers GET <base>/signout.
func (a *Auth) serveSignOutPage(x *exchange) {
	if p := a.cfg.Pages.SignOut; p != "" {
		x.redirect(p, http.StatusFound)
		return
	}
	d := pages.SignOut{Theme: a.theme, ActionURL: x.base + "/signout", CSRFToken: x.csrfToken}
	x.html(http.StatusOK, func(w *strings.Builder) error { return pages.RenderSignOut(w, d) })
}

// serveSignOut answers POST <base>/signout: it ends the session.
func (a *Auth) serveSignOut(x *exchange) {
	if !x.csrfVerified {
		x.redirect(x.base+"/signout?csrf=true", http.StatusOK)
		return
	}
	raw, names := joinNames(x)
	to := x.callbackURL
	if len(names) > 0 {
		e := SignOutEvent{Request: x.r}
		userID := ""
		if a.cfg.Strategy == DatabaseSessions {
			e.Session = a.endDatabaseSession(x, raw)
			if e.Session != nil {
				userID = e.Session.UserID
			}
		} else {
			e.Token, _ = a.decodeToken(x.names.sessions, raw)
			userID = e.Token.Subject()
		}
		if (e.Token != nil || e.Session != nil) && a.signsOutAtProviders {
			if u := a.providerSignOut(x, e.Token, userID); u != "" {
				to = u
			}
		}
		if f := a.cfg.Events.SignOut; f != nil {
			f(x.r.Context(), e)
		}
		x.clearSession(names)
	}
	// An OAuth sign-in still in progress ends too: a FormPost callback,
	// which comes without the session cookie, would otherwise link an
	// account to the session its check cookie carries. So do the sign-in
	// time (the freshness of adding a passkey or a second factor), a
	// pending second step and a passkey ceremony.
	for _, name := range []string{x.names.state, x.names.pkce, x.names.nonce, x.names.authTime, x.names.pending2FA, x.names.challenge} {
		if _, ok := cookie.Get(x.cookies, name); ok {
			x.setCookie(name, cookie.Clear(name, x.names.opts))
		}
	}
	x.redirect(to, http.StatusOK)
}

// serveError answers GET <base>/error?error=CODE.
func (a *Auth) serveError(x *exchange) {
	code := x.r.URL.Query().Get("error")
	if code == "" {
		code = x.provider
	}
	if signInPageCodes[code] {
		q := "error=" + cookie.Encode(code)
		// The address tried and the wait of a rate limit, for the page.
		if email := x.r.URL.Query().Get("email"); email != "" && len(email) <= maxKeptEmail {
			q += "&email=" + url.QueryEscape(email)
		}
		if n, err := strconv.Atoi(x.r.URL.Query().Get("retryAfter")); err == nil && n > 0 && n <= maxRetryAfter {
			q += "&retryAfter=" + strconv.Itoa(n)
		}
		x.redirect(x.base+"/signin?"+q, http.StatusFound)
		return
	}
	if p := a.cfg.Pages.Error; p != "" {
		x.redirect(withQuery(p, "error="+cookie.Encode(code)), http.StatusFound)
		return
	}
	d := pages.Error{Theme: a.theme, Code: code, HomeURL: x.origin, SignInURL: x.base + "/signin"}
	x.html(pages.ErrorStatus(code), func(w *strings.Builder) error { return pages.RenderError(w, d) })
}
