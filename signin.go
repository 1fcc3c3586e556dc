package latch

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/latchauth/latch/internal/pages"
)

// serveProviders answers GET <base>/providers: the providers keyed by id,
// in configuration order as NextAuth writes them.
func (a *Auth) serveProviders(x *exchange) {
	type entry struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		Type        string `json:"type"`
		SigninURL   string `json:"signinUrl"`
		CallbackURL string `json:"callbackUrl"`
	}
	b := []byte{'{'}
	for i, p := range a.providers {
		info := p.Info()
		v, err := marshalJS(entry{info.ID, info.Name, info.Type, x.base + "/signin/" + info.ID, x.base + "/callback/" + info.ID})
		if err != nil {
			x.json(http.StatusInternalServerError, struct{}{})
			return
		}
		if i > 0 {
			b = append(b, ',')
		}
		id, _ := marshalJS(info.ID)
		b = append(append(append(b, id...), ':'), v...)
	}
	b = append(b, '}')
	x.w.Header().Set("Content-Type", "application/json")
	x.w.Write(b)
}

// serveCSRF answers GET <base>/csrf.
func (a *Auth) serveCSRF(x *exchange) {
	noCache(x.w.Header())
	x.json(http.StatusOK, map[string]string{"csrfToken": x.csrfToken})
}

// serveLog answers POST <base>/_log, the client-side logger's sink.
func (a *Auth) serveLog(x *exchange) {
	x.r.Body = http.MaxBytesReader(x.w, x.r.Body, x.a.cfg.MaxBodyBytes)
	if err := x.r.ParseForm(); err == nil {
		a.log.Debug("latch: client log", "level", limit(x.r.PostForm.Get("level"), 16), "code", limit(x.r.PostForm.Get("code"), 64), "message", limit(x.r.PostForm.Get("message"), 256))
	}
	x.writeJSON(http.StatusOK, struct{}{})
}

func limit(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// maxRetryAfter bounds the wait (seconds) the sign-in page shows.
const maxRetryAfter = 24 * 60 * 60

// serveSignInPage answers GET <base>/signin[/provider].
func (a *Auth) serveSignInPage(x *exchange) {
	if a.passkey != nil && x.provider == a.passkey.id {
		a.servePasskeySignInPage(x)
		return
	}
	code := x.r.URL.Query().Get("error")
	if p := a.cfg.Pages.SignIn; p != "" {
		if code == "" {
			code = x.provider // NextAuth's quirk: error = query.error ?? providerId
		}
		q := "callbackUrl=" + url.QueryEscape(x.callbackURL)
		if code != "" {
			q += "&error=" + url.QueryEscape(code)
		}
		x.redirect(withQuery(p, q), http.StatusFound)
		return
	}
	d := pages.SignIn{
		Theme:       a.theme,
		CSRFToken:   x.csrfToken,
		CallbackURL: x.callbackURL,
		Error:       code,
		Email:       x.r.URL.Query().Get("email"),
		Passkey:     a.passkeyPage(x),
	}
	if a.resetsPasswords() {
		d.ForgotPasswordURL = x.base + "/forgot-password"
	}
	if a.signsUp() {
		d.SignUpURL = x.base + "/signup"
	}
	if n, err := strconv.Atoi(x.r.URL.Query().Get("retryAfter")); err == nil && n > 0 && n <= maxRetryAfter {
		d.RetryAfter = time.Duration(n) * time.Second
	}
	if a.twoFactor != nil && (code == CodeSecondFactorRequired || code == CodeSecondFactorInvalid) {
		if _, provider := x.pendingSignIn(); provider != "" && a.byID[provider] != nil {
			d.SecondFactor = &pages.SecondFactorStep{ActionURL: x.base + "/callback/" + provider}
		}
	}
	for _, p := range a.providers {
		info := p.Info()
		pp := pages.Provider{ID: info.ID, Name: info.Name, Type: info.Type,
			SigninURL: x.base + "/signin/" + info.ID, CallbackURL: x.base + "/callback/" + info.ID}
		if c, ok := p.(*Credentials); ok {
			for _, f := range c.Fields {
				pp.Fields = append(pp.Fields, pages.Field{Name: f.Name, Label: f.Label, Type: f.Type, Placeholder: f.Placeholder})
			}
		}
		d.Providers = append(d.Providers, pp)
	}
	x.htmlWith(http.StatusOK, a.scriptCSP(), func(w *strings.Builder) error { return pages.RenderSignIn(w, d) })
}

func withQuery(u, q string) string {
	if strings.Contains(u, "?") {
		return u + "&" + q
	}
	return u + "?" + q
}

// html answers a built-in page.
func (x *exchange) html(status int, render func(*strings.Builder) error) {
	x.htmlWith(status, nil, render)
}

// htmlWith answers a built-in page whose headers header changes.
func (x *exchange) htmlWith(status int, header func(http.Header), render func(*strings.Builder) error) {
	var b strings.Builder
	if err := render(&b); err != nil {
		x.a.log.Error("latch: render page", "action", x.action, "err", err)
		x.plainError(http.StatusInternalServerError, "Error: the page could not be rendered")
		return
	}
	x.writeCookies()
	h := x.w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "private, no-store") // pages carry the visitor's CSRF token
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src * data:; form-action *; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	if header != nil {
		header(h)
	}
	x.w.WriteHeader(status)
	x.w.Write([]byte(b.String()))
}

// serveSignIn answers POST <base>/signin/<provider>: the start of an
// OAuth or email sign-in.
func (a *Auth) serveSignIn(x *exchange) {
	p := a.byID[x.provider]
	if !x.csrfVerified || p == nil {
		x.redirect(x.base+"/signin?csrf=true", http.StatusOK)
		return
	}
	switch p := p.(type) {
	case OAuthProvider:
		a.startOAuth(x, p)
		return
	case EmailProvider:
		a.startEmail(x, p)
		return
	case *Passkey:
		// Clients that only navigate (next-auth/react v4, nuxt-auth) go
		// to the page that runs the ceremony.
		x.redirect(x.base+"/signin/"+a.passkey.id+"?callbackUrl="+url.QueryEscape(x.callbackURL), http.StatusOK)
		return
	}
	// Credentials sign in through POST <base>/callback/<id>.
	x.redirect(x.base+"/signin", http.StatusOK)
}

// checkSignIn runs the SignIn callback. It reports whether the sign-in may
// go on; if not, the answer has been written.
func (a *Auth) checkSignIn(ctx context.Context, x *exchange, p *SignInParams) bool {
	f := a.cfg.Callbacks.SignIn
	if f == nil {
		return true
	}
	err := f(ctx, p)
	if err == nil {
		return true
	}
	var re *RedirectError
	if errors.As(err, &re) {
		// Through the redirect rule: a RedirectTo(userInput) must not
		// become an open redirect.
		x.redirect(a.redirectTo(re.URL, x.origin), http.StatusOK)
		return false
	}
	var le *Error
	if !errors.As(err, &le) {
		a.log.Warn("latch: sign-in refused by the SignIn callback", "provider", x.provider, "err", err)
		le = ErrAccessDenied
	}
	status := http.StatusOK
	if le.Code == CodeAccessDenied {
		status = http.StatusForbidden
	}
	x.fail(le, status, "")
	return false
}
