// Package sessioncache keeps database sessions in memory for the SQL
// stores, so that reading a session usually costs no query, while a
// session ended or a user changed by any process stops being served
// within a bound ([Window]).
//
// The store feeds the cache two kinds of news from its database: changes
// (a user's sessions or record changed: [Cache.ForgetUsers]) and freshness
// ("every change committed before time t has been reported":
// [Cache.FreshAsOf]). An entry is served only while the last freshness
// report is younger than Window, so a change committed at t is either
// reported before the cache serves again, or the cache stops serving by
// t+Window at the latest, even when the store loses its database without
// noticing. A read that raced with a change is not stored (see
// [Cache.Begin]).
package sessioncache

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/latchauth/latch"
)

// Window is how long after a change is committed a cache may still serve
// what the change replaced: entries are served only while the newest
// freshness report is at most this old.
const Window = 80 * time.Millisecond

// Interval is how often a store should report freshness while the cache is
// in use: a few reports fit in each Window, so one late report does not
// turn the cache off.
const Interval = 20 * time.Millisecond

// DefaultSize is the most sessions a cache holds.
const DefaultSize = 10000

// maxEntryBytes is the most bytes of strings an entry may hold: sessions
// of users with longer records (a long image URL, say) are not cached,
// so that DefaultSize entries stay within about 40 MB.
const maxEntryBytes = 4096

// Cache is a bounded map from session token to the session and its user.
// It is safe for concurrent use. The zero value is not usable: call [New].
type Cache struct {
	epoch time.Time // monotonic base of the times below
	size  int
	// fresh is when (since epoch) serving stops unless a newer freshness
	// report arrives; staleAt is the last Stale call, before which no
	// report counts; lastUse is when Get was last called.
	fresh, staleAt, lastUse atomic.Int64
	hits, misses            atomic.Uint64

	mu      sync.RWMutex
	gen     uint64 // counts forgets; guards Put against racing changes
	entries map[string]entry
	byUser  map[string]map[string]struct{} // user id → tokens
}

type entry struct {
	session latch.SessionRecord
	user    latch.StoredUser
}

// New returns an empty cache holding at most size sessions (DefaultSize
// when size <= 0). It serves nothing until the first [Cache.FreshAsOf].
func New(size int) *Cache {
	if size <= 0 {
		size = DefaultSize
	}
	return &Cache{epoch: time.Now(), size: size, entries: map[string]entry{}, byUser: map[string]map[string]struct{}{}}
}

func (c *Cache) since(t time.Time) int64 { return int64(t.Sub(c.epoch)) }

// Get returns copies of the session with the token and its user when the
// cache holds it and is fresh.
func (c *Cache) Get(token string) (*latch.SessionRecord, *latch.StoredUser, bool) {
	now := c.since(time.Now())
	if now-c.lastUse.Load() > int64(time.Millisecond) {
		c.lastUse.Store(now)
	}
	if now > c.fresh.Load() {
		c.misses.Add(1)
		return nil, nil, false
	}
	c.mu.RLock()
	e, ok := c.entries[token]
	c.mu.RUnlock()
	if !ok {
		c.misses.Add(1)
		return nil, nil, false
	}
	c.hits.Add(1)
	s, u := e.session, e.user
	return &s, &u, true
}

// Begin returns the generation to pass to [Cache.Put] for a read that
// starts now: a change reported while the read runs makes Put drop it.
func (c *Cache) Begin() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// Put stores what a read begun at generation gen returned, unless a change
// was reported since or the entry would be larger than 4 KiB. When the
// cache is full an arbitrary entry goes.
func (c *Cache) Put(gen uint64, s *latch.SessionRecord, u *latch.StoredUser) {
	if len(s.Token)+len(s.UserID)+len(u.ID)+len(u.Name)+len(u.Email)+len(u.Image) > maxEntryBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	c.remove(s.Token)
	if len(c.entries) >= c.size {
		for k := range c.entries {
			c.remove(k)
			break
		}
	}
	c.entries[s.Token] = entry{*s, *u}
	for _, id := range [...]string{s.UserID, u.ID} {
		tokens := c.byUser[id]
		if tokens == nil {
			tokens = map[string]struct{}{}
			c.byUser[id] = tokens
		}
		tokens[s.Token] = struct{}{}
	}
}

// remove drops the entry of the token, if any. c.mu is held.
func (c *Cache) remove(token string) {
	e, ok := c.entries[token]
	if !ok {
		return
	}
	delete(c.entries, token)
	for _, id := range [...]string{e.session.UserID, e.user.ID} {
		if tokens := c.byUser[id]; tokens != nil {
			delete(tokens, token)
			if len(tokens) == 0 {
				delete(c.byUser, id)
			}
		}
	}
}

// ForgetUsers drops every session of the users: one of their sessions,
// or their records, changed.
func (c *Cache) ForgetUsers(userIDs ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, id := range userIDs {
		for token := range c.byUser[id] {
			c.remove(token)
		}
	}
}

// ForgetToken drops the session with the token.
func (c *Cache) ForgetToken(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.remove(token)
}

// ForgetAll drops every session: changes may have been missed (the store
// lost its feed of changes, or fell behind it).
func (c *Cache) ForgetAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.entries)
	clear(c.byUser)
}

// FreshAsOf reports that every change committed before t has been passed
// to the cache: it may serve until t+Window. FreshAsOf and [Cache.Stale]
// are called by one goroutine, the one that follows the changes.
func (c *Cache) FreshAsOf(t time.Time) {
	if c.since(t) < c.staleAt.Load() {
		return // a report from before the feed was lost
	}
	until := c.since(t.Add(Window))
	for {
		old := c.fresh.Load()
		if until <= old || c.fresh.CompareAndSwap(old, until) {
			return
		}
	}
}

// Stale stops serving until the next [Cache.FreshAsOf] with a later time:
// the store lost its feed of changes.
func (c *Cache) Stale() {
	now := c.since(time.Now())
	c.staleAt.Store(now)
	c.fresh.Store(now - 1)
}

// InUse reports whether Get was called within the last d: a store need
// not report freshness for a cache nobody reads.
func (c *Cache) InUse(d time.Duration) bool {
	return c.since(time.Now())-c.lastUse.Load() <= int64(d)
}

// Stats returns how many Gets were served from the cache and how many were
// not, and how many sessions it holds.
func (c *Cache) Stats() (hits, misses uint64, size int) {
	c.mu.RLock()
	size = len(c.entries)
	c.mu.RUnlock()
	return c.hits.Load(), c.misses.Load(), size
}
