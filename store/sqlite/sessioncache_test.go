package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/sqlite"
	"github.com/latchauth/latch/store/storetest"
)

// TestSharedFile: two stores on one file, as two latch serve processes
// (or latch serve and the CLI) have it: a change through one is seen
// through the other within storetest.ChangeBound, although the other
// answers sessions from memory.
func TestSharedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "latch.db")
	a, b := openPath(t, path), openPath(t, path)
	for name, d := range storetest.RunShared(t, a, b) {
		t.Logf("%s: old state seen for %v", name, d)
	}
}

// TestOtherWriters: a session ended by a program that knows nothing of
// Latch's cache (the sqlite3 tool) stops being served within the bound.
func TestOtherWriters(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "latch.db")
	s := openPath(t, path)
	u, err := s.CreateUser(ctx, latch.StoredUser{User: latch.User{Email: "tool@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{"tok-1", "tok-2", "tok-3"} {
		if err := s.CreateSession(ctx, latch.SessionRecord{Token: tok, UserID: u.ID, Expires: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	gone := func(r *latch.SessionRecord, u *latch.StoredUser, err error) bool {
		return errors.Is(err, latch.ErrNotFound)
	}
	for _, tc := range []struct {
		tok, query string
		seen       func(*latch.SessionRecord, *latch.StoredUser, error) bool
	}{
		{"tok-1", `DELETE FROM sessions WHERE "sessionToken" = 'tok-1'`, gone},
		{"tok-2", `UPDATE users SET name = 'Tool' WHERE email = 'tool@example.com'`, func(r *latch.SessionRecord, u *latch.StoredUser, err error) bool {
			return err == nil && u.Name == "Tool"
		}},
		// REPLACE deletes the row it replaces without delete triggers.
		{"tok-3", `REPLACE INTO sessions ("sessionToken", "userId", expires) SELECT "sessionToken", "userId", 0 FROM sessions WHERE "sessionToken" = 'tok-3'`, func(r *latch.SessionRecord, u *latch.StoredUser, err error) bool {
			return err == nil && r.Expires.Unix() == 0
		}},
	} {
		storetest.WaitCached(t, s, tc.tok)
		if _, err := db.Exec(tc.query); err != nil {
			t.Fatal(err)
		}
		changed := time.Now()
		for {
			start := time.Now()
			r, got, err := s.Session(ctx, tc.tok)
			if tc.seen(r, got, err) {
				t.Logf("%s: old state seen for %v", tc.query, start.Sub(changed))
				break
			}
			if start.Sub(changed) > storetest.ChangeBound {
				t.Fatalf("%s: old state (%+v, %v) still served %v later", tc.query, got, err, start.Sub(changed))
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// TestChangesPruned: DeleteExpired keeps the newest rows of the change
// table only, and a store that missed pruned rows forgets its cache.
func TestChangesPruned(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "latch.db")
	s := openPath(t, path)
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10100)
		INSERT INTO latch_session_changes ("userId") SELECT 'u' || i FROM n`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteExpired(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	var n int
	db.QueryRow(`SELECT count(*) FROM latch_session_changes`).Scan(&n)
	if n != 10000 {
		t.Errorf("after DeleteExpired the change table has %d rows; want the newest 10000", n)
	}
}

func openPath(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
