package email

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/clientip"
	"github.com/latchauth/latch/internal/ratelimit"
)

// Limiter keys: KeyPrefixIP plus the client's key ([clientip.Key]: its
// address, or its /64 network for IPv6) counts requests for sign-in
// emails and wrong codes, KeyPrefixAddress plus the normalised address
// requests for sign-in emails to it, and KeyPrefixCode plus the address
// wrong codes typed for it.
const (
	KeyPrefixAddress = "email:"
	KeyPrefixIP      = "ip:"
	KeyPrefixCode    = "code:"
)

// Defaults of [Config].
const (
	DefaultMaxPerAddress = 5
	DefaultMaxPerIP      = 20
	DefaultMaxCodeTries  = 5
	DefaultWindow        = 15 * time.Minute
	DefaultCodeMaxAge    = 10 * time.Minute
)

// Limiter counts requests per key. Hit counts one request and reports
// whether it is within the limit, atomically; a refused request is not
// counted, and retryAfter says how long until key may try again. Undo
// takes back one counted request. store/redis.Limiter is one that every
// instance shares.
type Limiter interface {
	Hit(ctx context.Context, key string) (retryAfter time.Duration, ok bool, err error)
	Undo(ctx context.Context, key string) error
}

// DefaultMax returns the default limit for a limiter key, by its prefix:
// DefaultMaxPerIP, DefaultMaxCodeTries or DefaultMaxPerAddress. A shared
// Limiter can use it to apply the same limits (with DefaultWindow).
func DefaultMax(key string) int {
	switch {
	case strings.HasPrefix(key, KeyPrefixIP):
		return DefaultMaxPerIP
	case strings.HasPrefix(key, KeyPrefixCode):
		return DefaultMaxCodeTries
	}
	return DefaultMaxPerAddress
}

// hit counts a request under every key, in order, and stops at the first
// that is over its limit: the keys counted before it are taken back, and
// the ones after it are not counted, so that a refused request counts
// nowhere. List the client's key first: a client over its limit then
// cannot use up anybody else's.
func (p *Provider) hit(ctx context.Context, keys ...string) error {
	for i, k := range keys {
		retry, ok, err := p.cfg.Limiter.Hit(ctx, k)
		if err == nil && ok {
			continue
		}
		p.undo(ctx, keys[:i]...)
		if err != nil {
			return fmt.Errorf("email: rate limit: %w", err)
		}
		return &latch.Error{Code: latch.CodeTooManyRequests, Status: http.StatusTooManyRequests, RetryAfter: retry}
	}
	return nil
}

// undo takes back one request of every key, even when ctx has ended: the
// counts must not outlive a request that did not count.
func (p *Provider) undo(ctx context.Context, keys ...string) {
	ctx = context.WithoutCancel(ctx)
	for _, k := range keys {
		if err := p.cfg.Limiter.Undo(ctx, k); err != nil {
			p.cfg.Logger.Error("email: rate limit: take back a request", "err", err)
		}
	}
}

// ipKey is the limiter key of the request's client.
func (p *Provider) ipKey(r *http.Request) string {
	return KeyPrefixIP + clientip.Key(p.cfg.ClientIP(r))
}

// memoryLimiter is the default Limiter: one in-memory fixed-window counter
// per kind of key.
type memoryLimiter struct {
	address, ip, code *ratelimit.Limiter
}

func newMemoryLimiter(cfg Config) *memoryLimiter {
	newLimiter := func(n int) *ratelimit.Limiter {
		return ratelimit.New(ratelimit.Config{Max: n, Window: cfg.Window})
	}
	return &memoryLimiter{address: newLimiter(cfg.MaxPerAddress), ip: newLimiter(cfg.MaxPerIP), code: newLimiter(cfg.MaxCodeTries)}
}

func (l *memoryLimiter) pick(key string) *ratelimit.Limiter {
	switch {
	case strings.HasPrefix(key, KeyPrefixIP):
		return l.ip
	case strings.HasPrefix(key, KeyPrefixCode):
		return l.code
	}
	return l.address
}

func (l *memoryLimiter) Hit(ctx context.Context, key string) (time.Duration, bool, error) {
	return l.pick(key).Hit(ctx, key)
}

func (l *memoryLimiter) Undo(ctx context.Context, key string) error {
	return l.pick(key).Undo(ctx, key)
}
