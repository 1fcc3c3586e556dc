package main

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch/store/storetest"
)

// TestFrozenDatabase: with PostgreSQL frozen (connections open, no
// answers), latch serve answers every request at the store timeout, as
// when the database is down, instead of holding them for as long as it
// is frozen; after the thaw it serves the session again, without a
// restart.
func TestFrozenDatabase(t *testing.T) {
	dsn, _, _ := sharedBackends(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := storetest.NewFreezeProxy(t, u.Host)
	u.Host = proxy.Addr()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte("sessionStrategy: database\nlimits: {storeTimeout: 300ms}\ndatabase: "+u.String()+"\n"), 0o600)
	t.Setenv("LATCH_SECRET", strings.Repeat("f", 32))
	if code, _, stderr := run(t, dir, "correct horse battery\n", "user", "add", "--email", "ann@example.com", "--name", "Ann"); code != 0 {
		t.Fatal(stderr)
	}
	base, c, _, _ := serveInProcess(t)
	signInAnn(t, c, base)
	session := func() (string, error) {
		res, err := c.Get(base + "/api/auth/session")
		if err != nil {
			return "", err
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b), nil
	}
	if s, err := session(); err != nil || !strings.Contains(s, "ann@example.com") {
		t.Fatalf("session before the freeze: %s %v", s, err)
	}

	proxy.Freeze()
	c.Timeout = 60 * time.Second
	start := time.Now()
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", base+"/api/auth/session", nil)
			for _, ck := range c.Jar.Cookies(req.URL) {
				req.AddCookie(ck)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Errorf("session with the database frozen: %v", err)
				return
			}
			res.Body.Close()
		}()
	}
	wg.Wait()
	res, err := c.Get(base + "/healthz")
	if err != nil || res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/healthz with the database frozen: %v %v; want 503", res, err)
	}
	// The store timeout is 300 ms, pgx drops a timed-out connection within
	// about a second more; the defect held requests for as long as the
	// freeze (minutes).
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("20 session reads and /healthz with the database frozen took %v; want them answered at the store timeout", d)
	}

	proxy.Thaw()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s, err := session()
		if err == nil && strings.Contains(s, "ann@example.com") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the thaw: session = %s, %v; want Ann's session back", s, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
