package postgres_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/postgres"
	"github.com/latchauth/latch/store/storetest"
)

// TestSharedDatabase: two stores on one schema, as two instances have it:
// a change through one is seen through the other within
// storetest.ChangeBound, although the other answers sessions from memory.
func TestSharedDatabase(t *testing.T) {
	dsn := freshSchema(t)
	a, b := open(t, dsn), open(t, dsn)
	defer a.Close()
	defer b.Close()
	for name, d := range storetest.RunShared(t, a, b) {
		t.Logf("%s: old state seen for %v", name, d)
	}
}

// cachedSession returns a store on dsn holding a live session "tok" that
// it answers from memory.
func cachedSession(t *testing.T, dsn string) *postgres.Store {
	t.Helper()
	s := open(t, dsn)
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	u, err := s.CreateUser(ctx, latch.StoredUser{User: latch.User{Email: "cached@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSession(ctx, latch.SessionRecord{Token: "tok", UserID: u.ID, Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	storetest.WaitCached(t, s, "tok")
	return s
}

// endedWithin fails unless every read of "tok" that starts more than
// storetest.ChangeBound after changed misses the session (an error other
// than ErrNotFound counts: the session is not served).
func endedWithin(t *testing.T, s *postgres.Store, changed time.Time) {
	t.Helper()
	for {
		start := time.Now()
		_, _, err := s.Session(context.Background(), "tok")
		if err != nil {
			t.Logf("session refused %v after the change: %v", start.Sub(changed), err)
			return
		}
		if start.Sub(changed) > storetest.ChangeBound {
			t.Fatalf("the session is still served %v after the change (bound %v)", start.Sub(changed), storetest.ChangeBound)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestOtherWriters: a session ended by an app writing to the same tables
// (a NextAuth app on the same database, psql) stops being served within
// the bound.
func TestOtherWriters(t *testing.T) {
	dsn := freshSchema(t)
	s := cachedSession(t, dsn)
	exec(t, dsn, `DELETE FROM sessions WHERE "sessionToken" = 'tok'`)
	endedWithin(t, s, time.Now())
	if _, _, err := s.Session(context.Background(), "tok"); !errors.Is(err, latch.ErrNotFound) {
		t.Fatalf("after the delete: %v; want ErrNotFound", err)
	}
}

// TestListenerKilled: when the connection that listens for changes is
// killed, nothing is served from memory until a new one listens, so a
// change made meanwhile is not missed; then the cache works again.
func TestListenerKilled(t *testing.T) {
	dsn := freshSchema(t)
	s := cachedSession(t, dsn)
	killed := queryInt(t, dsn, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE query LIKE 'LISTEN "latch_%' AND query LIKE '%' || left(md5(current_schema()), 16) || '%'`)
	if killed != 1 {
		t.Fatalf("killed %d listeners; want 1", killed)
	}
	exec(t, dsn, `UPDATE sessions SET expires = now() + interval '2 hours' WHERE "sessionToken" = 'tok'`)
	changed := time.Now()
	for {
		start := time.Now()
		r, _, err := s.Session(context.Background(), "tok")
		if err == nil && time.Until(r.Expires) > 90*time.Minute {
			break
		}
		if start.Sub(changed) > storetest.ChangeBound {
			t.Fatalf("the old expiry is still served %v after the change (listener killed): %v, %v", start.Sub(changed), r, err)
		}
		time.Sleep(time.Millisecond)
	}
	storetest.WaitCached(t, s, "tok") // a new listener took over
}

// TestFrozenListener: a store whose server stops answering (its
// connections stay open, no error arrives) stops serving the cached
// session within the bound, though it cannot hear of the change.
func TestFrozenListener(t *testing.T) {
	dsn := freshSchema(t)
	if !strings.Contains(dsn, "://") {
		t.Skip("the freeze test needs LATCH_TEST_POSTGRES_DSN as a URL")
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := storetest.NewFreezeProxy(t, u.Host)
	u.Host = proxy.Addr()
	s := cachedSession(t, u.String())
	s.Timeout = 200 * time.Millisecond
	proxy.Freeze()
	defer proxy.Thaw()
	exec(t, dsn, `DELETE FROM sessions WHERE "sessionToken" = 'tok'`)
	endedWithin(t, s, time.Now())
}

// TestWritesWithoutRowTriggers: TRUNCATE fires no row triggers, and
// replica mode (logical replication, pg_restore --disable-triggers) skips
// ordinary ones; either way the change is heard.
func TestWritesWithoutRowTriggers(t *testing.T) {
	for name, sql := range map[string]string{
		"truncate":       `TRUNCATE sessions`,
		"replica mode":   `SET session_replication_role = replica; DELETE FROM sessions`,
		"truncate users": `TRUNCATE users CASCADE`,
	} {
		t.Run(name, func(t *testing.T) {
			dsn := freshSchema(t)
			s := cachedSession(t, dsn)
			exec(t, dsn, sql)
			endedWithin(t, s, time.Now())
		})
	}
}

// TestAfterConnectSearchPath: a store whose schema is chosen by the pool's
// AfterConnect (not the connection string) listens on that schema's
// channel.
func TestAfterConnectSearchPath(t *testing.T) {
	dsn := freshSchema(t)
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	schema := cfg.ConnConfig.RuntimeParams["search_path"]
	if schema == "" {
		t.Fatalf("the test schema's DSN has no search_path: %s", dsn)
	}
	delete(cfg.ConnConfig.RuntimeParams, "search_path")
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, "SET search_path TO "+pgx.Identifier{schema}.Sanitize())
		return err
	}
	s, err := postgres.OpenConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	u, err := s.CreateUser(ctx, latch.StoredUser{User: latch.User{Email: "hooked@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSession(ctx, latch.SessionRecord{Token: "tok", UserID: u.ID, Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	storetest.WaitCached(t, s, "tok")
	exec(t, dsn, `DELETE FROM sessions WHERE "sessionToken" = 'tok'`)
	endedWithin(t, s, time.Now())
}
