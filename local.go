package latch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/latchauth/latch/accesstoken"
	"github.com/latchauth/latch/internal/jsonbody"
)

// LocalConfig configures the local provider: the token endpoints that
// @sidebase/nuxt-auth's "local" provider calls, under <base>/local:
//
//	POST <base>/local/login     {"email","password"} → {"token","refreshToken"}
//	GET  <base>/local/session   Authorization: Bearer <token> → the user
//	POST <base>/local/refresh   {"refreshToken"} → {"token","refreshToken"}
//	POST <base>/local/logout    {"refreshToken"} → {} (revokes the sign-in)
//	POST <base>/local/register  {"email","password","name"} → 201 the user
//	GET  <base>/local/jwks      the public keys of the access tokens
//
// Access tokens are JWTs signed with EdDSA (or ES256) that other services
// can check with the accesstoken package. Each sign-in is a refresh-token
// family in the Store (which must be a [LocalStore]) whose ID is the
// tokens' "sid": signing out revokes it, and [Auth.Session] and
// [Auth.Require] refuse its access tokens from then on (other services
// accept them until they expire, AccessTokenTTL at most).
type LocalConfig struct {
	// Enabled serves the endpoints. They need a Store that is a LocalStore.
	Enabled bool
	// AccessTokenTTL is the lifetime of access tokens. Default 30 minutes
	// (nuxt-auth's token.maxAgeInSeconds default).
	AccessTokenTTL time.Duration
	// RefreshTokenTTL is how long a sign-in lasts without a refresh; every
	// refresh extends it. Default 7 days.
	RefreshTokenTTL time.Duration
	// Rotate gives a new refresh token on every refresh and revokes the
	// sign-in when an old one is presented again after Grace (a stolen
	// token). Off by default: nuxt-auth keeps its first refresh token
	// unless refresh.refreshOnlyToken is false.
	Rotate bool
	// Grace is how long a rotated refresh token still returns the same
	// successor, on any instance, so that tabs racing to refresh stay
	// signed in. Default 30 seconds.
	Grace time.Duration
	// Audience is the "aud" of access tokens; default none.
	Audience string
	// Issuer is the "iss" of access tokens. Default: URL (the origin and
	// base path). Required when URL is a bare path.
	Issuer string
	// Algorithm signs access tokens: "EdDSA" (default) or "ES256".
	Algorithm string
	// KeyRotation is how long a signing key signs before a new one takes
	// over (a new key is published an hour ahead). Default 30 days;
	// negative: never.
	KeyRotation time.Duration
	// RevocationCache is how long an instance trusts that a sign-in it
	// found live is still live, before asking the Store again: a sign-out
	// on another instance reaches it within this time. Default 10
	// seconds; negative: ask every time.
	RevocationCache time.Duration
	// SignUp creates a user for POST <base>/local/register; nil answers
	// 404. provider/password.SignUp makes one for the built-in user
	// database. Return a *SignUpError to refuse with a message, an *Error
	// with code TooManyRequests for a rate limit.
	SignUp func(ctx context.Context, r *http.Request, fields map[string]string) (*User, error)
}

// SignUpError refuses a sign-up with a message for the user: a field
// that is missing or not acceptable (Status 400), an email address that
// is taken (409).
type SignUpError struct {
	Status  int    // default 400
	Code    string // e.g. "InvalidField", "EmailTaken"
	Field   string // the field at fault, if one
	Message string
}

// Error implements error.
func (e *SignUpError) Error() string { return "latch: sign-up refused: " + e.Message }

func (c *LocalConfig) withDefaults() {
	if c.AccessTokenTTL == 0 {
		c.AccessTokenTTL = 30 * time.Minute
	}
	if c.RefreshTokenTTL == 0 {
		c.RefreshTokenTTL = 7 * 24 * time.Hour
	}
	if c.Grace == 0 {
		c.Grace = 30 * time.Second
	}
	if c.Algorithm == "" {
		c.Algorithm = accesstoken.EdDSA
	}
	if c.KeyRotation == 0 {
		c.KeyRotation = 30 * 24 * time.Hour
	}
	if c.RevocationCache == 0 {
		c.RevocationCache = 10 * time.Second
	}
}

func (c *LocalConfig) validate(cfg *Config) []error {
	if !c.Enabled {
		return nil
	}
	var errs []error
	if _, ok := cfg.Store.(LocalStore); !ok {
		errs = append(errs, errors.New("Local needs a Store that keeps signing keys and refresh tokens (a latch.LocalStore, such as store/sqlite or store/postgres)"))
	}
	if c.AccessTokenTTL < 0 || c.RefreshTokenTTL < 0 || c.Grace < 0 {
		errs = append(errs, errors.New("Local.AccessTokenTTL, RefreshTokenTTL and Grace must not be negative"))
	}
	if c.AccessTokenTTL > 0 && c.RefreshTokenTTL > 0 && c.AccessTokenTTL > c.RefreshTokenTTL {
		errs = append(errs, errors.New("Local.AccessTokenTTL must not be longer than RefreshTokenTTL"))
	}
	if c.Algorithm != "" && c.Algorithm != accesstoken.EdDSA && c.Algorithm != accesstoken.ES256 {
		errs = append(errs, fmt.Errorf("Local.Algorithm %q: use EdDSA or ES256", c.Algorithm))
	}
	if c.KeyRotation > 0 && c.KeyRotation < time.Hour {
		errs = append(errs, errors.New("Local.KeyRotation must be at least an hour (or negative: never)"))
	}
	if origin, _, _ := parseBaseURL(cfg.URL, len(cfg.AllowedHosts) > 0); origin == "" && c.Issuer == "" {
		errs = append(errs, errors.New("Local.Issuer is required when URL is a path: the public URL of the auth API, e.g. https://auth.example.com/api/auth"))
	}
	return errs
}

// localState is the local provider of an Auth.
type localState struct {
	cfg      LocalConfig
	store    LocalStore
	keys     *keyring
	verifier *accesstoken.Verifier
	issuer   string

	mu     sync.Mutex
	live   map[string]time.Time // sid → trusted live until
	pruned time.Time            // last DeleteExpiredRefreshFamilies
	// verified caches the claims of access tokens whose signature was
	// checked (the hot path of bearer requests), for a minute at most.
	verified map[string]verifiedToken
}

type verifiedToken struct {
	claims *accesstoken.Claims
	until  time.Time
}

// maxCached bounds the caches of live sign-ins and verified tokens; a
// full cache is emptied.
const maxCached = 20_000

func (a *Auth) newLocal() {
	c := a.cfg.Local
	if !c.Enabled {
		return
	}
	l := &localState{cfg: c, store: a.cfg.Store.(LocalStore), issuer: c.Issuer, live: map[string]time.Time{}, verified: map[string]verifiedToken{}}
	if l.issuer == "" {
		l.issuer = a.origin + a.basePath
	}
	l.keys = &keyring{store: l.store, secrets: a.cfg.Secrets, alg: c.Algorithm, rotate: c.KeyRotation, ttl: c.AccessTokenTTL, now: a.now, log: a.log}
	l.verifier = &accesstoken.Verifier{Keys: l.keys, Issuer: l.issuer, Audience: c.Audience, Now: a.now}
	a.local = l
}

// localError is the JSON of a refused request.
type localError struct {
	Error   string `json:"error"`
	Message string `json:"message,omitempty"`
	Field   string `json:"field,omitempty"`
}

// serveLocal answers <base>/local/<endpoint>.
func (a *Auth) serveLocal(w http.ResponseWriter, r *http.Request, endpoint string) {
	noCache(w.Header())
	method := func(m string) bool {
		if r.Method == m || m == http.MethodGet && r.Method == http.MethodHead {
			return true
		}
		allow := m
		if m == http.MethodGet {
			allow = "GET, HEAD"
		}
		w.Header().Set("Allow", allow)
		localJSON(w, http.StatusMethodNotAllowed, localError{Error: "MethodNotAllowed", Message: "use " + m})
		return false
	}
	switch endpoint {
	case "login":
		if method(http.MethodPost) {
			a.localLogin(w, r)
		}
	case "session":
		if method(http.MethodGet) {
			a.localSessionGET(w, r)
		}
	case "refresh":
		if method(http.MethodPost) {
			a.localRefresh(w, r)
		}
	case "logout":
		if method(http.MethodPost) {
			a.localLogout(w, r)
		}
	case "register":
		if a.local.cfg.SignUp == nil {
			localJSON(w, http.StatusNotFound, localError{Error: "NotFound", Message: "sign-up is not enabled"})
			return
		}
		if method(http.MethodPost) {
			a.localRegister(w, r)
		}
	case "jwks":
		if method(http.MethodGet) {
			a.serveJWKS(w, r)
		}
	default:
		localJSON(w, http.StatusNotFound, localError{Error: "NotFound"})
	}
}

func localJSON(w http.ResponseWriter, status int, v any) {
	b, err := marshalJS(v)
	if err != nil {
		b, status = []byte(`{"error":"Configuration"}`), http.StatusInternalServerError
	}
	w.Header()["Content-Type"] = hdrJSON
	w.WriteHeader(status)
	w.Write(b)
}

// readBody parses the JSON body or answers the problem.
func (a *Auth) readBody(w http.ResponseWriter, r *http.Request, emptyOK bool) (jsonbody.Object, bool) {
	o, err := jsonbody.Parse(r, a.cfg.MaxBodyBytes, emptyOK)
	switch {
	case errors.Is(err, jsonbody.ErrTooLarge):
		localJSON(w, http.StatusRequestEntityTooLarge, localError{Error: "InvalidRequest", Message: err.Error()})
	case errors.Is(err, jsonbody.ErrUnsupportedType):
		localJSON(w, http.StatusUnsupportedMediaType, localError{Error: "InvalidRequest", Message: err.Error()})
	case err != nil:
		localJSON(w, http.StatusBadRequest, localError{Error: "InvalidRequest", Message: err.Error()})
	default:
		return o, true
	}
	return nil, false
}

func fieldError(w http.ResponseWriter, err error) {
	var fe *jsonbody.FieldError
	if errors.As(err, &fe) {
		localJSON(w, http.StatusBadRequest, localError{Error: "InvalidRequest", Message: fe.Error(), Field: fe.Field})
		return
	}
	localJSON(w, http.StatusBadRequest, localError{Error: "InvalidRequest", Message: err.Error()})
}

// localProvider returns the credentials provider of a login: the one
// named, else the first.
func (a *Auth) localProvider(id string) *Credentials {
	for _, p := range a.providers {
		if c, ok := p.(*Credentials); ok && (id == "" || c.Info().ID == id) {
			return c
		}
	}
	return nil
}

func (a *Auth) localFailure(r *http.Request, provider, code string) {
	a.log.Info("latch: sign-in failed", "provider", provider, "code", code, "ip", a.cfg.ClientIP(r))
	if f := a.cfg.Events.SignInFailure; f != nil {
		f(r.Context(), SignInFailureEvent{Provider: provider, Code: code, Request: r})
	}
}

// refusal answers an *Error of a sign-in or sign-up.
func (a *Auth) refusal(w http.ResponseWriter, r *http.Request, provider string, e *Error) {
	status := e.Status
	if status == 0 {
		switch e.Code {
		case CodeAccessDenied:
			status = http.StatusForbidden
		case CodeTooManyRequests:
			status = http.StatusTooManyRequests
		default:
			status = http.StatusUnauthorized
		}
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	a.localFailure(r, provider, e.Code)
	localJSON(w, status, localError{Error: e.Code, Message: localMessages[e.Code]})
}

var localMessages = map[string]string{
	CodeCredentialsSignin:    "Sign in failed. Check the details you provided are correct.",
	CodeAccessDenied:         "You do not have permission to sign in.",
	CodeTooManyRequests:      "Too many attempts. Try again later.",
	CodeSecondFactorRequired: "Enter the code of your authenticator app (or a recovery code) in \"code\".",
	CodeSecondFactorInvalid:  "The code is wrong or was used already.",
}

// localLogin answers POST <base>/local/login.
func (a *Auth) localLogin(w http.ResponseWriter, r *http.Request) {
	body, ok := a.readBody(w, r, false)
	if !ok {
		return
	}
	creds, err := body.Strings("email", "username", "password", "provider", "code")
	if err != nil {
		fieldError(w, err)
		return
	}
	if creds["email"] == "" && creds["username"] != "" {
		creds["email"] = creds["username"]
	}
	p := a.localProvider(creds["provider"])
	if p == nil {
		localJSON(w, http.StatusBadRequest, localError{Error: "InvalidRequest", Message: "no such credentials provider", Field: "provider"})
		return
	}
	ctx := r.Context()
	info := p.Info()
	user, err := p.Authorize(ctx, creds, r)
	var le *Error
	switch {
	case errors.As(err, &le):
		a.refusal(w, r, info.ID, le)
		return
	case err != nil:
		a.log.Error("latch: credentials authorize failed", "provider", info.ID, "err", err)
		a.localFailure(r, info.ID, CodeCallback)
		localJSON(w, http.StatusInternalServerError, localError{Error: CodeCallback, Message: "The sign-in could not be completed."})
		return
	case user == nil || user.ID == "":
		if user != nil {
			a.log.Error("latch: credentials Authorize returned a user without an ID", "provider", info.ID)
		}
		a.refusal(w, r, info.ID, ErrCredentialsSignin)
		return
	}
	if p.SecondFactor && a.twoFactor != nil {
		le, err := a.checkSecondFactor(ctx, r, user.ID, creds["code"])
		if err != nil {
			a.log.Error("latch: second factor", "provider", info.ID, "err", err)
			a.localFailure(r, info.ID, CodeCallback)
			localJSON(w, http.StatusInternalServerError, localError{Error: CodeCallback, Message: "The sign-in could not be completed."})
			return
		}
		if le != nil {
			a.refusal(w, r, info.ID, le)
			return
		}
	}
	account := &Account{Provider: info.ID, Type: TypeCredentials, ProviderAccountID: user.ID}
	if f := a.cfg.Callbacks.SignIn; f != nil {
		if err := f(ctx, &SignInParams{User: user, Account: account, Credentials: creds}); err != nil {
			if !errors.As(err, &le) || le.Code == "" {
				a.log.Warn("latch: sign-in refused by the SignIn callback", "provider", info.ID, "err", err)
				le = ErrAccessDenied
			}
			if le.Status == 0 {
				le = &Error{Code: le.Code, Status: http.StatusForbidden, RetryAfter: le.RetryAfter}
			}
			a.refusal(w, r, info.ID, le)
			return
		}
	}
	now := a.now()
	a.pruneFamilies(ctx, now)
	refresh := newRefreshToken()
	fam := RefreshFamily{
		ID: uuid.NewString(), UserID: user.ID, Name: user.Name, Email: user.Email, Image: user.Image, Provider: info.ID,
		Created: now, LastUsed: now, Expires: now.Add(a.local.cfg.RefreshTokenTTL),
	}
	if err := a.local.store.CreateRefreshFamily(ctx, fam, RefreshToken{Hash: hashToken(refresh), Family: fam.ID, Created: now}); err != nil {
		a.log.Error("latch: store a refresh token", "err", err)
		localJSON(w, http.StatusInternalServerError, localError{Error: CodeCallback, Message: "The sign-in could not be completed."})
		return
	}
	token, err := a.accessToken(ctx, &fam, now)
	if err != nil {
		a.log.Error("latch: sign an access token", "err", err)
		localJSON(w, http.StatusInternalServerError, localError{Error: CodeCallback, Message: "The sign-in could not be completed."})
		return
	}
	if f := a.cfg.Events.SignIn; f != nil {
		f(ctx, SignInEvent{User: user, Account: account, Request: r})
	}
	localJSON(w, http.StatusOK, tokenPair{Token: token, RefreshToken: refresh})
}

type tokenPair struct {
	Token        string `json:"token"`
	RefreshToken string `json:"refreshToken"`
}

// pruneFamilies deletes expired refresh-token families, at most once an
// hour per instance.
func (a *Auth) pruneFamilies(ctx context.Context, now time.Time) {
	l := a.local
	l.mu.Lock()
	due := now.Sub(l.pruned) > time.Hour
	if due {
		l.pruned = now
	}
	l.mu.Unlock()
	if !due {
		return
	}
	if _, err := l.store.DeleteExpiredRefreshFamilies(ctx, now); err != nil {
		a.log.Error("latch: delete expired refresh tokens", "err", err)
	}
}

// accessToken signs an access token for the family's user.
func (a *Auth) accessToken(ctx context.Context, f *RefreshFamily, now time.Time) (string, error) {
	key, err := a.local.keys.signingKey(ctx)
	if err != nil {
		return "", err
	}
	c := &accesstoken.Claims{
		Issuer: a.local.issuer, Subject: f.UserID, SessionID: f.ID,
		Email: f.Email, Name: f.Name, Picture: f.Image,
		IssuedAt: now.Unix(), Expiry: now.Add(a.local.cfg.AccessTokenTTL).Unix(), ID: uuid.NewString(),
	}
	if aud := a.local.cfg.Audience; aud != "" {
		c.Audience = []string{aud}
	}
	return accesstoken.Sign(key, c)
}
