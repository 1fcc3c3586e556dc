package latch

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/latchauth/latch/clientip"
	"github.com/latchauth/latch/internal/redirect"
	"github.com/latchauth/latch/jwt"
)

// MinSecretLength is the shortest secret accepted for encrypting. Generate
// one with `latch secret` or `openssl rand -base64 32`.
const MinSecretLength = 32

// Config configures an [Auth]. The zero value of every optional field
// means its default.
type Config struct {
	// URL is the public URL of the auth API: the site origin plus the base
	// path, as NEXTAUTH_URL, e.g. "https://example.com/api/auth". A URL
	// without a path gets "/api/auth". It may be a bare path only when
	// AllowedHosts names the hosts the site is reached at.
	URL string

	// Secrets encrypt session tokens and sign CSRF tokens. The first one
	// encrypts and must be at least MinSecretLength characters; every one
	// decrypts, so a new secret can be put first while the old ones still
	// read existing sessions (rotation without signing anybody out).
	Secrets []string

	// Providers are the ways to sign in, in the order the sign-in page
	// lists them. Provider ids must be unique.
	Providers []Provider

	// Store keeps users, accounts and sessions. OAuth sign-ins create and
	// link users in it; database sessions live in it.
	Store Store
	// Strategy is where sessions live: JWTSessions (default; in an
	// encrypted cookie) or DatabaseSessions (an opaque token in the cookie,
	// the session in Store, so it can be revoked at once).
	Strategy SessionStrategy

	// MaxAge is how long an idle session lives. Default 30 days.
	MaxAge time.Duration
	// UpdateAge is how often a database session's expiry is written back
	// by GET <base>/session, and how often [Auth.Require] extends the
	// sessions it sees (both strategies). Default 24 hours.
	UpdateAge time.Duration

	// TokenFormat selects the cookie family and token format: jwt.V4
	// (default; next-auth.* cookies, A256GCM, as next-auth 4.x) or jwt.V5
	// (authjs.* cookies, A256CBC-HS512, as Auth.js v5).
	TokenFormat jwt.Generation

	Callbacks Callbacks
	Events    Events

	// Pages replace the built-in pages with your own.
	Pages Pages
	// Theme styles the built-in pages.
	Theme Theme

	// Cookies adjusts the cookies' attributes.
	Cookies CookieOptions

	// AllowedHosts are the hosts ("example.com", "www.example.com",
	// "app.example.com:8443") the site is also reached at, besides URL's
	// own. A request for one of them (its Host header, or a trusted proxy's
	// X-Forwarded-Host) is answered on that origin: links in emails,
	// cookies and the same-origin rule of callbackUrls use it. A request
	// for any other host is answered on URL's origin (or the first allowed
	// host when URL is a bare path), so a client never chooses the origin.
	AllowedHosts []string

	// TrustForwardedHeaders reads the scheme and host of the public origin
	// from X-Forwarded-Proto and X-Forwarded-Host, for requests that come
	// straight from one of TrustedProxies (from anybody else the headers
	// are ignored). The host must still be URL's or one of AllowedHosts.
	TrustForwardedHeaders bool

	// TrustedProxies are the addresses (CIDR ranges like "10.0.0.0/8", or
	// single addresses) of your reverse proxies and load balancers. Only
	// their X-Forwarded-* headers count: for the origin with
	// TrustForwardedHeaders, and for the client's address unless ClientIP
	// is set. None by default.
	TrustedProxies []string

	// TrustedOrigins are other origins (e.g. "https://app.example.com")
	// whose pages call the auth API from the browser: they get CORS answers
	// with credentials, and callbackUrls on them are allowed. Nobody else
	// gets CORS headers.
	TrustedOrigins []string

	// ClientIP returns the address of a request's client, for logs and
	// events (give the same function to rate-limited providers). Default:
	// the host of RemoteAddr, or, from TrustedProxies, the client they
	// name in X-Forwarded-For (clientip.Resolver).
	ClientIP func(*http.Request) string

	// Local serves the token endpoints of @sidebase/nuxt-auth's "local"
	// provider under <base>/local, with signed access tokens and refresh
	// tokens (see [LocalConfig]).
	Local LocalConfig

	// SignUp serves a sign-up page at <base>/signup: a new account with
	// an email address and a password, created once the address is proven
	// by a link sent to it. It needs a Store, an email provider and a
	// credentials provider with HashPassword (provider/password).
	SignUp bool

	// ProviderTokens keeps the access tokens of OAuth providers fresh
	// (see [Auth.ProviderToken] and [ProviderTokenConfig]).
	ProviderTokens ProviderTokenConfig
	// SecondFactor turns on TOTP and recovery codes for the users of
	// credentials providers with SecondFactor set (see
	// [SecondFactorConfig]).
	SecondFactor SecondFactorConfig

	// MaxBodyBytes bounds POST bodies. Default 64 KiB.
	MaxBodyBytes int64

	// Logger receives the handler's logs. Default slog.Default().
	Logger *slog.Logger
	// Now returns the current time. Default time.Now.
	Now func() time.Time
}

// SessionStrategy says where sessions live.
type SessionStrategy int

const (
	// JWTSessions keep the session in an encrypted cookie (NextAuth's "jwt").
	JWTSessions SessionStrategy = iota
	// DatabaseSessions keep it in the Store (NextAuth's "database").
	DatabaseSessions
)

// Pages are URLs of your own pages that replace the built-in ones. Each is
// absolute or a path on the site.
type Pages struct {
	SignIn        string // gets ?callbackUrl=...&error=...
	SignOut       string
	Error         string // gets ?error=CODE
	VerifyRequest string
}

// Theme styles the built-in pages.
type Theme struct {
	BrandColor string // CSS colour of buttons, e.g. "#0f766e"
	LogoURL    string // image above the card
	AppName    string // default "Latch"
}

// CookieOptions adjust the cookies' attributes.
type CookieOptions struct {
	// Domain shares cookies with subdomains (not the __Host- CSRF cookie,
	// which the browser would refuse).
	Domain string
	// SameSite defaults to Lax, which the OAuth redirects need.
	SameSite http.SameSite
}

func (c *Config) withDefaults() {
	if c.MaxAge == 0 {
		c.MaxAge = 30 * 24 * time.Hour
	}
	if c.UpdateAge == 0 {
		c.UpdateAge = 24 * time.Hour
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 64 << 10
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	c.Local.withDefaults()
	c.ProviderTokens.withDefaults(c.Store)
	if c.Now == nil {
		c.Now = time.Now
	}
}

// parseBaseURL reads a NEXTAUTH_URL-style value into origin and base path.
func parseBaseURL(raw string, bareAllowed bool) (origin, path string, err error) {
	if raw == "" {
		if bareAllowed {
			return "", "/api/auth", nil
		}
		return "", "", errors.New("URL is required: the public URL of the auth API, e.g. https://example.com/api/auth (or a path with AllowedHosts)")
	}
	if strings.HasPrefix(raw, "/") && bareAllowed {
		path = strings.TrimSuffix(raw, "/")
		if path == "" {
			path = "/api/auth"
		}
		return "", path, nil
	}
	if strings.HasPrefix(raw, "/") {
		return "", "", fmt.Errorf("URL %q is a path: give the public URL like https://example.com/api/auth, or name the site's hosts in AllowedHosts", raw)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", "", fmt.Errorf("URL %q is not an absolute http(s) URL like https://example.com/api/auth", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", "", fmt.Errorf("URL %q must not have a query, fragment or user info", raw)
	}
	path = strings.TrimSuffix(u.Path, "/")
	if path == "" {
		path = "/api/auth"
	}
	return redirect.Origin(u), path, nil
}

// validate reports every problem of the configuration at once.
func (c *Config) validate() error {
	var errs []error
	if _, _, err := parseBaseURL(c.URL, len(c.AllowedHosts) > 0); err != nil {
		errs = append(errs, err)
	}
	for _, h := range c.AllowedHosts {
		if _, err := normalizeHost(h); err != nil {
			errs = append(errs, err)
		}
	}
	if _, err := clientip.New(c.TrustedProxies); err != nil {
		errs = append(errs, fmt.Errorf("TrustedProxies: %w", err))
	}
	if c.TrustForwardedHeaders && len(c.TrustedProxies) == 0 {
		errs = append(errs, errors.New("TrustForwardedHeaders needs TrustedProxies: the addresses of the proxies whose X-Forwarded-Proto and X-Forwarded-Host to believe (from anybody else they are ignored)"))
	}
	switch {
	case len(c.Secrets) == 0:
		errs = append(errs, errors.New("a secret is required (Secrets); generate one with `latch secret` or `openssl rand -base64 32`"))
	case len(c.Secrets[0]) < MinSecretLength:
		errs = append(errs, fmt.Errorf("the first secret is %d characters; it must be at least %d (generate one with `latch secret`)", len(c.Secrets[0]), MinSecretLength))
	}
	for i, s := range c.Secrets {
		if s == "" {
			errs = append(errs, fmt.Errorf("secret %d is empty", i+1))
		}
	}
	seen := map[string]bool{}
	for i, p := range c.Providers {
		if p == nil {
			errs = append(errs, fmt.Errorf("provider %d is nil", i+1))
			continue
		}
		info := p.Info()
		switch {
		case info.ID == "":
			errs = append(errs, fmt.Errorf("provider %d has no id", i+1))
		case strings.ContainsAny(info.ID, "/?#% "):
			errs = append(errs, fmt.Errorf("provider id %q must not contain '/', '?', '#', '%%' or spaces", info.ID))
		case seen[info.ID]:
			errs = append(errs, fmt.Errorf("duplicate provider id %q: give each provider its own ID", info.ID))
		}
		seen[info.ID] = true
		if _, ok := p.(EmailProvider); ok && c.Store == nil {
			errs = append(errs, fmt.Errorf("email provider %q needs a Store for its verification tokens", info.ID))
		}
		if cp, ok := p.(*Credentials); ok && cp.Authorize == nil {
			errs = append(errs, fmt.Errorf("credentials provider %q has no Authorize function", info.ID))
		}
	}
	if c.MaxAge < 0 || c.UpdateAge < 0 {
		errs = append(errs, errors.New("MaxAge and UpdateAge must not be negative"))
	}
	if c.Strategy == DatabaseSessions && c.Store == nil {
		errs = append(errs, errors.New("Strategy DatabaseSessions needs a Store"))
	}
	if c.Strategy != JWTSessions && c.Strategy != DatabaseSessions {
		errs = append(errs, fmt.Errorf("unknown Strategy %d: use JWTSessions or DatabaseSessions", c.Strategy))
	}
	if c.TokenFormat != jwt.V4 && c.TokenFormat != jwt.V5 {
		errs = append(errs, fmt.Errorf("unknown TokenFormat %d: use jwt.V4 or jwt.V5", c.TokenFormat))
	}
	for _, o := range c.TrustedOrigins {
		u, err := url.Parse(o)
		if err != nil || redirect.Origin(u) == "" || u.Path != "" && u.Path != "/" || u.RawQuery != "" {
			errs = append(errs, fmt.Errorf("trusted origin %q is not an origin like https://app.example.com", o))
		}
	}
	for name, p := range map[string]string{"Pages.SignIn": c.Pages.SignIn, "Pages.SignOut": c.Pages.SignOut, "Pages.Error": c.Pages.Error, "Pages.VerifyRequest": c.Pages.VerifyRequest} {
		if p == "" {
			continue
		}
		if u, err := url.Parse(p); err != nil || !strings.HasPrefix(p, "/") && redirect.Origin(u) == "" || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\t\r\n") {
			errs = append(errs, fmt.Errorf("%s %q is neither a path nor an http(s) URL", name, p))
		}
	}
	errs = append(errs, c.Local.validate(c)...)
	if pt := c.ProviderTokens; pt.MinValidity < 0 || pt.Timeout < 0 || pt.Grace < 0 {
		errs = append(errs, errors.New("ProviderTokens.MinValidity, Timeout and Grace must not be negative (0 means the default)"))
	}
	errs = append(errs, c.validatePasskey()...)
	errs = append(errs, c.validateSecondFactor()...)
	if len(errs) > 0 {
		return fmt.Errorf("latch: invalid configuration:\n%w", errors.Join(errs...))
	}
	return nil
}

// normalizeHost checks an AllowedHosts entry ("example.com",
// "app.example.com:8443") and returns it in lower case.
func normalizeHost(h string) (string, error) {
	u, err := url.Parse("http://" + h)
	if h == "" || err != nil || u.Host != h || u.Hostname() == "" {
		return "", fmt.Errorf("allowed host %q is not a host name with an optional port, like example.com or app.example.com:8443", h)
	}
	return strings.ToLower(h), nil
}
