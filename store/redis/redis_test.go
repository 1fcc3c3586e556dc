package redis_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/redis"
	"github.com/latchauth/latch/store/sqlite"
	"github.com/latchauth/latch/store/storetest"
	goredis "github.com/redis/go-redis/v9"
)

// client returns a Redis client from LATCH_TEST_REDIS_URL, or skips (fails
// under LATCH_TEST_STRICT=1).
func client(t *testing.T) goredis.UniversalClient {
	t.Helper()
	url := os.Getenv("LATCH_TEST_REDIS_URL")
	msg := "set LATCH_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/0) to run the Redis store tests"
	if url == "" {
		if os.Getenv("LATCH_TEST_STRICT") == "1" {
			t.Fatal(msg + " (LATCH_TEST_STRICT=1)")
		}
		t.Skip(msg)
	}
	opts, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := goredis.NewClient(opts)
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("Redis at %s: %v", url, err)
	}
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// prefix is a fresh key prefix, removed after the test.
func prefix(t *testing.T, rdb goredis.UniversalClient) string {
	var b [6]byte
	rand.Read(b[:])
	p := "latch-test:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		keys, _ := rdb.Keys(ctx, p+"*").Result()
		if len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
	})
	return p
}

func TestConformance(t *testing.T) {
	rdb := client(t)
	storetest.Run(t, func(t *testing.T) latch.Store {
		sql, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "latch.db"))
		if err != nil {
			t.Fatal(err)
		}
		// The suite closes the store; keep the shared client open.
		return closeOnlySQL{redis.Wrap(sql, rdb, prefix(t, rdb)), sql}
	})
}

type closeOnlySQL struct {
	*redis.Store
	sql *sqlite.Store
}

func (c closeOnlySQL) Close() error { return c.sql.Close() }

// Sessions expire by Redis TTL.
func TestSessionTTL(t *testing.T) {
	rdb := client(t)
	ctx := context.Background()
	sql, _ := sqlite.Open(ctx, filepath.Join(t.TempDir(), "latch.db"))
	defer sql.Close()
	s := redis.Wrap(sql, rdb, prefix(t, rdb))
	u, _ := s.CreateUser(ctx, latch.StoredUser{User: latch.User{Email: "ttl@example.com"}})
	if err := s.CreateSession(ctx, latch.SessionRecord{Token: "short", UserID: u.ID, Expires: time.Now().Add(300 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Session(ctx, "short"); err != nil {
		t.Fatalf("fresh session: %v", err)
	}
	time.Sleep(500 * time.Millisecond)
	if _, _, err := s.Session(ctx, "short"); err != latch.ErrNotFound {
		t.Errorf("session after its expiry: err = %v; want ErrNotFound", err)
	}
}

// Two instances racing for one verification token: exactly one wins.
func TestVerificationTokenSingleUseUnderRace(t *testing.T) {
	rdb := client(t)
	ctx := context.Background()
	s := redis.Wrap(nil, rdb, prefix(t, rdb))
	if err := s.CreateVerificationToken(ctx, latch.VerificationToken{Identifier: "a@example.com", Token: "h", Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.UseVerificationToken(ctx, "a@example.com", "h"); err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d uses of one token succeeded; want 1", wins)
	}
}

func TestLimiterIsShared(t *testing.T) {
	rdb := client(t)
	ctx := context.Background()
	p := prefix(t, rdb)
	three := func(string) int { return 3 }
	a := redis.NewLimiter(rdb, p, time.Minute, three)
	b := redis.NewLimiter(rdb, p, time.Minute, three) // another instance
	for i, l := range []*redis.Limiter{a, b, a} {
		if _, ok, err := l.Hit(ctx, "k"); !ok || err != nil {
			t.Fatalf("hit %d: ok=%v err=%v", i+1, ok, err)
		}
	}
	retry, ok, err := b.Hit(ctx, "k")
	if ok || err != nil || retry <= 0 || retry > time.Minute {
		t.Errorf("4th hit across instances: ok=%v retry=%v err=%v; want refused with a retry-after", ok, retry, err)
	}
	a.Reset(ctx, "k")
	if _, ok, _ := b.Hit(ctx, "k"); !ok {
		t.Error("after Reset: refused")
	}

	// A refused hit is not counted: one Undo makes room for one more.
	if _, ok, _ := a.Hit(ctx, "k"); !ok {
		t.Fatal("hit 2 after Reset: refused")
	}
	a.Hit(ctx, "k")
	for range 3 {
		if _, ok, _ := b.Hit(ctx, "k"); ok {
			t.Fatal("hit over the limit: allowed")
		}
	}
	if err := b.Undo(ctx, "k"); err != nil {
		t.Fatalf("Undo: %v", err)
	}
	if _, ok, _ := a.Hit(ctx, "k"); !ok {
		t.Error("hit after Undo: refused")
	}
	if _, ok, _ := a.Hit(ctx, "k"); ok {
		t.Error("hit after the room Undo made was used: allowed")
	}
	if n, _ := a.Count(ctx, "k"); n != 3 {
		t.Errorf("Count: got %d; want 3", n)
	}
	// Undo of a key without hits creates nothing.
	if err := a.Undo(ctx, "none"); err != nil {
		t.Fatalf("Undo(none): %v", err)
	}
	if n, err := rdb.Exists(ctx, p+"none").Result(); err != nil || n != 0 {
		t.Errorf("Undo(none) left a key: exists=%d err=%v", n, err)
	}

	unlimited := redis.NewLimiter(rdb, p, time.Minute, func(string) int { return -1 })
	for range 5 {
		if _, ok, _ := unlimited.Hit(ctx, "f"); !ok {
			t.Fatal("a key without a limit was refused")
		}
	}

	// A window that Undo took back to 0 keeps its end.
	short := redis.NewLimiter(rdb, p, 2*time.Second, three)
	short.Hit(ctx, "w")
	time.Sleep(300 * time.Millisecond)
	short.Undo(ctx, "w")
	short.Hit(ctx, "w")
	if ttl := rdb.PTTL(ctx, p+"w").Val(); ttl > 1800*time.Millisecond {
		t.Errorf("window after Undo to 0 and a new hit: %v left; want the first window's end (about 1.7 s)", ttl)
	}

	// Concurrent hits from two instances do not overshoot.
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		allowed int
	)
	for i := range 40 {
		l := []*redis.Limiter{a, b}[i%2]
		wg.Go(func() {
			if _, ok, _ := l.Hit(ctx, "burst"); ok {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if allowed != 3 {
		t.Errorf("allowed %d of 40 concurrent hits; want 3", allowed)
	}
}
