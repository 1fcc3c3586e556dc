package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/latchauth/latch/client"
)

// TestRemovedUserEndsJWTSessionOnOtherInstance: two latch serve processes
// on one PostgreSQL with JWT sessions (the default); a user signed in on A
// is removed with the CLI, and their session stops working on B within
// two seconds.
func TestRemovedUserEndsJWTSessionOnOtherInstance(t *testing.T) {
	dsn, _, _ := sharedBackends(t)
	bin := buildLatchIn(t, ".")
	secret := make([]byte, 32)
	rand.Read(secret)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte("session: {maxAge: 720h}\n"), 0o600)
	var nodes []*latchProcess
	for i := range 2 {
		p := &latchProcess{t: t, bin: bin, dir: dir, port: freePort(t)}
		p.origin = "http://127.0.0.1:" + strconv.Itoa(p.port)
		p.env = append(cleanEnv(), "LATCH_URL="+p.origin+"/api/auth", "LATCH_DATABASE="+dsn, "LATCH_SECRET="+hex.EncodeToString(secret))
		t.Cleanup(p.kill)
		if i == 0 {
			p.latch("a shared password\n", "user", "add", "--email", "gone@example.com", "--name", "Gone")
		}
		p.start()
		nodes = append(nodes, p)
	}
	a, b := nodes[0], nodes[1]
	ctx := context.Background()
	jar, _ := cookiejar.New(nil) // cookies of 127.0.0.1 reach every port
	on := func(p *latchProcess) *client.Client {
		cl, err := client.New(p.origin+"/api/auth", client.WithJar(jar), client.WithTimeout(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		return cl
	}
	if _, err := on(a).SignIn(ctx, "credentials", client.SignInOptions{Credentials: map[string]string{"email": "gone@example.com", "password": "a shared password"}}, nil); err != nil {
		t.Fatalf("sign-in on A: %v", err)
	}
	if s, err := on(b).GetSession(ctx, client.GetSessionOptions{}); err != nil || s == nil {
		t.Fatalf("session on B = %+v, %v", s, err)
	}
	a.latch("", "user", "remove", "gone@example.com")
	removed := time.Now()
	for {
		s, err := on(b).GetSession(ctx, client.GetSessionOptions{})
		if err == nil && s == nil {
			break
		}
		if time.Since(removed) > 2*time.Second {
			t.Fatalf("the removed user's session still works on B %v later (%+v, %v)", time.Since(removed), s, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("the session ended on B %v after the user was removed", time.Since(removed).Round(time.Millisecond))
}
