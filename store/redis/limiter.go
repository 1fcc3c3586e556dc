package redis

import (
	"context"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Limiter is a fixed-window rate limiter shared by every instance that
// uses the same Redis: at most max(key) hits per key per window, counted
// and checked in one atomic step. It is the Limiter of both
// provider/email (every request for an email and every code typed is a
// hit, taken back with Undo when another key refused it or the code was
// right) and provider/password (every try is a hit, taken back with Undo
// when it was not a failure).
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

// hit counts one hit in the key's window unless it is full: INCR, the
// window's expiry when it opens (a key that Undo took back to 0 keeps its
// window), and a DECR when the hit was over the limit, in one round trip.
// It returns {allowed (0|1), ms left}. A hit whose answer is lost (a
// timeout after the script ran) stays counted.
var hit = goredis.NewScript(`
local n = redis.call("INCR", KEYS[1])
if n == 1 and redis.call("PTTL", KEYS[1]) < 0 then redis.call("PEXPIRE", KEYS[1], ARGV[1]) end
if n > tonumber(ARGV[2]) then
  redis.call("DECR", KEYS[1])
  return {0, redis.call("PTTL", KEYS[1])}
end
return {1, 0}
`)

// undo takes back one hit, if the window still has any.
var undo = goredis.NewScript(`
local n = tonumber(redis.call("GET", KEYS[1]) or "0")
if n > 0 then redis.call("DECR", KEYS[1]) end
return 0
`)

// Hit counts one hit on key and reports whether it is within the limit;
// a refused hit is not counted, and retryAfter is the rest of the window.
func (l *Limiter) Hit(ctx context.Context, key string) (retryAfter time.Duration, ok bool, err error) {
	limit := l.max(key)
	if limit < 0 {
		return 0, true, nil
	}
	res, err := hit.Run(ctx, l.rdb, []string{l.prefix + key}, l.window.Milliseconds(), limit).Int64Slice()
	if err != nil {
		return 0, false, fmt.Errorf("redis: rate limit: %w", err)
	}
	if res[0] == 0 {
		return time.Duration(max(res[1], 1)) * time.Millisecond, false, nil
	}
	return 0, true, nil
}

// Undo takes back one hit of key; the window keeps its end.
func (l *Limiter) Undo(ctx context.Context, key string) error {
	if l.max(key) < 0 {
		return nil
	}
	if err := undo.Run(ctx, l.rdb, []string{l.prefix + key}).Err(); err != nil && err != goredis.Nil {
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
