// Package ratelimit counts tries per key in memory, in fixed windows: a
// key's window opens at its first try and lasts Window; once Max tries
// fall in it, the key is refused until the window ends.
//
// Memory is bounded: windows that ended are dropped as new tries come
// in, and when MaxEntries keys are tracked the oldest window is evicted to
// make room. Entries are kept in a list ordered by window start, so both
// cost O(1) per call.
package ratelimit

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// DefaultMaxEntries is the number of keys a [Limiter] tracks when
// [Config.MaxEntries] is 0.
const DefaultMaxEntries = 100_000

// Config configures a [Limiter].
type Config struct {
	// Max is how many tries a key may have within Window; it must be
	// positive.
	Max int
	// Window is how long a key's tries count, from its first one; it
	// must be positive.
	Window time.Duration
	// MaxEntries caps the number of keys tracked (default
	// DefaultMaxEntries); beyond it the oldest window is forgotten.
	MaxEntries int
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Limiter counts tries per key. It is safe for concurrent use. Its
// methods take a context and return an error to match limiters backed by
// shared storage; this one never fails.
type Limiter struct {
	max        int
	window     time.Duration
	maxEntries int
	now        func() time.Time

	mu      sync.Mutex
	entries map[string]*list.Element // of *entry
	order   list.List                // of *entry, oldest window first
}

type entry struct {
	key   string
	start time.Time
	count int
}

// New returns a Limiter for c. It panics when c.Max or c.Window is not
// positive.
func New(c Config) *Limiter {
	if c.Max <= 0 || c.Window <= 0 {
		panic("ratelimit: Max and Window must be positive")
	}
	if c.MaxEntries <= 0 {
		c.MaxEntries = DefaultMaxEntries
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return &Limiter{
		max:        c.Max,
		window:     c.Window,
		maxEntries: c.MaxEntries,
		now:        c.Now,
		entries:    make(map[string]*list.Element),
	}
}

// Hit counts one try for key and reports whether it is within the limit:
// the window opens at the key's first counted try, and once Max tries
// were counted in it, further ones are refused (and not counted) until it
// ends; retryAfter is how long that is. Counting and checking are one
// step, so concurrent tries cannot overshoot the limit.
func (l *Limiter) Hit(_ context.Context, key string) (retryAfter time.Duration, ok bool, err error) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.expire(now)
	if el := l.entries[key]; el != nil {
		e := el.Value.(*entry)
		if e.count >= l.max {
			return e.start.Add(l.window).Sub(now), false, nil
		}
		e.count++
		return 0, true, nil
	}
	for len(l.entries) >= l.maxEntries {
		l.remove(l.order.Front())
	}
	l.entries[key] = l.order.PushBack(&entry{key: key, start: now, count: 1})
	return 0, true, nil
}

// Undo takes back one counted try of key, for a try that turned out not
// to count (a successful sign-in, a request that gave up before the
// check). The window keeps its start.
func (l *Limiter) Undo(_ context.Context, key string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if el := l.entries[key]; el != nil {
		if e := el.Value.(*entry); e.count > 0 {
			e.count--
		}
	}
	return nil
}

// Reset forgets the tries of key.
func (l *Limiter) Reset(_ context.Context, key string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if el := l.entries[key]; el != nil {
		l.remove(el)
	}
	return nil
}

// Len returns the number of keys tracked, including windows that ended
// but have not been dropped yet.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// ended reports whether e's window is over at now.
func (l *Limiter) ended(e *entry, now time.Time) bool {
	return now.Sub(e.start) >= l.window
}

// expire drops the windows that ended, oldest first, stopping at the first
// one still open.
func (l *Limiter) expire(now time.Time) {
	for el := l.order.Front(); el != nil; el = l.order.Front() {
		if !l.ended(el.Value.(*entry), now) {
			return
		}
		l.remove(el)
	}
}

func (l *Limiter) remove(el *list.Element) {
	delete(l.entries, el.Value.(*entry).key)
	l.order.Remove(el)
}
