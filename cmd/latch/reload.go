package main

import (
	"context"
	"log/slog"
	"net/http"
	"reflect"
	"slices"
	"sync/atomic"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/metrics"
)

// defaultShutdownTimeout is how long latch serve waits for the requests
// under way when it stops, without shutdownTimeout.
const defaultShutdownTimeout = 10 * time.Second

// reloadKey is the context key of the channel that asks latch serve to
// reload its configuration (SIGHUP in main).
type reloadKey struct{}

// withReload returns ctx carrying the reload channel ch.
func withReload(ctx context.Context, ch <-chan struct{}) context.Context {
	return context.WithValue(ctx, reloadKey{}, ch)
}

// reloadSignal is the reload channel of ctx (nil, never ready, without).
func reloadSignal(ctx context.Context) <-chan struct{} {
	ch, _ := ctx.Value(reloadKey{}).(<-chan struct{})
	return ch
}

// swapHandler serves with the handler of the configuration in force,
// replaced at once by a reload.
type swapHandler struct{ h atomic.Pointer[http.Handler] }

func (s *swapHandler) set(h http.Handler) { s.h.Store(&h) }

func (s *swapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	(*s.h.Load()).ServeHTTP(w, r)
}

// reloadConfig reads the configuration file again and, when it is good,
// serves with it: providers, access rules, theme, upstream, forward-auth
// sites and the rest of what requests see. The settings that need a
// restart (listeners, database, secrets, sessions' kind, limits, log) keep
// their values, and the log says which of them changed. A bad file is
// logged and changes nothing. It returns the configuration in force now,
// nil when unchanged.
func reloadConfig(e *env, path, addrFlag string, old *config, siteURL string, store latch.Store, m *metrics.Metrics, current *swapHandler, log *slog.Logger) *config {
	log.Info("reloading the configuration (SIGHUP)", "file", old.path)
	nc, err := loadConfig(e, path)
	if err != nil {
		log.Error("reload: the configuration has errors; serving on with the one loaded before", "err", err)
		return nil
	}
	if addrFlag != "" {
		nc.Addr = addrFlag
	}
	if changed := keepRestartSettings(old, nc); len(changed) > 0 {
		log.Warn("reload: these settings changed but take effect only when latch serve restarts; until then the old values stay", "keys", changed)
	}
	h, _, err := newServer(nc, siteURL, store, m, log)
	if err != nil {
		log.Error("reload: the configuration has errors; serving on with the one loaded before", "err", err)
		return nil
	}
	current.set(h)
	log.Info("reloaded the configuration: providers, access rules, theme, upstream and forward-auth sites are the new ones; failed passwords stay counted, in-memory counts of email links and second-factor codes start afresh")
	return nc
}

// keepRestartSettings copies into nc the settings of old that only a
// restart changes, and returns the keys whose value differed.
func keepRestartSettings(old, nc *config) (changed []string) {
	keep := func(key string, differ bool, copyOld func()) {
		if differ {
			changed = append(changed, key)
		}
		copyOld()
	}
	same := func(a, b any) bool { return reflect.DeepEqual(a, b) }
	keep("addr", old.Addr != nc.Addr, func() { nc.Addr = old.Addr })
	keep("url", old.URL != nc.URL, func() { nc.URL = old.URL })
	keep("allowedHosts", !slices.Equal(old.AllowedHosts, nc.AllowedHosts), func() { nc.AllowedHosts = old.AllowedHosts })
	keep("tls", !same(old.TLS, nc.TLS), func() { nc.TLS = old.TLS })
	loaded := old.Secrets
	if old.devSecret {
		loaded = nil
	}
	keep("secrets", !slices.Equal(loaded, nc.Secrets), func() { nc.Secrets, nc.devSecret = old.Secrets, old.devSecret })
	keep("database", old.Database != nc.Database, func() { nc.Database = old.Database })
	keep("redis", old.Redis != nc.Redis || old.RedisPrefix != nc.RedisPrefix, func() { nc.Redis, nc.RedisPrefix = old.Redis, old.RedisPrefix })
	keep("sessionStrategy", old.SessionStrategy != nc.SessionStrategy, func() { nc.SessionStrategy = old.SessionStrategy })
	keep("metrics", !same(old.Metrics, nc.Metrics), func() { nc.Metrics = old.Metrics })
	keep("limits", !same(old.Limits, nc.Limits), func() { nc.Limits, nc.limits = old.Limits, old.limits })
	keep("cookies", !same(old.Cookies, nc.Cookies), func() { nc.Cookies = old.Cookies })
	keep("authjsCookies", old.AuthJSCookies != nc.AuthJSCookies, func() { nc.AuthJSCookies = old.AuthJSCookies })
	keep("local", !same(old.Local, nc.Local), func() { nc.Local, nc.local = old.Local, old.local })
	keep("log", !same(old.Log, nc.Log), func() { nc.Log = old.Log })
	nc.passwordLimiter = old.passwordLimiter
	return changed
}
