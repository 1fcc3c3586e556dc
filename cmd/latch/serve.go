package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/guard"
	"github.com/latchauth/latch/jwt"
	"github.com/latchauth/latch/metrics"
	"github.com/latchauth/latch/provider/password"
	"github.com/latchauth/latch/store/redis"
)

//go:embed demo
var demoFS embed.FS

func runServe(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfgPath := commonFlags(fs)
	addr := fs.String("addr", "", "listen address (default :3456, or addr in the config)")
	if err := fs.Parse(args); err != nil {
		return usageError("serve: " + err.Error())
	}
	c, err := loadConfig(e, *cfgPath)
	if err != nil {
		return err
	}
	if *addr != "" {
		c.Addr = *addr
	}
	log := c.logger(e.stderr)
	applyMemoryLimit(e.getenv, c.limits, log)
	if c.Redis == "" {
		// Failed passwords are counted here; a reload keeps the counts.
		c.passwordLimiter = password.NewMemoryLimiter(password.Options{})
	}

	if len(c.Secrets) == 0 && isPostgres(c.Database) {
		return errors.New("a secret is required with a PostgreSQL database (every instance needs the same one): set LATCH_SECRET (see `latch secret`)")
	}

	scheme := "http"
	var certs *tls.Config
	if c.TLS != nil {
		files, err := loadCertFiles(c.file(c.TLS.CertFile), c.file(c.TLS.KeyFile), log)
		if err != nil {
			return fmt.Errorf("%s: tls: %w", c.where("tls"), err)
		}
		certs = &tls.Config{GetCertificate: files.GetCertificate, MinVersion: tls.VersionTLS12}
		scheme = "https"
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Addr, err)
	}
	defer ln.Close()
	// The certificates and the address are good: now the database and
	// the development secret may be written.
	store, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer store.Close()
	if len(c.Secrets) == 0 {
		c.devSecret = true
		secret, path, err := devSecret(filepath.Dir(c.Database))
		if err != nil {
			return err
		}
		c.Secrets = []string{secret}
		log.Warn("DEVELOPMENT SETUP: no secret configured; using a generated one kept in "+path+". Not for production: set LATCH_SECRET (see `latch secret`).", "secret_file", path)
	}

	siteURL := c.URL
	if siteURL == "" && len(c.AllowedHosts) > 0 {
		siteURL = "/api/auth" // the origin is the allowed host each request is for
	} else if siteURL == "" {
		siteURL = scheme + "://" + displayHost(ln.Addr().(*net.TCPAddr)) + "/api/auth"
		log.Warn("DEVELOPMENT SETUP: no URL configured; assuming " + siteURL + ". Set LATCH_URL (or NEXTAUTH_URL) to the public URL.")
	}

	var m *metrics.Metrics
	if c.Metrics.On {
		m = metrics.New()
	}
	handler, metricsHandler, err := newServer(c, siteURL, store, m, log)
	if err != nil {
		return err
	}
	current := &swapHandler{}
	current.set(handler)
	if metricsHandler != nil {
		stop, err := serveMetrics(c.Metrics.Addr, metricsHandler, log)
		if err != nil {
			return err
		}
		defer stop()
	}
	// Requests to Latch's own endpoints must arrive and be answered within
	// the request timeout; the guard relaxes both for the app's requests
	// (see streamDeadlines).
	srv := &http.Server{
		Handler:           current,
		TLSConfig:         certs,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       c.limits.requestTimeout,
		WriteTimeout:      c.limits.requestTimeout,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln = limitListener(ln, maxConnections(c.limits, c.Upstream != nil))
	origin := strings.TrimSuffix(siteURL, "/api/auth")
	if strings.HasPrefix(origin, "/") || origin == "" {
		origin = scheme + "://" + displayHost(ln.Addr().(*net.TCPAddr))
	}

	// The password sign-in is always on: say how to get a first user.
	if users, err := store.ListUsers(ctx); err == nil && len(users) == 0 {
		log.Warn("no users yet: add one with latch user add", "database", databaseName(c))
	}
	fmt.Fprintf(e.stdout, "Latch is listening on %s — open %s/\n", ln.Addr(), origin)
	log.Info("serving", "addr", ln.Addr().String(), "url", siteURL, "database", redactDSN(c.Database))

	janitorCtx, stopJanitor := context.WithCancel(ctx)
	defer stopJanitor()
	go runJanitor(janitorCtx, store, log)

	done := make(chan error, 1)
	go func() {
		if certs != nil {
			done <- srv.ServeTLS(ln, "", "") // HTTP/2 as well; the certificate comes from TLSConfig
			return
		}
		done <- srv.Serve(ln)
	}()
	reload := reloadSignal(ctx)
serving:
	for {
		select {
		case err := <-done:
			return err
		case <-ctx.Done():
			break serving
		case <-reload:
			if nc := reloadConfig(e, *cfgPath, *addr, c, siteURL, store, m, current, log); nc != nil {
				c = nc
			}
		}
	}
	timeout := c.shutdownTimeout
	if timeout <= 0 {
		timeout = defaultShutdownTimeout
	}
	log.Info("shutting down", "timeout", timeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: requests still running after shutdownTimeout (%v): %w", timeout, err)
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// displayHost is the host:port to print for a listener: localhost for an
// unspecified address.
func displayHost(a *net.TCPAddr) string {
	host := a.IP.String()
	if a.IP.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, fmt.Sprint(a.Port))
}

// newServer wires Latch, the demo app or the upstream app, metrics (m,
// when on: kept across reloads) and the health endpoint. metricsHandler is set when the metrics have a
// listener of their own (metrics.addr).
func newServer(c *config, siteURL string, store latch.Store, m *metrics.Metrics, log *slog.Logger) (handler, metricsHandler http.Handler, err error) {
	format := jwt.V4
	if c.AuthJSCookies {
		format = jwt.V5
	}
	providers, err := buildProviders(c, store, log)
	if err != nil {
		return nil, nil, err
	}
	go discoverIssuers(providers, log)
	cfg := latch.Config{
		URL:                   siteURL,
		Secrets:               c.Secrets,
		Providers:             providers,
		Store:                 store,
		MaxAge:                c.maxAge,
		UpdateAge:             c.updateAge,
		TokenFormat:           format,
		AllowedHosts:          c.AllowedHosts,
		TrustForwardedHeaders: c.TrustForwardedHeaders,
		TrustedProxies:        c.TrustedProxies,
		TrustedOrigins:        c.TrustedOrigins,
		ClientIP:              c.clientIP.IP,
		Theme:                 latch.Theme{BrandColor: c.Theme.BrandColor, LogoURL: c.Theme.LogoURL, AppName: c.Theme.AppName},
		Logger:                log,
	}
	if c.SessionStrategy == "database" {
		cfg.Strategy = latch.DatabaseSessions
	}
	if c.Access != nil {
		cfg.Callbacks.SignIn = c.Access.rules().SignIn(store, nil)
	} else if len(c.OAuth) > 0 || c.Email != nil {
		log.Warn("no access rules: anybody the OAuth or email providers sign in gets a session; set access (emails, domains, groups, knownUsers) or access: {anyone: true}")
	}
	cfg.Cookies.Domain = strings.TrimLeft(c.Cookies.Domain, ".")
	if sites := c.siteOrigins(); len(sites) > 0 {
		// After signing in, users go back to the protected sites (and,
		// as by default, to the trusted origins).
		cfg.Callbacks.Redirect = guard.Redirect(append(sites, c.TrustedOrigins...)...)
	}
	cfg.Local = c.local
	cfg.ProviderTokens = c.providerTokens
	cfg.SignUp = c.SignUp
	if c.TwoFactor.on() {
		cfg.SecondFactor = latch.SecondFactorConfig{Enabled: true, Issuer: c.TwoFactor.Issuer}
		if rs, ok := store.(*redis.Store); ok {
			// Several instances: count wrong codes in Redis, so the limits
			// hold across all of them.
			cfg.SecondFactor.Limiter = redis.NewLimiter(rs.Client(), c.redisPrefix()+twoFactorLimitPrefix, 15*time.Minute, func(key string) int {
				if strings.HasPrefix(key, "ip:") {
					return 20
				}
				return 5
			})
		}
	}
	if cfg.Local.Enabled && c.Local.SignUp {
		opts := password.SignUpOptions{ClientIP: c.clientIP.IP}
		if rs, ok := store.(*redis.Store); ok {
			opts.Limiter = redis.NewLimiter(rs.Client(), c.redisPrefix()+"limit:signup:", time.Hour, func(string) int { return 10 })
		}
		cfg.Local.SignUp = password.SignUp(store, opts)
	}
	auditEvents(&cfg, log, c.clientIP.IP)
	if m != nil {
		m.Instrument(&cfg)
	}
	auth, err := latch.New(cfg)
	if err != nil {
		return nil, nil, err
	}
	mux := http.NewServeMux()
	// Latch's own endpoints answer within the request timeout, store
	// calls included; the guarded app's requests have their own bounds.
	own := func(h http.Handler) http.Handler { return withDeadline(h, c.limits.requestTimeout) }
	var api http.Handler = auth
	if m != nil {
		api = m.Middleware(auth.BasePath(), auth)
		metricsHandler = m.Handler()
		if c.Metrics.Token != "" {
			metricsHandler = metrics.RequireToken(c.Metrics.Token, metricsHandler)
		}
		if c.Metrics.Addr == "" {
			mux.Handle("GET /metrics", own(metricsHandler))
			metricsHandler = nil
		}
	}
	mux.Handle(auth.BasePath()+"/", own(api))
	if cfg.Local.Enabled {
		mux.Handle("GET /.well-known/jwks.json", own(auth.JWKSHandler()))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		p, ok := cfg.Store.(pinger)
		if !ok {
			p, _ = store.(pinger)
		}
		if err := pingStore(ctx, p); err != nil {
			log.Error("health: store unreachable", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			json.NewEncoder(w).Encode(map[string]string{"status": "unavailable", "store": "unreachable"})
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"status": "ok"})
	})
	if c.ForwardAuth != nil {
		checker, keys, err := c.newChecker(auth, log)
		if err != nil {
			return nil, nil, err
		}
		counted := own
		if m != nil {
			counted = func(h http.Handler) http.Handler { return own(m.Middleware(auth.BasePath(), h)) }
		}
		serveForwardAuth(mux, auth.BasePath(), checker, keys, counted)
		log.Info("serving forward-auth checks", "sites", c.siteOrigins(), "nginx", auth.BasePath()+"/auth-request", "traefik_caddy", auth.BasePath()+"/forward-auth")
	}
	if u := c.Upstream; u != nil {
		target, err := guard.ParseTarget(u.URL)
		if err != nil {
			return nil, nil, err
		}
		proxy, err := guard.NewProxy(guard.ProxyConfig{Target: target, Public: u.Public, Auth: auth,
			ClientIP: c.clientIP.IP, Timeout: c.upstreamTimeout, Logger: log,
			Allow: siteRule(siteConfig{Allow: u.Allow, Paths: u.Paths})})
		if err != nil {
			return nil, nil, err
		}
		if m != nil {
			proxy = m.Upstream(proxy)
		}
		mux.Handle("/", streamDeadlines(proxy, c.limits.requestTimeout))
		log.Info("guarding an upstream app", "upstream", target.Redacted(), "public", u.Public)
	}
	if c.demo() {
		index, _ := demoFS.ReadFile("demo/index.html")
		// The page loads the client from the API's base path.
		index = bytes.ReplaceAll(index, []byte("/api/auth/"), []byte(auth.BasePath()+"/"))
		// Links to the pages of the features that are on.
		if c.Passkeys.on() {
			index = bytes.Replace(index, []byte(`id="passkeys" hidden`), []byte(`id="passkeys"`), 1)
		}
		if c.TwoFactor.on() {
			index = bytes.Replace(index, []byte(`id="two-factor" hidden`), []byte(`id="two-factor"`), 1)
		}
		mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-cache")
			w.Write(index)
		})
		mux.Handle("GET /protected", own(auth.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			protectedPage.Execute(w, protectedView{Session: auth.Session(r), SignOutURL: auth.BasePath() + "/signout?callbackUrl=%2F"})
		}))))
	}
	if c.Log.Access {
		return accessLog(mux, log, c.clientIP.IP), metricsHandler, nil
	}
	return mux, metricsHandler, nil
}

// discoverer is an OAuth provider that discovers its endpoints from an
// OpenID Connect issuer (provider/oauth).
type discoverer interface {
	latch.Provider
	Discover(context.Context) error
	DiscoveryURL() string
}

// discoverIssuers fetches the OpenID configuration of every provider
// that has an issuer, so that an unreachable or misconfigured issuer is
// in the log at start rather than at a user's first sign-in. Serving
// goes on either way: each sign-in tries again.
func discoverIssuers(providers []latch.Provider, log *slog.Logger) {
	for _, p := range providers {
		d, ok := p.(discoverer)
		if !ok || d.DiscoveryURL() == "" {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		err := d.Discover(ctx)
		cancel()
		id := d.Info().ID
		if err != nil {
			log.Error("OIDC discovery failed: sign-in with this provider fails until its issuer can be reached (each sign-in tries again)",
				"provider", id, "issuer", d.DiscoveryURL(), "err", err)
			continue
		}
		log.Info("OIDC discovery done", "provider", id, "issuer", d.DiscoveryURL())
	}
}

// serveMetrics serves h at /metrics on a listener of its own at addr,
// until stop is called.
func serveMetrics(addr string, h http.Handler, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go srv.Serve(ln)
	log.Info("serving metrics", "addr", ln.Addr().String())
	return func() { srv.Close() }, nil
}

func pingStore(ctx context.Context, p pinger) error {
	if p == nil {
		return nil
	}
	return p.Ping(ctx)
}

// protectedView is the data of the demo's protected page.
type protectedView struct {
	*latch.Session
	SignOutURL string // the built-in sign-out page, back to the demo after
}

var protectedPage = template.Must(template.New("protected").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Protected page</title>
<style>
body{margin:0;font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f3f4f6;color:#111827}
main{max-width:40rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:.5rem;box-shadow:0 1px 3px rgba(0,0,0,.2)}
h1{margin-top:0}
.actions{display:flex;gap:.75rem;flex-wrap:wrap;margin-top:1.5rem}
a.button{padding:.6rem 1rem;font-weight:600;color:#fff;background:#346df1;border-radius:.375rem;text-decoration:none}
a.button.secondary{color:#111827;background:#e5e7eb}
:focus-visible{outline:3px solid #111827;outline-offset:2px}
</style></head>
<body><main><h1>Protected page</h1><p id="greeting">Signed in as <strong>{{.User.Name}}</strong> ({{.User.Email}}).</p>
<p>Only signed-in users see this page; the server checked the session with <code>auth.Require</code>.</p>
<p class="actions"><a class="button secondary" href="/">Back to the demo</a> <a class="button" id="sign-out" href="{{.SignOutURL}}">Sign out</a></p></main></body></html>`))

// devSecret returns the development secret kept in dir, creating it on
// first use (mode 0600).
func devSecret(dir string) (secret, path string, err error) {
	path = filepath.Join(dir, "dev-secret")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= latch.MinSecretLength {
		return strings.TrimSpace(string(b)), path, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", err
	}
	secret = newSecret()
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return "", "", fmt.Errorf("write development secret: %w", err)
	}
	return secret, path, nil
}

// redactDSN hides the password of a database URL.
func redactDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		return u.Redacted()
	}
	return dsn
}
