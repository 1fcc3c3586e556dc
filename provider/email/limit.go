package email

import (
	"context"
	"strings"
	"sync"
	"time"
)

// memoryLimiter is a fixed-window counter per key, in memory. It forgets
// windows that ended, so its size is bounded by the keys of one window
// (and capped).
type memoryLimiter struct {
	perAddress, perIP int
	window            time.Duration
	now               func() time.Time

	mu      sync.Mutex
	windows map[string]*window
}

type window struct {
	start time.Time
	count int
}

const maxLimiterKeys = 100_000

func newMemoryLimiter(perAddress, perIP int, w time.Duration) *memoryLimiter {
	return &memoryLimiter{perAddress: perAddress, perIP: perIP, window: w, now: time.Now, windows: map[string]*window{}}
}

func (l *memoryLimiter) Hit(_ context.Context, key string) (time.Duration, bool, error) {
	limit := l.perAddress
	if strings.HasPrefix(key, KeyPrefixIP) {
		limit = l.perIP
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.windows[key]
	if w == nil || now.Sub(w.start) >= l.window {
		if len(l.windows) >= maxLimiterKeys {
			l.sweep(now)
		}
		w = &window{start: now}
		l.windows[key] = w
	}
	if w.count >= limit {
		return w.start.Add(l.window).Sub(now), false, nil
	}
	w.count++
	return 0, true, nil
}

// sweep drops ended windows; if none ended, it clears the map (a flood of
// distinct keys should not grow memory without bound).
func (l *memoryLimiter) sweep(now time.Time) {
	for k, w := range l.windows {
		if now.Sub(w.start) >= l.window {
			delete(l.windows, k)
		}
	}
	if len(l.windows) >= maxLimiterKeys {
		clear(l.windows)
	}
}
