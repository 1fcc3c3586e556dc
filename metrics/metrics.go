// Package metrics exports Prometheus metrics of a Latch handler: sign-ins
// by provider and outcome, auth API requests and their latency by action,
// store errors by operation, and how often database sessions were
// answered from memory. It hooks in through [latch.Config]'s events and
// store, so the latch package itself does not depend on Prometheus.
package metrics

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/latchauth/latch"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the collectors. Create one with [New].
type Metrics struct {
	reg         *prometheus.Registry
	signIns     *prometheus.CounterVec
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	storeErrors *prometheus.CounterVec
	upstream    *prometheus.CounterVec
	upstreamLat prometheus.Histogram
	tokens      *prometheus.CounterVec
	// sessionCache is the store whose session cache is reported, if it
	// has one.
	sessionCache atomic.Pointer[sessionCacher]
}

// sessionCacher is a store that answers database sessions from memory
// (store/sqlite, store/postgres).
type sessionCacher interface {
	SessionCacheStats() (hits, misses uint64, held int)
}

// sessionCacheStat returns one of the figures of the instrumented store's
// session cache, 0 without one.
func (m *Metrics) sessionCacheStat(pick func(hits, misses uint64, held int) float64) func() float64 {
	return func() float64 {
		c := m.sessionCache.Load()
		if c == nil {
			return 0
		}
		return pick((*c).SessionCacheStats())
	}
}

// New returns metrics registered in a registry of their own (plus the Go
// and process collectors), served by [Metrics.Handler].
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "latch_signins_total",
			Help: "Sign-in attempts by provider and outcome (ok, or the error code the client got).",
		}, []string{"provider", "outcome"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "latch_requests_total",
			Help: "Auth API requests by action (session, csrf, signin, ...), method and status code.",
		}, []string{"action", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "latch_request_duration_seconds",
			Help:    "Auth API request latency by action.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"action"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "latch_store_errors_total",
			Help: "Store operations that failed (not counting not-found and conflict answers).",
		}, []string{"op"}),
		upstream: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "latch_upstream_requests_total",
			Help: "Requests to the guarded upstream app by status code: 401 and 302 for those turned away without a session, 502 when the app could not be reached, 504 when it did not answer in time, 499 when the client left first.",
		}, []string{"code"}),
		upstreamLat: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "latch_upstream_request_duration_seconds",
			Help:    "Time to answer requests to the guarded upstream app, to the end of the response (a WebSocket counts until it closes).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
	}
	m.tokens = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "latch_provider_token_refreshes_total",
		Help: "Provider access token refreshes by provider and outcome: refreshed, waited (another request or instance refreshed), reauth (the provider refused the refresh token), rejected (the provider refused the client), unavailable (transient failure), no_refresh_token.",
	}, []string{"provider", "outcome"})
	m.reg.MustRegister(m.tokens, m.signIns, m.requests, m.latency, m.storeErrors, m.upstream, m.upstreamLat,
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "latch_session_cache_hits_total",
			Help: "Database session reads answered from memory.",
		}, m.sessionCacheStat(func(hits, _ uint64, _ int) float64 { return float64(hits) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "latch_session_cache_misses_total",
			Help: "Database session reads that went to the database (not held, or the cache not known to be current).",
		}, m.sessionCacheStat(func(_, misses uint64, _ int) float64 { return float64(misses) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "latch_session_cache_sessions",
			Help: "Database sessions held in memory.",
		}, m.sessionCacheStat(func(_, _ uint64, held int) float64 { return float64(held) })),
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format (mount it at
// /metrics).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// RequireToken serves next only to requests with "Authorization: Bearer
// token" (what Prometheus sends with authorization.credentials); others get
// 401. The comparison takes the same time whatever the token sent.
func RequireToken(token string, next http.Handler) http.Handler {
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		sum := sha256.Sum256([]byte(strings.TrimSpace(got)))
		if subtle.ConstantTimeCompare(sum[:], want[:]) != 1 || !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "401 Unauthorized: send the metrics token as Authorization: Bearer", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Instrument hooks the metrics into cfg before latch.New: it chains the
// SignIn, SignInFailure and TokenRefresh events (keeping any already set) and wraps the
// Store to count its errors.
func (m *Metrics) Instrument(cfg *latch.Config) {
	onSignIn, onFailure, onRefresh := cfg.Events.SignIn, cfg.Events.SignInFailure, cfg.Events.TokenRefresh
	cfg.Events.TokenRefresh = func(ctx context.Context, e latch.TokenRefreshEvent) {
		m.tokens.WithLabelValues(e.Provider, e.Outcome).Inc()
		if onRefresh != nil {
			onRefresh(ctx, e)
		}
	}
	cfg.Events.SignIn = func(ctx context.Context, e latch.SignInEvent) {
		provider := ""
		if e.Account != nil {
			provider = e.Account.Provider
		}
		m.signIns.WithLabelValues(provider, "ok").Inc()
		if onSignIn != nil {
			onSignIn(ctx, e)
		}
	}
	cfg.Events.SignInFailure = func(ctx context.Context, e latch.SignInFailureEvent) {
		m.signIns.WithLabelValues(e.Provider, outcome(e.Code)).Inc()
		if onFailure != nil {
			onFailure(ctx, e)
		}
	}
	if c, ok := cfg.Store.(sessionCacher); ok {
		m.sessionCache.Store(&c)
	}
	if cfg.Store != nil {
		st := &store{Store: cfg.Store, m: m}
		cfg.Store = st
		_, reads := st.Store.(latch.VerificationTokenReader)
		ls, local := st.Store.(latch.LocalStore)
		// What the store can do beyond latch.Store passes through: the
		// local provider's keys and refresh tokens, reading verification
		// tokens.
		switch {
		case reads && local:
			cfg.Store = readerLocalStore{&localStore{store: st, LocalStore: ls}}
		case reads:
			cfg.Store = readerStore{st}
		case local:
			cfg.Store = &localStore{store: st, LocalStore: ls}
		}
	}
}

// outcome bounds the label's values: error codes are a fixed set, but a
// custom Authorize could invent any.
func outcome(code string) string {
	if len(code) > 40 || strings.ContainsAny(code, " \t\n/") {
		return "other"
	}
	return code
}

// actions are the auth API's actions; anything else is counted as "other".
var actions = map[string]bool{
	"session": true, "csrf": true, "providers": true, "signin": true, "callback": true,
	"signout": true, "error": true, "verify-request": true, "_log": true, "client.js": true,
	"forward-auth": true, "auth-request": true, // guard.Checker's checks
}

// Middleware counts and times the requests of the auth API mounted at
// basePath (e.g. "/api/auth").
func (m *Metrics) Middleware(basePath string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		action, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, basePath+"/"), "/")
		if !actions[action] {
			action = "other"
		}
		method := r.Method
		if method != http.MethodGet && method != http.MethodPost {
			method = "other"
		}
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		start := time.Now()
		next.ServeHTTP(rec, r)
		m.latency.WithLabelValues(action).Observe(time.Since(start).Seconds())
		m.requests.WithLabelValues(action, method, strconv.Itoa(rec.code)).Inc()
	})
}

// StatusClientClosed is the code counted for a request whose client left
// before it was answered (nginx's 499).
const StatusClientClosed = 499

// Upstream counts and times the requests that latch serve's guard passes
// to the app it guards, or turns away. A request that ends without an
// answer because its client left counts as [StatusClientClosed], not as
// an error of the app.
func (m *Metrics) Upstream(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		start := time.Now()
		// Deferred: a client that leaves mid-response ends the proxy with
		// a panic (http.ErrAbortHandler), and counts too.
		defer func() {
			code := rec.code
			if r.Context().Err() != nil && (!rec.wrote || code == http.StatusBadGateway) {
				code = StatusClientClosed
			}
			m.upstreamLat.Observe(time.Since(start).Seconds())
			m.upstream.WithLabelValues(strconv.Itoa(code)).Inc()
		}()
		next.ServeHTTP(rec, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	code  int
	wrote bool // WriteHeader or Write was called
}

func (s *statusRecorder) WriteHeader(code int) {
	if code >= 200 || code == http.StatusSwitchingProtocols {
		s.code, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// localStore is a store that also keeps the local provider's data.
type localStore struct {
	*store
	latch.LocalStore
}

// store counts the errors of a latch.Store.
type store struct {
	latch.Store
	m *Metrics
}

// Unwrap returns the store counted, whose optional interfaces Latch finds
// through it (provider token stores and leases).
func (s *store) Unwrap() latch.Store { return s.Store }

func (s *store) count(op string, err error) {
	if err != nil && !errors.Is(err, latch.ErrNotFound) && !errors.Is(err, latch.ErrConflict) {
		s.m.storeErrors.WithLabelValues(op).Inc()
	}
}

func (s *store) CreateUser(ctx context.Context, u latch.StoredUser) (*latch.StoredUser, error) {
	r, err := s.Store.CreateUser(ctx, u)
	s.count("create_user", err)
	return r, err
}

func (s *store) User(ctx context.Context, id string) (*latch.StoredUser, error) {
	r, err := s.Store.User(ctx, id)
	s.count("user", err)
	return r, err
}

func (s *store) UserByEmail(ctx context.Context, email string) (*latch.StoredUser, error) {
	r, err := s.Store.UserByEmail(ctx, email)
	s.count("user_by_email", err)
	return r, err
}

func (s *store) UpdateUser(ctx context.Context, u latch.StoredUser) (*latch.StoredUser, error) {
	r, err := s.Store.UpdateUser(ctx, u)
	s.count("update_user", err)
	return r, err
}

func (s *store) LinkAccount(ctx context.Context, a latch.LinkedAccount) error {
	err := s.Store.LinkAccount(ctx, a)
	s.count("link_account", err)
	return err
}

func (s *store) UserByAccount(ctx context.Context, provider, id string) (*latch.StoredUser, error) {
	r, err := s.Store.UserByAccount(ctx, provider, id)
	s.count("user_by_account", err)
	return r, err
}

func (s *store) CreateSession(ctx context.Context, r latch.SessionRecord) error {
	err := s.Store.CreateSession(ctx, r)
	s.count("create_session", err)
	return err
}

func (s *store) Session(ctx context.Context, token string) (*latch.SessionRecord, *latch.StoredUser, error) {
	r, u, err := s.Store.Session(ctx, token)
	s.count("session", err)
	return r, u, err
}

func (s *store) UpdateSessionExpiry(ctx context.Context, token string, exp time.Time) error {
	err := s.Store.UpdateSessionExpiry(ctx, token, exp)
	s.count("update_session", err)
	return err
}

func (s *store) DeleteSession(ctx context.Context, token string) (*latch.SessionRecord, error) {
	r, err := s.Store.DeleteSession(ctx, token)
	s.count("delete_session", err)
	return r, err
}

func (s *store) CreateVerificationToken(ctx context.Context, t latch.VerificationToken) error {
	err := s.Store.CreateVerificationToken(ctx, t)
	s.count("create_verification_token", err)
	return err
}

func (s *store) UseVerificationToken(ctx context.Context, identifier, token string) (*latch.VerificationToken, error) {
	r, err := s.Store.UseVerificationToken(ctx, identifier, token)
	s.count("use_verification_token", err)
	return r, err
}

// readerLocalStore is a localStore whose store reads verification tokens
// too.
type readerLocalStore struct{ *localStore }

func (s readerLocalStore) VerificationToken(ctx context.Context, identifier, token string) (*latch.VerificationToken, error) {
	return readerStore{s.store}.VerificationToken(ctx, identifier, token)
}

// readerStore is a store whose store reads verification tokens too.
type readerStore struct{ *store }

func (s readerStore) VerificationToken(ctx context.Context, identifier, token string) (*latch.VerificationToken, error) {
	r, err := s.Store.(latch.VerificationTokenReader).VerificationToken(ctx, identifier, token)
	s.count("verification_token", err)
	return r, err
}

// Ping passes readiness checks through to the store when it has them.
func (s *store) Ping(ctx context.Context) error {
	if p, ok := s.Store.(interface{ Ping(context.Context) error }); ok {
		err := p.Ping(ctx)
		s.count("ping", err)
		return err
	}
	return nil
}
