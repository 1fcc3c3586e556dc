package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/sqlite"
)

// TestBurstKeepsFewFiles: a 400-way burst of reads and writes leaves the
// process with a bounded number of open files on the database, not one
// set per request that was ever in flight.
func TestBurstKeepsFewFiles(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("needs /proc/self/fd to count open files")
	}
	ctx := context.Background()
	dir := t.TempDir()
	s, err := sqlite.Open(ctx, filepath.Join(dir, "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := s.CreateUser(ctx, latch.StoredUser{User: latch.User{Email: "burst@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for i := range 400 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok := fmt.Sprint("tok-", i)
			if err := s.CreateSession(ctx, latch.SessionRecord{Token: tok, UserID: u.ID, Expires: time.Now().Add(time.Hour)}); err != nil {
				errs <- err
				return
			}
			if _, _, err := s.Session(ctx, tok); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("burst: %v", err)
	}
	if n := openFilesUnder(t, dir); n > 64 {
		t.Errorf("%d files open on the database after a 400-way burst; want the pool bounded (at most 64)", n)
	}
}

// openFilesUnder counts the process's file descriptors on files in dir.
func openFilesUnder(t *testing.T, dir string) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && strings.HasPrefix(target, dir) {
			n++
		}
	}
	return n
}
