package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/client"
)

// TestSignInFailures checks that every failed credentials sign-in is an
// error, and that a sign-in without an error has left a session: code
// that reads c.Data() after SignIn returned nil never gets a nil session.
func TestSignInFailures(t *testing.T) {
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	auth, err := latch.New(latch.Config{
		URL:     srv.URL + "/api/auth",
		Secrets: []string{strings.Repeat("f", 32)},
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Providers: []latch.Provider{&latch.Credentials{Authorize: func(_ context.Context, c map[string]string, _ *http.Request) (*latch.User, error) {
			switch c["password"] {
			case "right":
				return &latch.User{ID: "1", Name: "Ann", Email: "ann@example.com"}, nil
			case "often":
				return nil, &latch.Error{Code: "TooManyRequests", Status: http.StatusTooManyRequests, RetryAfter: time.Minute}
			case "broken":
				return nil, errors.New("database down")
			}
			return nil, nil
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/api/auth/", auth)

	// A NextAuth look-alike whose answers go wrong in other ways.
	stub := func(status int, signInBody, sessionBody string) string {
		mux := http.NewServeMux()
		mux.HandleFunc("GET /api/auth/providers", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"credentials":{"id":"credentials","name":"Credentials","type":"credentials"}}`)
		})
		mux.HandleFunc("GET /api/auth/csrf", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"csrfToken":"t"}`) })
		mux.HandleFunc("POST /api/auth/callback/credentials", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			fmt.Fprint(w, signInBody)
		})
		mux.HandleFunc("GET /api/auth/session", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, sessionBody) })
		s := httptest.NewServer(mux)
		t.Cleanup(s.Close)
		return s.URL + "/api/auth"
	}

	tests := []struct {
		name, base, password string
		check                func(error) bool
	}{
		{"wrong password", srv.URL + "/api/auth", "wrong", func(err error) bool { return errors.Is(err, client.ErrCredentials) }},
		{"rate limited", srv.URL + "/api/auth", "often", func(err error) bool {
			var se *client.SignInError
			return errors.As(err, &se) && se.Code == "TooManyRequests" && se.Status == http.StatusTooManyRequests && !errors.Is(err, client.ErrCredentials)
		}},
		{"server error", srv.URL + "/api/auth", "broken", func(err error) bool { return err != nil && !errors.Is(err, client.ErrCredentials) }},
		{"error without a code", stub(http.StatusInternalServerError, `{}`, `{}`), "right", func(err error) bool {
			var se *client.SignInError
			return errors.As(err, &se) && se.Status == http.StatusInternalServerError
		}},
		{"not JSON", stub(http.StatusBadGateway, `<html>Bad Gateway</html>`, `{}`), "right", func(err error) bool { return err != nil }},
		{"session cookie not kept", stub(http.StatusOK, `{"url":"http://example.com/"}`, `{}`), "right", func(err error) bool { return errors.Is(err, client.ErrNoSession) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := client.New(tt.base)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.SignIn(context.Background(), "credentials", client.SignInOptions{
				Credentials: map[string]string{"email": "ann@example.com", "password": tt.password},
			}, nil)
			if !tt.check(err) {
				t.Errorf("SignIn: got error %v; want the one of a %s", err, tt.name)
			}
			if s, _ := c.Data(); s != nil {
				t.Errorf("Data: got %+v; want nil", s)
			}
			if c.Status() == client.Authenticated {
				t.Errorf("Status: got Authenticated; want not")
			}
		})
	}

	t.Run("right password", func(t *testing.T) {
		c, _ := client.New(srv.URL + "/api/auth")
		if _, err := c.SignIn(context.Background(), "credentials", client.SignInOptions{
			Credentials: map[string]string{"email": "ann@example.com", "password": "right"},
		}, nil); err != nil {
			t.Fatalf("SignIn: got %v; want nil", err)
		}
		if s, _ := c.Data(); s == nil || s.User.Name != "Ann" || c.Status() != client.Authenticated {
			t.Errorf("Data: got %+v, %v; want Ann, authenticated", s, c.Status())
		}
	})
}
