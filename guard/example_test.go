package guard_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/clientip"
	"github.com/latchauth/latch/guard"
)

// Serve the forward-auth checks of nginx, Traefik and Caddy next to
// Latch's own endpoints, for two sites behind a proxy at 10.0.0.2.
func ExampleNewChecker() {
	sites := []string{"https://app.example.com", "https://wiki.example.com"}
	auth, err := latch.New(latch.Config{
		URL:     "https://auth.example.com/api/auth",
		Secrets: []string{strings.Repeat("x", 32)},
		// One session for every subdomain, and back to the site after
		// signing in.
		Cookies:   latch.CookieOptions{Domain: "example.com"},
		Callbacks: latch.Callbacks{Redirect: guard.Redirect(sites...)},
	})
	if err != nil {
		panic(err)
	}
	proxies, _ := clientip.New([]string{"10.0.0.2"})
	checker, err := guard.NewChecker(guard.CheckerConfig{
		Auth:         auth,
		Sites:        []guard.Site{{URL: sites[0], Public: []string{"/assets/"}}, {URL: sites[1]}},
		TrustedProxy: proxies.FromTrustedProxy,
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/auth/", auth)
	mux.Handle("GET /api/auth/auth-request", checker.AuthRequest()) // nginx auth_request
	mux.Handle("GET /api/auth/forward-auth", checker.ForwardAuth()) // Traefik, Caddy
	// http.ListenAndServe(":3000", mux)

	// nginx asks about a request of a browser without a session.
	r := httptest.NewRequest("GET", "http://10.0.0.3:3000/api/auth/auth-request", nil)
	r.RemoteAddr = "10.0.0.2:50000"
	r.Header.Set("X-Original-URL", "https://wiki.example.com/page")
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Header().Get("Location"))
	// Output: 401 https://auth.example.com/api/auth/signin?callbackUrl=https%3A%2F%2Fwiki.example.com%2Fpage
}

// Guard an app on 127.0.0.1:8080 as a reverse proxy: signed-in users
// reach it with X-Forwarded-User, -Email and -Name; /assets/ is public.
func ExampleNewProxy() {
	auth, err := latch.New(latch.Config{URL: "https://app.example.com/api/auth", Secrets: []string{strings.Repeat("x", 32)}})
	if err != nil {
		panic(err)
	}
	target, _ := guard.ParseTarget("http://127.0.0.1:8080")
	proxy, err := guard.NewProxy(guard.ProxyConfig{Auth: auth, Target: target, Public: []string{"/assets/"}})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/auth/", auth)
	mux.Handle("/", proxy)
	// http.ListenAndServe(":3000", mux)

	// Without a session, API clients get 401 before the app hears of it.
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest("GET", "https://app.example.com/reports", nil))
	fmt.Println(w.Code)
	// Output: 401
}
