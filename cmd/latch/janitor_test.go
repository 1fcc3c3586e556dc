package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/sqlite"
)

// TestServeDeletesExpired: latch serve deletes sessions that expired
// without being read again (and expired links), keeping live ones.
func TestServeDeletesExpired(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := run(t, dir, "correct horse battery\n", "user", "add", "--email", "ann@example.com", "--name", "Ann"); code != 0 {
		t.Fatal(stderr)
	}
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(dir, "latch-data", "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := s.UserByEmail(ctx, "ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []latch.SessionRecord{
		{Token: "abandoned", UserID: u.ID, Expires: time.Now().Add(-time.Hour)},
		{Token: "live", UserID: u.ID, Expires: time.Now().Add(time.Hour)},
	} {
		if err := s.CreateSession(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte("sessionStrategy: database\n"), 0o600)
	_, _, log, _ := serveInProcess(t)
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, _, err := s.Session(ctx, "abandoned")
		if errors.Is(err, latch.ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the expired session is still stored 20 s after latch serve started (%v)\nlog: %s", err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, _, err := s.Session(ctx, "live"); err != nil {
		t.Errorf("live session after the janitor ran: %v", err)
	}
	waitFor(t, func() bool { return strings.Contains(log.String(), "deleted expired sessions and links") })
}

// waitFor waits up to 20 s for cond.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 20 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
