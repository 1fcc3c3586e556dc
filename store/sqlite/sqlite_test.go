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
	if err == nil || !strings.Contains(err.Error(), "u1, u2") || !strings.Contains(err.Error(), "ülkü@example.com") {
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
