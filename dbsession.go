package latch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"time"
)

// serveDatabaseSession answers GET/POST <base>/session for database
// sessions, as NextAuth does: an expired session is deleted; the expiry is
// written back at most once per UpdateAge; the answer's "expires" is the
// stored expiry read before any update.
func (a *Auth) serveDatabaseSession(x *exchange, token string, names []string, update bool) {
	ctx := x.r.Context()
	now := a.now()
	rec, user, err := a.lookupSession(ctx, token, now)
	switch {
	case errors.Is(err, ErrNotFound):
		x.clearSession(names)
		x.json(http.StatusOK, struct{}{})
		return
	case err != nil:
		a.log.Error("latch: read session", "err", err)
		x.json(http.StatusOK, struct{}{})
		return
	}
	if !rec.Expires.Add(-a.cfg.MaxAge).Add(a.cfg.UpdateAge).After(now) {
		switch err := a.cfg.Store.UpdateSessionExpiry(ctx, token, now.Add(a.cfg.MaxAge)); {
		case errors.Is(err, ErrNotFound):
			// Revoked (signed out elsewhere) since it was read: a
			// normal race, answered as the revocation.
			x.clearSession(names)
			x.json(http.StatusOK, struct{}{})
			return
		case err != nil:
			a.log.Error("latch: extend session", "err", err)
		}
	}
	sess := &Session{User: SessionUser{Name: user.Name, Email: user.Email, Image: user.Image}, Expires: rec.Expires, userID: user.ID}
	a.markStoreRefused(ctx, sess)
	if f := a.cfg.Callbacks.Session; f != nil {
		p := &SessionParams{Session: sess, User: user}
		if update {
			p.Trigger, p.UpdateData = "update", x.body.Data
		}
		if sess, err = f(ctx, p); err != nil || sess == nil {
			if err != nil {
				a.log.Error("latch: session callback", "err", err)
			}
			x.json(http.StatusOK, struct{}{})
			return
		}
	}
	sess.setUserID(user.ID)
	x.writeSessionValue(token, names, now.Add(a.cfg.MaxAge))
	if f := a.cfg.Events.Session; f != nil {
		f(ctx, SessionEvent{Session: sess, User: user})
	}
	x.writeSessionJSON(sess)
}

// lookupSession returns a live session and its user; an expired one is
// deleted and reported as ErrNotFound.
func (a *Auth) lookupSession(ctx context.Context, token string, now time.Time) (*SessionRecord, *StoredUser, error) {
	if token == "" || len(token) > 512 {
		return nil, nil, ErrNotFound
	}
	rec, user, err := a.cfg.Store.Session(ctx, token)
	if err != nil {
		return nil, nil, err
	}
	if rec.Expires.Before(now) {
		if _, err := a.cfg.Store.DeleteSession(ctx, token); err != nil && !errors.Is(err, ErrNotFound) {
			a.log.Error("latch: delete expired session", "err", err)
		}
		return nil, nil, ErrNotFound
	}
	return rec, user, nil
}

// databaseSession is Session(r) for database sessions.
func (a *Auth) databaseSession(r *http.Request) *Session {
	ctx := r.Context()
	raw := a.rawSession(r, a.namesFor(a.requestOrigin(r)))
	rec, user, err := a.lookupSession(ctx, raw, a.now())
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			a.log.Error("latch: read session", "err", err)
		}
		return nil
	}
	sess := &Session{User: SessionUser{Name: user.Name, Email: user.Email, Image: user.Image}, Expires: rec.Expires, userID: user.ID}
	if f := a.cfg.Callbacks.Session; f != nil {
		if sess, err = f(ctx, &SessionParams{Session: sess, User: user}); err != nil || sess == nil {
			return nil
		}
	}
	sess.setUserID(user.ID)
	sess.renewed = rec.Expires.Add(-a.cfg.MaxAge)
	return sess
}

// createDatabaseSession stores a new session for the user and sets its
// cookie.
func (a *Auth) createDatabaseSession(x *exchange, userID string, names []string) error {
	var b [32]byte
	rand.Read(b[:])
	rec := SessionRecord{Token: hex.EncodeToString(b[:]), UserID: userID, Expires: a.now().Add(a.cfg.MaxAge)}
	if err := a.cfg.Store.CreateSession(x.r.Context(), rec); err != nil {
		return err
	}
	x.writeSessionValue(rec.Token, names, rec.Expires)
	return nil
}

// endDatabaseSession deletes the session of a sign-out.
func (a *Auth) endDatabaseSession(x *exchange, token string) *SessionRecord {
	rec, err := a.cfg.Store.DeleteSession(x.r.Context(), token)
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			a.log.Error("latch: delete session", "err", err)
		}
		return nil
	}
	return rec
}

// RevokeUserSessions ends every session of a user at once: database
// sessions are deleted (their count is returned); with a
// [SessionRevocationStore] (store/sqlite, store/postgres, store/redis),
// JWT sessions issued before now end too, on every instance within
// [RevocationCheckInterval] or so. Without either it fails: a JWT session
// without a store ends only when it expires or the secret changes.
func (a *Auth) RevokeUserSessions(ctx context.Context, userID string) (int, error) {
	rs, canMark := storeAs[SessionRevocationStore](a.cfg.Store)
	if a.cfg.Strategy != DatabaseSessions && !canMark {
		return 0, errors.New("latch: RevokeUserSessions needs database sessions or a store that records revocations (SessionRevocationStore)")
	}
	if canMark {
		if err := rs.RevokeSessionsBefore(ctx, userID, a.now()); err != nil {
			return 0, err
		}
		a.forgetRevocations()
	}
	if a.cfg.Strategy != DatabaseSessions {
		return 0, nil
	}
	return a.cfg.Store.DeleteUserSessions(ctx, userID)
}
