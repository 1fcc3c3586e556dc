package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch/client"
)

// testRedis returns LATCH_TEST_REDIS_URL and a fresh key prefix; it skips
// (fails under LATCH_TEST_STRICT=1) without it.
func testRedis(t *testing.T) (url, prefix string) {
	t.Helper()
	url = os.Getenv("LATCH_TEST_REDIS_URL")
	if url == "" {
		if os.Getenv("LATCH_TEST_STRICT") == "1" {
			t.Fatal("set LATCH_TEST_REDIS_URL (LATCH_TEST_STRICT=1)")
		}
		t.Skip("set LATCH_TEST_REDIS_URL to run this test")
	}
	var b [6]byte
	rand.Read(b[:])
	return url, "latch_test_" + hex.EncodeToString(b[:]) + ":"
}

// A user locked out by wrong passwords signs in again at once after
// `latch user unlock`, with the limits in Redis.
func TestUserUnlock(t *testing.T) {
	redisURL, prefix := testRedis(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte("redis: "+redisURL+"\nredisPrefix: \""+prefix+"\"\n"), 0o600)
	if code, _, stderr := run(t, dir, "correct horse battery\n", "user", "add", "--email", "Ann@example.com", "--name", "Ann"); code != 0 {
		t.Fatal(stderr)
	}
	base, _, _, stop := serveInProcess(t)
	defer stop()
	cl, err := client.New(base+"/api/auth", client.WithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	signIn := func(pw string) *client.SignInResult {
		res, _ := cl.SignIn(ctx, "credentials", client.SignInOptions{Credentials: map[string]string{"email": "ann@example.com", "password": pw}}, nil)
		return res
	}
	for i := 0; ; i++ {
		res := signIn("wrong password")
		if res != nil && res.Status == http.StatusTooManyRequests {
			break
		}
		if i > 20 {
			t.Fatalf("never locked out: %+v", res)
		}
	}
	if res := signIn("correct horse battery"); res == nil || res.Status != http.StatusTooManyRequests {
		t.Fatalf("right password while locked out = %+v; want 429", res)
	}
	code, out, stderr := run(t, dir, "", "user", "unlock", "ANN@example.com")
	if code != 0 || !strings.Contains(out, "unlocked ANN@example.com") {
		t.Fatalf("user unlock: exit %d, %q, %q", code, out, stderr)
	}
	if res := signIn("correct horse battery"); res == nil || res.Error != "" {
		t.Errorf("sign-in after unlock = %+v; want success", res)
	}
	if code, out, _ := run(t, dir, "", "user", "unlock", "ann@example.com"); code != 0 || !strings.Contains(out, "was not locked out") {
		t.Errorf("second unlock: exit %d, %q; want it to say there was nothing to clear", code, out)
	}
	if code, _, stderr := run(t, dir, "", "user", "unlock"); code != 2 || !strings.Contains(stderr, "email") {
		t.Errorf("unlock without email: exit %d, %q", code, stderr)
	}
}

// Without Redis the limits live in the memory of latch serve: unlock says
// so and fails instead of pretending.
func TestUserUnlockWithoutRedis(t *testing.T) {
	dir := t.TempDir()
	code, out, stderr := run(t, dir, "", "user", "unlock", "ann@example.com")
	if code != 1 || out != "" || !strings.Contains(stderr, "own memory") || !strings.Contains(stderr, "15m0s after the last failed try") || !strings.Contains(stderr, "redis") {
		t.Errorf("unlock without redis: exit %d, %q, %q; want an error that explains the limits are out of reach", code, out, stderr)
	}
}

// user add and user list name the database they use; serve says how to
// add a first user when there is none.
func TestUserCommandsNameTheDatabase(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	_, _, log, stop := serveInProcess(t)
	if !strings.Contains(log.String(), "no users yet: add one with latch user add") {
		t.Errorf("serve on an empty database did not say how to add a user: %s", log.String())
	}
	stop()
	db := filepath.Join(dir, "latch-data", "latch.db")
	code, out, stderr := run(t, dir, "correct horse battery\n", "user", "add", "--email", "ann@example.com")
	if code != 0 || !strings.Contains(out, "to SQLite "+db) {
		t.Errorf("user add: exit %d, %q, %q; want the database %s named", code, out, stderr, db)
	}
	code, out, stderr = run(t, dir, "", "user", "list")
	if code != 0 || !strings.Contains(stderr, "1 user(s) in SQLite "+db) || strings.Contains(out, "SQLite") {
		t.Errorf("user list: exit %d, stdout %q, stderr %q; want the database on stderr", code, out, stderr)
	}
	_, _, log2, stop2 := serveInProcess(t)
	stop2()
	if strings.Contains(log2.String(), "no users yet") {
		t.Errorf("serve with a user says there are none: %s", log2.String())
	}
}
