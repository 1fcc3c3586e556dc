package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/sqlite"
	"github.com/latchauth/latch/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) latch.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "latch.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// A reopened database keeps its data and does not re-run migrations.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "data", "latch.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.CreateUser(ctx, latch.StoredUser{User: latch.User{Email: "keep@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	s.SetPasswordHash(ctx, u.ID, "hash")
	s.Close()

	s, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	got, err := s.UserByEmail(ctx, "keep@example.com")
	if err != nil || got.ID != u.ID {
		t.Fatalf("after reopen: %v, %v; want user %s", got, err, u.ID)
	}
	if h, _ := s.PasswordHash(ctx, u.ID); h != "hash" {
		t.Errorf("password hash after reopen = %q; want hash", h)
	}
}

func TestOpenBadPath(t *testing.T) {
	dir := t.TempDir()
	if _, err := sqlite.Open(context.Background(), dir); err == nil {
		t.Error("opening a directory as a database: want error")
	}
}

// oldDatabase makes a database as the first version of the store left
// it (migration 1 only), with users of the given emails.
func oldDatabase(t *testing.T, emails ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "latch.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	schema, err := os.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		string(schema),
		`CREATE TABLE latch_migrations (version INTEGER PRIMARY KEY, applied INTEGER NOT NULL)`,
		`INSERT INTO latch_migrations VALUES (1, 0)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	for i, e := range emails {
		if _, err := db.Exec(`INSERT INTO users (id, email) VALUES (?, ?)`, fmt.Sprint("u", i+1), e); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// Upgrading a database of the first version makes its users' emails
// match regardless of non-ASCII case.
func TestMigrateEmailKeys(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, oldDatabase(t, "Ülkü@Example.com", "ann@example.com"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if u, err := s.UserByEmail(ctx, "ülkü@example.com"); err != nil || u.ID != "u1" {
		t.Errorf("UserByEmail after the upgrade = %v, %v; want u1", u, err)
	}
	if _, err := s.CreateUser(ctx, latch.StoredUser{User: latch.User{Email: "ANN@example.com"}}); !errors.Is(err, latch.ErrConflict) {
		t.Errorf("CreateUser with a taken email after the upgrade: %v; want ErrConflict", err)
	}
}

// Users that the old ASCII-only rule let share an address stop the
// upgrade with an error naming them, and the database is left as it was.
func TestMigrateEmailKeysDuplicates(t *testing.T) {
	ctx := context.Background()
	path := oldDatabase(t, "Ülkü@example.com", "ülkü@example.com")
	_, err := sqlite.Open(ctx, path)
	if err == nil || !strings.Contains(err.Error(), "u1 and u2") || !strings.Contains(err.Error(), "ülkü@example.com") {
		t.Fatalf("Open: %v; want an error naming u1, u2 and the address", err)
	}
	db, _ := sql.Open("sqlite", "file:"+path)
	defer db.Close()
	var n int
	db.QueryRow(`SELECT count(*) FROM latch_migrations`).Scan(&n)
	if n != 1 {
		t.Errorf("migrations recorded after the failed upgrade: %d; want 1", n)
	}
}

// Rows that another program writes without email_key (an older Latch, the
// sqlite3 tool) get their keys when the store opens next.
func TestEmailKeysOfOtherWriters(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "latch.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := s.CreateUser(ctx, latch.StoredUser{User: latch.User{Email: "old@example.com"}})
	s.Close()

	db, _ := sql.Open("sqlite", "file:"+path)
	for _, q := range []string{
		`INSERT INTO users (id, email) VALUES ('cli', 'Ünal@Example.com')`,
		`UPDATE users SET email = 'New@Example.com' WHERE id = '` + u.ID + `'`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for email, id := range map[string]string{"ünal@example.com": "cli", "new@example.com": u.ID} {
		if got, err := s.UserByEmail(ctx, email); err != nil || got.ID != id {
			t.Errorf("UserByEmail(%s) = %v, %v; want %s", email, got, err, id)
		}
	}
	if _, err := s.UserByEmail(ctx, "old@example.com"); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("UserByEmail(the replaced address) = %v; want ErrNotFound", err)
	}
}

// A database that a newer Latch upgraded is not used by an older one.
func TestNewerDatabaseRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "latch.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, _ := sql.Open("sqlite", "file:"+path)
	db.Exec(`INSERT INTO latch_migrations VALUES (999, 0)`)
	db.Close()
	if _, err := sqlite.Open(ctx, path); err == nil || !strings.Contains(err.Error(), "migration 999") {
		t.Errorf("Open of a database with migration 999: %v; want an error naming it", err)
	}
}

// Addresses that differ by a non-ASCII letter that folds to an ASCII one
// (the Kelvin sign) are different addresses.
func TestEmailKeyKeepsNonASCII(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	kim, _ := s.CreateUser(ctx, latch.StoredUser{User: latch.User{Email: "kim@example.com"}})
	if got, err := s.UserByEmail(ctx, "\u212Aim@example.com"); err == nil {
		t.Errorf("UserByEmail(Kelvin sign + im) = %s; want no user (kim is %s)", got.ID, kim.ID)
	}
}
