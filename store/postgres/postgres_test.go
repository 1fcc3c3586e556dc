package postgres_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/postgres"
	"github.com/latchauth/latch/store/storetest"
)

// testDSN is the server the tests use, from LATCH_TEST_POSTGRES_DSN. Without
// it the tests are skipped, unless LATCH_TEST_STRICT=1 (CI) makes that a
// failure.
func testDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("LATCH_TEST_POSTGRES_DSN")
	if dsn == "" {
		const msg = "LATCH_TEST_POSTGRES_DSN is not set: set it to a PostgreSQL URL such as postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run the PostgreSQL store tests"
		if os.Getenv("LATCH_TEST_STRICT") == "1" {
			t.Fatal(msg + " (LATCH_TEST_STRICT=1 forbids skipping them)")
		}
		t.Skip(msg)
	}
	return dsn
}

// migrationCount is the number of migrations the store has.
func migrationCount(t *testing.T) int {
	t.Helper()
	names, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("migrations: %v, %v", names, err)
	}
	return len(names)
}

// freshSchema returns a DSN on a new schema of the test server, dropped
// when the test ends.
func freshSchema(t *testing.T) string {
	t.Helper()
	return storetest.PostgresSchema(t, testDSN(t), "latch_test_")
}

func open(t *testing.T, dsn string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// exec runs statements on dsn outside the store.
func exec(t *testing.T, dsn string, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func queryInt(t *testing.T, dsn, sql string) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) latch.Store {
		return open(t, freshSchema(t))
	})
}

// A reopened database keeps its data and does not re-run migrations.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	dsn := freshSchema(t)
	s := open(t, dsn)
	u, err := s.CreateUser(ctx, latch.StoredUser{User: latch.User{Email: "keep@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetPasswordHash(ctx, u.ID, "hash"); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
	s.Close()

	s = open(t, dsn)
	defer s.Close()
	got, err := s.UserByEmail(ctx, "keep@example.com")
	if err != nil || got.ID != u.ID {
		t.Fatalf("after reopen: %v, %v; want user %s", got, err, u.ID)
	}
	if h, _ := s.PasswordHash(ctx, u.ID); h != "hash" {
		t.Errorf("password hash after reopen = %q; want hash", h)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Errorf("Migrate again: %v", err)
	}
	if n := queryInt(t, dsn, `SELECT count(*) FROM latch_migrations`); n != migrationCount(t) {
		t.Errorf("latch_migrations has %d rows; want %d", n, migrationCount(t))
	}
}

// Instances starting at once on a new database all succeed: the advisory
// lock makes them migrate one after the other.
func TestConcurrentOpen(t *testing.T) {
	ctx := context.Background()
	dsn := freshSchema(t)
	const n = 4
	stores := make([]*postgres.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			stores[i], errs[i] = postgres.Open(ctx, dsn)
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open #%d: %v", i, err)
			continue
		}
		defer stores[i].Close()
	}
	if t.Failed() {
		return
	}
	u, err := stores[0].CreateUser(ctx, latch.StoredUser{User: latch.User{Email: "race@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := stores[n-1].User(ctx, u.ID); err != nil || got.Email != "race@example.com" {
		t.Errorf("User through another instance = %v, %v", got, err)
	}
	if c := queryInt(t, dsn, `SELECT count(*) FROM latch_migrations`); c != migrationCount(t) {
		t.Errorf("latch_migrations has %d rows; want %d", c, migrationCount(t))
	}
}

func TestOpenBadDSN(t *testing.T) {
	if _, err := postgres.Open(context.Background(), "postgres://%zz"); err == nil {
		t.Error("Open with a malformed DSN: want error")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Nothing listens on port 1.
	if _, err := postgres.Open(ctx, "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"); err == nil {
		t.Error("Open with an unreachable server: want error")
	}
}

// nextAuthSchemas are the NextAuth PostgreSQL adapter's tables, as its
// documentation gives them (no foreign keys, no unique constraints) and as
// its repository's schema.sql has them (with both).
var nextAuthSchemas = map[string]string{
	"documented": `
CREATE TABLE verification_token (
  identifier TEXT NOT NULL,
  expires TIMESTAMPTZ NOT NULL,
  token TEXT NOT NULL,

  PRIMARY KEY (identifier, token)
);

CREATE TABLE accounts (
  id SERIAL,
  "userId" INTEGER NOT NULL,
  type VARCHAR(255) NOT NULL,
  provider VARCHAR(255) NOT NULL,
  "providerAccountId" VARCHAR(255) NOT NULL,
  refresh_token TEXT,
  access_token TEXT,
  expires_at BIGINT,
  id_token TEXT,
  scope TEXT,
  session_state TEXT,
  token_type TEXT,

  PRIMARY KEY (id)
);

CREATE TABLE sessions (
  id SERIAL,
  "userId" INTEGER NOT NULL,
  expires TIMESTAMPTZ NOT NULL,
  "sessionToken" VARCHAR(255) NOT NULL,

  PRIMARY KEY (id)
);

CREATE TABLE users (
  id SERIAL,
  name VARCHAR(255),
  email VARCHAR(255),
  "emailVerified" TIMESTAMPTZ,
  image TEXT,

  PRIMARY KEY (id)
);`,
	"constrained": `
CREATE TABLE users
(
  id SERIAL,
  name VARCHAR(255),
  email VARCHAR(255) UNIQUE,
  "emailVerified" TIMESTAMPTZ,
  image TEXT,

  PRIMARY KEY (id)
);

CREATE TABLE accounts
(
  id SERIAL,
  "userId" INTEGER NOT NULL REFERENCES users ON DELETE CASCADE,
  type VARCHAR(255) NOT NULL,
  provider VARCHAR(255) NOT NULL,
  "providerAccountId" VARCHAR(255) NOT NULL,
  refresh_token TEXT,
  access_token TEXT,
  expires_at BIGINT,
  id_token TEXT,
  scope TEXT,
  session_state TEXT,
  token_type TEXT,

  PRIMARY KEY (id),
  UNIQUE (provider, "providerAccountId")
);

CREATE TABLE sessions
(
  id SERIAL,
  "userId" INTEGER NOT NULL REFERENCES users ON DELETE CASCADE,
  expires TIMESTAMPTZ NOT NULL,
  "sessionToken" VARCHAR(255) UNIQUE NOT NULL,

  PRIMARY KEY (id)
);

CREATE TABLE verification_token
(
  identifier TEXT NOT NULL,
  expires TIMESTAMPTZ NOT NULL,
  token TEXT NOT NULL,

  PRIMARY KEY (identifier, token)
);`,
}

// Latch opens a database the NextAuth adapter created, with SERIAL integer
// ids, and reads and writes its rows.
func TestNextAuthDatabase(t *testing.T) {
	for name, ddl := range nextAuthSchemas {
		t.Run(name, func(t *testing.T) { testNextAuthDatabase(t, ddl) })
	}
}

func testNextAuthDatabase(t *testing.T, ddl string) {
	ctx := context.Background()
	dsn := freshSchema(t)
	exec(t, dsn, ddl)
	verified := time.UnixMilli(1_700_000_000_123).UTC()
	expires := time.UnixMilli(1_900_000_000_456).UTC()
	exec(t, dsn, `INSERT INTO users (name, email, "emailVerified", image) VALUES ('Ann', 'Ann@Example.com', $1, 'https://i/a.png')`, verified)
	exec(t, dsn, `INSERT INTO sessions ("userId", expires, "sessionToken") VALUES (1, $1, 'next-token')`, expires)
	exec(t, dsn, `INSERT INTO accounts ("userId", type, provider, "providerAccountId", access_token, expires_at, token_type)
		VALUES (1, 'oauth', 'github', '42', 'at', 1900000000, 'bearer')`)
	exec(t, dsn, `INSERT INTO verification_token (identifier, expires, token) VALUES ('v@example.com', $1, 'vt')`, expires)

	s := open(t, dsn)
	defer s.Close()

	u, err := s.User(ctx, "1")
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != "1" || u.Name != "Ann" || u.Email != "Ann@Example.com" || u.Image != "https://i/a.png" || !u.EmailVerified.Equal(verified) {
		t.Errorf("User(1) = %+v", u)
	}
	if got, err := s.UserByEmail(ctx, "ann@example.COM"); err != nil || got.ID != "1" {
		t.Errorf("UserByEmail = %v, %v; want user 1", got, err)
	}
	_, err = s.User(ctx, "not-a-number")
	wantErr(t, "User(not-a-number)", err, latch.ErrNotFound)

	rec, su, err := s.Session(ctx, "next-token")
	if err != nil || rec.UserID != "1" || !rec.Expires.Equal(expires) || su.ID != "1" {
		t.Errorf("Session = %+v, %+v, %v", rec, su, err)
	}
	if got, err := s.UserByAccount(ctx, "github", "42"); err != nil || got.ID != "1" {
		t.Errorf("UserByAccount = %v, %v; want user 1", got, err)
	}
	accs, err := s.Accounts(ctx, "1")
	if err != nil || len(accs) != 1 || accs[0].AccessToken != "at" || accs[0].ExpiresAt != 1900000000 || accs[0].UserID != "1" {
		t.Errorf("Accounts(1) = %+v, %v", accs, err)
	}
	vt, err := s.UseVerificationToken(ctx, "v@example.com", "vt")
	if err != nil || !vt.Expires.Equal(expires) {
		t.Errorf("UseVerificationToken = %+v, %v", vt, err)
	}

	// New rows take the next SERIAL id.
	bob, err := s.CreateUser(ctx, latch.StoredUser{User: latch.User{Name: "Bob", Email: "bob@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if bob.ID != "2" {
		t.Errorf("new user id = %q; want 2", bob.ID)
	}
	_, err = s.CreateUser(ctx, latch.StoredUser{User: latch.User{Email: "ANN@example.com"}})
	wantErr(t, "CreateUser with a taken email (other case)", err, latch.ErrConflict)
	if err := s.SetPasswordHash(ctx, "1", "h1"); err != nil {
		t.Fatal(err)
	}
	if h, err := s.PasswordHash(ctx, "1"); err != nil || h != "h1" {
		t.Errorf("PasswordHash(1) = %q, %v", h, err)
	}
	wantErr(t, "SetPasswordHash(missing)", s.SetPasswordHash(ctx, "99", "h"), latch.ErrNotFound)
	if err := s.CreateSession(ctx, latch.SessionRecord{Token: "bob-token", UserID: bob.ID, Expires: expires}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "CreateSession with a taken token", s.CreateSession(ctx, latch.SessionRecord{Token: "next-token", UserID: bob.ID, Expires: expires}), latch.ErrConflict)
	wantErr(t, "CreateSession for a missing user", s.CreateSession(ctx, latch.SessionRecord{Token: "x", UserID: "99", Expires: expires}), latch.ErrNotFound)
	acc := latch.LinkedAccount{Account: latch.Account{Provider: "github", Type: "oauth", ProviderAccountID: "42"}, UserID: bob.ID}
	wantErr(t, "LinkAccount of a linked account", s.LinkAccount(ctx, acc), latch.ErrConflict)
	acc.ProviderAccountID = "43"
	if err := s.LinkAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	acc.UserID = "99"
	acc.ProviderAccountID = "44"
	wantErr(t, "LinkAccount for a missing user", s.LinkAccount(ctx, acc), latch.ErrNotFound)

	// Deleting a user takes its rows along, foreign keys or not.
	if err := s.DeleteUser(ctx, "1"); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Session(ctx, "next-token")
	wantErr(t, "session of a deleted user", err, latch.ErrNotFound)
	_, err = s.UserByAccount(ctx, "github", "42")
	wantErr(t, "account of a deleted user", err, latch.ErrNotFound)
	_, err = s.PasswordHash(ctx, "1")
	wantErr(t, "password of a deleted user", err, latch.ErrNotFound)
	if n := queryInt(t, dsn, `SELECT (SELECT count(*) FROM sessions WHERE "userId" = 1) + (SELECT count(*) FROM accounts WHERE "userId" = 1)`); n != 0 {
		t.Errorf("%d session and account rows of the deleted user left", n)
	}
	list, err := s.ListUsers(ctx)
	if err != nil || len(list) != 1 || list[0].ID != bob.ID {
		t.Errorf("ListUsers = %v, %v; want [bob]", list, err)
	}
	s.Close()

	// Reopening applies nothing again.
	s = open(t, dsn)
	if got, err := s.User(ctx, bob.ID); err != nil || got.Email != "bob@example.com" {
		t.Errorf("after reopen: %v, %v", got, err)
	}
	if n := queryInt(t, dsn, `SELECT count(*) FROM latch_migrations`); n != migrationCount(t) {
		t.Errorf("latch_migrations has %d rows; want %d", n, migrationCount(t))
	}
	// The users.id type carried over to passwords."userId".
	if n := queryInt(t, dsn, `SELECT count(*) FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = 'passwords' AND column_name = 'userId' AND data_type = 'integer'`); n != 1 {
		t.Error(`passwords."userId" is not an integer like users.id`)
	}
}

// Emails that differ only in case stop the migration with an error that
// says what to fix; once fixed, Open succeeds.
func TestNextAuthDuplicateEmails(t *testing.T) {
	dsn := freshSchema(t)
	exec(t, dsn, nextAuthSchemas["documented"])
	exec(t, dsn, `INSERT INTO users (email) VALUES ('dup@example.com'), ('DUP@example.com'), ('other@example.com')`)
	_, err := postgres.Open(context.Background(), dsn)
	if err == nil {
		t.Fatal("Open with emails differing only in case: want error")
	}
	if msg := err.Error(); !strings.Contains(msg, "users") || !strings.Contains(msg, "case-insensitively") {
		t.Errorf("error %q does not explain the duplicate emails", msg)
	}
	if errors.Is(err, latch.ErrConflict) {
		t.Errorf("migration error %v reads as latch.ErrConflict", err)
	}
	if n := queryInt(t, dsn, `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename IN ('passwords', 'latch_migrations')`); n != 0 {
		t.Errorf("a failed migration left %d of Latch's tables behind", n)
	}
	exec(t, dsn, `DELETE FROM users WHERE email = 'DUP@example.com'`)
	s := open(t, dsn)
	s.Close()
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: err = %v; want %v", what, err, want)
	}
}
