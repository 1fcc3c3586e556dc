package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/client"
	"github.com/latchauth/latch/provider/password"
	"github.com/latchauth/latch/store/sqlite"
)

// TestBasic runs the example on a free loopback port, with a user added
// as `latch user add` adds one, and signs in: the page shows the user's
// ID to them only.
func TestBasic(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "latch.db")
	store, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	ann, err := store.CreateUser(ctx, latch.StoredUser{User: latch.User{Name: "Ann", Email: "ann@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := password.Hash("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if err := store.SetPasswordHash(ctx, ann.ID, hash); err != nil {
		t.Fatal(err)
	}
	store.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- serve(runCtx, ln, "127.0.0.1:0", db, strings.Repeat("s", latch.MinSecretLength)) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("serve: got %v; want nil after the context ends", err)
		}
	})
	site := "http://" + ln.Addr().String()

	c, err := client.New(site + "/api/auth")
	if err != nil {
		t.Fatal(err)
	}
	browser := &http.Client{
		Jar:           c.Jar(),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	get := func(path string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, site+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept", "text/html") // as browsers do
		res, err := browser.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}

	// Signed out: the page sends the browser to the sign-in page.
	res, _ := get("/")
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusFound && res.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(loc, "/api/auth/signin?callbackUrl=") {
		t.Fatalf("GET / signed out: got %d, Location %q; want a redirect to the sign-in page", res.StatusCode, loc)
	}
	res, body := get("/api/auth/signin")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `name="password"`) {
		t.Fatalf("sign-in page: got %d; want 200 with the password form", res.StatusCode)
	}

	// A wrong password: refused, still signed out.
	_, err = c.SignIn(ctx, "credentials", client.SignInOptions{
		Credentials: map[string]string{"email": "ann@example.com", "password": "wrong"},
	}, nil)
	if !errors.Is(err, client.ErrCredentials) {
		t.Fatalf("SignIn with a wrong password: got %v; want ErrCredentials", err)
	}
	if res, _ := get("/"); res.StatusCode == http.StatusOK {
		t.Fatalf("GET / after a wrong password: got 200; want a redirect")
	}

	// The right one: the page shows Ann's ID.
	if _, err := c.SignIn(ctx, "credentials", client.SignInOptions{
		Credentials: map[string]string{"email": "ann@example.com", "password": "correct horse battery staple"},
	}, nil); err != nil {
		t.Fatalf("SignIn: got %v; want nil", err)
	}
	if s, _ := c.Data(); s == nil || s.User.Email != "ann@example.com" {
		t.Fatalf("session after SignIn: got %+v; want Ann's", s)
	}
	res, body = get("/")
	if want := `<code id="user-id">` + ann.ID + `</code>`; res.StatusCode != http.StatusOK || !strings.Contains(body, want) || !strings.Contains(body, "Ann") {
		t.Fatalf("GET / signed in: got %d %q; want 200 with %s", res.StatusCode, body, want)
	}
}
