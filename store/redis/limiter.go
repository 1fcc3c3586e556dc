package redis

import (
	"context"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Limiter is a fixed-window rate limiter shared by every instance that
// uses the same Redis: at most Max hits per key per Window.
type Limiter struct {
	rdb    goredis.UniversalClient
	prefix string
	max    int64
	window time.Duration
}

// NewLimiter returns a limiter of max hits per window under prefix
// (default "latch:limit:").
func NewLimiter(rdb goredis.UniversalClient, prefix string, max int, window time.Duration) *Limiter {
	if prefix == "" {
		prefix = "latch:limit:"
	}
	return &Limiter{rdb: rdb, prefix: prefix, max: int64(max), window: window}
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
	res, err := hit.Run(ctx, l.rdb, []string{l.prefix + key}, l.window.Milliseconds()).Int64Slice()
	if err != nil {
		return 0, false, fmt.Errorf("redis: rate limit: %w", err)
	}
	if res[0] > l.max {
		return time.Duration(max(res[1], 1)) * time.Millisecond, false, nil
	}
	return 0, true, nil
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
