package storetest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/latchauth/latch"
)

// ChangeBound is how soon after a change to a session or a user, made
// through one store, another store on the same database must stop
// returning what the change replaced.
const ChangeBound = 100 * time.Millisecond

// SessionCacher is a store that serves sessions from memory (store/sqlite,
// store/postgres): SessionCacheStats says how many reads it answered so.
type SessionCacher interface {
	SessionCacheStats() (hits, misses uint64, held int)
}

// RunShared checks two stores on one database, as two instances (or
// processes) of an app have them: every change to a session or a user
// made through a is seen through b within [ChangeBound] — sign-out,
// removing all of a user's sessions, removing the user, renaming the
// user, extending the session — and at once through a itself. When b is a
// [SessionCacher], each check first makes sure b answers from memory, so
// that the bound is the cache's. It returns, per change, how long b went
// on returning the old state.
func RunShared(t *testing.T, a, b latch.Store) map[string]time.Duration {
	t.Helper()
	seen := map[string]time.Duration{}
	newSession := func(t *testing.T, email string) (*latch.StoredUser, string) {
		u := mustUser(t, a, email)
		tok := randomToken()
		if err := a.CreateSession(ctx, latch.SessionRecord{Token: tok, UserID: u.ID, Expires: time.Now().Add(time.Hour).Truncate(time.Millisecond)}); err != nil {
			t.Fatal(err)
		}
		WaitCached(t, b, tok)
		return u, tok
	}
	gone := func(s latch.Store, tok string) func() bool {
		return func() bool {
			_, _, err := s.Session(ctx, tok)
			return errors.Is(err, latch.ErrNotFound)
		}
	}
	t.Run("SignOut", func(t *testing.T) {
		_, tok := newSession(t, "shared-signout@example.com")
		seen[t.Name()] = within(t, func() {
			if _, err := a.DeleteSession(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}, gone(b, tok))
	})
	t.Run("DeleteUserSessions", func(t *testing.T) {
		u, tok := newSession(t, "shared-revoke@example.com")
		seen[t.Name()] = within(t, func() {
			if _, err := a.DeleteUserSessions(ctx, u.ID); err != nil {
				t.Fatal(err)
			}
		}, gone(b, tok))
	})
	t.Run("DeleteUser", func(t *testing.T) {
		u, tok := newSession(t, "shared-remove@example.com")
		seen[t.Name()] = within(t, func() {
			if err := a.DeleteUser(ctx, u.ID); err != nil {
				t.Fatal(err)
			}
		}, gone(b, tok))
	})
	t.Run("UpdateUser", func(t *testing.T) {
		u, tok := newSession(t, "shared-rename@example.com")
		seen[t.Name()] = within(t, func() {
			u.Name = "Renamed"
			if _, err := a.UpdateUser(ctx, *u); err != nil {
				t.Fatal(err)
			}
		}, func() bool {
			_, got, err := b.Session(ctx, tok)
			return err == nil && got.Name == "Renamed"
		})
	})
	t.Run("UpdateSessionExpiry", func(t *testing.T) {
		_, tok := newSession(t, "shared-extend@example.com")
		later := time.Now().Add(48 * time.Hour).Truncate(time.Millisecond)
		seen[t.Name()] = within(t, func() {
			if err := a.UpdateSessionExpiry(ctx, tok, later); err != nil {
				t.Fatal(err)
			}
		}, func() bool {
			r, _, err := b.Session(ctx, tok)
			return err == nil && r.Expires.Equal(later)
		})
	})
	t.Run("SameStoreAtOnce", func(t *testing.T) {
		u := mustUser(t, b, "shared-self@example.com")
		tok := randomToken()
		if err := b.CreateSession(ctx, latch.SessionRecord{Token: tok, UserID: u.ID, Expires: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		WaitCached(t, b, tok)
		u.Name = "Renamed at once"
		if _, err := b.UpdateUser(ctx, *u); err != nil {
			t.Fatal(err)
		}
		if _, got, err := b.Session(ctx, tok); err != nil || got.Name != u.Name {
			t.Fatalf("right after renaming through the same store: %+v, %v", got, err)
		}
		if _, err := b.DeleteSession(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if !gone(b, tok)() {
			t.Fatal("right after signing out through the same store the session is still returned")
		}
	})
	return seen
}

// WaitCached reads the session with the token through s until s answers
// it from memory, so that a following check tests the cache; a store that
// is not a [SessionCacher] is read once.
func WaitCached(t testing.TB, s latch.Store, tok string) {
	t.Helper()
	c, ok := s.(SessionCacher)
	deadline := time.Now().Add(10 * time.Second)
	for {
		before, _, _ := statsOf(c, ok)
		if _, _, err := s.Session(ctx, tok); err != nil {
			t.Fatalf("session before the change: %v", err)
		}
		after, _, _ := statsOf(c, ok)
		if !ok || after > before {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the store never answered the session from memory")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func statsOf(c SessionCacher, ok bool) (uint64, uint64, int) {
	if !ok {
		return 0, 0, 0
	}
	return c.SessionCacheStats()
}

// within makes the change, then calls done until it reports the change
// seen, and fails if a call that started more than ChangeBound after the
// change returned did not, or if the old state comes back in the next
// ChangeBound. It returns how long the old state was seen.
func within(t *testing.T, change func(), done func() bool) time.Duration {
	t.Helper()
	change()
	changed := time.Now()
	for {
		start := time.Now()
		if done() {
			seen := start.Sub(changed)
			for end := time.Now().Add(ChangeBound); time.Now().Before(end); time.Sleep(2 * time.Millisecond) {
				if !done() {
					t.Fatalf("the old state came back after the change was seen (%v after it)", time.Since(changed))
				}
			}
			return seen
		}
		if late := start.Sub(changed); late > ChangeBound {
			t.Fatalf("the other store still returned the old state %v after the change (bound %v)", late, ChangeBound)
		}
		time.Sleep(time.Millisecond)
	}
}

func randomToken() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
