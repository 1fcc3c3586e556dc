package latch

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/latchauth/latch/internal/pages"
)

// signUpMaxAge is how long a sign-up link works.
const signUpMaxAge = time.Hour

// signUpAD binds sealed sign-ups to their use.
const signUpAD = "latch sign-up"

// pendingSignUp is what a sign-up link carries, sealed with the secret:
// the account to create once the address is proven. Nothing is stored
// but the link's single-use record.
type pendingSignUp struct {
	Email   string `json:"e"`
	Name    string `json:"n,omitempty"`
	Hash    string `json:"h"` // the password's hash
	Expires int64  `json:"x"` // Unix seconds
	Nonce   string `json:"r"`
}

// signsUp reports whether the sign-up page is on: Config.SignUp, a
// store, an email provider to prove addresses and a credentials provider
// with HashPassword (provider/password).
func (a *Auth) signsUp() bool {
	return a.cfg.SignUp && a.cfg.Store != nil && a.pw.email != nil && a.pw.hash != nil
}

// serveSignUp answers <base>/signup (the form, and its POST, which sends
// the link) and <base>/signup/verify (the link: GET asks to confirm, so a
// mail scanner cannot use it; POST creates the account and signs in).
func (a *Auth) serveSignUp(x *exchange) {
	provider, hashPassword := a.pw.email, a.pw.hash
	d := pages.SignUp{Theme: a.theme, Step: "ask", CSRFToken: x.csrfToken, PageURL: x.base + "/signup", SignInURL: x.base + "/signin"}
	h := x.w.Header()
	noCache(h)
	if x.provider == "verify" {
		h.Set("Referrer-Policy", "no-referrer") // the link's token is in the URL
		h.Set("X-Robots-Tag", "noindex")
		a.serveSignUpLink(x, d)
		return
	}
	if x.provider != "" {
		x.plainError(http.StatusNotFound, "Not found")
		return
	}
	if x.r.Method == http.MethodPost {
		if !x.csrfVerified {
			x.plainError(http.StatusForbidden, "Error: the form is out of date (CSRF check failed); reload the page and try again")
			return
		}
		d.Name, d.Email = strings.TrimSpace(x.body.Get("name")), strings.TrimSpace(x.body.Get("email"))
		pw := x.body.Get("password")
		email, err := provider.Normalize(x.r.Context(), x.r, d.Email)
		var le *Error
		var se *SignUpError
		switch {
		case len(d.Name) > 128:
			d.Message = "The name is too long."
		case errors.As(err, &le) && le.Code == CodeTooManyRequests:
			d.Message = "Too many requests for a link. Please wait a while and try again."
		case err != nil:
			d.Message = "That does not look like an email address."
		case pw != x.body.Get("confirm"):
			d.Message = "The two passwords differ."
		default:
			hash, err := hashPassword(x.r.Context(), pw)
			switch {
			case errors.As(err, &se):
				d.Message = "The password was refused: " + se.Message + "."
			case errors.As(err, &le):
				d.Message = "The server is busy. Please try again in a moment."
			case err != nil:
				a.log.Error("latch: sign-up: hash the password", "err", err)
				x.plainError(http.StatusInternalServerError, "Error: the account could not be prepared; try again")
				return
			default:
				d.Step, d.Email = "sent", email
				p := pendingSignUp{Email: email, Name: d.Name, Hash: hash, Expires: a.now().Add(signUpMaxAge).Unix()}
				go a.sendSignUpLink(context.WithoutCancel(x.r.Context()), provider, x.origin, x.base, p)
			}
		}
	}
	x.writeCookies()
	x.html(http.StatusOK, func(w *strings.Builder) error { return pages.RenderSignUp(w, d) })
}

// sendSignUpLink sends the link that creates the account p, unless the
// address has an account already. Failures are logged: the person has
// had their answer.
func (a *Auth) sendSignUpLink(ctx context.Context, provider EmailProvider, origin, base string, p pendingSignUp) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := a.cfg.Store.UserByEmail(ctx, p.Email); err == nil {
		return
	} else if !errors.Is(err, ErrNotFound) {
		a.log.Error("latch: sign-up: look up user", "err", err)
		return
	}
	var b [16]byte
	rand.Read(b[:])
	p.Nonce = hex.EncodeToString(b[:])
	expires := time.Unix(p.Expires, 0)
	if err := a.cfg.Store.CreateVerificationToken(ctx, VerificationToken{Identifier: signUpIdentifier(p.Email), Token: signUpRecord(p.Nonce), Expires: expires}); err != nil {
		a.log.Error("latch: sign-up: store the link", "err", err)
		return
	}
	plain, _ := json.Marshal(p)
	token := base64.RawURLEncoding.EncodeToString(a.tokens.sealer.sealBytes(plain, signUpAD))
	req := VerificationRequest{Identifier: p.Email, URL: base + "/signup/verify?" + url.Values{"t": {token}}.Encode(), Expires: expires,
		Host: strings.TrimPrefix(strings.TrimPrefix(origin, "https://"), "http://")}
	if err := provider.SendVerificationRequest(ctx, req); err != nil {
		a.log.Error("latch: sign-up: send the email", "err", err)
	}
}

func signUpIdentifier(email string) string { return "signup:" + email }

// signUpRecord is what the store keeps of a link: a hash of its nonce.
func signUpRecord(nonce string) string {
	sum := sha256.Sum256([]byte("latch sign-up\x00" + nonce))
	return hex.EncodeToString(sum[:])
}

// openSignUp returns the sign-up a link carries, if it opens and has not
// expired.
func (a *Auth) openSignUp(token string) (*pendingSignUp, bool) {
	if token == "" || len(token) > 4096 {
		return nil, false
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return nil, false
	}
	plain, err := a.tokens.sealer.openBytes(b, signUpAD)
	if err != nil {
		return nil, false
	}
	var p pendingSignUp
	if json.Unmarshal(plain, &p) != nil || p.Email == "" || p.Hash == "" || p.Nonce == "" || a.now().Unix() >= p.Expires {
		return nil, false
	}
	return &p, true
}

// serveSignUpLink is <base>/signup/verify.
func (a *Auth) serveSignUpLink(x *exchange, d pages.SignUp) {
	ctx := x.r.Context()
	token := x.r.URL.Query().Get("t")
	if x.r.Method == http.MethodPost {
		token = x.body.Get("t")
	}
	p, ok := a.openSignUp(token)
	if ok {
		if r, canRead := storeAs[VerificationTokenReader](a.cfg.Store); canRead {
			_, err := r.VerificationToken(ctx, signUpIdentifier(p.Email), signUpRecord(p.Nonce))
			ok = err == nil
		}
	}
	d.Step, d.PageURL = "invalid", x.base+"/signup"
	if ok && x.r.Method == http.MethodPost {
		if !x.csrfVerified {
			x.plainError(http.StatusForbidden, "Error: the form is out of date (CSRF check failed); reload the page and try again")
			return
		}
		user, created := a.createSignedUpUser(ctx, p)
		if created {
			if err := a.reissueSession(x, user); err != nil {
				a.log.Error("latch: sign-up: start the session", "err", err)
			}
			x.writeCookies()
			x.w.Header().Set("Location", x.base+"/account")
			x.w.WriteHeader(http.StatusSeeOther)
			return
		}
	} else if ok {
		d.Step, d.Email, d.Token, d.PageURL = "confirm", p.Email, token, x.base+"/signup/verify"
	}
	x.writeCookies()
	x.html(http.StatusOK, func(w *strings.Builder) error { return pages.RenderSignUp(w, d) })
}

// createSignedUpUser uses the link once and creates its account, with the
// address proven now. It reports whether it did.
func (a *Auth) createSignedUpUser(ctx context.Context, p *pendingSignUp) (*StoredUser, bool) {
	if _, err := a.cfg.Store.UseVerificationToken(ctx, signUpIdentifier(p.Email), signUpRecord(p.Nonce)); err != nil {
		if !errors.Is(err, ErrNotFound) {
			a.log.Error("latch: sign-up: use the link", "err", err)
		}
		return nil, false
	}
	setHash, ok := storeAs[interface {
		SetPasswordHash(ctx context.Context, userID, hash string) error
	}](a.cfg.Store)
	if !ok {
		a.log.Error("latch: sign-up: the store keeps no passwords")
		return nil, false
	}
	user, err := a.cfg.Store.CreateUser(ctx, StoredUser{User: User{Name: p.Name, Email: p.Email}, EmailVerified: a.now()})
	if err != nil {
		if !errors.Is(err, ErrConflict) {
			a.log.Error("latch: sign-up: create the user", "err", err)
		}
		return nil, false // signed up meanwhile
	}
	if err := setHash.SetPasswordHash(ctx, user.ID, p.Hash); err != nil {
		a.log.Error("latch: sign-up: store the password", "err", err)
		return nil, false
	}
	a.log.Info("latch: signed up", "user", user.ID)
	return user, true
}
