package latch

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/latchauth/latch/internal/pages"
)

// An email sign-in is stored as up to two verification tokens of the
// address:
//
//   - the link's: hex(SHA-256(token + secret)), as NextAuth stores it,
//     expiring with the link (with the code in mode EmailCode, where no
//     link is sent);
//   - in modes with a code, the code's: "code:" + hex(HMAC-SHA256(secret,
//     address, code)), expiring after CodeMaxAge.
//
// With a code, the link's token is not random but
// hex(HMAC-SHA256(secret, address, code)): whoever knows the right code
// can find, and use up, the link's row, so that a sign-in by code ends
// the link too, and a code works only while the link's row is there.

// verificationHash is how a link's token is stored: hex(SHA-256(token +
// secret)), as NextAuth stores it.
func verificationHash(token, secret string) string {
	sum := sha256.Sum256([]byte(token + secret))
	return hex.EncodeToString(sum[:])
}

// codePrefix starts the stored token of a code, so that it cannot be
// taken for a link's.
const codePrefix = "code:"

// codeHash is how a code is stored.
func codeHash(secret, email, code string) string {
	return codePrefix + mac(secret, "latch email code", email, code)
}

// codeLinkToken is the link's token of an email that has a code.
func codeLinkToken(secret, email, code string) string {
	return mac(secret, "latch email link", email, code)
}

func mac(secret, purpose, email, code string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(purpose + "\x00" + email + "\x00" + code))
	return hex.EncodeToString(m.Sum(nil))
}

// codeAlphabet is Crockford's base32: no I, L, O or U.
const codeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// codeLen is the length of a code: 40 random bits.
const codeLen = 8

// newCode returns a random code, as stored (no dash).
func newCode() string {
	var b [5]byte
	rand.Read(b[:])
	v := uint64(b[0])<<32 | uint64(b[1])<<24 | uint64(b[2])<<16 | uint64(b[3])<<8 | uint64(b[4])
	c := make([]byte, codeLen)
	for i := codeLen - 1; i >= 0; i-- {
		c[i] = codeAlphabet[v&31]
		v >>= 5
	}
	return string(c)
}

// formatCode is how a code is shown: XXXX-XXXX.
func formatCode(c string) string { return c[:4] + "-" + c[4:] }

// parseCode reads a code as typed: any case, spaces and dashes ignored,
// O read as 0, I and L as 1. It reports false when the rest is not
// codeLen characters of the alphabet.
func parseCode(s string) (string, bool) {
	if len(s) > 64 {
		return "", false
	}
	c := make([]byte, 0, codeLen)
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '-' || ch == '\t':
			continue
		case 'a' <= ch && ch <= 'z':
			ch -= 'a' - 'A'
		}
		switch ch {
		case 'O':
			ch = '0'
		case 'I', 'L':
			ch = '1'
		}
		if strings.IndexByte(codeAlphabet, ch) < 0 || len(c) == codeLen {
			return "", false
		}
		c = append(c, ch)
	}
	if len(c) != codeLen {
		return "", false
	}
	return string(c), true
}

// emailMode is the mode of p: EmailLink unless p says otherwise.
func emailMode(p EmailProvider) EmailMode {
	if cp, ok := p.(EmailCodeProvider); ok && cp.EmailMode() != "" {
		return cp.EmailMode()
	}
	return EmailLink
}

// startEmail answers POST <base>/signin/<id> for an email provider: it
// stores the link's token (and the code) and sends the email.
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
	mode := emailMode(p)
	secret := a.cfg.Secrets[0]
	now := a.now()
	req := VerificationRequest{Identifier: email, Expires: now.Add(p.TokenMaxAge())}
	req.Host = strings.TrimPrefix(strings.TrimPrefix(x.origin, "https://"), "http://")
	var token, code string
	if mode.hasCode() {
		req.CodeExpires = now.Add(p.(EmailCodeProvider).CodeMaxAge())
		if !mode.hasLink() {
			req.Expires = req.CodeExpires
		}
		// Two emails with the same code (one chance in 2^40) would have
		// the same link: a conflict, and another code.
		for range 3 {
			code = newCode()
			token = codeLinkToken(secret, email, code)
			err = a.cfg.Store.CreateVerificationToken(ctx, VerificationToken{Identifier: email, Token: verificationHash(token, secret), Expires: req.Expires})
			if !errors.Is(err, ErrConflict) {
				break
			}
		}
		if err == nil {
			err = a.cfg.Store.CreateVerificationToken(ctx, VerificationToken{Identifier: email, Token: codeHash(secret, email, code), Expires: req.CodeExpires})
		}
		req.Code = formatCode(code)
	} else {
		var b [32]byte
		rand.Read(b[:])
		token = hex.EncodeToString(b[:])
		err = a.cfg.Store.CreateVerificationToken(ctx, VerificationToken{Identifier: email, Token: verificationHash(token, secret), Expires: req.Expires})
	}
	if mode.hasLink() {
		q := "callbackUrl=" + url.QueryEscape(x.callbackURL) + "&token=" + token + "&email=" + url.QueryEscape(email)
		req.URL = x.base + "/callback/" + url.PathEscape(info.ID) + "?" + q
	}
	if err == nil {
		err = p.SendVerificationRequest(ctx, req)
	}
	if err != nil {
		a.log.Error("latch: email sign-in: send the email", "provider", info.ID, "err", err)
		x.redirect(x.errorURL(CodeEmailSignin, ""), http.StatusOK)
		return
	}
	x.redirect(x.base+"/verify-request?provider="+url.QueryEscape(info.ID)+"&type=email", http.StatusOK)
}

// emailCallback answers <base>/callback/<id>?token=..&email=.. , the link
// from the email. GET checks the link without using it and shows a page
// whose button POSTs back to it (CSRF-checked); the POST uses it, once,
// and signs in. In mode EmailLinkSignsInOnGET, GET signs in at once.
func (a *Auth) emailCallback(x *exchange, p EmailProvider) {
	ctx := x.r.Context()
	q := x.r.URL.Query()
	token, email := q.Get("token"), q.Get("email")
	if token == "" {
		x.redirect(x.errorURL("configuration", ""), http.StatusOK)
		return
	}
	if x.r.Method == http.MethodGet && emailMode(p) != EmailLinkSignsInOnGET {
		a.confirmEmailLink(x, token, email)
		return
	}
	if x.r.Method == http.MethodPost && !x.csrfVerified {
		x.redirect(x.base+"/signin?csrf=true", http.StatusOK)
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
	a.finishEmailSignIn(x, p, vt.Identifier)
}

// confirmEmailLink answers GET of a link: the page with the button when
// the link can be used, the Verification error when it cannot. It uses
// nothing up.
func (a *Auth) confirmEmailLink(x *exchange, token, email string) {
	if r, ok := a.cfg.Store.(VerificationTokenReader); ok {
		var vt *VerificationToken
		var err error = ErrNotFound
		for _, secret := range a.cfg.Secrets {
			if vt, err = r.VerificationToken(x.r.Context(), email, verificationHash(token, secret)); !errors.Is(err, ErrNotFound) {
				break
			}
		}
		if err != nil || vt.Expires.Before(a.now()) {
			if err != nil && !errors.Is(err, ErrNotFound) {
				a.log.Error("latch: email callback: read token", "err", err)
			}
			x.redirect(x.errorURL(CodeVerification, ""), http.StatusOK)
			return
		}
	}
	// The form posts back to the link itself: the same token, email and
	// callbackUrl, and the CSRF token in the body.
	d := pages.EmailSignIn{Theme: a.theme, ActionURL: x.base + "/callback/" + url.PathEscape(x.provider) + "?" + x.r.URL.RawQuery, CSRFToken: x.csrfToken, Email: email}
	x.htmlWith(http.StatusOK, func(h http.Header) {
		h.Set("Cache-Control", "no-store")
		h.Set("X-Robots-Tag", "noindex")
	}, func(w *strings.Builder) error { return pages.RenderEmailSignIn(w, d) })
}

// serveVerifyCode answers POST <base>/verify-request: the form of the
// verify-request page, with the email address and the code (CSRF-checked).
func (a *Auth) serveVerifyCode(x *exchange) {
	p := a.codeProvider(x)
	if p == nil {
		unsupported(x.w, x.r)
		return
	}
	x.provider = p.Info().ID // for the logs and SignInFailure
	if !x.csrfVerified {
		x.redirect(x.base+"/signin?csrf=true", http.StatusOK)
		return
	}
	ctx := x.r.Context()
	raw := x.body.Get("email")
	code, codeOK := parseCode(x.body.Get("code"))
	email, done, err := p.TryCode(ctx, x.r, raw)
	if err != nil {
		var le *Error
		if !errors.As(err, &le) {
			a.log.Error("latch: email code: limits", "provider", p.Info().ID, "err", err)
			le = &Error{Code: CodeVerification, Status: http.StatusInternalServerError}
		}
		if le.Code == CodeTooManyRequests && codeOK && email != "" {
			// Over the limit: even the right code fails, and is gone.
			for _, secret := range a.cfg.Secrets {
				if _, err := a.cfg.Store.UseVerificationToken(ctx, email, codeHash(secret, email, code)); err == nil {
					break
				}
			}
		}
		a.codeFailed(x, p, raw, le)
		return
	}
	if !codeOK {
		done(true) // not a guess: not counted
		a.codeFailed(x, p, raw, &Error{Code: CodeVerification, Status: http.StatusBadRequest})
		return
	}
	var vt *VerificationToken
	var secret string
	err = ErrNotFound
	for _, secret = range a.cfg.Secrets {
		if vt, err = a.cfg.Store.UseVerificationToken(ctx, email, codeHash(secret, email, code)); !errors.Is(err, ErrNotFound) {
			break
		}
	}
	done(err == nil)
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			a.log.Error("latch: email code: use token", "err", err)
		}
		a.codeFailed(x, p, raw, &Error{Code: CodeVerification, Status: http.StatusForbidden})
		return
	}
	now := a.now()
	if vt.Expires.Before(now) {
		a.codeFailed(x, p, raw, &Error{Code: CodeVerification, Status: http.StatusForbidden})
		return
	}
	// The link's row: gone when the link was used, which ends the code.
	link, err := a.cfg.Store.UseVerificationToken(ctx, email, verificationHash(codeLinkToken(secret, email, code), secret))
	if err != nil || link.Expires.Before(now) {
		if err != nil && !errors.Is(err, ErrNotFound) {
			a.log.Error("latch: email code: use the link's token", "err", err)
		}
		a.codeFailed(x, p, raw, &Error{Code: CodeVerification, Status: http.StatusForbidden})
		return
	}
	a.finishEmailSignIn(x, p, vt.Identifier)
}

// codeProvider returns the email provider with codes that the
// verify-request form names (field or query "provider"), or the first
// one; nil when there is none.
func (a *Auth) codeProvider(x *exchange) EmailCodeProvider {
	id := x.body.Get("provider")
	if id == "" {
		id = x.r.URL.Query().Get("provider")
	}
	for _, p := range a.providers {
		cp, ok := p.(EmailCodeProvider)
		if ok && cp.EmailMode().hasCode() && (id == "" || cp.Info().ID == id) {
			return cp
		}
	}
	return nil
}

// codeFailed answers a code that did not sign in: the verify-request page
// again, with the message for e.Code and the address typed, or, in JSON
// mode, the URL of that page with ?error=CODE; with e's status (default
// 403) and Retry-After.
func (a *Auth) codeFailed(x *exchange, p EmailCodeProvider, email string, e *Error) {
	_ = x.errorURL(e.Code, "") // logs the failure and fires SignInFailure
	status := e.Status
	if status == 0 {
		status = http.StatusForbidden
	}
	if e.RetryAfter > 0 {
		x.w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	if x.body.Get("json") == "true" {
		x.redirect(x.base+"/verify-request?provider="+url.QueryEscape(p.Info().ID)+"&type=email&error="+url.QueryEscape(e.Code), status)
		return
	}
	a.verifyRequestPage(x, p, email, e.Code, status)
}

// serveVerifyRequest answers GET <base>/verify-request: "check your
// email", with the form for the code when the provider sends one.
func (a *Auth) serveVerifyRequest(x *exchange) {
	if p := a.cfg.Pages.VerifyRequest; p != "" {
		x.redirect(p, http.StatusFound)
		return
	}
	q := x.r.URL.Query()
	a.verifyRequestPage(x, a.codeProvider(x), q.Get("email"), q.Get("error"), http.StatusOK)
}

// verifyRequestPage renders the verify-request page for p (nil: a
// provider without codes), with the form's address and the message for
// an error code.
func (a *Auth) verifyRequestPage(x *exchange, p EmailCodeProvider, email, code string, status int) {
	host := strings.TrimPrefix(strings.TrimPrefix(x.origin, "https://"), "http://")
	d := pages.VerifyRequest{Theme: a.theme, HomeURL: x.origin, Host: host}
	if p != nil {
		mode := p.EmailMode()
		d.Link, d.Code = mode.hasLink(), true
		d.ActionURL, d.CSRFToken, d.Provider, d.Email = x.base+"/verify-request", x.csrfToken, p.Info().ID, email
		d.Error = codeMessages[code]
		if code != "" && d.Error == "" {
			d.Error = codeMessages[CodeVerification]
		}
	}
	x.html(status, func(w *strings.Builder) error { return pages.RenderVerifyRequest(w, d) })
}

// codeMessages are the verify-request page's messages for the codes a
// code sign-in fails with; others get the one of Verification.
var codeMessages = map[string]string{
	CodeVerification:    "That code did not work. Check the address and the code: it may also have been used already or have expired.",
	CodeTooManyRequests: "Too many tries. Ask for a new email, or use the link of the one you got if it has one.",
}

// finishEmailSignIn signs in the owner of the address whose link or code
// was just used: the user is created or their address marked verified,
// and the session starts.
func (a *Auth) finishEmailSignIn(x *exchange, p EmailProvider, identifier string) {
	ctx := x.r.Context()
	info := p.Info()
	stored, err := a.cfg.Store.UserByEmail(ctx, identifier)
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
	account := &Account{Provider: info.ID, Type: TypeEmail, ProviderAccountID: identifier}
	candidate := &User{ID: identifier, Email: identifier}
	if stored != nil {
		candidate = &stored.User
	}
	if !a.checkSignIn(ctx, x, &SignInParams{User: candidate, Account: account}) {
		return // refused before the user was created or updated
	}
	isNew := stored == nil
	if isNew {
		stored, err = a.cfg.Store.CreateUser(ctx, StoredUser{User: User{Email: identifier}, EmailVerified: a.now()})
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
