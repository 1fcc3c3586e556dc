package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchauth/latch/client"
	"github.com/latchauth/latch/store/storetest"
	goredis "github.com/redis/go-redis/v9"
)

// sharedBackends returns a PostgreSQL DSN on a fresh schema and a Redis URL
// with a fresh key prefix, from LATCH_TEST_POSTGRES_DSN and
// LATCH_TEST_REDIS_URL; it skips (fails under LATCH_TEST_STRICT=1) when
// they are not set.
func sharedBackends(t *testing.T) (dsn, redisURL, prefix string) {
	t.Helper()
	dsn, redisURL = os.Getenv("LATCH_TEST_POSTGRES_DSN"), os.Getenv("LATCH_TEST_REDIS_URL")
	if dsn == "" || redisURL == "" {
		msg := "set LATCH_TEST_POSTGRES_DSN and LATCH_TEST_REDIS_URL to run the multi-instance test"
		if os.Getenv("LATCH_TEST_STRICT") == "1" {
			t.Fatal(msg + " (LATCH_TEST_STRICT=1)")
		}
		t.Skip(msg)
	}
	var b [6]byte
	rand.Read(b[:])
	dsn = storetest.PostgresSchema(t, dsn, "latch_multi_")
	return dsn, redisURL, "latch-multi-" + hex.EncodeToString(b[:]) + ":"
}

// TestMultipleInstances runs three `latch serve` processes sharing
// PostgreSQL and Redis, as behind a load balancer: a session made on A is
// valid on B, a sign-out on C is seen by B at once; then A is killed under
// load and B and C go on serving every request, with no session lost.
func TestMultipleInstances(t *testing.T) {
	dsn, redisURL, prefix := sharedBackends(t)
	bin := buildLatchIn(t, ".")
	secret := make([]byte, 32)
	rand.Read(secret)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte("sessionStrategy: database\nredisPrefix: "+strconv.Quote(prefix)+"\n"), 0o600)

	var nodes []*latchProcess
	for i := range 3 {
		p := &latchProcess{t: t, bin: bin, dir: dir, port: freePort(t)}
		p.origin = "http://127.0.0.1:" + strconv.Itoa(p.port)
		p.env = append(cleanEnv(),
			"LATCH_URL="+p.origin+"/api/auth",
			"LATCH_DATABASE="+dsn,
			"LATCH_REDIS="+redisURL,
			"LATCH_SECRET="+hex.EncodeToString(secret),
		)
		t.Cleanup(func() {
			p.kill()
			if t.Failed() {
				t.Logf("instance %d log:\n%s", i, p.stderr.String())
			}
		})
		if i == 0 {
			p.latch("a shared password\n", "user", "add", "--email", "multi@example.com", "--name", "Multi")
		}
		nodes = append(nodes, p)
	}
	// Start them at once: migrations must cope with racing instances.
	var wg sync.WaitGroup
	for _, p := range nodes {
		wg.Add(1)
		go func() { defer wg.Done(); p.start() }()
	}
	wg.Wait()
	a, b, c := nodes[0], nodes[1], nodes[2]

	ctx := context.Background()
	jar, _ := cookiejar.New(nil) // cookies of 127.0.0.1 reach every port
	on := func(p *latchProcess) *client.Client {
		cl, err := client.New(p.origin+"/api/auth", client.WithJar(jar), client.WithTimeout(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		return cl
	}
	if _, err := on(a).SignIn(ctx, "credentials", client.SignInOptions{Credentials: map[string]string{"email": "multi@example.com", "password": "a shared password"}}, nil); err != nil {
		t.Fatalf("sign-in on A: %v", err)
	}
	if s, err := on(b).GetSession(ctx, client.GetSessionOptions{}); err != nil || s == nil || s.User.Email != "multi@example.com" {
		t.Fatalf("session on B after signing in on A = %+v, %v", s, err)
	}
	if _, err := on(c).SignOut(ctx, client.SignOutOptions{}); err != nil {
		t.Fatalf("sign-out on C: %v", err)
	}
	if s, err := on(b).GetSession(ctx, client.GetSessionOptions{}); err != nil || s != nil {
		t.Fatalf("session on B after signing out on C = %+v, %v; want none", s, err)
	}

	// Rate limits are global: five wrong passwords on A, the sixth on B is
	// refused before the password is even checked.
	for i := range 5 {
		res, err := on(a).SignIn(ctx, "credentials", client.SignInOptions{Credentials: map[string]string{"email": "multi@example.com", "password": "wrong"}}, nil)
		if res == nil || res.Error != "CredentialsSignin" {
			t.Fatalf("wrong password %d on A: %+v, %v", i+1, res, err)
		}
	}
	if res, _ := on(b).SignIn(ctx, "credentials", client.SignInOptions{Credentials: map[string]string{"email": "multi@example.com", "password": "a shared password"}}, nil); res == nil || res.Error != "TooManyRequests" || res.Status != http.StatusTooManyRequests {
		t.Fatalf("sixth try on B = %+v; want TooManyRequests 429 (limits shared through Redis)", res)
	}
	rdbOpts, _ := goredis.ParseURL(redisURL)
	rdb := goredis.NewClient(rdbOpts)
	if keys, _ := rdb.Keys(ctx, prefix+"limit:password:*").Result(); len(keys) > 0 {
		rdb.Del(ctx, keys...) // let the user sign in again below
	}
	rdb.Close()

	// Sign in again, then load all three and kill A in the middle.
	if _, err := on(b).SignIn(ctx, "credentials", client.SignInOptions{Credentials: map[string]string{"email": "multi@example.com", "password": "a shared password"}}, nil); err != nil {
		t.Fatalf("second sign-in: %v", err)
	}
	var cookieHeader string
	for _, ck := range jar.Cookies(&url.URL{Scheme: "http", Host: "127.0.0.1"}) {
		cookieHeader += ck.Name + "=" + ck.Value + "; "
	}
	hc := &http.Client{Timeout: 5 * time.Second}
	var okB, okC, failBC atomic.Int64
	stopLoad := make(chan struct{})
	var load sync.WaitGroup
	for w := range 6 {
		p := []*latchProcess{a, b, c}[w%3]
		load.Add(1)
		go func() {
			defer load.Done()
			for {
				select {
				case <-stopLoad:
					return
				default:
				}
				req, _ := http.NewRequest("GET", p.origin+"/api/auth/session", nil)
				req.Header.Set("Cookie", cookieHeader)
				res, err := hc.Do(req)
				if p == a {
					if err == nil {
						res.Body.Close()
					}
					continue // A dies on purpose
				}
				var body [256]byte
				n := 0
				if err == nil {
					n, _ = res.Body.Read(body[:])
					res.Body.Close()
				}
				switch {
				case err == nil && res.StatusCode == 200 && strings.Contains(string(body[:n]), "multi@example.com"):
					if p == b {
						okB.Add(1)
					} else {
						okC.Add(1)
					}
				default:
					failBC.Add(1)
				}
			}
		}()
	}
	// Load on all three until B and C have answered, then kill A and go
	// on until both have answered again.
	waitLoad := func(what string, b0, c0 int64) {
		deadline := time.Now().Add(30 * time.Second)
		for okB.Load() <= b0 || okC.Load() <= c0 {
			if time.Now().After(deadline) {
				t.Fatalf("%s: B and C answered %d and %d times in 30 s", what, okB.Load()-b0, okC.Load()-c0)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitLoad("before A is killed", 0, 0)
	a.kill()
	waitLoad("after A is killed", okB.Load()+5, okC.Load()+5)
	close(stopLoad)
	load.Wait()
	t.Logf("under load with A killed: %d good answers from B, %d from C, %d failures", okB.Load(), okC.Load(), failBC.Load())
	if failBC.Load() != 0 || okB.Load() == 0 || okC.Load() == 0 {
		t.Errorf("B and C: %d and %d good answers, %d failures; want no failures", okB.Load(), okC.Load(), failBC.Load())
	}
	if s, err := on(c).GetSession(ctx, client.GetSessionOptions{}); err != nil || s == nil {
		t.Errorf("session on C after A died = %+v, %v; want it kept", s, err)
	}
}
