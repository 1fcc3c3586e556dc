package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/latchauth/latch"
)

// logConfig is the log section.
type logConfig struct {
	// Format is text (default: key=value lines) or json (one object a
	// line).
	Format string `yaml:"format"`
	// Level is debug, info (default), warn or error.
	Level string `yaml:"level"`
	// Access logs every request: method, path (never the query, which
	// may carry codes), status, duration and client address.
	Access bool `yaml:"access"`
}

// validateLog checks the log section.
func (c *config) validateLog() []error {
	var errs []error
	switch strings.ToLower(c.Log.Format) {
	case "", "text", "json":
	default:
		errs = append(errs, fmt.Errorf("%s: log.format %q: want text or json", c.where("log.format"), c.Log.Format))
	}
	if _, ok := parseLevel(c.Log.Level); !ok {
		errs = append(errs, fmt.Errorf("%s: log.level %q: want debug, info, warn or error", c.where("log.level"), c.Log.Level))
	}
	return errs
}

// parseLevel reads a log level; "" is info.
func parseLevel(s string) (slog.Level, bool) {
	switch strings.ToLower(s) {
	case "", "info":
		return slog.LevelInfo, true
	case "debug":
		return slog.LevelDebug, true
	case "warn", "warning":
		return slog.LevelWarn, true
	case "error":
		return slog.LevelError, true
	}
	return 0, false
}

// logger returns the logger the log section asks for, writing to w.
func (c *config) logger(w io.Writer) *slog.Logger {
	level, _ := parseLevel(c.Log.Level)
	opts := &slog.HandlerOptions{Level: level}
	if strings.EqualFold(c.Log.Format, "json") {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// Audit events: the "event" of every audit line (msg "audit").
const (
	auditSignIn         = "sign-in"
	auditSignInFailed   = "sign-in-failed"
	auditLockout        = "lockout"
	auditSignOut        = "sign-out"
	auditSecondFactor   = "second-factor"
	auditRevoke         = "revoke"
	auditPasswordChange = "password-change"
	auditUserAdd        = "user-add"
	auditUserRemove     = "user-remove"
	auditUnlock         = "unlock"
)

// audit writes one audit line. Its attributes never carry secrets,
// tokens, passwords or codes: user IDs, provider IDs, addresses, codes of
// errors.
func audit(ctx context.Context, log *slog.Logger, event string, attrs ...any) {
	log.InfoContext(ctx, "audit", append([]any{"event", event}, attrs...)...)
}

// auditEvents adds audit lines to the events of cfg: every sign-in
// (success and failure), sign-out, lockout and second-factor change,
// with the provider, the user ID and the client's address (ip).
func auditEvents(cfg *latch.Config, log *slog.Logger, ip func(*http.Request) string) {
	clientIP := func(r *http.Request) string {
		if r == nil {
			return ""
		}
		return ip(r)
	}
	ev := &cfg.Events
	onSignIn, onSignOut, onFailure, onSecond := ev.SignIn, ev.SignOut, ev.SignInFailure, ev.SecondFactor
	ev.SignIn = func(ctx context.Context, e latch.SignInEvent) {
		provider, userID := "", ""
		if e.Account != nil {
			provider = e.Account.Provider
		}
		if e.User != nil {
			userID = e.User.ID
		}
		audit(ctx, log, auditSignIn, "provider", provider, "user_id", userID, "new_user", e.IsNewUser, "ip", clientIP(e.Request))
		if onSignIn != nil {
			onSignIn(ctx, e)
		}
	}
	ev.SignInFailure = func(ctx context.Context, e latch.SignInFailureEvent) {
		event := auditSignInFailed
		if e.Code == "TooManyRequests" {
			event = auditLockout
		}
		attrs := []any{"provider", e.Provider, "error", e.Code, "ip", clientIP(e.Request)}
		log.WarnContext(ctx, "audit", append([]any{"event", event}, attrs...)...)
		if onFailure != nil {
			onFailure(ctx, e)
		}
	}
	ev.SignOut = func(ctx context.Context, e latch.SignOutEvent) {
		userID := ""
		switch {
		case e.Session != nil:
			userID = e.Session.UserID
		case e.Token != nil:
			userID = e.Token.Subject()
		}
		audit(ctx, log, auditSignOut, "user_id", userID, "ip", clientIP(e.Request))
		if onSignOut != nil {
			onSignOut(ctx, e)
		}
	}
	ev.SecondFactor = func(ctx context.Context, e latch.SecondFactorEvent) {
		audit(ctx, log, auditSecondFactor, "user_id", e.UserID, "change", e.Kind)
		if onSecond != nil {
			onSecond(ctx, e)
		}
	}
}

// accessLog logs every request when the log section asks for it: the
// method, the path without the query, the status, the duration and the
// client's address.
func accessLog(h http.Handler, log *slog.Logger, ip func(*http.Request) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		log.Info("request", "method", r.Method, "path", r.URL.Path, "status", sw.status,
			"duration", time.Since(start).Round(time.Microsecond), "ip", ip(r))
	})
}

// statusWriter remembers the status of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (flushes,
// deadlines, WebSocket upgrades through the guard).
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
