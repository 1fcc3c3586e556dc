// Package latch is an authentication and session handler for Go web apps
// that speaks the NextAuth.js v4 REST API, so the next-auth/react and
// @sidebase/nuxt-auth clients work against it unchanged and session cookies
// minted by a NextAuth app stay valid.
//
// Mount the [Auth] handler under its base path (default /api/auth), read the
// session of a request with [Auth.Session], and protect routes with
// [Auth.Require].
package latch

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"net/url"

	"github.com/latchauth/latch/clientip"
	"github.com/latchauth/latch/internal/clientjs"
	"github.com/latchauth/latch/internal/pages"
	"github.com/latchauth/latch/internal/redirect"
)

// Auth serves the auth API under its base path and answers who is signed
// in. Create one with [New]; it is safe for concurrent use.
type Auth struct {
	cfg      Config
	origin   string // URL's origin; "" when URL is a bare path
	basePath string
	// originBase is origin + basePath.
	originBase string
	// hosts are the hosts the site answers on (URL's and AllowedHosts,
	// lower case, no default port); nil when URL's origin is the only one.
	hosts map[string]bool
	// firstHost is AllowedHosts[0], the fallback host when URL is a path.
	firstHost string
	proxies   *clientip.Resolver // TrustedProxies
	providers []Provider
	byID      map[string]Provider
	// secureNames and plainNames are the cookie names for https and http.
	secureNames, plainNames *cookieNames
	trusted                 map[string]bool
	theme                   pages.Theme
	log                     *slog.Logger
	ctxKey                  *int            // per-instance context key
	local                   *localState     // nil unless Local.Enabled
	passkey                 *passkeyState   // nil without a Passkey provider
	twoFactor               *twoFactorState // nil unless SecondFactor.Enabled
	// revocations are the session revocation marks of JWT sessions; nil
	// without a SessionRevocationStore.
	revocations *revocations
	sightings   *sightings // nil without a SessionSightingStore
	pw          passwordHooks
	tokens      tokenState // provider tokens
	// signsOutAtProviders is set when a provider may end sessions or
	// revoke tokens at sign-out (a ProviderSignOut).
	signsOutAtProviders bool
}

// New checks cfg and returns the handler it describes. Every problem is
// reported at once, in words that say what to change.
func New(cfg Config) (*Auth, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg.withDefaults()
	cfg.Secrets = slices.Clone(cfg.Secrets)
	cfg.Providers = slices.Clone(cfg.Providers)
	origin, base, _ := parseBaseURL(cfg.URL, len(cfg.AllowedHosts) > 0)
	proxies, _ := clientip.New(cfg.TrustedProxies) // validated
	if cfg.ClientIP == nil {
		cfg.ClientIP = proxies.IP
	}
	a := &Auth{
		cfg:        cfg,
		origin:     origin,
		basePath:   base,
		originBase: origin + base,
		providers:  cfg.Providers,
		byID:       map[string]Provider{},
		trusted:    map[string]bool{},
		log:        cfg.Logger,
		ctxKey:     new(int),
		proxies:    proxies,
		theme:      pages.Theme{BrandColor: cfg.Theme.BrandColor, LogoURL: cfg.Theme.LogoURL, AppName: cfg.Theme.AppName},
	}
	if len(cfg.AllowedHosts) > 0 {
		a.hosts = map[string]bool{}
		if origin != "" {
			a.hosts[hostOf(origin)] = true
		}
		for _, h := range cfg.AllowedHosts {
			h, _ = normalizeHost(h) // validated
			a.hosts[strings.TrimSuffix(strings.TrimSuffix(h, ":443"), ":80")] = true
		}
		a.firstHost, _ = normalizeHost(cfg.AllowedHosts[0])
	}
	for _, p := range cfg.Providers {
		a.byID[p.Info().ID] = p
		if _, ok := p.(ProviderSignOut); ok {
			a.signsOutAtProviders = true
		}
		if op, ok := p.(OAuthProvider); ok && op.Checks().FormPost && strings.HasPrefix(origin, "http://") {
			a.log.Warn("latch: this provider answers with a cross-site POST (form_post), which carries the sign-in's check cookies only on https; on "+origin+" its sign-ins will fail with OAuthCallback",
				"provider", p.Info().ID)
		}
	}
	for _, o := range cfg.TrustedOrigins {
		u, _ := url.Parse(o) // validated
		a.trusted[redirect.Origin(u)] = true
	}
	var err error
	if a.secureNames, err = newCookieNames(cfg.TokenFormat, true, cfg.Cookies, cfg.Secrets); err != nil {
		return nil, fmt.Errorf("latch: %w", err)
	}
	if a.plainNames, err = newCookieNames(cfg.TokenFormat, false, cfg.Cookies, cfg.Secrets); err != nil {
		return nil, fmt.Errorf("latch: %w", err)
	}
	if a.tokens.sealer, err = newTokenSealer(cfg.Secrets); err != nil {
		return nil, fmt.Errorf("latch: %w", err)
	}
	a.newLocal()
	a.pw = newPasswordHooks(cfg.Providers)
	if rs, ok := storeAs[SessionRevocationStore](cfg.Store); ok && cfg.Strategy != DatabaseSessions {
		a.revocations = &revocations{store: rs}
		if ss, ok := storeAs[SessionSightingStore](cfg.Store); ok {
			a.sightings = &sightings{store: ss, last: map[string]time.Time{}}
		}
	}
	a.newSecondFactor()
	if err := a.newPasskey(); err != nil {
		return nil, fmt.Errorf("latch: %w", err)
	}
	return a, nil
}

// BasePath returns the path the handler serves, e.g. "/api/auth".
func (a *Auth) BasePath() string { return a.basePath }

func (a *Auth) now() time.Time { return a.cfg.Now() }

// ServeHTTP serves the NextAuth REST API: session, csrf, providers, signin,
// callback, signout, error, verify-request and _log under the base path,
// and POST verify-request, where an emailed code signs in.
func (a *Auth) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, a.basePath) // then "/", without concatenating
	if ok {
		rest, ok = strings.CutPrefix(rest, "/")
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	action, provider, _ := strings.Cut(rest, "/")
	if strings.Contains(provider, "/") {
		unsupported(w, r)
		return
	}
	if a.cors(w, r, action == "local") {
		return
	}
	if action == "local" && a.local != nil {
		a.serveLocal(w, r, provider)
		return
	}
	if action == "token" && a.cfg.ProviderTokens.Enabled {
		a.serveToken(w, r, provider)
		return
	}
	x := a.newExchange(w, r, action, provider)
	switch {
	case action == "providers" && r.Method == http.MethodGet:
		a.serveProviders(x)
		return
	case action == "_log" && r.Method == http.MethodPost:
		a.serveLog(x)
		return
	case rest == "client.js" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		clientjs.Serve(w, r)
		return
	case rest == "passkey.js" && a.passkey != nil && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		pages.ServePasskeyJS(w, r)
		return
	}
	if !a.route(x, action, r.Method == http.MethodGet, r.Method == http.MethodPost) {
		unsupported(w, r)
	}
}

// route runs the action's handler after NextAuth's per-request init, or
// reports false for an unsupported action or method.
func (a *Auth) route(x *exchange, action string, get, post bool) bool {
	var handle func(*Auth, *exchange)
	switch {
	case action == "session" && (get || post):
		handle = (*Auth).serveSession
	case action == "csrf" && get:
		handle = (*Auth).serveCSRF
	case action == "signin" && get:
		handle = (*Auth).serveSignInPage
	case action == "signin" && post:
		handle = (*Auth).serveSignIn
	case action == "callback" && (get || post):
		handle = (*Auth).serveCallback
	case action == "signout" && get:
		handle = (*Auth).serveSignOutPage
	case action == "signout" && post:
		handle = (*Auth).serveSignOut
	case action == "error" && get:
		handle = (*Auth).serveError
	case action == "verify-request" && get:
		handle = (*Auth).serveVerifyRequest
	case action == "verify-request" && post:
		handle = (*Auth).serveVerifyCode
	case action == "webauthn-options" && get:
		handle = (*Auth).servePasskeyOptions
	case action == "passkeys" && (get || post) && a.passkey != nil:
		handle = (*Auth).servePasskeysPage
	case action == "two-factor" && (get || post) && a.twoFactor != nil:
		handle = (*Auth).serveTwoFactorPage
	case action == "account" && (get || post) && a.cfg.Store != nil:
		handle = (*Auth).serveAccountPage
	case action == "forgot-password" && (get || post) && a.resetsPasswords():
		handle = (*Auth).serveForgotPassword
	case action == "reset-password" && (get || post) && a.resetsPasswords():
		handle = (*Auth).serveResetPassword
	case action == "signup" && (get || post) && a.signsUp():
		handle = (*Auth).serveSignUp
	default:
		return false
	}
	if x.init() {
		handle(a, x)
	}
	return true
}

// unsupported is NextAuth's answer to an unknown action or method.
func unsupported(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, "Error: This action with HTTP %s is not supported by NextAuth.js", sanitizeMethod(r.Method))
}

func sanitizeMethod(m string) string {
	for i := 0; i < len(m); i++ {
		if c := m[i]; c < 'A' || c > 'Z' {
			return "UNKNOWN"
		}
	}
	return m
}

// cors answers browser pages of trusted origins. It reports whether the
// request was a preflight that has been answered. bearer allows the
// Authorization header too (the local provider's endpoints).
func (a *Auth) cors(w http.ResponseWriter, r *http.Request, bearer bool) bool {
	if len(a.trusted) == 0 {
		return false
	}
	h := w.Header()
	h.Add("Vary", "Origin") // answers differ by Origin: caches must keep them apart
	origin := strings.ToLower(r.Header.Get("Origin"))
	if origin == "" || !a.trusted[origin] {
		return false
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Credentials", "true")
	if r.Method != http.MethodOptions {
		return false
	}
	h.Set("Access-Control-Allow-Methods", "GET, POST")
	if bearer {
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
	} else {
		h.Set("Access-Control-Allow-Headers", "Content-Type")
	}
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
	return true
}

// contextKey carries the session found by Require.
type contextKey struct{ key *int }
