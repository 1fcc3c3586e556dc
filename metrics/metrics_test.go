package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/metrics"
	"github.com/latchauth/latch/store/sqlite"
)

// failingStore fails every session read, like a database that went away.
type failingStore struct{ latch.Store }

func (failingStore) Session(context.Context, string) (*latch.SessionRecord, *latch.StoredUser, error) {
	return nil, nil, errors.New("connection refused")
}

func TestMetrics(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m := metrics.New()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	signedIn := 0
	cfg := latch.Config{
		URL: srv.URL + "/api/auth", Secrets: []string{strings.Repeat("p", 32)},
		Store: failingStore{st}, Strategy: latch.DatabaseSessions,
		Providers: []latch.Provider{&latch.Credentials{Authorize: func(context.Context, map[string]string, *http.Request) (*latch.User, error) {
			return nil, nil
		}}},
		Events: latch.Events{SignIn: func(context.Context, latch.SignInEvent) { signedIn++ }},
	}
	m.Instrument(&cfg)
	auth, err := latch.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/api/auth/", m.Middleware("/api/auth", auth))
	mux.Handle("/metrics", m.Handler())
	mux.Handle("/app/", m.Upstream(auth.Require(http.NotFoundHandler())))

	csrfRes, _ := http.Get(srv.URL + "/api/auth/csrf")
	var cookies []string
	for _, c := range csrfRes.Cookies() {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	body, _ := io.ReadAll(csrfRes.Body)
	token := string(body)[14:78]
	req, _ := http.NewRequest("POST", srv.URL+"/api/auth/callback/credentials", strings.NewReader(url.Values{"csrfToken": {token}, "json": {"true"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", strings.Join(cookies, "; "))
	http.DefaultClient.Do(req)
	req, _ = http.NewRequest("GET", srv.URL+"/api/auth/session", nil)
	req.Header.Set("Cookie", "next-auth.session-token=abc")
	http.DefaultClient.Do(req)

	http.Get(srv.URL + "/app/page") // no session: 401

	res, _ := http.Get(srv.URL + "/metrics")
	out, _ := io.ReadAll(res.Body)
	for _, want := range []string{
		`latch_signins_total{outcome="CredentialsSignin",provider="credentials"} 1`,
		`latch_requests_total{action="csrf",code="200",method="GET"} 1`,
		`latch_requests_total{action="callback",code="401",method="POST"} 1`,
		`latch_requests_total{action="session",code="200",method="GET"} 1`,
		`latch_request_duration_seconds_count{action="session"} 1`,
		`latch_store_errors_total{op="session"} 1`,
		`latch_upstream_requests_total{code="401"} 1`,
		`latch_upstream_request_duration_seconds_count 1`,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if signedIn != 0 {
		t.Errorf("the SignIn event fired %d times for a refused sign-in", signedIn)
	}
}

func TestRequireToken(t *testing.T) {
	h := metrics.RequireToken("s3cret-metrics-token", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("metrics"))
	}))
	tests := []struct {
		auth string
		want int
	}{
		{"Bearer s3cret-metrics-token", http.StatusOK},
		{"", http.StatusUnauthorized},
		{"Bearer ", http.StatusUnauthorized},
		{"Bearer s3cret-metrics-tokeN", http.StatusUnauthorized},
		{"Bearer s3cret-metrics-token2", http.StatusUnauthorized},
		{"Basic s3cret-metrics-token", http.StatusUnauthorized},
		{"s3cret-metrics-token", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		req := httptest.NewRequest("GET", "/metrics", nil)
		if tt.auth != "" {
			req.Header.Set("Authorization", tt.auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tt.want || (tt.want == http.StatusOK) != (rec.Body.String() == "metrics") {
			t.Errorf("Authorization %q: %d %q; want %d", tt.auth, rec.Code, rec.Body.String(), tt.want)
		}
	}
}

// The wrapped store reads verification tokens, and keeps the local
// provider's data, exactly when the store does.
func TestInstrumentKeepsOptionalInterfaces(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, tc := range []struct {
		store latch.Store
		want  bool
	}{{st, true}, {failingStore{st}, false}} {
		cfg := latch.Config{Store: tc.store}
		metrics.New().Instrument(&cfg)
		if _, ok := cfg.Store.(latch.VerificationTokenReader); ok != tc.want {
			t.Errorf("Instrument(%T): a VerificationTokenReader: %v; want %v", tc.store, ok, tc.want)
		}
		if _, ok := cfg.Store.(latch.LocalStore); ok != tc.want {
			t.Errorf("Instrument(%T): a LocalStore: %v; want %v", tc.store, ok, tc.want)
		}
		// Provider token stores are found through Unwrap.
		u, ok := cfg.Store.(interface{ Unwrap() latch.Store })
		if !ok {
			t.Fatalf("Instrument(%T): no Unwrap", tc.store)
		}
		if _, ok := u.Unwrap().(latch.AccountTokenStore); ok != tc.want {
			t.Errorf("Instrument(%T): Unwrap is an AccountTokenStore: %v; want %v", tc.store, ok, tc.want)
		}
	}
}

func TestTokenRefreshMetrics(t *testing.T) {
	m := metrics.New()
	called := 0
	cfg := latch.Config{Events: latch.Events{TokenRefresh: func(context.Context, latch.TokenRefreshEvent) { called++ }}}
	m.Instrument(&cfg)
	for _, o := range []string{"refreshed", "waited", "waited", "reauth"} {
		cfg.Events.TokenRefresh(context.Background(), latch.TokenRefreshEvent{Provider: "idp", Outcome: o})
	}
	if called != 4 {
		t.Errorf("the TokenRefresh event set before Instrument ran %d times; want 4", called)
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{
		`latch_provider_token_refreshes_total{outcome="refreshed",provider="idp"} 1`,
		`latch_provider_token_refreshes_total{outcome="waited",provider="idp"} 2`,
		`latch_provider_token_refreshes_total{outcome="reauth",provider="idp"} 1`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestSessionCacheMetrics: reads of database sessions answered from memory
// are counted.
func TestSessionCacheMetrics(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, _ := st.CreateUser(ctx, latch.StoredUser{User: latch.User{Email: "cache@example.com"}})
	st.CreateSession(ctx, latch.SessionRecord{Token: "tok", UserID: u.ID, Expires: time.Now().Add(time.Hour)})
	m := metrics.New()
	cfg := latch.Config{URL: "http://localhost/api/auth", Secrets: []string{strings.Repeat("p", 32)}, Store: st, Strategy: latch.DatabaseSessions}
	m.Instrument(&cfg)
	auth, err := latch.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	scrape := func() string {
		w := httptest.NewRecorder()
		m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
		return w.Body.String()
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(scrape(), "latch_session_cache_sessions 1") || strings.Contains(scrape(), "latch_session_cache_hits_total 0") {
		if time.Now().After(deadline) {
			t.Fatalf("no session cache hits counted:\n%s", scrape())
		}
		req := httptest.NewRequest("GET", "http://localhost/api/auth/session", nil)
		req.Header.Set("Cookie", "next-auth.session-token=tok")
		w := httptest.NewRecorder()
		auth.ServeHTTP(w, req)
		if !strings.Contains(w.Body.String(), "cache@example.com") {
			t.Fatalf("session = %s", w.Body)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if strings.Contains(scrape(), "latch_session_cache_misses_total 0") {
		t.Errorf("the first read was not counted as a miss:\n%s", scrape())
	}
}
