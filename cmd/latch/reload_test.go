package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/latchauth/latch/client"
)

// A reload (SIGHUP) serves the new theme and providers at once, says
// which changed settings need a restart, and a bad file changes nothing.
func TestReloadConfig(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	write := func(s string) {
		if err := os.WriteFile("latch.yaml", []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("theme: {appName: First}\nshutdownTimeout: 3s\n")
	if code, _, stderr := run(t, dir, "correct horse battery\n", "user", "add", "--email", "ann@example.com"); code != 0 {
		t.Fatal(stderr)
	}
	reload := make(chan struct{})
	base, c, log, stop := serveInProcessCtx(t, withReload(context.Background(), reload))
	cl, err := client.New(base+"/api/auth", client.WithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	signIn := func(pw string) *client.SignInResult {
		res, _ := cl.SignIn(context.Background(), "credentials", client.SignInOptions{Credentials: map[string]string{"email": "ann@example.com", "password": pw}}, nil)
		return res
	}
	for i := 0; ; i++ {
		if res := signIn("wrong password"); res != nil && res.Status == http.StatusTooManyRequests {
			break
		}
		if i > 20 {
			t.Fatal("never locked out")
		}
	}
	get := func(path string) string {
		t.Helper()
		res, err := c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	if p := get("/api/auth/signin"); !strings.Contains(p, "Sign in to First") {
		t.Fatalf("sign-in page before the reload:\n%s", p)
	}
	write("theme: {appName: Second}\nshutdownTimeout: 3s\naddr: \"127.0.0.1:1\"\nsessionStrategy: database\n" +
		"oauth:\n  - preset: github\n    clientId: id\n    clientSecret: secret\naccess: {anyone: true}\n")
	reload <- struct{}{}
	waitFor(t, func() bool { return strings.Contains(log.String(), "reloaded the configuration") })
	if p := get("/api/auth/signin"); !strings.Contains(p, "Sign in to Second") || !strings.Contains(p, "Sign in with GitHub") {
		t.Errorf("sign-in page after the reload: want the new name and provider:\n%s", p)
	}
	l := log.String()
	if !strings.Contains(l, "take effect only when latch serve restarts") || !strings.Contains(l, "addr") || !strings.Contains(l, "sessionStrategy") {
		t.Errorf("the log does not name the settings that need a restart:\n%s", l)
	}
	// A reload is no way around a lockout.
	if res := signIn("correct horse battery"); res == nil || res.Status != http.StatusTooManyRequests {
		t.Errorf("right password after a reload while locked out = %+v; want 429 still", res)
	}
	// Still on the old address and kind of session: the server answers.
	if s := get("/api/auth/session"); s != "{}" {
		t.Errorf("session after the reload = %s", s)
	}

	write("theme: {brandColor: \"nope;\"}\n")
	reload <- struct{}{}
	waitFor(t, func() bool { return strings.Contains(log.String(), "reload: the configuration has errors") })
	if p := get("/api/auth/signin"); !strings.Contains(p, "Sign in to Second") {
		t.Errorf("a bad file changed the server:\n%s", p)
	}
	if l := log.String(); !strings.Contains(l, "latch.yaml:1:21: theme.brandColor") {
		t.Errorf("the reload error does not name the key and line:\n%s", l)
	}
	stop()
	if !strings.Contains(log.String(), `msg="shutting down" timeout=3s`) {
		t.Errorf("shutdownTimeout not in force:\n%s", log.String())
	}
}

// The real signal: SIGHUP to a latch serve process reloads its
// configuration and leaves it running.
func TestSIGHUPReloadsTheProcess(t *testing.T) {
	bin := buildLatchIn(t, ".")
	p := newLatch(t, bin, "theme: {appName: First}\n")
	p.start()
	page := func() string {
		res, err := http.Get(p.origin + "/api/auth/signin")
		if err != nil {
			return ""
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	if !strings.Contains(page(), "Sign in to First") {
		t.Fatalf("before SIGHUP: %s", page())
	}
	if err := os.WriteFile(filepath.Join(p.dir, "latch.yaml"), []byte("theme: {appName: Second}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(page(), "Sign in to Second") {
		select {
		case <-p.done:
			t.Fatalf("latch serve exited on SIGHUP:\n%s", p.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no reload within 15s of SIGHUP:\n%s", p.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.stop()
}
