package latch

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/latchauth/latch/internal/cookie"
)

// TypeWebAuthn is the type of the passkey provider in GET <base>/providers.
const TypeWebAuthn = "webauthn"

// CodeWebAuthnVerification is the error code of a passkey sign-in or
// registration that failed (Auth.js's WebAuthnVerificationError).
const CodeWebAuthnVerification = "WebAuthnVerificationError"

// Passkey signs users in with passkeys (WebAuthn, on
// github.com/go-webauthn/webauthn). It speaks the wire contract of
// Auth.js v5's passkey provider:
//
//   - GET <base>/webauthn-options/<id>?action=authenticate|register
//     answers {"action", "options"}, options being the bare
//     PublicKeyCredentialRequestOptions or CreationOptions JSON;
//   - POST <base>/callback/<id> with the form fields action, data (the
//     credential's JSON), csrfToken and callbackUrl signs in (or adds the
//     passkey), answering {"url"} with json=true. Unlike Auth.js, the
//     CSRF token is checked.
//
// next-auth/react v4 and nuxt-auth clients call signIn("passkey"), which
// POSTs <base>/signin/<id>; Latch answers with the URL of a page of its own
// that runs the ceremony and then goes to the callbackUrl. The built-in
// sign-in page has a "Sign in with a passkey" button and offers passkeys
// in the email field (autofill); <base>/passkeys lists, adds and removes
// the passkeys of the signed-in user.
//
// Sign-in is discoverable (usernameless). Adding a passkey needs a session
// signed in within the last FreshFor. The relying party ID is the host of
// Config.URL and the origins are URL's and those of AllowedHosts under
// it: never what a request says. Ceremony state lives in an encrypted
// cookie for CeremonyTimeout and is used once (the Store remembers used
// challenges until they expire). Signature counters are kept: a counter
// that goes back (a cloned authenticator) refuses the sign-in, and is
// logged.
//
// The passkey provider needs a Store that is an [AuthenticatorStore]
// (store/sqlite, store/postgres, store/redis), and a URL whose host is a
// domain name (browsers refuse IP addresses as relying party IDs: use
// http://localhost:3456 rather than http://127.0.0.1:3456 in development).
type Passkey struct {
	// ID defaults to "passkey"; Name to "Passkey".
	ID, Name string
	// RPName is the site's name that authenticators show. Default:
	// Theme.AppName, else the host of URL.
	RPName string
	// UserVerification is "required" (default: a passkey is then two
	// factors), "preferred" or "discouraged".
	UserVerification string
	// CeremonyTimeout is how long a ceremony may take. Default 5 minutes.
	CeremonyTimeout time.Duration
	// FreshFor is how recent a sign-in must be to add a passkey. Default
	// 10 minutes.
	FreshFor time.Duration
	// SignUp lets people without an account create one with a passkey.
	// The email address is proven first, by an email provider (which must
	// be configured): the sign-in page's "Create an account with a
	// passkey" sends the sign-in email, whose sign-in creates the user and
	// goes to the passkeys page, which asks for the new passkey at once.
	// Without SignUp, only users who signed in some other way add
	// passkeys. In no case does a passkey sign up a user by itself.
	SignUp bool
}

// Info implements [Provider].
func (p *Passkey) Info() ProviderInfo {
	info := ProviderInfo{ID: p.ID, Name: p.Name, Type: TypeWebAuthn}
	if info.ID == "" {
		info.ID = "passkey"
	}
	if info.Name == "" {
		info.Name = "Passkey"
	}
	return info
}

func (p *Passkey) timeout() time.Duration {
	if p.CeremonyTimeout > 0 {
		return p.CeremonyTimeout
	}
	return 5 * time.Minute
}

func (p *Passkey) freshFor() time.Duration {
	if p.FreshFor > 0 {
		return p.FreshFor
	}
	return 10 * time.Minute
}

// passkeyState is the Auth's passkey provider, ready to run ceremonies.
type passkeyState struct {
	p     *Passkey
	id    string
	wa    *webauthn.WebAuthn
	store AuthenticatorStore
}

// maxPasskeyData bounds the credential JSON of a ceremony.
const maxPasskeyData = 32 << 10

// passkeyRPID returns the relying party ID and origins of a configuration.
func passkeyRPID(c *Config) (rpID string, origins []string, err error) {
	origin, _, err := parseBaseURL(c.URL, false)
	if err != nil {
		return "", nil, fmt.Errorf("the passkey provider needs URL to be the site's absolute URL (its host is the relying party ID): %w", err)
	}
	u, _ := url.Parse(origin)
	rpID = strings.ToLower(u.Hostname())
	if net.ParseIP(rpID) != nil {
		return "", nil, fmt.Errorf("the passkey provider needs URL's host to be a domain name, not the IP address %s: browsers refuse IP addresses as relying party IDs (use localhost for development)", rpID)
	}
	origins = []string{origin}
	for _, h := range c.AllowedHosts {
		h, err := normalizeHost(h)
		if err != nil {
			continue
		}
		hu, _ := url.Parse("http://" + h)
		if name := hu.Hostname(); name == rpID || strings.HasSuffix(name, "."+rpID) {
			origins = append(origins, u.Scheme+"://"+h)
		}
	}
	return rpID, origins, nil
}

func (c *Config) validatePasskey() []error {
	var errs []error
	n := 0
	for _, p := range c.Providers {
		if _, ok := p.(*Passkey); !ok {
			continue
		}
		pk := p.(*Passkey)
		if n++; n == 2 {
			errs = append(errs, errors.New("only one passkey provider may be configured"))
		}
		if _, ok := c.Store.(AuthenticatorStore); !ok {
			errs = append(errs, fmt.Errorf("passkey provider %q needs a Store that keeps passkeys (latch.AuthenticatorStore: store/sqlite, store/postgres, store/redis)", p.Info().ID))
		}
		if _, _, err := passkeyRPID(c); err != nil {
			errs = append(errs, err)
		}
		switch pk.UserVerification {
		case "", "required", "preferred", "discouraged":
		default:
			errs = append(errs, fmt.Errorf("passkey UserVerification %q: use required, preferred or discouraged", pk.UserVerification))
		}
		if pk.SignUp && !slices.ContainsFunc(c.Providers, func(p Provider) bool { _, ok := p.(EmailProvider); return ok }) {
			errs = append(errs, errors.New("passkey SignUp needs an email provider: the email address of a new account is proven by email first"))
		}
		if pk.CeremonyTimeout < 0 || pk.FreshFor < 0 {
			errs = append(errs, errors.New("passkey CeremonyTimeout and FreshFor must not be negative"))
		}
	}
	return errs
}

// newPasskey sets up the passkey provider, if one is configured.
func (a *Auth) newPasskey() error {
	for _, p := range a.providers {
		pk, ok := p.(*Passkey)
		if !ok {
			continue
		}
		rpID, origins, err := passkeyRPID(&a.cfg)
		if err != nil {
			return err
		}
		name := pk.RPName
		if name == "" {
			name = a.cfg.Theme.AppName
		}
		if name == "" {
			name = rpID
		}
		uv := protocol.UserVerificationRequirement(pk.UserVerification)
		if uv == "" {
			uv = protocol.VerificationRequired
		}
		wa, err := webauthn.New(&webauthn.Config{
			RPID:          rpID,
			RPDisplayName: name,
			RPOrigins:     origins,
			AuthenticatorSelection: protocol.AuthenticatorSelection{
				ResidentKey:        protocol.ResidentKeyRequirementRequired,
				RequireResidentKey: protocol.ResidentKeyRequired(),
				UserVerification:   uv,
			},
			AttestationPreference: protocol.PreferNoAttestation,
			Timeouts: webauthn.TimeoutsConfig{
				Login:        webauthn.TimeoutConfig{Timeout: pk.timeout(), TimeoutUVD: pk.timeout()},
				Registration: webauthn.TimeoutConfig{Timeout: pk.timeout(), TimeoutUVD: pk.timeout()},
			},
		})
		if err != nil {
			return fmt.Errorf("passkey provider: %w", err)
		}
		a.passkey = &passkeyState{p: pk, id: pk.Info().ID, wa: wa, store: a.cfg.Store.(AuthenticatorStore)}
	}
	return nil
}

// passkeyUser is a user as go-webauthn sees one.
type passkeyUser struct {
	handle      []byte
	name        string
	displayName string
	creds       []webauthn.Credential
}

func (u *passkeyUser) WebAuthnID() []byte                         { return u.handle }
func (u *passkeyUser) WebAuthnName() string                       { return u.name }
func (u *passkeyUser) WebAuthnDisplayName() string                { return u.displayName }
func (u *passkeyUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// decodeB64 reads standard or URL base64, padded or not (Auth.js writes
// standard base64; other tools base64url).
func decodeB64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// credentialOf is the go-webauthn credential of a stored authenticator.
func credentialOf(rec *Authenticator) (webauthn.Credential, error) {
	id, err := decodeB64(rec.CredentialID)
	if err != nil {
		return webauthn.Credential{}, fmt.Errorf("credential ID: %w", err)
	}
	key, err := decodeB64(rec.CredentialPublicKey)
	if err != nil {
		return webauthn.Credential{}, fmt.Errorf("public key: %w", err)
	}
	c := webauthn.Credential{
		ID:        id,
		PublicKey: key,
		Flags: webauthn.CredentialFlags{
			UserPresent:    true,
			BackupEligible: rec.CredentialDeviceType == "multiDevice",
			BackupState:    rec.CredentialBackedUp,
		},
		Authenticator: webauthn.Authenticator{SignCount: uint32(min(max(rec.Counter, 0), 1<<32-1))},
	}
	for t := range strings.SplitSeq(rec.Transports, ",") {
		if t = strings.TrimSpace(t); t != "" {
			c.Transport = append(c.Transport, protocol.AuthenticatorTransport(t))
		}
	}
	return c, nil
}

// ceremony is the state of one WebAuthn ceremony, kept in the challenge
// cookie between the options and the callback.
type ceremony struct {
	Action  string               `json:"action"`
	Session webauthn.SessionData `json:"session"`
	UserID  string               `json:"user,omitempty"`   // register
	Handle  string               `json:"handle,omitempty"` // register: base64url user handle
	Until   int64                `json:"until"`            // unix ms
}

// ceremonyMarker is the identifier of the verification tokens that mark
// used ceremonies.
const ceremonyMarker = "latch:webauthn-ceremony"

// servePasskeyOptions answers GET <base>/webauthn-options/<id>.
func (a *Auth) servePasskeyOptions(x *exchange) {
	ps := a.passkey
	if ps == nil || x.provider != ps.id {
		x.jsonError(http.StatusNotFound, "UnknownProvider")
		return
	}
	noCache(x.w.Header())
	q := x.r.URL.Query()
	action := q.Get("action")
	sess := a.Session(x.r)
	if action == "" {
		action = "authenticate"
		if sess != nil {
			action = "register"
		}
	}
	now := a.now()
	c := ceremony{Action: action, Until: now.Add(ps.p.timeout()).UnixMilli()}
	var options any
	switch action {
	case "authenticate":
		assertion, sd, err := ps.wa.BeginDiscoverableLogin()
		if err != nil {
			a.log.Error("latch: passkey options", "err", err)
			x.jsonError(http.StatusInternalServerError, CodeConfiguration)
			return
		}
		options, c.Session = assertion.Response, *sd
	case "register":
		user, code := a.passkeyRegistrant(x, sess)
		if code != "" {
			status := http.StatusUnauthorized
			if code == "FreshSignInRequired" {
				status = http.StatusForbidden
			}
			x.jsonError(status, code)
			return
		}
		recs, err := ps.store.UserAuthenticators(x.r.Context(), user.ID)
		if err != nil {
			a.log.Error("latch: passkey options", "err", err)
			x.jsonError(http.StatusInternalServerError, CodeCallback)
			return
		}
		pu := &passkeyUser{name: user.Email, displayName: user.Name}
		if pu.name == "" {
			pu.name = user.ID
		}
		if pu.displayName == "" {
			pu.displayName = pu.name
		}
		var exclude []protocol.CredentialDescriptor
		for i := range recs {
			if h, err := decodeB64(recs[i].UserHandle); err == nil && len(h) > 0 && pu.handle == nil {
				pu.handle = h
			}
			if cred, err := credentialOf(&recs[i]); err == nil {
				exclude = append(exclude, cred.Descriptor())
			}
		}
		if pu.handle == nil {
			pu.handle = a.userHandle(user.ID)
		}
		creation, sd, err := ps.wa.BeginRegistration(pu, webauthn.WithExclusions(exclude))
		if err != nil {
			a.log.Error("latch: passkey options", "err", err)
			x.jsonError(http.StatusInternalServerError, CodeConfiguration)
			return
		}
		options, c.Session = creation.Response, *sd
		c.UserID, c.Handle = user.ID, base64.RawURLEncoding.EncodeToString(pu.handle)
	default:
		x.jsonError(http.StatusBadRequest, "InvalidAction")
		return
	}
	if err := x.setCeremony(c); err != nil {
		a.log.Error("latch: passkey options", "err", err)
		x.jsonError(http.StatusInternalServerError, CodeConfiguration)
		return
	}
	x.json(http.StatusOK, struct {
		Action  string `json:"action"`
		Options any    `json:"options"`
	}{action, options})
}

// jsonError answers {"error": code}.
func (x *exchange) jsonError(status int, code string) {
	x.json(status, map[string]string{"error": code})
}

// passkeyRegistrant returns the signed-in user who may add a passkey, or
// the error code: SessionRequired, or FreshSignInRequired when the sign-in
// is older than FreshFor.
func (a *Auth) passkeyRegistrant(x *exchange, sess *Session) (*StoredUser, string) {
	if sess == nil || sess.UserID() == "" {
		return nil, CodeSessionRequired
	}
	user, err := a.cfg.Store.User(x.r.Context(), sess.UserID())
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			a.log.Error("latch: passkey user", "err", err)
		}
		return nil, CodeSessionRequired
	}
	if !x.freshSignIn(user.ID) {
		return nil, "FreshSignInRequired"
	}
	return user, ""
}

// userHandle is the WebAuthn user handle of a user who has no passkey
// yet: stable, so that a passkey made again on an authenticator replaces
// the old one there (same site, same user handle), and opaque (an HMAC of
// the user ID keyed with the first secret). Users who have passkeys keep
// the handle stored with them.
func (a *Auth) userHandle(userID string) []byte {
	m := hmac.New(sha256.New, []byte(a.cfg.Secrets[0]))
	m.Write([]byte("latch webauthn user handle\x00" + userID))
	return m.Sum(nil)
}

// setCeremony writes the challenge cookie.
func (x *exchange) setCeremony(c ceremony) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	name := x.names.challenge
	life := x.a.passkey.p.timeout()
	v, err := x.names.checks[name].Encode(map[string]any{"value": string(b), "provider": x.a.passkey.id}, x.a.now(), life)
	if err != nil {
		return err
	}
	x.setCookie(name, cookie.Serialize(name, v, int(life/time.Second), x.a.now().Add(life), x.names.opts))
	return nil
}

// takeCeremony reads the challenge cookie of a callback for action,
// clears it, and uses the ceremony up: a second callback with the same
// state fails, on any instance.
func (x *exchange) takeCeremony(action string) (*ceremony, error) {
	name := x.names.challenge
	raw, ok := cookie.Get(x.cookies, name)
	if !ok {
		return nil, errors.New("no ceremony cookie")
	}
	x.setCookie(name, cookie.Clear(name, x.names.opts))
	claims, err := x.names.checks[name].Decode(raw, x.a.now())
	if err != nil {
		return nil, fmt.Errorf("ceremony cookie: %w", err)
	}
	if claims["provider"] != x.a.passkey.id {
		return nil, errors.New("ceremony cookie of another provider")
	}
	v, _ := claims["value"].(string)
	var c ceremony
	if err := json.Unmarshal([]byte(v), &c); err != nil {
		return nil, fmt.Errorf("ceremony cookie: %w", err)
	}
	until := time.UnixMilli(c.Until)
	if !x.a.now().Before(until) {
		return nil, errors.New("the ceremony expired")
	}
	if c.Action != action {
		return nil, fmt.Errorf("the ceremony was started for %q, not %q", c.Action, action)
	}
	if c.Session.Challenge == "" {
		return nil, errors.New("ceremony without a challenge")
	}
	sum := sha256.Sum256([]byte(c.Session.Challenge))
	err = x.a.cfg.Store.CreateVerificationToken(x.r.Context(), VerificationToken{Identifier: ceremonyMarker, Token: hex.EncodeToString(sum[:]), Expires: until})
	if errors.Is(err, ErrConflict) {
		return nil, errors.New("the ceremony was used already (replay)")
	}
	if err != nil {
		return nil, fmt.Errorf("mark the ceremony used: %w", err)
	}
	return &c, nil
}

// passkeyFail ends a passkey callback with CodeWebAuthnVerification,
// logging why (the reason never reaches the client).
func (a *Auth) passkeyFail(x *exchange, why string, err error) {
	a.log.Info("latch: passkey refused", "reason", why, "err", err, "ip", a.cfg.ClientIP(x.r))
	x.redirect(x.errorURL(CodeWebAuthnVerification, x.provider), http.StatusUnauthorized)
}

// passkeyCallback answers POST <base>/callback/<id> of the passkey
// provider: action=authenticate signs in, action=register adds a passkey
// to the signed-in user.
func (a *Auth) passkeyCallback(x *exchange) {
	if x.r.Method != http.MethodPost {
		x.w.Header().Set("Allow", http.MethodPost)
		x.plainError(http.StatusMethodNotAllowed, "Error: passkey credentials are submitted with POST")
		return
	}
	if !x.csrfVerified {
		x.redirect(x.base+"/signin?csrf=true", http.StatusOK)
		return
	}
	action, data := x.body.Get("action"), x.body.Get("data")
	if action != "authenticate" && action != "register" {
		a.passkeyFail(x, "bad action", fmt.Errorf("action %q", limit(action, 32)))
		return
	}
	if data == "" || len(data) > maxPasskeyData {
		a.passkeyFail(x, "bad data", fmt.Errorf("data of %d bytes", len(data)))
		return
	}
	c, err := x.takeCeremony(action)
	if err != nil {
		a.passkeyFail(x, "ceremony", err)
		return
	}
	if action == "register" {
		a.passkeyRegister(x, c, []byte(data))
		return
	}
	a.passkeyAuthenticate(x, c, []byte(data))
}

func (a *Auth) passkeyAuthenticate(x *exchange, c *ceremony, data []byte) {
	ps, ctx := a.passkey, x.r.Context()
	parsed, err := protocol.ParseCredentialRequestResponseBytes(data)
	if err != nil {
		a.passkeyFail(x, "unreadable assertion", err)
		return
	}
	var rec *Authenticator
	var user *StoredUser
	handler := func(rawID, userHandle []byte) (webauthn.User, error) {
		r, err := ps.store.Authenticator(ctx, base64.StdEncoding.EncodeToString(rawID))
		if errors.Is(err, ErrNotFound) {
			// Rows written by other tools may hold base64url IDs.
			r, err = ps.store.Authenticator(ctx, base64.RawURLEncoding.EncodeToString(rawID))
		}
		if err != nil {
			return nil, err
		}
		handle := userHandle
		if r.UserHandle != "" {
			if handle, err = decodeB64(r.UserHandle); err != nil {
				return nil, fmt.Errorf("stored user handle: %w", err)
			}
		}
		cred, err := credentialOf(r)
		if err != nil {
			return nil, err
		}
		u, err := a.cfg.Store.User(ctx, r.UserID)
		if err != nil {
			return nil, err
		}
		rec, user = r, u
		return &passkeyUser{handle: handle, name: u.Email, displayName: u.Name, creds: []webauthn.Credential{cred}}, nil
	}
	_, cred, err := ps.wa.ValidatePasskeyLogin(handler, c.Session, parsed)
	if err != nil {
		a.passkeyFail(x, "assertion", err)
		return
	}
	if cred.Authenticator.CloneWarning {
		a.log.Warn("latch: passkey refused: its signature counter went back, so the authenticator may have been cloned",
			"user", rec.UserID, "credential", rec.CredentialID, "stored", rec.Counter, "presented", parsed.Response.AuthenticatorData.Counter, "ip", a.cfg.ClientIP(x.r))
		x.redirect(x.errorURL(CodeWebAuthnVerification, x.provider), http.StatusUnauthorized)
		return
	}
	if err := ps.store.UpdateAuthenticatorUse(ctx, rec.CredentialID, int64(cred.Authenticator.SignCount), cred.Flags.BackupState, a.now()); err != nil {
		a.log.Error("latch: passkey use", "err", err)
		x.redirect(x.errorURL(CodeCallback, ""), http.StatusInternalServerError)
		return
	}
	u := &user.User
	account := &Account{Provider: ps.id, Type: TypeWebAuthn, ProviderAccountID: rec.CredentialID}
	if !a.checkSignIn(ctx, x, &SignInParams{User: u, Account: account}) {
		return
	}
	if !a.startSession(x, u, account, nil, false) {
		return
	}
	x.redirect(x.callbackURL, http.StatusOK)
}

func (a *Auth) passkeyRegister(x *exchange, c *ceremony, data []byte) {
	ps, ctx := a.passkey, x.r.Context()
	user, code := a.passkeyRegistrant(x, a.Session(x.r))
	if code != "" {
		a.passkeyFail(x, "registration without a fresh session", errors.New(code))
		return
	}
	if subtle.ConstantTimeCompare([]byte(user.ID), []byte(c.UserID)) != 1 {
		a.passkeyFail(x, "registration started by another user", nil)
		return
	}
	handle, err := base64.RawURLEncoding.DecodeString(c.Handle)
	if err != nil {
		a.passkeyFail(x, "ceremony user handle", err)
		return
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(data)
	if err != nil {
		a.passkeyFail(x, "unreadable attestation", err)
		return
	}
	cred, err := ps.wa.CreateCredential(&passkeyUser{handle: handle, name: user.Email, displayName: user.Name}, c.Session, parsed)
	if err != nil {
		a.passkeyFail(x, "attestation", err)
		return
	}
	name := strings.TrimSpace(x.body.Get("name"))
	if name == "" {
		name = "Passkey"
	}
	if len(name) > 64 {
		name = strings.ToValidUTF8(name[:64], "")
	}
	id := base64.StdEncoding.EncodeToString(cred.ID)
	rec := Authenticator{
		CredentialID: id, UserID: user.ID, ProviderAccountID: id,
		CredentialPublicKey:  base64.StdEncoding.EncodeToString(cred.PublicKey),
		Counter:              int64(cred.Authenticator.SignCount),
		CredentialDeviceType: "singleDevice",
		CredentialBackedUp:   cred.Flags.BackupState,
		UserHandle:           c.Handle,
		Name:                 name,
		Created:              a.now(),
	}
	if cred.Flags.BackupEligible {
		rec.CredentialDeviceType = "multiDevice"
	}
	var ts []string
	for _, t := range cred.Transport {
		ts = append(ts, string(t))
	}
	rec.Transports = strings.Join(ts, ",")
	if err := ps.store.CreateAuthenticator(ctx, rec); err != nil {
		if errors.Is(err, ErrConflict) {
			a.passkeyFail(x, "credential registered already", err)
			return
		}
		a.log.Error("latch: store passkey", "err", err)
		x.redirect(x.errorURL(CodeCallback, ""), http.StatusInternalServerError)
		return
	}
	a.log.Info("latch: passkey added", "user", user.ID, "credential", id)
	x.redirect(x.callbackURL, http.StatusOK)
}

// freshFor is how recent a sign-in must be to add a passkey or turn on
// the second factor.
func (a *Auth) freshFor() time.Duration {
	if a.passkey != nil {
		return a.passkey.p.freshFor()
	}
	return 10 * time.Minute
}

// setAuthTime remembers, in an encrypted cookie, when the user signed in,
// for the freshness check of adding a passkey or a second factor.
func (x *exchange) setAuthTime(userID string) {
	if x.a.passkey == nil && x.a.twoFactor == nil {
		return
	}
	name := x.names.authTime
	life := x.a.freshFor()
	now := x.a.now()
	v, err := x.names.checks[name].Encode(map[string]any{"value": userID, "at": now.UnixMilli()}, now, life)
	if err != nil {
		x.a.log.Error("latch: sign-in time cookie", "err", err)
		return
	}
	x.setCookie(name, cookie.Serialize(name, v, int(life/time.Second), now.Add(life), x.names.opts))
}

// freshSignIn reports whether userID signed in on this browser within
// freshFor.
func (x *exchange) freshSignIn(userID string) bool {
	name := x.names.authTime
	raw, ok := cookie.Get(x.cookies, name)
	if !ok {
		return false
	}
	now := x.a.now()
	claims, err := x.names.checks[name].Decode(raw, now)
	if err != nil {
		return false
	}
	v, _ := claims["value"].(string)
	n, _ := claims["at"].(json.Number)
	at, err := n.Int64()
	if err != nil {
		return false
	}
	signedIn := time.UnixMilli(at)
	return v != "" && subtle.ConstantTimeCompare([]byte(v), []byte(userID)) == 1 &&
		now.Sub(signedIn) < x.a.freshFor() && !signedIn.After(now.Add(time.Minute))
}
