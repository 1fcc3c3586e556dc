package latch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/latchauth/latch/internal/pages"
)

// passwordResetMaxAge is how long a password reset link works.
const passwordResetMaxAge = time.Hour

// resetIdentifier is the VerificationToken identifier of an address's
// password reset links, apart from its sign-in links.
func resetIdentifier(email string) string { return "password-reset:" + email }

// resetsPasswords reports whether "forgot password" is on: it needs a
// store, an email provider and a credentials provider with SetPassword
// (provider/password).
func (a *Auth) resetsPasswords() bool {
	return a.cfg.Store != nil && a.pw.email != nil && a.pw.set != nil
}

// serveForgotPassword answers GET <base>/forgot-password (the form asking
// for the email) and its POST, which sends a reset link when the address
// has an account with a password. The answer is the same whether or not
// it has, and takes the same time: the link is made and sent after it.
func (a *Auth) serveForgotPassword(x *exchange) {
	provider := a.pw.email
	d := pages.PasswordReset{Theme: a.theme, Step: "ask", CSRFToken: x.csrfToken, PageURL: x.base + "/forgot-password", SignInURL: x.base + "/signin"}
	noCache(x.w.Header())
	if x.r.Method == http.MethodPost {
		if !x.csrfVerified {
			x.plainError(http.StatusForbidden, "Error: the form is out of date (CSRF check failed); reload the page and try again")
			return
		}
		raw := strings.TrimSpace(x.body.Get("email"))
		d.Email = raw
		email, err := provider.Normalize(x.r.Context(), x.r, raw)
		var le *Error
		switch {
		case errors.As(err, &le) && le.Code == CodeTooManyRequests:
			d.Message = "Too many requests for a link. Please wait a while and try again."
		case err != nil:
			d.Message = "That does not look like an email address."
		default:
			d.Step, d.Email = "sent", email
			origin := x.origin
			go a.sendPasswordReset(context.WithoutCancel(x.r.Context()), provider, origin, x.base, email)
		}
	}
	x.writeCookies()
	x.html(http.StatusOK, func(w *strings.Builder) error { return pages.RenderPasswordReset(w, d) })
}

// sendPasswordReset makes and sends a reset link for email, when it has
// an account with a password. Failures are logged: the person asking
// has had their answer.
func (a *Auth) sendPasswordReset(ctx context.Context, provider EmailProvider, origin, base, email string) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	user, err := a.cfg.Store.UserByEmail(ctx, email)
	if errors.Is(err, ErrNotFound) || (err == nil && !a.hasPassword(ctx, user.ID)) {
		return
	}
	if err != nil {
		a.log.Error("latch: password reset: look up user", "err", err)
		return
	}
	var b [32]byte
	rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	expires := a.now().Add(passwordResetMaxAge)
	if err := a.cfg.Store.CreateVerificationToken(ctx, VerificationToken{Identifier: resetIdentifier(email), Token: verificationHash(token, a.cfg.Secrets[0]), Expires: expires}); err != nil {
		a.log.Error("latch: password reset: store the link", "err", err)
		return
	}
	link := base + "/reset-password?" + url.Values{"email": {email}, "token": {token}}.Encode()
	req := VerificationRequest{Identifier: email, URL: link, Expires: expires, Purpose: PurposePasswordReset,
		Host: strings.TrimPrefix(strings.TrimPrefix(origin, "https://"), "http://")}
	if err := provider.SendVerificationRequest(ctx, req); err != nil {
		a.log.Error("latch: password reset: send the email", "err", err)
		return
	}
	a.log.Info("latch: password reset link sent", "user", user.ID)
}

// serveResetPassword answers GET <base>/reset-password (the emailed link:
// a form for the new password; opening it uses nothing, so a mail
// scanner cannot spend it) and its POST, which uses the link once, sets
// the password and ends every session of the user.
func (a *Auth) serveResetPassword(x *exchange) {
	setPassword := a.pw.set
	ctx := x.r.Context()
	d := pages.PasswordReset{Theme: a.theme, Step: "choose", CSRFToken: x.csrfToken, PageURL: x.base + "/reset-password", SignInURL: x.base + "/signin"}
	h := x.w.Header()
	noCache(h)
	h.Set("Referrer-Policy", "no-referrer") // the link's token is in the URL
	h.Set("X-Robots-Tag", "noindex")
	values := x.r.URL.Query()
	if x.r.Method == http.MethodPost {
		values = url.Values{"email": {x.body.Get("email")}, "token": {x.body.Get("token")}}
	}
	email, token := values.Get("email"), values.Get("token")
	d.Email, d.Token = email, token
	valid := email != "" && len(email) <= 320 && len(token) == 64
	hash := verificationHash(token, a.cfg.Secrets[0])
	if valid {
		if r, ok := storeAs[VerificationTokenReader](a.cfg.Store); ok {
			vt, err := r.VerificationToken(ctx, resetIdentifier(email), hash)
			valid = err == nil && vt.Expires.After(a.now())
		}
	}
	if !valid {
		d.Step, d.PageURL = "invalid", x.base+"/forgot-password"
		x.writeCookies()
		x.html(http.StatusOK, func(w *strings.Builder) error { return pages.RenderPasswordReset(w, d) })
		return
	}
	if x.r.Method == http.MethodPost {
		if !x.csrfVerified {
			x.plainError(http.StatusForbidden, "Error: the form is out of date (CSRF check failed); reload the page and try again")
			return
		}
		next := x.body.Get("new")
		if next != x.body.Get("confirm") {
			d.Message = "The two passwords differ."
		} else if done, msg := a.resetPassword(x, setPassword, email, hash, next); done {
			x.writeCookies()
			h.Set("Location", x.base+"/signin")
			x.w.WriteHeader(http.StatusSeeOther)
			return
		} else if msg == "" {
			d.Step, d.PageURL = "invalid", x.base+"/forgot-password"
		} else {
			d.Message = msg
		}
	}
	x.writeCookies()
	x.html(http.StatusOK, func(w *strings.Builder) error { return pages.RenderPasswordReset(w, d) })
}

// resetPassword uses the link (identified by its token's hash) and sets
// the password. It reports whether it did; msg is a refusal to show with
// the form again, "" when the link did not work.
func (a *Auth) resetPassword(x *exchange, setPassword func(context.Context, *StoredUser, string) error, email, hash, next string) (done bool, msg string) {
	ctx := x.r.Context()
	vt, err := a.cfg.Store.UseVerificationToken(ctx, resetIdentifier(email), hash)
	if err != nil || !vt.Expires.After(a.now()) {
		if err != nil && !errors.Is(err, ErrNotFound) {
			a.log.Error("latch: password reset: use the link", "err", err)
		}
		return false, ""
	}
	user, err := a.cfg.Store.UserByEmail(ctx, email)
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			a.log.Error("latch: password reset: look up user", "err", err)
		}
		return false, ""
	}
	if err := setPassword(ctx, user, next); err != nil {
		// The link stays usable for a better password.
		if cerr := a.cfg.Store.CreateVerificationToken(ctx, *vt); cerr != nil {
			a.log.Error("latch: password reset: keep the link", "err", cerr)
		}
		var se *SignUpError
		var le *Error
		switch {
		case errors.As(err, &se):
			return false, "The new password was refused: " + se.Message + "."
		case errors.As(err, &le):
			return false, "The server is busy. Please try again in a moment."
		}
		a.log.Error("latch: password reset: set the password", "err", err)
		return false, "The password could not be set; try again."
	}
	// Every session signed in before this second ends (one signed in
	// during it, with the new password, must not).
	if err := a.endSessionsBefore(ctx, user.ID, a.now().Truncate(time.Second).Add(-time.Nanosecond)); err != nil {
		a.log.Error("latch: password reset: end the sessions", "err", err)
	}
	a.log.Info("latch: password reset", "user", user.ID)
	return true, ""
}
