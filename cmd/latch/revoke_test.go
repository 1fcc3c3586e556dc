package main

import (
	"io"
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
