package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/client"
)

// newServer runs Latch with a credentials provider (ann / right) and a JWT
// callback that applies session updates to the name.
func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	auth, err := latch.New(latch.Config{
		URL:     srv.URL + "/api/auth",
		Secrets: []string{strings.Repeat("c", 32)},
		Providers: []latch.Provider{&latch.Credentials{Authorize: func(_ context.Context, c map[string]string, _ *http.Request) (*latch.User, error) {
			if c["username"] == "ann" && c["password"] == "right" {
				return &latch.User{ID: "1", Name: "Ann", Email: "ann@example.com"}, nil
			}
			return nil, nil
		}}},
		Callbacks: latch.Callbacks{
			JWT: func(_ context.Context, p *latch.JWTParams) (latch.Token, error) {
				if p.Trigger == "update" {
					var d struct{ Name string }
					json.Unmarshal(p.UpdateData, &d)
					p.Token["name"] = d.Name
				}
				return p.Token, nil
			},
			Session: func(_ context.Context, p *latch.SessionParams) (*latch.Session, error) {
				p.Session.Extra = map[string]any{"role": "admin"}
				return p.Session, nil
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/api/auth/", auth)
	return srv
}

func TestStateTransitions(t *testing.T) {
	srv := newServer(t)
	c, err := client.New(srv.URL + "/api/auth")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if s, fetched := c.Data(); s != nil || fetched || c.Status() != client.Unauthenticated || !c.LastRefreshedAt().IsZero() {
		t.Fatalf("initial state = %+v; want never fetched, unauthenticated", c.State())
	}
	var mu sync.Mutex
	var seen []client.Status
	unsub := c.Subscribe(func(s client.State) {
		mu.Lock()
		seen = append(seen, s.Status)
		mu.Unlock()
	})
	defer unsub()

	sess, err := c.GetSession(ctx, client.GetSessionOptions{})
	if err != nil || sess != nil {
		t.Fatalf("GetSession signed out = %v, %v; want nil, nil", sess, err)
	}
	if _, fetched := c.Data(); !fetched || c.Status() != client.Unauthenticated || c.LastRefreshedAt().IsZero() {
		t.Errorf("after first fetch: %+v; want fetched, unauthenticated, lastRefreshedAt set", c.State())
	}
	mu.Lock()
	if len(seen) < 2 || seen[0] != client.Loading || seen[len(seen)-1] != client.Unauthenticated {
		t.Errorf("statuses = %v; want loading then unauthenticated", seen)
	}
	mu.Unlock()

	res, err := c.SignIn(ctx, "credentials", client.SignInOptions{Credentials: map[string]string{"username": "ann", "password": "wrong"}}, nil)
	if !errors.Is(err, client.ErrCredentials) || res == nil || res.Error != "CredentialsSignin" || res.Status != 401 || res.OK || res.URL != "" {
		t.Errorf("wrong password: %+v, %v; want CredentialsSignin 401", res, err)
	}
	res, err = c.SignIn(ctx, "credentials", client.SignInOptions{CallbackURL: "/dash", Credentials: map[string]string{"username": "ann", "password": "right"}}, nil)
	if err != nil || !res.OK || res.Status != 200 || res.URL != srv.URL+"/dash" || res.Error != "" {
		t.Fatalf("right password: %+v, %v", res, err)
	}
	if c.Status() != client.Authenticated {
		t.Fatalf("status after sign-in = %v", c.Status())
	}
	s, _ := c.Data()
	if s.User.Name != "Ann" || s.User.Email != "ann@example.com" || string(s.Extra["role"]) != `"admin"` {
		t.Errorf("session = %+v; want Ann with role admin", s)
	}
	if d := time.Until(s.Expires); d < 29*24*time.Hour || d > 31*24*time.Hour {
		t.Errorf("expires in %v; want about 30 days", d)
	}

	s, err = c.Update(ctx, map[string]string{"name": "Ann B"})
	if err != nil || s.User.Name != "Ann B" {
		t.Errorf("Update = %+v, %v; want name Ann B", s, err)
	}
	if s, _ := c.GetSession(ctx, client.GetSessionOptions{}); s == nil || s.User.Name != "Ann B" {
		t.Errorf("session after update = %+v", s)
	}

	to, err := c.SignOut(ctx, client.SignOutOptions{CallbackURL: "/bye"})
	if err != nil || to != srv.URL+"/bye" {
		t.Errorf("SignOut = %q, %v", to, err)
	}
	if s, fetched := c.Data(); s != nil || !fetched || c.Status() != client.Unauthenticated {
		t.Errorf("after sign-out: %+v", c.State())
	}
}

func TestRequiredAndErrors(t *testing.T) {
	srv := newServer(t)
	c, _ := client.New(srv.URL)
	ctx := context.Background()
	_, err := c.GetSession(ctx, client.GetSessionOptions{Required: true, CallbackURL: srv.URL + "/private"})
	var req *client.SignInRequiredError
	if !errors.As(err, &req) || req.URL != srv.URL+"/api/auth/signin?callbackUrl="+strings.ReplaceAll(strings.ReplaceAll(srv.URL, ":", "%3A"), "/", "%2F")+"%2Fprivate" {
		t.Errorf("required: err = %v; want SignInRequiredError with the sign-in URL", err)
	}
	called := ""
	_, err = c.GetSession(ctx, client.GetSessionOptions{Required: true, OnUnauthenticated: func(u string) error { called = u; return nil }})
	if err != nil || !strings.HasSuffix(called, "/api/auth/signin") {
		t.Errorf("OnUnauthenticated called with %q, err %v", called, err)
	}
	if _, err := c.SignIn(ctx, "nope", client.SignInOptions{}, nil); !errors.Is(err, client.ErrUnknownProvider) {
		t.Errorf("unknown provider: err = %v", err)
	}
	providers, err := c.GetProviders(ctx)
	if err != nil || providers["credentials"].CallbackURL != srv.URL+"/api/auth/callback/credentials" {
		t.Errorf("GetProviders = %+v, %v", providers, err)
	}
	if tok, err := c.GetCsrfToken(ctx); err != nil || len(tok) != 64 {
		t.Errorf("GetCsrfToken = %q, %v", tok, err)
	}

	down, _ := client.New("http://127.0.0.1:1/api/auth", client.WithTimeout(2*time.Second))
	if _, err := down.GetSession(ctx, client.GetSessionOptions{}); !errors.Is(err, client.ErrUnreachable) {
		t.Errorf("unreachable: err = %v; want ErrUnreachable", err)
	}
	if down.Status() != client.Unauthenticated {
		t.Errorf("status after a failed first fetch = %v", down.Status())
	}
	if _, err := client.New("not a url"); err == nil {
		t.Error("New(not a url): want error")
	}
}

// A failed refresh keeps the session; concurrent use is safe (-race).
func TestRefreshKeepsSessionAndConcurrency(t *testing.T) {
	srv := newServer(t)
	c, _ := client.New(srv.URL+"/api/auth", client.WithRefreshInterval(20*time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := c.SignIn(ctx, "credentials", client.SignInOptions{Credentials: map[string]string{"username": "ann", "password": "right"}}, nil); err != nil {
		t.Fatal(err)
	}
	changes := c.Changes(ctx)
	done := make(chan error)
	go func() { done <- c.Run(ctx) }()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				c.GetSession(ctx, client.GetSessionOptions{})
				c.Status()
			}
		}()
	}
	wg.Wait()
	select {
	case st := <-changes:
		if st.LastRefreshedAt.IsZero() {
			t.Errorf("change without lastRefreshedAt: %+v", st)
		}
	case <-time.After(2 * time.Second):
		t.Error("no change notification while refreshing")
	}
	before := c.LastRefreshedAt()
	time.Sleep(80 * time.Millisecond)
	if !c.LastRefreshedAt().After(before) {
		t.Error("periodic refresh did not run")
	}
	srv.Close()
	if _, err := c.GetSession(context.Background(), client.GetSessionOptions{}); err == nil {
		t.Error("GetSession with the server gone: want an error")
	}
	if s, _ := c.Data(); s == nil || c.Status() != client.Authenticated {
		t.Errorf("a failed refresh signed the user out: %+v", c.State())
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v; want context.Canceled", err)
	}
}
