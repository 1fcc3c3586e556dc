package latch

import (
	"net/http"

	"github.com/latchauth/latch/internal/cookie"
	"github.com/latchauth/latch/jwt"
)

// cookieNames are the names of Latch's cookies for one scheme. On https
// they carry the __Secure- prefix, the CSRF cookie __Host-.
type cookieNames struct {
	session, callbackURL, csrf, pkce, state, nonce string
	// challenge holds a passkey ceremony's state; authTime when the
	// user signed in (for adding passkeys).
	challenge, authTime string
	// pending2FA names the user whose password was right while the
	// built-in sign-in page asks for the second factor.
	pending2FA string
	opts       cookie.Options
	csrfOpts   cookie.Options // no Domain: __Host- forbids it
	// sessions encrypts session tokens. V5 keys are salted with the session
	// cookie's name, so each scheme has its own codec.
	sessions *jwt.Codec
	// checks encrypts the OAuth check cookies (state, PKCE verifier,
	// nonce) and the passkey cookies, each keyed with its own name as salt.
	checks map[string]*jwt.Codec
}

func newCookieNames(format jwt.Generation, secure bool, co CookieOptions, secrets []string) (*cookieNames, error) {
	family := "next-auth"
	if format == jwt.V5 {
		family = "authjs"
	}
	p, host := "", ""
	if secure {
		p, host = "__Secure-", "__Host-"
	}
	sameSite := "Lax"
	switch co.SameSite {
	case http.SameSiteStrictMode:
		sameSite = "Strict"
	case http.SameSiteNoneMode:
		sameSite = "None"
	}
	opts := cookie.Options{Path: "/", Domain: co.Domain, HTTPOnly: true, Secure: secure, SameSite: sameSite}
	csrfOpts := opts
	if secure {
		csrfOpts.Domain = ""
	}
	n := &cookieNames{
		session:     p + family + ".session-token",
		callbackURL: p + family + ".callback-url",
		csrf:        host + family + ".csrf-token",
		pkce:        p + family + ".pkce.code_verifier",
		state:       p + family + ".state",
		nonce:       p + family + ".nonce",
		challenge:   p + family + ".challenge",
		authTime:    p + family + ".auth-time",
		pending2FA:  p + family + ".second-factor",
		opts:        opts,
		csrfOpts:    csrfOpts,
	}
	salt := "" // v4 session keys are not salted
	if format == jwt.V5 {
		salt = n.session
	}
	var err error
	if n.sessions, err = jwt.New(format, salt, secrets...); err != nil {
		return nil, err
	}
	n.checks = map[string]*jwt.Codec{}
	for _, name := range []string{n.state, n.pkce, n.nonce, n.challenge, n.authTime, n.pending2FA} {
		if n.checks[name], err = jwt.New(format, name, secrets...); err != nil {
			return nil, err
		}
	}
	return n, nil
}
