package password

import (
	"context"
	"errors"
	"fmt"
	"github.com/latchauth/latch/clientip"
	"net/http"
	"runtime"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/ratelimit"
)

// MinLength is the shortest password accepted for a new account, by
// [SignUp] and by `latch user add`.
const MinLength = 8

// maxLength bounds passwords (in bytes), so that nobody makes the server
// hash megabytes.
const maxLength = 1024

// KeyPrefixSignUp prefixes the client address in the sign-up limiter's
// keys.
const KeyPrefixSignUp = "signup-ip:"

// SignUpStore is what [SignUp] needs of a user store; every [latch.Store]
// has it.
type SignUpStore interface {
	CreateUser(ctx context.Context, u latch.StoredUser) (*latch.StoredUser, error)
	SetPasswordHash(ctx context.Context, userID, hash string) error
	DeleteUser(ctx context.Context, id string) error
}

// SignUpOptions configures [SignUp]. The zero value is ready to use.
type SignUpOptions struct {
	// MaxPerIP is how many sign-ups one client address may try within
	// Window (default 10 per hour); negative: no limit.
	MaxPerIP int
	Window   time.Duration
	// ClientIP returns the client's address. Default: the host of
	// r.RemoteAddr; behind a proxy, give latch's ClientIP.
	ClientIP func(*http.Request) string
	// Limiter replaces the in-memory limiter (e.g. one shared by
	// instances); it sees keys KeyPrefixSignUp + address.
	Limiter Limiter
}

// SignUp returns a [latch.LocalConfig] SignUp function that creates users
// of the built-in user database from the fields "email", "password" and
// an optional "name", with the password policy of `latch user add`: at
// least MinLength characters, hashed with argon2id. Tries are limited per
// client address. A bad field is a *latch.SignUpError naming it (400), a
// taken email one with code EmailTaken (409).
func SignUp(store SignUpStore, opts SignUpOptions) func(ctx context.Context, r *http.Request, fields map[string]string) (*latch.User, error) {
	limiter := opts.Limiter
	if limiter == nil && opts.MaxPerIP >= 0 {
		n, window := opts.MaxPerIP, opts.Window
		if n == 0 {
			n = 10
		}
		if window <= 0 {
			window = time.Hour
		}
		limiter = ratelimit.New(ratelimit.Config{Max: n, Window: window})
	}
	clientIP := opts.ClientIP
	if clientIP == nil {
		clientIP = remoteHost
	}
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	return func(ctx context.Context, r *http.Request, fields map[string]string) (*latch.User, error) {
		if limiter != nil && r != nil {
			if ip := clientIP(r); ip != "" {
				retry, ok, err := limiter.Hit(ctx, limitKey(KeyPrefixSignUp, clientip.Key(ip)))
				if err != nil {
					return nil, fmt.Errorf("password: sign-up limit: %w", err)
				}
				if !ok {
					return nil, &latch.Error{Code: CodeTooManyRequests, Status: http.StatusTooManyRequests, RetryAfter: retry}
				}
			}
		}
		email := strings.TrimSpace(fields["email"])
		name := strings.TrimSpace(fields["name"])
		pw := fields["password"]
		if err := checkEmail(email); err != nil {
			return nil, &latch.SignUpError{Field: "email", Code: "InvalidField", Message: err.Error()}
		}
		switch {
		case utf8.RuneCountInString(pw) < MinLength:
			return nil, &latch.SignUpError{Field: "password", Code: "InvalidField", Message: fmt.Sprintf("the password must have at least %d characters", MinLength)}
		case len(pw) > maxLength:
			return nil, &latch.SignUpError{Field: "password", Code: "InvalidField", Message: fmt.Sprintf("the password must have at most %d bytes", maxLength)}
		case len(name) > 200 || !utf8.ValidString(name):
			return nil, &latch.SignUpError{Field: "name", Code: "InvalidField", Message: "the name must be at most 200 bytes of text"}
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return nil, busy(ctx)
		}
		hash, err := Hash(pw)
		<-sem
		if err != nil {
			return nil, err
		}
		u, err := store.CreateUser(ctx, latch.StoredUser{User: latch.User{Name: name, Email: email}})
		if errors.Is(err, latch.ErrConflict) {
			return nil, &latch.SignUpError{Status: http.StatusConflict, Field: "email", Code: "EmailTaken", Message: "an account with this email address exists"}
		}
		if err != nil {
			return nil, fmt.Errorf("password: sign-up: %w", err)
		}
		if err := store.SetPasswordHash(ctx, u.ID, hash); err != nil {
			if derr := store.DeleteUser(context.WithoutCancel(ctx), u.ID); derr != nil {
				err = errors.Join(err, derr)
			}
			return nil, fmt.Errorf("password: sign-up: %w", err)
		}
		return &u.User, nil
	}
}

// checkEmail accepts an address with one "@", a local part and a domain
// with a dot, no spaces or angle brackets, at most 254 bytes.
func checkEmail(s string) error {
	local, domain, ok := strings.Cut(s, "@")
	switch {
	case s == "":
		return errors.New("the email address is required")
	case !ok || local == "" || strings.Contains(domain, "@") || !strings.Contains(strings.Trim(domain, "."), "."),
		len(s) > 254, !utf8.ValidString(s), strings.ContainsAny(s, " \t\r\n<>()[]\\,;:\""):
		return errors.New("the email address is not valid")
	}
	return nil
}
