package email

import (
	"context"
	"strings"
	"time"

	"github.com/latchauth/latch/internal/ratelimit"
)

// memoryLimiter is the default Limiter: one in-memory fixed-window counter
// for addresses and one for client IPs.
type memoryLimiter struct {
	address, ip *ratelimit.Limiter
}

func newMemoryLimiter(perAddress, perIP int, w time.Duration) *memoryLimiter {
	return &memoryLimiter{
		address: ratelimit.New(ratelimit.Config{Max: perAddress, Window: w}),
		ip:      ratelimit.New(ratelimit.Config{Max: perIP, Window: w}),
	}
}

func (l *memoryLimiter) Hit(ctx context.Context, key string) (time.Duration, bool, error) {
	if strings.HasPrefix(key, KeyPrefixIP) {
		return l.ip.Hit(ctx, key)
	}
	return l.address.Hit(ctx, key)
}
