package latch

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"
)

// SessionSighting is a JWT session as the store last saw it: which user,
// when it was signed in and last used, from which address and browser.
// JWT sessions live in their cookies; sightings are what lets
// `latch session list` and an account page show them, and end one of them
// ([Auth.RevokeSession]).
type SessionSighting struct {
	ID        string // the token's "sid"
	UserID    string
	SignedIn  time.Time
	LastSeen  time.Time
	IP        string
	UserAgent string
	// Expires is when the session ends unless it is used again: LastSeen
	// plus the session's MaxAge.
	Expires time.Time
}

// SessionSightingStore is a [Store] that keeps [SessionSighting]s.
// store/sqlite, store/postgres and store/redis have it.
type SessionSightingStore interface {
	// SawSession stores s, replacing the sighting with the same ID.
	SawSession(ctx context.Context, s SessionSighting) error
	// UserSessionSightings returns the user's sightings that have not
	// expired at now, the last seen first.
	UserSessionSightings(ctx context.Context, userID string, now time.Time) ([]SessionSighting, error)
	// SessionSighting returns the sighting of the session sid, or
	// ErrNotFound.
	SessionSighting(ctx context.Context, sid string) (*SessionSighting, error)
}

// sightingInterval is how often one session's sighting is written again:
// "last seen" is exact to about this much.
const sightingInterval = 10 * time.Minute

// sightings is an Auth's record of when it last wrote each session's
// sighting, so that a session read writes at most once per interval.
type sightings struct {
	store SessionSightingStore
	mu    sync.RWMutex
	last  map[string]time.Time // sid → last written
	swept time.Time
}

// sawSession records that a JWT session was used, at most once per
// sightingInterval per session. Failures are logged, never a refusal.
func (a *Auth) sawSession(r *http.Request, userID, sid string, signedIn float64) {
	a.sawSessionRaw(r, []byte(userID), []byte(sid), signedIn)
}

// sawSessionRaw is sawSession with the IDs as bytes, copied only when the
// sighting is written.
func (a *Auth) sawSessionRaw(r *http.Request, userIDBytes, sidBytes []byte, signedIn float64) {
	sg := a.sightings
	if sg == nil || len(sidBytes) == 0 {
		return
	}
	now := a.now()
	// Every session read comes here: the usual answer (written a moment
	// ago) takes only a read lock.
	sg.mu.RLock()
	recent := now.Sub(sg.last[string(sidBytes)]) < sightingInterval
	sg.mu.RUnlock()
	if recent {
		return
	}
	sg.mu.Lock()
	if now.Sub(sg.last[string(sidBytes)]) < sightingInterval {
		sg.mu.Unlock()
		return
	}
	sid, userID := string(sidBytes), string(userIDBytes)
	sg.last[sid] = now
	if now.Sub(sg.swept) > sightingInterval {
		for k, t := range sg.last {
			if now.Sub(t) >= sightingInterval {
				delete(sg.last, k)
			}
		}
		sg.last[sid] = now
		sg.swept = now
	}
	sg.mu.Unlock()
	ua := r.UserAgent()
	if len(ua) > 256 {
		ua = ua[:256]
	}
	s := SessionSighting{ID: sid, UserID: userID, LastSeen: now, IP: a.cfg.ClientIP(r), UserAgent: ua, Expires: now.Add(a.cfg.MaxAge)}
	if signedIn > 0 {
		s.SignedIn = time.Unix(int64(signedIn), 0)
	}
	if err := sg.store.SawSession(r.Context(), s); err != nil {
		a.log.Warn("latch: record session sighting", "err", err)
		sg.mu.Lock()
		delete(sg.last, sid) // try again on the next read
		sg.mu.Unlock()
	}
}

// UserSessions returns the JWT sessions of a user that were seen and have
// not expired, the last seen first. It needs a store with
// [SessionSightingStore].
func (a *Auth) UserSessions(ctx context.Context, userID string) ([]SessionSighting, error) {
	if a.sightings == nil {
		return nil, errNoSightings
	}
	return a.sightings.store.UserSessionSightings(ctx, userID, a.now())
}

// RevokeSession ends one JWT session (its "sid", as [Auth.UserSessions]
// lists it) on every instance within about [RevocationCheckInterval]. It
// needs a store with [SessionRevocationStore].
func (a *Auth) RevokeSession(ctx context.Context, sid string) error {
	rs, ok := storeAs[SessionRevocationStore](a.cfg.Store)
	if !ok || sid == "" {
		return errNoSightings
	}
	if err := rs.RevokeSessionsBefore(ctx, SessionMarkKey(sid), a.now()); err != nil {
		return err
	}
	a.forgetRevocations()
	return nil
}

var errNoSightings = errors.New("latch: listing and ending single JWT sessions needs JWT sessions and a store that records them (store/sqlite, store/postgres, store/redis)")
