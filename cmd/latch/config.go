package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/parser"
	"github.com/latchauth/latch"
	"github.com/latchauth/latch/access"
	"github.com/latchauth/latch/clientip"
	"github.com/latchauth/latch/guard"
	"github.com/latchauth/latch/provider/password"
)

// fileConfig is the configuration file, every field optional.
type fileConfig struct {
	// URL is the public URL of the auth API (NEXTAUTH_URL).
	URL string `yaml:"url"`
	// Addr is the listen address, default ":3456" (3000 is what the Next.js
	// and Nuxt dev servers take, the frontends Latch serves).
	Addr string `yaml:"addr"`
	// TLS serves https with this certificate and key (PEM files, relative
	// to the configuration file); without it, plain http (behind a proxy
	// that terminates TLS).
	TLS *struct {
		CertFile string `yaml:"certFile"`
		KeyFile  string `yaml:"keyFile"`
	} `yaml:"tls"`
	// Secrets: the first encrypts, all decrypt.
	Secrets []string `yaml:"secrets"`
	// Database is the SQLite file (default ./latch-data/latch.db) or a
	// PostgreSQL URL (postgres://...).
	Database string `yaml:"database"`
	// Redis, when set (redis://host:port/db), keeps sessions, email tokens
	// and rate limits, shared by every instance.
	Redis       string `yaml:"redis"`
	RedisPrefix string `yaml:"redisPrefix"`
	// SessionStrategy is "jwt" (default) or "database".
	SessionStrategy string `yaml:"sessionStrategy"`
	// Email enables sign-in links by email.
	Email *emailConfig `yaml:"email"`
	// OAuth lists OAuth 2.0 / OpenID Connect providers.
	OAuth []oauthConfig `yaml:"oauth"`
	// Metrics serves Prometheus metrics at /metrics: true, or the mapping
	// of metricsConfig.
	Metrics metricsConfig `yaml:"metrics"`
	Session struct {
		// Durations like "720h" (Go syntax), checked in resolve.
		MaxAge    string `yaml:"maxAge"`
		UpdateAge string `yaml:"updateAge"`
	} `yaml:"session"`
	// AllowedHosts are more hosts the site is reached at, besides url's
	// (with a bare-path url, all of them).
	AllowedHosts []string `yaml:"allowedHosts"`
	// TrustForwardedHeaders takes the scheme and host from
	// X-Forwarded-Proto and -Host, from trustedProxies only.
	TrustForwardedHeaders bool `yaml:"trustForwardedHeaders"`
	// TrustedProxies are the addresses (CIDR ranges) of your proxies or
	// load balancers: from them, the client's address is read from
	// X-Forwarded-For, for rate limits and logs.
	TrustedProxies []string `yaml:"trustedProxies"`
	TrustedOrigins []string `yaml:"trustedOrigins"`
	Theme          struct {
		BrandColor string `yaml:"brandColor"`
		LogoURL    string `yaml:"logoUrl"`
		AppName    string `yaml:"appName"`
	} `yaml:"theme"`
	// Demo serves the demo app at "/"; default true without Upstream.
	Demo *bool `yaml:"demo"`
	// Upstream makes latch serve guard an app as a reverse proxy.
	Upstream *upstreamConfig `yaml:"upstream"`
	// ForwardAuth serves the access checks of nginx (auth_request),
	// Traefik and Caddy (forward auth) for the sites it lists.
	ForwardAuth *forwardAuthConfig `yaml:"forwardAuth"`
	// Cookies adjusts the cookies' attributes.
	Cookies struct {
		// Domain shares the session with subdomains, e.g. example.com
		// for auth.example.com and app.example.com.
		Domain string `yaml:"domain"`
	} `yaml:"cookies"`
	// AuthJSCookies uses Auth.js v5 cookies and tokens.
	AuthJSCookies bool `yaml:"authjsCookies"`
	// Local serves @sidebase/nuxt-auth's local provider at <base>/local.
	Local *localConfig `yaml:"local"`
	// Passkeys turns on sign-in with passkeys (WebAuthn).
	Passkeys *passkeysConfig `yaml:"passkeys"`
	// TwoFactor lets users of the built-in database turn on a second
	// factor (TOTP and recovery codes).
	TwoFactor *twoFactorConfig `yaml:"twoFactor"`
	// Limits bounds time, connections and memory.
	Limits limitsConfig `yaml:"limits"`
	// Access is who may sign in; without it, whoever a provider signs in.
	Access *accessConfig `yaml:"access"`
	// SignUp serves the sign-up page (<base>/signup): new accounts of the
	// built-in user database, created once the address is proven by
	// email (needs email).
	SignUp bool `yaml:"signUp"`
	// ShutdownTimeout is how long latch serve waits for the requests
	// under way when it stops, default 10s (Go syntax).
	ShutdownTimeout string `yaml:"shutdownTimeout"`
	// Log is the format and level of the server's log.
	Log logConfig `yaml:"log"`
	// ProviderTokens keeps OAuth providers' access tokens fresh and serves
	// them at <base>/token/<provider> (latch.ProviderTokenConfig).
	ProviderTokens *providerTokensConfig `yaml:"providerTokens"`
}

// providerTokensConfig configures provider tokens.
type providerTokensConfig struct {
	// Enabled defaults to true when the section is there.
	Enabled *bool `yaml:"enabled"`
	// RefreshOnSession: GET <base>/session refreshes expiring tokens too.
	RefreshOnSession bool `yaml:"refreshOnSession"`
	// Durations like "60s" (Go syntax).
	MinValidity string `yaml:"minValidity"`
	Timeout     string `yaml:"timeout"`
	Grace       string `yaml:"grace"`
}

// accessConfig is the access section (package access): a user matching
// any rule may sign in.
type accessConfig struct {
	// Anyone lets in everybody a provider signs in, said explicitly.
	Anyone  bool     `yaml:"anyone"`
	Emails  []string `yaml:"emails"`
	Domains []string `yaml:"domains"`
	// Groups are OIDC group or role claim values, looked for in
	// GroupClaims (default groups and roles; dots for nested claims).
	Groups      []string `yaml:"groups"`
	GroupClaims []string `yaml:"groupClaims"`
	// KnownUsers lets in the users the database has (latch user add).
	KnownUsers bool `yaml:"knownUsers"`
}

// rules is the section as access.Rules.
func (a *accessConfig) rules() access.Rules {
	return access.Rules{Anyone: a.Anyone, Emails: a.Emails, Domains: a.Domains, Groups: a.Groups, GroupClaims: a.GroupClaims, KnownUsers: a.KnownUsers}
}

// twoFactorConfig configures the second factor (latch.SecondFactorConfig).
type twoFactorConfig struct {
	// Enabled defaults to true when the section is there.
	Enabled *bool `yaml:"enabled"`
	// Issuer names the site in authenticator apps (default theme.appName).
	Issuer string `yaml:"issuer"`
}

// on reports whether the section turns the second factor on.
func (t *twoFactorConfig) on() bool { return t != nil && (t.Enabled == nil || *t.Enabled) }

// passkeysConfig configures the passkey provider (latch.Passkey).
type passkeysConfig struct {
	// Enabled defaults to true when the section is there.
	Enabled *bool `yaml:"enabled"`
	// UserVerification is required (default), preferred or discouraged.
	UserVerification string `yaml:"userVerification"`
	// RPName is the site's name authenticators show (default theme.appName).
	RPName string `yaml:"rpName"`
	// SignUp lets new people create an account with a passkey, after
	// proving their email address (needs the email section).
	SignUp bool `yaml:"signUp"`
}

// on reports whether the section turns passkeys on.
func (p *passkeysConfig) on() bool { return p != nil && (p.Enabled == nil || *p.Enabled) }

// localConfig configures the local provider (latch.LocalConfig).
type localConfig struct {
	// Enabled defaults to true when the section is there.
	Enabled *bool `yaml:"enabled"`
	// Durations like "30m" (Go syntax).
	AccessTokenTTL  string `yaml:"accessTokenTTL"`
	RefreshTokenTTL string `yaml:"refreshTokenTTL"`
	Refresh         struct {
		Rotate bool   `yaml:"rotate"`
		Grace  string `yaml:"grace"`
	} `yaml:"refresh"`
	// SignUp serves POST <base>/local/register (the built-in user database).
	SignUp      bool   `yaml:"signUp"`
	Audience    string `yaml:"audience"`
	Issuer      string `yaml:"issuer"`
	Algorithm   string `yaml:"algorithm"`
	KeyRotation string `yaml:"keyRotation"`
}

// upstreamConfig is the app latch serve guards: every request outside
// Latch's own paths (the auth API, /healthz, /metrics) goes to it, for
// signed-in users only.
type upstreamConfig struct {
	// URL is where the app listens, e.g. http://127.0.0.1:8080.
	URL string `yaml:"url"`
	// Public are path prefixes served without a session, by whole
	// segments: /assets/ (what is below it), /favicon.ico (that path and
	// what is below it after a /).
	Public []string `yaml:"public"`
	// Timeout bounds the wait for the app's response headers, default
	// 60s; then the client gets 504. A response that has begun (a
	// download, Server-Sent Events, a WebSocket) may last longer.
	Timeout string `yaml:"timeout"`
	// Allow and Paths narrow, beyond access, who reaches the app: a
	// path's rule (the longest prefix covering it, by whole segments)
	// or else Allow; without either, every user access lets in.
	Allow *allowConfig `yaml:"allow"`
	Paths []pathConfig `yaml:"paths"`
}

// forwardAuthConfig configures <base>/auth-request (nginx) and
// <base>/forward-auth (Traefik, Caddy).
type forwardAuthConfig struct {
	// Sites are the protected sites; a check for any other host is
	// refused.
	Sites []siteConfig `yaml:"sites"`
	// SignInURL is the sign-in page users are sent to, default Latch's
	// (<url>/signin).
	SignInURL string `yaml:"signInUrl"`
	// Assertion adds X-Latch-Assertion, a signed JWT, to allowed checks;
	// the keys are at <base>/forward-auth/jwks.json.
	Assertion bool `yaml:"assertion"`
	// AssertionTTL is how long an assertion is valid, default 1m.
	AssertionTTL string `yaml:"assertionTTL"`
}

// siteConfig is one protected site of forwardAuth.
type siteConfig struct {
	// URL is the site's origin, e.g. https://app.example.com.
	URL string `yaml:"url"`
	// Public are path prefixes reached without a session (as upstream's).
	Public []string `yaml:"public"`
	// Allow lets in only these users; without it, every signed-in user.
	Allow *allowConfig `yaml:"allow"`
	// Paths have rules of their own: the longest prefix covering a path
	// decides (whole segments, as public), else allow.
	Paths []pathConfig `yaml:"paths"`
}

// allowConfig is an access rule: the users with these email addresses
// or at these email domains.
type allowConfig struct {
	Emails       []string `yaml:"emails"`
	EmailDomains []string `yaml:"emailDomains"`
}

// pathConfig is the rule of a path prefix of a site.
type pathConfig struct {
	Prefix string `yaml:"prefix"`
	// Allow is the rule; without it, every signed-in user.
	Allow *allowConfig `yaml:"allow"`
}

// metricsConfig is the metrics setting: "metrics: true" (/metrics on the
// main listener, for everyone: not with an upstream app), or a mapping
// that turns them on with an address or a token or both.
type metricsConfig struct {
	// On is true for "metrics: true" and for any mapping.
	On bool `yaml:"-"`
	// Addr serves /metrics on a listener of its own (e.g.
	// 127.0.0.1:9090) instead of the main one.
	Addr string `yaml:"addr"`
	// Token, when set, is required as "Authorization: Bearer TOKEN".
	Token string `yaml:"token"`
}

// UnmarshalYAML reads true, false or a mapping.
func (m *metricsConfig) UnmarshalYAML(unmarshal func(any) error) error {
	var on bool
	if err := unmarshal(&on); err == nil {
		*m = metricsConfig{On: on}
		return nil
	}
	type plain metricsConfig // without this method
	var p plain
	if err := unmarshal(&p); err != nil {
		return err
	}
	*m = metricsConfig(p)
	m.On = true
	return nil
}

// minMetricsToken is the shortest metrics.token accepted.
const minMetricsToken = 16

// emailConfig configures the email provider.
type emailConfig struct {
	From string `yaml:"from"`
	// Mode is what the emails carry: link+code (default), link, code, or
	// link-get (a link that signs in as soon as it is opened, as
	// NextAuth's; mail scanners use such links up).
	Mode string `yaml:"mode"`
	// SMTP is the server to send through; without it the links are written
	// to the log (development).
	SMTP *struct {
		Host        string `yaml:"host"`
		Port        int    `yaml:"port"`
		Username    string `yaml:"username"`
		Password    string `yaml:"password"`
		ImplicitTLS bool   `yaml:"implicitTLS"`
		// InsecureNoTLS: only for a relay on localhost.
		InsecureNoTLS bool `yaml:"insecureNoTLS"`
	} `yaml:"smtp"`
}

// oauthConfig is one OAuth provider of the configuration file.
type oauthConfig struct {
	// Preset is github, google, gitlab, discord, entra, keycloak, auth0,
	// okta, apple or oidc (any OpenID Connect issuer).
	Preset string `yaml:"preset"`
	// ID defaults to the preset's id; Name to the preset's name.
	ID           string `yaml:"id"`
	Name         string `yaml:"name"`
	ClientID     string `yaml:"clientId"`
	ClientSecret string `yaml:"clientSecret"`
	// Issuer is the OIDC issuer URL (oidc, keycloak, okta), BaseURL the
	// server of a self-hosted GitLab or GitHub Enterprise, Domain the
	// Auth0 tenant domain, Tenant the Entra ID tenant.
	Issuer  string `yaml:"issuer"`
	BaseURL string `yaml:"baseUrl"`
	Domain  string `yaml:"domain"`
	Tenant  string `yaml:"tenant"`
	// TeamID, KeyID and PrivateKeyFile (the AuthKey_<KeyID>.p8 file,
	// relative to the configuration file) are Apple's; clientId is the
	// Services ID. Latch makes the client secrets from the key.
	TeamID         string `yaml:"teamId"`
	KeyID          string `yaml:"keyId"`
	PrivateKeyFile string `yaml:"privateKeyFile"`
	// Scopes replace the preset's scopes. Params are extra authorization
	// request parameters, added to the preset's: e.g. prompt:
	// select_account, or response_mode: form_post for a provider that
	// POSTs the callback.
	Scopes []string          `yaml:"scopes"`
	Params map[string]string `yaml:"params"`
	// AllowEmailLinking signs a first-time user in as the existing user
	// with the same verified email.
	AllowEmailLinking bool `yaml:"allowEmailLinking"`
	// EndSession also ends the session at the provider on sign-out
	// (OpenID Connect RP-initiated logout); RevokeOnSignOut revokes the
	// user's tokens there (RFC 7009).
	EndSession      bool `yaml:"endSession"`
	RevokeOnSignOut bool `yaml:"revokeOnSignOut"`
}

// config is the resolved configuration of a command.
type config struct {
	fileConfig
	path string // config file, "" when none
	data []byte // its content, for positions in errors
	// fromEnv names the environment variable each key was set from.
	fromEnv map[string]string
	// envSecret is the environment variable of the first secret, if any.
	envSecret string
	// devSecret: Secrets holds the generated development secret.
	devSecret bool

	shutdownTimeout time.Duration
	// passwordLimiter counts failed passwords in memory (without Redis),
	// the same one across reloads.
	passwordLimiter password.Limiter

	maxAge, updateAge time.Duration
	upstreamTimeout   time.Duration
	assertionTTL      time.Duration
	clientIP          *clientip.Resolver
	// local is the resolved local section (Enabled false without one).
	local  latch.LocalConfig
	limits limits
	// providerTokens is the resolved providerTokens section.
	providerTokens latch.ProviderTokenConfig
}

// commonFlags registers --config on fs.
func commonFlags(fs *flag.FlagSet) *string {
	return fs.String("config", "", "configuration file (YAML); default ./latch.yaml when it exists")
}

// loadConfig reads the file (if any), then applies the environment.
func loadConfig(e *env, path string) (*config, error) {
	c := &config{fromEnv: map[string]string{}}
	explicit := path != ""
	if !explicit {
		path = "latch.yaml"
	}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		c.path, c.data = path, data
		if err := yaml.UnmarshalWithOptions(data, &c.fileConfig, yaml.DisallowUnknownField(), yaml.Strict()); err != nil {
			return nil, yamlError(path, data, err)
		}
	case explicit || !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("config: %w", err)
	}
	var from string
	set := func(dst *string, keys ...string) {
		from = ""
		for _, k := range keys {
			if v := e.getenv(k); v != "" {
				*dst, from = v, k
				return
			}
		}
	}
	setKey := func(key string, dst *string, envs ...string) {
		if set(dst, envs...); from != "" {
			c.fromEnv[key] = from
		}
	}
	setKey("url", &c.URL, "LATCH_URL", "NEXTAUTH_URL", "AUTH_URL")
	setKey("addr", &c.Addr, "LATCH_ADDR")
	setKey("database", &c.Database, "LATCH_DATABASE")
	setKey("redis", &c.Redis, "LATCH_REDIS")
	var upstream string
	setKey("upstream.url", &upstream, "LATCH_UPSTREAM")
	if upstream != "" {
		if c.Upstream == nil {
			c.Upstream = &upstreamConfig{}
		}
		c.Upstream.URL = upstream
	}
	setKey("metrics.addr", &c.Metrics.Addr, "LATCH_METRICS_ADDR")
	setKey("metrics.token", &c.Metrics.Token, "LATCH_METRICS_TOKEN")
	if c.Metrics.Addr != "" || c.Metrics.Token != "" {
		c.Metrics.On = true
	}
	var secret string
	set(&secret, "LATCH_SECRET", "NEXTAUTH_SECRET", "AUTH_SECRET")
	if secret != "" {
		c.envSecret = from
		c.Secrets = append([]string{secret}, c.Secrets...)
	}
	if c.Addr == "" {
		c.Addr = ":3456"
	}
	if c.Database == "" {
		c.Database = filepath.Join("latch-data", "latch.db")
	}
	return c, c.validate()
}

func (c *config) validate() error {
	var errs []error
	var err error
	if c.maxAge, err = c.duration("session.maxAge", c.Session.MaxAge); err != nil {
		errs = append(errs, err)
	}
	if c.updateAge, err = c.duration("session.updateAge", c.Session.UpdateAge); err != nil {
		errs = append(errs, err)
	}
	if c.shutdownTimeout, err = c.duration("shutdownTimeout", c.ShutdownTimeout); err != nil {
		errs = append(errs, err)
	}
	if c.Database == "" {
		errs = append(errs, fmt.Errorf("%s: database must not be empty", c.where("database")))
	}
	if c.clientIP, err = clientip.New(c.TrustedProxies); err != nil {
		errs = append(errs, fmt.Errorf("%s: trustedProxies: %w", c.where("trustedProxies"), err))
	}
	if c.TrustForwardedHeaders && len(c.TrustedProxies) == 0 {
		errs = append(errs, fmt.Errorf("%s: trustForwardedHeaders needs trustedProxies: the addresses of the proxies whose X-Forwarded-Proto and X-Forwarded-Host to believe", c.where("trustForwardedHeaders")))
	}
	switch c.SessionStrategy {
	case "", "jwt", "database":
	default:
		errs = append(errs, fmt.Errorf("%s: sessionStrategy %q: want jwt or database", c.where("sessionStrategy"), c.SessionStrategy))
	}
	if c.TLS != nil && (c.TLS.CertFile == "" || c.TLS.KeyFile == "") {
		errs = append(errs, fmt.Errorf("%s: tls needs certFile and keyFile (PEM files)", c.where("tls")))
	}
	if u := c.Upstream; u != nil {
		if _, err := guard.ParseTarget(u.URL); err != nil {
			errs = append(errs, fmt.Errorf("%s: upstream.url: %w", c.where("upstream.url"), err))
		}
		errs = append(errs, c.validateAllow("upstream.allow", u.Allow)...)
		prefixes := map[string]bool{}
		for j, p := range u.Paths {
			pkey := fmt.Sprintf("upstream.paths[%d]", j)
			if !strings.HasPrefix(p.Prefix, "/") || p.Prefix == "/" {
				errs = append(errs, fmt.Errorf("%s: %s.prefix %q: want a path prefix below /, e.g. /admin/", c.where(pkey+".prefix"), pkey, p.Prefix))
			} else if prefixes[p.Prefix] {
				errs = append(errs, fmt.Errorf("%s: %s.prefix %q is listed twice", c.where(pkey+".prefix"), pkey, p.Prefix))
			}
			prefixes[p.Prefix] = true
			errs = append(errs, c.validateAllow(pkey+".allow", p.Allow)...)
		}
		for i, p := range u.Public {
			if !strings.HasPrefix(p, "/") {
				errs = append(errs, fmt.Errorf("%s: upstream.public[%d] %q: want a path prefix starting with /", c.where(fmt.Sprintf("upstream.public[%d]", i)), i, p))
			}
		}
		if c.upstreamTimeout, err = c.duration("upstream.timeout", u.Timeout); err != nil {
			errs = append(errs, err)
		}
		if c.Metrics.On && c.Metrics.Addr == "" && c.Metrics.Token == "" {
			errs = append(errs, fmt.Errorf("%s: metrics: with upstream, /metrics would be open to everyone who can reach the app: "+
				"set metrics.addr (a listener of its own, e.g. 127.0.0.1:9090) or metrics.token (or LATCH_METRICS_ADDR, LATCH_METRICS_TOKEN)", c.where("metrics")))
		}
		if c.Demo != nil && *c.Demo {
			errs = append(errs, fmt.Errorf("%s: demo and upstream both want /: turn the demo off", c.where("demo")))
		}
		if c.Access == nil {
			errs = append(errs, fmt.Errorf("%s: upstream: say who may reach the app: access: {knownUsers: true} (the users of latch user add), or emails, domains or groups, or access: {anyone: true} (whoever a provider signs in)", c.where("upstream")))
		}
	}
	errs = append(errs, c.validateForwardAuth()...)
	if t := c.Metrics.Token; t != "" && (len(t) < minMetricsToken || strings.TrimSpace(t) != t) {
		errs = append(errs, fmt.Errorf("%s: metrics.token: want at least %d characters without spaces around them (`latch secret` prints one)", c.where("metrics.token"), minMetricsToken))
	}
	if p := c.Passkeys; p.on() {
		if p.SignUp && c.Email == nil {
			errs = append(errs, fmt.Errorf("%s: passkeys.signUp needs the email section: a new account's address is proven by email first", c.where("passkeys.signUp")))
		}
		switch p.UserVerification {
		case "", "required", "preferred", "discouraged":
		default:
			errs = append(errs, fmt.Errorf("%s: passkeys.userVerification %q: want required, preferred or discouraged", c.where("passkeys.userVerification"), p.UserVerification))
		}
	}
	if l := c.Local; l != nil && (l.Enabled == nil || *l.Enabled) {
		c.local = latch.LocalConfig{Enabled: true, Rotate: l.Refresh.Rotate, Audience: l.Audience, Issuer: l.Issuer, Algorithm: l.Algorithm}
		for _, d := range []struct {
			key, v string
			dst    *time.Duration
		}{
			{"local.accessTokenTTL", l.AccessTokenTTL, &c.local.AccessTokenTTL},
			{"local.refreshTokenTTL", l.RefreshTokenTTL, &c.local.RefreshTokenTTL},
			{"local.refresh.grace", l.Refresh.Grace, &c.local.Grace},
			{"local.keyRotation", l.KeyRotation, &c.local.KeyRotation},
		} {
			if *d.dst, err = c.duration(d.key, d.v); err != nil {
				errs = append(errs, err)
			}
		}
		switch l.Algorithm {
		case "", "EdDSA", "ES256":
		default:
			errs = append(errs, fmt.Errorf("%s: local.algorithm %q: want EdDSA or ES256", c.where("local.algorithm"), l.Algorithm))
		}
	}
	if pt := c.ProviderTokens; pt != nil && (pt.Enabled == nil || *pt.Enabled) {
		c.providerTokens.Enabled = true
		c.providerTokens.RefreshOnSession = pt.RefreshOnSession
		for _, d := range []struct {
			key, v string
			dst    *time.Duration
		}{
			{"providerTokens.minValidity", pt.MinValidity, &c.providerTokens.MinValidity},
			{"providerTokens.timeout", pt.Timeout, &c.providerTokens.Timeout},
			{"providerTokens.grace", pt.Grace, &c.providerTokens.Grace},
		} {
			if *d.dst, err = c.duration(d.key, d.v); err != nil {
				errs = append(errs, err)
			}
		}
	}
	errs = append(errs, c.resolveLimits()...)
	if c.SignUp && c.Email == nil {
		errs = append(errs, fmt.Errorf("%s: signUp needs email: new accounts are created once a link sent to the address is opened", c.where("signUp")))
	}
	errs = append(errs, c.validateValues()...)
	errs = append(errs, c.validateLog()...)
	if a := c.Access; a != nil {
		r := a.rules()
		if err := r.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: access: %w", c.where("access"), err))
		} else if r.Empty() {
			errs = append(errs, fmt.Errorf("%s: access lets nobody in: list emails, domains or groups, set knownUsers: true, or say anyone: true", c.where("access")))
		}
	}
	if c.Email != nil && c.Email.From == "" {
		errs = append(errs, fmt.Errorf("%s: email.from is required, e.g. \"Example <no-reply@example.com>\"", c.where("email")))
	}
	if c.Email != nil && c.Email.Mode != "" && !latch.EmailMode(c.Email.Mode).Valid() {
		errs = append(errs, fmt.Errorf("%s: email.mode %q: want link+code, link, code or link-get", c.where("email.mode"), c.Email.Mode))
	}
	return errors.Join(errs...)
}

// duration parses a duration setting ("" is 0, the default).
func (c *config) duration(key, v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s: %s: invalid duration %q: want a positive Go duration like 720h or 30m", c.where(key), key, v)
	}
	return d, nil
}

// where names the file and line:column of key, for error messages: of
// the closest enclosing key the file has when it lacks key itself, or the
// environment variable key came from.
func (c *config) where(key string) string {
	if env := c.fromEnv[key]; env != "" {
		return "environment variable " + env
	}
	if c.path == "" {
		return "configuration"
	}
	f, err := parser.ParseBytes(c.data, 0)
	if err != nil {
		return c.path
	}
	for k := key; k != ""; k = parentKey(k) {
		p, err := yaml.PathString("$." + k)
		if err != nil {
			continue
		}
		n, err := p.FilterFile(f)
		if err != nil || n == nil || n.GetToken() == nil {
			continue
		}
		pos := n.GetToken().Position
		return fmt.Sprintf("%s:%d:%d", c.path, pos.Line, pos.Column)
	}
	return c.path
}

// parentKey is the key enclosing key: "a.b" of "a.b.c" and of "a.b[2]".
func parentKey(key string) string {
	i := strings.LastIndexAny(key, ".[")
	if i < 0 {
		return ""
	}
	return key[:i]
}

// file resolves a file name of the configuration: relative to the
// configuration file's folder.
func (c *config) file(name string) string {
	if filepath.IsAbs(name) || c.path == "" {
		return name
	}
	return filepath.Join(filepath.Dir(c.path), name)
}

func (c *config) demo() bool {
	if c.Demo == nil {
		return c.Upstream == nil
	}
	return *c.Demo
}

// redisPrefix is the prefix of Latch's Redis keys.
func (c *config) redisPrefix() string {
	if c.RedisPrefix == "" {
		return "latch:"
	}
	return c.RedisPrefix
}
