package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch/store/storetest"
)

// run runs the CLI with args in dir and returns exit code, stdout, stderr.
func run(t *testing.T, dir, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	t.Chdir(dir)
	code := Main(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUserRoundTrip(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := run(t, dir, "correct horse battery\n", "user", "add", "--email", "ann@example.com", "--name", "Ann"); code != 0 {
		t.Fatalf("user add: exit %d: %s", code, stderr)
	}
	if code, _, stderr := run(t, dir, "another password\n", "user", "add", "--email", "ANN@example.com"); code == 0 || !strings.Contains(stderr, "already has an account") {
		t.Errorf("duplicate user add: exit %d, %q; want an error saying the account exists", code, stderr)
	}
	if code, _, stderr := run(t, dir, "short\n", "user", "add", "--email", "bob@example.com"); code == 0 || !strings.Contains(stderr, "at least 8") {
		t.Errorf("short password: exit %d, %q; want an error about the length", code, stderr)
	}
	_, out, _ := run(t, dir, "", "user", "list")
	if !strings.Contains(out, "ann@example.com") || !strings.Contains(out, "Ann") || strings.Contains(out, "bob@") {
		t.Errorf("user list = %q; want ann only", out)
	}
	if code, out, stderr := run(t, dir, "a brand new password\n", "user", "passwd", "ann@example.com"); code != 0 || !strings.Contains(out, "changed") {
		t.Errorf("user passwd: exit %d, %q, %q", code, out, stderr)
	}
	if code, _, stderr := run(t, dir, "x\n", "user", "passwd", "nobody@example.com"); code == 0 || !strings.Contains(stderr, "no user with email") {
		t.Errorf("passwd of unknown user: exit %d, %q", code, stderr)
	}
	if code, _, stderr := run(t, dir, "", "user", "remove", "ann@example.com"); code != 0 {
		t.Errorf("user remove: exit %d: %s", code, stderr)
	}
	if _, out, _ := run(t, dir, "", "user", "list"); strings.Contains(out, "ann@") {
		t.Errorf("user list after remove = %q", out)
	}
}

func TestBadConfigNamesKeyAndLine(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte("addr: \":0\"\nsesion:\n  maxAge: 1h\n"), 0o600)
	code, _, stderr := run(t, dir, "", "migrate")
	if code == 0 || !strings.Contains(stderr, "sesion") || !strings.Contains(stderr, "latch.yaml:2:1: sesion: unknown field") {
		t.Errorf("unknown key: exit %d, %q; want the key sesion and line 2", code, stderr)
	}
	os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte("session:\n  maxAge: soon\n"), 0o600)
	code, _, stderr = run(t, dir, "", "migrate")
	if code == 0 || !strings.Contains(stderr, "latch.yaml:2:11") || !strings.Contains(stderr, "session.maxAge") || !strings.Contains(stderr, "soon") {
		t.Errorf("bad value: exit %d, %q; want line 2 and the value", code, stderr)
	}
	code, _, stderr = run(t, dir, "", "migrate", "--config", "missing.yaml")
	if code == 0 || !strings.Contains(stderr, "missing.yaml") {
		t.Errorf("missing explicit config: exit %d, %q", code, stderr)
	}
}

func TestSecretAndUsage(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := run(t, dir, "", "secret")
	if code != 0 || len(strings.TrimSpace(out)) != 44 {
		t.Errorf("secret: exit %d, %q; want 44 base64 characters", code, out)
	}
	if code, _, stderr := run(t, dir, "", "frobnicate"); code != 2 || !strings.Contains(stderr, "unknown command") {
		t.Errorf("unknown command: exit %d, %q", code, stderr)
	}
}

// TestServe runs the server, signs in with a user from the CLI, reads the
// session and the protected page, and shuts down on cancel.
func TestServe(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := run(t, dir, "correct horse battery\n", "user", "add", "--email", "ann@example.com", "--name", "Ann"); code != 0 {
		t.Fatal(stderr)
	}
	base, c, stderr, stop := serveInProcess(t)
	getJSON := func(path string, v any) *http.Response {
		res, err := c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		json.NewDecoder(res.Body).Decode(v)
		return res
	}
	var health map[string]string
	if res := getJSON("/healthz", &health); res.StatusCode != 200 || health["status"] != "ok" {
		t.Errorf("healthz = %d %v", res.StatusCode, health)
	}
	signInAnn(t, c, base)
	var sess struct{ User struct{ Name, Email string } }
	getJSON("/api/auth/session", &sess)
	if sess.User.Email != "ann@example.com" || sess.User.Name != "Ann" {
		t.Errorf("session user = %+v", sess.User)
	}
	res, _ := c.Get(base + "/protected")
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.Contains(string(body), "Signed in as <strong>Ann</strong>") {
		t.Errorf("protected page = %d %s", res.StatusCode, body)
	}
	// It has a way out: the built-in sign-out page, back to the demo.
	if !strings.Contains(string(body), `<a class="button" id="sign-out" href="/api/auth/signout?callbackUrl=%2F">Sign out</a>`) {
		t.Errorf("protected page has no sign-out link: %s", body)
	}
	if res, err := c.Get(base + "/api/auth/signout?callbackUrl=%2F"); err != nil || res.StatusCode != 200 {
		t.Errorf("the sign-out link: %v %v", res, err)
	} else {
		res.Body.Close()
	}
	if !strings.Contains(stderr.String(), "DEVELOPMENT SETUP") {
		t.Errorf("the log does not say this is a development setup: %s", stderr.String())
	}
	stop()
}

// TestSessionRevokeFromCLI: with database sessions, `latch session revoke`
// ends a signed-in session on its next request.
func TestSessionRevokeFromCLI(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte("sessionStrategy: database\n"), 0o600)
	if code, _, stderr := run(t, dir, "correct horse battery\n", "user", "add", "--email", "ann@example.com", "--name", "Ann"); code != 0 {
		t.Fatal(stderr)
	}
	base, c, _, stop := serveInProcess(t)
	defer stop()
	signInAnn(t, c, base)
	session := func() string {
		res, err := c.Get(base + "/api/auth/session")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	if s := session(); !strings.Contains(s, "ann@example.com") {
		t.Fatalf("session before revoke = %s", s)
	}
	_, out, _ := run(t, dir, "", "session", "list", "ann@example.com")
	if strings.Count(out, "\n") != 2 {
		t.Errorf("session list = %q; want a header and one session", out)
	}
	if code, out, stderr := run(t, dir, "", "session", "revoke", "ann@example.com"); code != 0 || !strings.Contains(out, "database sessions deleted: 1") {
		t.Fatalf("session revoke: %d %q %q", code, out, stderr)
	}
	// The server may answer from memory until it hears of the change:
	// at most storetest.ChangeBound.
	endedWithin(t, storetest.ChangeBound, session)
}

// endedWithin fails unless every read of the session that starts more
// than bound from now answers {} (signed out).
func endedWithin(t *testing.T, bound time.Duration, session func() string) {
	t.Helper()
	changed := time.Now()
	for {
		start := time.Now()
		s := session()
		if s == "{}" {
			return
		}
		if late := start.Sub(changed); late > bound {
			t.Fatalf("session %v after it was ended = %s; want {} within %v", late, s, bound)
		}
		time.Sleep(time.Millisecond)
	}
}

// signInAnn signs in ann@example.com with the built-in user database.
func signInAnn(t *testing.T, c *http.Client, base string) {
	t.Helper()
	res, err := c.Get(base + "/api/auth/csrf")
	if err != nil {
		t.Fatal(err)
	}
	var csrf struct{ CsrfToken string }
	json.NewDecoder(res.Body).Decode(&csrf)
	res, err = c.PostForm(base+"/api/auth/callback/credentials", url.Values{"csrfToken": {csrf.CsrfToken}, "email": {"ann@example.com"}, "password": {"correct horse battery"}, "json": {"true"}})
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("sign-in: %v %v", res.Status, err)
	}
}

// serveInProcess runs `latch serve` in the current directory on a free
// port and returns its origin (http, or https with tls configured), a client with a cookie jar, its log, and a
// function that stops it and checks it exited cleanly.
func serveInProcess(t *testing.T) (string, *http.Client, *syncBuffer, func()) {
	t.Helper()
	return serveInProcessCtx(t, context.Background())
}

// serveInProcessCtx is serveInProcess with a parent context (one that
// carries a reload channel, say).
func serveInProcessCtx(t *testing.T, parent context.Context) (string, *http.Client, *syncBuffer, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(parent)
	pr, pw := io.Pipe()
	var stderr syncBuffer
	done := make(chan int)
	go func() {
		done <- Main(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, strings.NewReader(""), pw, &stderr)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no startup line: %v; stderr: %s", err, stderr.String())
	}
	go io.Copy(io.Discard, pr)
	// "Latch is listening on ADDR — open URL/"
	fields := strings.Fields(line)
	base := strings.TrimSuffix(fields[len(fields)-1], "/")
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exit %d: %s", code, stderr.String())
			}
		case <-time.After(15 * time.Second):
			t.Fatal("serve did not stop on cancel")
		}
	}
	t.Cleanup(stop)
	return base, c, &stderr, stop
}

// syncBuffer is a bytes.Buffer safe for the server goroutine to write while
// the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Flags may follow the arguments: the --config of `user remove E --config F`
// is honoured, not ignored.
func TestFlagsAfterArguments(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "other.yaml"), []byte("database: other/latch.db\n"), 0o600)
	if code, _, stderr := run(t, dir, "correct horse battery\n", "user", "add", "bo@example.com", "--name", "Bo", "--config", "other.yaml"); code != 0 {
		t.Fatalf("user add: %s", stderr)
	}
	if _, out, _ := run(t, dir, "", "user", "list", "--config", "other.yaml"); !strings.Contains(out, "bo@example.com") || !strings.Contains(out, "Bo") {
		t.Errorf("user list = %q; want Bo, added with flags after the email", out)
	}
	if code, _, stderr := run(t, dir, "", "user", "remove", "bo@example.com", "--config", "other.yaml"); code != 0 {
		t.Errorf("user remove with --config last: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "latch-data")); err == nil {
		t.Error("a default database was created although --config named another")
	}
	if code, _, _ := run(t, dir, "", "user", "frobnicate"); code != 2 {
		t.Errorf("unknown user subcommand: exit %d; want 2", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "latch-data")); err == nil {
		t.Error("an unknown subcommand created a database")
	}
}
