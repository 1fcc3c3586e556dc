package latch_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/postgres"
	"github.com/latchauth/latch/store/redis"
	"github.com/latchauth/latch/store/storetest"
)

// needEnv returns the environment variable, or skips the test (fails it
// under LATCH_TEST_STRICT=1) when it is not set.
func needEnv(t *testing.T, name, example string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		msg := "set " + name + " (e.g. " + example + ") to run this test"
		if os.Getenv("LATCH_TEST_STRICT") == "1" {
			t.Fatal(msg + " (LATCH_TEST_STRICT=1)")
		}
		t.Skip(msg)
	}
	return v
}

// postgresSchema returns a DSN on a fresh schema of LATCH_TEST_POSTGRES_DSN,
// dropped when the test ends.
func postgresSchema(t *testing.T) string {
	t.Helper()
	dsn := needEnv(t, "LATCH_TEST_POSTGRES_DSN", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	return storetest.PostgresSchema(t, dsn, "latch_tokens_")
}

func openPostgres(t *testing.T, dsn string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// redisClient returns a client of LATCH_TEST_REDIS_URL and a fresh key
// prefix.
func redisClient(t *testing.T) (*goredis.Client, string) {
	t.Helper()
	u := needEnv(t, "LATCH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
	opts, err := goredis.ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	rdb := goredis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() })
	var b [6]byte
	rand.Read(b[:])
	return rdb, "latch-tokens-" + hex.EncodeToString(b[:]) + ":"
}

// TestProviderTokenTwoInstancesPostgres: two instances sharing PostgreSQL,
// 50 concurrent calls at the moment of expiry, half on each: one refresh
// request, one token for all, nobody signed out. The lease is a
// PostgreSQL advisory lock; a slow token endpoint changes nothing.
func TestProviderTokenTwoInstancesPostgres(t *testing.T) {
	dsn := postgresSchema(t)
	ts := newTokenSites(t, []latch.Store{openPostgres(t, dsn), openPostgres(t, dsn)}, nil)
	a, b := ts.sites[0], ts.sites[1]
	c := a.signIn(t, ts.op)
	uid := a.userID(t, c)
	ctx := t.Context()
	first, err := b.auth.UserProviderToken(ctx, uid, "idp", 0)
	if err != nil {
		t.Fatalf("UserProviderToken on B: %v", err)
	}

	run := func(t *testing.T, old string) string {
		t.Helper()
		ts.clock.Advance(250 * time.Second)
		before := ts.op.Refreshes()
		toks, errs := concurrently(50, func(i int) (*latch.ProviderToken, error) {
			return ts.sites[i%2].auth.UserProviderToken(ctx, uid, "idp", 0)
		})
		tok := sameToken(t, toks, errs, old)
		if n := ts.op.Refreshes() - before; n != 1 {
			t.Fatalf("50 concurrent calls on two instances made %d refreshes; want 1", n)
		}
		for _, s := range ts.sites {
			if _, body := s.get(t, c, "/api/auth/session", nil); !strings.Contains(body, ts.op.Email) || strings.Contains(body, "error") {
				t.Fatalf("session on %s = %s; want signed in, no error", s.srv.URL, body)
			}
		}
		return tok
	}
	second := run(t, first.AccessToken)
	t.Run("slow token endpoint", func(t *testing.T) {
		ts.op.SlowRefreshes(time.Second)
		defer ts.op.SlowRefreshes(0)
		run(t, second)
	})
}

// TestProviderTokenTwoInstancesRedisStore is the same with the Redis
// store over PostgreSQL: the lease is a Redis key with a short term,
// which the holder renews while the slow token endpoint answers.
func TestProviderTokenTwoInstancesRedisStore(t *testing.T) {
	dsn := postgresSchema(t)
	rdb, prefix := redisClient(t)
	var stores []latch.Store
	for range 2 {
		s := redis.Wrap(openPostgres(t, dsn), rdb, prefix)
		s.LeaseTerm = 500 * time.Millisecond
		stores = append(stores, s)
	}
	ts := newTokenSites(t, stores, nil)
	c := ts.sites[0].signIn(t, ts.op)
	uid := ts.sites[0].userID(t, c)
	ctx := t.Context()
	ts.op.SlowRefreshes(1500 * time.Millisecond) // three lease terms
	ts.clock.Advance(250 * time.Second)
	toks, errs := concurrently(50, func(i int) (*latch.ProviderToken, error) {
		return ts.sites[i%2].auth.UserProviderToken(ctx, uid, "idp", 0)
	})
	sameToken(t, toks, errs, "")
	if n := ts.op.Refreshes(); n != 1 {
		t.Fatalf("50 concurrent calls with a slow token endpoint made %d refreshes; want 1", n)
	}
}

// tokenResponse is one answer of GET <base>/token/<provider>.
type tokenResponse struct {
	status  int
	body    string
	cookies []*http.Cookie
}

// getToken sends GET <base>/token/idp with exactly the cookies given.
func (s *tokenSite) getToken(t *testing.T, cookies []*http.Cookie) tokenResponse {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.srv.URL+"/api/auth/token/idp", nil)
	for _, ck := range cookies {
		req.AddCookie(ck)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return tokenResponse{}
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return tokenResponse{res.StatusCode, string(b), res.Cookies()}
}

func accessTokenOf(t *testing.T, r tokenResponse) string {
	t.Helper()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &out) != nil || out.AccessToken == "" {
		t.Fatalf("GET token = %d %s; want 200 with an access token", r.status, r.body)
	}
	return out.AccessToken
}

// sessionCookies returns the browser's cookies for the site.
func sessionCookies(s *tokenSite, c *http.Client) []*http.Cookie {
	u, _ := url.Parse(s.srv.URL)
	return c.Jar.Cookies(u)
}

// replaced returns cookies with those of res (by name) replacing them.
func replaced(cookies []*http.Cookie, set []*http.Cookie) []*http.Cookie {
	m := map[string]*http.Cookie{}
	var order []string
	for _, ck := range cookies {
		m[ck.Name] = ck
		order = append(order, ck.Name)
	}
	for _, ck := range set {
		if _, ok := m[ck.Name]; !ok {
			order = append(order, ck.Name)
		}
		m[ck.Name] = &http.Cookie{Name: ck.Name, Value: ck.Value}
		if ck.MaxAge < 0 {
			delete(m, ck.Name)
		}
	}
	var out []*http.Cookie
	for _, n := range order {
		if ck, ok := m[n]; ok {
			out = append(out, ck)
		}
	}
	return out
}

// TestProviderTokenJWTTwoInstancesRedis: JWT sessions without a Store,
// the provider tokens in the session cookie, two instances sharing a
// Redis coordinator. 50 concurrent GET <base>/token/idp presenting the
// same (old) cookie, half on each instance: one refresh, the same token
// for all, each answer with the refreshed session cookie. Then a slow
// token endpoint (longer than the lease's term), a 503, and a revoked
// refresh token.
func TestProviderTokenJWTTwoInstancesRedis(t *testing.T) {
	rdb, prefix := redisClient(t)
	coord := redis.NewCoordinator(rdb, prefix)
	coord.LeaseTerm = 500 * time.Millisecond
	ts := newTokenSites(t, []latch.Store{nil, nil}, func(_ int, c *latch.Config) {
		c.ProviderTokens.Cache = coord
	})
	a := ts.sites[0]
	c := a.signIn(t, ts.op)
	cookies := sessionCookies(a, c)
	first := accessTokenOf(t, ts.sites[1].getToken(t, cookies))
	if ts.op.Refreshes() != 0 {
		t.Fatal("a fresh token was refreshed")
	}

	burst := func(t *testing.T, cookies []*http.Cookie, old string) (string, []*http.Cookie) {
		t.Helper()
		before := ts.op.Refreshes()
		res := make([]tokenResponse, 50)
		var wg sync.WaitGroup
		for i := range res {
			wg.Go(func() { res[i] = ts.sites[i%2].getToken(t, cookies) })
		}
		wg.Wait()
		tok := accessTokenOf(t, res[0])
		for i, r := range res {
			if got := accessTokenOf(t, r); got != tok {
				t.Fatalf("answer %d has another token than answer 0", i)
			}
			if len(r.cookies) == 0 {
				t.Fatalf("answer %d did not write the refreshed session cookie", i)
			}
		}
		if tok == old {
			t.Fatal("the token was not refreshed")
		}
		if n := ts.op.Refreshes() - before; n != 1 {
			t.Fatalf("50 concurrent requests on two instances made %d refreshes; want 1", n)
		}
		return tok, replaced(cookies, res[7].cookies)
	}

	ts.clock.Advance(250 * time.Second)
	second, cookies := burst(t, cookies, first)
	// The new cookie holds the refreshed tokens: no refresh until the next expiry.
	before := ts.op.Refreshes()
	if got := accessTokenOf(t, a.getToken(t, cookies)); got != second || ts.op.Refreshes() != before {
		t.Fatalf("with the new cookie: token changed or refreshed again")
	}

	t.Run("slow token endpoint", func(t *testing.T) {
		ts.op.SlowRefreshes(1500 * time.Millisecond) // three lease terms
		defer ts.op.SlowRefreshes(0)
		ts.clock.Advance(250 * time.Second)
		second, cookies = burst(t, cookies, second)
	})

	t.Run("503 keeps the session", func(t *testing.T) {
		ts.clock.Advance(250 * time.Second)
		ts.op.FailRefreshes(1, http.StatusServiceUnavailable)
		if r := a.getToken(t, cookies); r.status != http.StatusServiceUnavailable || len(r.cookies) != 0 {
			t.Fatalf("during a 503: %d %s, %d cookies; want 503 and no cookie", r.status, r.body, len(r.cookies))
		}
		second, cookies = burst(t, cookies, second)
	})

	t.Run("revoked", func(t *testing.T) {
		ts.op.RevokeAll(t)
		ts.clock.Advance(250 * time.Second)
		r := ts.sites[1].getToken(t, cookies)
		if r.status != http.StatusUnauthorized || r.body != `{"error":"RefreshTokenError"}` {
			t.Fatalf("after revocation: %d %s; want 401 RefreshTokenError", r.status, r.body)
		}
		cookies = replaced(cookies, r.cookies)
		jar := newBrowser()
		u, _ := url.Parse(a.srv.URL)
		jar.Jar.SetCookies(u, cookies)
		_, body := a.get(t, jar, "/api/auth/session", nil)
		var sess map[string]any
		json.Unmarshal([]byte(body), &sess)
		if sess["error"] != "RefreshTokenError" || sess["user"] == nil {
			t.Errorf("session after revocation = %s; want the user and error RefreshTokenError", body)
		}
		before := ts.op.Refreshes()
		if r := a.getToken(t, cookies); r.status != http.StatusUnauthorized {
			t.Errorf("again: %d %s; want 401", r.status, r.body)
		}
		if ts.op.Refreshes() != before {
			t.Error("a refused refresh token was sent to the provider again")
		}
	})
}

// TestProviderTokenJWTGrace: with rotating refresh tokens and no Store, a
// request that still presents the old cookie after another one refreshed
// (a tab that did not get the new cookie) gets the same tokens within the
// grace window, instead of burning into invalid_grant.
func TestProviderTokenJWTGrace(t *testing.T) {
	ts := newTokenSites(t, []latch.Store{nil}, nil)
	a := ts.sites[0]
	c := a.signIn(t, ts.op)
	old := sessionCookies(a, c)
	ts.clock.Advance(250 * time.Second)
	r1 := a.getToken(t, old)
	tok := accessTokenOf(t, r1)
	r2 := a.getToken(t, old) // the old cookie again, after the refresh finished
	if got := accessTokenOf(t, r2); got != tok {
		t.Errorf("the old cookie within the grace window got another token")
	}
	if n := ts.op.Refreshes(); n != 1 {
		t.Errorf("%d refreshes; want 1", n)
	}
	// Without the session cookie (a bearer token), nothing can be written back; it still works.
	req, _ := http.NewRequest(http.MethodGet, a.srv.URL+"/app", nil)
	for _, ck := range old {
		req.AddCookie(ck)
	}
	if pt, err := a.auth.ProviderToken(nil, req, "idp", 0); err != nil || pt.AccessToken != tok {
		t.Errorf("ProviderToken without a writer = %v, %v; want the refreshed token", pt, err)
	}
}
