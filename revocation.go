package latch

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// SessionRevocationStore is a [Store] that records, per user, when the
// user's sessions were last revoked, so that JWT sessions issued before
// that end too, on every instance: a JWT session cookie is refused once
// its "iat" (the time it was last issued, which moves with every refresh)
// is before its user's mark. store/sqlite, store/postgres and store/redis
// have it.
type SessionRevocationStore interface {
	// RevokeSessionsBefore records that the user's sessions issued before
	// at no longer count. A mark only moves forward.
	RevokeSessionsBefore(ctx context.Context, userID string, at time.Time) error
	// SessionsRevokedSince returns the marks at or after since, by user ID.
	SessionsRevokedSince(ctx context.Context, since time.Time) (map[string]time.Time, error)
}

// SessionMarkKey is the key under which [SessionRevocationStore] keeps the
// revocation of one JWT session (its "sid"), beside the user IDs.
func SessionMarkKey(sid string) string { return "sid:" + sid }

// RevocationCheckInterval is how often an Auth with a
// [SessionRevocationStore] reads the marks again: a revocation on one
// instance (or by the latch CLI) ends a JWT session everywhere within
// about this long. A request that finds the marks older than twice this
// reads them before it answers; one that finds them older than this has
// them read in the background.
const RevocationCheckInterval = time.Second

// revocations is an Auth's copy of the revocation marks of the last
// MaxAge (older ones cannot matter: every token issued before them has
// expired).
type revocations struct {
	store SessionRevocationStore
	// set is the current copy; nil until first read.
	set     atomic.Pointer[revocationSet]
	reading atomic.Bool // a background read is on its way
	mu      sync.Mutex  // one foreground read at a time
}

type revocationSet struct {
	read  time.Time            // when the marks were read
	marks map[string]time.Time // user ID → sessions issued before are revoked
}

// markSignIn adds to the token of a new JWT session, when sessions can be
// revoked, its session ID ("sid") and the time of the sign-in
// ("auth_time", Unix seconds). Both stay as they are when the token is
// re-issued, unlike "iat": a revocation ends the sessions signed in
// before it, however often they were refreshed since.
func (a *Auth) markSignIn(r *http.Request, t Token) {
	if a.revocations == nil || t == nil {
		return
	}
	defer func() {
		at, _ := t["auth_time"].(float64)
		a.sawSession(r, t.Subject(), t.str("sid"), at)
	}()
	// Latch's own: whatever a JWT callback put there is replaced.
	// 96 random bits, in 16 characters: the cookie carries it on every
	// request.
	var b [12]byte
	rand.Read(b[:])
	t["sid"] = base64.RawURLEncoding.EncodeToString(b[:])
	t["auth_time"] = float64(a.now().Unix())
}

// keepSessionClaims gives the token a JWT callback returned for an
// existing session that session's "sid" and "auth_time" (or none, as
// before): a callback that builds a new token, or merges client data
// into it, cannot drop them or move the sign-in time.
func keepSessionClaims(before, after Token) {
	if after == nil {
		return
	}
	for _, k := range [...]string{"sid", "auth_time"} {
		if v, ok := before[k]; ok {
			after[k] = v
		} else {
			delete(after, k)
		}
	}
}

// revoked reports whether a JWT session of userID signed in at signedIn
// (Unix seconds: "auth_time", or "iat" for a token without it; 0 when
// unknown) was revoked.
// A mark for the session's ID (SessionMarkKey) ends that session alone.
func (a *Auth) revoked(ctx context.Context, userID, sid string, signedIn float64) bool {
	return a.revokedRaw(ctx, []byte(userID), []byte(sid), signedIn)
}

// revokedRaw is revoked with the IDs as bytes, looked up without copies.
func (a *Auth) revokedRaw(ctx context.Context, userID, sid []byte, signedIn float64) bool {
	rv := a.revocations
	if rv == nil {
		return false
	}
	set := a.revocationSet(ctx)
	if set == nil || len(set.marks) == 0 {
		return false
	}
	mark, ok := set.marks[string(userID)]
	if len(sid) > 0 && len(sid) <= 64 {
		var key [4 + 64]byte
		k := append(append(key[:0], "sid:"...), sid...)
		if m, found := set.marks[string(k)]; found && (!ok || m.After(mark)) {
			mark, ok = m, true
		}
	}
	if !ok {
		return false
	}
	// Whole seconds: a session signed in during the second of the
	// revocation counts as signed in before it. A sign-in in that same
	// second has to be made again.
	return signedIn < float64(mark.Unix()+1)
}

// revocationSet returns a copy of the marks young enough to use, reading
// them when needed.
func (a *Auth) revocationSet(ctx context.Context) *revocationSet {
	rv := a.revocations
	now := a.now()
	set := rv.set.Load()
	switch {
	case set != nil && now.Sub(set.read) < RevocationCheckInterval:
		return set
	case set != nil && now.Sub(set.read) < 2*RevocationCheckInterval:
		if rv.reading.CompareAndSwap(false, true) {
			go func() {
				defer rv.reading.Store(false)
				ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				defer cancel()
				a.readRevocations(ctx)
			}()
		}
		return set
	}
	rv.mu.Lock()
	defer rv.mu.Unlock()
	if s := rv.set.Load(); s != nil && now.Sub(s.read) < RevocationCheckInterval {
		return s // read by another request meanwhile
	}
	if s := a.readRevocations(ctx); s != nil {
		return s
	}
	return set // the store failed: go on with what is known
}

// readRevocations reads the marks of the last MaxAge into a new set.
func (a *Auth) readRevocations(ctx context.Context) *revocationSet {
	now := a.now()
	marks, err := a.revocations.store.SessionsRevokedSince(ctx, now.Add(-a.cfg.MaxAge))
	if err != nil {
		a.log.Warn("latch: read session revocations; going on with the ones known", "err", err)
		return nil
	}
	set := &revocationSet{read: now, marks: marks}
	a.revocations.set.Store(set)
	return set
}

// forgetRevocations makes the next session check read the marks again (a
// revocation on this instance counts at once).
func (a *Auth) forgetRevocations() {
	if a.revocations != nil {
		a.revocations.set.Store(nil)
	}
}
