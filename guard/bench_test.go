package guard_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/guard"
	"github.com/latchauth/latch/jwt"
)

// benchAuth is a Latch with a JWT session for ann and a Checker for
// app.example.com, trusting every peer.
func benchAuth(b *testing.B) (*latch.Auth, *guard.Checker, string) {
	auth, err := latch.New(latch.Config{URL: "https://auth.example.com/api/auth", Secrets: []string{testSecret}})
	if err != nil {
		b.Fatal(err)
	}
	k, err := guard.NewChecker(guard.CheckerConfig{Auth: auth, Sites: []guard.Site{{URL: "https://app.example.com"}},
		TrustedProxy: func(*http.Request) bool { return true }})
	if err != nil {
		b.Fatal(err)
	}
	c, _ := jwt.New(jwt.V4, "", testSecret)
	tok, err := c.Encode(jwt.Claims{"sub": "u-1", "name": "Ann", "email": "ann@example.com"}, time.Now(), 24*time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	return auth, k, "__Secure-next-auth.session-token=" + tok
}

// run serves req with h on every parallel goroutine, expecting code, and
// reports requests per second.
func run(b *testing.B, h http.Handler, req func() *http.Request, code int) {
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req())
			if w.Code != code {
				b.Errorf("status %d; want %d", w.Code, code)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkForwardAuth is a signed-in check of Traefik's kind: decode the
// JWT session, check the site, write the identity headers.
func BenchmarkForwardAuth(b *testing.B) {
	_, k, cookie := benchAuth(b)
	h := k.ForwardAuth()
	run(b, h, func() *http.Request {
		r := httptest.NewRequest("GET", "http://127.0.0.1:3000/api/auth/forward-auth", nil)
		r.Header = http.Header{"Cookie": {cookie}, "X-Forwarded-Method": {"GET"}, "X-Forwarded-Proto": {"https"},
			"X-Forwarded-Host": {"app.example.com"}, "X-Forwarded-Uri": {"/page?x=1"}, "Accept": {"text/html"}}
		return r
	}, http.StatusOK)
}

// BenchmarkForwardAuthSignedOut is the check of a browser without a
// session: the redirect to sign in.
func BenchmarkForwardAuthSignedOut(b *testing.B) {
	_, k, _ := benchAuth(b)
	h := k.ForwardAuth()
	run(b, h, func() *http.Request {
		r := httptest.NewRequest("GET", "http://127.0.0.1:3000/api/auth/forward-auth", nil)
		r.Header = http.Header{"X-Forwarded-Method": {"GET"}, "X-Forwarded-Proto": {"https"},
			"X-Forwarded-Host": {"app.example.com"}, "X-Forwarded-Uri": {"/page?x=1"}, "Accept": {"text/html"}}
		return r
	}, http.StatusFound)
}

// BenchmarkGetSession is GET /api/auth/session with the same session, for
// comparison: it re-encrypts the token and sets the cookie on every call.
func BenchmarkGetSession(b *testing.B) {
	auth, _, cookie := benchAuth(b)
	run(b, auth, func() *http.Request {
		r := httptest.NewRequest("GET", "https://auth.example.com/api/auth/session", nil)
		r.Header.Set("Cookie", cookie)
		return r
	}, http.StatusOK)
}
