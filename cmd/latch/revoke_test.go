package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestJWTSessionsEndFromCLI: with JWT sessions (the default), `session
// revoke`, `user passwd` and `user remove`, run while the server runs,
// end the user's session on it within seconds.
func TestJWTSessionsEndFromCLI(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte("session: {maxAge: 720h}\n"), 0o600)
	if code, _, stderr := run(t, dir, "correct horse battery\n", "user", "add", "--email", "ann@example.com", "--name", "Ann"); code != 0 {
		t.Fatal(stderr)
	}
	base, c, _, _ := serveInProcess(t)
	session := func() string {
		res, err := c.Get(base + "/api/auth/session")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	for _, cmd := range [][]string{
		{"session", "revoke", "ann@example.com"},
		{"user", "passwd", "ann@example.com"},
		{"user", "remove", "ann@example.com"},
	} {
		// A session issued in the second of a revocation counts as
		// revoked: sign in after it.
		for second := time.Now().Unix(); time.Now().Unix() == second; {
			time.Sleep(10 * time.Millisecond)
		}
		signInAnn(t, c, base)
		if s := session(); !strings.Contains(s, "ann@example.com") {
			t.Fatalf("before %s: session %s", cmd, s)
		}
		code, out, stderr := run(t, dir, "correct horse battery\n", cmd...)
		if code != 0 || !strings.Contains(out, "within seconds") {
			t.Fatalf("%s: exit %d, %q %q; want it to say the sessions end", cmd, code, out, stderr)
		}
		deadline := time.Now().Add(5 * time.Second)
		for session() != "{}" {
			if time.Now().After(deadline) {
				t.Fatalf("after %s: the JWT session still works 5 s later", cmd)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// TestJWTSessionListAndRevokeOne: `session list` shows each JWT session
// of a user (when it signed in, when it was last seen, from where, with
// what), and `session revoke --sid` ends one of them alone.
func TestJWTSessionListAndRevokeOne(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := run(t, dir, "correct horse battery\n", "user", "add", "--email", "ann@example.com", "--name", "Ann"); code != 0 {
		t.Fatal(stderr)
	}
	base, first, _, _ := serveInProcess(t)
	second := &http.Client{Jar: newJar(t), Timeout: 10 * time.Second}
	signInAnn(t, first, base)
	signInAnn(t, second, base)
	session := func(c *http.Client) string {
		res, err := c.Get(base + "/api/auth/session")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	_, out, _ := run(t, dir, "", "session", "list", "ann@example.com")
	var sids []string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) >= 5 && len(f[0]) == 16 && strings.Contains(line, "127.0.0.1") && strings.Contains(line, "Go-http-client") {
			sids = append(sids, f[0])
		}
	}
	if len(sids) != 2 {
		t.Fatalf("session list:\n%s\nwant two JWT sessions with their address and user agent", out)
	}
	// End one: exactly one of the two clients is signed out.
	if code, out, stderr := run(t, dir, "", "session", "revoke", "--sid", sids[0]); code != 0 || !strings.Contains(out, "revoked 1 session") {
		t.Fatalf("session revoke --sid: %d %q %q", code, out, stderr)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		a, b := session(first), session(second)
		if (a == "{}") != (b == "{}") {
			break
		}
		if a == "{}" && b == "{}" {
			t.Fatal("revoking one session ended both")
		}
		if time.Now().After(deadline) {
			t.Fatal("the revoked session still works 5 s later")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func newJar(t *testing.T) http.CookieJar {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return jar
}
