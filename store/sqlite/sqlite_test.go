package sqlite_test

import (
	"context"
	"path/filepath"
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
