package redis

import (
	"context"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Limiter is a fixed-window rate limiter shared by every instance that
// uses the same Redis: at most max(key) hits (or failures) per key per
// window. It serves both kinds of limits Latch's providers use: Hit
// (provider/email counts every request) and Allow/Fail/Reset
// (provider/password counts failures).
type Limiter struct {
	rdb    goredis.UniversalClient
	prefix string
	max    func(key string) int
	window time.Duration
}

// NewLimiter returns a limiter of max(key) per window under prefix
// (default "latch:limit:"); a max below 0 means no limit for that key.
func NewLimiter(rdb goredis.UniversalClient, prefix string, window time.Duration, max func(key string) int) *Limiter {
	if prefix == "" {
		prefix = "latch:limit:"
	}
	return &Limiter{rdb: rdb, prefix: prefix, max: max, window: window}
}

// hit counts one hit in the key's window: INCR, and the window's expiry
// on the first hit (PEXPIRE NX), in one round trip.
var hit = goredis.NewScript(`
local n = redis.call("INCR", KEYS[1])
if n == 1 then redis.call("PEXPIRE", KEYS[1], ARGV[1]) end
return {n, redis.call("PTTL", KEYS[1])}
`)

// Hit records one hit on key and reports whether it is within the limit;
// when not, retryAfter is the rest of the window.
func (l *Limiter) Hit(ctx context.Context, key string) (retryAfter time.Duration, ok bool, err error) {
	limit := l.max(key)
	if limit < 0 {
		return 0, true, nil
	}
	res, err := hit.Run(ctx, l.rdb, []string{l.prefix + key}, l.window.Milliseconds()).Int64Slice()
	if err != nil {
		return 0, false, fmt.Errorf("redis: rate limit: %w", err)
	}
	if res[0] > int64(limit) {
		return time.Duration(max(res[1], 1)) * time.Millisecond, false, nil
	}
	return 0, true, nil
}

// Allow reports whether key is below its limit, without counting.
func (l *Limiter) Allow(ctx context.Context, key string) (retryAfter time.Duration, ok bool, err error) {
	limit := l.max(key)
	if limit < 0 {
		return 0, true, nil
	}
	pipe := l.rdb.Pipeline()
	n := pipe.Get(ctx, l.prefix+key)
	ttl := pipe.PTTL(ctx, l.prefix+key)
	if _, err := pipe.Exec(ctx); err != nil && err != goredis.Nil {
		return 0, false, fmt.Errorf("redis: rate limit: %w", err)
	}
	count, _ := n.Int()
	if count >= limit {
		return max(ttl.Val(), time.Millisecond), false, nil
	}
	return 0, true, nil
}

// Fail counts one failure for key.
func (l *Limiter) Fail(ctx context.Context, key string) error {
	if l.max(key) < 0 {
		return nil
	}
	if err := hit.Run(ctx, l.rdb, []string{l.prefix + key}, l.window.Milliseconds()).Err(); err != nil {
		return fmt.Errorf("redis: rate limit: %w", err)
	}
	return nil
}

// Count returns the hits of key in its current window.
func (l *Limiter) Count(ctx context.Context, key string) (int, error) {
	n, err := l.rdb.Get(ctx, l.prefix+key).Int()
	if err == goredis.Nil {
		return 0, nil
	}
	return n, err
}

// Reset forgets key's hits.
func (l *Limiter) Reset(ctx context.Context, key string) error {
	return l.rdb.Del(ctx, l.prefix+key).Err()
}
