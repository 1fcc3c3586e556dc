package latch_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/latchauth/latch"
)

// BenchmarkSessionGET measures the hot path: GET <base>/session with a
// valid session cookie, through the handler (decode, callbacks, re-encode,
// cookies, JSON). BenchmarkBareJSON is the floor: a handler that only
// writes the same JSON.
func BenchmarkSessionGET(b *testing.B) {
	a, cookies := benchSignedIn(b)
	req := httptest.NewRequest(http.MethodGet, "http://localhost:3000/api/auth/session", nil)
	req.Header.Set("Cookie", cookies)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		a.ServeHTTP(w, req)
		if w.Code != http.StatusOK || w.Body.Len() < 10 {
			b.Fatalf("status %d body %s", w.Code, w.Body)
		}
	}
}

// BenchmarkRequire measures a Go handler behind Require with a valid JWT
// session cookie (decode, Session, the keep-alive check).
func BenchmarkRequire(b *testing.B) {
	a, cookies := benchSignedIn(b)
	h := a.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(a.Session(r).User.Email))
	}))
	req := httptest.NewRequest(http.MethodGet, "http://localhost:3000/dashboard", nil)
	req.Header.Set("Cookie", cookies)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK || w.Body.Len() == 0 {
			b.Fatalf("status %d body %s", w.Code, w.Body)
		}
	}
}

// BenchmarkRequireBare is BenchmarkRequire's handler without Require:
// what Require adds is the difference between the two.
func BenchmarkRequireBare(b *testing.B) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("jane@example.com"))
	})
	req := httptest.NewRequest(http.MethodGet, "http://localhost:3000/dashboard", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK || w.Body.Len() == 0 {
			b.Fatalf("status %d body %s", w.Code, w.Body)
		}
	}
}

func BenchmarkBareJSON(b *testing.B) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := json.Marshal(map[string]any{"user": map[string]string{"name": "Jane Smith", "email": "jane@example.com"}, "expires": "2026-12-28T23:29:23.876Z"})
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	req := httptest.NewRequest(http.MethodGet, "http://localhost:3000/api/auth/session", nil)
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}

// benchSignedIn signs a user in and returns the handler and the Cookie
// header a browser would then send.
func benchSignedIn(b *testing.B) (*latch.Auth, string) {
	a, err := latch.New(latch.Config{
		URL:     "http://localhost:3000/api/auth",
		Secrets: []string{strings.Repeat("k", 32)},
		Providers: []latch.Provider{&latch.Credentials{Authorize: func(context.Context, map[string]string, *http.Request) (*latch.User, error) {
			return &latch.User{ID: "1", Name: "Jane Smith", Email: "jane@example.com"}, nil
		}}},
	})
	if err != nil {
		b.Fatal(err)
	}
	w := httptest.NewRecorder()
	a.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "http://localhost:3000/api/auth/csrf", nil))
	var csrf struct{ CsrfToken string }
	json.Unmarshal(w.Body.Bytes(), &csrf)
	jar := map[string]string{}
	keep := func(res *http.Response) {
		for _, c := range res.Cookies() {
			jar[c.Name] = c.Value
		}
	}
	keep(w.Result())
	req := httptest.NewRequest(http.MethodPost, "http://localhost:3000/api/auth/callback/credentials",
		strings.NewReader("csrfToken="+csrf.CsrfToken+"&json=true"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for n, v := range jar {
		req.AddCookie(&http.Cookie{Name: n, Value: v})
	}
	w = httptest.NewRecorder()
	a.ServeHTTP(w, req)
	keep(w.Result())
	if jar["next-auth.session-token"] == "" {
		b.Fatalf("sign-in failed: %d %s", w.Code, w.Body)
	}
	var parts []string
	for n, v := range jar {
		parts = append(parts, n+"="+v)
	}
	return a, strings.Join(parts, "; ")
}

// BenchmarkLocalSessionGET measures GET <base>/local/session with a
// bearer access token (EdDSA signature check, the sid check from the
// cache, the flat user JSON), next to BenchmarkSessionGET's cookie.
func BenchmarkLocalSessionGET(b *testing.B) {
	h := newLocalHarness(b, latch.LocalConfig{})
	token, _ := h.login(b, h.auth)
	req := httptest.NewRequest(http.MethodGet, "http://localhost:3000/api/auth/local/session", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.auth.ServeHTTP(w, req)
		if w.Code != http.StatusOK || w.Body.Len() < 10 {
			b.Fatalf("status %d body %s", w.Code, w.Body)
		}
	}
}

// BenchmarkLocalRequire measures a Go handler behind Require with a
// bearer access token.
func BenchmarkLocalRequire(b *testing.B) {
	h := newLocalHarness(b, latch.LocalConfig{})
	token, _ := h.login(b, h.auth)
	protected := h.auth.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(h.auth.Session(r).User.Email))
	}))
	req := httptest.NewRequest(http.MethodGet, "http://localhost:3000/dashboard", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		protected.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}
