package email_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/provider/email"
	"github.com/latchauth/latch/store/redis"
	goredis "github.com/redis/go-redis/v9"
)

// discard is a Sender that keeps nothing.
type discard struct{}

func (discard) Send(context.Context, email.Message) error { return nil }

// eachLimiter runs test with the default in-memory limiter and, when
// LATCH_TEST_REDIS_URL is set, with store/redis's shared one, both with the
// limits of cfg: newProvider returns a provider with a fresh limiter.
func eachLimiter(t *testing.T, test func(t *testing.T, newProvider func(cfg email.Config) *email.Provider)) {
	t.Run("memory", func(t *testing.T) {
		test(t, func(cfg email.Config) *email.Provider { return newLimited(t, cfg) })
	})
	t.Run("redis", func(t *testing.T) {
		rdb := redisClient(t)
		test(t, func(cfg email.Config) *email.Provider {
			var b [6]byte
			rand.Read(b[:])
			prefix := "latch-test:" + hex.EncodeToString(b[:]) + ":"
			t.Cleanup(func() {
				ctx := context.Background()
				if keys, _ := rdb.Keys(ctx, prefix+"*").Result(); len(keys) > 0 {
					rdb.Del(ctx, keys...)
				}
			})
			cfg.Limiter = redis.NewLimiter(rdb, prefix, email.DefaultWindow, func(key string) int {
				switch {
				case strings.HasPrefix(key, email.KeyPrefixIP) && cfg.MaxPerIP > 0:
					return cfg.MaxPerIP
				case strings.HasPrefix(key, email.KeyPrefixAddress) && cfg.MaxPerAddress > 0:
					return cfg.MaxPerAddress
				}
				return email.DefaultMax(key)
			})
			return newLimited(t, cfg)
		})
	})
}

// redisClient returns a client of LATCH_TEST_REDIS_URL, or skips (fails
// under LATCH_TEST_STRICT=1).
func redisClient(t *testing.T) goredis.UniversalClient {
	t.Helper()
	u := os.Getenv("LATCH_TEST_REDIS_URL")
	if u == "" {
		if os.Getenv("LATCH_TEST_STRICT") == "1" {
			t.Fatal("set LATCH_TEST_REDIS_URL to run the Redis limiter tests (LATCH_TEST_STRICT=1)")
		}
		t.Skip("set LATCH_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/0) to run the Redis limiter tests")
	}
	opts, err := goredis.ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	rdb := goredis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() })
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("Redis at %s: %v", u, err)
	}
	return rdb
}

func newLimited(t *testing.T, cfg email.Config) *email.Provider {
	t.Helper()
	cfg.From, cfg.Sender = "Latch <no-reply@example.com>", discard{}
	p, err := email.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// ask asks for a link for addr from the client at remote and reports
// whether the limits let it through.
func ask(t *testing.T, p *email.Provider, remote, addr string) bool {
	t.Helper()
	r := httptest.NewRequest("POST", "/api/auth/signin/email", nil)
	r.RemoteAddr = remote
	_, err := p.Normalize(context.Background(), r, addr)
	var le *latch.Error
	switch {
	case err == nil:
		return true
	case errors.As(err, &le) && le.Code == latch.CodeTooManyRequests:
		if le.RetryAfter <= 0 {
			t.Errorf("refused request for %s from %s: RetryAfter %v; want > 0", addr, remote, le.RetryAfter)
		}
		return false
	}
	t.Fatalf("Normalize(%s) from %s: %v", addr, remote, err)
	return false
}

// A client that is over its own limit cannot use up anybody's address
// limit: its refused requests are not counted for the address.
func TestBlockedIPCannotLockOutAnAddress(t *testing.T) {
	eachLimiter(t, func(t *testing.T, newProvider func(email.Config) *email.Provider) {
		p := newProvider(email.Config{MaxPerIP: 2, MaxPerAddress: 5})
		const attacker, owner = "198.51.100.7:40000", "203.0.113.9:50000"
		for i, addr := range []string{"a@example.com", "b@example.com"} {
			if !ask(t, p, attacker, addr) {
				t.Fatalf("request %d of the attacker refused; want allowed", i+1)
			}
		}
		for i := range 10 {
			if ask(t, p, attacker, "victim@example.com") {
				t.Fatalf("request %d of the blocked attacker allowed; want refused", i+3)
			}
		}
		if !ask(t, p, owner, "victim@example.com") {
			t.Errorf("the owner's request from another address was refused; a blocked client locked the address out")
		}
	})
}

// A request refused for its address gives its client's count back.
func TestRefusedAddressDoesNotCountForTheIP(t *testing.T) {
	eachLimiter(t, func(t *testing.T, newProvider func(email.Config) *email.Provider) {
		p := newProvider(email.Config{MaxPerIP: 3, MaxPerAddress: 1})
		const client = "192.0.2.10:1234"
		if !ask(t, p, client, "full@example.com") {
			t.Fatal("first request refused")
		}
		for range 5 {
			if ask(t, p, client, "full@example.com") {
				t.Fatal("second request for the address allowed; want refused")
			}
		}
		// One counted so far: two more for other addresses fit.
		for _, addr := range []string{"x@example.com", "y@example.com"} {
			if !ask(t, p, client, addr) {
				t.Errorf("request for %s refused: refused requests were counted for the client", addr)
			}
		}
		if ask(t, p, client, "z@example.com") {
			t.Errorf("fourth counted request allowed; want the client's limit of 3")
		}
	})
}

// An IPv6 client owns its /64: rotating addresses inside it does not get
// past the per-IP limit.
func TestIPv6ClientsKeyedByTheir64(t *testing.T) {
	eachLimiter(t, func(t *testing.T, newProvider func(email.Config) *email.Provider) {
		p := newProvider(email.Config{MaxPerIP: 2})
		for i, remote := range []string{"[2001:db8:1:2::1]:1000", "[2001:db8:1:2::abcd]:1000"} {
			if !ask(t, p, remote, "v6-"+string(rune('a'+i))+"@example.com") {
				t.Fatalf("request %d refused; want allowed", i+1)
			}
		}
		if ask(t, p, "[2001:db8:1:2:ffff::9]:1000", "v6-c@example.com") {
			t.Errorf("a third address of the same /64 got past the per-IP limit of 2")
		}
		if !ask(t, p, "[2001:db8:1:3::1]:1000", "v6-d@example.com") {
			t.Errorf("another /64 was refused; want its own limit")
		}
		// IPv4-mapped addresses are the IPv4 client.
		p = newProvider(email.Config{MaxPerIP: 1})
		if !ask(t, p, "192.0.2.1:1", "m1@example.com") {
			t.Fatal("first IPv4 request refused")
		}
		if ask(t, p, "[::ffff:192.0.2.1]:1", "m2@example.com") {
			t.Errorf("the IPv4-mapped form of a limited client got through")
		}
	})
}

// try types a code for addr from the client at remote; right says whether
// it was the right one. It reports whether the limits let the try through.
func try(t *testing.T, p *email.Provider, remote, addr string, right bool) bool {
	t.Helper()
	r := httptest.NewRequest("POST", "/api/auth/verify-request", nil)
	r.RemoteAddr = remote
	got, done, err := p.TryCode(context.Background(), r, addr)
	if want, _ := email.NormalizeAddress(addr); got != want {
		t.Errorf("TryCode(%q) address = %q; want %q", addr, got, want)
	}
	var le *latch.Error
	switch {
	case err == nil:
		done(right)
		return true
	case errors.As(err, &le) && le.Code == latch.CodeTooManyRequests && le.Status == 429 && le.RetryAfter > 0:
		return false
	}
	t.Fatalf("TryCode(%s) from %s: %v", addr, remote, err)
	return false
}

// Five wrong codes per address; right ones are not counted.
func TestCodeTries(t *testing.T) {
	eachLimiter(t, func(t *testing.T, newProvider func(email.Config) *email.Provider) {
		p := newProvider(email.Config{})
		const client = "192.0.2.20:1"
		for range 10 {
			if !try(t, p, client, "ok@example.com", true) {
				t.Fatal("a right code was refused")
			}
		}
		for i := range 5 {
			if !try(t, p, client, "Guess@Example.com", false) {
				t.Fatalf("wrong code %d refused; want 5 allowed", i+1)
			}
		}
		if try(t, p, "198.51.100.1:1", "guess@example.com", true) {
			t.Error("a sixth try for the address, from anywhere, was let through")
		}
		if !try(t, p, client, "other@example.com", true) {
			t.Error("another address was refused")
		}
	})
}

// Wrong codes count against the client too, first: a client over its
// limit does not use up the address's tries.
func TestCodeTriesBlockedIP(t *testing.T) {
	eachLimiter(t, func(t *testing.T, newProvider func(email.Config) *email.Provider) {
		p := newProvider(email.Config{MaxPerIP: 3})
		const attacker, owner = "198.51.100.7:1", "203.0.113.9:1"
		for range 3 {
			if !try(t, p, attacker, "victim@example.com", false) {
				t.Fatal("the attacker's first tries were refused")
			}
		}
		for range 10 {
			if try(t, p, attacker, "victim@example.com", false) {
				t.Fatal("the blocked attacker got a try")
			}
		}
		n := 0
		for try(t, p, owner, "victim@example.com", false) {
			n++
			if n > 5 {
				t.Fatal("more than 5 wrong codes for one address")
			}
		}
		if n != 2 {
			t.Errorf("after the attacker's 3 counted tries, %d more for the address; want 2 (the refused ones counted nowhere)", n)
		}
	})
}

func TestCodeTryInvalidAddress(t *testing.T) {
	p := newLimited(t, email.Config{})
	_, _, err := p.TryCode(context.Background(), httptest.NewRequest("POST", "/", nil), "not an address")
	var le *latch.Error
	if !errors.As(err, &le) || le.Code != latch.CodeVerification || le.Status != 400 || !errors.Is(err, email.ErrInvalidAddress) {
		t.Errorf("TryCode(not an address) = %v; want a latch.Error Verification, 400, wrapping ErrInvalidAddress", err)
	}
}
